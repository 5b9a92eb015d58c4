//! The optional captcha (Cloudflare Turnstile or hCaptcha), when `FERROCRM_CAPTCHA` and its keys are
//! set. Unlike the original (which checked reCAPTCHA only when the field was present), a configured
//! captcha is required: a post without its answer is refused.

use super::config::{Captcha, CaptchaKind};

/// The hosts the form page must allow (script, frame, style, connect).
pub fn hosts(c: &Captcha) -> &'static str {
    match c.kind {
        CaptchaKind::Turnstile => "https://challenges.cloudflare.com",
        CaptchaKind::HCaptcha => "https://hcaptcha.com https://*.hcaptcha.com",
    }
}

/// The widget's script.
pub fn script(c: &Captcha) -> &'static str {
    match c.kind {
        CaptchaKind::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/api.js",
        CaptchaKind::HCaptcha => "https://js.hcaptcha.com/1/api.js",
    }
}

/// The class of the element the widget renders into.
pub fn widget_class(c: &Captcha) -> &'static str {
    match c.kind {
        CaptchaKind::Turnstile => "cf-turnstile",
        CaptchaKind::HCaptcha => "h-captcha",
    }
}

/// The server-side check: where to post, and the url-encoded body (secret, the visitor's answer,
/// their address).
pub fn verify_request(c: &Captcha, response: &str, ip: Option<std::net::IpAddr>) -> (&'static str, String) {
    let url = match c.kind {
        CaptchaKind::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        CaptchaKind::HCaptcha => "https://api.hcaptcha.com/siteverify",
    };
    let mut body = form_urlencoded(&[("secret", &c.secret), ("response", response)]);
    if let Some(ip) = ip {
        body.push('&');
        body.push_str(&form_urlencoded(&[("remoteip", &ip.to_string())]));
    }
    (url, body)
}

fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    serde_html_form::to_string(pairs).unwrap_or_default()
}

/// Whether a siteverify answer (JSON) says the visitor passed.
pub fn passed(answer: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(answer)
        .ok()
        .and_then(|v| v.get("success").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

/// Asks the captcha service. Any failure (network, timeout, bad answer) counts as not passed.
pub async fn verify(c: &Captcha, response: &str, ip: Option<std::net::IpAddr>) -> bool {
    if response.is_empty() || response.len() > 4096 {
        return false;
    }
    let (url, body) = verify_request(c, response, ip);
    match tokio::time::timeout(std::time::Duration::from_secs(10), super::https::post_form(url, &body)).await {
        Ok(Ok(answer)) => passed(&answer),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "captcha verification failed");
            false
        }
        Err(_) => {
            tracing::warn!("captcha verification timed out");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_siteverify_request_carries_secret_answer_and_address() {
        let c = Captcha { kind: CaptchaKind::Turnstile, site_key: "site".into(), secret: "s&cret".into() };
        let (url, body) = verify_request(&c, "ans wer", "203.0.113.5".parse().ok());
        assert_eq!(url, "https://challenges.cloudflare.com/turnstile/v0/siteverify");
        assert_eq!(body, "secret=s%26cret&response=ans+wer&remoteip=203.0.113.5");
        let h = Captcha { kind: CaptchaKind::HCaptcha, ..c };
        assert_eq!(verify_request(&h, "a", None).0, "https://api.hcaptcha.com/siteverify");
        assert!(passed(br#"{"success":true}"#));
        assert!(!passed(br#"{"success":false,"error-codes":["invalid-input-response"]}"#));
        assert!(!passed(b"<html>"));
    }
}
