//! What memos, tasks and projects share: loading one with the viewer's access to it, its URL and live
//! topic, and notifying its participants. Chat, attachments, reminders, history, deletion and search
//! work on any item through this module, so they need not know the three kinds apart.

pub mod flow;
pub mod handlers;
pub mod remove;

use std::collections::BTreeSet;

use poem::{FromRequest, Request, RequestBody};
use sea_query::{Expr, ExprTrait, Query};

use crate::access::{self, Action, Item, ItemKind, Object, Viewer};
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult};
use crate::events::{Bus, DomainEvent};
use crate::kinds::Ownership;
use crate::notifications::{self, Notice};
use crate::participants::{self, PRole, Parts};

/// One object as the generic features see it.
#[derive(Clone, Debug)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub id: i64,
    pub title: String,
    /// The CRM's kinds: the row's department (a payment: its deal's).
    pub department: Option<i64>,
    pub draft: bool,
    /// A considered memo.
    pub locked: bool,
    /// A task with several responsible users.
    pub team: bool,
    pub subtask: bool,
    pub parts: Parts,
    /// Who takes part: the Tasks section's participants; for the CRM's kinds the owner and
    /// co-owner (`kinds::Ownership`).
    /// Tasks: participants of the main task and of the subtasks (they see this task too).
    pub family: BTreeSet<i64>,
}

impl ItemRef {
    /// The access-rule view of this item for `v`.
    pub fn access_of(&self, v: &Viewer) -> Item {
        Item {
            kind: self.kind,
            rel: self.parts.relation(v.id),
            department: self.department,
            draft: self.draft,
            locked: self.locked,
            team: self.team,
            subtask: self.subtask,
            related: self.family.contains(&v.id),
        }
    }
    /// May `v` do `action` on this item?
    pub fn can(&self, v: &Viewer, action: Action) -> bool {
        access::can(v, action, &Object::Item(self.access_of(v)))
    }
    pub fn url(&self) -> String {
        url(self.kind, self.id)
    }
    pub fn audience(&self) -> access::Audience {
        if !self.kind.is_tasks_section() {
            // Nobody sees a CRM row without a department (the column is required).
            return match self.department {
                Some(d) => access::crm_audience(self.kind, d),
                None => access::Audience::roles(&[access::Role::Admin]),
            };
        }
        let mut a = access::item_audience(&self.parts, self.draft);
        a.users.extend(self.family.iter().copied());
        a
    }
}

/// The item a route like `/tasks/:id/chat` is about: the kind comes from the first path segment, the
/// id from `:id`. One handler then serves the same sub-resource of memos, tasks and projects.
#[derive(Clone, Copy, Debug)]
pub struct ItemPath {
    pub kind: ItemKind,
    pub id: i64,
}

impl<'a> FromRequest<'a> for ItemPath {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let segment = req.uri().path().split('/').nth(1).unwrap_or_default();
        let kind = crate::kinds::by_path_segment(segment).ok_or(AppError::NotFound)?;
        let id = req.raw_path_param("id").and_then(|s| s.parse::<i64>().ok()).ok_or(AppError::NotFound)?;
        Ok(ItemPath { kind, id })
    }
}

/// `/memos/12`, `/tasks/3`, `/projects/7`.
pub fn url(kind: ItemKind, id: i64) -> String {
    crate::paths::item(kind, id)
}

#[derive(sqlx::FromRow)]
struct Head {
    name: String,
    draft: bool,
    locked: bool,
    team: bool,
    subtask: bool,
    department_id: Option<i64>,
    owner_id: Option<i64>,
    co_owner_id: Option<i64>,
}

