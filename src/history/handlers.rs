//! Rendering the History view of any object (the caller has checked that the viewer may see it).

use poem::{IntoResponse, Response};

use crate::access::Viewer;
use crate::app::AppState;
use crate::error::AppResult;
use crate::htmx::HxRequest;
use crate::views;
use crate::views::layout::Nav;
use crate::web;

const PAGE: u64 = 50;

/// Which object's history to show, and how to get back to it.
pub struct Target<'a> {
    pub kind: &'a str,
    pub id: i64,
    pub title: String,
    pub back: String,
    pub nav: Nav,
}

pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    hx: HxRequest,
    t: Target<'_>,
    before: Option<i64>,
) -> AppResult<Response> {
    let entries = super::list(&state.db, t.kind, t.id, before, PAGE).await?;
    let more = (entries.len() as u64 == PAGE).then(|| entries.last().map(|e| format!("?before={}", e.id))).flatten();
    let cx = web::page_cx(state, viewer, t.nav, hx).await?;
    Ok(views::history::index(&cx, &t.title, &t.back, &entries, more).into_response())
}
