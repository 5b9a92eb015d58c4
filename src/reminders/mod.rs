//! Reminders on memos, tasks and projects. Owns table `reminders`.
//!
//! A reminder is a row plus a job (`jobs` table, kind `reminder`, keyed `reminder:<id>`) due at its
//! time, so it fires after a restart too. Firing sends the owner an in-app notification (live) and an
//! email copy; deactivating cancels the job. Each user sees only their own reminders.

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_query::{Expr, ExprTrait, Iden, Order, Query, SelectStatement};

use crate::access::{self, ItemKind, ListKind, Viewer};
use crate::app::AppState;
use crate::db::{self, Db, Tx};
use crate::error::{AppResult, FormErrors};
use crate::events::DomainEvent;
use crate::paging::{self, Paged, Total};

pub mod handlers;

/// Job kind of a due reminder.
pub const JOB: &str = "reminder";

#[derive(Iden, Clone, Copy)]
pub enum Reminders {
    Table,
    Id,
    OwnerId,
    ObjectType,
    ObjectId,
    RemindAt,
    Text,
    Active,
    FiredAt,
    CreatedAt,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Reminder {
    pub id: i64,
    pub owner_id: i64,
    pub object_type: String,
    pub object_id: i64,
    pub remind_at: DateTime<Utc>,
    pub text: String,
    pub active: bool,
    pub fired_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Reminder {
    pub fn url(&self) -> String {
        match ItemKind::from_slug(&self.object_type) {
            Some(k) => crate::paths::item(k, self.object_id),
            None => crate::paths::REMINDERS.into(),
        }
    }
}

const COLS: [Reminders; 9] = [
    Reminders::Id,
    Reminders::OwnerId,
    Reminders::ObjectType,
    Reminders::ObjectId,
    Reminders::RemindAt,
    Reminders::Text,
    Reminders::Active,
    Reminders::FiredAt,
    Reminders::CreatedAt,
];

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ReminderForm {
    #[serde(default)]
    pub remind_at: String,
    #[serde(default)]
    pub text: String,
}

impl ReminderForm {
    /// A time in the future (`2026-12-01T09:30`, in the viewer's zone) and a text of 1–500 characters.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(DateTime<Utc>, String), FormErrors> {
        let mut errs = FormErrors::default();
        let text = self.text.trim().to_string();
        if text.is_empty() {
            errs.add("text", "Say briefly what the reminder is about.");
        } else if text.chars().count() > 500 {
            errs.add("text", "Use at most 500 characters.");
        }
        let raw = self.remind_at.trim();
        // Typed in the viewer's time zone (`crate::time`), stored in UTC.
        let at = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
            .map(crate::time::from_local);
        let at = match at {
            Ok(Some(t)) if t > now => Some(t),
            Ok(Some(_)) => {
                errs.add("remind_at", "Choose a time in the future.");
                None
            }
            Ok(None) => {
                errs.add("remind_at", "That time does not exist here (the clocks go forward then): choose another.");
                None
            }
            Err(_) => {
                errs.add("remind_at", "Enter a date and time, like 2026-12-01 09:30.");
                None
            }
        };
        errs.finish((at.unwrap_or(now), text))
    }
}

fn job_key(id: i64) -> String {
    format!("reminder:{id}")
}

/// Creates a reminder for `owner` and schedules its job.
pub async fn insert(
    tx: &mut Tx,
    owner: i64,
    kind: ItemKind,
    object: i64,
    at: DateTime<Utc>,
    text: &str,
) -> Result<i64, sqlx::Error> {
    let id = tx
        .insert_id(
            Query::insert()
                .into_table(Reminders::Table)
                .columns([
                    Reminders::OwnerId,
                    Reminders::ObjectType,
                    Reminders::ObjectId,
                    Reminders::RemindAt,
                    Reminders::Text,
                    Reminders::Active,
                    Reminders::CreatedAt,
                ])
                .values_panic([
                    owner.into(),
                    kind.slug().into(),
                    object.into(),
                    at.into(),
                    text.into(),
                    true.into(),
                    db::now().into(),
                ])
                .returning_col(Reminders::Id),
        )
        .await?;
    crate::jobs::enqueue(tx, JOB, &serde_json::json!({ "id": id }), at, Some(&job_key(id)), 5).await?;
    Ok(id)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Reminder>, sqlx::Error> {
    db.fetch_optional(Query::select().columns(COLS).from(Reminders::Table).and_where(Expr::col(Reminders::Id).eq(id)))
        .await
}

/// The viewer's reminders (`all`: also inactive and fired ones): the list's query before order and window.
pub fn filtered(v: &Viewer, all: bool) -> AppResult<SelectStatement> {
    let mut q = Query::select();
    q.columns(COLS.map(|c| (Reminders::Table, c))).from(Reminders::Table);
    access::scope(v, ListKind::Reminders, &mut q)?;
    if !all {
        q.and_where(Expr::col((Reminders::Table, Reminders::Active)).eq(true));
    }
    Ok(q)
}

/// How many reminders the list shows in all (bounded: see `paging::bounded_count`).
pub async fn total(db: &Db, v: &Viewer, all: bool) -> AppResult<Total> {
    Ok(paging::bounded_count(db, filtered(v, all)?).await?)
}

/// One page of the viewer's reminders, soonest first (`all`: also inactive and fired ones).
pub async fn list(db: &Db, v: &Viewer, all: bool, page: Option<u32>) -> AppResult<Paged<Reminder>> {
    let page = paging::page_number(page);
    let mut q = filtered(v, all)?;
    q.order_by((Reminders::Table, Reminders::RemindAt), if all { Order::Desc } else { Order::Asc })
        .limit(paging::WINDOW)
        .offset(paging::offset(page));
    Ok(Paged::window(db.fetch_all(&q).await?, page))
}

/// The viewer's reminders on one item, soonest first.
pub async fn on_item(db: &Db, v: &Viewer, kind: ItemKind, id: i64) -> Result<Vec<Reminder>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns(COLS)
            .from(Reminders::Table)
            .and_where(Expr::col(Reminders::OwnerId).eq(v.id))
            .and_where(Expr::col(Reminders::ObjectType).eq(kind.slug()))
            .and_where(Expr::col(Reminders::ObjectId).eq(id))
            .order_by(Reminders::RemindAt, Order::Asc),
    )
    .await
}

