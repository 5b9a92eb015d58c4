//! The tags page (`/tasks/tags`): the task and project tags of the viewer's departments, each
//! renamed or deleted there (`tasks::tags::rename` / `delete`; who may: `access::manages_task_tags_of`).
//! A rename keeps the department's names unique case-insensitively; a delete asks for a
//! confirmation and takes the tag off its tasks and projects in the same transaction. Both are
//! written to the history (object type `task_tags`) in their transaction.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::tags::{self, Renamed};
use crate::access::{Audience, ItemKind, Role, Viewer};
use crate::app::AppState;
use crate::error::AppResult;
use crate::events::{DomainEvent, Topic};
use crate::history::{self, Actor, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::web;

pub const PATH: &str = "/tasks/tags";

/// The history's object type of a tag (its table, as the dictionaries' entries).
pub const HISTORY: &str = "task_tags";

/// A rename refused: which tag, what was typed, why.
pub struct Refusal {
    pub id: i64,
    pub typed: String,
    pub message: String,
}

async fn page(state: &AppState, v: &Viewer, hx: HxRequest, refusal: Option<&Refusal>) -> AppResult<maud::Markup> {
    let rows = tags::managed(&state.db, v).await?;
    let cx = web::page_cx(state, v, Nav::Tasks, hx).await?;
    Ok(views::tags::admin(&cx, &rows, refusal))
}

/// `GET /tasks/tags`.
#[handler]
pub async fn index(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    Ok(page(&state, &viewer, hx, None).await?.into_response())
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    pub name: String,
}

/// `POST /tasks/tags/:id`: renames the tag; 422 with the page and the reason when refused.
#[handler]
pub async fn rename(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    web::Form(f): web::Form<RenameForm>,
) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    match tags::rename(&mut tx, &viewer, id, &f.name).await? {
        Renamed::Done(old, new) => {
            if old != new {
                let mut diff = Diff::default();
                diff.field("name", &old, &new);
                let summary = format!("Renamed the tag {old} to {new}");
                history::record(&mut tx, &Actor::from(&viewer), HISTORY, id, Change::Update, &summary, &diff).await?;
            }
            tx.commit().await?;
            if old != new {
                announce(&state);
            }
        }
        Renamed::Refused(message) => {
            drop(tx);
            let refusal = Refusal { id, typed: f.name.clone(), message };
            return Ok(web::invalid(page(&state, &viewer, hx, Some(&refusal)).await?));
        }
    }
    Ok(htmx::redirect(hx, PATH))
}

/// `POST /tasks/tags/:id/delete` (the page's button asks for a confirmation first).
#[handler]
pub async fn delete(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    let (name, untagged) = tags::delete(&mut tx, &viewer, id).await?;
    let summary = format!("Deleted the tag {name} (taken off {untagged} tasks and projects)");
    history::record(&mut tx, &Actor::from(&viewer), HISTORY, id, Change::Delete, &summary, &Diff::default()).await?;
    tx.commit().await?;
    announce(&state);
    Ok(htmx::redirect(hx, PATH))
}

/// A renamed or deleted tag changes the chips of every open task and project list and page that
/// shows it: they re-fetch themselves (each through its own permission checks) on a change of
/// their kind. Everyone's streams get it: the event names no tag, and who has a list open that
/// shows one is not known here.
fn announce(state: &AppState) {
    for kind in [ItemKind::Task, ItemKind::Project] {
        state.bus.publish(DomainEvent::Changed {
            topic: Topic::Item(kind),
            id: 0,
            audience: Audience::roles(&Role::ALL),
        });
    }
}
