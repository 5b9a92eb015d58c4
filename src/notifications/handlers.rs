//! The notification centre: list, bell fragment, open, mark read.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use crate::access::Viewer;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Query};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    unread: Option<String>,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    page: Option<u32>,
}

#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let unread_only = q.unread.is_some_and(|u| !u.is_empty());
    let list = super::list(&state.db, &viewer, unread_only, q.page).await?;
    // The live list refresh asks with htmx; it selects #notification-list out of the whole page.
    let cx = web::page_cx(&state, &viewer, Nav::Notifications, HxRequest(false)).await?;
    let _ = hx;
    Ok(views::notifications::index(&cx, &list, unread_only).into_response())
}

/// `GET /notifications/bell`: the bell with its current count (re-fetched on `sse:notice`).
#[handler]
pub async fn bell(state: Data<&AppState>, viewer: Viewer) -> AppResult<Response> {
    let n = super::unread_count(&state.db, viewer.id).await?;
    Ok(views::layout::bell(n).into_response())
}

/// Opens the notification's object and marks it read.
#[handler]
pub async fn open(state: Data<&AppState>, viewer: Viewer, hx: htmx::HxAny, Path(id): Path<i64>) -> AppResult<Response> {
    let n = super::get(&state.db, &viewer, id).await?.ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let changed = super::mark_read(&mut tx, &viewer, Some(id)).await?;
    tx.commit().await?;
    if changed > 0 {
        state.bus.publish(DomainEvent::Notice { user_id: viewer.id });
    }
    let mut to = if n.url.starts_with('/') && !n.url.starts_with("//") { n.url.as_str() } else { "/notifications" };
    // The item may be gone since (deleted) or out of the viewer's sight: back to the list, not a 404.
    if let Some((kind, id)) = crate::items::parse_url(to)
        && crate::items::visible_title(&state.db, &viewer, kind, id).await?.is_none()
    {
        to = "/notifications";
    }
    Ok(htmx::navigate(hx, to))
}

#[handler]
pub async fn read(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    super::get(&state.db, &viewer, id).await?.ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    let changed = super::mark_read(&mut tx, &viewer, Some(id)).await?;
    tx.commit().await?;
    if changed > 0 {
        state.bus.publish(DomainEvent::Notice { user_id: viewer.id });
    }
    Ok(htmx::redirect(hx, "/notifications"))
}

#[handler]
pub async fn read_all(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    let changed = super::mark_read(&mut tx, &viewer, None).await?;
    tx.commit().await?;
    if changed > 0 {
        state.bus.publish(DomainEvent::Notice { user_id: viewer.id });
    }
    Ok(htmx::redirect(hx, "/notifications"))
}
