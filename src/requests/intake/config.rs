//! The intake's settings (`FERROCRM_GEOIP_DB`, `FERROCRM_TRUSTED_PROXIES`, `FERROCRM_INTAKE_*`,
//! `FERROCRM_CAPTCHA_*`), part of `Config`.

use std::path::PathBuf;
use std::time::Duration;

use super::net::Cidr;

/// Which captcha the web forms show when keys are configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptchaKind {
    Turnstile,
    HCaptcha,
}

#[derive(Clone, Debug)]
pub struct Captcha {
    pub kind: CaptchaKind,
    pub site_key: String,
    pub secret: String,
}

#[derive(Clone, Debug)]
pub struct IntakeConfig {
    /// A City database in MaxMind DB format (GeoLite2-City, DB-IP City Lite): `FERROCRM_GEOIP_DB`.
    /// None: requests from the web form get no location.
    pub geoip_db: Option<PathBuf>,
    /// Proxies whose `X-Forwarded-For` is believed (`FERROCRM_TRUSTED_PROXIES`, comma-separated
    /// addresses or CIDR blocks). Empty: the TCP peer is the client.
    pub trusted_proxies: Vec<Cidr>,
    /// Submissions per client address (IPv6: per /64) per minute (`FERROCRM_INTAKE_PER_IP`, 10).
    pub per_ip: u32,
    /// Submissions per lead source per minute (`FERROCRM_INTAKE_PER_SOURCE`, 600).
    pub per_source: u32,
    /// Addresses the limiter tracks at most (`FERROCRM_INTAKE_TRACKED`, 50,000): its memory bound.
    pub tracked: usize,
    /// Largest accepted form body (`FERROCRM_INTAKE_MAX_BODY`, 32 KiB); more gets 413.
    pub max_body: usize,
    /// A web form posted sooner than this after it was shown is a bot's (`FERROCRM_FORM_MIN_FILL_SECS`, 3).
    pub min_fill: Duration,
    /// A form older than this must be reloaded (24 h).
    pub max_form_age: Duration,
    /// `FERROCRM_CAPTCHA=turnstile|hcaptcha` with `FERROCRM_CAPTCHA_SITE_KEY` and `FERROCRM_CAPTCHA_SECRET`.
    pub captcha: Option<Captcha>,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            geoip_db: None,
            trusted_proxies: Vec::new(),
            per_ip: 10,
            per_source: 600,
            tracked: 50_000,
            max_body: 32 * 1024,
            min_fill: Duration::from_secs(3),
            max_form_age: Duration::from_secs(24 * 3600),
            captcha: None,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn number<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    env(name).map(|v| v.parse::<T>().map_err(|_| anyhow::anyhow!("{name}={v:?} is not a valid number"))).transpose()
}

impl IntakeConfig {
    pub fn from_env() -> anyhow::Result<IntakeConfig> {
        let mut c = IntakeConfig { geoip_db: env("FERROCRM_GEOIP_DB").map(PathBuf::from), ..Default::default() };
        if let Some(list) = env("FERROCRM_TRUSTED_PROXIES") {
            c.trusted_proxies = Cidr::parse_list(&list)
                .map_err(|bad| anyhow::anyhow!("FERROCRM_TRUSTED_PROXIES: {bad:?} is not an address or CIDR block"))?;
        }
        if let Some(n) = number("FERROCRM_INTAKE_PER_IP")? {
            c.per_ip = n;
        }
        if let Some(n) = number("FERROCRM_INTAKE_PER_SOURCE")? {
            c.per_source = n;
        }
        if let Some(n) = number("FERROCRM_INTAKE_TRACKED")? {
            c.tracked = n;
        }
        if let Some(n) = number("FERROCRM_INTAKE_MAX_BODY")? {
            c.max_body = n;
        }
        if let Some(s) = number::<u64>("FERROCRM_FORM_MIN_FILL_SECS")? {
            c.min_fill = Duration::from_secs(s);
        }
        if let Some(kind) = env("FERROCRM_CAPTCHA") {
            let kind = match kind.to_ascii_lowercase().as_str() {
                "turnstile" => CaptchaKind::Turnstile,
                "hcaptcha" => CaptchaKind::HCaptcha,
                other => anyhow::bail!("FERROCRM_CAPTCHA={other:?}: use turnstile or hcaptcha"),
            };
            let (Some(site_key), Some(secret)) = (env("FERROCRM_CAPTCHA_SITE_KEY"), env("FERROCRM_CAPTCHA_SECRET"))
            else {
                anyhow::bail!("FERROCRM_CAPTCHA needs FERROCRM_CAPTCHA_SITE_KEY and FERROCRM_CAPTCHA_SECRET");
            };
            c.captcha = Some(Captcha { kind, site_key, secret });
        }
        anyhow::ensure!(c.max_body >= 1024, "FERROCRM_INTAKE_MAX_BODY must be at least 1024");
        anyhow::ensure!(c.tracked >= 16, "FERROCRM_INTAKE_TRACKED must be at least 16");
        Ok(c)
    }
}
