//! Indexes for the home page's panels and the lists sorted by date (docs/benchmarks.md, "the home
//! page").
//!
//! - `tasks(active, due_date, id DESC)` and `tasks(active, next_step_date, id DESC)` replace the
//!   indexes without `id`: the task list's order by date is "date, then newest first", and with the
//!   id in the index SQLite reads the tasks in that order and stops after the rows it needs, instead
//!   of sorting every task of a date (500 at scale 10) first.
//! - `participants(user_id, object_type, role, object_id)`: the tasks one person holds in one role,
//!   without reading every row of theirs (`tasks::repo::assigned`, "My tasks"). `ix_participants_user`
//!   lacks the role, so SQLite scanned all task participants instead.
//! - `memos(recipient_id, stage, id)`: the memos waiting for one person, newest first ("Memos for
//!   me", `/memos?role=to-me`), instead of walking every pending memo and reading each row.

use sea_query::{Index, IndexOrder};

use super::{Stmt, index};

fn drop(name: &'static str, table: &'static str) -> Stmt {
    Stmt::DropIndex(Box::new(Index::drop().name(name).table(table).if_exists().to_owned()))
}

/// `(active, col, id DESC)` on tasks.
fn by_date_then_newest(name: &'static str, col: &'static str) -> Stmt {
    Stmt::Index(Box::new(
        Index::create()
            .name(name)
            .table("tasks")
            .if_not_exists()
            .col("active")
            .col(col)
            .col(("id", IndexOrder::Desc))
            .to_owned(),
    ))
}

pub fn statements() -> Vec<Stmt> {
    vec![
        drop("ix_tasks_active_due", "tasks"),
        by_date_then_newest("ix_tasks_active_due_id", "due_date"),
        drop("ix_tasks_active_step", "tasks"),
        by_date_then_newest("ix_tasks_active_step_id", "next_step_date"),
        index("ix_participants_user_role", "participants", &["user_id", "object_type", "role", "object_id"]),
        index("ix_memos_recipient_stage", "memos", &["recipient_id", "stage", "id"]),
    ]
}
