//! The public surface of requests (issue 9, inventory §6.2–6.3): `POST /add-request/` (the
//! original's server-to-server API, its status codes), the CRM-hosted form `/contact-form/{token}/`
//! (framable by the lead source's allowed origins only) and its embed script
//! `/contact-form/{token}/embed.js` (renders the form in the host page, posts with `fetch`, CORS for
//! the allowed origins only).
//!
//! Everything a visitor sends is hostile: the per-address limit runs before the body is read
//! (`admit`, from the CSRF layer, which also caps these bodies at `IntakeConfig::max_body`), every
//! field is length-checked and single-line fields refuse control characters (no header injection
//! into the inbound email record), and what is stored is only ever shown through maud's escaping.
//! Bots get the thank-you page and nothing is stored: a filled honeypot, a missing / forged / too
//! fast / too old fill-time token, a stop phrase, a banned company name.

pub mod admin;
pub mod captcha;
pub mod config;
pub mod demo;
pub mod fields;
pub mod geo;
pub mod handlers;
pub mod https;
pub mod limit;
pub mod net;
pub mod spam;
pub mod token;
pub mod writer;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::Request;
use sea_query::{Expr, ExprTrait, Query};
use tokio::sync::OnceCell;

use crate::app::AppState;
use crate::db::Db;
use crate::error::AppError;

pub use config::IntakeConfig;

/// The intake's shared state: the limiters, the geolocation database, the signing key.
#[derive(Clone)]
pub struct Intake {
    inner: Arc<Inner>,
}

struct Inner {
    per_ip: limit::Limiter,
    per_source: limit::Limiter,
    geo: Option<geo::Geo>,
    key: OnceCell<Vec<u8>>,
    writer: writer::Writer,
}

const WINDOW: Duration = Duration::from_secs(60);

impl Intake {
    /// Opens the geolocation database when one is configured (an unreadable one stops the start).
    pub fn new(c: &IntakeConfig) -> anyhow::Result<Intake> {
        let geo = match &c.geoip_db {
            Some(path) => Some(geo::Geo::open(path)?),
            None => None,
        };
        Ok(Intake {
            inner: Arc::new(Inner {
                per_ip: limit::Limiter::new(c.per_ip, WINDOW, c.tracked),
                per_source: limit::Limiter::new(c.per_source, WINDOW, c.tracked),
                geo,
                key: OnceCell::new(),
                writer: writer::Writer::default(),
            }),
        })
    }

    /// Where `ip` is, when a database is configured.
    pub fn locate(&self, ip: Option<IpAddr>) -> geo::Place {
        match (&self.inner.geo, ip) {
            (Some(g), Some(ip)) => g.locate(ip),
            _ => geo::Place::default(),
        }
    }

    /// The key that signs fill-time tokens (migration 19 made it; read once).
    pub async fn key(&self, db: &Db) -> Result<Vec<u8>, AppError> {
        let k = self
            .inner
            .key
            .get_or_try_init(|| async {
                let hexed: Option<String> = db
                    .scalar(
                        Query::select()
                            .column("secret")
                            .from("intake_keys")
                            .order_by("id", sea_query::Order::Asc)
                            .limit(1),
                    )
                    .await?;
                let hexed = hexed.ok_or_else(|| AppError::Other(anyhow::anyhow!("intake_keys is empty")))?;
                hex::decode(hexed).map_err(|e| AppError::Other(anyhow::anyhow!("intake key: {e}")))
            })
            .await?;
        Ok(k.clone())
    }

    /// Counts a submission for lead source `id`; 429 when the source gets more than its allowance.
    pub fn hit_source(&self, id: i64) -> Result<(), AppError> {
        self.inner.per_source.hit(id as u128).map_err(|wait| {
            AppError::TooManyRequests(
                "This form receives too many requests right now. Please try again later.".into(),
                wait,
            )
        })
    }

    /// The group-commit writer of incoming requests.
    pub fn writer(&self) -> &writer::Writer {
        &self.inner.writer
    }

    /// Addresses the per-address limiter tracks now (the flood benchmark reads it).
    pub fn tracked_addresses(&self) -> usize {
        self.inner.per_ip.tracked_keys()
    }
}

/// The client address of an intake request (set by `admit`).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub Option<IpAddr>);

/// Whether an unsafe request to `route` is an intake submission.
pub fn is_intake_route(route: &str) -> bool {
    route == "/add-request/" || route == "/contact-form/:token/"
}

/// Runs before an intake body is read (from the CSRF layer): finds the client address (trusting
/// `X-Forwarded-For` only from `FERROCRM_TRUSTED_PROXIES`) and counts it against the per-address
/// limit (429 with `Retry-After` when over).
pub fn admit(state: &AppState, req: &mut Request) -> Result<(), AppError> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let ip = net::client_ip(peer, &forwarded, &state.config.intake.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip));
    let key = ip.map(net::limit_key).unwrap_or(0);
    state.intake.inner.per_ip.hit(key).map_err(|wait| {
        AppError::TooManyRequests("Too many requests from your address. Please try again later.".into(), wait)
    })
}