/// Deactivates a reminder and cancels its job.
pub async fn deactivate(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Reminders::Table)
            .value(Reminders::Active, false)
            .and_where(Expr::col(Reminders::Id).eq(id)),
    )
    .await?;
    crate::jobs::cancel(tx, &job_key(id)).await.map(|_| ())
}

/// Deletes the reminders of the given items and their pending jobs.
pub async fn delete_for(tx: &mut Tx, kind: ItemKind, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let gone: Vec<(i64,)> = tx
        .fetch_all(
            Query::delete()
                .from_table(Reminders::Table)
                .and_where(Expr::col(Reminders::ObjectType).eq(kind.slug()))
                .and_where(Expr::col(Reminders::ObjectId).is_in(ids.iter().copied()))
                .returning_col(Reminders::Id),
        )
        .await?;
    for (id,) in gone {
        crate::jobs::cancel(tx, &job_key(id)).await?;
    }
    Ok(())
}

/// Runs the job of a due reminder: notifies its owner once (in the app, live, and by email).
pub async fn fire(state: &AppState, payload: &str) -> Result<(), String> {
    let id = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("id").and_then(|i| i.as_i64()))
        .ok_or_else(|| format!("bad reminder payload {payload:?}"))?;
    let r = get(&state.db, id).await.map_err(|e| e.to_string())?;
    let Some(r) = r.filter(|r| r.active && r.fired_at.is_none()) else { return Ok(()) };
    let what = match ItemKind::from_slug(&r.object_type) {
        Some(k) => crate::items::title(&state.db, k, r.object_id)
            .await
            .map_err(|e| e.to_string())?
            .map(|t| format!("{} “{t}”", k.label())),
        None => None,
    };
    let body = what.map(|w| format!("Regarding the {w}")).unwrap_or_default();
    let mut tx = state.db.begin().await.map_err(|e| e.to_string())?;
    // Marking it fired in the same transaction as the notification makes a retry harmless.
    let marked = tx
        .execute(
            Query::update()
                .table(Reminders::Table)
                .value(Reminders::FiredAt, db::now())
                .and_where(Expr::col(Reminders::Id).eq(id))
                .and_where(Expr::col(Reminders::FiredAt).is_null()),
        )
        .await
        .map_err(|e| e.to_string())?;
    if marked == 0 {
        return Ok(());
    }
    let title = format!("Reminder: {}", r.text);
    let url = r.url();
    let notice = crate::notifications::Notice {
        user_id: r.owner_id,
        title: &title,
        body: &body,
        url: &url,
        object: Some((r.object_type.as_str(), r.object_id)),
    };
    // A reminder about a task its owner is responsible for carries the one-click completion link.
    let mut extra = std::collections::HashMap::new();
    if r.object_type == ItemKind::Task.slug() {
        extra = crate::tasks::links::lines_for(&mut tx, state, r.object_id, &[r.owner_id], &extra)
            .await
            .map_err(|e| e.to_string())?;
    }
    let extra = extra.get(&r.owner_id).map(String::as_str).unwrap_or_default();
    crate::notifications::send_with(&mut tx, &state.config, &notice, extra).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    state.bus.publish(DomainEvent::Notice { user_id: r.owner_id });
    state.wake.notify_one();
    Ok(())
}
