//! Foundation schema: departments, users and roles, sessions, login throttling, history,
//! notifications, the mail outbox and the job queue.

use sea_query::{ColumnDef, ForeignKey, ForeignKeyAction, Table};

use super::{Stmt, id, index, ts, ts_null, unique_index};

pub fn statements() -> Vec<Stmt> {
    vec![
        Stmt::Table(Box::new(
            Table::create()
                .table("departments")
                .col(id())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .col(ts("created_at"))
                .to_owned(),
        )),
        unique_index("ux_departments_name", "departments", &["name"]),
        Stmt::Table(Box::new(
            Table::create()
                .table("users")
                .col(id())
                .col(ColumnDef::new("username").string_len(150).not_null())
                .col(ColumnDef::new("email").string_len(254).not_null().default(""))
                .col(ColumnDef::new("first_name").string_len(150).not_null().default(""))
                .col(ColumnDef::new("last_name").string_len(150).not_null().default(""))
                .col(ColumnDef::new("password_hash").string().not_null())
                .col(ColumnDef::new("is_active").boolean().not_null().default(true))
                .col(ColumnDef::new("department_id").big_integer().null())
                .col(ColumnDef::new("email_notifications").boolean().not_null().default(true))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ts_null("last_login_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("users", "department_id")
                        .to("departments", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )),
        unique_index("ux_users_username", "users", &["username"]),
        index("ix_users_department", "users", &["department_id"]),
        Stmt::Table(Box::new(
            Table::create()
                .table("user_roles")
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("role").string_len(32).not_null())
                .primary_key(sea_query::Index::create().col("user_id").col("role"))
                .foreign_key(
                    ForeignKey::create()
                        .from("user_roles", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )),
        index("ix_user_roles_role", "user_roles", &["role"]),
        Stmt::Table(Box::new(
            Table::create()
                .table("sessions")
                .col(ColumnDef::new("id").string_len(64).not_null().primary_key())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("csrf_token").string_len(64).not_null())
                .col(ts("created_at"))
                .col(ts("last_seen_at"))
                .col(ts("expires_at"))
                .col(ColumnDef::new("ip").string_len(64).not_null().default(""))
                .col(ColumnDef::new("user_agent").string_len(300).not_null().default(""))
                .foreign_key(
                    ForeignKey::create()
                        .from("sessions", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )),
        index("ix_sessions_user", "sessions", &["user_id"]),
        index("ix_sessions_expires", "sessions", &["expires_at"]),
        Stmt::Table(Box::new(
            Table::create()
                .table("login_throttle")
                .col(ColumnDef::new("key").string_len(200).not_null().primary_key())
                .col(ColumnDef::new("failures").integer().not_null())
                .col(ts("last_failure_at"))
                .to_owned(),
        )),
        Stmt::Table(Box::new(
            Table::create()
                .table("history")
                .col(id())
                .col(ColumnDef::new("object_type").string_len(40).not_null())
                .col(ColumnDef::new("object_id").big_integer().not_null())
                .col(ColumnDef::new("action").string_len(20).not_null())
                .col(ColumnDef::new("actor_id").big_integer().null())
                .col(ColumnDef::new("actor_name").string_len(300).not_null())
                .col(ColumnDef::new("summary").string_len(300).not_null().default(""))
                .col(ColumnDef::new("changes").text().not_null())
                .col(ts("at"))
                .to_owned(),
        )),
        index("ix_history_object", "history", &["object_type", "object_id", "id"]),
        Stmt::Table(Box::new(
            Table::create()
                .table("notifications")
                .col(id())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("title").string_len(300).not_null())
                .col(ColumnDef::new("body").text().not_null().default(""))
                .col(ColumnDef::new("url").string_len(300).not_null().default(""))
                .col(ColumnDef::new("object_type").string_len(40).null())
                .col(ColumnDef::new("object_id").big_integer().null())
                .col(ts("created_at"))
                .col(ts_null("read_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("notifications", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )),
        index("ix_notifications_user", "notifications", &["user_id", "id"]),
        index("ix_notifications_unread", "notifications", &["user_id", "read_at"]),
        Stmt::Table(Box::new(
            Table::create()
                .table("outbox")
                .col(id())
                .col(ColumnDef::new("message_id").string_len(200).not_null())
                .col(ColumnDef::new("to_addr").string_len(254).not_null())
                .col(ColumnDef::new("subject").string_len(300).not_null())
                .col(ColumnDef::new("body_text").text().not_null())
                .col(ColumnDef::new("status").string_len(16).not_null())
                .col(ColumnDef::new("attempts").integer().not_null().default(0))
                .col(ts("next_attempt_at"))
                .col(ts_null("locked_until"))
                .col(ColumnDef::new("last_error").text().null())
                .col(ts("created_at"))
                .col(ts_null("sent_at"))
                .to_owned(),
        )),
        unique_index("ux_outbox_message_id", "outbox", &["message_id"]),
        index("ix_outbox_due", "outbox", &["status", "next_attempt_at"]),
        Stmt::Table(Box::new(
            Table::create()
                .table("jobs")
                .col(id())
                .col(ColumnDef::new("kind").string_len(40).not_null())
                .col(ColumnDef::new("payload").text().not_null())
                .col(ColumnDef::new("dedupe_key").string_len(200).null())
                .col(ColumnDef::new("status").string_len(16).not_null())
                .col(ColumnDef::new("attempts").integer().not_null().default(0))
                .col(ColumnDef::new("max_attempts").integer().not_null())
                .col(ts("run_at"))
                .col(ts_null("locked_until"))
                .col(ColumnDef::new("last_error").text().null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )),
        unique_index("ux_jobs_dedupe", "jobs", &["dedupe_key"]),
        index("ix_jobs_due", "jobs", &["status", "run_at"]),
    ]
}
