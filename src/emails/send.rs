//! Sending a CRM email (§7.1) through the durable outbox: `queue` marks the row `queued` and adds its
//! `email_send` job in the caller's transaction, so the letter and the promise to send it commit
//! together. The worker (`run`) builds the message with lettre and sends it through the owner's
//! mail account the row names (the main one when it was queued), with the stored Message-ID and the
//! threading headers. A temporary failure (4xx, no connection) is retried by the job queue with
//! backoff; a permanent one (5xx), or the last attempt, marks the email failed with the server's
//! words. Success marks it sent and writes "The Email has been sent to …" in the deal's workflow.
//! Every change is published after its commit, so the open email page follows.

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_query::{Expr, ExprTrait, LockType, Query};

use crate::access::ItemKind;
use crate::app::AppState;
use crate::db::{self, Db, Tx};
use crate::history::{self, Actor, Change, Diff};
use crate::jobs::{self, Job, Outcome};
use crate::mail_accounts::check::smtp_error;
use crate::mail_accounts::model::{PASSWORD_PURPOSE, Tls};
use crate::mail_accounts::net::{Refusal, tls_words};

/// The job kind.
pub const JOB: &str = "email_send";
/// Attempts before a letter that keeps failing temporarily is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;
/// Time allowed to one SMTP conversation.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Time allowed to look the server up and reach it.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The sending states of `crm_emails.send_status` (migration 23); '' is a draft.
pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// The user's main mail account: (id, address, sender name).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MainAccount {
    pub id: i64,
    pub email: String,
    pub from_name: String,
}

impl MainAccount {
    /// `Name <address>` (or the address alone), as the letter's From and the page show it.
    pub fn from_field(&self) -> String {
        let name = self.from_name.trim();
        match self.email.parse() {
            Ok(a) if !name.is_empty() => Mailbox::new(Some(name.to_string()), a).to_string(),
            _ => self.email.clone(),
        }
    }
}

/// `user`'s main mail account (§7.1: work mail goes out only through it).
pub async fn main_account(db: &Db, user: i64) -> Result<Option<MainAccount>, sqlx::Error> {
    db.fetch_optional(
        Query::select()
            .columns(["id", "email", "from_name"])
            .from("mail_accounts")
            .and_where(Expr::col("owner_id").eq(user))
            .and_where(Expr::col("main").eq(true)),
    )
    .await
}

/// Marks email `id` queued through `account` and adds its job, inside `tx`.
pub async fn queue(tx: &mut Tx, id: i64, account: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table("crm_emails")
            .values([
                ("send_status", QUEUED.into()),
                ("send_error", "".into()),
                ("account_id", account.into()),
                ("updated_at", db::now().into()),
            ])
            .and_where(Expr::col("id").eq(id)),
    )
    .await?;
    let key = format!("{JOB}:{id}");
    jobs::enqueue(tx, JOB, &serde_json::json!({ "email": id }), db::now(), Some(&key), MAX_ATTEMPTS).await
}

