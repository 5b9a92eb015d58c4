//! "Correctly delete duplicate" (§11.1) over HTTP: `GET /<kind>/:id/duplicate` asks for the original
//! (then, with `?original=N`, shows what will move), `POST /<kind>/:id/duplicate` merges
//! (`duplicates::merge`, one transaction) and returns to the list. Companies, contact persons and
//! leads; whoever may change the duplicate and the original (`Action::Edit` on both, which implies
//! seeing them).

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::duplicates;
use super::handlers::CrmKind;
use super::repo::{self, Spec};
use crate::access::{Action, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

/// The list's message after a merge.
pub const DONE: &str = "The duplicate object has been correctly deleted.";

/// The chosen original: the picker's `original`, or the typed `original_id`.
#[derive(Debug, Default, Deserialize)]
pub struct OriginalForm {
    #[serde(default)]
    pub original: String,
    #[serde(default)]
    pub original_id: String,
}

impl OriginalForm {
    fn raw(&self) -> &str {
        if self.original.trim().is_empty() { &self.original_id } else { &self.original }
    }
}

/// The duplicate: a kind that merges, a row the viewer may change and that is not locked.
async fn duplicate(state: &AppState, v: &Viewer, spec: &Spec, id: i64) -> AppResult<ItemRef> {
    if !duplicates::merges(spec.kind) {
        return Err(AppError::NotFound);
    }
    let it = items::load(&state.db, v, spec.kind, id, Action::Edit).await?;
    if it.locked {
        return Err(AppError::Conflict(format!(
            "The {} is locked and cannot be merged.",
            spec.kind.label().to_lowercase()
        )));
    }
    Ok(it)
}

async fn choose(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    dup: &ItemRef,
    f: &OriginalForm,
    msg: Option<String>,
) -> AppResult<Response> {
    let mut errs = FormErrors::default();
    if let Some(m) = msg {
        errs.add("original_id", m.clone());
        errs.add("_form", m);
    }
    let cx = web::page_cx(state, v, Nav::Crm(dup.kind), hx).await?;
    let shown = views::duplicates::choose(&cx, dup, f.raw(), &errs);
    Ok(if errs.is_empty() { shown.into_response() } else { web::invalid(shown) })
}

/// `GET /<kind>/:id/duplicate[?original=N]`.
#[handler]
pub async fn page(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Path(id): Path<i64>,
    Query(f): Query<OriginalForm>,
) -> AppResult<Response> {
    let spec = kind.0;
    let dup = duplicate(&state, &viewer, spec, id).await?;
    if f.raw().trim().is_empty() {
        return choose(&state, &viewer, hx, &dup, &f, None).await;
    }
    let orig = match duplicates::original(&state.db, &viewer, &dup, f.raw()).await? {
        Ok(o) => o,
        Err(msg) => return choose(&state, &viewer, hx, &dup, &f, Some(msg)).await,
    };
    let dup_rec = repo::get(&state.db, spec, dup.id).await?.ok_or(AppError::NotFound)?;
    let orig_rec = repo::get(&state.db, spec, orig.id).await?.ok_or(AppError::NotFound)?;
    let names = super::choices::names(&state.db, spec, &[&dup_rec, &orig_rec]).await?;
    let plan = duplicates::plan(&state.db, spec, &dup_rec, &orig_rec, &names).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Crm(spec.kind), hx).await?;
    Ok(views::duplicates::confirm(&cx, &dup, &orig, &plan).into_response())
}

/// `POST /<kind>/:id/duplicate`.
#[handler]
pub async fn merge(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Path(id): Path<i64>,
    Form(f): Form<OriginalForm>,
) -> AppResult<Response> {
    let spec = kind.0;
    let dup = duplicate(&state, &viewer, spec, id).await?;
    let orig = match duplicates::original(&state.db, &viewer, &dup, f.raw()).await? {
        Ok(o) => o,
        Err(msg) => return choose(&state, &viewer, hx, &dup, &f, Some(msg)).await,
    };
    let dup_rec = repo::get(&state.db, spec, dup.id).await?.ok_or(AppError::NotFound)?;
    let orig_rec = repo::get(&state.db, spec, orig.id).await?.ok_or(AppError::NotFound)?;
    let names = super::choices::names(&state.db, spec, &[&dup_rec, &orig_rec]).await?;
    let actor = Actor::from(&viewer);
    let mut tx = state.db.begin().await?;
    let merged = match duplicates::merge(&mut tx, &state.db, spec, &dup_rec, &orig_rec, &actor, &names).await {
        Ok(m) => m,
        // Filling the original's country gave it the name and country of a third company.
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "The {} could not be merged: with the duplicate's values the original would be the same as another record. Nothing was changed.",
                spec.kind.label().to_lowercase()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    state.files.collect(&state.db, &merged.files).await?;
    let orig = items::load_any(&state.db, spec.kind, orig.id).await?;
    duplicates::publish(&state.bus, &orig, &dup, &merged);
    Ok(htmx::redirect(hx, &format!("{}?merged=1", crate::paths::list(spec.kind))))
}
