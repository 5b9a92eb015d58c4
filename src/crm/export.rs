//! Excel export of a CRM list (§9.1–9.2): the list's rows as its filters select them, with the
//! original's columns (`Spec::export`), references as the names people read, the owner as a username
//! (what the import maps back). Text is never written as a formula (`excel`).

use std::collections::HashMap;

use poem::http::header;
use poem::web::Data;
use poem::{Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::fields::Input;
use super::handlers::CrmKind;
use super::list::{self, Filter};
use super::record::Val;
use super::repo::{self, Names, Record, Spec};
use crate::access::Viewer;
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::excel::Cell;
use crate::web::Query as QueryString;

/// The most rows one export holds (a bigger list is narrowed with the filters first). Building the
/// file is CPU work in a blocking thread: 20,000 rows take well under a second.
pub const MAX_ROWS: u64 = 20_000;

/// Where an export column's value comes from.
enum Source<'a> {
    Field(usize, &'a super::fields::Field),
    Owner,
    Department,
    Industries(&'static str, &'static str),
    Missing,
}

fn source<'a>(spec: &'a Spec, name: &str) -> Source<'a> {
    if let Some(i) = spec.fields.iter().position(|f| f.col == name || f.col.strip_suffix("_id") == Some(name)) {
        return Source::Field(i, &spec.fields[i]);
    }
    match (name, spec.kind.slug()) {
        ("owner", _) => Source::Owner,
        ("department", _) => Source::Department,
        ("industry", "company") => Source::Industries("company_industries", "company_id"),
        ("industry", "lead") => Source::Industries("lead_industries", "lead_id"),
        _ => Source::Missing,
    }
}

fn cell(f: &super::fields::Field, v: &Val, names: &Names) -> Cell {
    match (f.input, v) {
        (_, Val::Null) => Cell::Empty,
        (Input::Money, Val::Int(c)) => Cell::Money(*c),
        (Input::Flag, Val::Bool(b)) => Cell::Bool(*b),
        (_, Val::Date(d)) => Cell::Date(*d),
        (_, Val::Time(t)) => Cell::DateTime(*t),
        _ => Cell::Text(f.show(v, &|to, id| names.of(to, id))),
    }
}

async fn lookup(db: &Db, q: &sea_query::SelectStatement) -> Result<HashMap<i64, String>, sqlx::Error> {
    let rows: Vec<(i64, String)> = db.fetch_all(q).await?;
    Ok(rows.into_iter().collect())
}

/// The sheet's rows for `records`.
pub async fn rows(db: &Db, spec: &Spec, records: &[Record]) -> AppResult<Vec<Vec<Cell>>> {
    let refs: Vec<&Record> = records.iter().collect();
    let names = super::choices::names(db, spec, &refs).await?;
    let owners: Vec<i64> = records.iter().filter_map(|r| r.owner_id).collect();
    let usernames = if owners.is_empty() {
        HashMap::new()
    } else {
        lookup(db, Query::select().columns(["id", "username"]).from("users").and_where(Expr::col("id").is_in(owners)))
            .await?
    };
    let departments = lookup(db, Query::select().columns(["id", "name"]).from("departments")).await?;
    let mut industries: HashMap<i64, Vec<String>> = HashMap::new();
    for name in spec.export {
        if let Source::Industries(link, key) = source(spec, name) {
            let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
            for chunk in ids.chunks(500) {
                let found: Vec<(i64, String)> = db
                    .fetch_all(
                        Query::select()
                            .column((sea_query::Alias::new(link), sea_query::Alias::new(key)))
                            .column(("industries", "name"))
                            .from(sea_query::Alias::new(link))
                            .inner_join(
                                "industries",
                                Expr::col(("industries", "id")).equals((sea_query::Alias::new(link), "industry_id")),
                            )
                            .and_where(
                                Expr::col((sea_query::Alias::new(link), sea_query::Alias::new(key)))
                                    .is_in(chunk.iter().copied()),
                            )
                            .order_by(("industries", "name"), Order::Asc),
                    )
                    .await?;
                for (id, n) in found {
                    industries.entry(id).or_default().push(n);
                }
            }
        }
    }
    Ok(records
        .iter()
        .map(|r| {
            spec.export
                .iter()
                .map(|name| match source(spec, name) {
                    Source::Field(i, f) => cell(f, r.values.get(i).unwrap_or(&Val::Null), &names),
                    Source::Owner => r.owner_id.and_then(|u| usernames.get(&u).cloned()).into(),
                    Source::Department => departments.get(&r.department_id).cloned().into(),
                    Source::Industries(..) => industries.get(&r.id).map(|v| v.join(", ")).into(),
                    Source::Missing => Cell::Empty,
                })
                .collect()
        })
        .collect())
}

/// `GET /<kind>/export?<the list's filters>`: the list as an .xlsx file.
#[handler]
pub async fn export(
    state: Data<&AppState>,
    viewer: Viewer,
    kind: CrmKind,
    QueryString(f): QueryString<Filter>,
) -> AppResult<Response> {
    let spec = kind.0;
    if spec.export.is_empty() {
        return Err(AppError::NotFound);
    }
    let t = spec.kind.info().table;
    let (q, tys) = repo::select(spec);
    let mut q = list::filtered(&state.db, &viewer, spec, &Filter { page: None, ..f }, q).await?;
    q.order_by((t, "id"), Order::Asc).limit(MAX_ROWS + 1);
    let records: Vec<Record> = state.db.fetch_values(&q, &tys).await?.into_iter().map(repo::record_of).collect();
    if records.len() as u64 > MAX_ROWS {
        return Err(AppError::BadRequest(format!(
            "The list holds more than {} rows, more than one export may. Narrow it with the filters (an owner, a department, a search) and export the parts.",
            crate::views::ui::grouped(MAX_ROWS)
        )));
    }
    let rows = rows(&state.db, spec, &records).await?;
    let headers: Vec<&str> = spec.export.to_vec();
    let zone = viewer.tz;
    let sheet = spec.kind.info().plural;
    let bytes = tokio::task::spawn_blocking(move || crate::excel::write_sheet(sheet, &headers, zone, rows))
        .await
        .map_err(|e| AppError::Other(anyhow::anyhow!("export thread: {e}")))??;
    let file = format!("{}_{}_{}.xlsx", sheet.replace(' ', "_"), viewer.username, crate::time::today());
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.replace(['"', '\\'], "_")))
        .body(bytes))
}
