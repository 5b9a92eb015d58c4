//! Configuration: command-line flags and `FERROCRM_*` environment variables, validated at start.
//!
//! Every setting has a default that runs the app on a laptop with nothing else installed; a production
//! start (`FERROCRM_ENV=production`) refuses settings that are unsafe behind HTTPS.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// All runtime settings. Built from the environment by `Config::from_env`, or in code by tests.
#[derive(Clone)]
pub struct Config {
    /// Address the HTTP server listens on (`FERROCRM_BIND`, default 127.0.0.1:8000).
    pub bind: SocketAddr,
    /// `DATABASE_URL`: `sqlite://data/ferrocrm.db` (default) or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Where the SQLite file, uploaded files and backups live (`FERROCRM_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// Public URL of the site, used in email links (`FERROCRM_BASE_URL`). Never derived from `Host`.
    pub base_url: String,
    /// `FERROCRM_ENV=production` turns on the start-up safety checks.
    pub production: bool,
    /// Mark cookies `Secure` and use the `__Host-` prefix (`FERROCRM_SECURE_COOKIES`; on when base_url is https).
    pub secure_cookies: bool,
    /// Extra origins allowed to post (`FERROCRM_TRUSTED_ORIGINS`, comma separated), besides base_url's.
    pub trusted_origins: Vec<String>,
    /// SMTP server for outgoing mail (`FERROCRM_SMTP_URL`, e.g. `smtp://user:pass@host:587?tls=required`).
    /// When unset, mail stays queued in the outbox until a server is configured.
    pub smtp_url: Option<String>,
    /// Sender address for notifications (`FERROCRM_MAIL_FROM`).
    pub mail_from: String,
    /// Largest accepted request body in bytes (`FERROCRM_MAX_BODY_BYTES`, default 25 MiB); more gets 413.
    pub max_body_bytes: usize,
    /// Time allowed to receive a whole request body (`FERROCRM_BODY_TIMEOUT_SECS`, default 60); then 408.
    pub body_timeout: Duration,
    /// Slowest average rate a body may arrive at, in bytes per second, once `body_grace` has passed
    /// (`FERROCRM_BODY_MIN_RATE`, default 8192; 0 turns the check off); slower gets 408.
    pub body_min_rate: u64,
    /// How long a body may arrive slower than `body_min_rate` at first (`FERROCRM_BODY_GRACE_SECS`, default 10).
    pub body_grace: Duration,
    /// Largest accepted uploaded file in bytes (`FERROCRM_MAX_UPLOAD_BYTES`, default 20 MiB); more gets 413.
    pub max_upload_bytes: usize,
    /// How long a session lives without use (`FERROCRM_SESSION_DAYS`, default 14, as Django).
    pub session_ttl: Duration,
    /// Open live-update streams allowed per user (`FERROCRM_SSE_PER_USER`, default 12 tabs).
    pub sse_per_user: usize,
    /// Database pool size (`FERROCRM_DB_POOL`, default 16).
    pub db_pool: u32,
    /// Bound on all SQLite page caches of the process together, in MiB (`FERROCRM_SQLITE_HEAP_MB`,
    /// default 96; 0: no bound). Each pooled connection may cache 16 MiB; past this bound they
    /// reuse their least recently used pages instead of growing (`PRAGMA soft_heap_limit`).
    pub sqlite_heap_mb: u64,
    /// Keep reports' figures until a change could move them (`FERROCRM_REPORT_CACHE`, default on;
    /// off: every report request computes, as for measuring the cold path). See `analytics::cache`.
    pub report_cache: bool,
    /// Run the outbox and job workers in this process (`FERROCRM_WORKERS`, default on).
    pub workers: bool,
    /// How often workers look for due work when nothing woke them (`FERROCRM_POLL_MS`, default 2000).
    pub poll_interval: Duration,
    /// Failed logins allowed before delays start (`FERROCRM_LOGIN_FREE_FAILURES`, default 5).
    pub login_free_failures: i32,
    /// Base delay after the free failures, doubled per further failure, capped at 5 min (`FERROCRM_LOGIN_DELAY_MS`).
    pub login_base_delay: Duration,
    /// VAT in percent, for the payments list's "with VAT" totals (§13.5, the original's setting
    /// `VAT`; `FERROCRM_VAT_PERCENT`). 20: the most common standard rate in Europe; 0 for none.
    pub vat_percent: u32,
    /// Public request intake: geolocation, trusted proxies, limits, captcha (`requests::intake::config`).
    pub intake: crate::requests::intake::IntakeConfig,
    /// The key that encrypts stored mail passwords (`FERROCRM_SECRET_KEY`: 32 bytes as 64 hex digits or
    /// base64). When unset, the key file `secret.key` in the data directory (created on first start).
    pub secret_key: Option<crate::secrets::Key>,
    /// Time allowed to each part (SMTP, IMAP) of a mail account's "Test connection"
    /// (`FERROCRM_MAIL_TEST_SECS`, default 10).
    pub mail_test_timeout: Duration,
    /// Addresses the CRM's letters may never go to (`FERROCRM_NOT_ALLOWED_EMAILS`, comma-separated,
    /// compared without case; Django-CRM's `NOT_ALLOWED_EMAILS`, §7.1): the compose form refuses them.
    pub not_allowed_emails: Vec<String>,
    /// Mail import (§7.2): how long after one run of an account's IMAP import the next starts
    /// (`FERROCRM_MAIL_IMPORT_SECS`, default 120, Django-CRM's pace), the largest message it fetches
    /// (`FERROCRM_MAIL_IMPORT_MAX_BYTES`, default 50 MiB; larger ones are reported, not filed) and the
    /// largest attachment it keeps as a file of the email (`FERROCRM_MAIL_ATTACHMENT_MAX_BYTES`,
    /// default 25 MiB; larger ones stay in the stored original only).
    pub mail_import_interval: Duration,
    /// Mail servers on private, loopback or link-local addresses may be reached
    /// (`FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS=1`; the tests' Dovecot runs on 127.0.0.1).
    pub mail_allow_private_hosts: bool,
    /// Certificate authorities trusted for mail servers besides Mozilla's roots
    /// (`FERROCRM_MAIL_CA_FILE`: a PEM file with one or more CA certificates, for company mail
    /// servers with an internal CA). Read at start; a file that cannot be used stops the start.
    pub mail_ca_file: Option<PathBuf>,
    pub mail_import_max_bytes: usize,
    pub mail_attachment_max_bytes: usize,
    /// How long the one-click "Task completed" link of a task's notification email works
    /// (`FERROCRM_TASK_LINK_DAYS`, default 14; `tasks::links`).
    pub task_link_ttl: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("base_url", &self.base_url)
            .field("production", &self.production)
            .field("secure_cookies", &self.secure_cookies)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("body_timeout", &self.body_timeout)
            .field("body_min_rate", &self.body_min_rate)
            .field("workers", &self.workers)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("mail_ca_file", &self.mail_ca_file)
            .finish_non_exhaustive()
    }
}

