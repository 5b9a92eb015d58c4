//! Downloading an attachment (only for those who may see its object) and removing one.

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Response, handler};

use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};

/// Content types a browser may be told as they are; anything else downloads as bytes. The download
/// is an attachment with `nosniff` either way, so nothing uploaded ever renders inside the site.
const KNOWN_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
];

/// The memo, task or project an attachment belongs to (through its chat message, for chat files),
/// loaded with the viewer's access: 404 when the viewer may not see it.
async fn owner(state: &AppState, v: &Viewer, a: &crate::files::Attachment, action: Action) -> AppResult<ItemRef> {
    let (kind, id) = match ItemKind::from_slug(&a.object_type) {
        Some(k) => (k, a.object_id),
        None if a.object_type == "chat" => {
            let (kind, id) = crate::chat::item_of(&state.db, a.object_id).await?.ok_or(AppError::NotFound)?;
            // A chat file goes only with its message; whoever may not see the object learns
            // nothing of it (404, not 403).
            let it = items::load(&state.db, v, kind, id, Action::View).await?;
            return if action == Action::View { Ok(it) } else { Err(AppError::Forbidden) };
        }
        None => return Err(AppError::NotFound),
    };
    items::load(&state.db, v, kind, id, action).await
}

/// `GET /files/:id`: the attachment's bytes, as a download.
#[handler]
pub async fn download(state: Data<&AppState>, viewer: Viewer, Path(id): Path<i64>) -> AppResult<Response> {
    let a = crate::files::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    owner(&state, &viewer, &a, Action::View).await?;
    let bytes = state.files.read(&a.sha256).await.map_err(|e| {
        tracing::error!(error = %e, attachment = id, "a stored file is missing");
        AppError::NotFound
    })?;
    let ct = if KNOWN_TYPES.contains(&a.content_type.as_str()) {
        a.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    let encoded = percent_encoding::utf8_percent_encode(&a.name, percent_encoding::NON_ALPHANUMERIC).to_string();
    let ascii: String =
        a.name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut r = Response::builder().status(StatusCode::OK).content_type(ct).body(bytes);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut().insert("Cache-Control", HeaderValue::from_static("private, no-store"));
    Ok(r)
}

/// `POST /files/:id/delete`: removes an attachment from its memo, task or project (editors only).
#[handler]
pub async fn delete(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let a = crate::files::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let item = owner(&state, &viewer, &a, Action::Edit).await?;
    let mut tx = state.db.begin().await?;
    let file = crate::files::unlink(&mut tx, id).await?;
    let mut diff = crate::history::Diff::default();
    diff.field("Attachments", &a.name, "");
    crate::history::record(
        &mut tx,
        &(&viewer).into(),
        item.kind.slug(),
        item.id,
        crate::history::Change::Update,
        &format!("Removed the file {}", a.name),
        &diff,
    )
    .await?;
    tx.commit().await?;
    state.files.collect(&state.db, &file.into_iter().collect::<Vec<_>>()).await?;
    items::publish_changed(&state.bus, &item);
    Ok(htmx::redirect(hx, &item.url()))
}
