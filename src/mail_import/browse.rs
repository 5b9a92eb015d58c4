//! The mailbox browser's IMAP side (§7.3): INBOX's headers a page at a time (UID SEARCH for the
//! UIDs, then one UID FETCH of the page's header fields, never a body), one message's bytes by UID
//! (§7.4 "view original"), and the actions DELETE (to Trash, else flagged and expunged), SPAM (to
//! Spam or Junk) and MARK AS READ. Every failure comes back as plain words for the page.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::app::AppState;
use crate::mail_accounts::check::{self, ImapSession};
use crate::mail_accounts::model::{MailAccount, PASSWORD_PURPOSE};

/// Headers on one page of the browser.
pub const PER_PAGE: usize = 40;

/// One line of the browser.
#[derive(Clone, Debug)]
pub struct Header {
    pub uid: u32,
    pub seen: bool,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub date: Option<DateTime<Utc>>,
    /// As the header says, with its angle brackets (empty when the message has none).
    pub message_id: String,
}

/// One page of INBOX, newest UID first.
pub struct Listing {
    pub uidvalidity: u32,
    /// Messages in INBOX.
    pub total: usize,
    pub headers: Vec<Header>,
}

/// Logs in to the account's IMAP server (its stored password opened here).
pub async fn open(state: &AppState, a: &MailAccount) -> Result<ImapSession, String> {
    let password = if a.password.is_empty() {
        String::new()
    } else {
        state
            .mail
            .cipher
            .open(PASSWORD_PURPOSE, &a.password)
            .map_err(|e| format!("The stored password cannot be used: {e}."))?
    };
    check::imap_login(a, &password, state.config.mail_test_timeout.max(Duration::from_secs(30)), &state.mail.net).await
}

/// Logs out, not waiting long for a server that does not answer.
pub async fn close(mut s: ImapSession) {
    let _ = tokio::time::timeout(Duration::from_secs(5), s.logout()).await;
}

/// One IMAP command within the import's time limit; a refusal in the server's words.
async fn cmd<T>(what: &str, f: impl std::future::Future<Output = async_imap::error::Result<T>>) -> Result<T, String> {
    match tokio::time::timeout(super::run::COMMAND, f).await {
        Err(_) => Err(format!("{what}: the server did not answer within {} seconds.", super::run::COMMAND.as_secs())),
        Ok(Err(e)) => Err(imap_error(what, e)),
        Ok(Ok(v)) => Ok(v),
    }
}

/// The next item of a fetch, within the time limit.
async fn next<S: futures_util::Stream<Item = async_imap::error::Result<T>> + Unpin, T>(
    what: &str,
    stream: &mut S,
) -> Result<Option<T>, String> {
    match tokio::time::timeout(super::run::COMMAND, stream.next()).await {
        Err(_) => Err(format!("{what}: the server did not answer within {} seconds.", super::run::COMMAND.as_secs())),
        Ok(None) => Ok(None),
        Ok(Some(Err(e))) => Err(imap_error(what, e)),
        Ok(Some(Ok(v))) => Ok(Some(v)),
    }
}

fn imap_error(what: &str, e: async_imap::error::Error) -> String {
    match e {
        async_imap::error::Error::No(words) | async_imap::error::Error::Bad(words) => {
            format!("{what}: the server answered {}", check::server_words(&words))
        }
        e => format!("{what}: {e}."),
    }
}

/// Opens INBOX (read-only with `examine`); its UIDVALIDITY.
pub async fn inbox(s: &mut ImapSession, write: bool) -> Result<u32, String> {
    let mb = if write {
        cmd("Opening INBOX", s.select("INBOX")).await?
    } else {
        cmd("Opening INBOX", s.examine("INBOX")).await?
    };
    Ok(mb.uid_validity.unwrap_or(0))
}

