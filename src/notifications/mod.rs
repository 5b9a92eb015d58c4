//! In-app notifications (the bell) with optional email copies. Owns table `notifications`.
//!
//! `send` writes the notification, and the email copy into the outbox when the user wants copies,
//! in the caller's transaction; the caller publishes `DomainEvent::Notice` after commit.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Iden, Order, Query};

use crate::access::{self, ListKind, Viewer};
use crate::config::Config;
use crate::db::{self, Db, Tx};
use crate::error::AppResult;
use crate::outbox;
use crate::paging::{self, Paged};
use crate::users::model::Users;

pub mod handlers;

#[derive(Iden, Clone, Copy)]
pub enum Notifications {
    Table,
    Id,
    UserId,
    Title,
    Body,
    Url,
    ObjectType,
    ObjectId,
    CreatedAt,
    ReadAt,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub body: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A notification to deliver.
pub struct Notice<'a> {
    pub user_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    /// Site-relative link to the object (`/memos/12`); the email copy makes it absolute.
    pub url: &'a str,
    pub object: Option<(&'a str, i64)>,
}

/// Writes a notification and, if the user wants email copies and has an address, queues the email.
pub async fn send(tx: &mut Tx, cfg: &Config, n: &Notice<'_>) -> Result<(), sqlx::Error> {
    send_with(tx, cfg, n, "").await
}

/// Whether `user` gets email copies of notifications (active, with an address, copies on).
pub async fn wants_email(tx: &mut Tx, user: i64) -> Result<bool, sqlx::Error> {
    let wants: Option<(String, bool)> = tx
        .fetch_optional(
            Query::select()
                .columns([Users::Email, Users::EmailNotifications])
                .from(Users::Table)
                .and_where(Expr::col(Users::Id).eq(user))
                .and_where(Expr::col(Users::IsActive).eq(true)),
        )
        .await?;
    Ok(matches!(wants, Some((email, true)) if !email.is_empty()))
}

/// `send`, with `email_extra` (text only the email copy carries: a task's one-click completion
/// link) after the body.
pub async fn send_with(tx: &mut Tx, cfg: &Config, n: &Notice<'_>, email_extra: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table(Notifications::Table)
            .columns([
                Notifications::UserId,
                Notifications::Title,
                Notifications::Body,
                Notifications::Url,
                Notifications::ObjectType,
                Notifications::ObjectId,
                Notifications::CreatedAt,
            ])
            .values_panic([
                n.user_id.into(),
                n.title.chars().take(300).collect::<String>().into(),
                n.body.into(),
                n.url.into(),
                n.object.map(|o| o.0.to_string()).into(),
                n.object.map(|o| o.1).into(),
                db::now().into(),
            ]),
    )
    .await?;
    let wants: Option<(String, bool)> = tx
        .fetch_optional(
            Query::select()
                .columns([Users::Email, Users::EmailNotifications])
                .from(Users::Table)
                .and_where(Expr::col(Users::Id).eq(n.user_id))
                .and_where(Expr::col(Users::IsActive).eq(true)),
        )
        .await?;
    if let Some((email, true)) = wants
        && !email.is_empty()
    {
        let link = format!("{}{}", cfg.base_url, n.url);
        let body = if n.body.is_empty() {
            format!("{}\n\nOpen it in FerroCRM: {link}\n", n.title)
        } else {
            format!("{}\n\n{}\n\nOpen it in FerroCRM: {link}\n", n.title, n.body)
        };
        let body = if email_extra.is_empty() { body } else { format!("{body}\n{email_extra}\n") };
        let body = format!(
            "{body}\n--\nYou receive this because email copies of notifications are on in your profile: {}/profile\n",
            cfg.base_url
        );
        outbox::enqueue(tx, cfg, &email, n.title, &body).await?;
    }
    Ok(())
}

/// Unread count for the bell.
pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    Ok(db
        .scalar(
            Query::select()
                .expr(Expr::col(Notifications::Id).count())
                .from(Notifications::Table)
                .and_where(Expr::col(Notifications::UserId).eq(user_id))
                .and_where(Expr::col(Notifications::ReadAt).is_null()),
        )
        .await?
        .unwrap_or(0))
}

/// One page of the viewer's notifications, newest first.
pub async fn list(db: &Db, v: &Viewer, unread_only: bool, page: Option<u32>) -> AppResult<Paged<Notification>> {
    let page = paging::page_number(page);
    let mut q = Query::select();
    q.columns([
        Notifications::Id,
        Notifications::UserId,
        Notifications::Title,
        Notifications::Body,
        Notifications::Url,
        Notifications::CreatedAt,
        Notifications::ReadAt,
    ])
    .from(Notifications::Table);
    access::scope(v, ListKind::Notifications, &mut q)?;
    if unread_only {
        q.and_where(Expr::col(Notifications::ReadAt).is_null());
    }
    let mut count = q.clone();
    count.clear_selects().expr(Expr::col(Notifications::Id).count());
    let total: i64 = db.scalar(&count).await?.unwrap_or(0);
    q.order_by(Notifications::Id, Order::Desc).limit(paging::PER_PAGE).offset(paging::offset(page));
    Ok(Paged::counted(db.fetch_all(&q).await?, page, total))
}

/// Marks one of the viewer's notifications read (`None`: all of them). Returns rows changed.
pub async fn mark_read(tx: &mut Tx, v: &Viewer, id: Option<i64>) -> Result<u64, sqlx::Error> {
    let mut q = Query::update();
    q.table(Notifications::Table)
        .value(Notifications::ReadAt, db::now())
        .and_where(Expr::col(Notifications::UserId).eq(v.id))
        .and_where(Expr::col(Notifications::ReadAt).is_null());
    if let Some(id) = id {
        q.and_where(Expr::col(Notifications::Id).eq(id));
    }
    tx.execute(&q).await
}

/// The notification `id` if it belongs to the viewer.
pub async fn get(db: &Db, v: &Viewer, id: i64) -> Result<Option<Notification>, sqlx::Error> {
    let mut q = Query::select();
    q.columns([
        Notifications::Id,
        Notifications::UserId,
        Notifications::Title,
        Notifications::Body,
        Notifications::Url,
        Notifications::CreatedAt,
        Notifications::ReadAt,
    ])
    .from(Notifications::Table)
    .and_where(Expr::col(Notifications::Id).eq(id));
    let n: Option<Notification> = db.fetch_optional(&q).await?;
    Ok(n.filter(|n| access::can(v, access::Action::View, &access::Object::Notification { user_id: n.user_id })))
}