/// What the worker reads of a letter.
#[derive(sqlx::FromRow)]
struct Row {
    subject: String,
    to: String,
    cc: String,
    bcc: String,
    content: String,
    prev_corr: String,
    read_receipt: bool,
    message_id: String,
    in_reply_to: String,
    reply_refs: String,
    send_status: String,
    account_id: Option<i64>,
    signature_id: Option<i64>,
    deal_id: Option<i64>,
    owner_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Account {
    owner_id: i64,
    email: String,
    from_name: String,
    smtp_host: String,
    smtp_port: i32,
    smtp_tls: String,
    smtp_login: String,
    password: String,
}

/// Why a letter did not go: to be tried again, or never.
enum Failure {
    Temporary(String),
    Permanent(String),
}

/// Runs one `email_send` job.
pub async fn run(state: &AppState, job: &Job) -> Outcome {
    let id = match serde_json::from_str::<serde_json::Value>(&job.payload).ok().and_then(|v| v["email"].as_i64()) {
        Some(id) => id,
        None => return Outcome::Failed(format!("bad payload {:?}", job.payload)),
    };
    match attempt(state, id).await {
        Ok(None) => Outcome::Done,
        Ok(Some(Failure::Permanent(e))) => finish_failed(state, id, &e).await,
        Ok(Some(Failure::Temporary(e))) if job.attempts >= job.max_attempts => {
            finish_failed(state, id, &format!("{e} (gave up after {} attempts)", job.attempts)).await
        }
        Ok(Some(Failure::Temporary(e))) => {
            // Still queued: the page says why it waits; the job queue retries with backoff.
            let saved = state
                .db
                .execute(
                    Query::update()
                        .table("crm_emails")
                        .value("send_error", e.clone())
                        .and_where(Expr::col("id").eq(id))
                        .and_where(Expr::col("send_status").eq(QUEUED)),
                )
                .await;
            if let Err(db) = saved {
                return Outcome::Failed(db.to_string());
            }
            publish(state, id, None).await;
            Outcome::Failed(e)
        }
        // Our side failed (the database, a stored file): retried like a temporary error, and the
        // letter is not left "queued" for ever after the last attempt.
        Err(e) if job.attempts >= job.max_attempts => finish_failed(state, id, &format!("Could not send: {e}")).await,
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

async fn finish_failed(state: &AppState, id: i64, e: &str) -> Outcome {
    tracing::warn!(email = id, error = %e, "an email could not be sent");
    let done = state
        .db
        .execute(
            Query::update()
                .table("crm_emails")
                .values([("send_status", FAILED.into()), ("send_error", e.into()), ("updated_at", db::now().into())])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("send_status").eq(QUEUED)),
        )
        .await;
    match done {
        Ok(_) => {
            publish(state, id, None).await;
            Outcome::Done
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// One try: Ok(None) when sent (or nothing is left to send).
async fn attempt(state: &AppState, id: i64) -> anyhow::Result<Option<Failure>> {
    let row: Option<Row> = state
        .db
        .fetch_optional(
            Query::select()
                .columns([
                    "subject",
                    "to",
                    "cc",
                    "bcc",
                    "content",
                    "prev_corr",
                    "read_receipt",
                    "message_id",
                    "in_reply_to",
                    "reply_refs",
                    "send_status",
                    "account_id",
                    "signature_id",
                    "deal_id",
                    "owner_id",
                ])
                .from("crm_emails")
                .and_where(Expr::col("id").eq(id)),
        )
        .await?;
    // Deleted, or sent already (a job run twice after a crash): nothing to do.
    let Some(row) = row.filter(|r| r.send_status == QUEUED) else { return Ok(None) };
    let Some(account_id) = row.account_id else {
        return Ok(Some(Failure::Permanent("No mail account is set for this letter.".into())));
    };
    let account: Option<Account> = state
        .db
        .fetch_optional(
            Query::select()
                .columns([
                    "owner_id",
                    "email",
                    "from_name",
                    "smtp_host",
                    "smtp_port",
                    "smtp_tls",
                    "smtp_login",
                    "password",
                ])
                .from("mail_accounts")
                .and_where(Expr::col("id").eq(account_id)),
        )
        .await?;
    // Only the letter owner's own account ever sends it.
    let Some(account) = account.filter(|a| Some(a.owner_id) == row.owner_id) else {
        return Ok(Some(Failure::Permanent(
            "The mail account of this letter no longer exists: mark another account as main and send it again.".into(),
        )));
    };
    let password = if account.password.is_empty() {
        String::new()
    } else {
        match state.mail.cipher.open(PASSWORD_PURPOSE, &account.password) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Some(Failure::Permanent(format!("The account's stored password cannot be used: {e}."))));
            }
        }
    };
    let signature = match row.signature_id {
        Some(s) => state
            .db
            .scalar::<String>(Query::select().column("content").from("signatures").and_where(Expr::col("id").eq(s)))
            .await?
            .unwrap_or_default(),
        None => String::new(),
    };
    let files = crate::files::of(&state.db, ItemKind::Email.slug(), id).await?;
    let mut attachments = Vec::with_capacity(files.len());
    for f in &files {
        let bytes =
            state.files.read(&f.sha256).await.map_err(|e| anyhow::anyhow!("reading attachment {}: {e}", f.id))?;
        let ct = ContentType::parse(&f.content_type)
            .or_else(|_| ContentType::parse("application/octet-stream"))
            .unwrap_or(ContentType::TEXT_PLAIN);
        attachments.push(Attachment::new(f.name.clone()).body(bytes, ct));
    }
    let body = super::compose::Body { content: &row.content, signature: &signature, prev_corr: &row.prev_corr };
    let from = Mailbox::new(
        Some(account.from_name.trim().to_string()).filter(|n| !n.is_empty()),
        account.email.parse().map_err(|e| anyhow::anyhow!("the account's address: {e}"))?,
    );
    let mut b = Message::builder().message_id(Some(row.message_id.clone())).from(from).subject(row.subject.clone());
    for (list, which) in [(&row.to, 0), (&row.cc, 1), (&row.bcc, 2)] {
        for a in super::compose::addresses(list) {
            let m: Mailbox = match a.parse() {
                Ok(m) => m,
                Err(e) => return Ok(Some(Failure::Permanent(format!("\"{a}\" is not an address: {e}.")))),
            };
            b = match which {
                0 => b.to(m),
                1 => b.cc(m),
                _ => b.bcc(m),
            };
        }
    }
    if !row.in_reply_to.is_empty() {
        b = b.in_reply_to(row.in_reply_to.clone());
    }
    if !row.reply_refs.is_empty() {
        b = b.references(row.reply_refs.clone());
    }
    if row.read_receipt {
        b = b.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Disposition-Notification-To"),
            account.email.clone(),
        ));
    }
    let html = body.html().into_string();
    let alternative = MultiPart::alternative_plain_html(body.text(), html.clone());
    let message = if attachments.is_empty() {
        b.multipart(alternative)
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for a in attachments {
            mixed = mixed.singlepart(a);
        }
        b.multipart(mixed)
    };
    let message = match message {
        Ok(m) => m,
        Err(e) => return Ok(Some(Failure::Permanent(format!("The letter cannot be built: {e}.")))),
    };
    let (host, port) = (account.smtp_host.as_str(), account.smtp_port as u16);
    let tls = Tls::from_slug(&account.smtp_tls).unwrap_or(Tls::Tls);
    // The host is looked up once and checked (no private addresses unless allowed); lettre is
    // given the address that answered, and TLS verifies the certificate against the host name.
    let net = &state.mail.net;
    let ip = match net.connect(host, port, tokio::time::Instant::now() + CONNECT_TIMEOUT, CONNECT_TIMEOUT).await {
        Ok(tcp) => match tcp.peer_addr() {
            Ok(a) => a.ip(),
            Err(e) => return Ok(Some(Failure::Temporary(format!("Could not reach {host}:{port}: {e}.")))),
        },
        Err(Refusal::Private(why)) => return Ok(Some(Failure::Permanent(why))),
        Err(Refusal::Unreachable(why)) => return Ok(Some(Failure::Temporary(why))),
    };
    let mut builder = match net.smtp_builder(host, ip, port, tls) {
        Ok(b) => b.timeout(Some(SMTP_TIMEOUT)),
        Err(e) => return Ok(Some(Failure::Permanent(e))),
    };
    if !account.smtp_login.is_empty() {
        builder = builder.credentials(Credentials::new(account.smtp_login.clone(), password));
    }
    let transport: AsyncSmtpTransport<Tokio1Executor> = builder.build();
    match transport.send(message).await {
        Ok(_) => {
            mark_sent(state, id, &row, html).await?;
            Ok(None)
        }
        Err(e) if e.is_permanent() => Ok(Some(Failure::Permanent(e.to_string()))),
        // A certificate the server presented that is not trusted, or the wrong TLS mode, will not
        // mend itself by waiting: the letter fails at once with the reason.
        Err(e) if tls != Tls::None && !e.is_response() && tls_words(&e, host, port, tls == Tls::StartTls).is_some() => {
            Ok(Some(Failure::Permanent(smtp_error(host, port, tls, &e))))
        }
        Err(e) => Ok(Some(Failure::Temporary(smtp_words(&e, host, account.smtp_port)))),
    }
}

