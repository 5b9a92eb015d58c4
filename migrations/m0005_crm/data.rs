//! The rows a new installation starts with (inventory §16.3): countries and currencies for
//! everyone, and for each department its own deal stages, closing reasons, client types,
//! industries and lead sources. Names stay in English, lower-case as in the original; they are
//! translated where they are shown.

use sea_query::{InsertStatement, Query, SimpleExpr};

use super::super::Stmt;

/// Deal stages in order: (name, default, second default, conditional success, goods shipped, success).
const STAGES: &[(&str, bool, bool, bool, bool, bool)] = &[
    ("request", true, false, false, false, false),
    ("analysis of request", false, true, false, false, false),
    ("clarification of the requirements", false, false, false, false, false),
    ("price offer", false, false, false, false, false),
    ("commercial proposal", false, false, false, false, false),
    ("commercial offer", false, false, false, false, false),
    ("agreement", false, false, false, false, false),
    ("invoice", false, false, false, false, false),
    ("receiving the first payment", false, false, true, false, false),
    ("shipment", false, false, false, true, false),
    ("closed (successful)", false, false, false, false, true),
];

/// Closing reasons in order: (name, success).
const CLOSING_REASONS: &[(&str, bool)] = &[
    ("The client is not responding", false),
    ("Specifications are not suitable", false),
    ("The deal was closed successfully", true),
    ("Purchase postponed", false),
    ("The price is not competitive", false),
];

const CLIENT_TYPES: &[&str] = &["distributor", "dealer", "reseller", "end customer", "competitor"];

const INDUSTRIES: &[&str] = &[
    "railway",
    "aviation",
    "oil & gas",
    "power generation",
    "metallurgy",
    "shipbuilding",
    "automotive industry",
    "capital construction",
    "service companies",
    "educational institutions",
];

const LEAD_SOURCES: &[&str] = &["distributor", "website form", "website email", "exhibition", "website form (iframe)"];

/// (code, rate to the state currency, rate to the marketing currency, state, marketing), rates × 10^8:
/// USD is the marketing currency (1 USD = 0.83 EUR), EUR the state currency (1 EUR = 1.2 USD).
const CURRENCIES: &[(&str, i64, i64, bool, bool)] =
    &[("USD", 83_000_000, 100_000_000, false, true), ("EUR", 100_000_000, 120_000_000, true, false)];

