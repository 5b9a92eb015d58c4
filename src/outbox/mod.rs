//! The mail outbox. Owns table `outbox`.
//!
//! Email never leaves from inside a request: `enqueue` writes a row in the caller's transaction, and
//! the worker (`run_once`) sends due rows over SMTP with lettre. A row is claimed with a lease before
//! sending, so two workers never send the same row; a failure is retried with exponential backoff and
//! gives up ("dead") after `MAX_ATTEMPTS`. Each row has a stable Message-ID, so the one duplicate a
//! crash between "250 OK" and "mark sent" can cause is recognisable by receivers.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use lettre::message::header::ContentType;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_query::{Expr, ExprTrait, Iden, LockBehavior, LockType, Order, Query};

use crate::config::Config;
use crate::db::{self, Db, Tx};

#[derive(Iden, Clone, Copy)]
pub enum Outbox {
    Table,
    Id,
    MessageId,
    ToAddr,
    Subject,
    BodyText,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

/// Attempts before a message is given up as dead.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed row stays reserved for the worker that claimed it.
const LEASE_SECS: i64 = 120;
const BATCH: u64 = 20;

/// Queues one plain-text email inside `tx`. Returns its Message-ID.
pub async fn enqueue(tx: &mut Tx, cfg: &Config, to: &str, subject: &str, body: &str) -> Result<String, sqlx::Error> {
    let host = cfg
        .base_url
        .split("://")
        .nth(1)
        .and_then(|h| h.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("ferrocrm.local");
    let message_id = format!("<{}.{}@{}>", db::now().timestamp(), crate::auth::session::random_token(), host);
    let now = db::now();
    // Header values are single-line: a subject with a line break would be folded by lettre anyway.
    let subject: String = subject.replace(['\r', '\n'], " ").chars().take(300).collect();
    tx.execute(
        Query::insert()
            .into_table(Outbox::Table)
            .columns([
                Outbox::MessageId,
                Outbox::ToAddr,
                Outbox::Subject,
                Outbox::BodyText,
                Outbox::Status,
                Outbox::Attempts,
                Outbox::NextAttemptAt,
                Outbox::CreatedAt,
            ])
            .values_panic([
                message_id.as_str().into(),
                to.into(),
                subject.into(),
                body.into(),
                "queued".into(),
                0.into(),
                now.into(),
                now.into(),
            ]),
    )
    .await?;
    Ok(message_id)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: String,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

const COLS: [Outbox; 10] = [
    Outbox::Id,
    Outbox::MessageId,
    Outbox::ToAddr,
    Outbox::Subject,
    Outbox::BodyText,
    Outbox::Status,
    Outbox::Attempts,
    Outbox::LastError,
    Outbox::CreatedAt,
    Outbox::SentAt,
];

/// Claims up to `BATCH` due rows (queued and due, or sending with an expired lease).
async fn claim(db: &Db) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let due = Query::select()
        .column(Outbox::Id)
        .from(Outbox::Table)
        .cond_where(
            Expr::col(Outbox::Status).eq("queued").and(Expr::col(Outbox::NextAttemptAt).lte(now)).or(Expr::col(
                Outbox::Status,
            )
            .eq("sending")
            .and(Expr::col(Outbox::LockedUntil).lt(now))),
        )
        .order_by(Outbox::Id, Order::Asc)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let rows: Vec<OutboxRow> = tx
        .fetch_all(
            Query::update()
                .table(Outbox::Table)
                .values([
                    (Outbox::Status, "sending".into()),
                    (Outbox::LockedUntil, (now + ChronoDuration::seconds(LEASE_SECS)).into()),
                    (Outbox::Attempts, Expr::col(Outbox::Attempts).add(1)),
                ])
                .and_where(Expr::col(Outbox::Id).in_subquery(due))
                .returning(Query::returning().columns(COLS)),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

fn backoff(attempts: i32) -> ChronoDuration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(1, 8).saturating_sub(1));
    ChronoDuration::seconds(Ord::min(secs, 3600))
}

async fn finish(db: &Db, row: &OutboxRow, result: Result<(), String>) -> Result<(), sqlx::Error> {
    let now = db::now();
    let mut q = Query::update();
    q.table(Outbox::Table).value(Outbox::LockedUntil, Option::<DateTime<Utc>>::None);
    match result {
        Ok(()) => {
            q.values([
                (Outbox::Status, "sent".into()),
                (Outbox::SentAt, now.into()),
                (Outbox::LastError, Option::<String>::None.into()),
            ]);
        }
        Err(e) if row.attempts >= MAX_ATTEMPTS || e.starts_with("invalid") => {
            tracing::error!(id = row.id, error = %e, "outbox: giving up on message");
            q.values([(Outbox::Status, "dead".into()), (Outbox::LastError, e.into())]);
        }
        Err(e) => {
            tracing::warn!(id = row.id, attempt = row.attempts, error = %e, "outbox: send failed; will retry");
            q.values([
                (Outbox::Status, "queued".into()),
                (Outbox::NextAttemptAt, (now + backoff(row.attempts)).into()),
                (Outbox::LastError, e.into()),
            ]);
        }
    }
    q.and_where(Expr::col(Outbox::Id).eq(row.id));
    db.execute(&q).await.map(|_| ())
}

/// A TLS relay's host, port, and whether its TLS follows STARTTLS (for error messages).
type Relay = (String, u16, bool);

/// The SMTP client, built once from `FERROCRM_SMTP_URL`.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    /// The relay's host and port, and whether its TLS follows STARTTLS, for error messages;
    /// `None` when it speaks plain text.
    relay_tls: Option<Relay>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    /// The installation's relay from `FERROCRM_SMTP_URL`, its TLS (when the URL asks for it)
    /// trusting the same authorities as every mail connection (`net`: `FERROCRM_MAIL_CA_FILE`).
    /// The relay is the administrator's setting, not a user's, so a private or loopback host
    /// (a local relay) is allowed here.
    pub fn new(cfg: &Config, net: &crate::mail_accounts::net::Net) -> anyhow::Result<Mailer> {
        let mut relay_tls = None;
        let transport = match &cfg.smtp_url {
            Some(url) => {
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?;
                if let Some((tls, relay)) = url_tls(url, net)? {
                    b = b.tls(tls);
                    relay_tls = Some(relay);
                }
                Some(b.build())
            }
            None => None,
        };
        let from = cfg
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("FERROCRM_MAIL_FROM {:?} is not an address: {e}", cfg.mail_from))?;
        Ok(Mailer { transport, relay_tls, from })
    }

    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), String> {
        let Some(t) = &self.transport else { return Err("no SMTP server configured".into()) };
        let to = row.to_addr.parse().map_err(|e| format!("invalid recipient {:?}: {e}", row.to_addr))?;
        let msg = Message::builder()
            .message_id(Some(row.message_id.clone()))
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(row.body_text.clone())
            .map_err(|e| format!("invalid message: {e}"))?;
        t.send(msg).await.map(|_| ()).map_err(|e| {
            // A certificate that is not trusted, or a relay that does not speak TLS, in words.
            match &self.relay_tls {
                Some((host, port, starttls)) if !e.is_response() => {
                    crate::mail_accounts::net::tls_words(&e, host, *port, *starttls).unwrap_or_else(|| e.to_string())
                }
                _ => e.to_string(),
            }
        })
    }
}

