//! Request layers every route passes through: security headers, the administrators' area, CSRF,
//! and the limits on bodies.
//!
//! CSRF is enforced on every unsafe method (anything but GET/HEAD/OPTIONS): the `Origin` (or, when a
//! browser sends no Origin, `Sec-Fetch-Site`) must be our own, and the request must carry the
//! session's token in the `X-CSRF-Token` header (htmx sends it from `hx-headers`) or in a
//! `csrf_token` form field. Anonymous visitors (the login form) use a double-submit cookie.
//! Routes that must accept cross-site posts are listed in `routes::CSRF_EXEMPT`.
//!
//! A body is read only for a request that can succeed (a route that exists, a session or a public
//! route, our origin, and a right token header if one is sent), within a size cap, a deadline and a
//! minimum rate (`FERROCRM_MAX_BODY_BYTES`, `FERROCRM_BODY_TIMEOUT_SECS`, `FERROCRM_BODY_MIN_RATE`),
//! and spooled to a temporary file once it is large.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

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
    // The public web form sets its own CSP (framable by its lead source's origins, `requests::intake`).
    // So does an email page whose remote images were asked for (`emails::page::CSP_WITH_IMAGES`).
    let is_contact_form = req.uri().path().starts_with("/contact-form/");
    let own_csp = is_contact_form || req.uri().path().starts_with("/emails/");
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    let framable = own_csp && h.contains_key("Content-Security-Policy");
    if !framable {
        h.insert("Content-Security-Policy", HeaderValue::from_static(CSP));
        h.insert("X-Frame-Options", HeaderValue::from_static("DENY"));
    } else if !is_contact_form {
        // An email page's own CSP still forbids framing it (`frame-ancestors 'none'`).
        h.insert("X-Frame-Options", HeaderValue::from_static("DENY"));
    }
    h.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
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

/// What a body must do to be read: arrive whole within `timeout`, at least `min_rate` bytes per second
/// on average once `grace` has passed, and be at most `max` bytes.
struct BodyLimits {
    max: usize,
    timeout: Duration,
    min_rate: u64,
    grace: Duration,
}

impl BodyLimits {
    fn of(c: &crate::config::Config) -> BodyLimits {
        BodyLimits { max: c.max_body_bytes, timeout: c.body_timeout, min_rate: c.body_min_rate, grace: c.body_grace }
    }

    /// When reading must stop if nothing more arrives, having received `got` bytes since `start`.
    fn due(&self, start: Instant, got: usize) -> Instant {
        let deadline = start + self.timeout;
        if self.min_rate == 0 {
            return deadline;
        }
        let earned = Duration::from_secs_f64(got as f64 / self.min_rate as f64);
        deadline.min(start + self.grace.max(earned))
    }
}

/// Bodies up to this size stay in memory; larger ones go to an unnamed temporary file.
const SPOOL_IN_MEMORY: usize = 256 * 1024;

/// A body being received: in memory while small, then in an (already unlinked) temporary file.
struct Spool {
    mem: bytes::BytesMut,
    file: Option<tokio::fs::File>,
    dir: std::path::PathBuf,
}

impl Spool {
    async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if self.file.is_none() && self.mem.len() + chunk.len() > SPOOL_IN_MEMORY {
            tokio::fs::create_dir_all(&self.dir).await?;
            let dir = self.dir.clone();
            let f = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
                .await
                .map_err(std::io::Error::other)??;
            let mut f = tokio::fs::File::from_std(f);
            f.write_all(&self.mem).await?;
            self.mem = bytes::BytesMut::new();
            self.file = Some(f);
        }
        match &mut self.file {
            Some(f) => f.write_all(chunk).await,
            None => {
                self.mem.extend_from_slice(chunk);
                Ok(())
            }
        }
    }

    async fn into_body(self) -> std::io::Result<Body> {
        match self.file {
            None => Ok(Body::from(self.mem.freeze())),
            Some(mut f) => {
                f.flush().await?;
                f.seek(std::io::SeekFrom::Start(0)).await?;
                Ok(Body::from_async_read(f))
            }
        }
    }
}

fn too_slow() -> poem::Error {
    poem::Error::from_string("request body too slow", StatusCode::REQUEST_TIMEOUT)
}

