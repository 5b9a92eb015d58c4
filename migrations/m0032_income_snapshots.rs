//! Income Summary snapshots (issue 11, §5.1 "Save snapshot"; §2.6 `IncomeStatSnapshot`).
//!
//! A snapshot keeps the report's figures (the loaded data as JSON, not HTML: the page re-renders
//! them with today's views) with the scope they were counted for: the departments (`departments`,
//! "" = every department; `department_id` when it was one), the owner filter (`owner_id`, NULL =
//! all owners) and the currency. The monthly automatic snapshots carry their month (`YYYY-MM`); the
//! unique key on (department, month) makes a second run of the month's job, on this instance or
//! another, add nothing. Manual snapshots have no month (NULLs never collide).

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, id, index, table, ts, unique_index};

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("income_snapshots")
                .col(id())
                .col(ColumnDef::new("department_id").big_integer().null())
                .col(ColumnDef::new("departments").string_len(2000).not_null())
                .col(ColumnDef::new("owner_id").big_integer().null())
                .col(ColumnDef::new("currency").string_len(20).not_null())
                .col(ColumnDef::new("month").string_len(7).null())
                .col(ColumnDef::new("data").text().not_null())
                .col(ColumnDef::new("taken_by").big_integer().null())
                .col(ts("taken_at"))
                .foreign_key(&mut fk("income_snapshots", "department_id", "departments", ForeignKeyAction::Cascade))
                .foreign_key(&mut fk("income_snapshots", "owner_id", "users", ForeignKeyAction::Cascade))
                .foreign_key(&mut fk("income_snapshots", "taken_by", "users", ForeignKeyAction::SetNull)),
        ),
        unique_index("ux_income_snapshots_month", "income_snapshots", &["department_id", "month"]),
        index("ix_income_snapshots_scope", "income_snapshots", &["departments", "taken_at"]),
    ]
}
