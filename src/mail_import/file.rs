//! Filing one fetched message (§7.2): read it, apply the skip rules (our own mail, no ticket, a
//! ticket nobody has, a Message-ID already filed), then in one transaction: the stored original,
//! the email on the deal or request of its ticket (owner and department from that object), its
//! text and HTML bodies, its attachments as files, the deal's workflow line, the account owner's
//! notice (incoming mail), and the folder's counts. Events go out after the commit.

use sea_query::{Expr, ExprTrait, Order, Query, SimpleExpr};

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
    let sent: Option<i64> = tx
        .scalar(
            Query::select()
                .column("id")
                .from("crm_emails")
                .and_where(Expr::col("message_id").is_in(spellings(&p.message_id)))
                // Written by the CRM (composed, queued or sent), not brought in by an import.
                .and_where(Expr::col("uid").is_null())
                .limit(1),
        )
        .await?;
    Ok(sent.is_some())
}

pub(crate) async fn is_duplicate(tx: &mut Tx, p: &Parsed, account: i64, t: &Target) -> Result<bool, sqlx::Error> {
    let mut same_place = Expr::col("account_id").eq(account);
    if let Some(d) = t.deal_id {
        same_place = same_place.or(Expr::col("deal_id").eq(d));
    }
    if let Some(r) = t.request_id {
        same_place = same_place.or(Expr::col("request_id").eq(r));
    }
    let found: Option<i64> = tx
        .scalar(
            Query::select()
                .column("id")
                .from("crm_emails")
                .and_where(Expr::col("message_id").is_in(spellings(&p.message_id)))
                .and_where(same_place)
                .limit(1),
        )
        .await?;
    Ok(found.is_some())
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

/// Files `raw` (UID `uid` of folder `f`). `Err` is a reason to record: nothing was written.
pub async fn file(
    state: &AppState,
    a: &MailAccount,
    f: &Folder,
    uid: i64,
    raw: Vec<u8>,
) -> Result<(Verdict, Option<Filed>), String> {
    let cap = state.config.mail_attachment_max_bytes;
    let (raw, parsed) = tokio::task::spawn_blocking(move || {
        let p = parse::parse(&raw, cap);
        (raw, p)
    })
    .await
    .map_err(|e| format!("reading the message failed: {e}"))?;
    let Some(p) = parsed else {
        return Err("mail-parser found no message in these bytes".into());
    };
    let db_err = |e: sqlx::Error| format!("database: {e}");
    let mut tx = state.db.begin().await.map_err(db_err)?;
    let early =
        if is_own(&mut tx, &p, &own_host(&state.config)).await.map_err(db_err)? { Some(Verdict::Own) } else { None };
    let found = match (&early, &p.ticket) {
        (Some(_), _) => None,
        (None, None) => None,
        (None, Some(t)) => target(&mut tx, t).await.map_err(db_err)?,
    };
    let early = early.or(match (&p.ticket, &found) {
        (None, _) => Some(Verdict::NoTicket),
        (Some(_), None) => Some(Verdict::UnknownTicket),
        (Some(_), Some(t)) => is_duplicate(&mut tx, &p, a.id, t).await.map_err(db_err)?.then_some(Verdict::Duplicate),
    });
    if let Some(v) = early {
        report::count(&mut tx, f.id, v, 1, uid).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        return Ok((v, None));
    }
    let (Some(t), Some(ticket)) = (found, p.ticket.clone()) else { return Err("no target".into()) };
    let how = How { actor: Actor::system("Mail import"), inquiry: false, notify: true };
    match write(state, &mut tx, a, f, uid, &raw, &p, &t, &ticket, &how).await {
        Ok(filed) => {
            report::count(&mut tx, f.id, Verdict::Filed, 1, uid).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            Ok((Verdict::Filed, Some(filed)))
        }
        // Filed meanwhile by another run (the unique index): a duplicate, not a failure.
        Err(Written::Db(e)) if db::is_unique_violation(&e) => {
            drop(tx);
            let mut tx = state.db.begin().await.map_err(db_err)?;
            report::count(&mut tx, f.id, Verdict::Duplicate, 1, uid).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)?;
            Ok((Verdict::Duplicate, None))
        }
        // The database refused this message's values: the message's failure, not the run's.
        Err(Written::Db(e @ sqlx::Error::Database(_))) => Err(format!("The CRM could not store it: {e}")),
        Err(Written::Db(e)) => Err(db_err(e)),
        Err(Written::Other(e)) => Err(e),
    }
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
    raw: &[u8],
    p: &Parsed,
    t: &Target,
    ticket: &str,
    how: &How,
) -> Result<Filed, Written> {
    let tmp = state.files.tmp_dir();
    let other = |e: String| Written::Other(e);
    let original = Upload::from_bytes(&tmp, "original.eml", "message/rfc822", raw)
        .await
        .map_err(|e| other(format!("storing the original: {e}")))?;
    let raw_file_id = state.files.blob(tx, &original).await.map_err(|e| other(format!("storing the original: {e}")))?;
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
    ];
    let mut q = Query::insert();
    q.into_table("crm_emails")
        .columns(row.iter().map(|(c, _)| *c))
        .values_panic(row.into_iter().map(|(_, v)| v))
        .returning_col("id");
    let id = tx.insert_id(&q).await?;
    crate::crm::search::index_where(tx, ItemKind::Email, "id", id).await?;
    let actor = &how.actor;
    let mut summary = format!("Imported from {} (UID {uid}) of {}", f.folder, a.email);
    if !p.too_large.is_empty() {
        let names: Vec<&str> = p.too_large.iter().map(|(n, _)| n.as_str()).collect();
        summary.push_str(&format!("; over the size limit, kept in the original only: {}", names.join(", ")));
    }
    history::record(tx, actor, "email", id, Change::Create, &summary, &Diff::default()).await?;
    let mut uploads = Vec::with_capacity(p.attachments.len());
    for at in &p.attachments {
        let up = Upload::from_bytes(&tmp, &at.name, &at.content_type, &at.bytes)
            .await
            .map_err(|e| other(format!("storing the attachment {:?}: {e}", at.name)))?;
        uploads.push(up);
    }
    if !uploads.is_empty() {
        state
            .files
            .save(tx, &uploads, "email", id, actor)
            .await
            .map_err(|e| other(format!("storing the attachments: {e}")))?;
        // §7.3: the inquiry's attachments are the new request's files too (links, not copies).
        if let (true, Some(r)) = (how.inquiry, t.request_id) {
            state
                .files
                .save(tx, &uploads, "request", r, actor)
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
