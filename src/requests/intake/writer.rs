//! Group commit for incoming requests. Every web-form submission used to be its own transaction:
//! on SQLite one writer at a time, each paying for BEGIN, COMMIT (a WAL `fsync`, `synchronous=FULL`)
//! and the index pages it touches on its own, so 32 visitors posting at once queued behind each
//! other (63 a second, p99 0.8 s). Now the submissions go to one writer task that takes every one
//! waiting (up to `BATCH`) into one transaction, each inside its own savepoint: a submission that
//! fails is rolled back alone and answered with its error, the others commit together. The search
//! index rows are not written then (about 300 a submission, each on its own page of the index):
//! the rows are marked `search_pending`, found by searches through that mark, and indexed in
//! large sorted steps while no submission waits (`crm::search::index_pending`).
//! Nobody is answered before the commit that holds their request, so a "thank you" is never given
//! for a request that was not stored. The writer is a task of its own, so a visitor who hangs up
//! does not cancel the others' transaction.

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::super::create::{self, Created, Lookups, Stored, Submission};
use crate::access::ItemKind;
use crate::app::AppState;
use crate::db::Tx;
use crate::error::{AppError, AppResult};

/// Submissions written in one transaction at most.
const BATCH: usize = 64;
/// Submissions waiting for the writer at most; further ones wait to be queued.
const QUEUE: usize = 1024;

struct Job {
    submission: Submission,
    reply: oneshot::Sender<AppResult<Created>>,
}

/// The queue to the intake writer, started with the first submission.
#[derive(Default)]
pub struct Writer {
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl Writer {
    /// Stores `s` with the submissions queued with it; answers once their transaction committed.
    pub async fn submit(&self, state: &AppState, s: Submission) -> AppResult<Created> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(state.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue.send(Job { submission: s, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> AppError {
    AppError::Other(anyhow::anyhow!("the request writer stopped"))
}

async fn run(mut state: AppState, mut rx: mpsc::Receiver<Job>) {
    // Its own connection (`Db::dedicated`); the shared pool when it cannot have one.
    match state.db.dedicated().await {
        Ok(db) => state.db = db,
        Err(e) => tracing::warn!(error = %e, "the request writer shares the pool"),
    }
    let mut jobs = Vec::with_capacity(BATCH);
    // Whether rows may be waiting for their index rows (after a restart: maybe).
    let mut waiting: usize = 1;
    loop {
        let got = if waiting > 0 {
            // Index only once no submission came for a moment: between two batches of a burst the
            // queue is empty for an instant, and a step then would hold up the burst.
            match tokio::time::timeout(QUIET, rx.recv_many(&mut jobs, BATCH)).await {
                Ok(n) => n,
                Err(_) => {
                    waiting =
                        index_step(&state).await.map_or(0, |n| if n < 2 * INDEX_STEP as usize { 0 } else { waiting });
                    continue;
                }
            }
        } else {
            rx.recv_many(&mut jobs, BATCH).await
        };
        if got == 0 {
            return;
        }
        let (submissions, replies): (Vec<Submission>, Vec<_>) =
            std::mem::take(&mut jobs).into_iter().map(|j| (j.submission, j.reply)).unzip();
        for (reply, result) in replies.into_iter().zip(write_batch(&state, submissions).await) {
            if result.is_ok() {
                waiting += 1;
            }
            let _ = reply.send(result);
        }
        // A burst that does not stop: index a step now and then all the same, so the rows searches
        // read beside the index stay a few thousand at most.
        if waiting > MOST_WAITING {
            waiting = waiting.saturating_sub(index_step(&state).await.unwrap_or(0) / 2).max(1);
        }
    }
}

/// How long the queue stays empty before the writer indexes.
const QUIET: std::time::Duration = std::time::Duration::from_millis(200);
/// Requests written since the last index step before the writer indexes during a burst.
const MOST_WAITING: usize = 5000;

/// Rows of each kind indexed in one step of the idle writer: large enough for neighbours in the
/// index to share pages, small enough that a submission arriving meanwhile waits little.
const INDEX_STEP: u64 = 200;

/// One step: up to `INDEX_STEP` requests and as many emails; how many rows it indexed (a failure is
/// logged, and the hourly maintenance retries).
async fn index_step(state: &AppState) -> Result<usize, sqlx::Error> {
    let done = async {
        let requests = crate::crm::search::index_pending(&state.db, ItemKind::Request, INDEX_STEP).await?;
        let emails = crate::crm::search::index_pending(&state.db, ItemKind::Email, INDEX_STEP).await?;
        Ok::<_, sqlx::Error>(requests + emails)
    };
    done.await.inspect_err(|e| tracing::warn!(error = %e, "indexing the web forms' requests failed"))
}

/// A savepoint statement: constant text, the same on both backends.
async fn savepoint(tx: &mut Tx, sql: &'static str) -> Result<(), sqlx::Error> {
    tx.execute_constant(sql).await
}

/// Writes `batch` in one transaction, each submission in its savepoint, then the index rows of all;
/// after the commit, the live events. The results are in `batch`'s order: a submission that failed
/// has its error and left nothing behind; when the transaction itself fails, every one has it.
pub async fn write_batch(state: &AppState, batch: Vec<Submission>) -> Vec<AppResult<Created>> {
    let n = batch.len();
    let started = std::time::Instant::now();
    let mut tx = match state.db.begin().await {
        Ok(tx) => tx,
        Err(e) => return failed(n, &e.to_string()),
    };
    let mut results: Vec<AppResult<Stored>> = Vec::with_capacity(n);
    let mut known = Lookups::default();
    for s in &batch {
        let written = async {
            savepoint(&mut tx, "SAVEPOINT intake").await?;
            let r = create::create_in(&mut tx, state, s, &mut known).await;
            // ROLLBACK TO keeps the savepoint; RELEASE ends it either way.
            if r.is_err() {
                savepoint(&mut tx, "ROLLBACK TO SAVEPOINT intake").await?;
                known = Lookups::default();
            }
            savepoint(&mut tx, "RELEASE SAVEPOINT intake").await?;
            Ok::<_, sqlx::Error>(r)
        };
        match written.await {
            Ok(r) => {
                if let Err(e) = &r {
                    tracing::warn!(error = %e, "a web-form request could not be stored");
                }
                results.push(r);
            }
            Err(e) => return failed(n, &e.to_string()),
        }
    }
    let written = started.elapsed();
    if let Err(e) = tx.commit().await {
        return failed(n, &e.to_string());
    }
    tracing::debug!(n, ?written, committed = ?started.elapsed(), "intake batch");
    let mut notified_any = false;
    let mut out = Vec::with_capacity(n);
    for r in results {
        out.push(match r {
            Ok(stored) => {
                create::announce(state, &stored);
                notified_any |= !stored.notified.is_empty();
                Ok(stored.created)
            }
            Err(e) => Err(e),
        });
    }
    if notified_any {
        // An email copy may have been queued.
        state.wake.notify_one();
    }
    out
}

/// `n` answers with the database's error (their transaction did not commit).
fn failed(n: usize, error: &str) -> Vec<AppResult<Created>> {
    tracing::error!(error, count = n, "a batch of web-form requests could not be stored");
    (0..n).map(|_| Err(AppError::Other(anyhow::anyhow!("{error}")))).collect()
}
