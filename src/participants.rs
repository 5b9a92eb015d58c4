//! Who takes part in a memo, task or project, and in which role. Owns table `participants`.
//!
//! One row per (object, role, user). The owner/co-owner/recipient columns of the object tables are
//! kept for display and sorting; this table is what visibility (`access::scope`), live-event
//! audiences and notifications read. `set` is the one writer: it replaces an object's rows wholesale.

use std::collections::{BTreeSet, HashMap};

use sea_query::{Expr, ExprTrait, Iden, Query, SimpleExpr};

use crate::access::{ItemKind, Rel};
use crate::db::{Db, Tx};

#[derive(Iden, Clone, Copy)]
pub enum Participants {
    Table,
    ObjectType,
    ObjectId,
    Role,
    UserId,
}

/// A role in a memo, task or project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PRole {
    Owner,
    CoOwner,
    Recipient,
    Responsible,
    Subscriber,
}

impl PRole {
    pub const ALL: [PRole; 5] = [PRole::Owner, PRole::CoOwner, PRole::Recipient, PRole::Responsible, PRole::Subscriber];

    pub fn slug(self) -> &'static str {
        match self {
            PRole::Owner => "owner",
            PRole::CoOwner => "co_owner",
            PRole::Recipient => "recipient",
            PRole::Responsible => "responsible",
            PRole::Subscriber => "subscriber",
        }
    }

    pub fn from_slug(s: &str) -> Option<PRole> {
        PRole::ALL.into_iter().find(|r| r.slug() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PRole::Owner => "Owner",
            PRole::CoOwner => "Co-owner",
            PRole::Recipient => "Recipient",
            PRole::Responsible => "Responsible",
            PRole::Subscriber => "Subscriber",
        }
    }
}

/// The participants of one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parts(pub BTreeSet<(PRole, i64)>);

impl Parts {
    pub fn add(&mut self, role: PRole, user: i64) -> &mut Self {
        self.0.insert((role, user));
        self
    }
    pub fn users(&self, role: PRole) -> Vec<i64> {
        self.0.iter().filter(|(r, _)| *r == role).map(|(_, u)| *u).collect()
    }
    pub fn first(&self, role: PRole) -> Option<i64> {
        self.0.iter().find(|(r, _)| *r == role).map(|(_, u)| *u)
    }
    /// Every user in any role, once.
    pub fn everyone(&self) -> BTreeSet<i64> {
        self.0.iter().map(|(_, u)| *u).collect()
    }
    /// The entries of `self` that `other` lacks (people newly added to a role).
    pub fn without(&self, other: &Parts) -> Parts {
        Parts(self.0.difference(&other.0).copied().collect())
    }
    /// The roles `user` holds, as access flags.
    pub fn relation(&self, user: i64) -> Rel {
        let mut rel = Rel::default();
        for (r, u) in &self.0 {
            if *u == user {
                rel.insert(*r);
            }
        }
        rel
    }
}

/// Replaces the participants of an object.
pub async fn set(tx: &mut Tx, kind: ItemKind, id: i64, parts: &Parts) -> Result<(), sqlx::Error> {
    delete(tx, kind, id).await?;
    if parts.0.is_empty() {
        return Ok(());
    }
    let mut q = Query::insert();
    q.into_table(Participants::Table).columns([
        Participants::ObjectType,
        Participants::ObjectId,
        Participants::Role,
        Participants::UserId,
    ]);
    for (role, user) in &parts.0 {
        q.values_panic([kind.slug().into(), id.into(), role.slug().into(), (*user).into()]);
    }
    tx.execute(&q).await.map(|_| ())
}

/// Removes every participant row of an object (when it is deleted).
pub async fn delete(tx: &mut Tx, kind: ItemKind, id: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(Participants::Table)
            .and_where(Expr::col(Participants::ObjectType).eq(kind.slug()))
            .and_where(Expr::col(Participants::ObjectId).eq(id)),
    )
    .await
    .map(|_| ())
}

/// The participants of one object.
pub async fn of(db: &Db, kind: ItemKind, id: i64) -> Result<Parts, sqlx::Error> {
    Ok(of_many(db, kind, &[id]).await?.remove(&id).unwrap_or_default())
}

/// The people of a task's family: participants of its main task and of its subtasks (inventory
/// §3.3: they see the task too). One query; empty for a task with neither.
fn family_query(task: i64) -> sea_query::SelectStatement {
    let children = Query::select().column("id").from("tasks").and_where(Expr::col("parent_id").eq(task)).to_owned();
    let family = Query::select()
        .column("parent_id")
        .from("tasks")
        .and_where(Expr::col("id").eq(task))
        .union(sea_query::UnionType::All, children)
        .to_owned();
    // One IN over both lists: SQLite looks each task up in the primary key. Two INs joined by OR made
    // it read every task participant (330k rows at scale 10, 40 ms) on each task page and chat post.
    Query::select()
        .distinct()
        .column(Participants::UserId)
        .from(Participants::Table)
        .and_where(Expr::col(Participants::ObjectType).eq(ItemKind::Task.slug()))
        .and_where(Expr::col(Participants::ObjectId).in_subquery(family))
        .to_owned()
}

pub async fn family(db: &Db, task: i64) -> Result<BTreeSet<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = db.fetch_all(&family_query(task)).await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

