//! History: who changed what and when, for every object. Owns table `history`.
//!
//! A row is written in the same transaction as the change it describes, and is never deleted with
//! its object, so the record outlives what it records.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Iden, Order, Query};
use serde::{Deserialize, Serialize};

use crate::access::Viewer;
use crate::db::{self, Db, Tx};

pub mod handlers;

#[derive(Iden, Clone, Copy)]
pub enum History {
    Table,
    Id,
    ObjectType,
    ObjectId,
    Action,
    ActorId,
    ActorName,
    Summary,
    Changes,
    At,
}

/// Who made a change: a logged-in user, or the system (command line, jobs).
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn system(what: &str) -> Actor {
        Actor { id: None, name: what.to_string() }
    }
}

impl From<&Viewer> for Actor {
    fn from(v: &Viewer) -> Actor {
        Actor { id: Some(v.id), name: v.display_name.clone() }
    }
}

/// One field's change: name, old value, new value (as shown to people).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// Collects field diffs: call `field` for each field; only changed ones are kept.
#[derive(Default)]
pub struct Diff(pub Vec<FieldChange>);

impl Diff {
    pub fn field(&mut self, name: &str, old: impl ToString, new: impl ToString) -> &mut Self {
        let (old, new) = (old.to_string(), new.to_string());
        if old != new {
            self.0.push(FieldChange { field: name.to_string(), old, new });
        }
        self
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What kind of change a history row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Create,
    Update,
    Delete,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Delete => "delete",
        }
    }
}

/// Writes one history row inside `tx`.
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    kind: &str,
    id: i64,
    change: Change,
    summary: &str,
    diff: &Diff,
) -> Result<(), sqlx::Error> {
    let changes = serde_json::to_string(&diff.0).unwrap_or_else(|_| "[]".into());
    tx.execute(
        Query::insert()
            .into_table(History::Table)
            .columns([
                History::ObjectType,
                History::ObjectId,
                History::Action,
                History::ActorId,
                History::ActorName,
                History::Summary,
                History::Changes,
                History::At,
            ])
            .values_panic([
                kind.into(),
                id.into(),
                change.as_str().into(),
                actor.id.into(),
                actor.name.as_str().into(),
                summary.chars().take(300).collect::<String>().into(),
                changes.into(),
                db::now().into(),
            ]),
    )
    .await
    .map(|_| ())
}

/// `record` for many objects of one kind at once (a bulk import): one statement per 500 entries of
/// (object id, summary, diff).
pub async fn record_many(
    tx: &mut Tx,
    actor: &Actor,
    kind: &str,
    change: Change,
    entries: &[(i64, String, Diff)],
) -> Result<(), sqlx::Error> {
    let now = db::now();
    for chunk in entries.chunks(500) {
        let mut q = Query::insert();
        q.into_table(History::Table).columns([
            History::ObjectType,
            History::ObjectId,
            History::Action,
            History::ActorId,
            History::ActorName,
            History::Summary,
            History::Changes,
            History::At,
        ]);
        for (id, summary, diff) in chunk {
            q.values_panic([
                kind.into(),
                (*id).into(),
                change.as_str().into(),
                actor.id.into(),
                actor.name.as_str().into(),
                summary.chars().take(300).collect::<String>().into(),
                serde_json::to_string(&diff.0).unwrap_or_else(|_| "[]".into()).into(),
                now.into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub action: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub summary: String,
    pub changes: String,
    pub at: DateTime<Utc>,
}

impl Entry {
    pub fn fields(&self) -> Vec<FieldChange> {
        serde_json::from_str(&self.changes).unwrap_or_default()
    }
}

/// The newest `limit` entries of one object, newest first, starting below `before` (an entry id).
pub async fn list(db: &Db, kind: &str, id: i64, before: Option<i64>, limit: u64) -> Result<Vec<Entry>, sqlx::Error> {
    let mut q = Query::select();
    q.columns([
        History::Id,
        History::Action,
        History::ActorId,
        History::ActorName,
        History::Summary,
        History::Changes,
        History::At,
    ])
    .from(History::Table)
    .and_where(Expr::col(History::ObjectType).eq(kind))
    .and_where(Expr::col(History::ObjectId).eq(id))
    .order_by(History::Id, Order::Desc)
    .limit(limit);
    if let Some(b) = before {
        q.and_where(Expr::col(History::Id).lt(b));
    }
    db.fetch_all(&q).await
}
