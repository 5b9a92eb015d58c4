//! Handler helpers: the form extractor, the page context, responses with a status.

use maud::Markup;
use std::time::Duration;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};
use serde::de::DeserializeOwned;

use crate::access::Viewer;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::htmx::HxRequest;
use crate::paging::Total;
use crate::text;
use crate::views::layout::{Nav, PageCx};
use crate::views::ui::Noun;

/// A url-encoded form body (repeated keys such as checkboxes become a `Vec`).
/// A body that does not decode is a 400 with a readable message, never a panic.
/// Every name and value is normalised first (`text::normalize`: LF line breaks, no NUL).
pub struct Form<T>(pub T);

impl<'a, T: DeserializeOwned> FromRequest<'a> for Form<T> {
    async fn from_request(_req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Form(form_from_pairs(form_pairs(body).await?)?))
    }
}

/// The fields of an url-encoded body, in order, not yet normalised (see `form_from_pairs`).
pub async fn form_pairs(body: &mut RequestBody) -> poem::Result<Vec<(String, String)>> {
    let bytes =
        body.take()?.into_vec().await.map_err(|e| AppError::BadRequest(format!("could not read the form: {e}")))?;
    Ok(serde_html_form::from_bytes::<Vec<(String, String)>>(&bytes).map_err(unreadable)?)
}

/// A query string decoded like `Form` (normalised text, repeated keys as a `Vec`). Use this, never
/// `poem::web::Query` (clippy's `disallowed-types` says so): a NUL in a search must not reach the
/// database (PostgreSQL refuses it with an error).
pub struct Query<T>(pub T);

impl<'a, T: DeserializeOwned> FromRequest<'a> for Query<T> {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let raw = req.uri().query().unwrap_or("");
        let pairs = serde_html_form::from_str::<Vec<(String, String)>>(raw).map_err(unreadable)?;
        Ok(Query(form_from_pairs(pairs)?))
    }
}

/// Decodes form fields (from an url-encoded or a multipart body) into `T`, after normalising every
/// name and value: the one place user text enters the app.
pub fn form_from_pairs<T: DeserializeOwned>(pairs: Vec<(String, String)>) -> Result<T, AppError> {
    let clean: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| (text::normalize(k).into_owned(), text::normalize(v).into_owned())).collect();
    let encoded = serde_html_form::to_string(&clean).map_err(unreadable)?;
    serde_html_form::from_str::<T>(&encoded).map_err(unreadable)
}

fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("The form could not be read: {e}"))
}

/// A list's "Page X of Y · N <noun>" (`GET /<list>/total?<filters>`, asked for after the page is
/// shown): `count` runs unless the viewer's total of `list` (its URL with the filters) is cached.
pub async fn list_total(
    state: &AppState,
    viewer: &Viewer,
    list: String,
    page: Option<u32>,
    noun: Noun,
    count: impl std::future::Future<Output = AppResult<Total>>,
) -> AppResult<Markup> {
    let n = state.totals.get(viewer.id, list, count).await?;
    Ok(crate::views::ui::page_info(crate::paging::page_number(page), Some(n), noun))
}

/// The page context (unread count for the bell, current nav entry).
pub async fn page_cx<'a>(state: &AppState, viewer: &'a Viewer, nav: Nav, hx: HxRequest) -> AppResult<PageCx<'a>> {
    let unread = if hx.0 { 0 } else { crate::notifications::unread_count(&state.db, viewer.id).await? };
    Ok(PageCx { viewer, unread, nav, hx })
}

/// Markup with a status (422 for a form that failed validation).
pub fn with_status(m: Markup, status: StatusCode) -> Response {
    let mut r = m.into_response();
    r.set_status(status);
    r
}

/// Whole seconds to wait, rounded up and at least 1: what `Retry-After` and messages say.
pub fn wait_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0 || wait.is_zero())
}

/// 429 Too Many Requests with `Retry-After`: every 429 of the app is made here.
pub fn too_many_requests(r: impl IntoResponse, wait: Duration) -> Response {
    let mut r = r.into_response();
    r.set_status(StatusCode::TOO_MANY_REQUESTS);
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait_secs(wait)));
    r
}

/// 422 Unprocessable Entity: a re-rendered form with its messages.
pub fn invalid(m: Markup) -> Response {
    with_status(m, StatusCode::UNPROCESSABLE_ENTITY)
}

/// The client's IP as seen by this server (used for login throttling).
pub fn client_ip(req: &Request) -> String {
    match req.remote_addr().as_socket_addr() {
        Some(a) => a.ip().to_string(),
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn waits_round_up_to_whole_seconds_of_at_least_one() {
        assert_eq!(super::wait_secs(Duration::ZERO), 1);
        assert_eq!(super::wait_secs(Duration::from_millis(1)), 1);
        assert_eq!(super::wait_secs(Duration::from_secs(1)), 1);
        assert_eq!(super::wait_secs(Duration::from_millis(1001)), 2);
        assert_eq!(super::wait_secs(Duration::from_secs(300)), 300);
    }
}
