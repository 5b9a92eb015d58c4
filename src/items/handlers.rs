//! Routes every memo, task and project has: History, and Delete (a confirmation page, then the delete).

use poem::web::Data;
use poem::{IntoResponse, Response, handler};

use super::{ItemPath, remove};
use crate::access::{Action, ItemKind, Role, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::history::Actor;
use crate::history::handlers::Target;
use crate::htmx::{self, HxRequest};
use crate::paths;
use crate::users::handlers::Before;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Query};

pub fn nav(kind: ItemKind) -> Nav {
    match kind {
        ItemKind::Memo => Nav::Memos,
        ItemKind::Task => Nav::Tasks,
        ItemKind::Project => Nav::Projects,
        k => Nav::Crm(k),
    }
}

/// `GET /{memos,tasks,projects}/:id/history`: for whoever may see the item; once it is deleted, for
/// administrators only.
#[handler]
pub async fn history(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    item: ItemPath,
    Query(q): Query<Before>,
) -> AppResult<Response> {
    let (title, back) = match super::load(&state.db, &viewer, item.kind, item.id, Action::View).await {
        Ok(it) => (format!("{} “{}”", it.kind.label(), it.title), it.url()),
        Err(AppError::NotFound)
            if viewer.is(Role::Admin) && super::title(&state.db, item.kind, item.id).await?.is_none() =>
        {
            (format!("deleted {} #{}", item.kind.label().to_lowercase(), item.id), paths::list(item.kind).to_string())
        }
        Err(e) => return Err(e),
    };
    let target = Target { kind: item.kind.slug(), id: item.id, title, back, nav: nav(item.kind) };
    let res = crate::history::handlers::render(&state, &viewer, hx, target, q.before).await?;
    Ok(res)
}

/// `GET /{memos,tasks,projects}/:id/delete`: what deleting would remove, and the button.
#[handler]
pub async fn confirm(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, item: ItemPath) -> AppResult<Response> {
    let it = super::load(&state.db, &viewer, item.kind, item.id, Action::Delete).await?;
    let removal = remove::preview(&state.db, it.kind, it.id).await?;
    let cx = web::page_cx(&state, &viewer, nav(it.kind), hx).await?;
    Ok(views::items::delete_page(&cx, &it, &removal).into_response())
}

/// `POST /{memos,tasks,projects}/:id/delete`.
#[handler]
pub async fn delete(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, item: ItemPath) -> AppResult<Response> {
    let it = super::load(&state.db, &viewer, item.kind, item.id, Action::Delete).await?;
    let actor = Actor::from(&viewer);
    let mut tx = state.db.begin().await?;
    let files = match remove::delete(&mut tx, &state.db, it.kind, it.id, &actor).await {
        Ok(files) => files,
        // A row others still point at (a company's deals): say so, nothing is deleted.
        Err(e) if crate::db::is_foreign_key_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "The {} “{}” cannot be deleted while other records refer to it (its deals, for instance). Move or delete them first.",
                it.kind.label().to_lowercase(),
                it.title
            )));
        }
        Err(e) => return Err(e.into()),
    };
    // A memo deleted by someone other than its author: the author hears of it.
    let mut notified = Vec::new();
    if let Some(owner) = it.parts.first(crate::participants::PRole::Owner)
        && owner != viewer.id
    {
        let title = format!("{} deleted your {} “{}”", viewer.display_name, it.kind.label().to_lowercase(), it.title);
        let n = crate::notifications::Notice {
            user_id: owner,
            title: &title,
            body: "",
            url: "/notifications",
            object: None,
        };
        crate::notifications::send(&mut tx, &state.config, &n).await?;
        notified.push(owner);
    }
    tx.commit().await?;
    state.files.collect(&state.db, &files).await?;
    super::publish_changed(&state.bus, &it);
    super::publish_notices(&state.bus, &notified);
    state.wake.notify_one();
    Ok(htmx::redirect(hx, paths::list(it.kind)))
}
