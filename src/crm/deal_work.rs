//! Memos and tasks made from a deal (§12.5 "Office memo +", the Tasks section: "a memo made from a
//! deal shows a View deal button"). A memo or task keeps the deal in `deal_id` (migration 8); the
//! deal page lists those the viewer may see, live; their pages link back to the deal for whoever
//! may view it. The link is set once, when the memo or task is made, and only to a deal its maker
//! may view.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use crate::access::{self, Action, ItemKind, ListKind, Viewer};
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::items;
use crate::views;

/// How many memos (and tasks) the deal page lists, newest first.
pub const SHOWN: u64 = 10;

/// The deal a new memo or task form names (`deal_id`), if the viewer may view it: None for an
/// empty field, a message for any other value.
pub async fn check(db: &Db, v: &Viewer, raw: &str) -> AppResult<Result<Option<(i64, String)>, FormErrors>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Ok(None));
    }
    let refused = || {
        let mut errs = FormErrors::default();
        errs.add("deal_id", "That deal does not exist or is not yours to see.");
        Ok(Err(errs))
    };
    let Ok(id) = raw.parse::<i64>() else { return refused() };
    match items::load(db, v, ItemKind::Deal, id, Action::View).await {
        Ok(it) => Ok(Ok(Some((id, it.title)))),
        Err(AppError::NotFound | AppError::Forbidden) => refused(),
        Err(e) => Err(e),
    }
}

/// Links a memo or task just made to its deal, in the creating transaction, and says so in the
/// deal's history.
pub async fn link(
    tx: &mut Tx,
    kind: ItemKind,
    id: i64,
    title: &str,
    deal: i64,
    actor: &crate::history::Actor,
) -> AppResult<()> {
    let table = kind.info().table;
    tx.execute(&Query::update().table(table).value("deal_id", deal).and_where(Expr::col("id").eq(id)).to_owned())
        .await?;
    let said = format!("{} “{title}” made from this deal", kind.label());
    crate::history::record(
        tx,
        actor,
        ItemKind::Deal.slug(),
        deal,
        crate::history::Change::Update,
        &said,
        &Default::default(),
    )
    .await?;
    Ok(())
}

/// The deal a memo or task was made from, with its name, if `v` may view it ("View deal").
pub async fn deal_for(db: &Db, v: &Viewer, kind: ItemKind, id: i64) -> AppResult<Option<(i64, String)>> {
    let table = kind.info().table;
    let deal: Option<Option<i64>> =
        db.scalar(Query::select().column("deal_id").from(table).and_where(Expr::col("id").eq(id))).await?;
    let Some(deal) = deal.flatten() else { return Ok(None) };
    match items::load(db, v, ItemKind::Deal, deal, Action::View).await {
        Ok(it) => Ok(Some((deal, it.title))),
        Err(AppError::NotFound | AppError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One memo or task in the deal's panel.
#[derive(Debug, sqlx::FromRow)]
pub struct Linked {
    pub id: i64,
    pub name: String,
    pub stage: String,
}

/// The deal's memos and tasks `v` may see (access::scope decides, as in their own lists), newest
/// first, at most `SHOWN` of each, and whether there are more.
pub struct Work {
    pub deal: i64,
    pub memos: Vec<Linked>,
    pub tasks: Vec<Linked>,
    pub more_memos: bool,
    pub more_tasks: bool,
}

async fn linked(db: &Db, v: &Viewer, kind: ItemKind, deal: i64) -> AppResult<(Vec<Linked>, bool)> {
    let (table, list) = match kind {
        ItemKind::Memo => ("memos", ListKind::Memos),
        _ => ("tasks", ListKind::Tasks),
    };
    let mut q = Query::select();
    q.columns([(table, "id"), (table, "name"), (table, "stage")])
        .from(table)
        .and_where(Expr::col((table, "deal_id")).eq(deal))
        .order_by((table, "id"), Order::Desc)
        .limit(SHOWN + 1);
    access::scope(v, list, &mut q)?;
    let mut rows: Vec<Linked> = db.fetch_all(&q).await?;
    let more = rows.len() as u64 > SHOWN;
    rows.truncate(SHOWN as usize);
    Ok((rows, more))
}

pub async fn work(db: &Db, v: &Viewer, deal: i64) -> AppResult<Work> {
    let (memos, more_memos) = linked(db, v, ItemKind::Memo, deal).await?;
    let (tasks, more_tasks) = linked(db, v, ItemKind::Task, deal).await?;
    Ok(Work { deal, memos, tasks, more_memos, more_tasks })
}

/// `GET /deals/:id/work`: the deal page's panel of memos and tasks (its live region re-fetches it).
#[handler]
pub async fn panel(state: Data<&AppState>, viewer: Viewer, Path(id): Path<i64>) -> AppResult<Response> {
    items::load(&state.db, &viewer, ItemKind::Deal, id, Action::View).await?;
    let w = work(&state.db, &viewer, id).await?;
    Ok(views::deals::work(&w).into_response())
}
