//! Request layers every route passes through: security headers, the administrators' area, the
//! body-size cap, CSRF.
//!
//! CSRF is enforced on every unsafe method (anything but GET/HEAD/OPTIONS): the `Origin` (or, when a
//! browser sends no Origin, `Sec-Fetch-Site`) must be our own, and the request must carry the
//! session's token in the `X-CSRF-Token` header (htmx sends it from `hx-headers`) or in a
//! `csrf_token` form field. Anonymous visitors (the login form) use a double-submit cookie.
//! Routes that must accept cross-site posts are listed in `routes::CSRF_EXEMPT`.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use subtle::ConstantTimeEq;

use crate::access::Viewer;
use crate::app::AppState;
use crate::auth::session::AnonCsrf;
use crate::error::AppError;

/// The path prefix of the administrators' area (see `access::require_admin_area`).
pub const ADMIN_PREFIX: &str = "/admin/";

/// Answers 404 to a logged-in non-administrator for every path under `ADMIN_PREFIX`, before the body
/// is read or a handler runs. Anonymous requests go on (and get the login redirect).
pub async fn admin_area<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let path = req.uri().path();
    if (path.starts_with(ADMIN_PREFIX) || path == ADMIN_PREFIX.trim_end_matches('/'))
        && let Some(v) = req.extensions().get::<Viewer>()
    {
        crate::access::require_admin_area(v)?;
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

/// Content-Security-Policy of every page: no inline script, no eval, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers, `Vary: HX-Request`, and `Cache-Control: no-store` on every page.
pub async fn headers<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    h.insert("Content-Security-Policy", HeaderValue::from_static(CSP));
    h.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    h.insert("X-Frame-Options", HeaderValue::from_static("DENY"));
    h.insert("Referrer-Policy", HeaderValue::from_static("same-origin"));
    h.insert("Cross-Origin-Opener-Policy", HeaderValue::from_static("same-origin"));
    h.insert("Permissions-Policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    h.append(header::VARY, HeaderValue::from_static("HX-Request"));
    // Pages carry personal data and CSRF tokens: never cached. Assets are immutable (hashed URLs).
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(resp)
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Reads the whole body up to `limit` bytes; more is refused with 413 before it is all read.
async fn read_limited(req: &mut Request, limit: usize) -> Result<Bytes, AppError> {
    if let Some(len) = req.header(header::CONTENT_LENGTH).and_then(|l| l.parse::<usize>().ok())
        && len > limit
    {
        return Err(AppError::PayloadTooLarge(limit));
    }
    let mut stream = req.take_body().into_bytes_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("could not read the request: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// True when the request's origin is ours (or explicitly trusted).
fn same_origin(req: &Request, state: &AppState) -> bool {
    let allowed = |o: &str| {
        o == state.config.origin()
            || state.config.trusted_origins.iter().any(|t| t == o)
            || req.header(header::HOST).is_some_and(|host| {
                let scheme = if state.config.secure_cookies { "https" } else { "http" };
                o == format!("{scheme}://{host}")
            })
    };
    match req.header(header::ORIGIN) {
        Some(o) => allowed(o),
        // No Origin (older browsers, same-origin form posts in some cases): fall back to Fetch Metadata;
        // a request with neither is a non-browser client, which still needs the token.
        None => !matches!(req.header("Sec-Fetch-Site"), Some(s) if s != "same-origin" && s != "none"),
    }
}

/// The token this request must present: the session's, or the anonymous cookie's.
fn expected_token(req: &Request) -> Option<String> {
    if let Some(v) = req.extensions().get::<Viewer>() {
        return Some(v.csrf.clone());
    }
    req.extensions().get::<AnonCsrf>().map(|a| a.0.clone())
}

/// The `csrf_token` field of a multipart body (forms with file uploads sent without htmx).
fn multipart_token(content_type: &str, body: &[u8]) -> Option<String> {
    let boundary = content_type.split(';').find_map(|p| p.trim().strip_prefix("boundary="))?.trim_matches('"');
    let delim = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    text.split(delim.as_str()).find_map(|part| {
        let (head, value) = part.split_once("\r\n\r\n")?;
        head.contains("name=\"csrf_token\"").then(|| value.trim_end_matches("\r\n").to_string())
    })
}

fn form_token(body: &[u8]) -> Option<String> {
    form_urlencoded_pairs(body).find(|(k, _)| k == "csrf_token").map(|(_, v)| v)
}

fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&').filter_map(|pair| {
        let mut it = pair.splitn(2, |b| *b == b'=');
        let k = decode(it.next()?);
        let v = decode(it.next().unwrap_or_default());
        Some((k, v))
    })
}

fn decode(s: &[u8]) -> String {
    let plus: Vec<u8> = s.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    percent_encoding::percent_decode(&plus).decode_utf8_lossy().into_owned()
}

/// Caps the body of every request and enforces CSRF on unsafe methods.
pub async fn csrf<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let Some(state) = req.data::<AppState>().cloned() else {
        return Err(poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR));
    };
    let exempt = crate::routes::is_csrf_exempt(req.uri().path());
    if is_safe(req.method()) {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let body = read_limited(&mut req, state.config.max_body_bytes).await?;
    if !exempt {
        if !same_origin(&req, &state) {
            return Err(AppError::CsrfRejected("The request did not come from this site.").into());
        }
        let expected = expected_token(&req).unwrap_or_default();
        let ct = req.header(header::CONTENT_TYPE).unwrap_or("").to_string();
        let given = req
            .header("X-CSRF-Token")
            .map(str::to_string)
            .or_else(|| {
                if ct.starts_with("application/x-www-form-urlencoded") {
                    form_token(&body)
                } else if ct.starts_with("multipart/form-data") {
                    multipart_token(&ct, &body)
                } else {
                    None
                }
            })
            .unwrap_or_default();
        if expected.is_empty()
            || given.len() != expected.len()
            || !bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
        {
            return Err(AppError::CsrfRejected(
                "Your form expired or did not come from this site. Reload the page and try again.",
            )
            .into());
        }
    }
    req.set_body(body);
    ep.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_token_in_multipart_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ--\r\n";
        assert_eq!(multipart_token("multipart/form-data; boundary=XyZ", body).as_deref(), Some("abc123"));
        assert_eq!(multipart_token("multipart/form-data; boundary=Other", body), None);
    }

    #[test]
    fn finds_token_in_form_body() {
        assert_eq!(form_token(b"a=1&csrf_token=ab%2Bc&b=2").as_deref(), Some("ab+c"));
        assert_eq!(form_token(b"a=1"), None);
    }
}
