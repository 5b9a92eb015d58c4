//! Filing fetched messages (§7.2), a batch per transaction, each message in its savepoint: read
//! it, apply the skip rules (our own mail, no ticket, a ticket nobody has, a Message-ID already
//! filed), then: the stored original,
//! the email on the deal or request of its ticket (owner and department from that object), its
//! text and HTML bodies, its attachments as files, the deal's workflow line, the account owner's
//! notice (incoming mail), and the folder's counts. Events go out after the commit.

use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr};

use super::parse::{self, Parsed};
use super::report::{self, Folder, Verdict};
use crate::access::ItemKind;
use crate::app::AppState;
use crate::db::{self, Tx};
use crate::events::DomainEvent;
use crate::files::Upload;
use crate::history::{self, Actor, Change, Diff};
use crate::mail_accounts::model::MailAccount;

/// The deal or request a ticket names, with what the email inherits from it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct Target {
    pub deal_id: Option<i64>,
    pub request_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub company_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub department_id: i64,
}

/// Who files a message and what it is: the scan (`Mail import`, a reply in a thread, the account
/// owner told), or a person in the mailbox browser (`mail_import::inquiry`).
pub(crate) struct How {
    pub actor: Actor,
    /// The email that starts a request (§7.3 "inquiry").
    pub inquiry: bool,
    /// The account owner gets "Received an email from …" (not when they filed it themselves).
    pub notify: bool,
}

/// What a filed message changed, for the events after commit.
pub struct Filed {
    pub email_id: i64,
    pub deal_id: Option<i64>,
    pub request_id: Option<i64>,
    pub notified: Option<i64>,
}

/// The host part of the CRM's own Message-IDs (`outbox::enqueue` makes `<…@host>` from the base URL).
pub fn own_host(cfg: &crate::config::Config) -> String {
    cfg.base_url
        .split("://")
        .nth(1)
        .and_then(|h| h.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("ferrocrm.local")
        .to_ascii_lowercase()
}

/// `<id>` as stored; both spellings as looked for.
pub(crate) fn spellings(message_id: &str) -> [String; 2] {
    [format!("<{message_id}>"), message_id.to_string()]
}

pub(crate) async fn target(tx: &mut Tx, ticket: &str) -> Result<Option<Target>, sqlx::Error> {
    let deal = Query::select()
        .expr_as(Expr::col("id"), "deal_id")
        .columns(["request_id", "contact_id", "company_id", "lead_id", "owner_id", "department_id"])
        .from("deals")
        .and_where(Expr::col("ticket").eq(ticket))
        .limit(1)
        .to_owned();
    if let Some(t) = tx.fetch_optional::<Target>(&deal).await? {
        return Ok(Some(t));
    }
    let request = Query::select()
        .column("deal_id")
        .expr_as(Expr::col("id"), "request_id")
        .columns(["contact_id", "company_id", "lead_id", "owner_id", "department_id"])
        .from("requests")
        .and_where(Expr::col("ticket").eq(ticket))
        .order_by("id", Order::Asc)
        .limit(1)
        .to_owned();
    tx.fetch_optional::<Target>(&request).await
}

/// Sent by the CRM itself: our header, a Message-ID of our host, or the Message-ID of an email
/// the CRM wrote (a row that did not come by IMAP: the letters sent through a user's account carry
/// a Message-ID of that account's domain, so only the row recognises them).
pub(crate) async fn is_own(tx: &mut Tx, p: &Parsed, host: &str) -> Result<bool, sqlx::Error> {
    if p.crm_header || p.message_id.to_ascii_lowercase().ends_with(&format!("@{host}")) {
        return Ok(true);
    }
    let sent: Option<i64> = tx.scalar(&own_query(&p.message_id)).await?;
    Ok(sent.is_some())
}

pub(crate) async fn is_duplicate(tx: &mut Tx, p: &Parsed, account: i64, t: &Target) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = tx.scalar(&duplicate_query(&p.message_id, account, t.deal_id, t.request_id)).await?;
    Ok(found.is_some())
}

