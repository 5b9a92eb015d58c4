//! Memo pages: list, new (and copy), show, edit, and the live "View task" button. Saving a form and
//! changing a stage run the generic flows (`items::flow`) with `super::flow::Memos`.

use std::collections::HashMap;

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::model::{Memo, MemoFilter, MemoForm};
use super::repo;
use crate::access::{self, Action, ItemKind, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::htmx::HxRequest;
use crate::items::{self};
use crate::participants::{self, PRole};
use crate::tasks::model::Task;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Query};

/// The linked tasks of these memos that `v` may see (their status colours the "View task" buttons).
async fn visible_tasks(state: &AppState, v: &Viewer, memos: &[&Memo]) -> AppResult<HashMap<i64, Task>> {
    let ids: Vec<i64> = memos.iter().filter_map(|m| m.task_id).collect();
    let mut tasks = crate::tasks::repo::many(&state.db, &ids).await?;
    let parts = participants::of_many(&state.db, ItemKind::Task, &ids).await?;
    // Participants of its subtasks may open a memo's task too (inventory §3.3): they get the button.
    let family = participants::in_family_of(&state.db, v.id, &ids).await?;
    tasks.retain(|id, t| {
        let rel = parts.get(id).map(|p| p.relation(v.id)).unwrap_or_default();
        let item = t.access_item(rel, family.contains(id));
        access::can(v, Action::View, &Object::Item(item))
    });
    Ok(tasks)
}

/// `GET /memos/total?<filters>`: the list's "Page X of Y · N memos", asked for after the page is shown.
#[handler]
pub async fn total(state: Data<&AppState>, viewer: Viewer, Query(f): Query<MemoFilter>) -> AppResult<maud::Markup> {
    let list = crate::paths::list_query(ItemKind::Memo, &f.query(1));
    let noun = views::ui::Noun("memo", "memos");
    web::list_total(&state, &viewer, list, f.page, noun, repo::total(&state.db, &viewer, &f)).await
}

#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(f): Query<MemoFilter>,
) -> AppResult<Response> {
    let page = repo::list(&state.db, &viewer, &f).await?;
    let mut people: Vec<i64> = page.items.iter().flat_map(|m| [m.owner_id, m.recipient_id]).collect();
    people.sort_unstable();
    people.dedup();
    let names = crate::users::repo::names(&state.db, &people).await?;
    let tasks = visible_tasks(&state, &viewer, &page.items.iter().collect::<Vec<_>>()).await?;
    let rows =
        views::memos::Rows { page: &page, names: &names, tasks: &tasks, filter: &f, today: crate::time::today() };
    if hx.0 {
        return Ok(views::memos::list(&rows).into_response());
    }
    let cx = web::page_cx(&state, &viewer, Nav::Memos, hx).await?;
    Ok(views::memos::index(&cx, &rows).into_response())
}

/// `GET /memos/:id/task-button`: the memo's "View task" button, as it is now.
#[handler]
pub async fn task_button(state: Data<&AppState>, viewer: Viewer, Path(id): Path<i64>) -> AppResult<Response> {
    items::load(&state.db, &viewer, ItemKind::Memo, id, Action::View).await?;
    let m = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let tasks = visible_tasks(&state, &viewer, &[&m]).await?;
    let task = m.task_id.and_then(|t| tasks.get(&t));
    Ok(views::memos::task_button(&m, task, crate::time::today()).into_response())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    pub copy: Option<i64>,
    /// "Office memo +" on a deal's page.
    pub deal: Option<i64>,
}

pub(super) async fn render_form(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    id: Option<i64>,
    f: &MemoForm,
    errs: &FormErrors,
    shared: bool,
) -> AppResult<maud::Markup> {
    let users = state.people.choices(&state.db).await?;
    let files = match id {
        Some(id) => crate::files::of(&state.db, "memo", id).await?,
        None => Vec::new(),
    };
    let cx = web::page_cx(state, v, Nav::Memos, hx).await?;
    Ok(views::memos::form(&cx, id, f, errs, &users, &files, shared))
}

#[handler]
pub async fn new(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(n): Query<NewQuery>,
) -> AppResult<Response> {
    let f = match n.copy {
        Some(id) => {
            let it = items::load(&state.db, &viewer, ItemKind::Memo, id, Action::View).await?;
            let m = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
            MemoForm { draft: None, ..MemoForm::from_memo(&m, &it.parts.users(PRole::Subscriber)) }
        }
        None => MemoForm::default(),
    };
    let f = match n.deal {
        Some(deal) => {
            let d = items::load(&state.db, &viewer, ItemKind::Deal, deal, Action::View).await?;
            MemoForm { deal_id: deal.to_string(), name: format!("Deal “{}”", d.title), ..f }
        }
        None => f,
    };
    Ok(render_form(&state, &viewer, hx, None, &f, &FormErrors::default(), false).await?.into_response())
}

#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Memo, id, Action::View).await?;
    let m = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let names = crate::users::repo::names(&state.db, &it.parts.everyone().into_iter().collect::<Vec<_>>()).await?;
    let tasks = visible_tasks(&state, &viewer, &[&m]).await?;
    let task = m.task_id.and_then(|t| tasks.get(&t)).cloned();
    let project = match m.project_id {
        Some(p) => items::title(&state.db, ItemKind::Project, p).await?.map(|n| (p, n)),
        None => None,
    };
    let deal = crate::crm::deal_work::deal_for(&state.db, &viewer, ItemKind::Memo, id).await?;
    let panels = items::panels(&state, &viewer, &it).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Memos, hx).await?;
    let page = views::memos::Page {
        deal,
        item: &it,
        memo: &m,
        names: &names,
        task: task.as_ref(),
        project,
        today: crate::time::today(),
    };
    Ok(views::memos::show(&cx, &page, &panels).into_response())
}
