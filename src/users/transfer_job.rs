//! A user's transfer to another department (§11.3) as a durable background job. Owns table
//! `user_transfers` (migration 14).
//!
//! The request (`users::transfer::transfer`) checks the input, then in one transaction records the
//! transfer (`user_transfers`: who, where, how many rows to move), moves the user to the new
//! department, writes the user's history entry and queues the job (`JOB`, dedupe key
//! `user_transfer:<id>`); it answers with the transfer's page at once, whatever the user owns.
//!
//! The job moves the user's rows in batches of `BATCH` (`crm::transfer::move_user_batch`), one
//! transaction each: the rows (each whole: department, references remapped by name, industries,
//! tags, history entry) and the transfer's `moved` and `batches`. `batches` is advanced by
//! compare-and-set first, and a batch selects only rows still outside the new department, so a
//! retried, crashed or doubled run never moves a row twice and resumes where the last commit left.
//! After each commit an event moves the page's progress bar; at the end the administrator who
//! started it is notified.
//!
//! What a reader sees mid-transfer: every row is either still in the old department (as it was) or
//! in the new one (complete, with its history entry); never half-moved. Tables move in order
//! (companies, contact persons, leads, deals, requests), so a company may already be in the new
//! department while its contact persons are not yet. The user works in the new department from the
//! start: what they create goes there, and their rows appear there batch by batch.

use maud::Markup;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Deserialize;

use crate::access::{self, Audience, Role, Viewer};
use crate::app::AppState;
use crate::crm::transfer::{Remap, move_user_batch};
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult};
use crate::events::{DomainEvent, Topic};
use crate::history::Actor;
use crate::htmx::HxRequest;
use crate::views;
use crate::views::layout::Nav;
use crate::web;

/// The job kind that moves a transferred user's rows.
pub const JOB: &str = "user_transfer";
/// Rows per transaction.
pub const BATCH: u64 = 500;

/// One transfer, as its page shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Transfer {
    pub id: i64,
    pub user_id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub from_name: String,
    pub to_department_id: i64,
    pub to_name: String,
    pub status: String,
    pub total: i64,
    pub moved: i64,
    pub batches: i64,
}

const COLS: [&str; 11] = [
    "id",
    "user_id",
    "actor_id",
    "actor_name",
    "from_name",
    "to_department_id",
    "to_name",
    "status",
    "total",
    "moved",
    "batches",
];

impl Transfer {
    pub fn url(&self) -> String {
        format!("/admin/transfers/{}", self.id)
    }
    pub fn done(&self) -> bool {
        self.status == "done"
    }
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Transfer>, sqlx::Error> {
    db.fetch_optional(Query::select().columns(COLS).from("user_transfers").and_where(Expr::col("id").eq(id))).await
}

/// The user's transfer that has not finished, if any (a second one must wait for it).
pub async fn unfinished(tx: &mut Tx, user: i64) -> Result<Option<i64>, sqlx::Error> {
    tx.scalar(
        Query::select()
            .column("id")
            .from("user_transfers")
            .and_where(Expr::col("user_id").eq(user))
            .and_where(Expr::col("status").ne("done"))
            .order_by("id", Order::Desc)
            .limit(1),
    )
    .await
}

/// What the request records: who moves where.
pub struct Start<'a> {
    pub user: i64,
    pub from_name: &'a str,
    pub to: i64,
    pub to_name: &'a str,
    pub actor: &'a Actor,
}

