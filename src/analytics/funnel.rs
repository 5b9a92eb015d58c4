//! Sales funnel (§5.2): the deals closed in the last 365 days (inactive, relevant), counted by the
//! stage they ended at, in stage order. Walking down the stages, each row says how many deals
//! ended there and which share of the deals still open before it that is.
//!
//! Stages are per department: in a view of several departments, stages of the same place and name
//! are one row. The original's help says "primary deals only" but it counts every closed deal
//! (§20.9); so does this report, and its footnote says so.

use sea_query::{Expr, ExprTrait, Order, Query};

use super::scope::{Scope, within};
use crate::db::Db;
use crate::error::AppResult;

/// One stage's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub stage: String,
    pub count: i64,
    /// Deals not yet ended before this stage.
    pub remaining: i64,
    /// `count / remaining × 100`, shown as a loss; 100 % (the last stage) is shown as 0 (§5.2).
    pub lost_percent: f64,
}

#[derive(Clone, Debug)]
pub struct Funnel {
    pub total: i64,
    pub steps: Vec<Step>,
}

pub async fn load(db: &Db, s: &Scope) -> AppResult<Funnel> {
    let mut q = Query::select();
    q.from("deals")
        .inner_join("deal_stages", Expr::col(("deal_stages", "id")).equals(("deals", "stage_id")))
        .column(("deal_stages", "index_number"))
        .column(("deal_stages", "name"))
        .expr(Expr::col(("deals", "id")).count())
        .and_where(Expr::col(("deals", "active")).eq(false))
        .and_where(Expr::col(("deals", "relevant")).eq(true))
        .group_by_col(("deal_stages", "index_number"))
        .group_by_col(("deal_stages", "name"))
        .order_by(("deal_stages", "index_number"), Order::Asc)
        .order_by(("deal_stages", "name"), Order::Asc);
    within(&mut q, ("deals", "closing_date"), s.last_year());
    s.narrow(&mut q, "deals", "deals");
    let rows: Vec<(i32, String, i64)> = db.fetch_all(&q).await?;
    Ok(steps(rows.into_iter().map(|(_, n, c)| (n, c)).collect()))
}

/// The rows from (stage, count) in stage order.
pub fn steps(counts: Vec<(String, i64)>) -> Funnel {
    let total: i64 = counts.iter().map(|(_, c)| c).sum();
    let mut remaining = total;
    let mut steps = Vec::with_capacity(counts.len());
    for (stage, count) in counts {
        let pct = if remaining > 0 { count as f64 * 100.0 / remaining as f64 } else { 0.0 };
        let lost_percent = if (pct - 100.0).abs() < f64::EPSILON { 0.0 } else { pct };
        steps.push(Step { stage, count, remaining, lost_percent });
        remaining -= count;
    }
    Funnel { total, steps }
}

/// The table as a sheet (`/analytics/funnel/export`): the same rows as the page.
pub fn sheets(f: &Funnel) -> Vec<crate::excel::Sheet> {
    use crate::excel::Cell;
    let mut rows = vec![vec![Cell::from("Total closed deals"), Cell::Int(f.total)]];
    rows.extend(f.steps.iter().map(|s| {
        vec![
            Cell::from(s.stage.as_str()),
            Cell::Int(s.count),
            Cell::Number((s.lost_percent * 10.0).round() / 10.0),
            Cell::Int(s.remaining),
        ]
    }));
    let headers = ["Stage", "Deals ended here", "Lost at this stage (%)", "Still open before it"];
    vec![crate::excel::Sheet { name: "Sales funnel".into(), headers: headers.map(String::from).to_vec(), rows }]
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_stage_loses_its_share_of_the_deals_still_open() {
        let f = super::steps(vec![("request".into(), 2), ("offer".into(), 3), ("closed".into(), 5)]);
        assert_eq!(f.total, 10);
        let got: Vec<(i64, i64, f64)> = f.steps.iter().map(|s| (s.count, s.remaining, s.lost_percent)).collect();
        assert_eq!(got, vec![(2, 10, 20.0), (3, 8, 37.5), (5, 5, 0.0)]);
    }
}
