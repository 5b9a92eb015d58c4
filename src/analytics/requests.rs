//! Requests Summary (§5.4): the requests received in the last 365 days — without duplicates,
//! "case" requests (no payment involved) and requests of a disqualified lead — primary and
//! subsequent, how many of each became a won deal, and the requests (and those with a relevant
//! deal) per receipt month.
//!
//! Won (§5.4): the request's deal has a success closing reason, or stands at a success or
//! conditional-success stage.

use chrono::NaiveDate;
use sea_query::{Cond, Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};

use super::scope::{Scope, bucket, within};
use crate::crm::period::Range;
use crate::db::Db;
use crate::error::AppResult;

#[derive(Clone, Debug, Default)]
pub struct RequestSummary {
    pub months: Vec<NaiveDate>,
    pub primary: i64,
    pub primary_won: i64,
    pub subsequent: i64,
    pub subsequent_won: i64,
    pub monthly: Vec<i64>,
    pub monthly_relevant: Vec<i64>,
}

impl RequestSummary {
    pub fn total(&self) -> i64 {
        self.primary + self.subsequent
    }
}

/// The base set (§5.4) joined to its deal, the deal's closing reason and stage.
fn base(s: &Scope) -> SelectStatement {
    let mut q = Query::select();
    q.from("requests")
        .left_join("leads", Expr::col(("leads", "id")).equals(("requests", "lead_id")))
        .left_join("deals", Expr::col(("deals", "id")).equals(("requests", "deal_id")))
        .left_join("closing_reasons", Expr::col(("closing_reasons", "id")).equals(("deals", "closing_reason_id")))
        .left_join("deal_stages", Expr::col(("deal_stages", "id")).equals(("deals", "stage_id")))
        .and_where(Expr::col(("requests", "duplicate")).eq(false))
        .and_where(Expr::col(("requests", "is_case")).eq(false))
        .cond_where(
            Cond::any().add(Expr::col(("leads", "id")).is_null()).add(Expr::col(("leads", "disqualified")).eq(false)),
        );
    s.narrow(&mut q, "requests", "requests");
    q
}

fn won() -> SimpleExpr {
    Cond::any()
        .add(Expr::col(("closing_reasons", "success_reason")).eq(true))
        .add(Expr::col(("deal_stages", "success_stage")).eq(true))
        .add(Expr::col(("deal_stages", "conditional_success_stage")).eq(true))
        .into()
}

fn count_if(cond: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::case(cond, 1).finally(0)), "BIGINT").into()
}

pub async fn load(db: &Db, s: &Scope) -> AppResult<RequestSummary> {
    let receipt = ("requests", "receipt_date");
    let mut q = base(s);
    within(&mut q, receipt, s.last_year());
    q.column(("requests", "subsequent"))
        .expr(Expr::col(("requests", "id")).count())
        .expr(count_if(won()))
        .group_by_col(("requests", "subsequent"));
    let rows: Vec<(bool, i64, Option<i64>)> = db.fetch_all(&q).await?;
    let starts = s.months(12);
    let mut out = RequestSummary { months: starts[..12].to_vec(), ..Default::default() };
    for (subsequent, n, won) in rows {
        if subsequent {
            (out.subsequent, out.subsequent_won) = (n, won.unwrap_or(0));
        } else {
            (out.primary, out.primary_won) = (n, won.unwrap_or(0));
        }
    }
    let mut m = base(s);
    within(&mut m, receipt, Range { from: starts.first().copied(), before: s.today.succ_opt() });
    let key = bucket(receipt, &starts);
    m.expr(key)
        .expr(Expr::col(("requests", "id")).count())
        .expr(count_if(Expr::col(("deals", "relevant")).eq(true)))
        .add_group_by([super::scope::nth(1)]);
    let rows: Vec<(i64, i64, Option<i64>)> = db.fetch_all(&m).await?;
    (out.monthly, out.monthly_relevant) = (vec![0; 12], vec![0; 12]);
    for (i, n, r) in rows {
        if let (Some(a), Some(b)) = (out.monthly.get_mut(i as usize), out.monthly_relevant.get_mut(i as usize)) {
            (*a, *b) = (n, r.unwrap_or(0));
        }
    }
    Ok(out)
}
