//! Closing reason Summary (§5.7): the deals closed (inactive) and relevant, of all time, counted by
//! closing reason, optionally only those with a line item of one product. With one reason chosen:
//! its deals by the receipt month of their request over the last twelve months, and per country
//! over the last 365 days; otherwise the countries of every closed relevant deal.
//!
//! Closing reasons belong to departments, which share their names: in a view of several
//! departments a name is one row, and choosing a reason chooses its name. Differences from
//! Django-CRM (the footnote says so): a deal counts once however many lines of the product it has;
//! deals without a closing reason get their own row, so the rows add up to the total; and with a
//! reason chosen, the chart and the country list count the same deals (the original's list took
//! the deals created in the last 365 days, its chart filtered on the request's creation date).

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};

use super::scope::{self, Scope, bucket, within};
use crate::access::{self, Viewer};
use crate::crm::period::Range;
use crate::db::Db;
use crate::error::{AppError, AppResult};

/// The row of deals closed without a reason.
pub const NO_REASON: &str = "No closing reason";
/// The row of deals without a country.
pub const NO_COUNTRY: &str = "Not specified";

#[derive(Clone, Debug)]
pub struct ClosingReasons {
    /// Closed relevant deals (the product's, when chosen).
    pub total: i64,
    /// (reason, deals), most deals first; only the chosen reason's when one is chosen.
    pub rows: Vec<(String, i64)>,
    /// The chosen reason.
    pub reason: Option<String>,
    pub product: Option<String>,
    /// The chart's months (first days), with the chosen reason's deals per month.
    pub months: Vec<NaiveDate>,
    pub monthly: Option<Vec<i64>>,
    /// (country, deals), most first.
    pub countries: Vec<(String, i64)>,
}

/// The chosen reason: a closing reason of a department whose data the viewer's reports count
/// (400 otherwise, without naming it).
pub async fn reason(db: &Db, v: &Viewer, raw: &str) -> AppResult<Option<String>> {
    let id: i64 = match raw.trim() {
        "" => return Ok(None),
        r => r.parse().map_err(|_| AppError::BadRequest("The closing reason filter is not a number.".into()))?,
    };
    let mut q = Query::select();
    q.column("name").from("closing_reasons").and_where(Expr::col("id").eq(id));
    if let Some(ds) = access::report_departments(v) {
        q.and_where(Expr::col("department_id").is_in(ds.iter().copied()));
    }
    let name: Option<String> = db.scalar(&q).await?;
    name.map(Some).ok_or_else(|| {
        AppError::BadRequest("The closing reason filter is not one of your departments' closing reasons.".into())
    })
}

/// The reason filter's choices: one per name among the scope's departments (its smallest id, or
/// `chosen` for the chosen name, so the choice shows as selected).
pub async fn reason_choices(db: &Db, s: &Scope, chosen: (&str, Option<&str>)) -> AppResult<Vec<(i64, String)>> {
    let mut q = Query::select();
    q.expr(Func::min(Expr::col("id")))
        .column("name")
        .from("closing_reasons")
        .group_by_col("name")
        .order_by("name", Order::Asc);
    if let Some(ds) = &s.departments {
        q.and_where(Expr::col("department_id").is_in(ds.iter().copied()));
    }
    let mut rows: Vec<(i64, String)> = db.fetch_all(&q).await?;
    if let (raw, Some(name)) = chosen
        && let Ok(id) = raw.trim().parse::<i64>()
    {
        for r in rows.iter_mut().filter(|r| r.1 == name) {
            r.0 = id;
        }
    }
    Ok(rows)
}

/// The product filter's choices: the products of the scope's departments.
pub async fn product_choices(db: &Db, s: &Scope) -> AppResult<Vec<(i64, String)>> {
    let mut q = Query::select();
    q.column("id").column("name").from("products").order_by("name", Order::Asc).order_by("id", Order::Asc).limit(500);
    if let Some(ds) = &s.departments {
        q.and_where(Expr::col("department_id").is_in(ds.iter().copied()));
    }
    Ok(db.fetch_all(&q).await?)
}

/// The closed relevant deals of the scope (with a line of `product` when given).
fn closed(s: &Scope, product: Option<i64>) -> SelectStatement {
    let mut q = Query::select();
    q.from("deals")
        .and_where(Expr::col(("deals", "relevant")).eq(true))
        .and_where(Expr::col(("deals", "active")).eq(false));
    s.narrow(&mut q, "deals", "deals");
    if let Some(p) = product {
        q.and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from("outputs")
                .and_where(Expr::col(("outputs", "deal_id")).equals(("deals", "id")))
                .and_where(Expr::col(("outputs", "product_id")).eq(p))
                .to_owned(),
        ));
    }
    q
}