/// Page `page` (from 1) of INBOX's headers, newest UID first.
pub async fn list(s: &mut ImapSession, page: usize) -> Result<Listing, String> {
    let uidvalidity = inbox(s, false).await?;
    let mut uids: Vec<u32> = cmd("UID SEARCH", s.uid_search("ALL")).await?.into_iter().collect();
    uids.sort_unstable_by_key(|u| std::cmp::Reverse(*u));
    let total = uids.len();
    let from = page.saturating_sub(1) * PER_PAGE;
    let wanted: Vec<u32> = uids.into_iter().skip(from).take(PER_PAGE).collect();
    let mut headers = Vec::with_capacity(wanted.len());
    if !wanted.is_empty() {
        let query = "(UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])";
        let mut stream = cmd("UID FETCH headers", s.uid_fetch(set(&wanted), query)).await?;
        while let Some(item) = next("UID FETCH headers", &mut stream).await? {
            let Some(uid) = item.uid else { continue };
            if !wanted.contains(&uid) {
                continue;
            }
            let seen = item.flags().any(|f| matches!(f, async_imap::types::Flag::Seen));
            headers.push(header(uid, seen, item.header().unwrap_or_default()));
        }
    }
    headers.sort_unstable_by_key(|h| std::cmp::Reverse(h.uid));
    Ok(Listing { uidvalidity, total, headers })
}

