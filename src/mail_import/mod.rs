//! IMAP import of ticketed mail (issue 10, inventory §7.2). Owns tables `mail_import_folders` and
//! `mail_import_failures` (migration 24).
//!
//! Each mail account with import switched on has one recurring job (`JOB`, dedupe key per account),
//! so imports survive restarts and run on whichever instance claims them. A run (`run`) scans INBOX
//! and the sent folder past each folder's last UID, files the messages that carry a `[ticket:…]` of
//! a deal or request (`file`), and keeps the completeness report (`report`) the account page shows.
//! The next run comes `FERROCRM_MAIL_IMPORT_SECS` later, at once when a run left messages for the
//! next, on "Import now", and when the server announces new mail over IDLE (`idle`).
//!
//! The mailbox browser (§7.3) is here too: `browse` reads and changes INBOX over IMAP, `browser`
//! serves its pages, `inquiry` files a chosen message as a new request or as a letter of a deal or
//! request, through the scan's `file::write`.

use chrono::Duration as ChronoDuration;
use sea_query::{Expr, ExprTrait, Query};

use crate::app::AppState;
use crate::db::{self, Db};
use crate::jobs::Outcome;

pub mod browse;
pub mod browser;
pub mod file;
pub mod idle;
pub mod inquiry;
pub mod parse;
pub mod report;
pub mod run;

/// Kind of the per-account import job.
pub const JOB: &str = "mail_import";

fn key(account: i64) -> String {
    format!("{JOB}:{account}")
}

/// Makes sure account `account` has its import job, due now when `now` (a saved switch, "Import
/// now") and otherwise left as it is. A running job is left alone: it is importing already.
pub async fn schedule(db: &Db, account: i64, now: bool) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let payload = serde_json::json!({ "account": account });
    crate::jobs::ensure(&mut tx, JOB, &payload, db::now(), &key(account), 5).await?;
    if now {
        crate::jobs::run_now(&mut tx, &key(account)).await?;
    }
    tx.commit().await
}

/// At start: every account with import on has its job (an installation upgraded, a lost row).
pub async fn schedule_all(db: &Db) -> Result<(), sqlx::Error> {
    let ids: Vec<(i64,)> = db
        .fetch_all(Query::select().column("id").from("mail_accounts").and_where(Expr::col("do_import").eq(true)))
        .await?;
    for (id,) in ids {
        schedule(db, id, false).await?;
    }
    Ok(())
}

/// When the account's job runs next (`None`: no run waiting).
pub async fn next_run(db: &Db, account: i64) -> Result<Option<chrono::DateTime<chrono::Utc>>, sqlx::Error> {
    db.scalar(
        Query::select()
            .column("run_at")
            .from("jobs")
            .and_where(Expr::col("dedupe_key").eq(key(account)))
            .and_where(Expr::col("status").is_in(["queued", "running"])),
    )
    .await
}

/// The job: one run, then the next one scheduled (none when the account is gone or import is off).
pub async fn job(state: &AppState, payload: &str) -> Outcome {
    let account = serde_json::from_str::<serde_json::Value>(payload).ok().and_then(|v| v["account"].as_i64());
    let Some(account) = account else { return Outcome::Failed(format!("bad payload {payload:?}")) };
    let every = ChronoDuration::from_std(state.config.mail_import_interval).unwrap_or(ChronoDuration::seconds(120));
    match run::run(state, account).await {
        Ok(run::Ran::Stopped) => Outcome::Done,
        // More waiting: due at once; the worker runs other due jobs (older `run_at`) first.
        Ok(run::Ran::Done { more: true }) => Outcome::Reschedule(db::now()),
        Ok(run::Ran::Done { more: false }) => Outcome::Reschedule(db::now() + every),
        // The database failed: the import goes on at its usual pace once it is back.
        Err(e) => {
            tracing::error!(account, error = %e, "mail import failed");
            Outcome::Reschedule(db::now() + every)
        }
    }
}
