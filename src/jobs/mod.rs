//! Persistent background jobs. Owns table `jobs`.
//!
//! A job is a row with a kind, a JSON payload and a due time. Workers claim one due job at a time with
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances share the queue; SQLite has
//! a single writer), run it, and mark it done, or retry it later with backoff until `max_attempts`.
//! A job whose worker died is claimed again once its lease expires, so jobs survive restarts.
//! Recurring jobs (maintenance) are rescheduled instead of finished.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_query::{Expr, ExprTrait, Iden, LockBehavior, LockType, OnConflict, Order, Query};

use crate::app::AppState;
use crate::db::{self, Db, Tx};

pub mod worker;

#[derive(Iden, Clone, Copy)]
pub enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    DedupeKey,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

const LEASE_SECS: i64 = 300;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

const COLS: [Jobs; 8] = [
    Jobs::Id,
    Jobs::Kind,
    Jobs::Payload,
    Jobs::Status,
    Jobs::Attempts,
    Jobs::MaxAttempts,
    Jobs::RunAt,
    Jobs::LastError,
];

/// The insert of a new queued job.
fn new_job(
    kind: &str,
    payload: &serde_json::Value,
    run_at: DateTime<Utc>,
    dedupe_key: Option<&str>,
    max_attempts: i32,
) -> sea_query::InsertStatement {
    let now = db::now();
    let mut q = Query::insert();
    q.into_table(Jobs::Table)
        .columns([
            Jobs::Kind,
            Jobs::Payload,
            Jobs::DedupeKey,
            Jobs::Status,
            Jobs::Attempts,
            Jobs::MaxAttempts,
            Jobs::RunAt,
            Jobs::CreatedAt,
            Jobs::UpdatedAt,
        ])
        .values_panic([
            kind.into(),
            payload.to_string().into(),
            dedupe_key.map(str::to_string).into(),
            "queued".into(),
            0.into(),
            max_attempts.into(),
            run_at.into(),
            now.into(),
            now.into(),
        ]);
    q
}

/// Queues a job inside `tx`. With a `dedupe_key`, an existing job of that key is rescheduled instead
/// of duplicated (a reminder edited twice stays one job).
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: &serde_json::Value,
    run_at: DateTime<Utc>,
    dedupe_key: Option<&str>,
    max_attempts: i32,
) -> Result<(), sqlx::Error> {
    let mut q = new_job(kind, payload, run_at, dedupe_key, max_attempts);
    if dedupe_key.is_some() {
        q.on_conflict(
            OnConflict::column(Jobs::DedupeKey)
                .update_columns([Jobs::Payload, Jobs::Status, Jobs::Attempts, Jobs::RunAt, Jobs::UpdatedAt])
                .to_owned(),
        );
    }
    tx.execute(&q).await.map(|_| ())
}

/// Queues a job of `dedupe_key` unless one exists (whatever its state): a recurring job made sure of.
pub async fn ensure(
    tx: &mut Tx,
    kind: &str,
    payload: &serde_json::Value,
    run_at: DateTime<Utc>,
    dedupe_key: &str,
    max_attempts: i32,
) -> Result<(), sqlx::Error> {
    let mut q = new_job(kind, payload, run_at, Some(dedupe_key), max_attempts);
    q.on_conflict(OnConflict::column(Jobs::DedupeKey).do_nothing().to_owned());
    tx.execute(&q).await.map(|_| ())
}

/// Makes the job of `dedupe_key` due now (queued again if it had finished); a running one is left
/// to finish. Returns whether a job was moved.
pub async fn run_now(tx: &mut Tx, dedupe_key: &str) -> Result<bool, sqlx::Error> {
    let now = db::now();
    tx.execute(
        Query::update()
            .table(Jobs::Table)
            .values([
                (Jobs::Status, "queued".into()),
                (Jobs::RunAt, now.into()),
                (Jobs::Attempts, 0.into()),
                (Jobs::UpdatedAt, now.into()),
            ])
            .and_where(Expr::col(Jobs::DedupeKey).eq(dedupe_key))
            .and_where(Expr::col(Jobs::Status).ne("running")),
    )
    .await
    .map(|n| n > 0)
}

