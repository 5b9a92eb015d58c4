//! The workflow log of tasks and projects (issue 12, §14.1–14.2): dated lines, newest first, as
//! deals keep theirs (`tasks::workflow`).

use sea_query::{ColumnDef, Table};

use super::Stmt;

fn workflow(table: &'static str) -> Stmt {
    Stmt::Alter(Box::new(
        Table::alter().table(table).add_column(ColumnDef::new("workflow").text().not_null().default("")).to_owned(),
    ))
}

pub fn statements() -> Vec<Stmt> {
    vec![workflow("tasks"), workflow("projects")]
}
