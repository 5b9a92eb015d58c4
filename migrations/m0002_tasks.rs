//! Tasks section: memos, tasks, projects, their participants, chat, files, reminders.
//!
//! Participants (owner, co-owner, recipient, responsible, subscriber) of every memo, task and project
//! live in one table, so one visibility rule (`access::scope`) serves every list, search and stream.

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, id, index, table, ts, ts_null, unique_index};

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("projects")
                .col(id())
                .col(ColumnDef::new("name").string_len(250).not_null())
                .col(ColumnDef::new("description").text().not_null().default(""))
                .col(ColumnDef::new("next_step").string_len(250).not_null().default(""))
                .col(ColumnDef::new("next_step_date").date().null())
                .col(ColumnDef::new("due_date").date().null())
                .col(ColumnDef::new("priority").small_integer().not_null().default(2))
                .col(ColumnDef::new("stage").string_len(16).not_null())
                .col(ColumnDef::new("active").boolean().not_null().default(true))
                .col(ColumnDef::new("owner_id").big_integer().not_null())
                .col(ColumnDef::new("co_owner_id").big_integer().null())
                .col(ColumnDef::new("closing_date").date().null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("projects", "owner_id", "users", ForeignKeyAction::Restrict))
                .foreign_key(&mut fk("projects", "co_owner_id", "users", ForeignKeyAction::SetNull)),
        ),
        index("ix_projects_active_due", "projects", &["active", "due_date"]),
        index("ix_projects_active_id", "projects", &["active", "id"]),
        table(
            Table::create()
                .table("tasks")
                .col(id())
                .col(ColumnDef::new("name").string_len(250).not_null())
                .col(ColumnDef::new("description").text().not_null().default(""))
                .col(ColumnDef::new("next_step").string_len(250).not_null().default(""))
                .col(ColumnDef::new("next_step_date").date().null())
                .col(ColumnDef::new("due_date").date().null())
                .col(ColumnDef::new("priority").small_integer().not_null().default(2))
                .col(ColumnDef::new("stage").string_len(16).not_null())
                .col(ColumnDef::new("active").boolean().not_null().default(true))
                .col(ColumnDef::new("owner_id").big_integer().not_null())
                .col(ColumnDef::new("co_owner_id").big_integer().null())
                .col(ColumnDef::new("parent_id").big_integer().null())
                .col(ColumnDef::new("project_id").big_integer().null())
                .col(ColumnDef::new("team").boolean().not_null().default(false))
                .col(ColumnDef::new("closing_date").date().null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("tasks", "owner_id", "users", ForeignKeyAction::Restrict))
                .foreign_key(&mut fk("tasks", "co_owner_id", "users", ForeignKeyAction::SetNull))
                .foreign_key(&mut fk("tasks", "parent_id", "tasks", ForeignKeyAction::Cascade))
                .foreign_key(&mut fk("tasks", "project_id", "projects", ForeignKeyAction::SetNull)),
        ),
        index("ix_tasks_parent", "tasks", &["parent_id"]),
        index("ix_tasks_project", "tasks", &["project_id"]),
        index("ix_tasks_active_due", "tasks", &["active", "due_date"]),
        index("ix_tasks_active_step", "tasks", &["active", "next_step_date"]),
        // The list's default order (newest first) among active tasks: an index walk, no sort.
        index("ix_tasks_active_id", "tasks", &["active", "id"]),
        table(
            Table::create()
                .table("memos")
                .col(id())
                .col(ColumnDef::new("name").string_len(250).not_null())
                .col(ColumnDef::new("draft").boolean().not_null().default(false))
                .col(ColumnDef::new("recipient_id").big_integer().not_null())
                .col(ColumnDef::new("purpose").string_len(32).null())
                .col(ColumnDef::new("description").text().not_null().default(""))
                .col(ColumnDef::new("stage").string_len(16).not_null())
                .col(ColumnDef::new("owner_id").big_integer().not_null())
                .col(ColumnDef::new("task_id").big_integer().null())
                .col(ColumnDef::new("project_id").big_integer().null())
                .col(ts_null("reviewed_at"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("memos", "recipient_id", "users", ForeignKeyAction::Restrict))
                .foreign_key(&mut fk("memos", "owner_id", "users", ForeignKeyAction::Restrict))
                .foreign_key(&mut fk("memos", "task_id", "tasks", ForeignKeyAction::SetNull))
                .foreign_key(&mut fk("memos", "project_id", "projects", ForeignKeyAction::SetNull)),
        ),
        index("ix_memos_stage", "memos", &["stage", "id"]),
        index("ix_memos_task", "memos", &["task_id"]),
        index("ix_memos_project", "memos", &["project_id"]),
        table(
            Table::create()
                .table("participants")
                .col(ColumnDef::new("object_type").string_len(16).not_null())
                .col(ColumnDef::new("object_id").big_integer().not_null())
                .col(ColumnDef::new("role").string_len(16).not_null())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .primary_key(sea_query::Index::create().col("object_type").col("object_id").col("role").col("user_id"))
                .foreign_key(&mut fk("participants", "user_id", "users", ForeignKeyAction::Cascade)),
        ),
        index("ix_participants_user", "participants", &["user_id", "object_type", "object_id"]),
        table(
            Table::create()
                .table("chat_messages")
                .col(id())
                .col(ColumnDef::new("object_type").string_len(16).not_null())
                .col(ColumnDef::new("object_id").big_integer().not_null())
                .col(ColumnDef::new("author_id").big_integer().not_null())
                .col(ColumnDef::new("body").text().not_null())
                .col(ts("created_at"))
                .foreign_key(&mut fk("chat_messages", "author_id", "users", ForeignKeyAction::Restrict)),
        ),
        index("ix_chat_object", "chat_messages", &["object_type", "object_id", "id"]),
        table(
            Table::create()
                .table("files")
                .col(id())
                .col(ColumnDef::new("sha256").string_len(64).not_null())
                .col(ColumnDef::new("size").big_integer().not_null())
                .col(ts("created_at")),
        ),
        unique_index("ux_files_sha256", "files", &["sha256"]),
        table(
            Table::create()
                .table("attachments")
                .col(id())
                .col(ColumnDef::new("file_id").big_integer().not_null())
                .col(ColumnDef::new("object_type").string_len(16).not_null())
                .col(ColumnDef::new("object_id").big_integer().not_null())
                .col(ColumnDef::new("name").string_len(255).not_null())
                .col(ColumnDef::new("content_type").string_len(127).not_null())
                .col(ColumnDef::new("uploaded_by").big_integer().null())
                .col(ts("created_at"))
                .foreign_key(&mut fk("attachments", "file_id", "files", ForeignKeyAction::Restrict))
                .foreign_key(&mut fk("attachments", "uploaded_by", "users", ForeignKeyAction::SetNull)),
        ),
        index("ix_attachments_object", "attachments", &["object_type", "object_id"]),
        index("ix_attachments_file", "attachments", &["file_id"]),
        table(
            Table::create()
                .table("reminders")
                .col(id())
                .col(ColumnDef::new("owner_id").big_integer().not_null())
                .col(ColumnDef::new("object_type").string_len(16).not_null())
                .col(ColumnDef::new("object_id").big_integer().not_null())
                .col(ColumnDef::new("remind_at").timestamp_with_time_zone().not_null())
                .col(ColumnDef::new("text").string_len(500).not_null())
                .col(ColumnDef::new("active").boolean().not_null().default(true))
                .col(ts_null("fired_at"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("reminders", "owner_id", "users", ForeignKeyAction::Cascade)),
        ),
        index("ix_reminders_owner", "reminders", &["owner_id", "remind_at"]),
        index("ix_reminders_object", "reminders", &["object_type", "object_id"]),
    ]
}
