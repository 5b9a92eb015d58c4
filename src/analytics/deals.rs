//! Deal Summary (§5.8): deals by the receipt month of their request (total, relevant,
//! irrelevant), the deals won in the last 365 days by closing month, and the average number of
//! days from a deal's creation to its win.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};

use super::scope::{Scope, bucket, within};
use crate::crm::period::Range;
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

fn with_requests(s: &Scope) -> SelectStatement {
    let mut q = Query::select();
    q.from("deals").inner_join("requests", Expr::col(("requests", "id")).equals(("deals", "request_id")));
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

pub async fn load(db: &Db, s: &Scope) -> AppResult<DealSummary> {
    let starts = s.months(12);
    let receipt = ("requests", "receipt_date");
    let relevant = Expr::col(("deals", "relevant")).eq(true);
    let mut totals = with_requests(s);
    within(&mut totals, receipt, s.last_year());
    totals.expr(Expr::col(("deals", "id")).count()).expr(count_if(relevant.clone()));
    let (total, relevant_n): (i64, Option<i64>) = db.fetch_optional(&totals).await?.unwrap_or_default();

    let mut monthly = with_requests(s);
    within(&mut monthly, receipt, Range { from: starts.first().copied(), before: s.today.succ_opt() });
    let key = bucket(receipt, &starts);
    monthly
        .expr(key)
        .expr(Expr::col(("deals", "id")).count())
        .expr(count_if(relevant))
        .add_group_by([super::scope::nth(1)]);
    let rows: Vec<(i64, i64, Option<i64>)> = db.fetch_all(&monthly).await?;
    let (mut monthly_total, mut monthly_relevant) = (vec![0; 12], vec![0; 12]);
    for (m, t, r) in rows {
        if let (Some(a), Some(b)) = (monthly_total.get_mut(m as usize), monthly_relevant.get_mut(m as usize)) {
            *a = t;
            *b = r.unwrap_or(0);
        }
    }

    let mut won = super::income::won(s);
    won.expr(Expr::col(("deals", "id")).count())
        .expr(Expr::col(("deals", "win_closing_date")).count())
        .expr(Func::cast_as(Func::sum(days_to_win(db.backend())), "BIGINT"));
    let (won_n, timed, days): (i64, i64, Option<i64>) = db.fetch_optional(&won).await?.unwrap_or_default();

    let mut by_month = super::income::won(s);
    let closing = ("deals", "closing_date");
    by_month.and_where(Expr::col(closing).gte(starts[0]));
    let key = bucket(closing, &starts);
    by_month.expr(key).expr(Expr::col(("deals", "id")).count()).add_group_by([super::scope::nth(1)]);
    let rows: Vec<(i64, i64)> = db.fetch_all(&by_month).await?;
    let mut monthly_won = vec![0; 12];
    for (m, n) in rows {
        if let Some(a) = monthly_won.get_mut(m as usize) {
            *a = n;
        }
    }
    Ok(DealSummary {
        months: starts[..12].to_vec(),
        total,
        relevant: relevant_n.unwrap_or(0),
        monthly_total,
        monthly_relevant,
        won: won_n,
        monthly_won,
        average_days: (timed > 0).then(|| days.unwrap_or(0) as f64 / timed as f64),
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
