//! What a reference field may point at, and the names of what it points at.

use std::collections::HashSet;

use sea_query::{Expr, ExprTrait, Order, Query};

use super::fields::{Input, RefTo};
use super::repo::{Names, Record, Spec};
use crate::db::Db;

/// The table and name expression of a reference target.
fn source(to: RefTo) -> (&'static str, &'static str) {
    match to {
        RefTo::Dictionary(t) | RefTo::Global(t) => (t, "name"),
        RefTo::Object(k) => (k.info().table, k.info().title_sql),
        RefTo::User => ("users", "TRIM(first_name || ' ' || last_name)"),
    }
}

/// The rows a field may choose in `department` (dictionaries: that department's, in their order;
/// global tables: all, by name). Objects and users are chosen with a search picker instead.
pub async fn options(db: &Db, to: RefTo, department: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let (table, name) = source(to);
    let mut q = Query::select();
    q.column("id").expr(Expr::cust(name)).from(table);
    match to {
        RefTo::Dictionary(_) => {
            q.and_where(Expr::col("department_id").eq(department))
                .order_by("index_number", Order::Asc)
                .order_by("id", Order::Asc);
        }
        RefTo::Global(_) => {
            q.order_by("name", Order::Asc);
        }
        RefTo::Object(_) | RefTo::User => return Ok(Vec::new()),
    }
    db.fetch_all(&q).await
}

/// The names of every row `records` refer to, and of their owners: one query per field.
pub async fn names(db: &Db, spec: &Spec, records: &[&Record]) -> Result<Names, sqlx::Error> {
    let mut out = Names::default();
    let mut wanted: Vec<(RefTo, HashSet<i64>)> = Vec::new();
    for (i, f) in spec.fields.iter().enumerate() {
        if let Input::Ref(to) = f.input {
            let ids: HashSet<i64> = records.iter().filter_map(|r| r.values.get(i).and_then(|v| v.int())).collect();
            wanted.push((to, ids));
        }
        if let Input::Many(m) = f.input {
            let ids = records.iter().filter_map(|r| r.values.get(i)).flat_map(super::fields::ids).collect();
            wanted.push((m.to(), ids));
        }
    }
    wanted.push((RefTo::User, records.iter().filter_map(|r| r.owner_id).collect()));
    // Departments, named in history when a row moves (§11.2, §11.3); only when rows differ.
    let departments: HashSet<i64> = records.iter().map(|r| r.department_id).collect();
    if departments.len() > 1 {
        wanted.push((RefTo::Global("departments"), departments));
    }
    // One query per table, not per field (a deal's contact and partner contact, co-owner and owner).
    let mut merged: Vec<(RefTo, HashSet<i64>)> = Vec::new();
    for (to, ids) in wanted {
        match merged.iter_mut().find(|(t, _)| *t == to) {
            Some((_, all)) => all.extend(ids),
            None => merged.push((to, ids)),
        }
    }
    for (to, ids) in merged {
        if ids.is_empty() {
            continue;
        }
        let (table, name) = source(to);
        let rows: Vec<(i64, String)> = db
            .fetch_all(
                Query::select().column("id").expr(Expr::cust(name)).from(table).and_where(Expr::col("id").is_in(ids)),
            )
            .await?;
        out.0.extend(rows.into_iter().map(|(id, n)| ((to, id), n)));
    }
    Ok(out)
}
