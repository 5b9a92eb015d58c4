//! `cid:` images (issue 10): an HTML body's `<img src="cid:…">` shows the part of the stored
//! original with that Content-ID, served by `GET /emails/:id/inline/:cid` to whoever may view the
//! email, and only when the part is a PNG, JPEG, GIF or WebP image by its declared type *and* its
//! first bytes (anything else is refused, so a part cannot be served as HTML or SVG).
//!
//! The body is shown in a sandboxed frame without same-origin rights (`emails::html`), and a browser
//! sends no `SameSite` session cookie from such a frame: its image requests arrive anonymous. So the
//! sources the cleaner writes carry `k`, the viewer's session id and the email id sealed with the
//! installation's key (`secrets::Cipher`, AES-GCM: it cannot be forged or moved to another email).
//! The route resolves `k` to that session (ended by logout or expiry like the session itself) and
//! checks the email with `items::load` as the page does; without `k` it uses the cookie's session.

use std::borrow::Cow;

use mail_parser::{MessageParser, MimeHeaders};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};

use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::error::AppResult;

/// What the sealed `k` is for (AES-GCM associated data: a mail password cannot pass as one).
const PURPOSE: &str = "email-inline-image";

/// The image types served, by their first bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// `<logo@x>` and `logo@x` name the same part.
fn bare(cid: &str) -> &str {
    cid.trim().trim_start_matches('<').trim_end_matches('>').trim()
}

/// What `find` came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// The image's bytes and its type.
    Image(Vec<u8>, &'static str),
    /// No part has this Content-ID.
    Missing,
    /// The part is not a PNG, JPEG, GIF or WebP image.
    NotAnImage,
}

/// The part of `raw` with Content-ID `cid`.
pub fn find(raw: &[u8], cid: &str) -> Found {
    let want = bare(cid);
    if want.is_empty() {
        return Found::Missing;
    }
    let run = || {
        let Some(m) = MessageParser::default().parse(raw) else { return Found::Missing };
        let Some(part) = m.parts.iter().find(|p| p.content_id().is_some_and(|c| bare(c).eq_ignore_ascii_case(want)))
        else {
            return Found::Missing;
        };
        let declared = part
            .content_type()
            .map(|c| {
                let sub = c.c_subtype.as_deref().unwrap_or("").to_ascii_lowercase();
                (c.c_type.to_ascii_lowercase(), sub)
            })
            .unwrap_or_default();
        let allowed = declared.0 == "image" && ["png", "jpeg", "jpg", "pjpeg", "gif", "webp"].contains(&&*declared.1);
        let bytes = part.contents();
        match (allowed, sniff(bytes)) {
            (true, Some(kind)) => Found::Image(bytes.to_vec(), kind),
            _ => Found::NotAnImage,
        }
    };
    std::panic::catch_unwind(run).unwrap_or(Found::Missing)
}

/// `k` for the images of email `email` shown to the session `session_id`.
pub fn token(state: &AppState, session_id: &str, email: i64) -> Option<String> {
    state.mail.cipher.seal(PURPOSE, &format!("{session_id}|{email}")).ok()
}

