//! The background worker: runs due jobs and sends the outbox, woken by `AppState::wake` after a
//! commit that queued work, and by a poll timer otherwise (for work queued by other instances).

use chrono::Duration as ChronoDuration;

use super::{Job, Outcome};
use crate::app::AppState;
use crate::db;

/// Kind of the recurring maintenance job (expired sessions, stale login throttling).
pub const MAINTENANCE: &str = "maintenance";

/// Runs one job according to its kind.
pub async fn dispatch(state: &AppState, job: &Job) -> Outcome {
    match job.kind.as_str() {
        MAINTENANCE => match maintenance(state).await {
            Ok(()) => Outcome::Reschedule(db::now() + ChronoDuration::hours(1)),
            Err(e) => Outcome::Failed(e),
        },
        crate::reminders::JOB => match crate::reminders::fire(state, &job.payload).await {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(e),
        },
        crate::crm::import::JOB => match crate::crm::import::run(state, &job.payload).await {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(e),
        },
        crate::users::transfer_job::JOB => match crate::users::transfer_job::run(state, &job.payload).await {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(e),
        },
        crate::emails::send::JOB => crate::emails::send::run(state, job).await,
        crate::crm::import::CLEANUP_JOB => match crate::crm::import::cleanup(&state.db).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(imports = n, "removed import previews never confirmed");
                }
                Outcome::Reschedule(db::now() + ChronoDuration::hours(1))
            }
            Err(e) => Outcome::Failed(e.to_string()),
        },
        crate::mail_import::JOB => crate::mail_import::job(state, &job.payload).await,
        crate::analytics::monthly::JOB => crate::analytics::monthly::job(state, job, db::now()).await,
        other => Outcome::Failed(format!("unknown job kind {other:?}")),
    }
}

/// Hourly housekeeping: expired sessions, file blobs a crash left without a database row, search
/// index rows still to write, and the query planner's statistics of a large SQLite database.
async fn maintenance(state: &AppState) -> Result<(), String> {
    let n = crate::auth::session::purge_expired(&state.db).await.map_err(|e| e.to_string())?;
    if n > 0 {
        tracing::info!(sessions = n, "purged expired sessions");
    }
    let swept = state.files.sweep(&state.db, std::time::Duration::from_secs(3600)).await.map_err(|e| e.to_string())?;
    if swept > 0 {
        tracing::info!(files = swept, "removed orphaned file blobs");
    }
    // Web-form requests left unindexed when the process stopped (the intake's writer indexes them
    // while idle; they are searchable meanwhile).
    let indexed = crate::crm::search::index_all_pending(&state.db, 500).await.map_err(|e| e.to_string())?;
    if indexed > 0 {
        tracing::info!(rows = indexed, "indexed web-form requests and emails");
    }
    if state.db.refresh_statistics().await.map_err(|e| e.to_string())? {
        tracing::debug!("refreshed the query planner's statistics");
    }
    Ok(())
}

/// Makes sure the recurring jobs exist (idempotent: keyed by dedupe key).
pub async fn schedule_recurring(state: &AppState) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin().await?;
    let exists = super::by_kind(&state.db, MAINTENANCE).await?;
    if exists.is_empty() {
        super::enqueue(&mut tx, MAINTENANCE, &serde_json::json!({}), db::now(), Some(MAINTENANCE), 5).await?;
    }
    let cleanup = crate::crm::import::CLEANUP_JOB;
    if super::by_kind(&state.db, cleanup).await?.is_empty() {
        super::enqueue(&mut tx, cleanup, &serde_json::json!({}), db::now(), Some(cleanup), 5).await?;
    }
    crate::analytics::monthly::schedule(&mut tx, db::now()).await?;
    tx.commit().await?;
    crate::mail_import::schedule_all(&state.db).await
}

/// The worker loop: drains due jobs and mail, then sleeps until woken or the poll interval passes.
pub async fn run(state: AppState) {
    if let Err(e) = schedule_recurring(&state).await {
        tracing::error!(error = %e, "could not schedule recurring jobs");
    }
    // New mail announced over IMAP IDLE makes the account's import job due at once.
    tokio::spawn(crate::mail_import::idle::supervise(state.clone()));
    loop {
        let mut busy = false;
        match super::run_once(&state).await {
            Ok(ran) => busy |= ran,
            Err(e) => tracing::error!(error = %e, "job worker: database error"),
        }
        match crate::outbox::run_once(&state.db, &state.mailer).await {
            Ok(n) => busy |= n > 0,
            Err(e) => tracing::error!(error = %e, "outbox worker: database error"),
        }
        if !busy {
            tokio::select! {
                _ = state.wake.notified() => {}
                _ = tokio::time::sleep(state.config.poll_interval) => {}
            }
        }
    }
}
