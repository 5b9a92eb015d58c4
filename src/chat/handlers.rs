//! "Message +": posting in an item's chat, and loading older messages.

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use crate::access::{Action, Viewer};
use crate::app::AppState;
use crate::error::{AppResult, FormErrors};
use crate::files::Uploaded;
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemPath};
use crate::views;
use crate::web::{self, Query};

#[derive(Deserialize, Default)]
pub struct ChatForm {
    #[serde(default)]
    pub body: String,
}

#[derive(Deserialize, Default)]
pub struct Older {
    pub before: Option<i64>,
}

/// `POST /{memos,tasks,projects}/:id/chat`: posts a message (text and/or files).
#[handler]
pub async fn post(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    item: ItemPath,
    up: Uploaded<ChatForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, item.kind, item.id, Action::Chat).await?;
    let body = up.form.body.trim().to_string();
    let mut errs = FormErrors::default();
    if body.is_empty() && up.files.is_empty() {
        errs.add("body", "Write a message or attach a file.");
    } else if body.chars().count() > super::MAX_CHARS {
        errs.add("body", format!("Use at most {} characters.", super::MAX_CHARS));
    }
    if !errs.is_empty() {
        return Ok(web::invalid(views::chat::form(&it, &viewer.csrf, &body, &errs)));
    }
    let mut tx = state.db.begin().await?;
    let id = super::insert(&mut tx, it.kind, it.id, viewer.id, &body).await?;
    state.files.save(&mut tx, &up.files, "chat", id, &Actor::from(&viewer)).await?;
    let title = format!("{} wrote in the {} “{}”", viewer.display_name, it.kind.label().to_lowercase(), it.title);
    let snippet: String = body.chars().take(500).collect();
    let notified = items::notify(&mut tx, &state, &it, &[], Some(viewer.id), &title, &snippet).await?;
    tx.commit().await?;
    let (event, rendered) = super::live_event(&state.db, id).await?.ok_or(crate::error::AppError::NotFound)?;
    state.bus.publish(event);
    items::publish_notices(&state.bus, &notified);
    if hx.0 {
        // A fresh form, and the message appended at once (the live copy is skipped as a duplicate).
        return Ok(views::chat::posted(&it, &viewer.csrf, rendered).into_response());
    }
    Ok(htmx::redirect(hx, &format!("{}#chat", it.url())))
}

/// `GET /{memos,tasks,projects}/:id/chat`: the chat panel (`?before=` gives older messages).
#[handler]
pub async fn panel(
    state: Data<&AppState>,
    viewer: Viewer,
    item: ItemPath,
    Query(q): Query<Older>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, item.kind, item.id, Action::View).await?;
    let (msgs, more) = super::recent(&state.db, it.kind, it.id, q.before).await?;
    let files = super::files_of(&state.db, &msgs).await?;
    let can_post = it.can(&viewer, Action::Chat);
    Ok(match q.before {
        Some(_) => views::chat::older(&it, &msgs, &files, more).into_response(),
        None => views::chat::panel(&it, &viewer.csrf, &msgs, &files, more, can_post).into_response(),
    })
}