/// Narrows `q` (closed deals) to the reason `name`'s, whose request arrived in `range`.
fn of_reason(q: &mut SelectStatement, name: &str, range: Range) {
    q.inner_join("closing_reasons", Expr::col(("closing_reasons", "id")).equals(("deals", "closing_reason_id")))
        .inner_join("requests", Expr::col(("requests", "id")).equals(("deals", "request_id")))
        .and_where(Expr::col(("closing_reasons", "name")).eq(name));
    within(q, ("requests", "receipt_date"), range);
}

pub async fn load(
    db: &Db,
    s: &Scope,
    product: Option<(i64, String)>,
    reason: Option<String>,
) -> AppResult<ClosingReasons> {
    let pid = product.as_ref().map(|p| p.0);
    let mut q = closed(s, pid);
    q.left_join("closing_reasons", Expr::col(("closing_reasons", "id")).equals(("deals", "closing_reason_id")))
        .column(("closing_reasons", "name"))
        .expr(Expr::col(("deals", "id")).count())
        .group_by_col(("closing_reasons", "name"));
    let counts: Vec<(Option<String>, i64)> = db.fetch_all(&q).await?;
    let total = counts.iter().map(|c| c.1).sum();
    let mut rows: Vec<(String, i64)> =
        counts.into_iter().map(|(n, c)| (n.unwrap_or_else(|| NO_REASON.to_string()), c)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let months = s.months(12);
    let mut monthly = None;
    let mut c = closed(s, pid);
    if let Some(name) = &reason {
        rows.retain(|r| &r.0 == name);
        if rows.is_empty() {
            rows.push((name.clone(), 0));
        }
        let col = ("requests", "receipt_date");
        let mut m = closed(s, pid);
        of_reason(&mut m, name, Range { from: months.first().copied(), before: months.last().copied() });
        m.expr(bucket(col, &months)).expr(Expr::col(("deals", "id")).count()).add_group_by([scope::nth(1)]);
        let per: Vec<(i64, i64)> = db.fetch_all(&m).await?;
        let mut bars = vec![0i64; months.len().saturating_sub(1)];
        for (i, n) in per {
            if let Some(b) = bars.get_mut(i as usize) {
                *b += n;
            }
        }
        monthly = Some(bars);
        of_reason(&mut c, name, s.last_year());
    }
    c.left_join("countries", Expr::col(("countries", "id")).equals(("deals", "country_id")))
        .column(("countries", "name"))
        .expr(Expr::col(("deals", "id")).count())
        .group_by_col(("countries", "id"))
        .group_by_col(("countries", "name"));
    let per_country: Vec<(Option<String>, i64)> = db.fetch_all(&c).await?;
    let mut countries: Vec<(String, i64)> =
        per_country.into_iter().map(|(n, c)| (n.unwrap_or_else(|| NO_COUNTRY.to_string()), c)).collect();
    countries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ClosingReasons {
        total,
        rows,
        reason,
        product: product.map(|p| p.1),
        months: months[..months.len().saturating_sub(1)].to_vec(),
        monthly,
        countries,
    })
}

/// "12.5%" of `of` (one decimal; 0% of nothing).
pub fn percent(part: i64, of: i64) -> String {
    if of == 0 { "0%".into() } else { format!("{:.1}%", part as f64 * 100.0 / of as f64) }
}

/// The page's tables as sheets (`/analytics/closing-reasons/export`).
pub fn sheets(d: &ClosingReasons) -> Vec<crate::excel::Sheet> {
    use crate::excel::{Cell, Sheet};
    let share = |n: i64| {
        if d.total == 0 { Cell::Number(0.0) } else { Cell::Number((n as f64 * 1000.0 / d.total as f64).round() / 10.0) }
    };
    let mut reasons = vec![vec![Cell::from("Total requests"), Cell::Int(d.total), Cell::Number(100.0)]];
    reasons.extend(d.rows.iter().map(|(r, n)| vec![Cell::from(r.as_str()), Cell::Int(*n), share(*n)]));
    let mut out = vec![Sheet {
        name: "Closing reasons".into(),
        headers: vec!["Closing reason".into(), "Deals".into(), "Share (%)".into()],
        rows: reasons,
    }];
    if let Some(m) = &d.monthly {
        out.push(Sheet {
            name: "Closing reason over month".into(),
            headers: vec!["Month".into(), "Deals".into()],
            rows: d
                .months
                .iter()
                .zip(m)
                .map(|(d, n)| vec![Cell::from(scope::month_label(*d)), Cell::Int(*n)])
                .collect(),
        });
    }
    out.push(Sheet {
        name: "Requests over country".into(),
        headers: vec!["Country".into(), "Deals".into()],
        rows: d.countries.iter().map(|(c, n)| vec![Cell::from(c.as_str()), Cell::Int(*n)]).collect(),
    });
    out
}
