//! §6.5 name parsing: a full name typed in a web form into first, middle and last name, with a
//! leading honorific ("Mr.", "Dr.", "Ph.D."…) kept with the first name.

/// The honorifics of the original's `NAME_PREFIXES`, as they are written back.
pub const PREFIXES: &[&str] = &[
    "Mr.", "Mrs.", "Ms.", "Miss", "Mx.", "Dr.", "Prof.", "Eng.", "Md.", "PhD", "Ph.D.", "Rev.", "Fr.", "Sr.", "Sra.",
    "Sir", "Lady", "Hon.", "Capt.", "Col.", "Lt.", "Maj.", "Gen.", "Judge", "Mister", "Mme.", "Mlle.",
];

/// Longest middle name kept (the original's 90 characters); first and last name fit their columns.
const MIDDLE_MAX: usize = 90;
const NAME_MAX: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FullName {
    pub first: String,
    pub middle: String,
    pub last: String,
}

/// A prefix's letters, lower-cased ("ph.d." → "phd").
fn letters(p: &str) -> String {
    p.chars().filter(|c| *c != '.').flat_map(char::to_lowercase).collect()
}

/// The honorific `s` starts with, and the rest of `s` after it (and its dot and spaces). An honorific
/// matches case-insensitively, with or without its dots, and must end the word or be followed by a
/// dot: "mr.Pablo" and "MR Pablo" have one, "Mrs" is not "Mr" + "s", "Frank" does not start with
/// "Fr.", "Sra." is not "Sr.".
fn split_prefix(s: &str) -> Option<(&'static str, &str)> {
    let mut best: Option<(&'static str, &str)> = None;
    for p in PREFIXES {
        let want: Vec<char> = letters(p).chars().collect();
        let mut chars = s.char_indices().peekable();
        let mut matched = 0;
        let mut end = 0;
        while matched < want.len() {
            match chars.next() {
                Some((i, c)) if c.to_lowercase().eq(std::iter::once(want[matched])) => {
                    matched += 1;
                    end = i + c.len_utf8();
                }
                // Inner dots of "Ph.D." may be typed or not.
                Some((i, '.')) if matched > 0 => end = i + 1,
                _ => break,
            }
        }
        if matched < want.len() {
            continue;
        }
        let typed_dots = s[..end].contains('.');
        let rest = &s[end..];
        let ok = match rest.chars().next() {
            None => true,
            Some('.') => true,
            Some(c) => c.is_whitespace(),
        };
        if !ok {
            continue;
        }
        let rest = rest.strip_prefix('.').unwrap_or(rest).trim_start();
        // The longest honorific wins; of "PhD" and "Ph.D.", the one written as typed.
        let inner_dots = p.trim_end_matches('.').contains('.');
        let better = match best {
            None => true,
            Some((b, _)) => {
                letters(b).len() < want.len() || (letters(b).len() == want.len() && inner_dots == typed_dots)
            }
        };
        if better {
            best = Some((p, rest));
        }
    }
    best
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect::<String>().trim_end().to_string()
}

/// Splits a full name: one word → first name; two → first and last; more → first, the inner words
/// as middle name, last. A leading honorific stays with the first name, written as in `PREFIXES`
/// ("mr.Pablo Picasso" → "Mr. Pablo", "", "Picasso").
pub fn parse_full_name(s: &str) -> FullName {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (prefix, rest) = match split_prefix(&s) {
        Some((p, rest)) => (Some(p), rest.to_string()),
        None => (None, s.clone()),
    };
    let words: Vec<&str> = rest.split(' ').filter(|w| !w.is_empty()).collect();
    let (first, middle, last) = match words.as_slice() {
        [] => ("", String::new(), ""),
        [one] => (*one, String::new(), ""),
        [a, b] => (*a, String::new(), *b),
        [a, inner @ .., z] => (*a, inner.join(" "), *z),
    };
    let first = match (prefix, first) {
        (Some(p), "") => p.to_string(),
        (Some(p), f) => format!("{p} {f}"),
        (None, f) => f.to_string(),
    };
    FullName { first: cut(&first, NAME_MAX), middle: cut(&middle, MIDDLE_MAX), last: cut(last, NAME_MAX) }
}

/// `Err(message)` when a first name is only an honorific ("Dr.", "mr", "PH.D"): "Invalid value".
pub fn check_first_name(first: &str) -> Result<(), &'static str> {
    let l = letters(first.trim());
    if !l.is_empty() && PREFIXES.iter().any(|p| letters(p) == l) { Err("Invalid value") } else { Ok(()) }
}

