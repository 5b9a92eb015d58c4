//! Counterparties: companies (with industries), their contact persons, and leads (with industries).

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_query::SimpleExpr;

use super::names::{self, Market};
use super::{Bulk, Cx, pick};
use crate::text;

/// What the steps share: the tokens drawn so far, and the tag links, written last as
/// (object type, object id, tag id).
#[derive(Default)]
pub(super) struct Ledger {
    pub tokens: Tokens,
    pub taggings: Vec<(&'static str, i64, i64)>,
}

pub(super) struct Company {
    pub id: i64,
    pub dept: usize,
    pub owner: Option<i64>,
    pub name: String,
    /// The name's first word ("Atlas" of "Atlas Pumps GmbH"), for deal names.
    pub short: String,
    pub domain: String,
    pub phone: String,
    pub place: Option<usize>,
    pub city: Option<(i64, &'static str)>,
    pub lead_source: Option<i64>,
    pub created: DateTime<Utc>,
}

pub(super) struct Contact {
    pub id: i64,
    pub company: usize,
    pub person: Person,
}

pub(super) struct Lead {
    pub id: i64,
    pub dept: usize,
    pub company: Option<usize>,
}

#[derive(Clone, Copy)]
pub(super) struct Person {
    first: &'static str,
    middle: &'static str,
    last: &'static str,
    sex: &'static str,
}

/// Random tokens, each drawn once (the counterparties' `token`, the deals' `ticket`).
impl Person {
    /// First and last name.
    pub fn names(&self) -> (&'static str, &'static str) {
        (self.first, self.last)
    }
}

#[derive(Default)]
pub(super) struct Tokens(HashSet<u64>);

impl Tokens {
    pub fn next(&mut self, rng: &mut StdRng) -> String {
        loop {
            let bits: u64 = rng.random();
            if self.0.insert(bits) {
                return names::token(bits);
            }
        }
    }
}

const PERSON: [&str; 12] = [
    "first_name",
    "middle_name",
    "last_name",
    "first_name_key",
    "last_name_key",
    "title",
    "sex",
    "birth_date",
    "secondary_email",
    "phone",
    "other_phone",
    "mobile",
];
const COUNTERPARTY: [&str; 11] = [
    "email",
    "address",
    "city_name",
    "city_id",
    "country_id",
    "description",
    "disqualified",
    "lead_source_id",
    "massmail",
    "was_in_touch",
    "token",
];
const SCOPED: [&str; 5] = ["department_id", "owner_id", "modified_by_id", "created_at", "updated_at"];

fn columns(own: &[&'static str], person: bool) -> Vec<&'static str> {
    let mut c = own.to_vec();
    if person {
        c.extend(PERSON);
    }
    c.extend(COUNTERPARTY);
    c.extend(SCOPED);
    c
}

/// The values of `COUNTERPARTY`, then `SCOPED`.
struct Counterparty<'a> {
    email: String,
    place: Option<&'a super::Place>,
    city: Option<(i64, &'static str)>,
    description: &'static str,
    disqualified: bool,
    lead_source: Option<i64>,
    dept: i64,
    owner: Option<i64>,
    created: DateTime<Utc>,
}

impl Counterparty<'_> {
    fn push(self, row: &mut Vec<SimpleExpr>, cx: &Cx, rng: &mut StdRng, tokens: &mut Tokens) {
        let address = match self.place {
            Some(_) => {
                format!("{} {}", rng.random_range(1..400), names::STREETS[rng.random_range(0..names::STREETS.len())])
            }
            None => String::new(),
        };
        let in_touch = rng.random_bool(0.6).then(|| past_date(cx, rng, self.created));
        let updated = later(cx, rng, self.created, 90);
        row.extend([
            self.email.into(),
            address.into(),
            self.city.map_or("", |c| c.1).into(),
            self.city.map(|c| c.0).into(),
            self.place.map(|p| p.country_id).into(),
            self.description.into(),
            self.disqualified.into(),
            self.lead_source.into(),
            rng.random_bool(0.88).into(),
            in_touch.into(),
            tokens.next(rng).into(),
            self.dept.into(),
            self.owner.into(),
            self.owner.into(),
            self.created.into(),
            updated.into(),
        ]);
    }
}

/// A day between `since` and today.
fn past_date(cx: &Cx, rng: &mut StdRng, since: DateTime<Utc>) -> NaiveDate {
    let days = (cx.today - since.date_naive()).num_days().max(0);
    cx.today - Duration::days(rng.random_range(0..=days))
}

/// A time up to `days` after `t`, not after now.
fn later(cx: &Cx, rng: &mut StdRng, t: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    (t + Duration::minutes(rng.random_range(0..days * 24 * 60))).min(cx.now)
}

fn phone(rng: &mut StdRng, market: Option<&Market>) -> String {
    let dial = market.map_or("+1", |m| m.dial);
    format!("{dial} {} {} {:04}", rng.random_range(100..1000), rng.random_range(100..1000), rng.random_range(0..10_000))
}

fn person(rng: &mut StdRng) -> Person {
    let female = rng.random_bool(0.45);
    let firsts = if female { names::FIRST_FEMALE } else { names::FIRST_MALE };
    let first = firsts[rng.random_range(0..firsts.len())];
    let middle = if rng.random_bool(0.06) { firsts[rng.random_range(0..firsts.len())] } else { "" };
    let last = names::LAST[rng.random_range(0..names::LAST.len())];
    let sex = if rng.random_bool(0.01) {
        "O"
    } else if female {
        "F"
    } else {
        "M"
    };
    Person { first, middle, last, sex }
}

/// The values of `PERSON`; `domain` is the employer's mail domain.
fn push_person(row: &mut Vec<SimpleExpr>, p: Person, rng: &mut StdRng, market: Option<&Market>) {
    let birth = rng
        .random_bool(0.25)
        .then(|| {
            NaiveDate::from_ymd_opt(rng.random_range(1960..2002), rng.random_range(1..13), rng.random_range(1..29))
        })
        .flatten();
    let personal = format!("{}{}@{}", names::ascii(p.first), names::ascii(p.last), pick_mail(rng));
    row.extend([
        p.first.into(),
        p.middle.into(),
        p.last.into(),
        text::fold(p.first).into(),
        text::fold(p.last).into(),
        names::TITLES[rng.random_range(0..names::TITLES.len())].into(),
        p.sex.into(),
        birth.into(),
        (if rng.random_bool(0.1) { personal } else { String::new() }).into(),
        phone(rng, market).into(),
        (if rng.random_bool(0.1) { phone(rng, market) } else { String::new() }).into(),
        (if rng.random_bool(0.6) { phone(rng, market) } else { String::new() }).into(),
    ]);
}

fn pick_mail(rng: &mut StdRng) -> &'static str {
    names::PUBLIC_MAIL[rng.random_range(0..names::PUBLIC_MAIL.len())]
}

/// A person's address at `domain`; one in twelve also gives a private one (a comma-separated list).
fn person_email(rng: &mut StdRng, p: &Person, domain: &str) -> String {
    let work = format!("{}.{}@{domain}", names::ascii(p.first), names::ascii(p.last));
    if rng.random_bool(1.0 / 12.0) {
        format!("{work}, {}{}@{}", names::ascii(p.first), rng.random_range(10..100), pick_mail(rng))
    } else {
        work
    }
}

/// An invented company name in the market's style: (name without legal form, first word, legal form).
fn company_name(rng: &mut StdRng, market: Option<&Market>) -> (String, String, &'static str) {
    let suffixes = market.map_or(&["Ltd"][..], |m| m.suffixes);
    let suffix = pick(rng, suffixes).unwrap_or("Ltd");
    let core = names::COMPANY_CORES[rng.random_range(0..names::COMPANY_CORES.len())];
    let last = |rng: &mut StdRng| names::LAST[rng.random_range(0..names::LAST.len())];
    let (base, short) = match rng.random_range(0..20) {
        0..=4 => {
            let p = names::COMPANY_PREFIXES[rng.random_range(0..names::COMPANY_PREFIXES.len())];
            (format!("{p} {core}"), p.to_string())
        }
        5..=9 => {
            let s = last(rng);
            (format!("{s} {core}"), s.to_string())
        }
        10..=13 => {
            let (a, b) = (last(rng), last(rng));
            (format!("{a} & {b}"), a.to_string())
        }
        k => {
            let first = if k < 17 {
                names::COMPANY_PREFIXES[rng.random_range(0..names::COMPANY_PREFIXES.len())]
            } else {
                last(rng)
            };
            let q = names::COMPANY_QUALIFIERS[rng.random_range(0..names::COMPANY_QUALIFIERS.len())];
            (format!("{first} {core} {q}"), first.to_string())
        }
    };
    (base, short, suffix)
}

/// Companies spread over the departments and their markets; names unique per country (§2.2).
pub(super) async fn companies(
    db: &crate::db::Db,
    cx: &Cx,
    n: usize,
    rng: &mut StdRng,
    ledger: &mut Ledger,
) -> anyhow::Result<Vec<Company>> {
    let cols = columns(
        &["full_name", "name_key", "alternative_names", "website", "phone", "registration_number", "type_id"],
        false,
    );
    let mut b = Bulk::new(db, "companies", &cols, true);
    let mut plans = Vec::with_capacity(n);
    let mut taken: HashSet<(Option<usize>, String)> = HashSet::with_capacity(n);
    for i in 0..n {
        let dept = cx.pick_dept(rng);
        let d = &cx.depts[dept];
        let place = cx.pick_place(rng, dept);
        let market = place.map(|p| cx.places[p].market);
        let (mut base, mut short, suffix) = company_name(rng, market);
        let mut name = format!("{base} {suffix}");
        let mut k = 1;
        while !taken.insert((place, name.clone())) {
            if k > 4 {
                base = format!("{base} {k}");
            } else {
                (base, short, _) = company_name(rng, market);
            }
            name = format!("{base} {suffix}");
            k += 1;
        }
        let mut domain: String = names::ascii(&base);
        domain.truncate(24);
        domain = format!("{domain}.{}", market.map_or("com", |m| m.tld));
        let city = place.and_then(|p| rng.random_bool(0.75).then(|| pick(rng, &cx.places[p].cities)).flatten());
        let owner = d.owners.pick(rng);
        let created = cx.created(rng, i, n, 730);
        let lead_source = rng.random_bool(0.6).then(|| pick(rng, &d.lead_sources)).flatten();
        let company_phone = phone(rng, market);
        let alternative = if rng.random_bool(0.08) {
            name.split_whitespace().filter_map(|w| w.chars().next()).filter(|c| c.is_alphabetic()).collect()
        } else {
            String::new()
        };
        let email = match rng.random_range(0..10) {
            0 => format!("info@{domain}, sales@{domain}"),
            1..=5 => format!("info@{domain}"),
            _ => format!("sales@{domain}"),
        };
        let mut row: Vec<SimpleExpr> = vec![
            name.clone().into(),
            text::match_key(&name).into(),
            alternative.into(),
            format!("https://www.{domain}").into(),
            company_phone.clone().into(),
            (if rng.random_bool(0.6) { format!("{:08}", rng.random_range(0..100_000_000)) } else { String::new() })
                .into(),
            rng.random_bool(0.9).then(|| pick(rng, &d.client_types)).flatten().into(),
        ];
        Counterparty {
            email,
            place: place.map(|p| &cx.places[p]),
            city,
            description: if rng.random_bool(0.2) { "Long-standing customer; prefers quotes by email." } else { "" },
            disqualified: rng.random_bool(0.02),
            lead_source,
            dept: d.id,
            owner,
            created,
        }
        .push(&mut row, cx, rng, &mut ledger.tokens);
        b.push(row).await?;
        plans.push(Company {
            id: 0,
            dept,
            owner,
            name,
            short,
            domain,
            phone: company_phone,
            place,
            city,
            lead_source,
            created,
        });
    }
    let ids = b.finish().await?;
    let mut links = Bulk::new(db, "company_industries", &["company_id", "industry_id"], false);
    for (c, id) in plans.iter_mut().zip(ids) {
        c.id = id;
        let d = &cx.depts[c.dept];
        for industry in two_of(rng, &d.industries, 0.3) {
            links.push(vec![id.into(), industry.into()]).await?;
        }
        for tag in tags_for(rng, &d.tags, 0.25) {
            ledger.taggings.push(("company", id, tag));
        }
    }
    links.finish().await?;
    Ok(plans)
}

/// One of `from` (none if empty), and a second different one with probability `second`.
fn two_of(rng: &mut StdRng, from: &[i64], second: f64) -> Vec<i64> {
    let mut out: Vec<i64> = pick(rng, from).into_iter().collect();
    if rng.random_bool(second)
        && let Some(x) = pick(rng, from)
        && !out.contains(&x)
    {
        out.push(x);
    }
    out
}

/// Tags for one object: none most of the time, else one or two.
pub(super) fn tags_for(rng: &mut StdRng, tags: &[i64], share: f64) -> Vec<i64> {
    if rng.random_bool(share) { two_of(rng, tags, 0.3) } else { Vec::new() }
}

/// Contact persons: every company gets one while there are enough, the rest go to random
/// companies; each has its company's department, owner and place.
pub(super) async fn contacts(
    db: &crate::db::Db,
    cx: &Cx,
    companies: &[Company],
    n: usize,
    rng: &mut StdRng,
    ledger: &mut Ledger,
) -> anyhow::Result<Vec<Contact>> {
    if companies.is_empty() {
        return Ok(Vec::new());
    }
    let mut per_company = vec![0usize; companies.len()];
    for k in 0..n {
        let c = if k < companies.len() { k } else { rng.random_range(0..companies.len()) };
        per_company[c] += 1;
    }
    let cols = columns(&["company_id"], true);
    let mut b = Bulk::new(db, "contacts", &cols, true);
    let mut plans = Vec::with_capacity(n);
    for (ci, (c, count)) in companies.iter().zip(&per_company).enumerate() {
        let market = c.place.map(|p| cx.places[p].market);
        for _ in 0..*count {
            let p = person(rng);
            let mut row: Vec<SimpleExpr> = vec![c.id.into()];
            push_person(&mut row, p, rng, market);
            Counterparty {
                email: person_email(rng, &p, &c.domain),
                place: c.place.map(|p| &cx.places[p]),
                city: c.city,
                description: "",
                disqualified: rng.random_bool(0.02),
                lead_source: c.lead_source,
                dept: cx.depts[c.dept].id,
                owner: c.owner,
                created: later(cx, rng, c.created, 30),
            }
            .push(&mut row, cx, rng, &mut ledger.tokens);
            b.push(row).await?;
            plans.push(Contact { id: 0, company: ci, person: p });
        }
    }
    for (c, id) in plans.iter_mut().zip(b.finish().await?) {
        c.id = id;
        for tag in tags_for(rng, &cx.depts[companies[c.company].dept].tags, 0.1) {
            ledger.taggings.push(("contact", id, tag));
        }
    }
    Ok(plans)
}

/// Leads: a quarter are people already known as a contact (linked to the contact and its
/// company), the others prospects with a company name only; some disqualified.
pub(super) async fn leads(
    db: &crate::db::Db,
    cx: &Cx,
    companies: &[Company],
    contacts: &[Contact],
    n: usize,
    rng: &mut StdRng,
    ledger: &mut Ledger,
) -> anyhow::Result<Vec<Lead>> {
    let mut by_dept: Vec<Vec<usize>> = vec![Vec::new(); cx.depts.len()];
    for (i, c) in contacts.iter().enumerate() {
        by_dept[companies[c.company].dept].push(i);
    }
    let own = [
        "company_name",
        "website",
        "company_phone",
        "company_address",
        "company_email",
        "type_id",
        "contact_id",
        "company_id",
    ];
    let mut b = Bulk::new(db, "leads", &columns(&own, true), true);
    let mut plans = Vec::with_capacity(n);
    for i in 0..n {
        let mut dept = cx.pick_dept(rng);
        let known = if rng.random_bool(0.25) { pick(rng, &by_dept[dept]).map(|k| &contacts[k]) } else { None };
        let created = cx.created(rng, i, n, 730);
        let (p, company, place, city, owner, firm, domain, company_phone);
        match known {
            Some(k) => {
                let c = &companies[k.company];
                (p, company, place, city) = (k.person, Some(k.company), c.place, c.city);
                (owner, firm, domain, company_phone) = (c.owner, c.name.clone(), c.domain.clone(), c.phone.clone());
                dept = c.dept;
            }
            None => {
                p = person(rng);
                company = None;
                place = cx.pick_place(rng, dept);
                let market = place.map(|p| cx.places[p].market);
                city = place.and_then(|p| rng.random_bool(0.5).then(|| pick(rng, &cx.places[p].cities)).flatten());
                owner = cx.depts[dept].owners.pick(rng);
                let (base, _, suffix) = company_name(rng, market);
                firm = format!("{base} {suffix}");
                let mut d = names::ascii(&base);
                d.truncate(24);
                domain = format!("{d}.{}", market.map_or("com", |m| m.tld));
                company_phone = phone(rng, market);
            }
        }
        let d = &cx.depts[dept];
        let market = place.map(|p| cx.places[p].market);
        let mut row: Vec<SimpleExpr> = vec![
            firm.into(),
            format!("https://{domain}").into(),
            company_phone.into(),
            String::new().into(),
            (if rng.random_bool(0.5) { format!("info@{domain}") } else { String::new() }).into(),
            rng.random_bool(0.7).then(|| pick(rng, &d.client_types)).flatten().into(),
            known.map(|k| k.id).into(),
            company.map(|c| companies[c].id).into(),
        ];
        push_person(&mut row, p, rng, market);
        Counterparty {
            email: person_email(rng, &p, &domain),
            place: place.map(|p| &cx.places[p]),
            city,
            description: if rng.random_bool(0.3) { "Asked for a catalogue at the trade fair." } else { "" },
            disqualified: rng.random_bool(0.15),
            lead_source: rng.random_bool(0.9).then(|| pick(rng, &d.lead_sources)).flatten(),
            dept: d.id,
            owner,
            created,
        }
        .push(&mut row, cx, rng, &mut ledger.tokens);
        b.push(row).await?;
        plans.push(Lead { id: 0, dept, company });
    }
    let mut links = Bulk::new(db, "lead_industries", &["lead_id", "industry_id"], false);
    for (l, id) in plans.iter_mut().zip(b.finish().await?) {
        l.id = id;
        let d = &cx.depts[l.dept];
        if rng.random_bool(0.5)
            && let Some(industry) = pick(rng, &d.industries)
        {
            links.push(vec![id.into(), industry.into()]).await?;
        }
        for tag in tags_for(rng, &d.tags, 0.2) {
            ledger.taggings.push(("lead", id, tag));
        }
    }
    links.finish().await?;
    Ok(plans)
}