/// The header fields of one message, decoded (RFC 2047 words, folded lines) by mail-parser.
fn header(uid: u32, seen: bool, raw: &[u8]) -> Header {
    use mail_parser::MessageParser;
    let mut h = Header {
        uid,
        seen,
        subject: String::new(),
        from: String::new(),
        to: String::new(),
        date: None,
        message_id: String::new(),
    };
    let mut with_body = raw.to_vec();
    with_body.extend_from_slice(b"\r\n");
    let parsed = std::panic::catch_unwind(|| {
        MessageParser::default().parse(&with_body).map(|m| {
            let person = |a: Option<&mail_parser::Address<'_>>| {
                a.map(|a| {
                    a.iter()
                        .map(|x| match (x.name(), x.address()) {
                            (Some(n), Some(ad)) => format!("{n} <{ad}>"),
                            (None, Some(ad)) => ad.to_string(),
                            (Some(n), None) => n.to_string(),
                            (None, None) => String::new(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
            };
            (
                m.subject().unwrap_or("").to_string(),
                person(m.from()),
                person(m.to()),
                m.date().filter(|d| d.is_valid()).and_then(|d| DateTime::<Utc>::from_timestamp(d.to_timestamp(), 0)),
                m.message_id().map(|id| format!("<{}>", id.trim())).unwrap_or_default(),
            )
        })
    });
    if let Ok(Some((subject, from, to, date, message_id))) = parsed {
        let cut = |s: String, n: usize| super::parse::clean(s.trim(), n);
        h.subject = cut(subject, 250);
        h.from = cut(from, 400);
        h.to = cut(to, 400);
        h.date = date;
        h.message_id = cut(message_id, 900);
    }
    h
}

fn set(uids: &[u32]) -> String {
    uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// The message `uid` of INBOX as stored on the server (`Ok(None)`: no such message), unless it is
/// larger than `max` bytes.
pub async fn fetch(s: &mut ImapSession, uid: u32, max: usize) -> Result<Option<Vec<u8>>, String> {
    let size = {
        let mut stream = cmd("UID FETCH size", s.uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")).await?;
        let mut size = None;
        while let Some(item) = next("UID FETCH size", &mut stream).await? {
            if item.uid == Some(uid) {
                size = item.size;
            }
        }
        size
    };
    let Some(size) = size else { return Ok(None) };
    if size as usize > max {
        return Err(format!(
            "The message is {}, over the import's limit of {} (FERROCRM_MAIL_IMPORT_MAX_BYTES).",
            crate::files::human_size(i64::from(size)),
            crate::files::human_size(max as i64)
        ));
    }
    let mut stream = cmd("UID FETCH", s.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")).await?;
    let mut body = None;
    while let Some(item) = next("UID FETCH", &mut stream).await? {
        if item.uid == Some(uid)
            && let Some(b) = item.body()
        {
            body = Some(b.to_vec());
        }
    }
    Ok(body)
}

/// What the browser's buttons do to the ticked messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Delete,
    Spam,
    Read,
}

/// Folders by their usual names, when neither the account nor the server's LIST says.
const TRASH_NAMES: [&str; 4] = ["Trash", "Deleted Items", "Deleted Messages", "INBOX.Trash"];
const SPAM_NAMES: [&str; 4] = ["Spam", "Junk", "Junk E-mail", "INBOX.Spam"];

/// The account's Trash or Spam folder: as set, else the one LIST marks, else a usual name.
async fn special(s: &mut ImapSession, set: &str, spam: bool) -> Result<Option<String>, String> {
    use async_imap::types::NameAttribute;
    if !set.trim().is_empty() {
        return Ok(Some(set.trim().to_string()));
    }
    let names: Vec<(String, bool)> = {
        let stream = cmd("LIST", s.list(Some(""), Some("*"))).await?;
        let all: Vec<_> = stream.collect().await;
        all.into_iter()
            .filter_map(Result::ok)
            .map(|n| {
                let marked = n.attributes().iter().any(|at| {
                    if spam { matches!(at, NameAttribute::Junk) } else { matches!(at, NameAttribute::Trash) }
                });
                (n.name().to_string(), marked)
            })
            .collect()
    };
    if let Some((n, _)) = names.iter().find(|(_, m)| *m) {
        return Ok(Some(n.clone()));
    }
    let usual: &[&str] = if spam { &SPAM_NAMES } else { &TRASH_NAMES };
    Ok(usual.iter().find_map(|want| names.iter().find(|(n, _)| n.eq_ignore_ascii_case(want)).map(|(n, _)| n.clone())))
}

/// Moves `uids` of the selected INBOX to `to`: MOVE when the server has it, else COPY, flag
/// deleted and expunge those UIDs.
async fn move_to(s: &mut ImapSession, uids: &str, to: &str) -> Result<(), String> {
    let caps = cmd("CAPABILITY", s.capabilities()).await?;
    if caps.has_str("MOVE") {
        return cmd("UID MOVE", s.uid_mv(uids, to)).await;
    }
    cmd("UID COPY", s.uid_copy(uids, to)).await?;
    delete(s, uids, caps.has_str("UIDPLUS")).await
}

/// Flags `uids` deleted and expunges them (only them with UIDPLUS).
async fn delete(s: &mut ImapSession, uids: &str, uidplus: bool) -> Result<(), String> {
    {
        let stream = cmd("UID STORE", s.uid_store(uids, "+FLAGS.SILENT (\\Deleted)")).await?;
        let _: Vec<_> = stream.collect().await;
    }
    if uidplus {
        let stream = cmd("UID EXPUNGE", s.uid_expunge(uids)).await?;
        let _: Vec<_> = stream.collect().await;
    } else {
        let stream = cmd("EXPUNGE", s.expunge()).await?;
        let _: Vec<_> = stream.collect().await;
    }
    Ok(())
}

/// Does `act` to `uids` of INBOX; what was done, in words.
pub async fn act(s: &mut ImapSession, a: &MailAccount, act: Act, uids: &[u32]) -> Result<String, String> {
    let n = uids.len();
    let plural = if n == 1 { "" } else { "s" };
    inbox(s, true).await?;
    let list = set(uids);
    match act {
        Act::Read => {
            let stream = cmd("UID STORE", s.uid_store(&list, "+FLAGS.SILENT (\\Seen)")).await?;
            let _: Vec<_> = stream.collect().await;
            Ok(format!("{n} message{plural} marked as read."))
        }
        Act::Delete => match special(s, &a.trash_folder, false).await? {
            Some(trash) if !trash.eq_ignore_ascii_case("INBOX") => {
                move_to(s, &list, &trash).await?;
                Ok(format!("{n} message{plural} moved to {trash}."))
            }
            _ => {
                let caps = cmd("CAPABILITY", s.capabilities()).await?;
                delete(s, &list, caps.has_str("UIDPLUS")).await?;
                Ok(format!("{n} message{plural} deleted (the mailbox has no Trash folder)."))
            }
        },
        Act::Spam => match special(s, &a.spam_folder, true).await? {
            Some(spam) if !spam.eq_ignore_ascii_case("INBOX") => {
                move_to(s, &list, &spam).await?;
                Ok(format!("{n} message{plural} moved to {spam}."))
            }
            _ => Err("The mailbox has no Spam or Junk folder: nothing was moved.".into()),
        },
    }
}

/// The UIDs of `uids` that are still in INBOX (the page may be older than the mailbox).
pub async fn present(s: &mut ImapSession, uids: &[u32]) -> Result<HashSet<u32>, String> {
    if uids.is_empty() {
        return Ok(HashSet::new());
    }
    cmd("UID SEARCH", s.uid_search(format!("UID {}", set(uids)))).await
}
