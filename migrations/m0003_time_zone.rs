//! Each user's time zone (an IANA name such as `Europe/Berlin`; empty until the first login fills it
//! from the browser). Times are stored in UTC and shown in this zone.

use sea_query::{ColumnDef, Table};

use super::Stmt;

pub fn statements() -> Vec<Stmt> {
    vec![Stmt::Alter(Box::new(
        Table::alter()
            .table("users")
            .add_column(ColumnDef::new("time_zone").string_len(64).not_null().default(""))
            .to_owned(),
    ))]
}
