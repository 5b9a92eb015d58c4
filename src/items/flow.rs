//! The three changes every kind makes through its pages — a stage change, an edit, a new object —
//! each as one generic flow. A flow runs the steps all kinds share, in one order, and asks the kind
//! only for what is its own: how its row loads and its form renders and validates, what it writes,
//! who hears of it, and what else the change causes. A kind implements `ItemFlow` and whichever of
//! `StageFlow`, `EditFlow`, `CreateFlow` it has (memos, tasks and projects in their `flow.rs`), and
//! the route table points its routes at the generic handlers: `post(flow::set_stage::<Tasks>::default())`.
//!
//! The shared shape: load with the access the action needs (404, 403) → the kind's row → validate
//! (an unknown stage: 400; a form: 422, re-rendered with the chosen files held for the next submit)
//! → one transaction: the kind's write (its history row included), attachments, notifications, the
//! kind's consequences → commit → "changed" for the item and for what else changed, the kind's
//! followers, the bells → wake the worker → redirect to the item's page.

use std::future::Future;
use std::marker::PhantomData;

use maud::Markup;
use poem::web::{Data, Path};
use poem::{FromRequest, Request, RequestBody, Response, handler};
use serde::de::DeserializeOwned;

use super::{ItemRef, StageForm};
use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::files::{HoldsFiles, Uploaded};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::participants::{self, PRole, Parts};
use crate::paths;
use crate::web::{self, Form};

/// The request a flow serves, as its hooks see it: the app, who makes the change, and whether htmx
/// asked (a form page answers with a fragment then).
pub struct Cx<'a> {
    pub state: &'a AppState,
    pub viewer: &'a Viewer,
    pub hx: HxRequest,
    pub actor: Actor,
}

impl<'a> Cx<'a> {
    pub fn new(state: &'a AppState, viewer: &'a Viewer, hx: HxRequest) -> Self {
        Cx { state, viewer, hx, actor: Actor::from(viewer) }
    }
}

/// What a change caused beyond its own item, gathered in the transaction and published after commit.
#[derive(Default)]
pub struct Outcome {
    /// Users notified: their bells are poked.
    pub notified: Vec<i64>,
    /// Other items it changed, and whether their stage moved.
    changed: Vec<(ItemRef, bool)>,
}

impl Outcome {
    /// `item` changed too (a task was added to it, it was linked): it gets "changed".
    pub fn changed(&mut self, item: ItemRef) {
        self.changed.push((item, false));
    }
    /// The stage of `item`, of the flow's kind, moved too: it gets "changed", and what shows its stage
    /// elsewhere re-fetches (`ItemFlow::stage_moved`).
    pub fn moved(&mut self, item: ItemRef) {
        self.changed.push((item, true));
    }
    /// Notifies each participant of `item` once, by the first of `by_role` they hold, except `except`.
    pub async fn notify(
        &mut self,
        tx: &mut Tx,
        cx: &Cx<'_>,
        item: &ItemRef,
        by_role: &[(PRole, String)],
        except: Option<i64>,
        body: &str,
    ) -> AppResult<()> {
        self.notified.extend(super::notify_each(tx, cx.state, item, by_role, except, body).await?);
        Ok(())
    }
}

/// A kind of object the flows work on: its row and its form.
pub trait ItemFlow: Send + Sync + 'static {
    const KIND: ItemKind;
    /// The row its repo reads.
    type Row: Send + Sync;
    /// The raw form of its new and edit pages.
    type Form: HoldsFiles + DeserializeOwned + Send + Sync;

    fn get(db: &Db, id: i64) -> impl Future<Output = AppResult<Option<Self::Row>>> + Send;
    /// The form page for `row` (an edit) or a new object (None), with the messages of `errs`.
    fn form(
        cx: &Cx<'_>,
        row: Option<&Self::Row>,
        f: &Self::Form,
        errs: &FormErrors,
    ) -> impl Future<Output = AppResult<Markup>> + Send;
    /// After commit, for an item of this kind whose stage a change moved: what shows its stage
    /// elsewhere re-fetches (a memo's "View task" button). Nothing by default.
    fn stage_moved(_state: &AppState, _item: &ItemRef) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }
}

