//! What memos, tasks and projects share: loading one with the viewer's access to it, its URL and live
//! topic, and notifying its participants. Chat, attachments, reminders, history and search work on any
//! item through this module, so they need not know the three kinds apart.

use sea_query::{Expr, ExprTrait, Query};

use crate::access::{self, Action, Item, ItemKind, Object, Viewer};
use crate::config::Config;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult};
use crate::events::{Bus, DomainEvent};
use crate::notifications::{self, Notice};
use crate::participants::{self, PRole, Parts};

/// One memo, task or project as the generic features see it.
#[derive(Clone, Debug)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub id: i64,
    pub title: String,
    pub draft: bool,
    pub parts: Parts,
}

impl ItemRef {
    /// The access-rule view of this item for `v`.
    pub fn access(&self, v: &Viewer, locked: bool, team: bool, subtask: bool) -> Item {
        Item { kind: self.kind, rel: self.parts.relation(v.id), draft: self.draft, locked, team, subtask }
    }
    pub fn url(&self) -> String {
        url(self.kind, self.id)
    }
    pub fn audience(&self) -> access::Audience {
        access::item_audience(&self.parts, self.draft)
    }
}

/// `/memos/12`, `/tasks/3`, `/projects/7`.
pub fn url(kind: ItemKind, id: i64) -> String {
    format!("/{}s/{id}", kind.slug())
}

#[derive(sqlx::FromRow)]
struct Head {
    name: String,
    draft: bool,
    locked: bool,
    team: bool,
    subtask: bool,
}

/// Loads an item and checks that `v` may do `action` on it: 404 when it does not exist or `v` may not
/// see it, 403 when `v` sees it but may not do `action`.
pub async fn load(db: &Db, v: &Viewer, kind: ItemKind, id: i64, action: Action) -> AppResult<ItemRef> {
    let mut q = Query::select();
    match kind {
        ItemKind::Memo => q
            .column("name")
            .column("draft")
            .expr_as(Expr::col("stage").eq("considered"), "locked")
            .expr_as(Expr::val(false), "team")
            .expr_as(Expr::val(false), "subtask")
            .from("memos"),
        ItemKind::Task => q
            .column("name")
            .expr_as(Expr::val(false), "draft")
            .expr_as(Expr::val(false), "locked")
            .column("team")
            .expr_as(Expr::col("parent_id").is_not_null(), "subtask")
            .from("tasks"),
        ItemKind::Project => q
            .column("name")
            .expr_as(Expr::val(false), "draft")
            .expr_as(Expr::val(false), "locked")
            .expr_as(Expr::val(false), "team")
            .expr_as(Expr::val(false), "subtask")
            .from("projects"),
    };
    q.and_where(Expr::col("id").eq(id));
    let head: Head = db.fetch_optional(&q).await?.ok_or(AppError::NotFound)?;
    let parts = participants::of(db, kind, id).await?;
    let item = ItemRef { kind, id, title: head.name, draft: head.draft, parts };
    let access = item.access(v, head.locked, head.team, head.subtask);
    if !access::can(v, Action::View, &Object::Item(access)) {
        return Err(AppError::NotFound);
    }
    access::require(v, action, &Object::Item(access))?;
    Ok(item)
}

/// Sends an in-app notification (and an email copy, per each user's profile) about `item` to the
/// participants holding one of `roles` (all roles when empty), except `except` (usually the actor).
/// Returns the users notified: publish `notices` for them after commit.
pub async fn notify(
    tx: &mut Tx,
    cfg: &Config,
    item: &ItemRef,
    roles: &[PRole],
    except: Option<i64>,
    title: &str,
    body: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut users: Vec<i64> = item
        .parts
        .0
        .iter()
        .filter(|(r, _)| roles.is_empty() || roles.contains(r))
        .map(|(_, u)| *u)
        .filter(|u| Some(*u) != except)
        .collect();
    users.sort_unstable();
    users.dedup();
    let url = item.url();
    for u in &users {
        let n = Notice { user_id: *u, title, body, url: &url, object: Some((item.kind.slug(), item.id)) };
        notifications::send(tx, cfg, &n).await?;
    }
    Ok(users)
}

/// Publishes the bell pokes for users notified in a committed transaction.
pub fn publish_notices(bus: &Bus, users: &[i64]) {
    for u in users {
        bus.publish(DomainEvent::Notice { user_id: *u });
    }
}

/// Publishes "this item changed" to everyone who may see it.
pub fn publish_changed(bus: &Bus, item: &ItemRef) {
    bus.publish(DomainEvent::Changed { topic: item.kind.slug().into(), id: item.id, audience: item.audience() });
}