fn head_query(kind: ItemKind, id: i64) -> sea_query::SelectStatement {
    let k = kind.info();
    let no = || Expr::val(false);
    let none = || Expr::val(Option::<i64>::None);
    let mut q = Query::select();
    q.expr_as(Expr::cust(k.title_sql), "name").from(k.table).and_where(Expr::col((k.table, "id")).eq(id));
    match kind {
        ItemKind::Memo => q
            .column("draft")
            .expr_as(Expr::col("stage").eq("considered"), "locked")
            .expr_as(no(), "team")
            .expr_as(no(), "subtask"),
        ItemKind::Task => q
            .expr_as(no(), "draft")
            .expr_as(no(), "locked")
            .column("team")
            .expr_as(Expr::col("parent_id").is_not_null(), "subtask"),
        // §3.3: a received or imported email is read-only.
        ItemKind::Email => q
            .expr_as(no(), "draft")
            .expr_as(Expr::col((k.table, "incoming")).or(Expr::col((k.table, "uid")).is_not_null()), "locked")
            .expr_as(no(), "team")
            .expr_as(no(), "subtask"),
        _ => q.expr_as(no(), "draft").expr_as(no(), "locked").expr_as(no(), "team").expr_as(no(), "subtask"),
    };
    match k.ownership {
        Ownership::Participants => {
            q.expr_as(none(), "department_id").expr_as(none(), "owner_id").expr_as(none(), "co_owner_id");
        }
        Ownership::Columns { co_owner } => {
            q.column((k.table, "department_id")).column((k.table, "owner_id"));
            if co_owner {
                q.column((k.table, "co_owner_id"));
            } else {
                q.expr_as(none(), "co_owner_id");
            }
        }
        Ownership::Through { kind: via, column } => {
            let t = via.info().table;
            q.inner_join(t, Expr::col((t, "id")).equals((k.table, column)))
                .column((t, "department_id"))
                .column((t, "owner_id"))
                .column((t, "co_owner_id"));
        }
    }
    q
}

/// The CRM's owner and co-owner, in the shape participants have.
fn owners(head: &Head) -> Parts {
    let mut p = Parts::default();
    if let Some(u) = head.owner_id {
        p.add(PRole::Owner, u);
    }
    if let Some(u) = head.co_owner_id {
        p.add(PRole::CoOwner, u);
    }
    p
}

fn item_of(kind: ItemKind, id: i64, head: Head, parts: Parts, family: BTreeSet<i64>) -> ItemRef {
    // A project with several responsible users is a team effort too: none of them alone changes it.
    let team = head.team || (kind == ItemKind::Project && parts.users(PRole::Responsible).len() > 1);
    ItemRef {
        kind,
        id,
        title: head.name,
        department: head.department_id,
        draft: head.draft,
        locked: head.locked,
        team,
        subtask: head.subtask,
        parts,
        family,
    }
}

/// Loads an item and checks that `v` may do `action` on it: 404 when it does not exist or `v` may not
/// see it, 403 when `v` sees it but may not do `action`.
pub async fn load(db: &Db, v: &Viewer, kind: ItemKind, id: i64, action: Action) -> AppResult<ItemRef> {
    let item = load_any(db, kind, id).await?;
    if !item.can(v, Action::View) {
        return Err(AppError::NotFound);
    }
    access::require(v, action, &Object::Item(item.access_of(v)))?;
    Ok(item)
}

/// Loads an item without access checks, outside a transaction (for the live channel, which then
/// filters by the item's audience).
pub async fn load_any(db: &Db, kind: ItemKind, id: i64) -> AppResult<ItemRef> {
    let head: Head = db.fetch_optional(&head_query(kind, id)).await?.ok_or(AppError::NotFound)?;
    let parts = if kind.is_tasks_section() { participants::of(db, kind, id).await? } else { owners(&head) };
    let family = match kind {
        ItemKind::Task => participants::family(db, id).await?,
        ItemKind::Email => people(db.fetch_all(&email_deal_owners(id)).await?),
        _ => BTreeSet::new(),
    };
    Ok(item_of(kind, id, head, parts, family))
}

/// The users named in rows of (owner, co-owner).
fn people(rows: Vec<(Option<i64>, Option<i64>)>) -> BTreeSet<i64> {
    rows.into_iter().flat_map(|(a, b)| a.into_iter().chain(b)).collect()
}

/// The owner and co-owner of an email's deal (they may edit the email: `access::Item::related`).
fn email_deal_owners(id: i64) -> sea_query::SelectStatement {
    Query::select()
        .column(("deals", "owner_id"))
        .column(("deals", "co_owner_id"))
        .from("crm_emails")
        .inner_join("deals", Expr::col(("deals", "id")).equals(("crm_emails", "deal_id")))
        .and_where(Expr::col(("crm_emails", "id")).eq(id))
        .to_owned()
}