/// A kind whose objects move through stages with buttons of their own (`POST /<kind>/:id/stage`).
pub trait StageFlow: ItemFlow {
    /// One of its stages: an enum of fixed slugs, or a row of a per-department table.
    type Stage: Send + Sync;

    /// The stage the form moves the object to, among its stages (400 when it names none), or None
    /// when the object is there already (then nothing changes).
    fn stage_change(
        db: &Db,
        row: &Self::Row,
        f: &StageForm,
    ) -> impl Future<Output = AppResult<Option<Self::Stage>>> + Send;
    /// Checks the change (an error refuses it, 409 for a rule) and writes it with its history row.
    fn write_stage(
        tx: &mut Tx,
        cx: &Cx<'_>,
        row: &Self::Row,
        stage: &Self::Stage,
    ) -> impl Future<Output = AppResult<()>> + Send;
    /// Which participants hear of it, by role, with each role's title (empty: nobody).
    fn stage_notices(cx: &Cx<'_>, item: &ItemRef, stage: &Self::Stage) -> Vec<(PRole, String)>;
    /// Who of the item's participants may hear of the change (`stage_notices` picks their titles):
    /// everyone by default; a task leaves out members who hid its main task (`tasks::hide`).
    fn hearers(_tx: &mut Tx, item: &ItemRef, _row: &Self::Row) -> impl Future<Output = AppResult<ItemRef>> + Send {
        let item = item.clone();
        async move { Ok(item) }
    }
    /// What the change causes beyond the object (a team task closing with its last subtask).
    fn after_stage(
        _tx: &mut Tx,
        _cx: &Cx<'_>,
        _row: &Self::Row,
        _stage: &Self::Stage,
        _out: &mut Outcome,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }
}

/// A kind edited through its form (`POST /<kind>/:id`).
pub trait EditFlow: ItemFlow {
    /// A validated edit.
    type Edit: Send + Sync;

    /// The edit form as the object is.
    fn form_of(item: &ItemRef, row: &Self::Row) -> Self::Form;
    /// Puts back what this viewer may not change here, before validation and any re-display.
    fn keep(_item: &ItemRef, _v: &Viewer, _row: &Self::Row, _f: &mut Self::Form) {}
    /// The form checked against the object as it is: its messages (422), or the edit. An error for
    /// what it names that the viewer may not use (404, 403).
    fn validate_edit(
        cx: &Cx<'_>,
        item: &ItemRef,
        row: &Self::Row,
        f: &Self::Form,
    ) -> impl Future<Output = AppResult<Result<Self::Edit, FormErrors>>> + Send;
    /// Writes the edit with its history row.
    fn write_edit(
        tx: &mut Tx,
        cx: &Cx<'_>,
        item: &ItemRef,
        row: &Self::Row,
        edit: &Self::Edit,
    ) -> impl Future<Output = AppResult<()>> + Send;
    /// The item as the edit left it: by default with the participants now stored.
    fn edited(tx: &mut Tx, item: &ItemRef, _edit: &Self::Edit) -> impl Future<Output = AppResult<ItemRef>> + Send {
        async move { Ok(ItemRef { parts: participants::of_tx(tx, Self::KIND, item.id).await?, ..item.clone() }) }
    }
    /// Who hears of it, once its files are saved; nobody by default. Kinds with participants welcome
    /// those the edit added (`welcome_newcomers`).
    fn notify_edit(
        _tx: &mut Tx,
        _cx: &Cx<'_>,
        _before: &ItemRef,
        _after: &ItemRef,
        _edit: &Self::Edit,
    ) -> impl Future<Output = AppResult<Vec<i64>>> + Send {
        async { Ok(Vec::new()) }
    }
    /// After commit: "changed" to everyone who could see the item before or can now, the bells, the worker.
    fn publish_edit(state: &AppState, before: &ItemRef, after: &ItemRef, notified: &[i64]) {
        super::publish_edit(state, before, &after.parts, notified);
    }
}

/// A kind created through its form (`POST /<kind>`).
pub trait CreateFlow: ItemFlow {
    /// A validated new object, with what it is made from or in (a main task, a memo).
    type New: Send + Sync;

