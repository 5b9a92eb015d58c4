//! The CRM's search index (inventory §10, `crm::search`): one row per (kind, trigram, object) of
//! the searchable text of companies, contacts, leads, deals, products and payments. The primary key
//! is the look-up order (a kind's rows holding a trigram); SQLite keeps it as the table itself
//! (`WITHOUT ROWID`), so the index is stored once. Rows that exist when the migration runs are
//! indexed by it. Deals also get an index on the partner contact (a search reads the deals of
//! partners' companies).

use sea_query::{ColumnDef, Table, TableCreateStatement};

use super::{Stmt, index};
use crate::db::Backend;

fn search_terms(backend: Backend) -> TableCreateStatement {
    let mut t = Table::create();
    t.table("search_terms")
        .col(ColumnDef::new("kind").small_integer().not_null())
        .col(ColumnDef::new("gram").big_integer().not_null())
        .col(ColumnDef::new("object_id").big_integer().not_null())
        .primary_key(sea_query::Index::create().col("kind").col("gram").col("object_id"));
    if backend == Backend::Sqlite {
        t.extra("WITHOUT ROWID");
    }
    t
}

pub fn statements() -> Vec<Stmt> {
    vec![
        Stmt::TableFor(search_terms),
        index("ix_deals_partner_contact", "deals", &["partner_contact_id"]),
        Stmt::Run(|tx| Box::pin(crate::crm::search::fill(tx))),
    ]
}
