//! Queries on projects. Same shape as tasks: writes record history and participants in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, Func, Iden, Order, Query, SelectStatement, SimpleExpr};
use serde::Deserialize;

use crate::access::{self, ItemKind, ListKind, Viewer};
use crate::db::{self, Db, Tx};
use crate::error::AppResult;
use crate::history::{self, Actor, Change};
use crate::paging::{self, Paged, Total};
use crate::participants::{self, PRole, Parts};
use crate::tasks::model::{Stage, WorkFields, WorkInput};

#[derive(Iden, Clone, Copy)]
pub enum Projects {
    Table,
    Id,
    Name,
    Description,
    NextStep,
    NextStepDate,
    DueDate,
    Priority,
    Stage,
    Active,
    OwnerId,
    CoOwnerId,
    ClosingDate,
    CreatedAt,
    UpdatedAt,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub next_step: String,
    pub next_step_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub priority: i16,
    pub stage: String,
    pub active: bool,
    pub owner_id: i64,
    pub co_owner_id: Option<i64>,
    pub closing_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    pub fn stage(&self) -> Stage {
        Stage::of(&self.stage)
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.active && self.due_date.is_some_and(|d| d < today)
    }
}

/// Filters of the project list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProjectFilter {
    #[serde(default)]
    pub show: String,
    #[serde(default)]
    pub q: String,
    /// A tag id (of the viewer's departments; another matches nothing).
    #[serde(default)]
    pub tag: String,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
}

impl ProjectFilter {
    pub fn query(&self, page: u64) -> String {
        crate::views::ui::query(&[
            ("show", self.show.clone()),
            ("q", self.q.clone()),
            ("tag", self.tag.clone()),
            ("page", if page > 1 { page.to_string() } else { String::new() }),
        ])
    }
}

const COLS: [Projects; 14] = [
    Projects::Id,
    Projects::Name,
    Projects::Description,
    Projects::NextStep,
    Projects::NextStepDate,
    Projects::DueDate,
    Projects::Priority,
    Projects::Stage,
    Projects::Active,
    Projects::OwnerId,
    Projects::CoOwnerId,
    Projects::ClosingDate,
    Projects::CreatedAt,
    Projects::UpdatedAt,
];

