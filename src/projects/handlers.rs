//! Project pages: list, new (plain or from a memo), show (its tasks and progress), edit. Saving a
//! form and changing a stage run the generic flows (`items::flow`) with `super::flow::Projects`.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::repo::{self, ProjectFilter};
use crate::access::{self, Action, ItemKind, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::htmx::HxRequest;
use crate::items::{self};
use crate::participants::{self, PRole};
use crate::tasks::model::{DEFAULT_PROJECT_STEP, WorkForm};
use crate::views;
use crate::views::layout::Nav;
use crate::views::projects::Mode;
use crate::web::{self, Query};

/// `GET /projects/total?<filters>`: the list's "Page X of Y · N projects", asked for after the page is shown.
#[handler]
pub async fn total(state: Data<&AppState>, viewer: Viewer, Query(f): Query<ProjectFilter>) -> AppResult<maud::Markup> {
    let list = crate::paths::list_query(ItemKind::Project, &f.query(1));
    let noun = views::ui::Noun("project", "projects");
    web::list_total(&state, &viewer, list, f.page, noun, repo::total(&state.db, &viewer, &f)).await
}

#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(f): Query<ProjectFilter>,
) -> AppResult<Response> {
    let page = repo::list(&state.db, &viewer, &f).await?;
    let ids: Vec<i64> = page.items.iter().map(|p| p.id).collect();
    let progress = crate::tasks::repo::project_progress(&state.db, &ids).await?;
    let owners: Vec<i64> = page.items.iter().map(|p| p.owner_id).collect();
    let names = crate::users::repo::names(&state.db, &owners).await?;
    let tags = crate::tasks::tags::of_many(&state.db, &viewer, ItemKind::Project, &ids).await?;
    let rows = views::projects::Rows {
        page: &page,
        progress: &progress,
        names: &names,
        filter: &f,
        today: crate::time::today(),
        tags: &tags,
    };
    if hx.0 {
        return Ok(views::projects::list(&rows).into_response());
    }
    let choices = crate::tasks::tags::choices(&state.db, &viewer).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Projects, hx).await?;
    Ok(views::projects::index(&cx, &rows, &choices).into_response())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    pub memo: Option<i64>,
}

pub(super) async fn render_form(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    mode: Mode,
    f: &WorkForm,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let users = state.people.choices(&state.db).await?;
    let memo_files = match f.memo_id.parse::<i64>() {
        Ok(m) => crate::files::of(&state.db, "memo", m).await?,
        Err(_) => Vec::new(),
    };
    let tags = crate::tasks::tags::choices(&state.db, v).await?;
    let mut f = std::borrow::Cow::Borrowed(f);
    if let Some((kind, id)) = f.tags_of {
        let of = crate::tasks::tags::of(&state.db, v, kind, id).await?;
        f.to_mut().tags = of.iter().map(|t| t.id.to_string()).collect();
    }
    let cx = web::page_cx(state, v, Nav::Projects, hx).await?;
    let can_tag = access::creates_task_tags_in(v).is_some();
    Ok(views::projects::form(&cx, mode, &f, errs, &users, &memo_files, (&tags, can_tag)))
}

#[handler]
pub async fn new(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(n): Query<NewQuery>,
) -> AppResult<Response> {
    let mut f = WorkForm::new_for(DEFAULT_PROJECT_STEP, viewer.id, crate::time::today());
    if let Some(mid) = n.memo {
        let m = items::load(&state.db, &viewer, ItemKind::Memo, mid, Action::CreateFromMemo).await?;
        crate::memos::flow::fill_from(&state.db, &m, viewer.id, &mut f).await?;
    }
    Ok(render_form(&state, &viewer, hx, Mode::New, &f, &FormErrors::default()).await?.into_response())
}

#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Project, id, Action::View).await?;
    let p = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut tasks = crate::tasks::repo::of_project(&state.db, id, 200).await?;
    let progress = crate::tasks::repo::project_progress(&state.db, &[id]).await?.remove(&id).unwrap_or((0, 0));
    let task_ids: Vec<i64> = tasks.iter().map(|t| t.id).collect();
    let task_parts = participants::of_many(&state.db, ItemKind::Task, &task_ids).await?;
    // List (and link) only the tasks the viewer may open (also through a main task or a subtask).
    let family = participants::in_family_of(&state.db, viewer.id, &task_ids).await?;
    tasks.retain(|t| {
        let rel = task_parts.get(&t.id).map(|p| p.relation(viewer.id)).unwrap_or_default();
        let item = t.access_item(rel, family.contains(&t.id));
        access::can(&viewer, Action::View, &Object::Item(item))
    });
    let mut people: Vec<i64> = it.parts.everyone().into_iter().collect();
    people.extend(task_parts.values().flat_map(|p| p.users(PRole::Responsible)));
    let names = crate::users::repo::names(&state.db, &people).await?;
    let panels = items::panels(&state, &viewer, &it).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Projects, hx).await?;
    let page = views::projects::Page {
        item: &it,
        project: &p,
        tasks: &tasks,
        task_parts: &task_parts,
        progress,
        names: &names,
        today: crate::time::today(),
        workflow: &crate::tasks::workflow::of(&state.db, ItemKind::Project, id).await?,
        tags: &crate::tasks::tags::of(&state.db, &viewer, ItemKind::Project, id).await?,
    };
    Ok(views::projects::show(&cx, &page, &panels).into_response())
}
