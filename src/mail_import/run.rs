//! One run of an account's import (§7.2): log in, then for INBOX and the sent folder look at the
//! UIDs past the folder's mark (all of them when UIDVALIDITY changed), count those without a
//! ticket (the server's own TEXT search finds the others), fetch the ticketed ones without marking
//! them read and file each (`file`). A message that cannot be filed is recorded with its reason and
//! the run goes on; a folder or connection that fails is recorded on the report.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::file;
use super::report::{self, Folder, Verdict};
use crate::app::AppState;
use crate::mail_accounts::check::{self, ImapSession};
use crate::mail_accounts::model::{MailAccount, PASSWORD_PURPOSE};

/// Messages looked at per folder and run; more wait for the next run (which comes at once).
const PER_RUN: usize = 500;
/// UIDs per round trip (and at most this many messages per transaction).
const CHUNK: usize = 50;
/// A batch is filed once its messages reach this many bytes (one large message is a batch alone).
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// A run starts no new chunk after this long, so the worker's other jobs are not held up.
const BUDGET: Duration = Duration::from_secs(60);
/// One IMAP command (a chunk's fetch included) must answer within this.
pub(crate) const COMMAND: Duration = Duration::from_secs(120);
/// Sent folders by their usual names, when neither the account nor the server's LIST says.
const SENT_NAMES: [&str; 5] = ["Sent", "Sent Items", "Sent Messages", "Sent Mail", "INBOX.Sent"];

/// What a run came to.
pub enum Ran {
    /// The account is gone or its import is off: no more runs.
    Stopped,
    /// Done; `more`: messages are waiting past this run's share.
    Done { more: bool },
}

async fn timed<T, E: std::fmt::Display>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(COMMAND, f).await {
        Err(_) => Err(format!("{what}: the server did not answer within {} seconds", COMMAND.as_secs())),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Ok(Ok(v)) => Ok(v),
    }
}

/// Runs the import of account `id` once. `Err`: the database failed (the job retries).
pub async fn run(state: &AppState, id: i64) -> Result<Ran, String> {
    let db_err = |e: sqlx::Error| format!("database: {e}");
    let Some(a) = crate::mail_accounts::repo::by_id(&state.db, id).await.map_err(db_err)? else {
        return Ok(Ran::Stopped);
    };
    if !a.do_import {
        return Ok(Ran::Stopped);
    }
    let password = if a.password.is_empty() {
        Ok(String::new())
    } else {
        state
            .mail
            .cipher
            .open(PASSWORD_PURPOSE, &a.password)
            .map_err(|e| format!("The stored password cannot be used: {e}."))
    };
    let session = match password {
        Ok(p) => {
            let limit = state.config.mail_test_timeout.max(Duration::from_secs(30));
            check::imap_login(&a, &p, limit, &state.mail.net).await
        }
        Err(e) => Err(e),
    };
    let mut s = match session {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(account = id, error = %e, "mail import could not log in");
            report::account_ran(&state.db, id, &e).await.map_err(db_err)?;
            return Ok(Ran::Done { more: false });
        }
    };
    let deadline = Instant::now() + BUDGET;
    let mut folders = vec![("inbox", "INBOX".to_string())];
    match sent_folder(&mut s, &a).await {
        Ok(Some(sent)) => folders.push(("sent", sent)),
        Ok(None) => {}
        Err(e) => tracing::warn!(account = id, error = %e, "mail import could not list folders"),
    }
    let mut more = false;
    for (role, name) in folders {
        let f = report::folder(&state.db, id, role, &name).await.map_err(db_err)?;
        match scan(state, &mut s, &a, f.clone(), deadline).await {
            Ok(m) => {
                more |= m;
                report::ran(&state.db, f.id, "").await.map_err(db_err)?;
            }
            Err(Stop::Db(e)) => return Err(e),
            Err(Stop::Imap(e)) => {
                tracing::warn!(account = id, folder = %name, error = %e, "mail import: folder failed");
                report::ran(&state.db, f.id, &e).await.map_err(db_err)?;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), s.logout()).await;
    // A folder's own error is on its row; the account's line is for the connection.
    report::account_ran(&state.db, id, "").await.map_err(db_err)?;
    Ok(Ran::Done { more })
}

/// The account's sent folder: as set, else the one LIST marks `\Sent`, else a usual name.
async fn sent_folder(s: &mut ImapSession, a: &MailAccount) -> Result<Option<String>, String> {
    if !a.sent_folder.trim().is_empty() {
        return Ok(Some(a.sent_folder.trim().to_string()));
    }
    let names = {
        let stream = timed("LIST", s.list(Some(""), Some("*"))).await?;
        let all: Vec<_> = stream.collect().await;
        all.into_iter()
            .filter_map(Result::ok)
            .map(|n| {
                let sent = n.attributes().iter().any(|at| matches!(at, async_imap::types::NameAttribute::Sent));
                (n.name().to_string(), sent)
            })
            .collect::<Vec<_>>()
    };
    if let Some((n, _)) = names.iter().find(|(_, sent)| *sent) {
        return Ok(Some(n.clone()));
    }
    Ok(SENT_NAMES
        .iter()
        .find_map(|want| names.iter().find(|(n, _)| n.eq_ignore_ascii_case(want)).map(|(n, _)| n.clone())))
}

enum Stop {
    Db(String),
    Imap(String),
}

