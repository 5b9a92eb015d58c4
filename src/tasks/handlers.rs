//! Task pages: list, new (plain, subtask, from a memo, in a project, copy), show, edit. Saving a
//! form and changing a stage run the generic flows (`items::flow`) with `super::flow::Tasks`.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::model::{DEFAULT_TASK_STEP, TaskFilter, WorkForm};
use super::repo;
use crate::access::{self, Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::htmx::HxRequest;
use crate::items;
use crate::participants::{self, PRole};
use crate::views;
use crate::views::layout::Nav;
use crate::views::tasks::{FormCx, Mode};
use crate::web::{self, Query};

#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(mut f): Query<TaskFilter>,
) -> AppResult<Response> {
    repo::resolve(&state.db, &viewer, &mut f).await?;
    let page = repo::list(&state.db, &viewer, &f).await?;
    let ids: Vec<i64> = page.items.iter().map(|t| t.id).collect();
    let responsible = participants::names_in_role(&state.db, ItemKind::Task, &ids, PRole::Responsible).await?;
    let tags = super::tags::of_many(&state.db, &viewer, ItemKind::Task, &ids).await?;
    let rows = views::tasks::Rows {
        page: &page,
        responsible: &responsible,
        filter: &f,
        today: crate::time::today(),
        tags: &tags,
        me: Some(viewer.id),
    };
    if hx.0 {
        return Ok(views::tasks::list(&rows).into_response());
    }
    let users = state.people.choices(&state.db).await?;
    let choices = super::tags::choices(&state.db, &viewer).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Tasks, hx).await?;
    Ok(views::tasks::index(&cx, &rows, &users, &choices).into_response())
}

/// `GET /tasks/total?<filters>`: the list's "Page X of Y · N tasks", asked for after the page is shown.
#[handler]
pub async fn total(state: Data<&AppState>, viewer: Viewer, Query(mut f): Query<TaskFilter>) -> AppResult<maud::Markup> {
    repo::resolve(&state.db, &viewer, &mut f).await?;
    let list = crate::paths::list_query(ItemKind::Task, &f.query(1));
    let noun = views::ui::Noun("task", "tasks");
    web::list_total(&state, &viewer, list, f.page, noun, repo::total(&state.db, &viewer, &f)).await
}

/// Where a new task comes from.
#[derive(Deserialize, Default, Clone)]
pub struct NewQuery {
    pub parent: Option<i64>,
    pub project: Option<i64>,
    pub memo: Option<i64>,
    pub copy: Option<i64>,
    /// "Task +" on a deal's page.
    pub deal: Option<i64>,
}

pub(super) async fn render_form(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    mode: Mode,
    form: &WorkForm,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    // Names of the chosen people. A subtask's Responsible picker offers only its main task's
    // responsible users (`GET /people?parent=`); `create` checks it again.
    let users = state.people.choices(&state.db).await?;
    let projects = crate::projects::repo::choices(&state.db, v, 200).await?;
    let memo_files = match form.memo_id.parse::<i64>() {
        Ok(m) => crate::files::of(&state.db, "memo", m).await?,
        Err(_) => Vec::new(),
    };
    let parent_name = match form.parent_id.parse::<i64>() {
        Ok(p) => items::title(&state.db, ItemKind::Task, p).await?,
        Err(_) => None,
    };
    let tags = super::tags::choices(&state.db, v).await?;
    let mut form = std::borrow::Cow::Borrowed(form);
    if let Some((kind, id)) = form.tags_of {
        let of = super::tags::of(&state.db, v, kind, id).await?;
        form.to_mut().tags = of.iter().map(|t| t.id.to_string()).collect();
    }
    let cx = web::page_cx(state, v, Nav::Tasks, hx).await?;
    let fcx = FormCx {
        mode,
        users: &users,
        projects: &projects,
        memo_files: &memo_files,
        parent_name: parent_name.as_deref(),
        tags: &tags,
        can_tag: access::creates_task_tags_in(v).is_some(),
    };
    Ok(views::tasks::form(&cx, &fcx, &form, errs))
}