pub async fn family_tx(tx: &mut Tx, task: i64) -> Result<BTreeSet<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = tx.fetch_all(&family_query(task)).await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// SQL for lists: the task in `tasks` belongs to a family `user` takes part in (a participant of
/// its main task, or of one of its subtasks). The same rule as `family` + `access::can_item`.
pub fn family_involving(user: i64) -> SimpleExpr {
    // The subtasks of this task first (ix_tasks_parent; most tasks have none), then one probe per
    // subtask (a nested EXISTS). Written as a join, SQLite 3.51 drove it from the participants side:
    // all of the user's task rows (15k for a busy user at scale 10) for every task the list looked at,
    // so a sales manager's task list took 0.2–0.6 s and his home page minutes (docs/benchmarks.md).
    let of_child = Query::select()
        .expr(Expr::val(1))
        .from_as("tasks", "sub")
        .and_where(Expr::col(("sub", "parent_id")).equals(("tasks", "id")))
        .and_where(involving(ItemKind::Task, ("sub", "id"), user, &[]))
        .limit(1)
        .to_owned();
    involving(ItemKind::Task, ("tasks", "parent_id"), user, &[]).or(Expr::exists(of_child))
}

/// Of the tasks `ids`, those whose family `user` takes part in (the rule of `family_involving`, for
/// tasks loaded in bulk: a project's tasks, the tasks of a page of memos).
pub async fn in_family_of(db: &Db, user: i64, ids: &[i64]) -> Result<std::collections::HashSet<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i64,)> = db
        .fetch_all(
            Query::select()
                .column(("tasks", "id"))
                .from("tasks")
                .and_where(Expr::col(("tasks", "id")).is_in(ids.iter().copied()))
                .and_where(family_involving(user)),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The participants of one object, read inside a transaction.
pub async fn of_tx(tx: &mut Tx, kind: ItemKind, id: i64) -> Result<Parts, sqlx::Error> {
    let rows: Vec<(String, i64)> = tx
        .fetch_all(
            Query::select()
                .columns([Participants::Role, Participants::UserId])
                .from(Participants::Table)
                .and_where(Expr::col(Participants::ObjectType).eq(kind.slug()))
                .and_where(Expr::col(Participants::ObjectId).eq(id)),
        )
        .await?;
    let mut p = Parts::default();
    for (role, user) in rows {
        if let Some(r) = PRole::from_slug(&role) {
            p.add(r, user);
        }
    }
    Ok(p)
}

/// The participants of many objects in one query (lists: no N+1).
pub async fn of_many(db: &Db, kind: ItemKind, ids: &[i64]) -> Result<HashMap<i64, Parts>, sqlx::Error> {
    let mut out: HashMap<i64, Parts> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, String, i64)> = db
        .fetch_all(
            Query::select()
                .columns([Participants::ObjectId, Participants::Role, Participants::UserId])
                .from(Participants::Table)
                .and_where(Expr::col(Participants::ObjectType).eq(kind.slug()))
                .and_where(Expr::col(Participants::ObjectId).is_in(ids.iter().copied())),
        )
        .await?;
    for (obj, role, user) in rows {
        if let Some(r) = PRole::from_slug(&role) {
            out.entry(obj).or_default().add(r, user);
        }
    }
    Ok(out)
}

/// The names ("First Last") of the users holding `role` in each of the objects, in one query (lists).
pub async fn names_in_role(
    db: &Db,
    kind: ItemKind,
    ids: &[i64],
    role: PRole,
) -> Result<HashMap<i64, Vec<String>>, sqlx::Error> {
    use crate::users::model::Users;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, String, String, String)> = db
        .fetch_all(
            Query::select()
                .column((Participants::Table, Participants::ObjectId))
                .columns([
                    (Users::Table, Users::FirstName),
                    (Users::Table, Users::LastName),
                    (Users::Table, Users::Username),
                ])
                .from(Participants::Table)
                .inner_join(
                    Users::Table,
                    Expr::col((Users::Table, Users::Id)).equals((Participants::Table, Participants::UserId)),
                )
                .and_where(Expr::col((Participants::Table, Participants::ObjectType)).eq(kind.slug()))
                .and_where(Expr::col((Participants::Table, Participants::Role)).eq(role.slug()))
                .and_where(Expr::col((Participants::Table, Participants::ObjectId)).is_in(ids.iter().copied()))
                .order_by((Users::Table, Users::FirstName), sea_query::Order::Asc),
        )
        .await?;
    for (obj, first, last, username) in rows {
        let name = format!("{first} {last}").trim().to_string();
        out.entry(obj).or_default().push(if name.is_empty() { username } else { name });
    }
    Ok(out)
}

/// `EXISTS (a participants row of this object for user[, in one of roles])`, for list queries. A
/// correlated EXISTS lets the list walk its own index in display order and stop after one page,
/// probing the participants primary key (object type, object id, …) per row; an `IN (subquery)` made
/// SQLite build the user's whole set first (measured in docs/benchmarks.md).
pub fn involving(
    kind: ItemKind,
    id_col: (impl Iden + 'static, impl Iden + 'static),
    user: i64,
    roles: &[PRole],
) -> SimpleExpr {
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from(Participants::Table)
        .and_where(Expr::col((Participants::Table, Participants::ObjectType)).eq(kind.slug()))
        .and_where(Expr::col((Participants::Table, Participants::ObjectId)).equals(id_col))
        .and_where(Expr::col((Participants::Table, Participants::UserId)).eq(user));
    if !roles.is_empty() {
        sub.and_where(Expr::col((Participants::Table, Participants::Role)).is_in(roles.iter().map(|r| r.slug())));
    }
    // LIMIT 1 keeps SQLite (3.51) from turning the EXISTS into a join: with a person in two roles
    // that join counted the object twice for OFFSET, and page 2 repeated half of page 1.
    sub.limit(1);
    Expr::exists(sub.to_owned())
}