/// Receives the whole body within `limits` (413 when too large, 408 when too slow), looking for CSRF
/// tokens on the way when `scan` is given. Never holds more than `SPOOL_IN_MEMORY` bytes in memory.
async fn receive(
    req: &mut Request,
    limits: &BodyLimits,
    spool_dir: std::path::PathBuf,
    mut scan: Option<&mut TokenScan>,
) -> poem::Result<Body> {
    if let Some(len) = req.header(header::CONTENT_LENGTH).and_then(|l| l.parse::<usize>().ok())
        && len > limits.max
    {
        return Err(AppError::PayloadTooLarge(limits.max).into());
    }
    let mut stream = req.take_body().into_bytes_stream();
    let mut spool = Spool { mem: bytes::BytesMut::new(), file: None, dir: spool_dir };
    let start = Instant::now();
    let mut got = 0usize;
    loop {
        let due = tokio::time::Instant::from_std(limits.due(start, got));
        let chunk = match tokio::time::timeout_at(due, stream.next()).await {
            Err(_) => return Err(too_slow()),
            Ok(None) => break,
            Ok(Some(chunk)) => chunk.map_err(|e| AppError::BadRequest(format!("could not read the request: {e}")))?,
        };
        got += chunk.len();
        if got > limits.max {
            return Err(AppError::PayloadTooLarge(limits.max).into());
        }
        if let Some(scan) = scan.as_deref_mut() {
            scan.feed(&chunk);
        }
        spool.write(&chunk).await.map_err(|e| AppError::Other(anyhow::anyhow!("buffering a request: {e}")))?;
    }
    spool.into_body().await.map_err(|e| AppError::Other(anyhow::anyhow!("buffering a request: {e}")).into())
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

/// Longest value taken for a token (ours are 64 hex characters).
const MAX_TOKEN: usize = 128;

/// Finds `csrf_token` values in a body as it streams past, keeping only a short tail between chunks:
/// url-encoded (`csrf_token=…` between `&`s) or multipart (a part named `csrf_token`). Every candidate
/// is kept (a few at most), so text inside an uploaded file cannot hide the real field.
struct TokenScan {
    needle: &'static [u8],
    end: &'static [u8],
    carry: Vec<u8>,
    found: Vec<Vec<u8>>,
    urlencoded: bool,
}

impl TokenScan {
    fn form() -> TokenScan {
        // A leading `&` lets a token at the very start match like any other.
        TokenScan { needle: b"&csrf_token=", end: b"&", carry: b"&".to_vec(), found: Vec::new(), urlencoded: true }
    }

    fn multipart() -> TokenScan {
        TokenScan {
            needle: b"name=\"csrf_token\"\r\n\r\n",
            end: b"\r\n",
            carry: Vec::new(),
            found: Vec::new(),
            urlencoded: false,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        let mut window = std::mem::take(&mut self.carry);
        // Bytes before `seen` were scanned last time: a match that ends there was taken then.
        let seen = window.len();
        window.extend_from_slice(chunk);
        let span = self.needle.len() + MAX_TOKEN + self.end.len();
        let mut keep_from = window.len().saturating_sub(span);
        for at in memchr::memmem::find_iter(&window, self.needle) {
            let value = at + self.needle.len();
            let look = &window[value..window.len().min(value + MAX_TOKEN + self.end.len())];
            match memchr::memmem::find(look, self.end) {
                Some(n) if value + n + self.end.len() > seen && self.found.len() < 8 => {
                    self.found.push(look[..n].to_vec());
                }
                Some(_) => {}
                // Not all here yet: keep it for the next chunk.
                None if look.len() < MAX_TOKEN + self.end.len() => {
                    keep_from = keep_from.min(at);
                    break;
                }
                None => {} // too long to be a token
            }
        }
        self.carry = window.split_off(keep_from);
    }

    /// The candidates, once the whole body has passed.
    fn finish(mut self) -> Vec<String> {
        let end = self.end;
        self.feed(end);
        let urlencoded = self.urlencoded;
        self.found
            .into_iter()
            .map(|v| if urlencoded { decode(&v) } else { String::from_utf8_lossy(&v).into_owned() })
            .collect()
    }
}

fn decode(s: &[u8]) -> String {
    let plus: Vec<u8> = s.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    percent_encoding::percent_decode(&plus).decode_utf8_lossy().into_owned()
}

fn token_matches(given: &str, expected: &str) -> bool {
    !expected.is_empty() && given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

fn forged() -> poem::Error {
    AppError::CsrfRejected("Your form expired or did not come from this site. Reload the page and try again.").into()
}

/// Enforces CSRF on unsafe methods and receives their bodies within limits.
///
/// Everything that can refuse a request without its body does so before reading it: no such route or
/// method (404/405), a foreign origin (403), no session on a route that needs one (401), a wrong
/// `X-CSRF-Token` header (403). Only then is the body received, within `BodyLimits`, into memory or
/// a temporary file; without the header the token is looked for in it (form or multipart field).
pub async fn csrf<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let Some(state) = req.data::<AppState>().cloned() else {
        return Err(poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR));
    };
    if is_safe(req.method()) {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let route = crate::routes::find(req.method().as_str(), req.uri().path()).map_err(poem::Error::from_status)?;
    let limits = BodyLimits::of(&state.config);
    let spool_dir = state.files.tmp_dir();
    if crate::routes::is_csrf_exempt(route) {
        let mut limits = limits;
        if crate::requests::intake::is_intake_route(route) {
            // The per-address limit before the body is read; then a small body cap.
            crate::requests::intake::admit(&state, &mut req)?;
            limits.max = limits.max.min(state.config.intake.max_body);
        }
        let body = receive(&mut req, &limits, spool_dir, None).await?;
        req.set_body(body);
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    if !same_origin(&req, &state) {
        return Err(AppError::CsrfRejected("The request did not come from this site.").into());
    }
    if req.extensions().get::<Viewer>().is_none() && !crate::routes::is_public(route) {
        return Err(AppError::Unauthenticated.into());
    }
    let expected = expected_token(&req).unwrap_or_default();
    let body = match req.header("X-CSRF-Token").map(str::to_string) {
        Some(given) => {
            if !token_matches(&given, &expected) {
                return Err(forged());
            }
            receive(&mut req, &limits, spool_dir, None).await?
        }
        None => {
            let ct = req.header(header::CONTENT_TYPE).unwrap_or("");
            let mut scan = if ct.starts_with("application/x-www-form-urlencoded") {
                TokenScan::form()
            } else if ct.starts_with("multipart/form-data") {
                TokenScan::multipart()
            } else {
                return Err(forged());
            };
            let body = receive(&mut req, &limits, spool_dir, Some(&mut scan)).await?;
            if !scan.finish().iter().any(|given| token_matches(given, &expected)) {
                return Err(forged());
            }
            body
        }
    };
    req.set_body(body);
    ep.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(mut t: TokenScan, body: &[u8], chunk: usize) -> Vec<String> {
        for c in body.chunks(chunk) {
            t.feed(c);
        }
        t.finish()
    }

    #[test]
    fn finds_token_in_multipart_body_in_any_chunking() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ--\r\n";
        for chunk in [1, 2, 3, 7, 50, 1000] {
            assert_eq!(scan(TokenScan::multipart(), body, chunk), vec!["abc123".to_string()], "chunks of {chunk}");
        }
        assert!(scan(TokenScan::multipart(), b"--XyZ\r\nname=\"title\"\r\n\r\nx\r\n", 4).is_empty());
    }

    #[test]
    fn finds_token_in_form_body_in_any_chunking() {
        for chunk in [1, 2, 5, 100] {
            assert_eq!(scan(TokenScan::form(), b"a=1&csrf_token=ab%2Bc&b=2", chunk), vec!["ab+c".to_string()]);
            assert_eq!(scan(TokenScan::form(), b"csrf_token=tok", chunk), vec!["tok".to_string()]);
            assert_eq!(scan(TokenScan::form(), b"a=1&xcsrf_token=no", chunk), Vec::<String>::new());
        }
        assert!(scan(TokenScan::form(), b"a=1", 1).is_empty());
    }

    #[test]
    fn a_token_lookalike_in_a_file_does_not_hide_the_real_one() {
        let mut body = b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nname=\"csrf_token\"\r\n\r\nfake\r\n".to_vec();
        body.extend(std::iter::repeat_n(b'x', 100_000));
        body.extend_from_slice(
            b"\r\n--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nreal\r\n--B--\r\n",
        );
        assert_eq!(scan(TokenScan::multipart(), &body, 4096), vec!["fake".to_string(), "real".to_string()]);
    }
}