#[handler]
pub async fn new(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(n): Query<NewQuery>,
) -> AppResult<Response> {
    let ctx = super::flow::context(&state, &viewer, n.parent, n.project, n.memo).await?;
    let mut f = WorkForm::new_for(DEFAULT_TASK_STEP, viewer.id, crate::time::today());
    if let Some(id) = n.copy {
        items::load(&state.db, &viewer, ItemKind::Task, id, Action::View).await?;
        let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
        let parts = participants::of(&state.db, ItemKind::Task, id).await?;
        f.name = t.name.clone();
        f.description = t.description.clone();
        f.priority = t.priority.to_string();
        f.co_owner_id = t.co_owner_id.map(|c| c.to_string()).unwrap_or_default();
        f.responsible = parts.users(PRole::Responsible).iter().map(|u| u.to_string()).collect();
        f.subscribers = parts.users(PRole::Subscriber).iter().map(|u| u.to_string()).collect();
        f.tags_of = Some((ItemKind::Task, id));
        // Keep the project only if the viewer may add tasks to it.
        if let Some(p) = t.project_id
            && items::load(&state.db, &viewer, ItemKind::Project, p, Action::CreateSubtask).await.is_ok()
        {
            f.project_id = p.to_string();
        }
    }
    if let Some((pit, pt)) = &ctx.parent {
        let team = pit.parts.users(PRole::Responsible);
        let me = if team.contains(&viewer.id) { Some(viewer.id) } else { team.first().copied() };
        f.responsible = me.map(|m| vec![m.to_string()]).unwrap_or_default();
        f.parent_id = pt.id.to_string();
        f.project_id = pt.project_id.map(|p| p.to_string()).unwrap_or_default();
        f.due_date = pt.due_date.map(|d| d.to_string()).unwrap_or_default();
        let others: Vec<String> = pit
            .parts
            .users(PRole::Responsible)
            .into_iter()
            .filter(|u| *u != viewer.id)
            .map(|u| u.to_string())
            .collect();
        f.subscribers = others;
    }
    if let Some(p) = &ctx.project {
        f.project_id = p.id.to_string();
    }
    if let Some(m) = &ctx.memo {
        crate::memos::flow::fill_from(&state.db, m, viewer.id, &mut f).await?;
    }
    if let Some(deal) = n.deal {
        let d = items::load(&state.db, &viewer, ItemKind::Deal, deal, Action::View).await?;
        f.deal_id = deal.to_string();
        f.name = format!("Deal “{}”", d.title);
    }
    Ok(render_form(&state, &viewer, hx, Mode::New, &f, &FormErrors::default()).await?.into_response())
}

/// `?refused=active-subtask`: "Completed" sent the member to their active subtask.
#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    pub refused: String,
}

#[handler]
pub async fn show(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Task, id, Action::View).await?;
    let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut subtasks = repo::subtasks(&state.db, id).await?;
    let sub_ids: Vec<i64> = subtasks.iter().map(|s| s.id).collect();
    let sub_parts = participants::of_many(&state.db, ItemKind::Task, &sub_ids).await?;
    // List (and link) only the subtasks the viewer may open (a participant of this main task may).
    let in_main = it.parts.relation(viewer.id).any();
    subtasks.retain(|s| {
        let rel = sub_parts.get(&s.id).map(|p| p.relation(viewer.id)).unwrap_or_default();
        let item = s.access_item(rel, in_main);
        access::can(&viewer, Action::View, &access::Object::Item(item))
    });
    let mut people: Vec<i64> = it.parts.everyone().into_iter().collect();
    people.extend(sub_parts.values().flat_map(|p| p.everyone()));
    let names = crate::users::repo::names(&state.db, &people).await?;
    // Links only to what the viewer may open (a responsible need not see the project).
    let parent = match t.parent_id {
        Some(p) => items::visible_title(&state.db, &viewer, ItemKind::Task, p).await?.map(|n| (p, n)),
        None => None,
    };
    let project = match t.project_id {
        Some(p) => items::visible_title(&state.db, &viewer, ItemKind::Project, p).await?.map(|n| (p, n)),
        None => None,
    };
    let mut memo = None;
    for m in crate::memos::repo::linked_to_task(&state.db, id).await? {
        if items::visible_title(&state.db, &viewer, ItemKind::Memo, m.id).await?.is_some() {
            memo = Some((m.id, m.name));
            break;
        }
    }
    // "Hide main task" (§14.1): on a subtask of a team task, for its responsible.
    let mut hide_main = None;
    if let Some(p) = t.parent_id
        && it.can(&viewer, Action::Complete)
        && repo::get(&state.db, p).await?.is_some_and(|m| m.team)
    {
        hide_main = Some(super::hide::flag(&state.db, id).await?);
    }
    let deal = crate::crm::deal_work::deal_for(&state.db, &viewer, ItemKind::Task, id).await?;
    let panels = items::panels(&state, &viewer, &it).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Tasks, hx).await?;
    let page = views::tasks::Page {
        deal,
        item: &it,
        task: &t,
        subtasks: &subtasks,
        sub_parts: &sub_parts,
        names: &names,
        parent,
        project,
        memo,
        today: crate::time::today(),
        refused: q.refused == "active-subtask",
        hide_main,
        workflow: &super::workflow::of(&state.db, ItemKind::Task, id).await?,
        tags: &super::tags::of(&state.db, &viewer, ItemKind::Task, id).await?,
    };
    Ok(views::tasks::show(&cx, &page, &panels).into_response())
}