/// A temporary failure as a person reads it (a refused connection says so).
fn smtp_words(e: &lettre::transport::smtp::Error, host: &str, port: i32) -> String {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return format!("Could not reach {host}:{port}: connection refused.");
        }
        src = s.source();
    }
    e.to_string()
}

/// Sent: the flags, the time, the deal's workflow line, in one transaction; then the events.
/// `html` is the body as sent (the page shows it; a draft edited in the generic form had an older one).
async fn mark_sent(state: &AppState, id: i64, row: &Row, html: String) -> anyhow::Result<()> {
    let now = db::now();
    let to = super::compose::addresses(&row.to).join(", ");
    let line = format!("The Email has been sent to \"{to}\"");
    let actor = match row.owner_id {
        Some(o) => Actor {
            id: Some(o),
            name: crate::users::repo::get(&state.db, o).await.map(|u| u.username).unwrap_or_default(),
        },
        None => Actor::system("mail"),
    };
    let mut tx = state.db.begin().await?;
    tx.execute(
        Query::update()
            .table("crm_emails")
            .values([
                ("send_status", SENT.into()),
                ("sent", true.into()),
                ("sent_at", now.into()),
                ("html_content", html.into()),
                ("send_error", "".into()),
                ("updated_at", now.into()),
            ])
            .and_where(Expr::col("id").eq(id)),
    )
    .await?;
    history::record(&mut tx, &actor, ItemKind::Email.slug(), id, Change::Update, &line, &Diff::default()).await?;
    if let Some(deal) = row.deal_id {
        workflow_line(&mut tx, deal, now, &line, &actor).await?;
    }
    tx.commit().await?;
    tracing::info!(email = id, "an email was sent");
    publish(state, id, row.deal_id).await;
    Ok(())
}

