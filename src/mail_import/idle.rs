//! IMAP IDLE: new mail filed within seconds where the server offers it (issue 10). One task per
//! account with import on holds a connection idling on INBOX; whatever the server announces makes
//! the account's import job due now (`schedule`), so filing stays in the job (one run at a time,
//! the same bookkeeping). Without IDLE, or while the connection is down, the job's polling covers.
//! Each instance running workers watches: a second instance's announcement only moves the same job.

use std::collections::HashMap;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use sea_query::{Expr, ExprTrait, Query};
use tokio::task::JoinHandle;

use crate::app::AppState;
use crate::mail_accounts::check;
use crate::mail_accounts::model::PASSWORD_PURPOSE;

/// How often the set of watched accounts is brought up to date.
const LOOK: Duration = Duration::from_secs(5);
/// IDLE is renewed well before servers drop it (RFC 2177: 29 minutes), and the account's settings
/// looked at again.
const RENEW: Duration = Duration::from_secs(5 * 60);
/// A server without IDLE is asked again after this long (its settings may change).
const NO_IDLE: Duration = Duration::from_secs(15 * 60);
/// A watcher that lost its connection tries again after this long.
const RETRY: Duration = Duration::from_secs(60);

/// Keeps one watcher per account with import on; runs for the life of the worker.
pub async fn supervise(state: AppState) {
    let mut watching: HashMap<i64, JoinHandle<()>> = HashMap::new();
    loop {
        watching.retain(|_, h| !h.is_finished());
        let wanted: Result<Vec<(i64,)>, _> = state
            .db
            .fetch_all(
                Query::select()
                    .column("id")
                    .from("mail_accounts")
                    .and_where(Expr::col("do_import").eq(true))
                    .and_where(Expr::col("imap_host").ne("")),
            )
            .await;
        if let Ok(ids) = wanted {
            for (id,) in ids {
                watching.entry(id).or_insert_with(|| tokio::spawn(watch(state.clone(), id)));
            }
        }
        tokio::time::sleep(LOOK).await;
    }
}

/// Watches one account's INBOX until the account is gone or its import off.
async fn watch(state: AppState, id: i64) {
    loop {
        match idle_once(&state, id).await {
            Ok(Idle::Again) => continue,
            Ok(Idle::Unsupported) => tokio::time::sleep(NO_IDLE).await,
            Ok(Idle::Stop) => return,
            Err(e) => {
                tracing::debug!(account = id, error = %e, "mail IDLE: connection lost; polling meanwhile");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

enum Idle {
    /// Connect again (the settings changed).
    Again,
    /// The server offers no IDLE: polling it is.
    Unsupported,
    /// The account is gone or its import off.
    Stop,
}

/// One connection's worth of IDLE.
async fn idle_once(state: &AppState, id: i64) -> Result<Idle, String> {
    let Some(a) = crate::mail_accounts::repo::by_id(&state.db, id).await.map_err(|e| e.to_string())? else {
        return Ok(Idle::Stop);
    };
    if !a.do_import || a.imap_host.is_empty() {
        return Ok(Idle::Stop);
    }
    let password = if a.password.is_empty() {
        String::new()
    } else {
        state.mail.cipher.open(PASSWORD_PURPOSE, &a.password).map_err(|e| e.to_string())?
    };
    let mut s = check::imap_login(&a, &password, Duration::from_secs(30), &state.mail.net).await?;
    let caps = s.capabilities().await.map_err(|e| e.to_string())?;
    if !caps.has_str("IDLE") {
        let _ = s.logout().await;
        return Ok(Idle::Unsupported);
    }
    let inbox = s.examine("INBOX").await.map_err(|e| e.to_string())?;
    // Mail that came while nobody watched (before the first connection, or while it was down).
    let known = super::report::folders(&state.db, id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|f| f.folder == "INBOX" && f.uidvalidity == inbox.uid_validity.map(i64::from))
        .map(|f| f.last_uid);
    if inbox.uid_next.is_some_and(|next| known.is_none_or(|last| i64::from(next) > last + 1)) {
        super::schedule(&state.db, id, true).await.map_err(|e| e.to_string())?;
        state.wake.notify_one();
    }
    loop {
        let mut handle = s.idle();
        handle.init().await.map_err(|e| e.to_string())?;
        let answer = {
            let (wait, _stop) = handle.wait_with_timeout(RENEW);
            wait.await.map_err(|e| e.to_string())?
        };
        s = handle.done().await.map_err(|e| e.to_string())?;
        if let IdleResponse::NewData(_) = answer {
            super::schedule(&state.db, id, true).await.map_err(|e| e.to_string())?;
            state.wake.notify_one();
        }
        // The account may have been switched off or changed meanwhile.
        match crate::mail_accounts::repo::by_id(&state.db, id).await.map_err(|e| e.to_string())? {
            Some(now) if now.do_import && now.updated_at == a.updated_at => {}
            Some(now) if now.do_import => {
                let _ = s.logout().await;
                return Ok(Idle::Again);
            }
            _ => {
                let _ = s.logout().await;
                return Ok(Idle::Stop);
            }
        }
    }
}
