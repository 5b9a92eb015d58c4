//! "Completed" (§14.1): a responsible marks their part of a task done.
//!
//! - A task with one responsible and no subtasks: the task moves to Done through the stage flow
//!   (its notices, and a subtask closing its team task, as any stage change).
//! - A team task: a subtask for that member is created already Done (with `hide_main_task`), which
//!   counts toward the team task's auto-completion. Refused while the member has an active subtask
//!   of their own: they are sent to it.
//!
//! The button on the task page (`POST /tasks/:id/completed`) and the one-click email link
//! (`super::links`) both run `complete_in`, inside the caller's transaction.

use std::collections::HashMap;

use poem::web::{Data, Path};
use poem::{Response, handler};
use sea_query::{Expr, ExprTrait, Query};

use super::flow::{Tasks, closing};
use super::model::{Stage, Task, Tasks as T, WorkInput};
use super::repo;
use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::htmx::{self, HxRequest};
use crate::items::flow::{Cx, Outcome, StageFlow, apply_stage, created};
use crate::items::{self, ItemRef};
use crate::participants::PRole;
use crate::paths;

/// What "Completed" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// The task itself is done.
    Task,
    /// A done subtask (this id) records the member's part of the team task.
    Subtask(i64),
    /// Nothing: the member still has this active subtask of the team task.
    ActiveSubtask(i64),
}

/// The member's active subtask of team task `parent`, if any.
pub async fn active_subtask_of(tx: &mut Tx, parent: i64, user: i64) -> Result<Option<i64>, sqlx::Error> {
    tx.scalar(
        Query::select()
            .column((T::Table, T::Id))
            .from(T::Table)
            .and_where(Expr::col((T::Table, T::ParentId)).eq(parent))
            .and_where(Expr::col((T::Table, T::Active)).eq(true))
            .and_where(crate::participants::involving(ItemKind::Task, (T::Table, T::Id), user, &[PRole::Responsible]))
            .order_by((T::Table, T::Id), sea_query::Order::Asc)
            .limit(1),
    )
    .await
}

/// Number of subtasks of a task, closed ones included.
pub async fn subtask_count(tx: &mut Tx, parent: i64) -> Result<i64, sqlx::Error> {
    Ok(tx
        .scalar(
            Query::select().expr(Expr::col(T::Id).count()).from(T::Table).and_where(Expr::col(T::ParentId).eq(parent)),
        )
        .await?
        .unwrap_or(0))
}

/// Marks a subtask as its responsible's finished part: the main task leaves their active list.
pub async fn set_hide_main_task(tx: &mut Tx, id: i64, hide: bool) -> Result<(), sqlx::Error> {
    tx.execute(Query::update().table(T::Table).value("hide_main_task", hide).and_where(Expr::col(T::Id).eq(id)))
        .await
        .map(|_| ())
}

/// Whether a task offers "Completed" to one of its responsible: active, and a team task or one
/// without subtasks.
pub fn offers(t: &Task, has_subtasks: bool) -> bool {
    t.active && (t.team || !has_subtasks)
}

/// "Completed" for `cx.viewer` on task `t` (`it`: the task as loaded, with its participants), in
/// `tx`; what it caused beyond the task goes into `out`. `names`: names of the viewer and the task's
/// owner (history lines). `hide`: a completed subtask hides its main task (the email link's way).
pub async fn complete_in(
    tx: &mut Tx,
    cx: &Cx<'_>,
    it: &ItemRef,
    t: &Task,
    names: &HashMap<i64, String>,
    hide: bool,
    out: &mut Outcome,
) -> AppResult<Done> {
    let me = cx.viewer.id;
    if !it.parts.users(PRole::Responsible).contains(&me) {
        return Err(AppError::Forbidden);
    }
    if !t.active {
        return Err(AppError::Conflict("The task is already closed.".into()));
    }
    if !t.team {
        if subtask_count(tx, t.id).await? > 0 {
            return Err(AppError::Conflict(
                "The task has subtasks: it is done when they are, or by setting its stage.".into(),
            ));
        }
        apply_stage::<Tasks>(tx, cx, it, t, &Stage::Done, out).await?;
        if hide && t.parent_id.is_some() {
            set_hide_main_task(tx, t.id, true).await?;
        }
        return Ok(Done::Task);
    }
    if let Some(s) = active_subtask_of(tx, t.id, me).await? {
        return Ok(Done::ActiveSubtask(s));
    }
    let today = crate::time::today();
    let input = WorkInput {
        name: t.name.clone(),
        description: String::new(),
        next_step: Stage::Done.label().into(),
        next_step_date: Some(today),
        due_date: t.due_date,
        priority: t.priority,
        stage: Stage::Done,
        co_owner_id: None,
        responsible: vec![me],
        subscribers: Vec::new(),
        parent_id: Some(t.id),
        project_id: t.project_id,
        memo_id: None,
        memo_files: Vec::new(),
        tags: Vec::new(),
        new_tags: Vec::new(),
    };
    // The co-owner of a subtask is the main task's owner (`flow::decide_co_owner`).
    let co_owner = Some(t.owner_id).filter(|o| *o != me);
    let id = repo::insert(tx, &input, me, co_owner, &cx.actor, names).await?;
    set_hide_main_task(tx, id, true).await?;
    let line = format!("The subtask was created. ({}) Completed.", cx.viewer.display_name);
    super::workflow::add(tx, ItemKind::Task, id, &line).await?;
    let sub = repo::get_tx(tx, id).await?.ok_or(AppError::NotFound)?;
    let sub_item =
        ItemRef { subtask: true, ..created(ItemKind::Task, id, &t.name, repo::parts_of(me, co_owner, &input)) };
    // The main task's owner hears of the part done, as of any subtask closing.
    out.notify(tx, cx, &sub_item, &closing("subtask", &t.name, Stage::Done), Some(me), "").await?;
    out.changed(sub_item);
    out.changed(it.clone());
    Tasks::after_stage(tx, cx, &sub, &Stage::Done, out).await?;
    Ok(Done::Subtask(id))
}

/// Names for the history lines of a completion by `user` of task `t`.
pub async fn names_for(state: &AppState, t: &Task, user: i64) -> AppResult<HashMap<i64, String>> {
    Ok(crate::users::repo::names(&state.db, &[user, t.owner_id]).await?)
}

/// The page a refused "Completed" sends the member to: their active subtask, which says why.
pub fn active_subtask_url(sub: i64) -> String {
    format!("{}?refused=active-subtask", paths::item(ItemKind::Task, sub))
}

/// `POST /tasks/:id/completed`: the "Completed" button of the task page.
#[handler]
pub async fn completed(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Task, id, Action::Complete).await?;
    let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let names = names_for(&state, &t, viewer.id).await?;
    let cx = Cx::new(&state, &viewer, hx);
    let mut out = Outcome::default();
    let mut tx = state.db.begin().await?;
    let done = complete_in(&mut tx, &cx, &it, &t, &names, false, &mut out).await?;
    if let Done::ActiveSubtask(sub) = done {
        drop(tx); // rolls back: nothing was written
        return Ok(htmx::redirect(hx, &active_subtask_url(sub)));
    }
    tx.commit().await?;
    crate::items::flow::publish::<Tasks>(&state, &it, done == Done::Task, &out).await?;
    Ok(htmx::redirect(hx, &paths::item(ItemKind::Task, id)))
}