/// Hides the password part of a URL (`scheme://user:***@host/…`) for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

impl Default for Config {
    fn default() -> Self {
        let data_dir = PathBuf::from("data");
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            database_url: "sqlite://data/ferrocrm.db".into(),
            data_dir,
            base_url: "http://127.0.0.1:8000".into(),
            production: false,
            secure_cookies: false,
            trusted_origins: Vec::new(),
            smtp_url: None,
            mail_from: "FerroCRM <noreply@localhost>".into(),
            max_body_bytes: 25 * 1024 * 1024,
            max_upload_bytes: 20 * 1024 * 1024,
            body_timeout: Duration::from_secs(60),
            body_min_rate: 8192,
            body_grace: Duration::from_secs(10),
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            sse_per_user: 12,
            db_pool: 16,
            sqlite_heap_mb: 96,
            report_cache: true,
            workers: true,
            poll_interval: Duration::from_millis(2000),
            login_free_failures: 5,
            login_base_delay: Duration::from_millis(1000),
            vat_percent: 20,
            intake: Default::default(),
            secret_key: None,
            mail_test_timeout: Duration::from_secs(10),
            not_allowed_emails: Vec::new(),
            mail_import_interval: Duration::from_secs(120),
            mail_allow_private_hosts: false,
            mail_ca_file: None,
            mail_import_max_bytes: 50 * 1024 * 1024,
            mail_attachment_max_bytes: 25 * 1024 * 1024,
            task_link_ttl: Duration::from_secs(14 * 24 * 3600),
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match env(name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| anyhow::anyhow!("{name}={v:?} is not a valid value")),
    }
}

fn parse_bool(name: &str) -> anyhow::Result<Option<bool>> {
    match env(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(Some(true)),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(Some(false)),
        Some(v) => anyhow::bail!("{name}={v:?} must be true or false"),
    }
}