/// The TLS of an SMTP URL as lettre's `from_url` reads it (`smtps://` from the first byte,
/// `?tls=required` or `?tls=opportunistic` STARTTLS), with our trusted authorities; `None` for plain.
/// With the relay's host, port and whether its TLS follows STARTTLS.
fn url_tls(url: &str, net: &crate::mail_accounts::net::Net) -> anyhow::Result<Option<(Tls, Relay)>> {
    let u = url::Url::parse(url)?;
    let host = u.host_str().unwrap_or_default().to_string();
    let mode = u.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_string());
    let (tls, port, starttls) = match (u.scheme(), mode.as_deref()) {
        ("smtps", _) => (Tls::Wrapper(net.smtp_tls(&host)?), 465, false),
        ("smtp", Some("required")) => (Tls::Required(net.smtp_tls(&host)?), 587, true),
        ("smtp", Some("opportunistic")) => (Tls::Opportunistic(net.smtp_tls(&host)?), 587, true),
        _ => return Ok(None),
    };
    Ok(Some((tls, (host, u.port().unwrap_or(port), starttls))))
}

/// Sends every due message once. Returns how many rows were attempted.
/// Without a configured SMTP server it does nothing: mail waits in the outbox.
pub async fn run_once(db: &Db, mailer: &Mailer) -> Result<usize, sqlx::Error> {
    if !mailer.is_configured() {
        return Ok(0);
    }
    let rows = claim(db).await?;
    for row in &rows {
        let r = mailer.send(row).await;
        finish(db, row, r).await?;
    }
    Ok(rows.len())
}

/// Recent outbox rows, newest first (for the admin page and tests).
pub async fn recent(db: &Db, limit: u64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    db.fetch_all(Query::select().columns(COLS).from(Outbox::Table).order_by(Outbox::Id, Order::Desc).limit(limit)).await
}
