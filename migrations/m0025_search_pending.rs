//! Requests and their inquiry emails from the web forms are written without their search index
//! rows (issue 9: each submission's ~300 trigram rows landed on ~300 different pages of
//! `search_terms`, 1.3 MB of WAL per submission, and held the intake to 160 a second). They are
//! marked `search_pending` instead; searches read the marked rows as candidates too (checked with
//! the same `LIKE`), and the intake's writer indexes them in large sorted batches when it is idle
//! (`crm::search::index_pending`), as does the hourly maintenance. The partial index keeps the
//! marked rows one probe away however large the tables grow.

use sea_query::{ColumnDef, Table};

use super::Stmt;

fn pending(table: &'static str) -> Stmt {
    Stmt::Alter(Box::new(
        Table::alter()
            .table(table)
            .add_column(ColumnDef::new("search_pending").boolean().not_null().default(false))
            .to_owned(),
    ))
}

const PARTIAL: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_requests_search_pending ON requests (id) WHERE search_pending",
    "CREATE INDEX IF NOT EXISTS ix_crm_emails_search_pending ON crm_emails (id) WHERE search_pending",
];

pub fn statements() -> Vec<Stmt> {
    vec![pending("requests"), pending("crm_emails"), Stmt::Raw { sqlite: PARTIAL, postgres: PARTIAL }]
}
