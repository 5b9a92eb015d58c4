//! Deal Summary (§5.8): deals by the receipt month of their request (total, relevant,
//! irrelevant), the deals won in the last 365 days by closing month, and the average number of
//! days from a deal's creation to its win.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};

use super::scope::{Scope, bucket, within};
use crate::db::{Backend, Db};
use crate::error::AppResult;

#[derive(Clone, Debug)]
pub struct DealSummary {
    pub months: Vec<NaiveDate>,
    /// Deals whose request arrived in the last 365 days, and the relevant ones among them.
    pub total: i64,
    pub relevant: i64,
    /// Per month of the charts (by request receipt month).
    pub monthly_total: Vec<i64>,
    pub monthly_relevant: Vec<i64>,
    pub won: i64,
    pub monthly_won: Vec<i64>,
    /// Mean whole days from creation to the win, over the won deals that have a win time.
    pub average_days: Option<f64>,
}

fn with_requests(s: &Scope, backend: Backend) -> SelectStatement {
    let mut q = Query::select();
    // With an owner, the owner's deals first (`scope::drive`); else the year's requests by date.
    let on = Expr::col(("requests", "id")).equals(("deals", "request_id"));
    q.from("deals");
    if s.owner.is_some() {
        super::scope::drive(&mut q, backend, "requests", "requests", on);
    } else {
        q.inner_join("requests", on);
    }
    s.narrow(&mut q, "deals", "deals");
    q
}

fn count_if(cond: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::case(cond, 1).finally(0)), "BIGINT").into()
}

/// Whole days from `created_at` to `win_closing_date` (a constant expression per backend).
fn days_to_win(backend: Backend) -> SimpleExpr {
    match backend {
        Backend::Sqlite => Expr::cust(
            "CAST(julianday(\"deals\".\"win_closing_date\") - julianday(\"deals\".\"created_at\") AS INTEGER)",
        ),
        Backend::Postgres => {
            Expr::cust("CAST(EXTRACT(DAY FROM (\"deals\".\"win_closing_date\" - \"deals\".\"created_at\")) AS BIGINT)")
        }
    }
}

/// "Last 365 days" cut at the charts' month starts: its first day, the twelve months' first days,
/// and tomorrow. Each figure is one query grouped by segment: the year's totals add every segment,
/// a month's bar is the segment that starts on its first day (the first segment holds the days of
/// the year before the first bar).
fn segments(s: &Scope, starts: &[NaiveDate]) -> Vec<NaiveDate> {
    let year = s.last_year();
    let mut points: Vec<NaiveDate> = starts.iter().take(12).copied().collect();
    points.extend(year.from);
    points.extend(year.before);
    points.sort_unstable();
    points.dedup();
    points
}

/// The bar (0–11) of segment `seg`, if it starts one.
fn bar(points: &[NaiveDate], starts: &[NaiveDate], seg: i64) -> Option<usize> {
    let start = points.get(usize::try_from(seg).ok()?)?;
    starts.iter().take(12).position(|m| m == start)
}

pub async fn load(db: &Db, s: &Scope) -> AppResult<DealSummary> {
    let starts = s.months(12);
    let points = segments(s, &starts);
    let receipt = ("requests", "receipt_date");
    let relevant = Expr::col(("deals", "relevant")).eq(true);
    let mut by_receipt = with_requests(s, db.backend());
    within(&mut by_receipt, receipt, s.last_year());
    by_receipt
        .expr(bucket(receipt, &points))
        .expr(Expr::col(("deals", "id")).count())
        .expr(count_if(relevant))
        .add_group_by([super::scope::nth(1)]);
    let rows: Vec<(i64, i64, Option<i64>)> = db.fetch_all(&by_receipt).await?;
    let (mut total, mut relevant_n) = (0i64, 0i64);
    let (mut monthly_total, mut monthly_relevant) = (vec![0; 12], vec![0; 12]);
    for (seg, t, r) in rows {
        total += t;
        relevant_n += r.unwrap_or(0);
        if let Some(m) = bar(&points, &starts, seg) {
            monthly_total[m] = t;
            monthly_relevant[m] = r.unwrap_or(0);
        }
    }

    // Won in the last 365 days (`income::won`), by closing date.
    let closing = ("deals", "closing_date");
    let mut won = super::income::won(s);
    won.expr(bucket(closing, &points))
        .expr(Expr::col(("deals", "id")).count())
        .expr(Expr::col(("deals", "win_closing_date")).count())
        .expr(Func::cast_as(Func::sum(days_to_win(db.backend())), "BIGINT"))
        .add_group_by([super::scope::nth(1)]);
    let rows: Vec<(i64, i64, i64, Option<i64>)> = db.fetch_all(&won).await?;
    let (mut won_n, mut timed, mut days) = (0i64, 0i64, 0i64);
    let mut monthly_won = vec![0; 12];
    for (seg, n, t, d) in rows {
        won_n += n;
        timed += t;
        days += d.unwrap_or(0);
        if let Some(m) = bar(&points, &starts, seg) {
            monthly_won[m] = n;
        }
    }
    Ok(DealSummary {
        months: starts[..12].to_vec(),
        total,
        relevant: relevant_n,
        monthly_total,
        monthly_relevant,
        won: won_n,
        monthly_won,
        average_days: (timed > 0).then(|| days as f64 / timed as f64),
    })
}

/// The page's figures as sheets (`/analytics/deals/export`): the summary and the charts' months.
pub fn sheets(d: &DealSummary) -> Vec<crate::excel::Sheet> {
    use crate::excel::{Cell, Sheet};
    let average = d.average_days.map(|a| Cell::Number((a * 10.0).round() / 10.0)).unwrap_or(Cell::Empty);
    let summary = vec![
        vec![Cell::from("Total deals"), Cell::Int(d.total)],
        vec![Cell::from("Relevant deals"), Cell::Int(d.relevant)],
        vec![Cell::from("Closed successfully (primary)"), Cell::Int(d.won)],
        vec![Cell::from("Average days to close successfully (primary)"), average],
    ];
    let monthly = d
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (t, r) = (d.monthly_total[i], d.monthly_relevant[i]);
            vec![
                Cell::from(super::scope::month_label(*m)),
                Cell::Int(t),
                Cell::Int(t - r),
                Cell::Int(r),
                Cell::Int(d.monthly_won[i]),
            ]
        })
        .collect();
    let headers = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        Sheet { name: "Deal Summary".into(), headers: headers(&["Figure", "Value"]), rows: summary },
        Sheet {
            name: "Deals monthly".into(),
            headers: headers(&["Month", "Total deals", "Irrelevant deals", "Relevant deals", "Won deals"]),
            rows: monthly,
        },
    ]
}
