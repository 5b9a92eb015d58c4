//! Tags of tasks and projects (issue 12, §14.1–14.2) and the task list's grouped order.
//!
//! - `task_tags`: a department's tags. A tag is unique within its department case-insensitively:
//!   `name_key` is `text::fold(name)` (trimmed, inner spaces one, lower-cased by Rust's full Unicode
//!   rules, the same on both backends), and the unique index `(department_id, name_key)` is what
//!   enforces it, so two racing "Urgent"/"urgent" creations make one tag.
//! - `item_tags`: which tags a task or project has. The primary key serves "the tags of these rows"
//!   (one query per list page); `ix_item_tags_tag` serves the tag filter of the lists.
//! - The task list's default order groups each main task with its subtasks, newest main task first:
//!   `coalesce(parent_id, id) DESC, id` (a subtask's id is above its main task's, so the main task
//!   comes first). Expression indexes (both backends have them) let the list walk that order and
//!   stop after a page, among active tasks (`ix_tasks_active_group`) or all (`ix_tasks_group`).

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, id, index, table, ts, unique_index};

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("task_tags")
                .col(id())
                .col(ColumnDef::new("department_id").big_integer().not_null())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .col(ColumnDef::new("name_key").string_len(200).not_null())
                .col(ts("created_at"))
                .foreign_key(&mut fk("task_tags", "department_id", "departments", ForeignKeyAction::Cascade)),
        ),
        unique_index("ux_task_tags_name", "task_tags", &["department_id", "name_key"]),
        table(
            Table::create()
                .table("item_tags")
                .col(ColumnDef::new("object_type").string_len(20).not_null())
                .col(ColumnDef::new("object_id").big_integer().not_null())
                .col(ColumnDef::new("tag_id").big_integer().not_null())
                .primary_key(sea_query::Index::create().col("object_type").col("object_id").col("tag_id"))
                .foreign_key(&mut fk("item_tags", "tag_id", "task_tags", ForeignKeyAction::Cascade)),
        ),
        index("ix_item_tags_tag", "item_tags", &["tag_id", "object_type", "object_id"]),
        Stmt::Raw { sqlite: GROUP_SQLITE, postgres: GROUP_POSTGRES },
    ]
}

const GROUP_SQLITE: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_tasks_active_group ON tasks (active, coalesce(parent_id, id) DESC, id)",
    "CREATE INDEX IF NOT EXISTS ix_tasks_group ON tasks (coalesce(parent_id, id) DESC, id)",
];
const GROUP_POSTGRES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_tasks_active_group ON tasks (active, (coalesce(parent_id, id)) DESC, id)",
    "CREATE INDEX IF NOT EXISTS ix_tasks_group ON tasks ((coalesce(parent_id, id)) DESC, id)",
];
