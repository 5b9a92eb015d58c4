//! The web form's fields (inventory §6.2) and their validation. Both web paths and the API use it.

use crate::error::FormErrors;

/// The hidden field a person never sees or fills (bots fill every field).
pub const HONEYPOT: &str = "homepage";
/// The signed time the form was shown (`token::issue`).
pub const FILL: &str = "form_ts";
/// Most fields a submission may carry (the form has 12).
pub const MAX_FIELDS: usize = 40;
/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 10_000;

/// What was posted, normalised (`text::normalize`), unknown fields ignored, the first of repeated ones kept.
#[derive(Clone, Debug, Default)]
pub struct Posted {
    pub name: String,
    pub email: String,
    pub subject: String,
    pub phone: String,
    pub company: String,
    pub message: String,
    pub country: String,
    pub city: String,
    pub leadsource_token: String,
    pub honeypot: String,
    pub fill: String,
    /// The captcha's answer (`cf-turnstile-response` or `h-captcha-response`).
    pub captcha: String,
    /// More fields than any form has.
    pub too_many: bool,
}

impl Posted {
    pub fn read(pairs: Vec<(String, String)>) -> Posted {
        let mut p = Posted { too_many: pairs.len() > MAX_FIELDS, ..Default::default() };
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in pairs.into_iter().take(MAX_FIELDS) {
            if seen.contains(&k) {
                continue;
            }
            let v = crate::text::normalize(&v).into_owned();
            let slot = match k.as_str() {
                "name" => &mut p.name,
                "email" => &mut p.email,
                "subject" => &mut p.subject,
                "phone" => &mut p.phone,
                "company" => &mut p.company,
                "message" => &mut p.message,
                "country" => &mut p.country,
                "city" => &mut p.city,
                "leadsource_token" => &mut p.leadsource_token,
                HONEYPOT => &mut p.honeypot,
                FILL => &mut p.fill,
                "cf-turnstile-response" | "h-captcha-response" => &mut p.captcha,
                _ => continue,
            };
            *slot = v;
            seen.push(k);
        }
        p
    }

    /// The value of a field by name (re-rendering the form).
    pub fn get(&self, name: &str) -> &str {
        match name {
            "name" => &self.name,
            "email" => &self.email,
            "subject" => &self.subject,
            "phone" => &self.phone,
            "company" => &self.company,
            "message" => &self.message,
            _ => "",
        }
    }
}

/// Control characters (CR, LF, NUL, ESC…) and the Unicode line and paragraph separators: never in
/// a one-line field (they would break the subject and headers of the inbound email record).
fn multi_line(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

fn line(errs: &mut FormErrors, field: &'static str, v: &str, max: usize, required: bool) {
    if required && v.trim().is_empty() {
        errs.add(field, "This field is required.");
    } else if v.chars().count() > max {
        errs.add(field, format!("At most {max} characters."));
    } else if multi_line(v) {
        errs.add(field, "Use one line, without control characters.");
    }
}

/// The visible fields a person fills in, (name, label, input type, autocomplete).
pub const FORM: &[(&str, &str, &str, &str)] = &[
    ("name", "Your name", "text", "name"),
    ("email", "Email", "email", "email"),
    ("phone", "Phone (with country code)", "tel", "tel"),
    ("company", "Company", "text", "organization"),
    ("subject", "Subject", "text", "off"),
];

/// §6.2's rules; `api` also requires the lead source token among the fields.
pub fn validate(p: &Posted, api: bool) -> FormErrors {
    let mut errs = FormErrors::default();
    if p.too_many {
        errs.add("_form", "The form has more fields than expected.");
    }
    line(&mut errs, "name", &p.name, 200, true);
    line(&mut errs, "email", &p.email, 254, true);
    if errs.get("email").is_none() && !crate::crm::fields::is_email(p.email.trim()) {
        errs.add("email", "Enter a valid email address.");
    }
    line(&mut errs, "subject", &p.subject, 200, true);
    line(&mut errs, "phone", &p.phone, 200, true);
    line(&mut errs, "company", &p.company, 200, true);
    if p.message.chars().count() > MAX_MESSAGE {
        errs.add("message", format!("At most {MAX_MESSAGE} characters."));
    }
    line(&mut errs, "country", &p.country, 40, false);
    line(&mut errs, "city", &p.city, 40, false);
    if api && !super::token_shape(p.leadsource_token.trim()) {
        errs.add("leadsource_token", "Enter a valid UUID.");
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Vec<(String, String)> {
        [("name", "Ann Lee"), ("email", "ann@x.example"), ("subject", "Quote"), ("phone", "+1 555"), ("company", "X")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn hostile_fields_are_refused_with_a_message() {
        assert!(validate(&Posted::read(good()), false).is_empty());
        for (field, value) in [
            ("subject", "Hi\r\nBcc: victim@x.example"),
            ("email", "a@x.example\nBcc: b@y.example"),
            ("name", "Ann\u{2028}Lee"),
            ("company", "X\u{1b}[31m"),
        ] {
            let mut pairs = vec![(field.to_string(), value.to_string())];
            pairs.extend(good());
            let errs = validate(&Posted::read(pairs), false);
            assert!(errs.get(field).is_some(), "{field}={value:?} accepted");
        }
        let mut long = vec![("name".to_string(), "x".repeat(201))];
        long.extend(good());
        assert_eq!(validate(&Posted::read(long), false).get("name"), Some("At most 200 characters."));
        let many: Vec<(String, String)> = (0..100).map(|i| (format!("f{i}"), String::new())).collect();
        assert!(validate(&Posted::read(many), false).get("_form").is_some());
        assert!(validate(&Posted::read(good()), true).get("leadsource_token").is_some());
    }
}
