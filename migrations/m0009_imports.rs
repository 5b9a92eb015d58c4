//! Excel imports of companies, contact persons and leads (inventory §9.3). An upload is parsed and
//! checked into a plan before anything is written: `imports` holds who imports what, where it stands
//! and the report (the rows skipped, with their row numbers and reasons); `import_rows` the rows to
//! create, so a confirmed import survives a restart. `next_idx` is the first row not yet written: the
//! job advances it in the same transaction as each batch, so a batch is never written twice.

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, id, index, table, ts};

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("imports")
                .col(id())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("kind").string_len(20).not_null())
                .col(ColumnDef::new("file_name").string_len(255).not_null())
                // preview → queued → running → done (or failed).
                .col(ColumnDef::new("status").string_len(20).not_null())
                .col(ColumnDef::new("total_rows").big_integer().not_null())
                .col(ColumnDef::new("to_create").big_integer().not_null())
                .col(ColumnDef::new("next_idx").big_integer().not_null())
                .col(ColumnDef::new("created").big_integer().not_null())
                // The departments the rows go to, comma-separated (confirm checks them again).
                .col(ColumnDef::new("departments").text().not_null())
                // JSON: the skipped rows [{row, reason}], found at preview and while writing.
                .col(ColumnDef::new("report").text().not_null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("imports", "user_id", "users", ForeignKeyAction::Cascade)),
        ),
        // A user's imports, newest first.
        index("ix_imports_user", "imports", &["user_id", "id"]),
        table(
            Table::create()
                .table("import_rows")
                .col(ColumnDef::new("import_id").big_integer().not_null())
                .col(ColumnDef::new("idx").big_integer().not_null())
                .col(ColumnDef::new("row_number").big_integer().not_null())
                .col(ColumnDef::new("data").text().not_null())
                .primary_key(sea_query::Index::create().col("import_id").col("idx"))
                .foreign_key(&mut fk("import_rows", "import_id", "imports", ForeignKeyAction::Cascade)),
        ),
    ]
}
