//! "Completed" and the one-click completion link of a task's notification email (issue 12, §14.1).
//!
//! - `tasks.hide_main_task`: on a closed subtask of a team task, its responsible finished their part
//!   and no longer sees the main task among their active ones.
//! - `task_done_links`: one row per link an email carried. The link itself is signed (HMAC with the
//!   installation key, `tasks::links`); the row makes it usable once (`used_at`, set by a conditional
//!   update) and remembers the stage the task was at when the email went out, so a link is refused
//!   once the task moved on.

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, id, index, table, ts, ts_null, unique_index};

pub fn statements() -> Vec<Stmt> {
    vec![
        Stmt::Alter(Box::new(
            Table::alter()
                .table("tasks")
                .add_column(ColumnDef::new("hide_main_task").boolean().not_null().default(false))
                .to_owned(),
        )),
        table(
            Table::create()
                .table("task_done_links")
                .col(id())
                .col(ColumnDef::new("nonce").string_len(64).not_null())
                .col(ColumnDef::new("task_id").big_integer().not_null())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("stage").string_len(20).not_null())
                .col(ts("expires_at"))
                .col(ts_null("used_at"))
                .col(ts("created_at"))
                .foreign_key(&mut fk("task_done_links", "task_id", "tasks", ForeignKeyAction::Cascade))
                .foreign_key(&mut fk("task_done_links", "user_id", "users", ForeignKeyAction::Cascade)),
        ),
        // The subtasks that hide their main task (few): the task list probes it once per row.
        Stmt::Raw { sqlite: HIDDEN, postgres: HIDDEN },
        unique_index("ux_task_done_links_nonce", "task_done_links", &["nonce"]),
        index("ix_task_done_links_task", "task_done_links", &["task_id"]),
    ]
}

const HIDDEN: &[&str] =
    &["CREATE INDEX IF NOT EXISTS ix_tasks_hidden ON tasks (parent_id) WHERE hide_main_task AND NOT active"];
