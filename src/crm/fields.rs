//! Field descriptors of the CRM's kinds: how a form value becomes a stored value (with the message a
//! user sees when it cannot), how a stored value is shown, and which column holds it. A kind is a list
//! of these plus its own cross-field rules; forms, history diffs, detail pages, lists and the Excel
//! export walk the same list.

use chrono::NaiveDate;

use super::record::{Ty, Val};

/// What a reference points at (its choices are the viewer's: their department's dictionary rows,
/// the companies they may see…; the kind's rules check the chosen id against them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefTo {
    /// A per-department dictionary table (`deal_stages`, `client_types`, `lead_sources`…).
    Dictionary(&'static str),
    /// A global table (`countries`, `currencies`).
    Global(&'static str),
    /// An object of another CRM kind.
    Object(crate::access::ItemKind),
    /// A user (owner, co-owner).
    User,
}

/// How a field is typed in and stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// One line of text, at most `max` characters.
    Text {
        max: usize,
    },
    /// Free text (descriptions).
    LongText,
    /// One address or a comma-separated list of them (§2.2: counterparties' `email`).
    Emails {
        max: usize,
    },
    /// A web address; `example.com` gets `https://`.
    Url {
        max: usize,
    },
    Date,
    /// A checkbox.
    Flag,
    /// An amount, stored in hundredths (`*_cents`).
    Money,
    /// A whole number between `min` and `max`.
    Number {
        min: i64,
        max: i64,
    },
    /// One of fixed choices: (stored slug, label).
    Choice(&'static [(&'static str, &'static str)]),
    /// An id of a row of another table.
    Ref(RefTo),
    /// A moment the system records (a deal's win time): shown, never typed.
    Stamp,
    /// Several rows of a per-department dictionary, kept in a link table (tags, industries): not a
    /// column of the row; `crm::many` reads and writes the links. The value is the sorted ids as
    /// text ("3,7"), so a change shows in the history diff like any field's.
    Many(ManyTo),
}

/// Where a many-to-many field's choices and links live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManyTo {
    /// The department's `crm_tags`, linked through the polymorphic `crm_taggings`.
    Tags,
    /// The department's `industries`, linked through a table of the kind (`company_industries`).
    Industries { link: &'static str, key: &'static str },
    /// The department's `products`, linked through a table of the kind (`request_products`).
    Products { link: &'static str, key: &'static str },
}

impl ManyTo {
    /// The dictionary the ids point into.
    pub fn to(self) -> RefTo {
        match self {
            ManyTo::Tags => RefTo::Dictionary("crm_tags"),
            ManyTo::Industries { .. } => RefTo::Dictionary("industries"),
            ManyTo::Products { .. } => RefTo::Dictionary("products"),
        }
    }
}

/// The ids of a many-to-many value ("3,7"); anything else is none.
pub fn ids(v: &Val) -> Vec<i64> {
    v.text().split(',').filter_map(|p| p.trim().parse().ok()).collect()
}

/// A many-to-many value of `ids`: sorted, each once.
pub fn ids_val(mut ids: Vec<i64>) -> Val {
    ids.sort_unstable();
    ids.dedup();
    Val::Text(ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
}

impl Input {
    /// The column type that holds this input.
    pub fn ty(self) -> Ty {
        match self {
            Input::Text { .. }
            | Input::LongText
            | Input::Emails { .. }
            | Input::Url { .. }
            | Input::Choice(_)
            | Input::Many(_) => Ty::Text,
            Input::Date => Ty::Date,
            Input::Flag => Ty::Bool,
            Input::Money | Input::Number { .. } | Input::Ref(_) => Ty::Int,
            Input::Stamp => Ty::Time,
        }
    }
}

/// One field of a kind.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Its column (and its form field's name).
    pub col: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub required: bool,
    /// A line under the input.
    pub help: &'static str,
    /// What a new row's form starts with (as typed: "on" ticks a box).
    pub default: &'static str,
    /// Typed in the form. The others are kept by the system (a deal's ticket, its stage log) and
    /// only shown.
    pub editable: bool,
}

impl Field {
    pub const fn new(col: &'static str, label: &'static str, input: Input) -> Field {
        Field { col, label, input, required: false, help: "", default: "", editable: true }
    }
    pub const fn required(self) -> Field {
        Field { required: true, ..self }
    }
    pub const fn help(self, help: &'static str) -> Field {
        Field { help, ..self }
    }
    pub const fn default(self, default: &'static str) -> Field {
        Field { default, ..self }
    }
    /// Kept by the system: not in the form.
    pub const fn system(self) -> Field {
        Field { editable: false, ..self }
    }
    /// A column of the kind's table (a many-to-many field lives in a link table instead).
    pub fn in_row(&self) -> bool {
        !matches!(self.input, Input::Many(_))
    }