/// A letter the CRM wrote with this Message-ID (composed, queued or sent: not brought in by an
/// import). Public for the query-plan test: it must be one probe of migration 27's index.
pub fn own_query(message_id: &str) -> SelectStatement {
    Query::select()
        .column("id")
        .from("crm_emails")
        .and_where(Expr::col("message_id").is_in(spellings(message_id)))
        // The index of the rows that have one (migration 27), as its condition is written.
        .and_where(Expr::cust("message_id <> ''"))
        .and_where(Expr::col("uid").is_null())
        .limit(1)
        .to_owned()
}

/// A letter with this Message-ID already filed through the account, or on the deal or request.
/// Public for the query-plan test, like `own_query`.
pub fn duplicate_query(message_id: &str, account: i64, deal: Option<i64>, request: Option<i64>) -> SelectStatement {
    let mut same_place = Expr::col("account_id").eq(account);
    if let Some(d) = deal {
        same_place = same_place.or(Expr::col("deal_id").eq(d));
    }
    if let Some(r) = request {
        same_place = same_place.or(Expr::col("request_id").eq(r));
    }
    Query::select()
        .column("id")
        .from("crm_emails")
        .and_where(Expr::col("message_id").is_in(spellings(message_id)))
        .and_where(Expr::cust("message_id <> ''"))
        .and_where(same_place)
        .limit(1)
        .to_owned()
}

/// Prepends "<date> - <text>" to the deal's workflow (§1.4 `add_to_workflow`).
async fn workflow_line(tx: &mut Tx, deal: i64, text: &str) -> Result<(), sqlx::Error> {
    let old: Option<String> =
        tx.scalar(Query::select().column("workflow").from("deals").and_where(Expr::col("id").eq(deal))).await?;
    let line = format!("{} - {text}", db::now().format("%Y-%m-%d"));
    let joined = match old.filter(|o| !o.is_empty()) {
        Some(o) => format!("{line}\n{o}"),
        None => line,
    };
    tx.execute(Query::update().table("deals").value("workflow", joined).and_where(Expr::col("id").eq(deal))).await?;
    Ok(())
}

/// A message's original and attachments in temporary files (fsynced with the batch's, before any
/// is linked), or why they could not be written.
pub(crate) struct Prepared {
    pub original: Upload,
    pub attachments: Vec<Upload>,
}

/// One message of a batch: its UID, what mail-parser read, its files when it may be filed.
struct Item {
    uid: i64,
    parsed: Option<Parsed>,
    prepared: Option<Result<Prepared, String>>,
}

pub(crate) async fn prepare(tmp: &std::path::Path, raw: &[u8], p: &Parsed) -> Result<Prepared, String> {
    let original = Upload::from_bytes_unsynced(tmp, "original.eml", "message/rfc822", raw)
        .await
        .map_err(|e| format!("storing the original: {e}"))?;
    let mut attachments = Vec::with_capacity(p.attachments.len());
    for at in &p.attachments {
        let up = Upload::from_bytes_unsynced(tmp, &at.name, &at.content_type, &at.bytes)
            .await
            .map_err(|e| format!("storing the attachment {:?}: {e}", at.name))?;
        attachments.push(up);
    }
    Ok(Prepared { original, attachments })
}

/// A savepoint statement: constant text, the same on both backends.
async fn savepoint(tx: &mut Tx, sql: &'static str) -> Result<(), sqlx::Error> {
    tx.execute_constant(sql).await
}

