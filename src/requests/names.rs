//! STUB (helper B's branch): Helper A owns this file; the merge takes A's version (§6.5 with the
//! honorifics). Here: words split on whitespace, first / middle / last.

pub struct FullName {
    pub first: String,
    pub middle: String,
    pub last: String,
}

pub fn parse_full_name(s: &str) -> FullName {
    let words: Vec<&str> = s.split_whitespace().collect();
    match words.len() {
        0 => FullName { first: String::new(), middle: String::new(), last: String::new() },
        1 => FullName { first: words[0].into(), middle: String::new(), last: String::new() },
        n => FullName { first: words[0].into(), middle: words[1..n - 1].join(" "), last: words[n - 1].into() },
    }
}

/// `Err(message)` when a first name is only an honorific ("Invalid value").
pub fn check_first_name(first: &str) -> Result<(), &'static str> {
    const BARE: [&str; 6] = ["mr", "mrs", "ms", "miss", "dr", "prof"];
    let t = first.trim().trim_end_matches('.').to_lowercase();
    if BARE.contains(&t.as_str()) { Err("Invalid value") } else { Ok(()) }
}