/// §6.5 on every save of a person (contact persons, leads, requests): the first name's honorific
/// written as in `PREFIXES` ("mr.Pablo" → "Mr. Pablo"), and a whole name typed into the first name
/// alone (middle and last name empty) split like a web form's name. A first name that is only an
/// honorific is refused ("Invalid value"). Other names are kept as typed, spaces collapsed.
pub fn tidy(n: &FullName) -> Result<FullName, String> {
    let first = n.first.split_whitespace().collect::<Vec<_>>().join(" ");
    if first.is_empty() {
        return Ok(n.clone());
    }
    check_first_name(&first)?;
    if split_prefix(&first).is_some_and(|(_, rest)| rest.is_empty()) {
        return Err("Invalid value".into());
    }
    let out = if n.middle.trim().is_empty() && n.last.trim().is_empty() && first.contains(' ') {
        parse_full_name(&first)
    } else {
        let first = match split_prefix(&first) {
            Some((p, rest)) => format!("{p} {rest}"),
            None => first,
        };
        FullName { first, ..n.clone() }
    };
    // "mr.X" grows by two characters when written back; the column holds `NAME_MAX`.
    let len = out.first.chars().count();
    if len > NAME_MAX {
        return Err(format!("At most {NAME_MAX} characters (this has {len})."));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(first: &str, middle: &str, last: &str) -> FullName {
        FullName { first: first.into(), middle: middle.into(), last: last.into() }
    }

    #[test]
    fn words_become_first_middle_last() {
        assert_eq!(parse_full_name("  Pablo  "), n("Pablo", "", ""));
        assert_eq!(parse_full_name("Pablo\tPicasso"), n("Pablo", "", "Picasso"));
        assert_eq!(parse_full_name("Pablo Diego José Picasso"), n("Pablo", "Diego José", "Picasso"));
        assert_eq!(parse_full_name(""), n("", "", ""));
        let long = format!("A {} Z", "m".repeat(200));
        assert_eq!(parse_full_name(&long).middle.chars().count(), 90);
    }

    #[test]
    fn honorific_lookalikes_are_names() {
        assert_eq!(parse_full_name("Frank Miller"), n("Frank", "", "Miller"));
        assert_eq!(parse_full_name("Mrsa Bell"), n("Mrsa", "", "Bell"));
        assert_eq!(parse_full_name("Colin Firth"), n("Colin", "", "Firth"));
        assert_eq!(parse_full_name("Sra. Maria Lopez"), n("Sra. Maria", "", "Lopez"));
        assert_eq!(parse_full_name("Sr. Juan Lopez"), n("Sr. Juan", "", "Lopez"));
    }

    #[test]
    fn tidy_writes_the_honorific_back_and_splits_a_whole_name_typed_alone() {
        let t = |f: &str, m: &str, l: &str| tidy(&n(f, m, l));
        assert_eq!(t("mr.Pablo", "", ""), Ok(n("Mr. Pablo", "", "")));
        assert_eq!(t("DR  Ann", "", "Lee"), Ok(n("Dr. Ann", "", "Lee")));
        assert_eq!(t("mr.Pablo Picasso", "", ""), Ok(n("Mr. Pablo", "", "Picasso")));
        assert_eq!(t("Mary Ann", "", "Smith"), Ok(n("Mary Ann", "", "Smith")));
        assert_eq!(t("Pablo Diego Picasso", "", ""), Ok(n("Pablo", "Diego", "Picasso")));
        assert_eq!(t("Pablo", "", ""), Ok(n("Pablo", "", "")));
        assert_eq!(t("", "", "Lee"), Ok(n("", "", "Lee")));
        for bare in ["Dr.", "mr", " PH.D ", "Mister", "mlle."] {
            assert_eq!(t(bare, "", "Lee"), Err("Invalid value".to_string()), "{bare:?}");
        }
        assert!(t(&format!("mr.{}", "x".repeat(97)), "", "").is_err());
        // Written back as it was written: a second save changes nothing.
        for typed in ["mr.Pablo Picasso", "ph.d. Ann Lee", "Sra Maria"] {
            let once = t(typed, "", "").unwrap_or_default();
            assert_eq!(tidy(&once), Ok(once.clone()), "{typed:?}");
        }
    }
}
