//! Text rules for what comes in and what goes out: line breaks, NUL, Unicode direction controls.
//!
//! Every form field is normalised once, where forms are decoded (`web::Form`, `files::Uploaded`), so
//! no handler sees a CR or a NUL. Outgoing live events use `unify_line_breaks` again (`events`),
//! because the SSE format treats CR, LF and CRLF alike as the end of a field.

use std::borrow::Cow;

/// User text as it is stored: every line break is LF (CRLF and a lone CR become LF) and NUL is
/// dropped (PostgreSQL cannot store it, and "\0" must not pass an "is it empty?" check).
pub fn normalize(s: &str) -> Cow<'_, str> {
    if !s.contains(['\r', '\0']) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(unify_line_breaks(s).chars().filter(|c| *c != '\0').collect())
}

/// CRLF and a lone CR become LF.
pub fn unify_line_breaks(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Invisible characters that reorder the text around them (Trojan-Source style): `evil\u{202E}gnp.exe`
/// shows as "evilexe.png". Embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, the marks
/// U+200E, U+200F and U+061C. Dropped from file names; free text keeps them (right-to-left writers
/// use the marks).
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The key a name is looked up by regardless of case and spacing: trimmed, inner whitespace one
/// space, lower-cased. Stored beside the name (the CRM's `*_key` columns: contact and lead names,
/// tags, cities), so a case-insensitive comparison is an index look-up on both backends.
pub fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A company name's match key: its letters and digits, lower-cased. Request intake matches a typed
/// company name "ignoring case and punctuation" (`companies.name_key`): "ACME, Inc." = "Acme Inc".
pub fn match_key(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_spacing_and_for_companies_punctuation() {
        assert_eq!(fold("  Ölaf \t VAN  der Berg "), "ölaf van der berg");
        assert_eq!(match_key("ACME, Inc."), match_key("Acme Inc"));
        assert_eq!(match_key("Müller & Söhne GmbH"), "müllersöhnegmbh");
        assert_ne!(match_key("Plant 1"), match_key("Plant 2"));
    }

    #[test]
    fn line_breaks_become_lf_and_nul_goes() {
        assert_eq!(normalize("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(normalize("\r\r\n\n"), "\n\n\n");
        assert_eq!(normalize("\0"), "");
        assert_eq!(normalize("a\0b\r"), "ab\n");
        assert!(matches!(normalize("plain\ttext \u{2028} ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn direction_controls_are_recognised() {
        let all = "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\u{200E}\u{200F}\u{061C}";
        assert!(all.chars().all(is_direction_control));
        assert!(!"abc אבג \u{200D}\u{2028}".chars().any(is_direction_control));
    }
}
