//! Memo pages: list, new (and copy), show, edit, stage changes, and the live "View task" button.

use std::collections::HashMap;

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::model::{Memo, MemoFilter, MemoForm, MemoStage};
use super::repo;
use crate::access::{self, Action, ItemKind, Object, Viewer};
use crate::app::AppState;
use crate::db::Tx;
use crate::error::{AppError, AppResult, FormErrors};
use crate::files::Uploaded;
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};
use crate::participants::{self, PRole};
use crate::tasks::model::Task;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

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
    let key = format!("memos{}", f.query(1));
    let n = state.totals.get(viewer.id, key, repo::total(&state.db, &viewer, &f)).await?;
    Ok(views::ui::page_info(crate::paging::page_number(f.page), Some(n), views::ui::Noun("memo", "memos")))
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
}

async fn render_form(
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
    Ok(render_form(&state, &viewer, hx, None, &f, &FormErrors::default(), false).await?.into_response())
}

/// Tells the recipient and subscribers of a memo that was just shared (or those newly added to one).
async fn notify_shared(
    tx: &mut Tx,
    state: &AppState,
    memo: &ItemRef,
    except: i64,
    body: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    items::notify_each(
        tx,
        &state.config,
        memo,
        &[
            (PRole::Recipient, format!("You have received a memo: {}", memo.title)),
            (PRole::Subscriber, format!("You are subscribed to the memo: {}", memo.title)),
        ],
        Some(except),
        body,
    )
    .await
}

#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    up: Uploaded<MemoForm>,
) -> AppResult<Response> {
    let (users, names) = crate::users::repo::pickable(&state.db, &[]).await?;
    let input = match up.form.validate(&users) {
        Ok(i) => i,
        Err(errs) => {
            let f = up.again(&up.form, &state, &viewer).await?;
            return Ok(web::invalid(render_form(&state, &viewer, hx, None, &f, &errs, false).await?));
        }
    };
    let mut tx = state.db.begin().await?;
    let id = repo::insert(&mut tx, &input, viewer.id, &Actor::from(&viewer), &names).await?;
    state.files.save(&mut tx, &up.files, "memo", id, &Actor::from(&viewer)).await?;
    let item = ItemRef {
        kind: ItemKind::Memo,
        id,
        title: input.name.clone(),
        department: None,
        draft: input.draft,
        locked: false,
        team: false,
        subtask: false,
        parts: repo::parts_of(viewer.id, &input),
        family: Default::default(),
    };
    let notified = if input.draft {
        Vec::new()
    } else {
        notify_shared(&mut tx, &state, &item, viewer.id, &input.description).await?
    };
    tx.commit().await?;
    items::publish_changed(&state.bus, &item);
    items::publish_notices(&state.bus, &notified);
    state.wake.notify_one();
    Ok(htmx::redirect(hx, &format!("/memos/{id}")))
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
    let panels = items::panels(&state, &viewer, &it).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Memos, hx).await?;
    let page = views::memos::Page {
        item: &it,
        memo: &m,
        names: &names,
        task: task.as_ref(),
        project,
        today: crate::time::today(),
    };
    Ok(views::memos::show(&cx, &page, &panels).into_response())
}

#[handler]
pub async fn edit(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Memo, id, Action::Edit).await?;
    let m = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let f = MemoForm::from_memo(&m, &it.parts.users(PRole::Subscriber));
    Ok(render_form(&state, &viewer, hx, Some(id), &f, &FormErrors::default(), !m.draft).await?.into_response())
}

