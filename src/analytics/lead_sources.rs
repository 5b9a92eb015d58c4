//! Lead source Summary (§5.5): the requests of the viewer's departments per lead source, received
//! in the last 365 days and ever, each with its share of all requests of that period; requests
//! without a source ("Not specified") and the total. With one source chosen, its requests per
//! month.
//!
//! Which requests: those every request-based report counts (`requests::received`: no duplicates,
//! no "case" requests), of the departments of the view, whoever owns them (the report has no owner
//! filter, as the original). Requests of disqualified leads count: the report measures where
//! requests come from, not what became of them.
//!
//! Fixed from the original (§20; the footnote says so): the last 365 days are counted by receipt
//! date (the original used the creation date for the table, the receipt date for the chart), a
//! share is of all requests of the period even when one source is chosen (the original's total
//! shrank to that source and "Not specified"), and lead sources are one row per name in a view of
//! several departments (each department has its own "website form").

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Func, Order, Query};

use super::requests::{count_if, in_range, received};
use super::scope::{Scope, bucket, within};
use crate::crm::period::Range;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// One source's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRow {
    pub name: String,
    pub year: i64,
    pub all: i64,
}

#[derive(Clone, Debug, Default)]
pub struct LeadSources {
    /// The sources shown (all of the view's, or the chosen one), most requests of the last 365
    /// days first, then by name.
    pub rows: Vec<SourceRow>,
    /// Requests without a source: (last 365 days, all period).
    pub not_specified: (i64, i64),
    /// Every request counted: (last 365 days, all period), the 100 % of the shares.
    pub total: (i64, i64),
    /// The chosen source's name.
    pub chosen: Option<String>,
    /// With a chosen source: its requests per receipt month (12 bars).
    pub months: Vec<NaiveDate>,
    pub monthly: Vec<i64>,
}

/// The report counts every owner's requests: the scope without its owner.
fn unowned(s: &Scope) -> Scope {
    Scope { owner: None, ..s.clone() }
}

/// The lead sources of the view's departments, one per name (the smallest id of a name stands
/// for it), by name: the filter's choices.
pub async fn choices(db: &Db, s: &Scope) -> AppResult<Vec<(i64, String)>> {
    let mut q = Query::select();
    q.expr(Func::min(Expr::col("id")))
        .column("name")
        .from("lead_sources")
        .group_by_col("name")
        .order_by("name", Order::Asc)
        .limit(500);
    if let Some(ds) = &s.departments {
        q.and_where(Expr::col("department_id").is_in(ds.iter().copied()));
    }
    Ok(db.fetch_all(&q).await?)
}

/// The `source` filter: "" none; a number that is not a lead source of the view's departments is
/// ignored (so a source of another department names nothing); anything else is a 400.
pub async fn chosen(db: &Db, s: &Scope, source: &str) -> AppResult<Option<String>> {
    let source = source.trim();
    if source.is_empty() {
        return Ok(None);
    }
    let id: i64 = source.parse().map_err(|_| AppError::BadRequest("The lead source filter is not a number.".into()))?;
    let mut q = Query::select();
    q.column("name").from("lead_sources").and_where(Expr::col("id").eq(id));
    if let Some(ds) = &s.departments {
        q.and_where(Expr::col("department_id").is_in(ds.iter().copied()));
    }
    Ok(db.scalar(&q).await?)
}

pub async fn load(db: &Db, s: &Scope, chosen: Option<String>) -> AppResult<LeadSources> {
    let s = unowned(s);
    let receipt = ("requests", "receipt_date");
    let mut q = received(&s);
    q.left_join("lead_sources", Expr::col(("lead_sources", "id")).equals(("requests", "lead_source_id")))
        .column(("lead_sources", "name"))
        .expr(count_if(in_range(receipt, s.last_year())))
        .expr(Expr::col(("requests", "id")).count())
        .group_by_col(("lead_sources", "name"));
    let found: Vec<(Option<String>, Option<i64>, i64)> = db.fetch_all(&q).await?;
    let mut counts: BTreeMap<String, (i64, i64)> =
        choices(db, &s).await?.into_iter().map(|(_, name)| (name, (0, 0))).collect();
    let mut out = LeadSources { chosen: chosen.clone(), ..Default::default() };
    for (name, year, all) in found {
        let year = year.unwrap_or(0);
        out.total = (out.total.0 + year, out.total.1 + all);
        match name {
            Some(n) => {
                let c = counts.entry(n).or_default();
                (c.0, c.1) = (c.0 + year, c.1 + all);
            }
            None => out.not_specified = (year, all),
        }
    }
    out.rows = counts
        .into_iter()
        .filter(|(name, _)| chosen.as_ref().is_none_or(|c| c == name))
        .map(|(name, (year, all))| SourceRow { name, year, all })
        .collect();
    // Stable: names stay in order among equal counts.
    out.rows.sort_by_key(|r| std::cmp::Reverse(r.year));
    if let Some(name) = chosen {
        let starts = s.months(12);
        let mut m = received(&s);
        m.inner_join("lead_sources", Expr::col(("lead_sources", "id")).equals(("requests", "lead_source_id")))
            .and_where(Expr::col(("lead_sources", "name")).eq(name));
        within(&mut m, receipt, Range { from: starts.first().copied(), before: s.today.succ_opt() });
        m.expr(bucket(receipt, &starts))
            .expr(Expr::col(("requests", "id")).count())
            .add_group_by([super::scope::nth(1)]);
        let rows: Vec<(i64, i64)> = db.fetch_all(&m).await?;
        out.monthly = vec![0; 12];
        for (i, n) in rows {
            if let Some(v) = usize::try_from(i).ok().and_then(|i| out.monthly.get_mut(i)) {
                *v = n;
            }
        }
        out.months = starts[..12].to_vec();
    }
    Ok(out)
}

/// The page's tables as sheets (`/analytics/lead-sources/export`).
pub fn sheets(l: &LeadSources) -> Vec<crate::excel::Sheet> {
    use super::requests::ratio;
    use crate::excel::{Cell, Sheet};
    let row = |name: &str, (year, all): (i64, i64)| {
        vec![
            Cell::from(name),
            Cell::Int(year),
            Cell::Number(ratio(year, l.total.0)),
            Cell::Int(all),
            Cell::Number(ratio(all, l.total.1)),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = l.rows.iter().map(|r| row(&r.name, (r.year, r.all))).collect();
    rows.push(row("Not specified", l.not_specified));
    rows.push(row("Total requests", l.total));
    let headers =
        ["Source", "For last 365 days", "Share, last 365 days (%)", "For all period", "Share, all period (%)"];
    let mut out =
        vec![Sheet { name: "Requests for each source".into(), headers: headers.map(String::from).to_vec(), rows }];
    if l.chosen.is_some() {
        let rows = l
            .months
            .iter()
            .zip(&l.monthly)
            .map(|(m, n)| vec![Cell::from(super::scope::month_label(*m)), Cell::Int(*n)])
            .collect();
        out.push(Sheet { name: "Requests over month".into(), headers: vec!["Month".into(), "Requests".into()], rows });
    }
    out
}