/// Cancels the job with `dedupe_key` if it has not run yet.
pub async fn cancel(tx: &mut Tx, dedupe_key: &str) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(Jobs::Table)
            .and_where(Expr::col(Jobs::DedupeKey).eq(dedupe_key))
            .and_where(Expr::col(Jobs::Status).eq("queued")),
    )
    .await
}

/// Claims the next due job (or one whose lease expired), if any.
pub async fn claim(db: &Db) -> Result<Option<Job>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let due = Query::select()
        .column(Jobs::Id)
        .from(Jobs::Table)
        .cond_where(
            Expr::col(Jobs::Status)
                .eq("queued")
                .and(Expr::col(Jobs::RunAt).lte(now))
                .or(Expr::col(Jobs::Status).eq("running").and(Expr::col(Jobs::LockedUntil).lt(now))),
        )
        .order_by(Jobs::RunAt, Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let job: Option<Job> = tx
        .fetch_optional(
            Query::update()
                .table(Jobs::Table)
                .values([
                    (Jobs::Status, "running".into()),
                    (Jobs::LockedUntil, (now + ChronoDuration::seconds(LEASE_SECS)).into()),
                    (Jobs::Attempts, Expr::col(Jobs::Attempts).add(1)),
                    (Jobs::UpdatedAt, now.into()),
                ])
                .and_where(Expr::col(Jobs::Id).in_subquery(due))
                .returning(Query::returning().columns(COLS)),
        )
        .await?;
    tx.commit().await?;
    Ok(job)
}

/// What running a job came to.
pub enum Outcome {
    Done,
    /// Run again at this time (recurring jobs).
    Reschedule(DateTime<Utc>),
    Failed(String),
}

fn backoff(attempts: i32) -> ChronoDuration {
    ChronoDuration::seconds(Ord::min(10i64 << attempts.clamp(1, 10).saturating_sub(1), 3600))
}

async fn finish(db: &Db, job: &Job, outcome: Outcome) -> Result<(), sqlx::Error> {
    let now = db::now();
    let mut q = Query::update();
    q.table(Jobs::Table)
        .value(Jobs::LockedUntil, Option::<DateTime<Utc>>::None)
        .value(Jobs::UpdatedAt, now)
        .and_where(Expr::col(Jobs::Id).eq(job.id));
    match outcome {
        Outcome::Done => {
            q.values([(Jobs::Status, "done".into()), (Jobs::LastError, Option::<String>::None.into())]);
        }
        Outcome::Reschedule(at) => {
            q.values([
                (Jobs::Status, "queued".into()),
                (Jobs::Attempts, 0.into()),
                (Jobs::RunAt, at.into()),
                (Jobs::LastError, Option::<String>::None.into()),
            ]);
        }
        Outcome::Failed(e) if job.attempts >= job.max_attempts => {
            tracing::error!(job = job.id, kind = %job.kind, error = %e, "job failed for good");
            q.values([(Jobs::Status, "failed".into()), (Jobs::LastError, e.into())]);
        }
        Outcome::Failed(e) => {
            tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed; will retry");
            q.values([
                (Jobs::Status, "queued".into()),
                (Jobs::RunAt, (now + backoff(job.attempts)).into()),
                (Jobs::LastError, e.into()),
            ]);
        }
    }
    db.execute(&q).await.map(|_| ())
}

/// Runs one due job, if there is one. Returns whether a job was run.
pub async fn run_once(state: &AppState) -> Result<bool, sqlx::Error> {
    let Some(job) = claim(&state.db).await? else { return Ok(false) };
    let outcome = worker::dispatch(state, &job).await;
    finish(&state.db, &job, outcome).await?;
    Ok(true)
}

/// A job by id (tests, admin).
pub async fn get(db: &Db, id: i64) -> Result<Option<Job>, sqlx::Error> {
    db.fetch_optional(Query::select().columns(COLS).from(Jobs::Table).and_where(Expr::col(Jobs::Id).eq(id))).await
}

/// Jobs of a kind, oldest first (tests, admin).
pub async fn by_kind(db: &Db, kind: &str) -> Result<Vec<Job>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns(COLS)
            .from(Jobs::Table)
            .and_where(Expr::col(Jobs::Kind).eq(kind))
            .order_by(Jobs::Id, Order::Asc),
    )
    .await
}