#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    up: Uploaded<MemoForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Memo, id, Action::Edit).await?;
    let before = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let (users, names) =
        crate::users::repo::pickable(&state.db, &it.parts.everyone().into_iter().collect::<Vec<_>>()).await?;
    let mut input = match up.form.validate(&users) {
        Ok(i) => i,
        Err(errs) => {
            let f = up.again(&up.form, &state, &viewer).await?;
            return Ok(web::invalid(render_form(&state, &viewer, hx, Some(id), &f, &errs, !before.draft).await?));
        }
    };
    // Once shared, a memo cannot go back to being a draft.
    input.draft = input.draft && before.draft;
    let mut tx = state.db.begin().await?;
    repo::update(&mut tx, &before, &it.parts, &input, &Actor::from(&viewer), &names).await?;
    state.files.save(&mut tx, &up.files, "memo", id, &Actor::from(&viewer)).await?;
    let after = ItemRef {
        title: input.name.clone(),
        draft: input.draft,
        parts: repo::parts_of(before.owner_id, &input),
        family: Default::default(),
        ..it.clone()
    };
    let notified = if input.draft {
        Vec::new()
    } else if before.draft {
        notify_shared(&mut tx, &state, &after, viewer.id, &input.description).await?
    } else {
        let newcomers = ItemRef { parts: after.parts.without(&it.parts), ..after.clone() };
        notify_shared(&mut tx, &state, &newcomers, viewer.id, &input.description).await?
    };
    tx.commit().await?;
    // A draft's audience is its owner: publish as the memo was, and as it is now.
    items::publish_changed(&state.bus, &after);
    items::publish_edit(&state, &it, &after.parts, &notified);
    Ok(htmx::redirect(hx, &format!("/memos/{id}")))
}

/// Tells everyone in a memo its new stage; the owner explicitly when it was considered.
async fn notify_stage(
    tx: &mut Tx,
    state: &AppState,
    memo: &ItemRef,
    stage: MemoStage,
    actor: &Viewer,
) -> Result<Vec<i64>, sqlx::Error> {
    let title = format!("The memo “{}” is now {}", memo.title, stage.label().to_lowercase());
    let owner_title = match stage {
        MemoStage::Considered => format!("Your memo “{}” was considered by {}", memo.title, actor.display_name),
        _ => title.clone(),
    };
    items::notify_each(
        tx,
        &state.config,
        memo,
        &[(PRole::Owner, owner_title), (PRole::Recipient, title.clone()), (PRole::Subscriber, title)],
        Some(actor.id),
        "",
    )
    .await
}

/// `POST /memos/:id/stage`: the recipient moves a shared memo (pending → postponed → considered).
#[handler]
pub async fn set_stage(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<items::StageForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Memo, id, Action::ChangeStage).await?;
    let m = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let stage = f.parse(MemoStage::from_slug)?;
    if stage == m.stage() {
        return Ok(htmx::redirect(hx, &format!("/memos/{id}")));
    }
    let mut tx = state.db.begin().await?;
    repo::set_stage(&mut tx, &m, stage, &Actor::from(&viewer)).await?;
    let notified = notify_stage(&mut tx, &state, &it, stage, &viewer).await?;
    tx.commit().await?;
    items::publish_changed(&state.bus, &it);
    items::publish_notices(&state.bus, &notified);
    state.wake.notify_one();
    Ok(htmx::redirect(hx, &format!("/memos/{id}")))
}

/// A task or project was made from the memo: the memo counts as considered (as in Django-CRM), and
/// everyone in it hears so. Runs in the creating transaction; returns the users notified.
pub async fn considered_by_result(
    tx: &mut Tx,
    state: &AppState,
    viewer: &Viewer,
    memo: &ItemRef,
    (kind, id, name): (&str, i64, &str),
) -> AppResult<Vec<i64>> {
    let m = repo::get(&state.db, memo.id).await?.ok_or(AppError::NotFound)?;
    // Both histories say where the task (or project) came from.
    let actor = Actor::from(viewer);
    let none = crate::history::Diff::default();
    let made = format!("Created the {kind} “{name}” from this memo");
    crate::history::record(tx, &actor, "memo", m.id, crate::history::Change::Update, &made, &none).await?;
    let from = format!("Created from the memo “{}”", m.name);
    crate::history::record(tx, &actor, kind, id, crate::history::Change::Update, &from, &none).await?;
    if m.stage() == MemoStage::Considered {
        return Ok(Vec::new());
    }
    repo::set_stage(tx, &m, MemoStage::Considered, &Actor::from(viewer)).await?;
    Ok(notify_stage(tx, state, memo, MemoStage::Considered, viewer).await?)
}
