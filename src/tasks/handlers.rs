//! Task pages: list, new (plain, subtask, from a memo, in a project, copy), show, edit, stage.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::model::{
    DEFAULT_TASK_STEP, Rules, Stage, Task, TaskFilter, WorkForm, WorkInput, next_working_day, welcome_titles,
};
use super::repo;
use crate::access::{self, Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::events::DomainEvent;
use crate::files::Uploaded;
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};
use crate::participants::{self, PRole};
use crate::views;
use crate::views::layout::Nav;
use crate::views::tasks::{FormCx, Mode};
use crate::web::{self, Form, Query};

#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(f): Query<TaskFilter>,
) -> AppResult<Response> {
    let page = repo::list(&state.db, &viewer, &f).await?;
    let ids: Vec<i64> = page.items.iter().map(|t| t.id).collect();
    let responsible = participants::names_in_role(&state.db, ItemKind::Task, &ids, PRole::Responsible).await?;
    let rows = views::tasks::Rows { page: &page, responsible: &responsible, filter: &f, today: crate::time::today() };
    if hx.0 {
        return Ok(views::tasks::list(&rows).into_response());
    }
    let users = state.people.choices(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Tasks, hx).await?;
    Ok(views::tasks::index(&cx, &rows, &users).into_response())
}

/// `GET /tasks/total?<filters>`: the list's "Page X of Y · N tasks", asked for after the page is shown.
#[handler]
pub async fn total(state: Data<&AppState>, viewer: Viewer, Query(f): Query<TaskFilter>) -> AppResult<maud::Markup> {
    let key = format!("tasks{}", f.query(1));
    let n = state.totals.get(viewer.id, key, repo::total(&state.db, &viewer, &f)).await?;
    Ok(views::ui::page_info(crate::paging::page_number(f.page), Some(n), views::ui::Noun("task", "tasks")))
}

/// Where a new task comes from.
#[derive(Deserialize, Default, Clone)]
pub struct NewQuery {
    pub parent: Option<i64>,
    pub project: Option<i64>,
    pub memo: Option<i64>,
    pub copy: Option<i64>,
}

/// Checks that the viewer may create a task in this context (404/403 otherwise) and returns the
/// loaded parent task, project and memo.
struct Context {
    parent: Option<(ItemRef, Task)>,
    project: Option<ItemRef>,
    memo: Option<ItemRef>,
}

async fn context(
    state: &AppState,
    v: &Viewer,
    parent: Option<i64>,
    project: Option<i64>,
    memo: Option<i64>,
) -> AppResult<Context> {
    let parent = match parent {
        Some(id) => {
            let it = items::load(&state.db, v, ItemKind::Task, id, Action::CreateSubtask).await?;
            let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
            Some((it, t))
        }
        None => None,
    };
    let project = match project {
        Some(id) => Some(items::load(&state.db, v, ItemKind::Project, id, Action::CreateSubtask).await?),
        None => None,
    };
    let memo = match memo {
        Some(id) => Some(items::load(&state.db, v, ItemKind::Memo, id, Action::CreateFromMemo).await?),
        None => None,
    };
    Ok(Context { parent, project, memo })
}

async fn render_form(
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
    let cx = web::page_cx(state, v, Nav::Tasks, hx).await?;
    let fcx = FormCx {
        mode,
        users: &users,
        projects: &projects,
        memo_files: &memo_files,
        parent_name: parent_name.as_deref(),
    };
    Ok(views::tasks::form(&cx, &fcx, form, errs))
}