/// A lead source as intake sees it.
#[derive(Clone, Debug)]
pub struct Source {
    pub id: i64,
    pub department_id: i64,
    pub name: String,
    pub token: String,
    pub origins: Vec<String>,
}

/// `8-4-4-4-12` hex: the shape of every lead source token (checked before any query).
pub fn token_shape(t: &str) -> bool {
    t.len() == 36
        && t.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// The lead source with form token `token`.
pub async fn source(db: &Db, token: &str) -> Result<Option<Source>, AppError> {
    if !token_shape(token) {
        return Ok(None);
    }
    let row: Option<(i64, i64, String, String, String)> = db
        .fetch_optional(
            &Query::select()
                .columns(["id", "department_id", "name", "token", "allowed_origins"])
                .from("lead_sources")
                .and_where(Expr::col("token").eq(token.to_ascii_lowercase()))
                .to_owned(),
        )
        .await?;
    Ok(row.map(|(id, department_id, name, token, origins)| Source {
        id,
        department_id,
        name,
        token,
        // Validated when saved; parsed again so nothing else can reach a header.
        origins: parse_origins(&origins).unwrap_or_default(),
    }))
}

/// `https://Shop.Example:8443/` → `https://shop.example:8443`; None for anything that is not an
/// http(s) origin (a path, a query, credentials, a wildcard, a quote, a space…).
pub fn origin(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('/');
    let (scheme, rest) = s.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = rest.to_ascii_lowercase();
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        h.parse::<std::net::Ipv6Addr>().ok()?;
        (format!("[{h}]"), after.strip_prefix(':'))
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (rest.clone(), None),
        }
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
    };
    if !host.starts_with('[') && (host.len() > 253 || !host.split('.').all(label_ok)) {
        return None;
    }
    match port {
        Some(p) if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) => None,
        Some(p) => {
            let n: u32 = p.parse().ok()?;
            if n == 0 || n > 65_535 {
                return None;
            }
            Some(format!("{scheme}://{host}:{n}"))
        }
        None => Some(format!("{scheme}://{host}")),
    }
}

/// The allowed origins typed on the lead source page (one a line, or comma-separated): normalised,
/// or the first entry that is not an origin.
pub fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for e in text.split(['\n', ',', ' ']).map(str::trim).filter(|e| !e.is_empty()) {
        let o = origin(e).ok_or_else(|| e.to_string())?;
        if !out.contains(&o) {
            out.push(o);
        }
    }
    Ok(out)
}

/// The `Content-Security-Policy` of the hosted form: the app's, framable by the CRM itself and the
/// lead source's origins, with the captcha's hosts when one is configured.
pub fn form_csp(origins: &[String], captcha: Option<&config::Captcha>) -> String {
    let hosts = captcha.map(captcha::hosts).unwrap_or("");
    let extra = if hosts.is_empty() { String::new() } else { format!(" {hosts}") };
    let frames = if hosts.is_empty() { "'none'".to_string() } else { hosts.to_string() };
    let mut ancestors = String::from("'self'");
    for o in origins.iter().filter_map(|o| origin(o)) {
        ancestors.push(' ');
        ancestors.push_str(&o);
    }
    format!(
        "default-src 'self'; script-src 'self'{extra}; style-src 'self'{extra}; img-src 'self' data:; \
connect-src 'self'{extra}; frame-src {frames}; font-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors {ancestors}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_anything_else_refused() {
        assert_eq!(origin("https://Shop.Example/"), Some("https://shop.example".into()));
        assert_eq!(origin("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080".into()));
        assert_eq!(origin("http://[::1]:8080"), Some("http://[::1]:8080".into()));
        for bad in [
            "shop.example",
            "javascript:alert(1)",
            "https://shop.example/path",
            "https://*.example",
            "https://a b",
            "https://x;script-src *",
            "https://u:p@x.example",
            "https://x.example:99999",
            "https://x.example:",
            "ftp://x.example",
            "https://x.example?q",
            "'self'",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
        assert_eq!(
            parse_origins("https://a.example\nhttps://A.example, http://b.example:81"),
            Ok(vec!["https://a.example".to_string(), "http://b.example:81".to_string()])
        );
        assert_eq!(parse_origins("https://a.example\nnope"), Err("nope".to_string()));
    }

    #[test]
    fn tokens_have_the_uuid_shape() {
        assert!(token_shape("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(!token_shape("0f8fad5b-d9cb-469f-a165-70867728950"));
        assert!(!token_shape("0f8fad5b-d9cb-469f-a165-70867728950g"));
        assert!(!token_shape("0f8fad5bxd9cb-469f-a165-70867728950e"));
    }

    #[test]
    fn the_form_csp_frames_only_listed_origins() {
        let csp = form_csp(&["https://shop.example".into()], None);
        assert!(csp.ends_with("frame-ancestors 'self' https://shop.example"), "{csp}");
        assert!(csp.contains("frame-src 'none'") && !csp.contains("unsafe"));
    }
}
