//! The counters in the menu (inventory §3.4): a user's active tasks (red: next step overdue), the
//! memos waiting for them, their active deals (red: next step overdue). Asked for after the page is
//! shown (`GET /nav/counts`) and again when one of those kinds changes, so a page costs nothing
//! more. Each count stops at `CAP` ("99+"): bounded work whatever the user's load.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Func, Query, SelectStatement};

use crate::access::ItemKind;
use crate::db::Db;

/// Counts stop here and show "99+".
pub const CAP: u64 = 99;

/// One menu entry's count and the part of it that is overdue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub all: u64,
    pub overdue: u64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub tasks: Count,
    pub memos: Count,
    pub deals: Count,
    /// Pending requests (§3.4), filled by `requests::list::pending_count`.
    pub requests: Count,
    /// The viewer's unsent drafts, all red (§3.4 "outbox (N)"): `emails::list::outbox_count`.
    pub emails: Count,
}

pub async fn bounded(db: &Db, mut q: SelectStatement) -> Result<u64, sqlx::Error> {
    q.limit(CAP + 1);
    let n: Option<i64> = db
        .scalar(
            &Query::select().expr(Func::count(Expr::val(1))).from_subquery(q, sea_query::Alias::new("c")).to_owned(),
        )
        .await?;
    Ok(Ord::max(n.unwrap_or(0), 0) as u64)
}

fn my_tasks(user: i64) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from("participants")
        .inner_join("tasks", Expr::col(("tasks", "id")).equals(("participants", "object_id")))
        .and_where(Expr::col(("participants", "user_id")).eq(user))
        .and_where(Expr::col(("participants", "object_type")).eq("task"))
        .and_where(Expr::col(("participants", "role")).eq("responsible"))
        .and_where(Expr::col(("tasks", "active")).eq(true))
        // A main task whose part the user finished and hid is not theirs to count (§14.1).
        .and_where(crate::tasks::hide::not_hidden_for(user))
        .to_owned()
}

fn my_deals(user: i64) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from("deals")
        .and_where(Expr::col("active").eq(true))
        .and_where(Expr::col("owner_id").eq(user).or(Expr::col("co_owner_id").eq(user)))
        .to_owned()
}

/// The counts of user `user` today (`today` in their zone): all, or only `only`'s. Deals only for
/// those who work with deals.
pub async fn of(
    db: &Db,
    user: i64,
    today: NaiveDate,
    only: Option<ItemKind>,
    deals: bool,
) -> Result<Counts, sqlx::Error> {
    let want = |k| only.is_none_or(|o| o == k);
    let mut out = Counts::default();
    if want(ItemKind::Task) {
        out.tasks = tasks(db, user, today).await?;
    }
    if want(ItemKind::Memo) {
        out.memos = memos(db, user).await?;
    }
    if want(ItemKind::Deal) && deals {
        out.deals = Count {
            all: bounded(db, my_deals(user)).await?,
            overdue: bounded(db, my_deals(user).and_where(Expr::col("next_step_date").lt(today)).to_owned()).await?,
        };
    }
    Ok(out)
}

async fn tasks(db: &Db, user: i64, today: NaiveDate) -> Result<Count, sqlx::Error> {
    Ok(Count {
        all: bounded(db, my_tasks(user)).await?,
        overdue: bounded(db, my_tasks(user).and_where(Expr::col(("tasks", "next_step_date")).lt(today)).to_owned())
            .await?,
    })
}

async fn memos(db: &Db, user: i64) -> Result<Count, sqlx::Error> {
    let memos_q = Query::select()
        .expr(Expr::val(1))
        .from("memos")
        .and_where(Expr::col("recipient_id").eq(user))
        .and_where(Expr::col("stage").eq("pending"))
        .and_where(Expr::col("draft").eq(false))
        .to_owned();
    let pending = bounded(db, memos_q).await?;
    // §3.4: the memos waiting for the user are shown in red.
    Ok(Count { all: pending, overdue: pending })
}