    /// The stored value of what a user typed (already trimmed of line-break tricks by the form
    /// decoder), or the message to show beside the input.
    pub fn parse(&self, raw: &str) -> Result<Val, String> {
        let s = raw.trim();
        if self.input == Input::Flag {
            return Ok(Val::Bool(matches!(s, "on" | "true" | "1" | "yes")));
        }
        if s.is_empty() {
            return match self.required {
                true => Err("This field is required.".into()),
                false => Ok(self.stored(&Val::Null)),
            };
        }
        match self.input {
            Input::Text { max } => within(s, max).map(|s| Val::Text(s.to_string())),
            Input::LongText => within(raw.trim_end(), 100_000).map(|s| Val::Text(s.to_string())),
            Input::Emails { max } => {
                let list = emails(s)?;
                within(&list, max).map(|_| Val::Text(list.clone()))
            }
            Input::Url { max } => {
                let url = web_address(s)?;
                within(&url, max).map(|_| Val::Text(url.clone()))
            }
            Input::Date => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Val::Date)
                .map_err(|_| "Enter a date as YYYY-MM-DD.".to_string()),
            Input::Flag => Ok(Val::Bool(true)),
            Input::Money => cents(s).map(Val::Int),
            Input::Number { min, max } => match s.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Val::Int(n)),
                _ => Err(format!("Enter a whole number from {min} to {max}.")),
            },
            Input::Choice(options) => options
                .iter()
                .find(|(slug, _)| *slug == s)
                .map(|(slug, _)| Val::Text(slug.to_string()))
                .ok_or_else(|| "Choose one of the listed options.".to_string()),
            Input::Ref(_) => {
                s.parse::<i64>().map(Val::Int).map_err(|_| "Choose one of the listed options.".to_string())
            }
            Input::Stamp => Err("This field is set by the system.".into()),
            Input::Many(_) => {
                let mut out = Vec::new();
                for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    out.push(part.parse::<i64>().map_err(|_| "Choose only from the listed options.".to_string())?);
                }
                Ok(ids_val(out))
            }
        }
    }

    /// The value as its column stores it: text and flags are never NULL (their columns are NOT NULL
    /// with a default, as the original's), so an unset one is "" or false.
    pub fn stored(&self, v: &Val) -> Val {
        match (self.input.ty(), v) {
            (Ty::Text, Val::Null) => Val::Text(String::new()),
            (Ty::Bool, Val::Null) => Val::Bool(false),
            _ => v.clone(),
        }
    }

    /// What a form input shows for a stored value (references: the id; the page shows names).
    pub fn form_value(&self, v: &Val) -> String {
        match (self.input, v) {
            (_, Val::Null) => String::new(),
            (Input::Money, Val::Int(c)) => money(*c),
            (Input::Flag, Val::Bool(b)) => if *b { "on" } else { "" }.to_string(),
            (_, Val::Int(i)) => i.to_string(),
            (_, Val::Text(s)) => s.clone(),
            (_, Val::Bool(b)) => b.to_string(),
            (_, Val::Date(d)) => d.format("%Y-%m-%d").to_string(),
            (_, Val::Time(t)) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// A stored value as people read it; `name` gives the name of a referenced row.
    pub fn show(&self, v: &Val, name: &dyn Fn(RefTo, i64) -> Option<String>) -> String {
        match (self.input, v) {
            (_, Val::Null) => String::new(),
            (Input::Flag, Val::Bool(b)) => if *b { "Yes" } else { "No" }.to_string(),
            (Input::Choice(options), Val::Text(s)) => {
                options.iter().find(|(slug, _)| slug == s).map_or_else(|| s.clone(), |(_, l)| l.to_string())
            }
            (Input::Ref(to), Val::Int(id)) => name(to, *id).unwrap_or_else(|| format!("#{id}")),
            (Input::Many(_), _) => self.names(v, name).join(", "),
            _ => self.form_value(v),
        }
    }
}

impl Field {
    /// The names of a many-to-many value's rows, sorted as people read them.
    pub fn names(&self, v: &Val, name: &dyn Fn(RefTo, i64) -> Option<String>) -> Vec<String> {
        let Input::Many(m) = self.input else { return Vec::new() };
        let mut out: Vec<String> =
            ids(v).into_iter().map(|id| name(m.to(), id).unwrap_or_else(|| format!("#{id}"))).collect();
        out.sort_by_key(|n| n.to_lowercase());
        out
    }
}

fn within(s: &str, max: usize) -> Result<&str, String> {
    let n = s.chars().count();
    if n > max { Err(format!("At most {max} characters (this has {n}).")) } else { Ok(s) }
}

/// A comma-separated list of addresses, each checked, written back as `a@x.org, b@y.org`.
fn emails(s: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for part in s.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        if !is_email(part) {
            return Err(format!("\"{part}\" is not an email address."));
        }
        out.push(part);
    }
    if out.is_empty() {
        return Err("Enter an email address.".into());
    }
    Ok(out.join(", "))
}