/// (name, comma-separated alternative names). The original's list (201 rows) without its
/// "(not set)" row and its two double entries (Cape Verde, East Timor), which are alternative
/// names here; a few current names replace former ones, kept as alternatives.
const COUNTRIES: &[(&str, &str)] = &[
    ("Afghanistan", ""),
    ("Albania", ""),
    ("Algeria", ""),
    ("Andorra", ""),
    ("Angola", ""),
    ("Antigua and Barbuda", ""),
    ("Argentina", ""),
    ("Armenia", ""),
    ("Australia", ""),
    ("Austria", ""),
    ("Azerbaijan", ""),
    ("Bahamas", "The Bahamas"),
    ("Bahrain", ""),
    ("Bangladesh", ""),
    ("Barbados", ""),
    ("Belarus", ""),
    ("Belgium", ""),
    ("Belize", ""),
    ("Benin", ""),
    ("Bhutan", ""),
    ("Bolivia", ""),
    ("Bosnia and Herzegovina", ""),
    ("Botswana", ""),
    ("Brazil", ""),
    ("Brunei", "Brunei Darussalam"),
    ("Bulgaria", ""),
    ("Burkina Faso", ""),
    ("Burundi", ""),
    ("Cabo Verde", "Cape Verde"),
    ("Cambodia", ""),
    ("Cameroon", ""),
    ("Canada", ""),
    ("Central African Republic", ""),
    ("Chad", ""),
    ("Chile", ""),
    ("China", ""),
    ("Colombia", ""),
    ("Comoros", ""),
    ("Congo, Republic of the", "Congo Republic, Republic of the Congo"),
    ("Congo, Democratic Republic of the", "DR Congo, Democratic Republic of the Congo"),
    ("Costa Rica", ""),
    ("Cote d'Ivoire", "Côte d'Ivoire, Ivory Coast"),
    ("Croatia", ""),
    ("Cuba", ""),
    ("Cyprus", ""),
    ("Czechia", "Czech Republic"),
    ("Denmark", ""),
    ("Djibouti", ""),
    ("Dominica", ""),
    ("Dominican Republic", ""),
    ("Ecuador", ""),
    ("Egypt", ""),
    ("El Salvador", ""),
    ("Equatorial Guinea", ""),
    ("Eritrea", ""),
    ("Estonia", ""),
    ("Eswatini", "Swaziland"),
    ("Ethiopia", ""),
    ("Fiji", ""),
    ("Finland", ""),
    ("France", ""),
    ("Gabon", ""),
    ("Gambia", "The Gambia"),
    ("Georgia", ""),
    ("Germany", ""),
    ("Ghana", ""),
    ("Greece", ""),
    ("Grenada", ""),
    ("Guatemala", ""),
    ("Guinea", ""),
    ("Guinea-Bissau", ""),
    ("Guyana", ""),
    ("Haiti", ""),
    ("Holy See", "Vatican City, Vatican"),
    ("Honduras", ""),
    ("Hungary", ""),
    ("Iceland", ""),
    ("India", ""),
    ("Indonesia", ""),
    ("Iran", ""),
    ("Iraq", ""),
    ("Ireland", ""),
    ("Israel", ""),
    ("Italy", ""),
    ("Jamaica", ""),
    ("Japan", ""),
    ("Jordan", ""),
    ("Kazakhstan", ""),
    ("Kenya", ""),
    ("Kiribati", ""),
    ("North Korea", ""),
    ("South Korea", "Korea"),
    ("Kosovo", ""),
    ("Kuwait", ""),
    ("Kyrgyzstan", ""),
    ("Laos", ""),
    ("Latvia", ""),
    ("Lebanon", ""),
    ("Lesotho", ""),
    ("Liberia", ""),
    ("Libya", ""),
    ("Liechtenstein", ""),
    ("Lithuania", ""),
    ("Luxembourg", ""),
    ("North Macedonia", "Macedonia"),
    ("Madagascar", ""),
    ("Malawi", ""),
    ("Malaysia", ""),
    ("Maldives", ""),
    ("Mali", ""),
    ("Malta", ""),
    ("Marshall Islands", ""),
    ("Mauritania", ""),
    ("Mauritius", ""),
    ("Mexico", ""),
    ("Micronesia", ""),
    ("Moldova", ""),
    ("Monaco", ""),
    ("Mongolia", ""),
    ("Montenegro", ""),
    ("Morocco", ""),
    ("Mozambique", ""),
    ("Myanmar", "Burma"),
    ("Namibia", ""),
    ("Nauru", ""),
    ("Nepal", ""),
    ("Netherlands", "The Netherlands, Holland"),
    ("New Zealand", ""),
    ("Nicaragua", ""),
    ("Niger", ""),
    ("Nigeria", ""),
    ("Norway", ""),
    ("Oman", ""),
    ("Pakistan", ""),
    ("Palau", ""),
    ("Palestine", ""),
    ("Panama", ""),
    ("Papua New Guinea", ""),
    ("Paraguay", ""),
    ("Peru", ""),
    ("Philippines", ""),
    ("Poland", ""),
    ("Portugal", ""),
    ("Puerto Rico", ""),
    ("Qatar", ""),
    ("Romania", ""),
    ("Russia", "Russian Federation"),
    ("Rwanda", ""),
    ("Saint Kitts and Nevis", ""),
    ("Saint Lucia", ""),
    ("Saint Vincent and the Grenadines", ""),
    ("Samoa", ""),
    ("San Marino", ""),
    ("Sao Tome and Principe", ""),
    ("Saudi Arabia", ""),
    ("Senegal", ""),
    ("Serbia", ""),
    ("Seychelles", ""),
    ("Sierra Leone", ""),
    ("Singapore", ""),
    ("Slovakia", ""),
    ("Slovenia", ""),
    ("Solomon Islands", ""),
    ("Somalia", ""),
    ("South Africa", ""),
    ("South Sudan", ""),
    ("Spain", ""),
    ("Sri Lanka", ""),
    ("Sudan", ""),
    ("Suriname", ""),
    ("Sweden", ""),
    ("Switzerland", ""),
    ("Syria", ""),
    ("Taiwan", ""),
    ("Tajikistan", ""),
    ("Tanzania", ""),
    ("Thailand", ""),
    ("Timor-Leste", "East Timor"),
    ("Togo", ""),
    ("Tonga", ""),
    ("Trinidad and Tobago", ""),
    ("Tunisia", ""),
    ("Turkiye", "Turkey, Türkiye"),
    ("Turkmenistan", ""),
    ("Tuvalu", ""),
    ("Uganda", ""),
    ("Ukraine", ""),
    ("United Arab Emirates", "UAE"),
    ("United Kingdom", "UK, Great Britain"),
    ("United States", "USA, United States of America"),
    ("Uruguay", ""),
    ("Uzbekistan", ""),
    ("Vanuatu", ""),
    ("Venezuela", ""),
    ("Vietnam", "Viet Nam"),
    ("Yemen", ""),
    ("Zambia", ""),
    ("Zimbabwe", ""),
];

