//! Memos and tasks made from a deal (inventory §12.5 "Office memo +", the Tasks section's "a memo
//! from a deal shows View deal"): a nullable `deal_id` on each, and the index the deal page's panel
//! of its memos and tasks walks (newest first). A deleted deal leaves its memos and tasks, unlinked.

use sea_query::{ColumnDef, Table};

use super::{Stmt, index};

fn deal_id(table: &'static str) -> Stmt {
    Stmt::Alter(Box::new(
        Table::alter()
            .table(table)
            .add_column(
                ColumnDef::new("deal_id")
                    .big_integer()
                    .null()
                    .extra("REFERENCES \"deals\" (\"id\") ON DELETE SET NULL"),
            )
            .to_owned(),
    ))
}

pub fn statements() -> Vec<Stmt> {
    vec![
        deal_id("memos"),
        deal_id("tasks"),
        // The deal page's memos and tasks, newest first.
        index("ix_memos_deal", "memos", &["deal_id", "id"]),
        index("ix_tasks_deal", "tasks", &["deal_id", "id"]),
    ]
}