#[handler]
pub async fn new(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(n): Query<NewQuery>,
) -> AppResult<Response> {
    let ctx = context(&state, &viewer, n.parent, n.project, n.memo).await?;
    let today = crate::time::today();
    let mut f = WorkForm {
        next_step: DEFAULT_TASK_STEP.into(),
        next_step_date: next_working_day(today).to_string(),
        priority: "2".into(),
        responsible: vec![viewer.id.to_string()],
        ..Default::default()
    };
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
        let memo = crate::memos::repo::get(&state.db, m.id).await?.ok_or(AppError::NotFound)?;
        f.memo_id = m.id.to_string();
        f.name = memo.name.clone();
        f.description = memo.description.clone();
        let mut subs = vec![memo.owner_id];
        subs.extend(m.parts.users(PRole::Subscriber));
        f.subscribers = subs.into_iter().filter(|u| *u != viewer.id).map(|u| u.to_string()).collect();
        f.memo_files = crate::files::of(&state.db, "memo", m.id).await?.iter().map(|a| a.id.to_string()).collect();
    }
    Ok(render_form(&state, &viewer, hx, Mode::New, &f, &FormErrors::default()).await?.into_response())
}

/// The co-owner of a new task: for a subtask the main task's owner; otherwise the one chosen, or — when
/// the creator is its only responsible — the head of the creator's department.
async fn decide_co_owner(
    state: &AppState,
    v: &Viewer,
    input: &WorkInput,
    parent: Option<&Task>,
) -> AppResult<Option<i64>> {
    if let Some(p) = parent {
        return Ok(Some(p.owner_id).filter(|o| *o != v.id));
    }
    if input.co_owner_id.is_some() {
        return Ok(input.co_owner_id.filter(|c| *c != v.id));
    }
    if input.responsible == [v.id]
        && let Some(dept) = v.department_id
    {
        return Ok(crate::users::repo::department_head(&state.db, dept).await?.filter(|h| *h != v.id));
    }
    Ok(None)
}

#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    up: Uploaded<WorkForm>,
) -> AppResult<Response> {
    let f = &up.form;
    let id_of = |s: &str| s.trim().parse::<i64>().ok();
    // A subtask lives in its main task's project; that needs no right on the project itself.
    let parent_id = id_of(&f.parent_id);
    let project_id = if parent_id.is_some() { None } else { id_of(&f.project_id) };
    let ctx = context(&state, &viewer, parent_id, project_id, id_of(&f.memo_id)).await?;
    let (users, names) = crate::users::repo::pickable(&state.db, &[]).await?;
    let today = crate::time::today();
    let rules = Rules { today, users: &users, before: None, subtask: ctx.parent.is_some(), need_responsible: true };
    let mut input = match f.validate(&rules) {
        Ok(i) => i,
        Err(errs) => {
            return Ok(web::invalid(
                render_form(&state, &viewer, hx, Mode::New, &up.again(f, &state, &viewer).await?, &errs).await?,
            ));
        }
    };
    if let Some((pit, _)) = &ctx.parent
        && !input.responsible.iter().all(|r| pit.parts.users(PRole::Responsible).contains(r))
    {
        let mut errs = FormErrors::default();
        errs.add("responsible", "A subtask is for one of the main task's responsible users.");
        return Ok(web::invalid(
            render_form(&state, &viewer, hx, Mode::New, &up.again(f, &state, &viewer).await?, &errs).await?,
        ));
    }
    if let Some((_, pt)) = &ctx.parent
        && pt.parent_id.is_some()
    {
        return Err(AppError::BadRequest("A subtask cannot have subtasks of its own.".into()));
    }
    let parent = ctx.parent.as_ref().map(|(_, t)| t);
    if let Some(p) = parent {
        input.project_id = p.project_id;
    }
    let co_owner = decide_co_owner(&state, &viewer, &input, parent).await?;
    if input.next_step.is_empty() {
        input.next_step = DEFAULT_TASK_STEP.into();
    }
    if input.next_step_date.is_none() {
        input.next_step_date = Some(next_working_day(today));
    }
    // Working on one's own subtask starts it.
    if parent.is_some() && input.responsible == [viewer.id] && input.stage == Stage::Pending {
        input.stage = Stage::InProgress;
    }
    let actor = Actor::from(&viewer);
    let mut tx = state.db.begin().await?;
    let id = repo::insert(&mut tx, &input, viewer.id, co_owner, &actor, &names).await?;
    state.files.save(&mut tx, &up.files, "task", id, &Actor::from(&viewer)).await?;
    let mut memo_changed = None;
    if let Some(m) = &ctx.memo {
        crate::files::link(&mut tx, &input.memo_files, ("memo", m.id), ("task", id), viewer.id).await?;
        repo::set_memo_task(&mut tx, m.id, id).await?;
        memo_changed = Some(
            crate::memos::handlers::considered_by_result(&mut tx, &state, &viewer, m, ("task", id, &input.name))
                .await?,
        );
    }
    let mut started_parent = None;
    if let Some(p) = parent
        && input.stage == Stage::InProgress
    {
        started_parent = repo::start_parent(&mut tx, p.id, &actor).await?;
    }
    let item = ItemRef {
        kind: ItemKind::Task,
        id,
        title: input.name.clone(),
        department: None,
        draft: false,
        locked: false,
        team: parent.is_none() && input.responsible.len() > 1,
        subtask: parent.is_some(),
        parts: repo::parts_of(viewer.id, co_owner, &input),
        family: Default::default(),
    };
    let what = if parent.is_some() { "subtask" } else { "task" };
    let notified = items::notify_each(
        &mut tx,
        &state.config,
        &item,
        &welcome_titles(what, &input.name),
        Some(viewer.id),
        &input.description,
    )
    .await?;
    tx.commit().await?;
    items::publish_changed(&state.bus, &item);
    if let Some((pit, _)) = &ctx.parent {
        items::publish_changed(&state.bus, pit);
    }
    if let (Some(m), Some(n)) = (&ctx.memo, memo_changed) {
        items::publish_changed(&state.bus, m);
        items::publish_notices(&state.bus, &n);
    }
    if started_parent.is_some() {
        publish_memo_buttons(&state, parent.map(|p| p.id).unwrap_or(0)).await?;
    }
    items::publish_notices(&state.bus, &notified);
    state.wake.notify_one();
    Ok(htmx::redirect(hx, &format!("/tasks/{id}")))
}

