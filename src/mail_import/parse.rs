//! One received message read with mail-parser into what `crm_emails` stores: never a panic,
//! whatever the bytes (the parser runs behind `catch_unwind`), every text cut to its column and
//! without NUL (PostgreSQL cannot store it).

use chrono::{DateTime, Utc};
use mail_parser::{Address, MessageParser, MimeHeaders};

/// Longest stored text body, in characters (the original keeps everything).
const MAX_TEXT: usize = 1_000_000;
/// Longest stored HTML body, in characters.
const MAX_HTML: usize = 2_000_000;
/// Address lists as the email form takes them.
const MAX_ADDRESSES: usize = 2000;

/// A part kept as a file of the email.
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What filing a message needs.
pub struct Parsed {
    /// Without angle brackets; `sha256-<hex>@no-message-id.invalid` when the message has none, so
    /// the same bytes found again (a rescan) are still recognised.
    pub message_id: String,
    pub subject: String,
    /// `Name <address>` or the address.
    pub from: String,
    /// The sender's name, else address (the notice says who wrote).
    pub from_name: String,
    /// The sender's address alone (a request made from the message, §7.3).
    pub from_address: String,
    /// The sender's display name alone (may be empty).
    pub display_name: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub date: Option<DateTime<Utc>>,
    pub text: String,
    /// Empty when the message has no HTML part.
    pub html: String,
    /// The first `[ticket:…]` of the subject, else of the text (§1.5).
    pub ticket: Option<String>,
    /// The message carries the CRM's own header (`X-FerroCRM`).
    pub crm_header: bool,
    pub attachments: Vec<Attachment>,
    /// Attachments over the size limit (name, bytes): left in the original.
    pub too_large: Vec<(String, usize)>,
}

/// The header our own letters carry (the sending side sets it; the import skips such mail).
pub const OWN_HEADER: &str = "X-FerroCRM";

/// Text without NUL, at most `max` characters.
pub fn clean(s: &str, max: usize) -> String {
    s.chars().filter(|c| *c != '\0').take(max).collect()
}

fn addresses(a: Option<&Address<'_>>) -> String {
    let Some(a) = a else { return String::new() };
    let list: Vec<String> = a.iter().filter_map(|x| x.address().map(|s| clean(s.trim(), 320))).collect();
    clean(&list.join(", "), MAX_ADDRESSES)
}

/// The first `[ticket:X]` in `text`: X of 1–16 letters, digits, `-` or `_`.
pub fn ticket_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("[ticket:") {
        let start = from + at + "[ticket:".len();
        let rest = &text[start..];
        if let Some(end) = rest.find(']') {
            let t = rest[..end].trim();
            if (1..=16).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Some(t.to_string());
            }
        }
        from = start;
    }
    None
}

/// Parses `raw`; `None` when mail-parser finds no message in it (or panicked on it).
pub fn parse(raw: &[u8], attachment_max: usize) -> Option<Parsed> {
    std::panic::catch_unwind(|| parse_inner(raw, attachment_max)).ok().flatten()
}

fn parse_inner(raw: &[u8], attachment_max: usize) -> Option<Parsed> {
    let m = MessageParser::default().parse(raw)?;
    let message_id = match m.message_id().map(|s| clean(s.trim(), 900)).filter(|s| !s.is_empty()) {
        Some(id) => id,
        None => format!("sha256-{}@no-message-id.invalid", crate::files::sha256_hex(raw)),
    };
    let subject = clean(m.subject().unwrap_or("").trim(), 250);
    let first = m.from().and_then(|a| a.first());
    let from_addr = first.and_then(|a| a.address()).map(|s| clean(s.trim(), 320)).unwrap_or_default();
    let from_name = first.and_then(|a| a.name()).map(|s| clean(s.trim(), 200)).unwrap_or_default();
    let from = match (from_name.is_empty(), from_addr.is_empty()) {
        (false, false) => format!("{from_name} <{from_addr}>"),
        (true, _) => from_addr.clone(),
        (false, true) => from_name.clone(),
    };
    let date = m
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| DateTime::<Utc>::from_timestamp(d.to_timestamp(), 0))
        // A date before mail existed or far ahead is a wrong clock or a forgery: use the import's.
        .filter(|d| d.timestamp() > 0 && *d < Utc::now() + chrono::Duration::days(2));
    let text = m.body_text(0).map(|t| clean(&t, MAX_TEXT)).unwrap_or_default();
    let has_html = m.html_bodies().any(|p| p.is_text_html());
    let html = if has_html { m.body_html(0).map(|h| clean(&h, MAX_HTML)).unwrap_or_default() } else { String::new() };
    let ticket = ticket_in(&subject).or_else(|| ticket_in(&text));
    let mut attachments = Vec::new();
    let mut too_large = Vec::new();
    for (i, part) in m.attachments().enumerate() {
        let name = part
            .attachment_name()
            .map(|n| clean(n.trim(), 200))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        let bytes = part.contents();
        if bytes.len() > attachment_max {
            too_large.push((name, bytes.len()));
            continue;
        }
        let content_type = part
            .content_type()
            .map(|c| match &c.c_subtype {
                Some(s) => format!("{}/{}", c.c_type, s),
                None => c.c_type.to_string(),
            })
            .map(|t| clean(&t, 100))
            .unwrap_or_else(|| "application/octet-stream".into());
        attachments.push(Attachment { name, content_type, bytes: bytes.to_vec() });
    }
    Some(Parsed {
        message_id,
        subject,
        from,
        display_name: from_name.clone(),
        from_address: from_addr.clone(),
        from_name: if from_name.is_empty() { from_addr } else { from_name },
        to: addresses(m.to()),
        cc: addresses(m.cc()),
        bcc: addresses(m.bcc()),
        date,
        text,
        html,
        ticket,
        crm_header: m.header_raw(OWN_HEADER).is_some(),
        attachments,
        too_large,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_well_formed_ticket_counts() {
        assert_eq!(ticket_in("Re: offer - [ticket:AB12CD] ").as_deref(), Some("AB12CD"));
        assert_eq!(ticket_in("[Ticket:x y] then [TICKET:Q-1_z]").as_deref(), Some("Q-1_z"));
        assert_eq!(ticket_in("[ticket:] [ticket:way-too-long-for-a-ticket]"), None);
        assert_eq!(ticket_in("no ticket [ticket:unterminated"), None);
        assert_eq!(ticket_in("ß [ticket:ÄB] é [ticket:OK]").as_deref(), Some("OK"));
    }

    #[test]
    fn a_message_without_headers_or_id_still_parses_and_gets_a_stable_id() {
        let raw = b"\r\n\r\nJust a body [ticket:T1]\r\n";
        let p = parse(raw, 1024).expect("parsed");
        assert!(p.message_id.starts_with("sha256-") && p.message_id.ends_with("@no-message-id.invalid"));
        assert_eq!(p.message_id, parse(raw, 1024).expect("again").message_id);
        assert_eq!(p.ticket.as_deref(), Some("T1"));
        assert!(p.date.is_none() && p.from.is_empty());
    }

    #[test]
    fn nul_bytes_never_reach_the_text() {
        let raw = b"Subject: a\0b [ticket:T2]\r\nFrom: x@y.example\r\n\r\nbo\0dy\r\n";
        let p = parse(raw, 1024).expect("parsed");
        assert!(!p.subject.contains('\0') && !p.text.contains('\0'));
    }
}