impl Config {
    /// Reads the environment over the defaults. `DATABASE_URL` defaults to a file in the data dir.
    pub fn from_env() -> anyhow::Result<Config> {
        let mut c = Config::default();
        if let Some(b) = parse::<SocketAddr>("FERROCRM_BIND")? {
            c.bind = b;
        }
        if let Some(d) = env("FERROCRM_DATA_DIR") {
            c.data_dir = PathBuf::from(d);
        }
        c.database_url =
            env("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", c.data_dir.join("ferrocrm.db").display()));
        c.production = env("FERROCRM_ENV").is_some_and(|e| e.eq_ignore_ascii_case("production"));
        if let Some(u) = env("FERROCRM_BASE_URL") {
            c.base_url = u.trim_end_matches('/').to_string();
        } else {
            c.base_url = format!("http://{}", c.bind);
        }
        c.secure_cookies = parse_bool("FERROCRM_SECURE_COOKIES")?.unwrap_or_else(|| c.base_url.starts_with("https://"));
        c.trusted_origins = env("FERROCRM_TRUSTED_ORIGINS")
            .map(|v| v.split(',').map(|s| s.trim().trim_end_matches('/').to_string()).collect())
            .unwrap_or_default();
        c.smtp_url = env("FERROCRM_SMTP_URL");
        if let Some(f) = env("FERROCRM_MAIL_FROM") {
            c.mail_from = f;
        }
        if let Some(n) = parse::<usize>("FERROCRM_MAX_BODY_BYTES")? {
            c.max_body_bytes = n;
        }
        if let Some(n) = parse::<usize>("FERROCRM_MAX_UPLOAD_BYTES")? {
            c.max_upload_bytes = n;
        }
        if let Some(s) = parse::<u64>("FERROCRM_BODY_TIMEOUT_SECS")? {
            c.body_timeout = Duration::from_secs(s);
        }
        if let Some(n) = parse::<u64>("FERROCRM_BODY_MIN_RATE")? {
            c.body_min_rate = n;
        }
        if let Some(s) = parse::<u64>("FERROCRM_BODY_GRACE_SECS")? {
            c.body_grace = Duration::from_secs(s);
        }
        if let Some(d) = parse::<u64>("FERROCRM_SESSION_DAYS")? {
            c.session_ttl = Duration::from_secs(d * 24 * 3600);
        }
        if let Some(n) = parse::<usize>("FERROCRM_SSE_PER_USER")? {
            c.sse_per_user = n;
        }
        if let Some(n) = parse::<u32>("FERROCRM_DB_POOL")? {
            c.db_pool = n;
        }
        if let Some(n) = parse::<u64>("FERROCRM_SQLITE_HEAP_MB")? {
            c.sqlite_heap_mb = n;
        }
        if let Some(r) = parse_bool("FERROCRM_REPORT_CACHE")? {
            c.report_cache = r;
        }
        if let Some(w) = parse_bool("FERROCRM_WORKERS")? {
            c.workers = w;
        }
        if let Some(ms) = parse::<u64>("FERROCRM_POLL_MS")? {
            c.poll_interval = Duration::from_millis(ms);
        }
        if let Some(n) = parse::<i32>("FERROCRM_LOGIN_FREE_FAILURES")? {
            c.login_free_failures = n;
        }
        if let Some(n) = parse::<u32>("FERROCRM_VAT_PERCENT")? {
            anyhow::ensure!(n <= 100, "FERROCRM_VAT_PERCENT={n} must be between 0 and 100");
            c.vat_percent = n;
        }
        c.intake = crate::requests::intake::IntakeConfig::from_env()?;
        if let Some(k) = env("FERROCRM_SECRET_KEY") {
            c.secret_key = Some(crate::secrets::Key::parse(&k).map_err(|e| {
                anyhow::anyhow!(
                    "FERROCRM_SECRET_KEY must be 32 bytes written as 64 hex digits or base64 (e.g. the output of \
                     `openssl rand -base64 32`), but {e}"
                )
            })?);
        }
        if let Some(s) = parse::<u64>("FERROCRM_MAIL_TEST_SECS")? {
            anyhow::ensure!((1..=120).contains(&s), "FERROCRM_MAIL_TEST_SECS={s} must be between 1 and 120");
            c.mail_test_timeout = Duration::from_secs(s);
        }
        c.not_allowed_emails = env("FERROCRM_NOT_ALLOWED_EMAILS")
            .map(|v| v.split(',').map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if let Some(s) = parse::<u64>("FERROCRM_MAIL_IMPORT_SECS")? {
            anyhow::ensure!((5..=86_400).contains(&s), "FERROCRM_MAIL_IMPORT_SECS={s} must be between 5 and 86400");
            c.mail_import_interval = Duration::from_secs(s);
        }
        c.mail_allow_private_hosts = env("FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS").is_some_and(|v| v.trim() == "1");
        c.mail_ca_file = env("FERROCRM_MAIL_CA_FILE").map(|v| PathBuf::from(v.trim()));
        if let Some(n) = parse::<usize>("FERROCRM_MAIL_IMPORT_MAX_BYTES")? {
            anyhow::ensure!(n >= 64 * 1024, "FERROCRM_MAIL_IMPORT_MAX_BYTES={n} must be at least 65536");
            c.mail_import_max_bytes = n;
        }
        if let Some(n) = parse::<usize>("FERROCRM_MAIL_ATTACHMENT_MAX_BYTES")? {
            c.mail_attachment_max_bytes = n;
        }
        if let Some(d) = parse::<u64>("FERROCRM_TASK_LINK_DAYS")? {
            anyhow::ensure!((1..=365).contains(&d), "FERROCRM_TASK_LINK_DAYS={d} must be between 1 and 365");
            c.task_link_ttl = Duration::from_secs(d * 24 * 3600);
        }
        if let Some(ms) = parse::<u64>("FERROCRM_LOGIN_DELAY_MS")? {
            c.login_base_delay = Duration::from_millis(ms);
        }
        Ok(c)
    }

