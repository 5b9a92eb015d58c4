//! Setting a reminder on an item, "My reminders", deactivating one.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::ReminderForm;
use crate::access::{self, Action, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemPath};
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

/// `POST /{memos,tasks,projects}/:id/reminders`: a reminder for the viewer about this item.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    item: ItemPath,
    Form(f): Form<ReminderForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, item.kind, item.id, Action::View).await?;
    let (at, text) = match f.validate(crate::db::now()) {
        Ok(v) => v,
        Err(errs) => {
            let mine = super::on_item(&state.db, &viewer, it.kind, it.id).await?;
            return Ok(web::invalid(views::reminders::panel(&it, &viewer.csrf, &mine, &f, &errs)));
        }
    };
    let mut tx = state.db.begin().await?;
    super::insert(&mut tx, viewer.id, it.kind, it.id, at, &text).await?;
    tx.commit().await?;
    state.wake.notify_one();
    if hx.0 {
        let mine = super::on_item(&state.db, &viewer, it.kind, it.id).await?;
        return Ok(views::reminders::panel(&it, &viewer.csrf, &mine, &ReminderForm::default(), &FormErrors::default())
            .into_response());
    }
    Ok(htmx::redirect(hx, &it.url()))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    show: String,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    page: Option<u32>,
}

/// `GET /reminders`: the viewer's reminders.
#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let all = q.show == "all";
    let list = super::list(&state.db, &viewer, all, q.page).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Reminders, hx).await?;
    Ok(views::reminders::index(&cx, &list, all).into_response())
}

/// `GET /reminders/total?show=`: the list's "Page X of Y · N reminders", asked for after the page is shown.
#[handler]
pub async fn total(state: Data<&AppState>, viewer: Viewer, Query(q): Query<ListQuery>) -> AppResult<maud::Markup> {
    // Counted each time, not cached: reminders change without a `Changed` event (they fire in the
    // worker), and one user's reminders are few and indexed by owner.
    let n = super::total(&state.db, &viewer, q.show == "all").await?;
    Ok(views::ui::page_info(crate::paging::page_number(q.page), Some(n), views::ui::Noun("reminder", "reminders")))
}

/// `POST /reminders/:id/deactivate`.
#[handler]
pub async fn deactivate(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let r = super::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !access::can(&viewer, Action::View, &Object::Reminder { owner: r.owner_id }) {
        return Err(AppError::NotFound);
    }
    access::require(&viewer, Action::Edit, &Object::Reminder { owner: r.owner_id })?;
    let mut tx = state.db.begin().await?;
    super::deactivate(&mut tx, id).await?;
    tx.commit().await?;
    Ok(htmx::redirect(hx, crate::paths::REMINDERS))
}
