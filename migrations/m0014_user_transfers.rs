//! User transfers to another department (inventory §11.3) as durable background jobs. A row says
//! who moves where, who started it, where it stands (`moved` of `total` rows) and `batches`, the
//! number of batches written: the job advances it by compare-and-set in each batch's transaction,
//! so two runs of the same job (a lease that expired under a slow worker) never move a batch twice.

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, id, index, table, ts, ts_null};

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("user_transfers")
                .col(id())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                // Who started it (an administrator), kept by name for the record.
                .col(ColumnDef::new("actor_id").big_integer().null())
                .col(ColumnDef::new("actor_name").string_len(255).not_null())
                .col(ColumnDef::new("from_name").string_len(255).not_null())
                .col(ColumnDef::new("to_department_id").big_integer().not_null())
                .col(ColumnDef::new("to_name").string_len(255).not_null())
                // queued → running → done.
                .col(ColumnDef::new("status").string_len(20).not_null())
                .col(ColumnDef::new("total").big_integer().not_null())
                .col(ColumnDef::new("moved").big_integer().not_null())
                .col(ColumnDef::new("batches").big_integer().not_null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ts_null("finished_at"))
                .foreign_key(&mut fk("user_transfers", "user_id", "users", ForeignKeyAction::Cascade))
                .foreign_key(&mut fk("user_transfers", "actor_id", "users", ForeignKeyAction::SetNull))
                .foreign_key(&mut fk("user_transfers", "to_department_id", "departments", ForeignKeyAction::Cascade)),
        ),
        // A user's transfers, newest first (and "is one still running?").
        index("ix_user_transfers_user", "user_transfers", &["user_id", "id"]),
        // The imports list of an administrator: every import, newest first, is the primary key;
        // the cleanup of old previews reads by status and age.
        index("ix_imports_status_created", "imports", &["status", "created_at"]),
    ]
}