#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
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
    let panels = items::panels(&state, &viewer, &it).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Tasks, hx).await?;
    let page = views::tasks::Page {
        item: &it,
        task: &t,
        subtasks: &subtasks,
        sub_parts: &sub_parts,
        names: &names,
        parent,
        project,
        memo,
        today: crate::time::today(),
    };
    Ok(views::tasks::show(&cx, &page, &panels).into_response())
}

#[handler]
pub async fn edit(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Task, id, Action::Edit).await?;
    let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let f = WorkForm {
        stage: t.stage.clone(),
        parent_id: t.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        project_id: t.project_id.map(|p| p.to_string()).unwrap_or_default(),
        ..repo::fields(&t, &it.parts).form()
    };
    Ok(render_form(&state, &viewer, hx, Mode::Edit(id), &f, &FormErrors::default()).await?.into_response())
}

#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    up: Uploaded<WorkForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Task, id, Action::Edit).await?;
    let before = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut f = up.form.clone();
    // Structure is not editable here: a subtask stays under its main task.
    f.parent_id = before.parent_id.map(|p| p.to_string()).unwrap_or_default();
    items::keep_people_unless_allowed(&it, &viewer, &mut f);
    let (users, names) =
        crate::users::repo::pickable(&state.db, &it.parts.everyone().into_iter().collect::<Vec<_>>()).await?;
    let rules = Rules {
        today: crate::time::today(),
        users: &users,
        before: Some((before.next_step_date, before.due_date)),
        subtask: before.parent_id.is_some(),
        need_responsible: true,
    };
    let input = match f.validate(&rules) {
        Ok(i) => i,
        Err(errs) => {
            return Ok(web::invalid(
                render_form(&state, &viewer, hx, Mode::Edit(id), &up.again(&f, &state, &viewer).await?, &errs).await?,
            ));
        }
    };
    let mut input = input;
    if before.parent_id.is_some() {
        input.project_id = before.project_id;
    }
    if let Some(p) = input.project_id
        && Some(p) != before.project_id
    {
        items::load(&state.db, &viewer, ItemKind::Project, p, Action::CreateSubtask).await?;
    }
    let mut tx = state.db.begin().await?;
    repo::update(&mut tx, &before, &it.parts, &input, &Actor::from(&viewer), &names).await?;
    state.files.save(&mut tx, &up.files, "task", id, &Actor::from(&viewer)).await?;
    let after = participants::of_tx(&mut tx, ItemKind::Task, id).await?;
    let newcomers = ItemRef { parts: after.without(&it.parts), ..it.clone() };
    let notified = items::notify_each(
        &mut tx,
        &state.config,
        &newcomers,
        &welcome_titles("task", &input.name),
        Some(viewer.id),
        &input.description,
    )
    .await?;
    tx.commit().await?;
    items::publish_edit(&state, &it, &after, &notified);
    Ok(htmx::redirect(hx, &format!("/tasks/{id}")))
}