/// Records the transfer and queues its job in `tx`; returns its id.
pub async fn start(tx: &mut Tx, s: &Start<'_>) -> Result<i64, sqlx::Error> {
    let total = crate::crm::transfer::user_rows_elsewhere(tx, s.user, s.to).await?;
    let now = crate::db::now();
    let id = tx
        .insert_id(
            Query::insert()
                .into_table("user_transfers")
                .columns([
                    "user_id",
                    "actor_id",
                    "actor_name",
                    "from_name",
                    "to_department_id",
                    "to_name",
                    "status",
                    "total",
                    "moved",
                    "batches",
                    "created_at",
                    "updated_at",
                ])
                .values_panic([
                    s.user.into(),
                    s.actor.id.into(),
                    s.actor.name.chars().take(255).collect::<String>().into(),
                    s.from_name.chars().take(255).collect::<String>().into(),
                    s.to.into(),
                    s.to_name.chars().take(255).collect::<String>().into(),
                    "queued".into(),
                    total.into(),
                    0i64.into(),
                    0i64.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col("id"),
        )
        .await?;
    let key = format!("user_transfer:{id}");
    crate::jobs::enqueue(tx, JOB, &serde_json::json!({ "id": id }), now, Some(&key), 10).await?;
    Ok(id)
}

/// The event that moves the progress bar: every administrator's open transfer page hears it.
pub fn progress_event(id: i64) -> DomainEvent {
    DomainEvent::Changed { topic: Topic::Transfer, id, audience: Audience::roles(&[Role::Admin]) }
}

/// What one step of the job came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// A batch of this many rows moved.
    Moved(i64),
    /// Another run moved the batch first; nothing was written.
    Raced,
    /// Nothing is left to move: the transfer is done (and its administrator notified, once).
    Finished,
}

fn actor_of(t: &Transfer) -> Actor {
    Actor { id: t.actor_id, name: t.actor_name.clone() }
}

/// Moves one batch of transfer `id`'s rows, or finishes it when none are left. Public so tests
/// can stop a transfer after one batch, as a crash would.
pub async fn step(state: &AppState, id: i64) -> Result<Step, sqlx::Error> {
    let db = &state.db;
    let Some(t) = get(db, id).await? else { return Ok(Step::Finished) };
    if t.done() {
        return Ok(Step::Finished);
    }
    let remap = Remap::to(db, t.to_department_id).await?;
    let mut tx = db.begin().await?;
    // Compare-and-set first: a second run of the same transfer waits here (PostgreSQL's row lock,
    // SQLite's single writer) and then finds `batches` moved on.
    let n = tx
        .execute(
            Query::update()
                .table("user_transfers")
                .values([
                    ("batches", (t.batches + 1).into()),
                    ("status", "running".into()),
                    ("updated_at", crate::db::now().into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("batches").eq(t.batches))
                .and_where(Expr::col("status").ne("done")),
        )
        .await?;
    if n != 1 {
        return Ok(Step::Raced);
    }
    let (moved, count) = move_user_batch(db, &mut tx, t.user_id, &remap, BATCH, &actor_of(&t)).await?;
    if count > 0 {
        tx.execute(
            Query::update()
                .table("user_transfers")
                .value("moved", Expr::col("moved").add(count))
                .and_where(Expr::col("id").eq(id)),
        )
        .await?;
        tx.commit().await?;
        crate::crm::transfer::publish(&state.bus, &moved);
        state.bus.publish(progress_event(id));
        return Ok(Step::Moved(count));
    }
    // Done: the status, and the administrator's notification, once.
    let now = crate::db::now();
    tx.execute(
        Query::update()
            .table("user_transfers")
            .values([("status", "done".into()), ("finished_at", now.into()), ("updated_at", now.into())])
            .and_where(Expr::col("id").eq(id)),
    )
    .await?;
    let user = crate::users::repo::get(db, t.user_id).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    if let Some(admin) = t.actor_id {
        let moved = t.moved;
        let title = format!(
            "User transferred successfully: {} is in {} ({} {} moved)",
            user.full_name(),
            t.to_name,
            crate::views::ui::grouped(moved as u64),
            if moved == 1 { "record" } else { "records" }
        );
        let url = t.url();
        let notice =
            crate::notifications::Notice { user_id: admin, title: &title, body: &t.from_name, url: &url, object: None };
        crate::notifications::send(&mut tx, &state.config, &notice).await?;
    }
    tx.commit().await?;
    state.bus.publish(progress_event(id));
    if let Some(admin) = t.actor_id {
        state.bus.publish(DomainEvent::Notice { user_id: admin });
    }
    state.wake.notify_one();
    Ok(Step::Finished)
}

#[derive(Deserialize)]
struct Payload {
    id: i64,
}

/// The job: moves the transfer's rows from where they stand, a batch per transaction.
pub async fn run(state: &AppState, payload: &str) -> Result<(), String> {
    let Payload { id } = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    loop {
        match step(state, id).await.map_err(|e| e.to_string())? {
            Step::Moved(_) | Step::Raced => continue,
            Step::Finished => return Ok(()),
        }
    }
}

fn require_admin(v: &Viewer) -> AppResult<()> {
    if access::may_transfer_owners(v) { Ok(()) } else { Err(AppError::NotFound) }
}

async fn load(state: &AppState, v: &Viewer, id: i64) -> AppResult<(Transfer, crate::users::model::User)> {
    require_admin(v)?;
    let t = get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let user = crate::users::repo::get(&state.db, t.user_id).await?;
    Ok((t, user))
}

/// `GET /admin/transfers/:id`: the transfer's progress, then its result.
#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let (t, user) = load(&state, &viewer, id).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    Ok(views::transfer::transfer_page(&cx, &t, &user).into_response())
}

/// `GET /admin/transfers/:id/progress`: the live progress region.
#[handler]
pub async fn progress(state: Data<&AppState>, viewer: Viewer, Path(id): Path<i64>) -> AppResult<Markup> {
    let (t, user) = load(&state, &viewer, id).await?;
    Ok(views::transfer::transfer_progress(&t, &user))
}