/// Countries and currencies, then each existing department's dictionaries.
pub(super) fn rows() -> Vec<Stmt> {
    let mut countries = Query::insert();
    countries.into_table("countries").columns(["name", "alternative_names", "url_name"]);
    for (name, alternatives) in COUNTRIES {
        countries.values_panic([(*name).into(), (*alternatives).into(), slug(name).into()]);
    }
    let mut currencies = Query::insert();
    currencies.into_table("currencies").columns([
        "name",
        "rate_to_state_e8",
        "rate_to_marketing_e8",
        "is_state_currency",
        "is_marketing_currency",
        "updated_at",
    ]);
    for (code, to_state, to_marketing, state, marketing) in CURRENCIES {
        currencies.values_panic([
            (*code).into(),
            (*to_state).into(),
            (*to_marketing).into(),
            (*state).into(),
            (*marketing).into(),
            crate::db::now().into(),
        ]);
    }
    vec![
        Stmt::Insert(Box::new(countries)),
        Stmt::Insert(Box::new(currencies)),
        Stmt::EachDepartment(department_defaults),
    ]
}

/// The dictionaries a department starts with: one multi-row insert per table. Every call makes new
/// lead-source tokens, so a department made later (or a copy, §11.4) never shares a web-form token.
pub fn department_defaults(department_id: i64) -> Vec<InsertStatement> {
    let dept = || SimpleExpr::from(department_id);
    let mut stages = Query::insert();
    stages.into_table("deal_stages").columns([
        "department_id",
        "name",
        "index_number",
        "is_default",
        "second_default",
        "conditional_success_stage",
        "goods_shipped",
        "success_stage",
    ]);
    for (i, (name, default, second, conditional, shipped, success)) in STAGES.iter().enumerate() {
        stages.values_panic([
            dept(),
            (*name).into(),
            index_number(i).into(),
            (*default).into(),
            (*second).into(),
            (*conditional).into(),
            (*shipped).into(),
            (*success).into(),
        ]);
    }
    let mut reasons = Query::insert();
    reasons.into_table("closing_reasons").columns(["department_id", "name", "index_number", "success_reason"]);
    for (i, (name, success)) in CLOSING_REASONS.iter().enumerate() {
        reasons.values_panic([dept(), (*name).into(), index_number(i).into(), (*success).into()]);
    }
    let named = |tbl: &'static str, names: &[&str]| {
        let mut q = Query::insert();
        q.into_table(tbl).columns(["department_id", "name", "index_number"]);
        for (i, name) in names.iter().enumerate() {
            q.values_panic([dept(), (*name).into(), index_number(i).into()]);
        }
        q
    };
    let mut sources = Query::insert();
    sources.into_table("lead_sources").columns(["department_id", "name", "index_number", "token"]);
    for (i, name) in LEAD_SOURCES.iter().enumerate() {
        sources.values_panic([dept(), (*name).into(), index_number(i).into(), lead_source_token().into()]);
    }
    vec![stages, reasons, named("client_types", CLIENT_TYPES), named("industries", INDUSTRIES), sources]
}

/// 1-based position in the list (the dictionaries' `index_number`).
fn index_number(i: usize) -> i32 {
    i32::try_from(i + 1).unwrap_or(i32::MAX)
}

/// A random UUID (version 4) in its usual text form: the shape of the original's lead-source
/// tokens, so forms already published with one can be imported unchanged.
pub(crate) fn lead_source_token() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// "Antigua and Barbuda" → "antigua-and-barbuda"; "Cote d'Ivoire" → "cote-d-ivoire".
fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_tokens_have_their_shapes() {
        assert_eq!(slug("Antigua and Barbuda"), "antigua-and-barbuda");
        assert_eq!(slug("Congo, Republic of the"), "congo-republic-of-the");
        assert_eq!(slug("Cote d'Ivoire"), "cote-d-ivoire");
        let t = lead_source_token();
        assert_eq!(t.len(), 36);
        assert_eq!(t.as_bytes()[14], b'4', "version 4: {t}");
        assert_ne!(t, lead_source_token());
    }

    #[test]
    fn country_names_and_slugs_are_unique() {
        let mut names: Vec<&str> = COUNTRIES.iter().map(|c| c.0).collect();
        let mut slugs: Vec<String> = COUNTRIES.iter().map(|c| slug(c.0)).collect();
        names.sort_unstable();
        names.dedup();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(names.len(), COUNTRIES.len());
        assert_eq!(slugs.len(), COUNTRIES.len());
    }

    #[test]
    fn every_department_has_one_stage_of_each_kind_and_one_success_reason() {
        let flags = |s: &(&str, bool, bool, bool, bool, bool)| [s.1, s.2, s.3, s.4, s.5];
        for kind in 0..5 {
            assert_eq!(STAGES.iter().filter(|s| flags(s)[kind]).count(), 1, "stage flag {kind}");
        }
        assert_eq!(CLOSING_REASONS.iter().filter(|r| r.1).count(), 1);
    }
}