/// The item an item page's URL names (`/tasks/12` → task 12), if it names one.
pub fn parse_url(url: &str) -> Option<(ItemKind, i64)> {
    crate::kinds::parse_url(url)
}

/// The title of an item `v` may see (for a link to it), or None when `v` may not see it or it is gone:
/// pages link only to what the viewer can open.
pub async fn visible_title(db: &Db, v: &Viewer, kind: ItemKind, id: i64) -> AppResult<Option<String>> {
    match load(db, v, kind, id, Action::View).await {
        Ok(it) => Ok(Some(it.title)),
        Err(AppError::NotFound | AppError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Loads an item inside a transaction, without access checks (for changes the system makes as a
/// consequence of an allowed one, such as closing a team task when its last subtask is done).
pub async fn load_tx(tx: &mut Tx, kind: ItemKind, id: i64) -> AppResult<ItemRef> {
    let head: Head = tx.fetch_optional(&head_query(kind, id)).await?.ok_or(AppError::NotFound)?;
    let parts = if kind.is_tasks_section() { participants::of_tx(tx, kind, id).await? } else { owners(&head) };
    let family = match kind {
        ItemKind::Task => participants::family_tx(tx, id).await?,
        ItemKind::Email => people(tx.fetch_all(&email_deal_owners(id)).await?),
        _ => BTreeSet::new(),
    };
    Ok(item_of(kind, id, head, parts, family))
}

/// What the page of any item shows beside its own fields: files, the viewer's reminders, the chat.
pub struct Panels {
    pub files: Vec<crate::files::Attachment>,
    pub reminders: Vec<crate::reminders::Reminder>,
    pub messages: Vec<crate::chat::Message>,
    pub message_files: std::collections::HashMap<i64, Vec<crate::files::Attachment>>,
    pub more_messages: bool,
    pub can_chat: bool,
    pub can_edit: bool,
}

pub async fn panels(state: &crate::app::AppState, v: &Viewer, it: &ItemRef) -> AppResult<Panels> {
    let (messages, more_messages) = crate::chat::recent(&state.db, it.kind, it.id, None).await?;
    Ok(Panels {
        files: crate::files::of(&state.db, it.kind.slug(), it.id).await?,
        reminders: crate::reminders::on_item(&state.db, v, it.kind, it.id).await?,
        message_files: crate::chat::files_of(&state.db, &messages).await?,
        messages,
        more_messages,
        can_chat: it.can(v, Action::Chat),
        can_edit: it.can(v, Action::Edit),
    })
}

/// The title of an item, if it exists (whoever asks: callers check access themselves).
pub async fn title(db: &Db, kind: ItemKind, id: i64) -> Result<Option<String>, sqlx::Error> {
    let k = kind.info();
    db.scalar(Query::select().expr(Expr::cust(k.title_sql)).from(k.table).and_where(Expr::col((k.table, "id")).eq(id)))
        .await
}

/// Notifies each participant once, with the title of the first of `by_role` they hold (so a
/// responsible who also subscribes hears "new task", not both), skipping `except`.
pub async fn notify_each(
    tx: &mut Tx,
    state: &AppState,
    item: &ItemRef,
    by_role: &[(PRole, String)],
    except: Option<i64>,
    body: &str,
) -> AppResult<Vec<i64>> {
    notify_each_with(tx, state, item, by_role, except, body, &std::collections::HashMap::new()).await
}

/// `notify_each`, the email copy to each user in `extras` carrying that user's extra text. About a
/// task, the email of each of its responsible users carries the one-click completion link
/// (`tasks::links::lines_for`).
pub async fn notify_each_with(
    tx: &mut Tx,
    state: &AppState,
    item: &ItemRef,
    by_role: &[(PRole, String)],
    except: Option<i64>,
    body: &str,
    extras: &std::collections::HashMap<i64, String>,
) -> AppResult<Vec<i64>> {
    let mut to: Vec<(i64, &str)> = Vec::new();
    for (role, title) in by_role {
        for u in item.parts.users(*role) {
            if Some(u) != except && !to.iter().any(|(x, _)| *x == u) {
                to.push((u, title));
            }
        }
    }
    let users: Vec<i64> = to.iter().map(|(u, _)| *u).collect();
    let extras = email_extras(tx, state, item, &users, extras).await?;
    let url = item.url();
    for (u, title) in &to {
        let n = Notice { user_id: *u, title, body, url: &url, object: Some((item.kind.slug(), item.id)) };
        let extra = extras.get(u).map(String::as_str).unwrap_or_default();
        notifications::send_with(tx, &state.config, &n, extra).await?;
    }
    Ok(users)
}

/// The extra lines of the email copies to `users` about `item`: a task's completion links.
async fn email_extras(
    tx: &mut Tx,
    state: &AppState,
    item: &ItemRef,
    users: &[i64],
    extras: &std::collections::HashMap<i64, String>,
) -> AppResult<std::collections::HashMap<i64, String>> {
    if item.kind != ItemKind::Task || users.is_empty() {
        return Ok(extras.clone());
    }
    crate::tasks::links::lines_for(tx, state, item.id, users, extras).await
}

/// Sends an in-app notification (and an email copy, per each user's profile) about `item` to the
/// participants holding one of `roles` (all roles when empty), except `except` (usually the actor).
/// Returns the users notified: publish `notices` for them after commit.
pub async fn notify(
    tx: &mut Tx,
    state: &AppState,
    item: &ItemRef,
    roles: &[PRole],
    except: Option<i64>,
    title: &str,
    body: &str,
) -> AppResult<Vec<i64>> {
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
    let extras = email_extras(tx, state, item, &users, &std::collections::HashMap::new()).await?;
    let url = item.url();
    for u in &users {
        let n = Notice { user_id: *u, title, body, url: &url, object: Some((item.kind.slug(), item.id)) };
        let extra = extras.get(u).map(String::as_str).unwrap_or_default();
        notifications::send_with(tx, &state.config, &n, extra).await?;
    }
    Ok(users)
}

/// Publishes the bell pokes for users notified in a committed transaction.
pub fn publish_notices(bus: &Bus, users: &[i64]) {
    for u in users {
        bus.publish(DomainEvent::Notice { user_id: *u });
    }
}

/// The form of every stage change (`POST /…/:id/stage`).
#[derive(serde::Deserialize)]
pub struct StageForm {
    #[serde(default)]
    pub stage: String,
}

impl StageForm {
    /// The stage named, by the kind's own list (`Stage::from_slug`, `MemoStage::from_slug`); 400 if
    /// it names none.
    pub fn parse<S>(&self, from_slug: impl Fn(&str) -> Option<S>) -> AppResult<S> {
        from_slug(&self.stage).ok_or_else(|| AppError::BadRequest("Unknown stage.".into()))
    }
}

/// After an edit: "changed" to everyone who could see the item before or can now (those removed stop
/// seeing it live, those added start), then the bell of each user notified, then the worker.
pub fn publish_edit(state: &crate::app::AppState, before: &ItemRef, after: &Parts, notified: &[i64]) {
    let mut everyone = before.clone();
    everyone.parts.0.extend(after.0.iter().copied());
    publish_changed(&state.bus, &everyone);
    publish_notices(&state.bus, notified);
    state.wake.notify_one();
}

/// Publishes "this item changed" to everyone who may see it.
pub fn publish_changed(bus: &Bus, item: &ItemRef) {
    bus.publish(DomainEvent::Changed {
        topic: crate::events::Topic::Item(item.kind),
        id: item.id,
        audience: item.audience(),
    });
}

/// `publish_changed` for a CRM row whose department the caller already has (a CRM row's audience
/// is its kind and department: `ItemRef::audience`), without loading it again.
pub fn publish_crm_changed(bus: &Bus, kind: ItemKind, id: i64, department: i64) {
    bus.publish(DomainEvent::Changed {
        topic: crate::events::Topic::Item(kind),
        id,
        audience: access::crm_audience(kind, department),
    });
}

/// Who is responsible and the co-owner change only for those allowed to (`Action::AssignPeople`): a
/// chief or a single responsible editing the rest of a task or project keeps them as they are.
pub fn keep_people_unless_allowed(it: &ItemRef, v: &Viewer, f: &mut crate::tasks::model::WorkForm) {
    if it.can(v, Action::AssignPeople) {
        return;
    }
    f.responsible = it.parts.users(PRole::Responsible).iter().map(i64::to_string).collect();
    f.co_owner_id = it.parts.first(PRole::CoOwner).map(|c| c.to_string()).unwrap_or_default();
}
