//! The checks of a letter written in the compose form (`emails::compose`): the address lists (one
//! plain address each, no control character: no header injection, none of
//! `FERROCRM_NOT_ALLOWED_EMAILS`), the subject with its ticket, the text with its footnote, the
//! writer's own signatures.

use super::compose::{ComposeForm, Context, footnote, mark};
use crate::error::FormErrors;

/// The addresses of a comma (or semicolon) list.
pub fn addresses(list: &str) -> Vec<String> {
    list.split([',', ';']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect()
}

/// Checks an address list: each a plain address, no control character, none not allowed.
/// Returns the list written back as `a@x.org, b@y.org`.
fn check_list(list: &str, not_allowed: &[String], required: bool) -> Result<String, String> {
    if list.chars().any(|c| c.is_control()) {
        return Err("Addresses may not contain line breaks or control characters.".into());
    }
    let all = addresses(list);
    if all.is_empty() && required {
        return Err("Enter at least one address.".into());
    }
    for a in &all {
        if !crate::crm::fields::is_email(a) || a.parse::<lettre::Address>().is_err() {
            return Err(format!("\"{a}\" is not an email address."));
        }
        if not_allowed.iter().any(|n| n.eq_ignore_ascii_case(a)) {
            return Err(format!("Not allowed address: {a}."));
        }
    }
    let joined = all.join(", ");
    if joined.chars().count() > 2000 {
        return Err("At most 2000 characters.".into());
    }
    Ok(joined)
}

/// The checked letter.
pub struct Checked {
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub content: String,
    pub signature: Option<i64>,
}

/// The form's messages, or the letter. `sending`: subject and text are required (§7.1 "Send").
pub fn check(
    f: &ComposeForm,
    cx: &Context,
    not_allowed: &[String],
    signatures: &[i64],
    sending: bool,
) -> Result<Checked, FormErrors> {
    let mut errs = FormErrors::default();
    let mut list = |name: &'static str, value: &str, required: bool| match check_list(value, not_allowed, required) {
        Ok(v) => v,
        Err(e) => {
            errs.add(name, e);
            String::new()
        }
    };
    let to = list("to", &f.to, true);
    let cc = list("cc", &f.cc, false);
    let bcc = list("bcc", &f.bcc, false);
    let mut subject = f.subject.trim().to_string();
    if f.subject.chars().any(|c| c.is_control()) {
        errs.add("subject", "The subject must be one line, without control characters.");
    } else if subject.is_empty() && sending {
        errs.add("subject", "Enter a subject.");
    } else if !cx.ticket.is_empty() && !subject.contains(&mark(&cx.ticket)) {
        subject = format!("{subject} - {}", mark(&cx.ticket)).trim_start_matches(" - ").to_string();
    }
    if subject.chars().count() > 250 {
        errs.add("subject", format!("At most 250 characters with the ticket (this has {}).", subject.chars().count()));
    }
    let mut content = f.content.trim_end().to_string();
    if content.trim().is_empty() && sending {
        errs.add("content", "Write the letter.");
    }
    if content.chars().count() > 100_000 {
        errs.add("content", "At most 100,000 characters.");
    }
    if !cx.ticket.is_empty() && !content.contains(&mark(&cx.ticket)) {
        content = format!("{content}\n\n\n\n{}", footnote(&cx.ticket)).trim_start().to_string();
    }
    let signature = match f.signature_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) if signatures.contains(&id) => Some(id),
            _ => {
                errs.add("signature_id", "Choose one of your signatures.");
                None
            }
        },
    };
    errs.finish(Checked { to, cc, bcc, subject, content, signature })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emails::compose::Body;

    fn cx(ticket: &str) -> Context {
        Context { ticket: ticket.into(), ..Default::default() }
    }

    #[test]
    fn subjects_and_bodies_carry_the_ticket_once() {
        let f = ComposeForm {
            to: "a@x.org".into(),
            subject: "Offer".into(),
            content: "Hello".into(),
            ..Default::default()
        };
        let c = check(&f, &cx("ABC"), &[], &[], true).map_err(|e| e.0).unwrap();
        assert_eq!(c.subject, "Offer - [ticket:ABC]");
        assert!(c.content.ends_with(&footnote("ABC")));
        let again = ComposeForm { subject: c.subject.clone(), content: c.content.clone(), ..f };
        let c2 = check(&again, &cx("ABC"), &[], &[], true).map_err(|e| e.0).unwrap();
        assert_eq!(c2.subject, c.subject);
        assert_eq!(c2.content.matches("[ticket:ABC]").count(), 1);
    }

    #[test]
    fn addresses_and_subjects_refuse_header_injection_and_not_allowed_ones() {
        let bad = |to: &str, subject: &str| {
            let f = ComposeForm { to: to.into(), subject: subject.into(), content: "x".into(), ..Default::default() };
            check(&f, &cx(""), &["crm@ours.example".into()], &[], true).err().map(|e| e.0)
        };
        assert!(bad("a@x.org", "Hi").is_none());
        assert_eq!(bad("a@x.org\nBcc: b@y.org", "Hi").unwrap()[0].0, "to");
        assert_eq!(bad("a@x.org", "Hi\nBcc: b@y.org").unwrap()[0].0, "subject");
        assert_eq!(bad("a@x.org", "Hi\rBcc: b@y.org").unwrap()[0].0, "subject");
        assert!(bad("CRM@ours.example", "Hi").unwrap()[0].1.starts_with("Not allowed address"));
        assert!(bad("nope", "Hi").unwrap()[0].1.contains("\"nope\""));
        assert_eq!(bad("", "Hi").unwrap()[0].0, "to");
    }

    #[test]
    fn the_html_body_is_escaped() {
        let b = Body { content: "<script>x</script>\n\nok", signature: "<b>me</b>", prev_corr: "> <img>" };
        let h = b.html().into_string();
        assert!(!h.contains("<script>") && !h.contains("<b>") && !h.contains("<img>"));
        assert!(b.text().contains("-- \n<b>me</b>"));
    }
}
