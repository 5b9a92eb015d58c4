//! Indexes for the home page's panels (docs/benchmarks.md, "the home page").
//!
//! - `participants(user_id, object_type, role, object_id)`: the tasks one person holds in one role,
//!   without reading every row of theirs (`tasks::repo::assigned`, "My tasks"). `ix_participants_user`
//!   lacks the role, so SQLite scanned all task participants instead.
//! - `memos(recipient_id, stage, id)`: the memos waiting for one person, newest first ("Memos for
//!   me", `/memos?role=to-me`), instead of walking every pending memo and reading each row.

use super::{Stmt, index};

pub fn statements() -> Vec<Stmt> {
    vec![
        index("ix_participants_user_role", "participants", &["user_id", "object_type", "role", "object_id"]),
        index("ix_memos_recipient_stage", "memos", &["recipient_id", "stage", "id"]),
    ]
}