/// Prepends `"<date> - <text>"` to the deal's workflow (§1.4 `add_to_workflow`, newest first).
async fn workflow_line(tx: &mut Tx, deal: i64, at: DateTime<Utc>, text: &str, actor: &Actor) -> anyhow::Result<()> {
    let old: Option<String> = tx
        .scalar(
            Query::select().column("workflow").from("deals").and_where(Expr::col("id").eq(deal)).lock(LockType::Update),
        )
        .await?;
    let Some(old) = old else { return Ok(()) };
    let line = format!("{} - {text}", at.format("%Y-%m-%d"));
    let joined = if old.is_empty() { line.clone() } else { format!("{line}\n{old}") };
    tx.execute(
        Query::update()
            .table("deals")
            .values([("workflow", joined.into()), ("updated_at", at.into())])
            .and_where(Expr::col("id").eq(deal)),
    )
    .await?;
    let mut d = Diff::default();
    d.field("Workflow", "", line);
    history::record(tx, actor, ItemKind::Deal.slug(), deal, Change::Update, "Workflow", &d).await?;
    Ok(())
}

/// "Changed" for the email (and its deal) after a commit.
async fn publish(state: &AppState, id: i64, deal: Option<i64>) {
    if let Ok(it) = crate::items::load_any(&state.db, ItemKind::Email, id).await {
        crate::items::publish_changed(&state.bus, &it);
    }
    if let Some(d) = deal
        && let Ok(it) = crate::items::load_any(&state.db, ItemKind::Deal, d).await
    {
        crate::items::publish_changed(&state.bus, &it);
    }
}