/// Closing notices go to the owner, co-owner and subscribers (not the one who closed it).
async fn notify_closed(
    tx: &mut crate::db::Tx,
    state: &AppState,
    item: &ItemRef,
    stage: Stage,
    except: Option<i64>,
) -> Result<Vec<i64>, sqlx::Error> {
    let what = if item.subtask { "subtask" } else { "task" };
    let title = match stage {
        Stage::Done => format!("The {what} is done: {}", item.title),
        _ => format!("The {what} was canceled: {}", item.title),
    };
    let roles = [PRole::Owner, PRole::CoOwner, PRole::Subscriber].map(|r| (r, title.clone()));
    items::notify_each(tx, &state.config, item, &roles, except, "").await
}

/// Every memo whose "View task" button shows this task's status re-fetches it.
async fn publish_memo_buttons(state: &AppState, task: i64) -> AppResult<()> {
    for m in crate::memos::repo::linked_to_task(&state.db, task).await? {
        let parts = participants::of(&state.db, ItemKind::Memo, m.id).await?;
        state.bus.publish(DomainEvent::Changed {
            topic: crate::events::Topic::Item(ItemKind::Memo),
            id: m.id,
            audience: crate::access::item_audience(&parts, m.draft),
        });
    }
    Ok(())
}

/// `POST /tasks/:id/stage`.
#[handler]
pub async fn set_stage(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<items::StageForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Task, id, Action::ChangeStage).await?;
    let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let stage = f.parse(Stage::from_slug)?;
    if stage == t.stage() {
        return Ok(htmx::redirect(hx, &format!("/tasks/{id}")));
    }
    let actor = Actor::from(&viewer);
    let mut tx = state.db.begin().await?;
    if !stage.active() && repo::active_subtasks(&mut tx, id).await? > 0 {
        return Err(AppError::Conflict("The task cannot be closed because there is an active subtask.".into()));
    }
    repo::set_stage(&mut tx, &t, stage, &actor, &format!("Stage: {}", stage.label())).await?;
    let mut notified = Vec::new();
    if !stage.active() {
        notified.extend(notify_closed(&mut tx, &state, &it, stage, Some(viewer.id)).await?);
    }
    let mut parent_changed = None;
    if let Some(pid) = t.parent_id {
        if stage == Stage::Done {
            if let Some(p) = repo::complete_team_task_if_done(&mut tx, pid, &actor).await? {
                let pit = items::load_tx(&mut tx, ItemKind::Task, p.id).await?;
                notified.extend(notify_closed(&mut tx, &state, &pit, Stage::Done, None).await?);
                parent_changed = Some(pit);
            }
        } else if stage == Stage::InProgress && repo::start_parent(&mut tx, pid, &actor).await?.is_some() {
            parent_changed = Some(items::load_tx(&mut tx, ItemKind::Task, pid).await?);
        }
    }
    tx.commit().await?;
    items::publish_changed(&state.bus, &it);
    publish_memo_buttons(&state, id).await?;
    if let Some(p) = &parent_changed {
        items::publish_changed(&state.bus, p);
        publish_memo_buttons(&state, p.id).await?;
    }
    items::publish_notices(&state.bus, &notified);
    state.wake.notify_one();
    Ok(htmx::redirect(hx, &format!("/tasks/{id}")))
}
