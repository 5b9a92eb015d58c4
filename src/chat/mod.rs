//! Chat inside every memo, task and project. Owns table `chat_messages`.
//!
//! Who may read a chat is who may see its object (`items::load`); posting needs `Action::Chat`.
//! A new message is pushed, rendered, to every open page of the object over the live stream, and its
//! participants (not the author) get a notification and an email copy.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Iden, JoinType, Order, Query};

use crate::access::ItemKind;
use crate::db::{self, Db, Tx};
use crate::files::Attachment;
use crate::users::model::Users;

pub mod handlers;

#[derive(Iden, Clone, Copy)]
pub enum ChatMessages {
    Table,
    Id,
    ObjectType,
    ObjectId,
    AuthorId,
    Body,
    CreatedAt,
}

/// A message with its author's name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub object_type: String,
    pub object_id: i64,
    pub author_id: i64,
    pub author_first: String,
    pub author_last: String,
    pub author_username: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl Message {
    pub fn author(&self) -> String {
        let n = format!("{} {}", self.author_first, self.author_last);
        let n = n.trim();
        if n.is_empty() { self.author_username.clone() } else { n.to_string() }
    }
}

/// Messages shown at once; older ones load on demand.
pub const PAGE: u64 = 50;

/// The longest message accepted.
pub const MAX_CHARS: usize = 10_000;

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            (ChatMessages::Table, ChatMessages::Id),
            (ChatMessages::Table, ChatMessages::ObjectType),
            (ChatMessages::Table, ChatMessages::ObjectId),
            (ChatMessages::Table, ChatMessages::AuthorId),
            (ChatMessages::Table, ChatMessages::Body),
            (ChatMessages::Table, ChatMessages::CreatedAt),
        ])
        .expr_as(Expr::col((Users::Table, Users::FirstName)), "author_first")
        .expr_as(Expr::col((Users::Table, Users::LastName)), "author_last")
        .expr_as(Expr::col((Users::Table, Users::Username)), "author_username")
        .from(ChatMessages::Table)
        .join(
            JoinType::InnerJoin,
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((ChatMessages::Table, ChatMessages::AuthorId)),
        )
        .to_owned()
}

pub async fn insert(tx: &mut Tx, kind: ItemKind, id: i64, author: i64, body: &str) -> Result<i64, sqlx::Error> {
    tx.insert_id(
        Query::insert()
            .into_table(ChatMessages::Table)
            .columns([
                ChatMessages::ObjectType,
                ChatMessages::ObjectId,
                ChatMessages::AuthorId,
                ChatMessages::Body,
                ChatMessages::CreatedAt,
            ])
            .values_panic([kind.slug().into(), id.into(), author.into(), body.into(), db::now().into()])
            .returning_col(ChatMessages::Id),
    )
    .await
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Message>, sqlx::Error> {
    db.fetch_optional(select().and_where(Expr::col((ChatMessages::Table, ChatMessages::Id)).eq(id))).await
}

/// The newest `PAGE` messages of an item before message `before`, oldest first; and whether older exist.
pub async fn recent(
    db: &Db,
    kind: ItemKind,
    id: i64,
    before: Option<i64>,
) -> Result<(Vec<Message>, bool), sqlx::Error> {
    let mut q = select();
    q.and_where(Expr::col((ChatMessages::Table, ChatMessages::ObjectType)).eq(kind.slug()))
        .and_where(Expr::col((ChatMessages::Table, ChatMessages::ObjectId)).eq(id))
        .order_by((ChatMessages::Table, ChatMessages::Id), Order::Desc)
        .limit(PAGE + 1);
    if let Some(b) = before {
        q.and_where(Expr::col((ChatMessages::Table, ChatMessages::Id)).lt(b));
    }
    let mut rows: Vec<Message> = db.fetch_all(&q).await?;
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    rows.reverse();
    Ok((rows, more))
}

/// The live event of a posted message (rendered once, for every viewer) and its markup. Used by the
/// instance where it was posted and by other instances, which receive only the message id.
/// `None` when the message or its item is gone.
pub async fn live_event(
    db: &Db,
    message_id: i64,
) -> crate::error::AppResult<Option<(crate::events::DomainEvent, maud::Markup)>> {
    let Some(msg) = get(db, message_id).await? else { return Ok(None) };
    let Some(kind) = ItemKind::from_slug(&msg.object_type) else { return Ok(None) };
    let it = match crate::items::load_any(db, kind, msg.object_id).await {
        Ok(it) => it,
        Err(crate::error::AppError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let files = crate::files::of(db, "chat", message_id).await?;
    let rendered = crate::views::chat::message(&msg, &files);
    let event = crate::events::DomainEvent::ChatPosted {
        kind,
        id: it.id,
        message: message_id,
        html: rendered.0.clone(),
        audience: it.audience(),
    };
    Ok(Some((event, rendered)))
}

/// The attachments of the given messages.
pub async fn files_of(db: &Db, msgs: &[Message]) -> Result<HashMap<i64, Vec<Attachment>>, sqlx::Error> {
    let ids: Vec<i64> = msgs.iter().map(|m| m.id).collect();
    crate::files::of_many(db, "chat", &ids).await
}

/// The memo, task or project a message belongs to.
pub async fn item_of(db: &Db, message: i64) -> Result<Option<(ItemKind, i64)>, sqlx::Error> {
    let row: Option<(String, i64)> = db
        .fetch_optional(
            Query::select()
                .columns([ChatMessages::ObjectType, ChatMessages::ObjectId])
                .from(ChatMessages::Table)
                .and_where(Expr::col(ChatMessages::Id).eq(message)),
        )
        .await?;
    Ok(row.and_then(|(k, id)| ItemKind::from_slug(&k).map(|k| (k, id))))
}

/// Deletes the chat of the given items with its files' links; returns the file ids to collect.
pub async fn delete_for(tx: &mut Tx, kind: ItemKind, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let msgs: Vec<(i64,)> = tx
        .fetch_all(
            Query::delete()
                .from_table(ChatMessages::Table)
                .and_where(Expr::col(ChatMessages::ObjectType).eq(kind.slug()))
                .and_where(Expr::col(ChatMessages::ObjectId).is_in(ids.iter().copied()))
                .returning_col(ChatMessages::Id),
        )
        .await?;
    let msg_ids: Vec<i64> = msgs.into_iter().map(|(m,)| m).collect();
    let mut files = Vec::new();
    for chunk in msg_ids.chunks(500) {
        files.extend(crate::files::unlink_all(tx, "chat", chunk).await?);
    }
    Ok(files)
}