/// Files a batch of fetched messages (`(uid, bytes)` of folder `f`, in UID order) in one
/// transaction, each in its own savepoint: a message the skip rules stop is counted, one that cannot
/// be filed is recorded as a failure with its reason, and neither touches the others. The batch's
/// originals and attachments are written to temporary files first and fsynced together, their blob
/// directories once each before the commit (the files' durability protocol, batched: one commit
/// and a few rounds of fsyncs per batch instead of several per message). Events go out after the
/// commit. `Err`: the database or the file store failed; nothing of the batch was counted, so the
/// next run reads it again.
pub async fn file_batch(
    state: &AppState,
    a: &MailAccount,
    f: &Folder,
    batch: Vec<(i64, Vec<u8>)>,
) -> Result<(), String> {
    let cap = state.config.mail_attachment_max_bytes;
    let parsed = tokio::task::spawn_blocking(move || {
        batch.into_iter().map(|(uid, raw)| (uid, parse::parse(&raw, cap), raw)).collect::<Vec<_>>()
    })
    .await
    .map_err(|e| format!("reading the messages failed: {e}"))?;
    let tmp = state.files.tmp_dir();
    let mut items = Vec::with_capacity(parsed.len());
    let mut unsynced = Vec::new();
    for (uid, p, raw) in parsed {
        let prepared = match &p {
            Some(p) if p.ticket.is_some() && !p.crm_header => Some(prepare(&tmp, &raw, p).await),
            _ => None,
        };
        if let Some(Ok(pr)) = &prepared {
            unsynced.push(pr.original.path().to_path_buf());
            unsynced.extend(pr.attachments.iter().map(|u| u.path().to_path_buf()));
        }
        items.push(Item { uid, parsed: p, prepared });
    }
    crate::files::sync_all_paths(unsynced).await.map_err(|e| format!("storing the originals: {e}"))?;
    let db_err = |e: sqlx::Error| format!("database: {e}");
    let mut dirs = crate::files::Dirs::default();
    let mut filed = Vec::new();
    let mut tx = state.db.begin().await.map_err(db_err)?;
    for it in &items {
        savepoint(&mut tx, "SAVEPOINT mail_import").await.map_err(db_err)?;
        let failure = match one(state, &mut tx, a, f, it, &mut dirs).await {
            Ok(Some(x)) => {
                filed.push(x);
                None
            }
            Ok(None) => None,
            Err(Written::Db(e)) if e.as_database_error().is_none() => return Err(db_err(e)),
            Err(w) => Some(w),
        };
        if let Some(w) = failure {
            // ROLLBACK TO keeps the savepoint; what the message wrote is gone, then it is counted.
            savepoint(&mut tx, "ROLLBACK TO SAVEPOINT mail_import").await.map_err(db_err)?;
            let subject = it.parsed.as_ref().map(|p| p.subject.as_str()).unwrap_or("");
            let mid = it.parsed.as_ref().map(|p| p.message_id.as_str()).unwrap_or("");
            match w {
                // Filed meanwhile by another run (the unique index): a duplicate, not a failure.
                Written::Db(e) if db::is_unique_violation(&e) => {
                    report::count(&mut tx, f.id, Verdict::Duplicate, 1, it.uid).await.map_err(db_err)?
                }
                // The database refused this message's values: the message's failure, not the run's.
                Written::Db(e) => {
                    let why = format!("The CRM could not store it: {e}");
                    tracing::info!(account = a.id, folder = %f.folder, uid = it.uid, error = %why, "mail import: message not filed");
                    report::fail_in(&mut tx, f, it.uid, mid, subject, &why).await.map_err(db_err)?
                }
                Written::Other(why) => {
                    tracing::info!(account = a.id, folder = %f.folder, uid = it.uid, error = %why, "mail import: message not filed");
                    report::fail_in(&mut tx, f, it.uid, mid, subject, &why).await.map_err(db_err)?
                }
            }
        }
        savepoint(&mut tx, "RELEASE SAVEPOINT mail_import").await.map_err(db_err)?;
    }
    dirs.sync().await.map_err(|e| format!("storing the originals: {e}"))?;
    tx.commit().await.map_err(db_err)?;
    for x in &filed {
        publish(state, x).await;
    }
    if !filed.is_empty() {
        // The batch's index rows (and any others waiting); a failure waits for the maintenance job.
        let step = filed.len() as u64 + 100;
        if let Err(e) = crate::crm::search::index_pending(&state.db, ItemKind::Email, step).await {
            tracing::warn!(error = %e, "indexing imported emails failed");
        }
    }
    Ok(())
}