/// The source of `cid` in email `email`'s frame (`k` from `token`).
pub fn url(email: i64, cid: &str, k: &str) -> String {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    format!("/emails/{email}/inline/{}?k={}", enc(bare(cid)), enc(k))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct InlineQuery {
    pub k: String,
}

/// The viewer behind `k` (a live session's, for this email), else the cookie's.
async fn viewer(state: &AppState, req: &Request, email: i64, k: &str) -> AppResult<Option<Viewer>> {
    if k.is_empty() {
        return Ok(req.extensions().get::<Viewer>().cloned());
    }
    let Ok(plain) = state.mail.cipher.open(PURPOSE, k) else { return Ok(None) };
    let Some((session, id)) = plain.split_once('|') else { return Ok(None) };
    if id.parse::<i64>().ok() != Some(email) {
        return Ok(None);
    }
    Ok(crate::auth::session::load_by_id(&state.db, session, state.config.session_ttl).await?)
}

fn refused(status: StatusCode, text: &'static str) -> Response {
    Response::builder().status(status).content_type("text/plain; charset=utf-8").body(text)
}

/// `GET /emails/:id/inline/:cid[?k=…]`: the image part, to whoever may view the email; 404 to
/// anyone else and for a Content-ID the original lacks; 415 for a part that is not such an image.
#[handler]
pub async fn image(
    state: Data<&AppState>,
    req: &Request,
    Path((id, cid)): Path<(i64, String)>,
    crate::web::Query(q): crate::web::Query<InlineQuery>,
) -> AppResult<Response> {
    let not_found = || refused(StatusCode::NOT_FOUND, "No such image.");
    let Some(v) = viewer(&state, req, id, q.k.trim()).await? else { return Ok(not_found()) };
    match crate::items::load(&state.db, &v, ItemKind::Email, id, Action::View).await {
        Ok(_) => {}
        Err(crate::error::AppError::NotFound | crate::error::AppError::Forbidden) => return Ok(not_found()),
        Err(e) => return Err(e),
    }
    let Ok((raw, _)) = super::page::original_bytes(&state, id).await? else { return Ok(not_found()) };
    let found = tokio::task::spawn_blocking(move || find(&raw, &cid)).await.unwrap_or(Found::Missing);
    let (bytes, kind) = match found {
        Found::Image(b, k) => (b, k),
        Found::Missing => return Ok(not_found()),
        Found::NotAnImage => {
            return Ok(refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This part is not an image the CRM shows (PNG, JPEG, GIF or WebP).",
            ));
        }
    };
    let mut r = Response::builder().status(StatusCode::OK).content_type(kind).body(bytes);
    let h = r.headers_mut();
    h.insert("Content-Security-Policy", HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(r.into_response())
}

/// Rewrites one `img` source for `emails::html::clean`: `cid:` to the route, anything else kept.
pub fn rewrite<'u>(value: &'u str, email: i64, k: &str) -> Option<Cow<'u, str>> {
    let v = value.trim();
    let lower = v.get(..4).map(str::to_ascii_lowercase);
    (lower.as_deref() == Some("cid:")).then(|| {
        let cid = percent_encoding::percent_decode_str(&v[4..]).decode_utf8_lossy();
        Cow::Owned(url(email, &cid, k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(ctype: &str, body_b64: &str) -> Vec<u8> {
        format!(
            "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n\
             --r\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo@x\">\r\n\
             --r\r\nContent-Type: {ctype}\r\nContent-ID: <Logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n{body_b64}\r\n--r--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn only_real_images_of_the_allowed_types_are_found() {
        use base64::Engine;
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        assert_eq!(find(&message("image/png", &b64(png)), "<logo@x>"), Found::Image(png.to_vec(), "image/png"));
        assert_eq!(find(&message("image/png", &b64(png)), "other@x"), Found::Missing);
        // HTML or SVG declared as an image, or a PNG declared as HTML: refused.
        assert_eq!(find(&message("image/png", &b64(b"<html><script>")), "logo@x"), Found::NotAnImage);
        assert_eq!(find(&message("image/svg+xml", &b64(b"<svg onload=x>")), "logo@x"), Found::NotAnImage);
        assert_eq!(find(&message("text/html", &b64(png)), "logo@x"), Found::NotAnImage);
        assert_eq!(find(b"garbage", "logo@x"), Found::Missing);
    }

    #[test]
    fn cid_sources_point_at_the_route_and_others_are_left() {
        assert_eq!(rewrite(" CID:logo%40x", 7, "v1:a:b").as_deref(), Some("/emails/7/inline/logo%40x?k=v1%3Aa%3Ab"));
        assert_eq!(rewrite("https://x.example/a.png", 7, "k"), None);
        assert_eq!(url(3, "<a/../b c>", "k"), "/emails/3/inline/a%2F%2E%2E%2Fb%20c?k=k");
    }
}
