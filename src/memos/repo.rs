//! Queries on memos. Writes record history in the caller's transaction.

use std::collections::HashMap;

use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr};

use super::model::{Memo, MemoFilter, MemoInput, MemoStage, Memos, purpose_label};
use crate::access::{self, ItemKind, ListKind, Viewer};
use crate::db::{self, Db, Tx};
use crate::error::AppResult;
use crate::history::{self, Actor, Change, Diff};
use crate::paging::{self, Paged, Total};
use crate::participants::{self, PRole, Parts};
use crate::tasks::repo::people_text;

const COLS: [Memos; 13] = [
    Memos::Id,
    Memos::Name,
    Memos::Draft,
    Memos::RecipientId,
    Memos::Purpose,
    Memos::Description,
    Memos::Stage,
    Memos::OwnerId,
    Memos::TaskId,
    Memos::ProjectId,
    Memos::ReviewedAt,
    Memos::CreatedAt,
    Memos::UpdatedAt,
];

fn select() -> SelectStatement {
    Query::select().columns(COLS.map(|c| (Memos::Table, c))).from(Memos::Table).to_owned()
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Memo>, sqlx::Error> {
    db.fetch_optional(select().and_where(Expr::col((Memos::Table, Memos::Id)).eq(id))).await
}

/// Memos linked to a task (their "View task" buttons change with it).
pub async fn linked_to_task(db: &Db, task: i64) -> Result<Vec<Memo>, sqlx::Error> {
    db.fetch_all(select().and_where(Expr::col((Memos::Table, Memos::TaskId)).eq(task))).await
}

/// One page of the memos `v` may see.
pub async fn list(db: &Db, v: &Viewer, f: &MemoFilter) -> AppResult<Paged<Memo>> {
    let page = paging::page_number(f.page);
    let mut q = searched(db, v, f).await?;
    list_columns(&mut q)
        .order_by((Memos::Table, Memos::Id), Order::Desc)
        .limit(paging::WINDOW)
        .offset(paging::offset(page));
    Ok(Paged::window(db.fetch_all(&q).await?, page))
}

/// The first `n` (at most a page) of the list `f` asks for, and in `more` whether that list runs
/// past one page: what a home page panel shows, without reading a whole page of rows.
pub async fn first(db: &Db, v: &Viewer, f: &MemoFilter, n: u64) -> AppResult<Paged<Memo>> {
    let n = Ord::min(n, paging::PER_PAGE);
    let base = searched(db, v, f).await?;
    let mut q = base.clone();
    list_columns(&mut q).order_by((Memos::Table, Memos::Id), Order::Desc).limit(n);
    let mut page = Paged::window(db.fetch_all(&q).await?, 1);
    if page.items.len() as u64 == n {
        let upto = base.clone().column((Memos::Table, Memos::Id)).limit(paging::WINDOW).to_owned();
        let count: i64 = db
            .scalar(Query::select().expr(Expr::col(("c", "id")).count()).from_subquery(upto, "c"))
            .await?
            .unwrap_or(0);
        page.more = count as u64 > paging::PER_PAGE;
    }
    Ok(page)
}

/// Selects the columns of `memos` that lists show: all but the description, left (possibly long) in
/// the database and read as "".
fn list_columns(q: &mut SelectStatement) -> &mut SelectStatement {
    q.columns(COLS.into_iter().filter(|c| !matches!(c, Memos::Description)).map(|c| (Memos::Table, c)))
        .expr_as(Expr::val(""), "description")
}

/// `FROM memos` with the visibility scope of `v` and the filters of `f`: no columns, order or limit;
/// its text matched by reading every row (`searched` asks the search index first).
pub fn filtered(v: &Viewer, f: &MemoFilter) -> AppResult<SelectStatement> {
    let text = f.q.trim();
    let cond = (!text.is_empty()).then(|| {
        let pat = db::like_pattern(&text.to_lowercase());
        let like = |c: Memos| {
            Expr::expr(Func::lower(Expr::col((Memos::Table, c))))
                .like(sea_query::LikeExpr::new(pat.clone()).escape('\\'))
        };
        like(Memos::Name).or(like(Memos::Description))
    });
    filtered_with(v, f, cond)
}

/// `filtered`, the text matched through the search index (`crm::search::text_condition`): the
/// same rows.
pub async fn searched(db: &Db, v: &Viewer, f: &MemoFilter) -> AppResult<SelectStatement> {
    let text = f.q.trim();
    let cond =
        if text.is_empty() { None } else { Some(crate::crm::search::text_condition(db, ItemKind::Memo, text).await?) };
    filtered_with(v, f, cond)
}

fn filtered_with(v: &Viewer, f: &MemoFilter, text: Option<SimpleExpr>) -> AppResult<SelectStatement> {
    let mut q = Query::select().from(Memos::Table).to_owned();
    access::scope(v, ListKind::Memos, &mut q)?;
    match f.stage.as_str() {
        "draft" => {
            q.and_where(Expr::col((Memos::Table, Memos::Draft)).eq(true));
        }
        s => {
            if let Some(st) = MemoStage::from_slug(s) {
                q.and_where(Expr::col((Memos::Table, Memos::Stage)).eq(st.slug()))
                    .and_where(Expr::col((Memos::Table, Memos::Draft)).eq(false));
            }
        }
    }
    match f.role.as_str() {
        "mine" => {
            q.and_where(Expr::col((Memos::Table, Memos::OwnerId)).eq(v.id));
        }
        "to-me" => {
            q.and_where(Expr::col((Memos::Table, Memos::RecipientId)).eq(v.id));
        }
        "subscribed" => {
            q.and_where(participants::involving(ItemKind::Memo, (Memos::Table, Memos::Id), v.id, &[PRole::Subscriber]));
        }
        _ => {}
    }
    if let Some(t) = text {
        q.and_where(t);
    }
    Ok(q)
}

/// How many memos the filter matches (bounded: see `paging::bounded_count`).
pub async fn total(db: &Db, v: &Viewer, f: &MemoFilter) -> AppResult<Total> {
    Ok(paging::bounded_count(db, searched(db, v, f).await?).await?)
}

pub fn parts_of(owner: i64, input: &MemoInput) -> Parts {
    let mut p = Parts::default();
    p.add(PRole::Owner, owner).add(PRole::Recipient, input.recipient_id);
    for s in &input.subscribers {
        p.add(PRole::Subscriber, *s);
    }
    p
}

pub async fn insert(
    tx: &mut Tx,
    input: &MemoInput,
    owner: i64,
    actor: &Actor,
    names: &HashMap<i64, String>,
) -> Result<i64, sqlx::Error> {
    let now = db::now();
    let id = tx
        .insert_id(
            Query::insert()
                .into_table(Memos::Table)
                .columns([
                    Memos::Name,
                    Memos::Draft,
                    Memos::RecipientId,
                    Memos::Purpose,
                    Memos::Description,
                    Memos::Stage,
                    Memos::OwnerId,
                    Memos::CreatedAt,
                    Memos::UpdatedAt,
                ])
                .values_panic([
                    input.name.as_str().into(),
                    input.draft.into(),
                    input.recipient_id.into(),
                    input.purpose.clone().into(),
                    input.description.as_str().into(),
                    MemoStage::Pending.slug().into(),
                    owner.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(Memos::Id),
        )
        .await?;
    crate::crm::search::index_text(tx, ItemKind::Memo, id, &[&input.name, &input.description]).await?;
    participants::set(tx, ItemKind::Memo, id, &parts_of(owner, input)).await?;
    let mut d = Diff::default();
    d.field("Memo title", "", &input.name)
        .field("Draft", "", if input.draft { "yes" } else { "no" })
        .field("Recipient", "", people_text(&[input.recipient_id], names))
        .field("Purpose", "", purpose_label(input.purpose.as_deref().unwrap_or("")))
        .field("Description", "", &input.description)
        .field("Subscribers", "", people_text(&input.subscribers, names));
    history::record(tx, actor, "memo", id, Change::Create, &format!("Created the memo {}", input.name), &d).await?;
    Ok(id)
}

pub async fn update(
    tx: &mut Tx,
    before: &Memo,
    before_parts: &Parts,
    input: &MemoInput,
    actor: &Actor,
    names: &HashMap<i64, String>,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Memos::Table)
            .values([
                (Memos::Name, input.name.as_str().into()),
                (Memos::Draft, input.draft.into()),
                (Memos::RecipientId, input.recipient_id.into()),
                (Memos::Purpose, input.purpose.clone().into()),
                (Memos::Description, input.description.as_str().into()),
                (Memos::UpdatedAt, db::now().into()),
            ])
            .and_where(Expr::col(Memos::Id).eq(before.id)),
    )
    .await?;
    crate::crm::search::reindex_text(
        tx,
        ItemKind::Memo,
        before.id,
        &[&before.name, &before.description],
        &[&input.name, &input.description],
    )
    .await?;
    participants::set(tx, ItemKind::Memo, before.id, &parts_of(before.owner_id, input)).await?;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut d = Diff::default();
    d.field("Memo title", &before.name, &input.name)
        .field("Draft", yes_no(before.draft), yes_no(input.draft))
        .field("Recipient", people_text(&[before.recipient_id], names), people_text(&[input.recipient_id], names))
        .field(
            "Purpose",
            purpose_label(before.purpose.as_deref().unwrap_or("")),
            purpose_label(input.purpose.as_deref().unwrap_or("")),
        )
        .field("Description", &before.description, &input.description)
        .field(
            "Subscribers",
            people_text(&before_parts.users(PRole::Subscriber), names),
            people_text(&input.subscribers, names),
        );
    if !d.is_empty() {
        history::record(tx, actor, "memo", before.id, Change::Update, &format!("Edited the memo {}", input.name), &d)
            .await?;
    }
    Ok(())
}

/// Moves a shared memo to `stage` (Considered also stamps the review time).
pub async fn set_stage(tx: &mut Tx, m: &Memo, stage: MemoStage, actor: &Actor) -> Result<(), sqlx::Error> {
    let now = db::now();
    let reviewed = if stage == MemoStage::Considered { Some(now) } else { m.reviewed_at };
    tx.execute(
        Query::update()
            .table(Memos::Table)
            .values([
                (Memos::Stage, stage.slug().into()),
                (Memos::ReviewedAt, reviewed.into()),
                (Memos::UpdatedAt, now.into()),
            ])
            .and_where(Expr::col(Memos::Id).eq(m.id)),
    )
    .await?;
    let mut d = Diff::default();
    d.field("Stage", m.stage().label(), stage.label());
    history::record(tx, actor, "memo", m.id, Change::Update, &format!("{} the memo", stage.label()), &d).await
}

/// Links a project to the memo it was made from.
pub async fn set_project(tx: &mut Tx, memo: i64, project: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Memos::Table)
            .value(Memos::ProjectId, project)
            .value(Memos::UpdatedAt, db::now())
            .and_where(Expr::col(Memos::Id).eq(memo)),
    )
    .await
    .map(|_| ())
}