    /// The form checked, and what it names loaded with the access it needs (404, 403): its messages
    /// (422), or the new object.
    fn validate_new(
        cx: &Cx<'_>,
        f: &Self::Form,
    ) -> impl Future<Output = AppResult<Result<Self::New, FormErrors>>> + Send;
    /// Inserts it with its participants and history row; returns it.
    fn insert(tx: &mut Tx, cx: &Cx<'_>, new: &Self::New) -> impl Future<Output = AppResult<ItemRef>> + Send;
    /// Once its files are saved: what making it causes (the memo it came from, a main task started).
    fn after_insert(
        _tx: &mut Tx,
        _cx: &Cx<'_>,
        _new: &Self::New,
        _item: &ItemRef,
        _out: &mut Outcome,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }
    /// Who hears of it; nobody by default.
    fn notify_new(
        _tx: &mut Tx,
        _cx: &Cx<'_>,
        _new: &Self::New,
        _item: &ItemRef,
    ) -> impl Future<Output = AppResult<Vec<i64>>> + Send {
        async { Ok(Vec::new()) }
    }
}

/// Names the kind a generic handler runs for (the route table registers
/// `flow::set_stage::<Tasks>::default()`); it reads nothing from the request.
pub struct Flow<K>(PhantomData<K>);

impl<'a, K: ItemFlow> FromRequest<'a> for Flow<K> {
    async fn from_request(_req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Flow(PhantomData))
    }
}

/// `POST /<kind>/:id/stage`.
#[handler]
pub async fn set_stage<K: StageFlow>(
    _: Flow<K>,
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<StageForm>,
) -> AppResult<Response> {
    let it = super::load(&state.db, &viewer, K::KIND, id, Action::ChangeStage).await?;
    let row = K::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let Some(stage) = K::stage_change(&state.db, &row, &f).await? else {
        return Ok(htmx::redirect(hx, &paths::item(K::KIND, id)));
    };
    let cx = Cx::new(&state, &viewer, hx);
    let mut out = Outcome::default();
    let mut tx = state.db.begin().await?;
    apply_stage::<K>(&mut tx, &cx, &it, &row, &stage, &mut out).await?;
    tx.commit().await?;
    publish::<K>(&state, &it, true, &out).await?;
    Ok(htmx::redirect(hx, &paths::item(K::KIND, id)))
}

/// A stage change inside a transaction: the kind's checks and write, the participants' notices, the
/// consequences. Also for a stage another change moves (a memo a task is made from is considered).
pub async fn apply_stage<K: StageFlow>(
    tx: &mut Tx,
    cx: &Cx<'_>,
    item: &ItemRef,
    row: &K::Row,
    stage: &K::Stage,
    out: &mut Outcome,
) -> AppResult<()> {
    K::write_stage(tx, cx, row, stage).await?;
    let hearers = K::hearers(tx, item, row).await?;
    out.notify(tx, cx, &hearers, &K::stage_notices(cx, item, stage), Some(cx.viewer.id), "").await?;
    K::after_stage(tx, cx, row, stage, out).await
}

/// `GET /<kind>/:id/edit`: the edit form.
#[handler]
pub async fn edit<K: EditFlow>(
    _: Flow<K>,
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Markup> {
    let it = super::load(&state.db, &viewer, K::KIND, id, Action::Edit).await?;
    let row = K::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    K::form(&Cx::new(&state, &viewer, hx), Some(&row), &K::form_of(&it, &row), &FormErrors::default()).await
}

/// `POST /<kind>/:id`: the edit form sent.
#[handler]
pub async fn update<K: EditFlow>(
    _: Flow<K>,
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    up: Uploaded<K::Form>,
) -> AppResult<Response> {
    let it = super::load(&state.db, &viewer, K::KIND, id, Action::Edit).await?;
    let before = K::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let cx = Cx::new(&state, &viewer, hx);
    let mut f = up.form.clone();
    K::keep(&it, &viewer, &before, &mut f);
    let edit = match K::validate_edit(&cx, &it, &before, &f).await? {
        Ok(e) => e,
        Err(errs) => return invalid::<K>(&cx, Some(&before), &up, &f, &errs).await,
    };
    let mut tx = state.db.begin().await?;
    K::write_edit(&mut tx, &cx, &it, &before, &edit).await?;
    let after = K::edited(&mut tx, &it, &edit).await?;
    state.files.save(&mut tx, &up.files, K::KIND.slug(), id, &cx.actor).await?;
    let notified = K::notify_edit(&mut tx, &cx, &it, &after, &edit).await?;
    tx.commit().await?;
    K::publish_edit(&state, &it, &after, &notified);
    Ok(htmx::redirect(hx, &paths::item(K::KIND, id)))
}

/// `POST /<kind>`: the new-object form.
#[handler]
pub async fn create<K: CreateFlow>(
    _: Flow<K>,
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    up: Uploaded<K::Form>,
) -> AppResult<Response> {
    let cx = Cx::new(&state, &viewer, hx);
    let new = match K::validate_new(&cx, &up.form).await? {
        Ok(n) => n,
        Err(errs) => return invalid::<K>(&cx, None, &up, &up.form, &errs).await,
    };
    let mut out = Outcome::default();
    let mut tx = state.db.begin().await?;
    let item = K::insert(&mut tx, &cx, &new).await?;
    state.files.save(&mut tx, &up.files, K::KIND.slug(), item.id, &cx.actor).await?;
    K::after_insert(&mut tx, &cx, &new, &item, &mut out).await?;
    let welcomed = K::notify_new(&mut tx, &cx, &new, &item).await?;
    out.notified.extend(welcomed);
    tx.commit().await?;
    publish::<K>(&state, &item, false, &out).await?;
    Ok(htmx::redirect(hx, &paths::item(K::KIND, item.id)))
}

/// The form again with its messages (422), the files chosen in it held for the next submit.
async fn invalid<K: ItemFlow>(
    cx: &Cx<'_>,
    row: Option<&K::Row>,
    up: &Uploaded<K::Form>,
    f: &K::Form,
    errs: &FormErrors,
) -> AppResult<Response> {
    let kept = up.again(f, cx.state, cx.viewer).await?;
    Ok(web::invalid(K::form(cx, row, &kept, errs).await?))
}

/// After commit: "changed" for the item (whose stage moved when `moved`) and for what else changed,
/// then the bells of those notified, then the worker (it sends the email copies).
pub async fn publish<K: ItemFlow>(state: &AppState, item: &ItemRef, moved: bool, out: &Outcome) -> AppResult<()> {
    for (it, moved) in std::iter::once((item, moved)).chain(out.changed.iter().map(|(c, m)| (c, *m))) {
        super::publish_changed(&state.bus, it);
        if moved {
            K::stage_moved(state, it).await?;
        }
    }
    super::publish_notices(&state.bus, &out.notified);
    state.wake.notify_one();
    Ok(())
}

/// Welcomes, by role, those an edit made participants of `after` (not the editor).
pub async fn welcome_newcomers(
    tx: &mut Tx,
    cx: &Cx<'_>,
    before: &ItemRef,
    after: &ItemRef,
    by_role: &[(PRole, String)],
    body: &str,
) -> AppResult<Vec<i64>> {
    let newcomers = ItemRef { parts: after.parts.without(&before.parts), ..after.clone() };
    super::notify_each(tx, cx.state, &newcomers, by_role, Some(cx.viewer.id), body).await
}

/// A new object as the flows publish and notify it: not a draft, locked, a team's or a subtask unless
/// its kind says so.
pub fn created(kind: ItemKind, id: i64, title: &str, parts: Parts) -> ItemRef {
    ItemRef {
        kind,
        id,
        title: title.to_string(),
        department: None,
        draft: false,
        locked: false,
        team: false,
        subtask: false,
        parts,
        family: Default::default(),
    }
}

/// The notices of an object closing: its owner, co-owner and subscribers, with one title.
pub fn closing_notices(title: String) -> Vec<(PRole, String)> {
    [PRole::Owner, PRole::CoOwner, PRole::Subscriber].map(|r| (r, title.clone())).to_vec()
}