    /// Refuses a production start on unsafe settings (the `check --deploy` idea).
    pub fn check(&self) -> anyhow::Result<()> {
        if self.max_body_bytes < 1024 {
            anyhow::bail!("FERROCRM_MAX_BODY_BYTES must be at least 1024");
        }
        if self.body_timeout.is_zero() {
            anyhow::bail!("FERROCRM_BODY_TIMEOUT_SECS must be at least 1");
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            anyhow::bail!("FERROCRM_BASE_URL must start with http:// or https://");
        }
        if self.production {
            if !self.base_url.starts_with("https://") {
                anyhow::bail!("production: FERROCRM_BASE_URL must be an https:// URL");
            }
            if !self.secure_cookies {
                anyhow::bail!("production: FERROCRM_SECURE_COOKIES must not be off behind HTTPS");
            }
            if self.smtp_url.is_none() {
                anyhow::bail!("production: FERROCRM_SMTP_URL must be set so notifications are delivered");
            }
        }
        Ok(())
    }

    /// The origin (`scheme://host[:port]`) of the public URL: the one origin unsafe requests may come from.
    pub fn origin(&self) -> String {
        origin_of(&self.base_url)
    }

    /// Name of the session cookie (`__Host-` prefixed when served over HTTPS).
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies { "__Host-ferrocrm_session" } else { "ferrocrm_session" }
    }

    /// Name of the anonymous CSRF cookie used before login.
    pub fn csrf_cookie(&self) -> &'static str {
        if self.secure_cookies { "__Host-ferrocrm_csrf" } else { "ferrocrm_csrf" }
    }
}

/// `https://example.com/path` → `https://example.com`.
pub fn origin_of(url: &str) -> String {
    match url.find("://") {
        Some(s) => match url[s + 3..].find('/') {
            Some(p) => url[..s + 3 + p].to_string(),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(redact_url("postgres://crm:secret@db/crm"), "postgres://crm:***@db/crm");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn debug_output_hides_the_secret_key() {
        let key = crate::secrets::Key::parse(&"ab".repeat(32)).unwrap();
        let c = Config { secret_key: Some(key), ..Config::default() };
        let shown = format!("{c:?}");
        assert!(shown.contains("secret_key: Some(\"***\")"), "{shown}");
        assert!(!shown.to_lowercase().contains("abab"), "{shown}");
    }

    #[test]
    fn production_refuses_plain_http() {
        let c = Config { production: true, ..Config::default() };
        assert!(c.check().is_err());
    }

    #[test]
    fn origin_strips_path() {
        assert_eq!(origin_of("https://crm.example.com/app"), "https://crm.example.com");
        assert_eq!(origin_of("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
    }
}
