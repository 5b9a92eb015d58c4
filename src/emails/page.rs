//! The email page (§7.1 "Email page", §7.4): the generic CRM page of the row with this panel above
//! its fields (mailbox, date, Previous/Next among the emails of the same ticket by date, the body,
//! the stored original), and the original's two routes.

use chrono::{DateTime, Utc};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Condition, Expr, ExprTrait, Order, Query};

use super::kind::Mailbox;
use crate::access::{self, Action, ItemKind, ListKind, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::htmx::HxRequest;
use crate::items::{self, ItemRef};
use crate::views;

/// What the panel shows.
pub struct Panel {
    pub id: i64,
    pub mailbox: Mailbox,
    pub inquiry: bool,
    pub date: DateTime<Utc>,
    pub ticket: String,
    pub prev: Option<i64>,
    pub next: Option<i64>,
    /// The HTML body, cleaned (`emails::html`), when the email has one.
    pub html: Option<super::html::Clean>,
    pub text: String,
    pub show_images: bool,
    /// The stored original (RFC 822) is there.
    pub original: bool,
    /// From, To, Cc, Bcc (the ones set).
    pub headers: Vec<(&'static str, String)>,
    /// Sending (§7.1, `emails::send`): '' (draft), queued, sent, failed; the server's last words.
    pub send_status: String,
    pub send_error: String,
    pub sent_at: Option<DateTime<Utc>>,
    /// The viewer may reply, reply all and forward (write emails in its department).
    pub can_reply: bool,
    /// The viewer may send this draft or failed letter (theirs, and theirs to edit).
    pub can_send: bool,
}

#[derive(sqlx::FromRow)]
struct Body {
    from_field: String,
    to: String,
    cc: String,
    bcc: String,
    content: String,
    html_content: String,
    is_html: bool,
    sent: bool,
    incoming: bool,
    trash: bool,
    inquiry: bool,
    ticket: String,
    created_at: DateTime<Utc>,
    raw_file_id: Option<i64>,
    send_status: String,
    send_error: String,
    sent_at: Option<DateTime<Utc>>,
    owner_id: Option<i64>,
}

async fn body(db: &Db, id: i64) -> AppResult<Body> {
    let q = Query::select()
        .columns([
            "from_field",
            "to",
            "cc",
            "bcc",
            "content",
            "html_content",
            "is_html",
            "sent",
            "incoming",
            "trash",
            "inquiry",
            "ticket",
            "created_at",
            "raw_file_id",
            "send_status",
            "send_error",
            "sent_at",
            "owner_id",
        ])
        .from("crm_emails")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    db.fetch_optional(&q).await?.ok_or(AppError::NotFound)
}

/// The email before (`older`) or after this one among the viewer's emails of the same ticket,
/// by date then id (`ix_crm_emails_ticket`).
async fn neighbour(
    db: &Db,
    v: &Viewer,
    id: i64,
    ticket: &str,
    at: DateTime<Utc>,
    older: bool,
) -> AppResult<Option<i64>> {
    if ticket.is_empty() {
        return Ok(None);
    }
    let t = "crm_emails";
    let (date, key) = (Expr::col((t, "created_at")), Expr::col((t, "id")));
    let cond = if older {
        Condition::any().add(date.clone().lt(at)).add(date.eq(at).and(key.lt(id)))
    } else {
        Condition::any().add(date.clone().gt(at)).add(date.eq(at).and(key.gt(id)))
    };
    let order = if older { Order::Desc } else { Order::Asc };
    let mut q = Query::select();
    q.column((t, "id"))
        .from(t)
        .and_where(Expr::col((t, "ticket")).eq(ticket))
        .cond_where(cond)
        .order_by((t, "created_at"), order.clone())
        .order_by((t, "id"), order)
        .limit(1);
    access::scope_as_filter(v, ListKind::Crm(ItemKind::Email), &mut q)?;
    Ok(db.scalar(&q).await?)
}

/// The panel of email `it` (already loaded with the viewer's right to view it), and whether it
/// shows remote images (the page then allows them: `CSP_WITH_IMAGES`).
pub async fn panel(state: &AppState, v: &Viewer, it: &ItemRef, show_images: bool) -> AppResult<(maud::Markup, bool)> {
    let b = body(&state.db, it.id).await?;
    // `cid:` images point at the stored original's parts (`emails::inline`), for this session.
    let inline = b
        .raw_file_id
        .and_then(|_| super::inline::token(state, &v.session_id, it.id))
        .map(|k| super::html::Inline { email: it.id, k });
    let html = (b.is_html && !b.html_content.trim().is_empty())
        .then(|| super::html::clean(&b.html_content, show_images, inline));
    let shows_images = show_images && html.is_some();
    let headers = [("From", &b.from_field), ("To", &b.to), ("Cc", &b.cc), ("Bcc", &b.bcc)]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect();
    let can_reply = it
        .department
        .is_some_and(|d| access::can(v, Action::Create, &crate::crm::handlers::prospective(ItemKind::Email, d)));
    let can_send = !b.incoming
        && b.owner_id == Some(v.id)
        && it.can(v, Action::Edit)
        && (b.send_status.is_empty() || b.send_status == super::send::FAILED);
    let p = Panel {
        id: it.id,
        send_status: b.send_status,
        send_error: b.send_error,
        sent_at: b.sent_at,
        can_reply,
        can_send,
        mailbox: Mailbox::of(b.sent, b.incoming, b.trash),
        inquiry: b.inquiry,
        date: b.created_at,
        prev: neighbour(&state.db, v, it.id, &b.ticket, b.created_at, true).await?,
        next: neighbour(&state.db, v, it.id, &b.ticket, b.created_at, false).await?,
        ticket: b.ticket,
        html,
        text: b.content,
        show_images,
        original: b.raw_file_id.is_some(),
        headers,
    };
    Ok((views::emails::panel(v, &p), shows_images))
}

/// The page's Content-Security-Policy when the user asked to see remote images: the app's, with
/// images from anywhere on the web.
pub const CSP_WITH_IMAGES: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; \
connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The stored original of email `id`, if the viewer may see the email: (bytes, file name).
async fn original(state: &AppState, v: &Viewer, id: i64) -> AppResult<Result<(Vec<u8>, String), ()>> {
    let it = items::load(&state.db, v, ItemKind::Email, id, Action::View).await?;
    Ok(original_bytes(state, id).await?.map(|(bytes, _)| (bytes, file_name(&it.title, id))))
}

/// The stored original of email `id` (`Err`: none is stored, or its blob is missing) and its hash.
/// The caller has checked the viewer's right to see the email.
pub async fn original_bytes(state: &AppState, id: i64) -> AppResult<Result<(Vec<u8>, String), ()>> {
    let sha: Option<String> = state
        .db
        .scalar(
            Query::select()
                .column(("files", "sha256"))
                .from("crm_emails")
                .inner_join("files", Expr::col(("files", "id")).equals(("crm_emails", "raw_file_id")))
                .and_where(Expr::col(("crm_emails", "id")).eq(id)),
        )
        .await?;
    let Some(sha) = sha else { return Ok(Err(())) };
    match state.files.read(&sha).await {
        Ok(bytes) => Ok(Ok((bytes, sha))),
        Err(e) => {
            tracing::error!(error = %e, email = id, "an email's stored original is missing");
            Ok(Err(()))
        }
    }
}

/// A file name for the original: the subject's letters, digits, spaces, dots, dashes and
/// underscores (anything else becomes `_`), at most 80 characters, then `.eml`.
pub fn file_name(subject: &str, id: i64) -> String {
    let cleaned: String = subject
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c.is_alphanumeric() || " .-_".contains(c) { c } else { '_' })
        .take(80)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() { format!("email-{id}.eml") } else { format!("{cleaned}.eml") }
}

fn disposition(kind: &str, name: &str) -> Option<HeaderValue> {
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string();
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    HeaderValue::from_str(&format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")).ok()
}

async fn missing(state: &AppState, v: &Viewer, hx: HxRequest, id: i64) -> AppResult<Response> {
    let cx = crate::web::page_cx(state, v, views::layout::Nav::Crm(ItemKind::Email), hx).await?;
    let body = views::emails::no_original(&cx, id);
    Ok(body.with_status(StatusCode::NOT_FOUND).into_response())
}

fn serve(bytes: Vec<u8>, content_type: &'static str, disp: Option<HeaderValue>) -> Response {
    let mut r = Response::builder().status(StatusCode::OK).content_type(content_type).body(bytes);
    if let Some(d) = disp {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, d);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    r
}

/// `GET /emails/:id/original`: the stored message as text, in the browser (never as HTML).
#[handler]
pub async fn view_original(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    match original(&state, &viewer, id).await? {
        Ok((bytes, name)) => Ok(serve(bytes, "text/plain; charset=utf-8", disposition("inline", &name))),
        Err(()) => missing(&state, &viewer, hx, id).await,
    }
}

/// `GET /emails/:id/download`: the stored message as a `.eml` file.
#[handler]
pub async fn download(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    match original(&state, &viewer, id).await? {
        Ok((bytes, name)) => Ok(serve(bytes, "message/rfc822", disposition("attachment", &name))),
        Err(()) => missing(&state, &viewer, hx, id).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_safe() {
        assert_eq!(super::file_name("Re: offer \"x\"/../../etc", 3), "Re_ offer _x__.._.._etc.eml");
        assert_eq!(super::file_name("", 7), "email-7.eml");
        assert_eq!(super::file_name("../..", 7), "_...eml");
        assert_eq!(super::file_name("\r\nBcc: x", 2), "Bcc_ x.eml");
    }
}