fn select() -> SelectStatement {
    Query::select().columns(COLS.map(|c| (Projects::Table, c))).from(Projects::Table).to_owned()
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Project>, sqlx::Error> {
    db.fetch_optional(select().and_where(Expr::col((Projects::Table, Projects::Id)).eq(id))).await
}

/// The projects `v` may see with the filter's conditions: the list's query before order and window,
/// its text matched by reading every row (`searched` asks the search index first).
pub fn filtered(v: &Viewer, f: &ProjectFilter) -> AppResult<SelectStatement> {
    let text = f.q.trim();
    let cond = (!text.is_empty()).then(|| {
        Expr::expr(Func::lower(Expr::col((Projects::Table, Projects::Name))))
            .like(sea_query::LikeExpr::new(db::like_pattern(&text.to_lowercase())).escape('\\'))
    });
    filtered_with(v, f, cond)
}

/// `filtered`, the text matched through the search index (`crm::search::text_condition`): the
/// same rows.
pub async fn searched(db: &Db, v: &Viewer, f: &ProjectFilter) -> AppResult<SelectStatement> {
    let text = f.q.trim();
    let cond = if text.is_empty() {
        None
    } else {
        Some(crate::crm::search::text_condition(db, ItemKind::Project, text).await?)
    };
    filtered_with(v, f, cond)
}

fn filtered_with(v: &Viewer, f: &ProjectFilter, text: Option<SimpleExpr>) -> AppResult<SelectStatement> {
    let mut q = select();
    access::scope(v, ListKind::Projects, &mut q)?;
    if f.show != "all" {
        q.and_where(Expr::col((Projects::Table, Projects::Active)).eq(true));
    }
    if let Ok(tag) = f.tag.trim().parse::<i64>() {
        q.and_where(crate::tasks::tags::filter(v, ItemKind::Project, ("projects", "id"), tag));
    }
    if let Some(t) = text {
        q.and_where(t);
    }
    Ok(q)
}

/// How many projects the filter matches (bounded: see `paging::bounded_count`).
pub async fn total(db: &Db, v: &Viewer, f: &ProjectFilter) -> AppResult<Total> {
    Ok(paging::bounded_count(db, searched(db, v, f).await?).await?)
}

/// One page of the projects `v` may see.
pub async fn list(db: &Db, v: &Viewer, f: &ProjectFilter) -> AppResult<Paged<Project>> {
    let page = paging::page_number(f.page);
    let mut q = searched(db, v, f).await?;
    q.order_by((Projects::Table, Projects::Id), Order::Desc).limit(paging::WINDOW).offset(paging::offset(page));
    Ok(Paged::window(db.fetch_all(&q).await?, page))
}

/// Active projects `v` may add tasks to, newest first (the choices of a task's Project field).
pub async fn choices(db: &Db, v: &Viewer, limit: u64) -> AppResult<Vec<(i64, String)>> {
    let mut q = Query::select();
    q.columns([(Projects::Table, Projects::Id), (Projects::Table, Projects::Name)])
        .from(Projects::Table)
        .and_where(Expr::col((Projects::Table, Projects::Active)).eq(true));
    access::scope(v, ListKind::ProjectsToAddTasks, &mut q)?;
    q.order_by((Projects::Table, Projects::Id), Order::Desc).limit(limit);
    Ok(db.fetch_all(&q).await?)
}

/// The shared fields of a stored project and its participants.
pub fn fields(p: &Project, parts: &Parts) -> WorkFields {
    WorkFields {
        name: p.name.clone(),
        description: p.description.clone(),
        next_step: p.next_step.clone(),
        next_step_date: p.next_step_date,
        due_date: p.due_date,
        priority: p.priority,
        co_owner_id: p.co_owner_id,
        responsible: parts.users(PRole::Responsible),
        subscribers: parts.users(PRole::Subscriber),
    }
}

pub async fn insert(
    tx: &mut Tx,
    input: &WorkInput,
    owner: i64,
    actor: &Actor,
    names: &HashMap<i64, String>,
) -> Result<i64, sqlx::Error> {
    let now = db::now();
    let id = tx
        .insert_id(
            Query::insert()
                .into_table(Projects::Table)
                .columns([
                    Projects::Name,
                    Projects::Description,
                    Projects::NextStep,
                    Projects::NextStepDate,
                    Projects::DueDate,
                    Projects::Priority,
                    Projects::Stage,
                    Projects::Active,
                    Projects::OwnerId,
                    Projects::CoOwnerId,
                    Projects::CreatedAt,
                    Projects::UpdatedAt,
                ])
                .values_panic([
                    input.name.as_str().into(),
                    input.description.as_str().into(),
                    input.next_step.as_str().into(),
                    input.next_step_date.into(),
                    input.due_date.into(),
                    input.priority.into(),
                    input.stage.slug().into(),
                    input.stage.active().into(),
                    owner.into(),
                    input.co_owner_id.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(Projects::Id),
        )
        .await?;
    crate::crm::search::index_text(tx, ItemKind::Project, id, &[&input.name]).await?;
    participants::set(tx, ItemKind::Project, id, &crate::tasks::repo::parts_of(owner, input.co_owner_id, input))
        .await?;
    let d = WorkFields::of_input(input).diff(&WorkFields::default(), names);
    history::record(tx, actor, "project", id, Change::Create, &format!("Created the project {}", input.name), &d)
        .await?;
    Ok(id)
}

pub async fn update(
    tx: &mut Tx,
    before: &Project,
    before_parts: &Parts,
    input: &WorkInput,
    actor: &Actor,
    names: &HashMap<i64, String>,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Projects::Table)
            .values([
                (Projects::Name, input.name.as_str().into()),
                (Projects::Description, input.description.as_str().into()),
                (Projects::NextStep, input.next_step.as_str().into()),
                (Projects::NextStepDate, input.next_step_date.into()),
                (Projects::DueDate, input.due_date.into()),
                (Projects::Priority, input.priority.into()),
                (Projects::CoOwnerId, input.co_owner_id.into()),
                (Projects::UpdatedAt, db::now().into()),
            ])
            .and_where(Expr::col(Projects::Id).eq(before.id)),
    )
    .await?;
    crate::crm::search::reindex_text(tx, ItemKind::Project, before.id, &[&before.name], &[&input.name]).await?;
    let parts = crate::tasks::repo::parts_of(before.owner_id, input.co_owner_id, input);
    participants::set(tx, ItemKind::Project, before.id, &parts).await?;
    let d = WorkFields::of_input(input).diff(&fields(before, before_parts), names);
    if !d.is_empty() {
        history::record(
            tx,
            actor,
            "project",
            before.id,
            Change::Update,
            &format!("Edited the project {}", input.name),
            &d,
        )
        .await?;
    }
    Ok(())
}

pub async fn set_stage(tx: &mut Tx, p: &Project, stage: Stage, actor: &Actor) -> Result<(), sqlx::Error> {
    let summary = format!("Stage: {}", stage.label());
    crate::tasks::repo::set_work_stage(tx, ItemKind::Project, p.id, p.stage(), stage, actor, &summary).await
}