fn set(uids: &[u32]) -> String {
    uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Scans one folder; `Ok(true)` when messages are left for the next run.
async fn scan(
    state: &AppState,
    s: &mut ImapSession,
    a: &MailAccount,
    mut f: Folder,
    deadline: Instant,
) -> Result<bool, Stop> {
    let db = |e: sqlx::Error| Stop::Db(format!("database: {e}"));
    let mb = timed(&format!("Opening {}", f.folder), s.examine(&f.folder)).await.map_err(Stop::Imap)?;
    let validity = i64::from(mb.uid_validity.unwrap_or(0));
    if f.uidvalidity != Some(validity) {
        report::restart(&state.db, &f, validity).await.map_err(db)?;
        f.uidvalidity = Some(validity);
        f.last_uid = 0;
    }
    if mb.exists == 0 || mb.uid_next.is_some_and(|next| i64::from(next) <= f.last_uid + 1) {
        return Ok(false);
    }
    let from = f.last_uid + 1;
    let mut all: Vec<u32> = timed("UID SEARCH", s.uid_search(format!("UID {from}:*")))
        .await
        .map_err(Stop::Imap)?
        .into_iter()
        .filter(|u| i64::from(*u) >= from)
        .collect();
    all.sort_unstable();
    if all.is_empty() {
        return Ok(false);
    }
    let more = all.len() > PER_RUN;
    all.truncate(PER_RUN);
    // The server reads the bodies for TEXT: only this run's share, not the whole rest of the folder.
    let upto = all[all.len() - 1];
    let ticketed: HashSet<u32> = timed("UID SEARCH TEXT", s.uid_search(format!("UID {from}:{upto} TEXT \"[ticket:\"")))
        .await
        .map_err(Stop::Imap)?;
    for chunk in all.chunks(CHUNK) {
        if Instant::now() > deadline {
            return Ok(true);
        }
        let (with, without): (Vec<u32>, Vec<u32>) = chunk.iter().partition(|u| ticketed.contains(u));
        if !without.is_empty() {
            // The mark stops below the first ticketed message, so a crash cannot pass over it.
            let upto = with.first().map(|u| u - 1).unwrap_or(chunk[chunk.len() - 1]);
            let mut tx = state.db.begin().await.map_err(db)?;
            report::count(&mut tx, f.id, Verdict::NoTicket, without.len() as i64, i64::from(upto)).await.map_err(db)?;
            tx.commit().await.map_err(db)?;
        }
        if with.is_empty() {
            continue;
        }
        let fetch = fetch_chunk(state, s, a, &f, &with).await?;
        for (uid, why) in fetch {
            report::fail(&state.db, &f, i64::from(uid), "", "", &why).await.map_err(db)?;
        }
        // The chunk is done: the mark passes its last UID too (a letter without a ticket after the
        // last ticketed one would otherwise be counted again by the next run).
        let mut tx = state.db.begin().await.map_err(db)?;
        report::count(&mut tx, f.id, Verdict::NoTicket, 0, i64::from(chunk[chunk.len() - 1])).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
    }
    Ok(more)
}

/// Fetches and files the ticketed `uids`; returns the UIDs that could not even be fetched, with why.
async fn fetch_chunk(
    state: &AppState,
    s: &mut ImapSession,
    a: &MailAccount,
    f: &Folder,
    uids: &[u32],
) -> Result<Vec<(u32, String)>, Stop> {
    let max = state.config.mail_import_max_bytes;
    let mut sizes = Vec::with_capacity(uids.len());
    {
        let mut stream =
            timed("UID FETCH sizes", s.uid_fetch(set(uids), "(UID RFC822.SIZE)")).await.map_err(Stop::Imap)?;
        while let Some(item) =
            timed("UID FETCH sizes", async { Ok::<_, String>(stream.next().await) }).await.map_err(Stop::Imap)?
        {
            let item = item.map_err(|e| Stop::Imap(format!("UID FETCH sizes: {e}")))?;
            if let (Some(uid), Some(size)) = (item.uid, item.size) {
                sizes.push((uid, size as usize));
            }
        }
    }
    let mut problems = Vec::new();
    let mut wanted = Vec::new();
    for &uid in uids {
        match sizes.iter().find(|(u, _)| *u == uid) {
            None => problems.push((uid, "The message was gone from the server before it could be fetched.".to_string())),
            Some((_, size)) if *size > max => problems.push((
                uid,
                format!(
                    "The message is {}, over the import's limit of {} (FERROCRM_MAIL_IMPORT_MAX_BYTES); it stays on the server.",
                    crate::files::human_size(*size as i64),
                    crate::files::human_size(max as i64)
                ),
            )),
            Some(_) => wanted.push(uid),
        }
    }
    if wanted.is_empty() {
        return Ok(problems);
    }
    let mut got = HashSet::new();
    let mut batch: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut batch_bytes = 0;
    let mut stream = timed("UID FETCH", s.uid_fetch(set(&wanted), "(UID BODY.PEEK[])")).await.map_err(Stop::Imap)?;
    while let Some(item) =
        timed("UID FETCH", async { Ok::<_, String>(stream.next().await) }).await.map_err(Stop::Imap)?
    {
        let item = item.map_err(|e| Stop::Imap(format!("UID FETCH: {e}")))?;
        let (Some(uid), Some(body)) = (item.uid, item.body()) else { continue };
        if !wanted.contains(&uid) || !got.insert(uid) {
            continue;
        }
        batch_bytes += body.len();
        batch.push((i64::from(uid), body.to_vec()));
        // Filed a batch at a time (one transaction); its bytes are bounded, so memory stays flat.
        if batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            file::file_batch(state, a, f, std::mem::take(&mut batch)).await.map_err(Stop::Db)?;
        }
    }
    drop(stream);
    if !batch.is_empty() {
        file::file_batch(state, a, f, batch).await.map_err(Stop::Db)?;
    }
    for uid in wanted {
        if !got.contains(&uid) {
            problems.push((uid, "The server sent no body for the message.".to_string()));
        }
    }
    Ok(problems)
}