/// One plausible address: a local part, one `@`, a domain with a dot, no spaces or brackets.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let ok_chars = |p: &str| !p.is_empty() && !p.chars().any(|c| c.is_whitespace() || "<>()[]\\,;:\"@".contains(c));
    ok_chars(local)
        && ok_chars(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// `example.com/x` → `https://example.com/x`; only http and https, no spaces.
fn web_address(s: &str) -> Result<String, String> {
    const MSG: &str = "Enter a web address such as https://example.com.";
    if !s.contains("://")
        && let Some((_, rest)) = s.split_once(':')
        && !rest.split('/').next().is_some_and(|port| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
    {
        // `javascript:…`, `mailto:…`: another scheme, not a host with a port.
        return Err(MSG.into());
    }
    let url = if s.contains("://") { s.to_string() } else { format!("https://{s}") };
    let lower = url.to_ascii_lowercase();
    let host = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    match host {
        Some(h) if !h.is_empty() && !h.starts_with('/') && !url.chars().any(char::is_whitespace) => Ok(url),
        _ => Err(MSG.into()),
    }
}

/// `1 234,50`? No: `1234.50`, `1,234.50` or `1234` → hundredths. Negative amounts are refused.
pub fn cents(s: &str) -> Result<i64, String> {
    const MSG: &str = "Enter an amount such as 1250.00 (no currency sign).";
    let t: String = s.chars().filter(|c| *c != ',' && *c != ' ' && *c != '\u{a0}').collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
    {
        return Err(MSG.into());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| MSG.to_string())? };
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| MSG.to_string())?;
    // decimal(10,2) in the original: at most 99,999,999.99.
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).filter(|c| *c < 10_000_000_000).ok_or_else(|| MSG.into())
}

/// Hundredths as `1,234.50`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_hundredths_and_print_back() {
        assert_eq!(cents("1250"), Ok(125_000));
        assert_eq!(cents("1,250.5"), Ok(125_050));
        assert_eq!(cents("0.07"), Ok(7));
        assert_eq!(cents(".5"), Ok(50));
        for bad in ["-5", "1.234", "12a", "", ".", "1e5", "100000000"] {
            assert!(cents(bad).is_err(), "{bad}");
        }
        assert_eq!(cents("99999999.99"), Ok(9_999_999_999));
        assert_eq!(money(125_050), "1,250.50");
        assert_eq!(money(7), "0.07");
        assert_eq!(money(123_456_789), "1,234,567.89");
        assert_eq!(money(-100), "-1.00");
    }

    #[test]
    fn email_lists_are_checked_one_by_one_and_normalised() {
        let f = Field::new("email", "Email", Input::Emails { max: 200 }).required();
        assert_eq!(f.parse(" a@x.org,b@y.co ;"), Ok(Val::Text("a@x.org, b@y.co".into())));
        assert_eq!(f.parse(""), Err("This field is required.".into()));
        assert!(f.parse("a@x.org, nope").unwrap_err().contains("\"nope\""));
        for bad in ["a@b", "@b.c", "a@.b", "a b@c.d", "a@b..c", "<a@b.c>"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn each_input_says_what_is_wrong() {
        let text = Field::new("name", "Name", Input::Text { max: 5 }).required();
        assert_eq!(text.parse("  Acme "), Ok(Val::Text("Acme".into())));
        assert!(text.parse("Acme Corp").unwrap_err().starts_with("At most 5"));
        let date = Field::new("d", "Date", Input::Date);
        assert_eq!(date.parse(""), Ok(Val::Null));
        assert_eq!(Field::new("p", "Phone", Input::Text { max: 9 }).parse(" "), Ok(Val::Text(String::new())));
        assert!(date.parse("03/12/2026").is_err());
        let url = Field::new("w", "Website", Input::Url { max: 200 });
        assert_eq!(url.parse("example.com"), Ok(Val::Text("https://example.com".into())));
        assert!(url.parse("javascript:alert(1)").is_err());
        assert_eq!(url.parse("example.com:8080/x"), Ok(Val::Text("https://example.com:8080/x".into())));
        assert!(url.parse("ftp://x.org").is_err());
        let pct = Field::new("p", "Probability", Input::Number { min: 0, max: 100 });
        assert!(pct.parse("101").is_err());
        let choice = Field::new("s", "Sex", Input::Choice(&[("M", "Male"), ("F", "Female")]));
        assert_eq!(choice.parse("F"), Ok(Val::Text("F".into())));
        assert!(choice.parse("X").is_err());
        let flag = Field::new("f", "Flag", Input::Flag);
        assert_eq!(flag.parse(""), Ok(Val::Bool(false)));
        assert_eq!(flag.parse("on"), Ok(Val::Bool(true)));
        let money_field = Field::new("amount_cents", "Amount", Input::Money);
        assert_eq!(money_field.form_value(&Val::Int(150)), "1.50");
        assert_eq!(choice.show(&Val::Text("M".into()), &|_, _| None), "Male");
    }
}