/// One message inside the batch's transaction: the skip rules, else the filing; counted either way.
async fn one(
    state: &AppState,
    tx: &mut Tx,
    a: &MailAccount,
    f: &Folder,
    it: &Item,
    dirs: &mut crate::files::Dirs,
) -> Result<Option<Filed>, Written> {
    let Some(p) = &it.parsed else {
        return Err(Written::Other("mail-parser found no message in these bytes".into()));
    };
    let early = if is_own(tx, p, &own_host(&state.config)).await? { Some(Verdict::Own) } else { None };
    let found = match (&early, &p.ticket) {
        (None, Some(t)) => target(tx, t).await?,
        _ => None,
    };
    let early = early.or(match (&p.ticket, &found) {
        (None, _) => Some(Verdict::NoTicket),
        (Some(_), None) => Some(Verdict::UnknownTicket),
        (Some(_), Some(t)) => is_duplicate(tx, p, a.id, t).await?.then_some(Verdict::Duplicate),
    });
    if let Some(v) = early {
        report::count(tx, f.id, v, 1, it.uid).await?;
        return Ok(None);
    }
    let (Some(t), Some(ticket)) = (found, p.ticket.as_deref()) else { return Err(Written::Other("no target".into())) };
    let files = match &it.prepared {
        Some(Ok(pr)) => pr,
        Some(Err(why)) => return Err(Written::Other(why.clone())),
        None => return Err(Written::Other("the message's files were not written".into())),
    };
    let how = How { actor: Actor::system("Mail import"), inquiry: false, notify: true };
    let filed = write(state, tx, a, f, it.uid, p, &t, ticket, files, dirs, &how).await?;
    report::count(tx, f.id, Verdict::Filed, 1, it.uid).await?;
    Ok(Some(filed))
}

pub(crate) enum Written {
    Db(sqlx::Error),
    Other(String),
}

