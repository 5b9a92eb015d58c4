//! Transaction quality (inventory §2.10, §18 CTQS): per-department quality signals (a plain
//! dictionary: name, signed weight in percent, notes) and quality events on a deal (a signal, the
//! weight — the signal's by default, editable — details). A deal's score is 100 + Σ event weights.
//! Every department gets the §16.3 signals here, a department made later in
//! `users::repo::insert_department`, a copy in `users::transfer::copy_department`.

use sea_query::{ColumnDef, ForeignKeyAction as On, InsertStatement, Query, SimpleExpr, Table};

use super::{Stmt, fk, id, index, table, ts, unique_index};

/// §16.3 `transaction_quality_signal.json`: (name, weight %).
pub const SIGNALS: &[(&str, i32)] = &[
    ("Missed delivery deadline", -5),
    ("Early delivery", 5),
    ("Incorrect product quality", -10),
    ("Incompleteness", -10),
    ("Non-functional product", -15),
    ("Reputational losses in front of a partner", -15),
    ("Late response", -10),
];

/// The quality signals a department starts with (§16.3).
pub fn quality_defaults(department_id: i64) -> Vec<InsertStatement> {
    let mut q = Query::insert();
    q.into_table("quality_signals").columns(["department_id", "name", "index_number", "weight", "notes"]);
    for (i, (name, weight)) in SIGNALS.iter().enumerate() {
        let n = i32::try_from(i + 1).unwrap_or(i32::MAX);
        q.values_panic([SimpleExpr::from(department_id), (*name).into(), n.into(), (*weight).into(), "".into()]);
    }
    vec![q]
}

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("quality_signals")
                .col(id())
                .col(ColumnDef::new("department_id").big_integer().not_null())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .col(ColumnDef::new("index_number").integer().not_null().default(0))
                // Signed percent: −15 … +5 in the defaults.
                .col(ColumnDef::new("weight").integer().not_null().default(0))
                .col(ColumnDef::new("notes").text().not_null().default(""))
                .foreign_key(&mut fk("quality_signals", "department_id", "departments", On::Cascade)),
        ),
        // A name once per department; also the department's signals for the event form.
        unique_index("ux_quality_signals_name", "quality_signals", &["department_id", "name"]),
        table(
            Table::create()
                .table("quality_events")
                .col(id())
                .col(ColumnDef::new("deal_id").big_integer().not_null())
                // RESTRICT: a signal in use is not deleted under the events that name it.
                .col(ColumnDef::new("signal_id").big_integer().not_null())
                .col(ColumnDef::new("weight").integer().not_null())
                .col(ColumnDef::new("details").text().not_null().default(""))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("quality_events", "deal_id", "deals", On::Cascade))
                .foreign_key(&mut fk("quality_events", "signal_id", "quality_signals", On::Restrict)),
        ),
        // A deal's events (its page), and the deal list's CTQS grouped by the page's deals.
        index("ix_quality_events_deal", "quality_events", &["deal_id", "weight"]),
        // The foreign-key check when a signal is deleted.
        index("ix_quality_events_signal", "quality_events", &["signal_id"]),
        Stmt::EachDepartment(quality_defaults),
    ]
}
