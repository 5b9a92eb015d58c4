//! "Hide main task" (§14.1): a member of a team task whose part is done (a closed subtask of theirs
//! with `hide_main_task`, set by "Completed" or on the subtask's page) no longer sees the main task
//! among their active tasks, and no longer hears of the other members' subtasks opening or closing.
//! Reopening their subtask shows the main task again: only a closed subtask hides it.

use poem::web::{Data, Path};
use poem::{Response, handler};
use sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};
use serde::Deserialize;

use super::model::Tasks as T;
use super::repo;
use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult};
use crate::history::{self, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};
use crate::participants::{self, PRole, Participants as P};
use crate::paths;

/// The condition "`user` has not hidden this task" on the list's `tasks` rows: no closed subtask of
/// it with `hide_main_task` whose responsible is `user` (one probe of the covering index
/// `ix_tasks_parent_hidden` per row, migration 33; then of the participants only for such subtasks).
pub fn not_hidden_for(user: i64) -> SimpleExpr {
    let h = Alias::new("h");
    let sub = Query::select()
        .expr(Expr::val(1))
        .from_as(T::Table, h.clone())
        .and_where(Expr::col((h.clone(), T::ParentId)).equals((T::Table, T::Id)))
        // Equalities on all three columns of ix_tasks_parent_hidden: answered from the index.
        .and_where(Expr::col((h.clone(), Alias::new("hide_main_task"))).eq(true))
        .and_where(Expr::col((h.clone(), T::Active)).eq(false))
        .and_where(participants::involving(ItemKind::Task, (h, T::Id), user, &[PRole::Responsible]))
        .to_owned();
    Expr::exists(sub).not()
}

/// Users who hid main task `parent` (responsible of a closed subtask of it with the flag).
pub async fn hidden_by(tx: &mut Tx, parent: i64) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            Query::select()
                .distinct()
                .column((P::Table, P::UserId))
                .from(P::Table)
                .inner_join(T::Table, Expr::col((T::Table, T::Id)).equals((P::Table, P::ObjectId)))
                .and_where(Expr::col((P::Table, P::ObjectType)).eq(ItemKind::Task.slug()))
                .and_where(Expr::col((P::Table, P::Role)).eq(PRole::Responsible.slug()))
                .and_where(Expr::col((T::Table, T::ParentId)).eq(parent))
                .and_where(Expr::col((T::Table, Alias::new("hide_main_task"))).eq(true))
                .and_where(Expr::col((T::Table, T::Active)).eq(false)),
        )
        .await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// Those who hear of a stage change of subtask `item` of main task `parent`: without the users who
/// hid the main task and take part in this subtask only as subscribers (another member's subtask).
pub async fn hearers(tx: &mut Tx, item: &ItemRef, parent: i64) -> Result<ItemRef, sqlx::Error> {
    let hidden = hidden_by(tx, parent).await?;
    if hidden.is_empty() {
        return Ok(item.clone());
    }
    let own = |u: i64| {
        item.parts.0.iter().any(|(r, x)| *x == u && matches!(r, PRole::Owner | PRole::Responsible | PRole::CoOwner))
    };
    let mut out = item.clone();
    out.parts.0.retain(|(_, u)| !hidden.contains(u) || own(*u));
    Ok(out)
}

/// Whether subtask `id` hides its main task for its responsible.
pub async fn flag(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    Ok(db
        .scalar::<bool>(Query::select().column("hide_main_task").from(T::Table).and_where(Expr::col(T::Id).eq(id)))
        .await?
        .unwrap_or(false))
}

#[derive(Deserialize)]
pub struct HideForm {
    /// "1" hides the main task, anything else shows it again.
    #[serde(default)]
    pub hide: String,
}

/// `POST /tasks/:id/hide-main`: the subtask's responsible hides (or shows again) its main task.
#[handler]
pub async fn hide_main(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    crate::web::Form(f): crate::web::Form<HideForm>,
) -> AppResult<Response> {
    // Only the subtask's own responsible: it is their list (`Action::Complete`: responsible only).
    let it = items::load(&state.db, &viewer, ItemKind::Task, id, Action::Complete).await?;
    let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if t.parent_id.is_none() {
        return Err(AppError::BadRequest("Only a subtask hides its main task.".into()));
    }
    let hide = f.hide == "1";
    let before = flag(&state.db, id).await?;
    if hide != before {
        let mut tx = state.db.begin().await?;
        super::complete::set_hide_main_task(&mut tx, id, hide).await?;
        let mut d = Diff::default();
        let yes_no = |b: bool| if b { "Yes" } else { "No" };
        d.field("Hide main task", yes_no(before), yes_no(hide));
        let actor = history::Actor::from(&viewer);
        history::record(&mut tx, &actor, "task", id, Change::Update, &format!("Edited the task {}", t.name), &d)
            .await?;
        tx.commit().await?;
        items::publish_changed(&state.bus, &it);
    }
    Ok(htmx::redirect(hx, &paths::item(ItemKind::Task, id)))
}