impl From<sqlx::Error> for Written {
    fn from(e: sqlx::Error) -> Self {
        Written::Db(e)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn write(
    state: &AppState,
    tx: &mut Tx,
    a: &MailAccount,
    f: &Folder,
    uid: i64,
    p: &Parsed,
    t: &Target,
    ticket: &str,
    files: &Prepared,
    dirs: &mut crate::files::Dirs,
    how: &How,
) -> Result<Filed, Written> {
    let other = |e: String| Written::Other(e);
    let raw_file_id = state
        .files
        .blob_in(tx, &files.original, Some(&mut *dirs))
        .await
        .map_err(|e| other(format!("storing the original: {e}")))?;
    let incoming = f.role != "sent";
    let now = db::now();
    let row: Vec<(&str, SimpleExpr)> = vec![
        ("subject", p.subject.as_str().into()),
        ("content", p.text.as_str().into()),
        ("html_content", p.html.as_str().into()),
        ("is_html", (!p.html.is_empty()).into()),
        ("from_field", p.from.as_str().into()),
        ("to", p.to.as_str().into()),
        ("cc", p.cc.as_str().into()),
        ("bcc", p.bcc.as_str().into()),
        ("incoming", incoming.into()),
        ("sent", (!incoming).into()),
        ("inquiry", how.inquiry.into()),
        ("ticket", ticket.into()),
        ("deal_id", t.deal_id.into()),
        ("request_id", t.request_id.into()),
        ("contact_id", t.contact_id.into()),
        ("company_id", t.company_id.into()),
        ("lead_id", t.lead_id.into()),
        ("uid", uid.into()),
        ("uidvalidity", f.uidvalidity.into()),
        ("imap_folder", f.folder.as_str().into()),
        ("imap_host", parse::clean(&a.imap_host, 200).into()),
        ("email_host_user", parse::clean(a.imap_user(), 200).into()),
        ("message_id", spellings(&p.message_id)[0].as_str().into()),
        ("account_id", a.id.into()),
        ("raw_file_id", raw_file_id.into()),
        ("department_id", t.department_id.into()),
        ("owner_id", t.owner_id.into()),
        ("created_at", p.date.unwrap_or(now).into()),
        ("updated_at", now.into()),
        // Index rows after the batch, sorted, in one step (`crm::search::index_pending`): a letter
        // of a few KB has hundreds of them, each on its own page; searches find it meanwhile.
        ("search_pending", true.into()),
    ];
    let mut q = Query::insert();
    q.into_table("crm_emails")
        .columns(row.iter().map(|(c, _)| *c))
        .values_panic(row.into_iter().map(|(_, v)| v))
        .returning_col("id");
    let id = tx.insert_id(&q).await?;
    let actor = &how.actor;
    let mut summary = format!("Imported from {} (UID {uid}) of {}", f.folder, a.email);
    if !p.too_large.is_empty() {
        let names: Vec<&str> = p.too_large.iter().map(|(n, _)| n.as_str()).collect();
        summary.push_str(&format!("; over the size limit, kept in the original only: {}", names.join(", ")));
    }
    history::record(tx, actor, "email", id, Change::Create, &summary, &Diff::default()).await?;
    if !files.attachments.is_empty() {
        state
            .files
            .save_in(tx, &files.attachments, "email", id, actor, Some(&mut *dirs))
            .await
            .map_err(|e| other(format!("storing the attachments: {e}")))?;
        // §7.3: the inquiry's attachments are the new request's files too (links, not copies).
        if let (true, Some(r)) = (how.inquiry, t.request_id) {
            state
                .files
                .save_in(tx, &files.attachments, "request", r, actor, Some(&mut *dirs))
                .await
                .map_err(|e| other(format!("storing the attachments: {e}")))?;
        }
    }
    let who = if p.from_name.is_empty() { "an unknown sender".to_string() } else { p.from_name.clone() };
    if let Some(deal) = t.deal_id {
        let line = if incoming {
            format!("Received an email from \u{201c}{who}\u{201d}")
        } else {
            format!("The Email has been sent to \u{201c}{}\u{201d}", p.to)
        };
        workflow_line(tx, deal, &line).await?;
    }
    let mut notified = None;
    if incoming && how.notify {
        let (kind, obj) = match (t.deal_id, t.request_id) {
            (Some(d), _) => (ItemKind::Deal, d),
            (None, Some(r)) => (ItemKind::Request, r),
            (None, None) => (ItemKind::Email, id),
        };
        let title = format!("Received an email from \u{201c}{who}\u{201d}");
        let body = if p.subject.is_empty() { "No subject".to_string() } else { p.subject.clone() };
        let url = crate::paths::item(kind, obj);
        let n = crate::notifications::Notice {
            user_id: a.owner_id,
            title: &title,
            body: &body,
            url: &url,
            object: Some((kind.info().slug, obj)),
        };
        crate::notifications::send(tx, &state.config, &n).await?;
        notified = Some(a.owner_id);
    }
    Ok(Filed { email_id: id, deal_id: t.deal_id, request_id: t.request_id, notified })
}

/// After the commit: the email's, the deal's and the request's pages and lists, and the bell.
pub async fn publish(state: &AppState, filed: &Filed) {
    let items = [
        (ItemKind::Email, Some(filed.email_id)),
        (ItemKind::Deal, filed.deal_id),
        (ItemKind::Request, filed.request_id),
    ];
    for (kind, id) in items {
        let Some(id) = id else { continue };
        if let Ok(it) = crate::items::load_any(&state.db, kind, id).await {
            crate::items::publish_changed(&state.bus, &it);
        }
    }
    if let Some(user_id) = filed.notified {
        state.bus.publish(DomainEvent::Notice { user_id });
    }
}
