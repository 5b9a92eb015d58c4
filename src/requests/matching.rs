//! §6.4 automatic linking of a request to a contact person or lead and a company, and the
//! get-or-create of its counterparty when it leaves pending.
//!
//! Every look-up is an index look-up (`schema::request_matching_walks_its_indexes` checks the plans):
//! email addresses and phones through the counterparties' key tables (`requests::keys`), names
//! through `first_name_key` / `last_name_key` / `companies.name_key`. Candidate sets are read in id
//! order ("the first" is the oldest) and capped at `CANDIDATES` rows; the narrowing rules below only
//! ever need to know "none, one, or several" of them.
//!
//! Matching stays inside the request's department: a request of one department is never linked
//! to (nor takes the owner of) a counterparty that department cannot see. The original matched
//! across every department.

use std::collections::HashSet;

use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr};

use super::keys;
use super::model::Inquiry;
use crate::access::ItemKind;
use crate::crm::person;
use crate::crm::record::Val;
use crate::crm::repo::{self, Names, Record};
use crate::db::Tx;
use crate::history::Actor;

/// At most this many candidates are read per step.
pub const CANDIDATES: u64 = 500;

/// A person kind's table, key table and key table's reference column.
fn person_tables(kind: ItemKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        ItemKind::Contact => ("contacts", "contact_keys", "contact_id"),
        _ => ("leads", "lead_keys", "lead_id"),
    }
}

/// The request's email address as matched ("" when none): the first address it gives.
fn email_of(r: &Inquiry) -> String {
    keys::addresses(&r.email).next().unwrap_or_default()
}

/// Limits a key-table join to keys of `kind` equal to `key`, or for a phone (`p`) to the range of
/// stored numbers that end with the typed one.
fn key_condition(q: &mut SelectStatement, kt: &'static str, kind: &'static str, key: &str) {
    q.and_where(Expr::col((kt, "kind")).eq(kind));
    if kind == "p" {
        q.and_where(Expr::col((kt, "key")).gte(key));
        if let Some(next) = keys::successor(key) {
            q.and_where(Expr::col((kt, "key")).lt(next));
        }
    } else {
        q.and_where(Expr::col((kt, "key")).eq(key));
    }
}

/// The persons of `kind` in `department` with first name key `first` (and of `company`, for
/// contacts when given), optionally having key (`key_kind`, `key`) or last name key `last`.
pub fn persons(
    kind: ItemKind,
    department: i64,
    first: &str,
    company: Option<i64>,
    key: Option<(&'static str, &str)>,
    last: Option<&str>,
) -> SelectStatement {
    let (t, kt, kc) = person_tables(kind);
    let mut q = Query::select();
    q.distinct()
        .column((t, "id"))
        .from(t)
        .and_where(Expr::col((t, "first_name_key")).eq(first))
        .and_where(Expr::col((t, "department_id")).eq(department));
    if let (ItemKind::Contact, Some(c)) = (kind, company) {
        q.and_where(Expr::col((t, "company_id")).eq(c));
    }
    if let Some((k, v)) = key {
        q.inner_join(kt, Expr::col((kt, kc)).equals((t, "id")));
        key_condition(&mut q, kt, k, v);
    }
    if let Some(l) = last {
        q.and_where(Expr::col((t, "last_name_key")).eq(l));
    }
    q.order_by((t, "id"), Order::Asc).limit(CANDIDATES);
    q
}

/// The companies (of `department`) of the contact persons having key (`key_kind`, `key`).
pub fn companies_of_contacts(department: i64, key_kind: &'static str, key: &str) -> SelectStatement {
    let mut q = Query::select();
    q.distinct()
        .column(("contacts", "company_id"))
        .from("contacts")
        .inner_join("contact_keys", Expr::col(("contact_keys", "contact_id")).equals(("contacts", "id")))
        .and_where(Expr::col(("contacts", "department_id")).eq(department));
    key_condition(&mut q, "contact_keys", key_kind, key);
    q.order_by(("contacts", "company_id"), Order::Asc).limit(CANDIDATES);
    q
}

/// The companies of `department` with name key `name` (their name, or with `alternative`, one of
/// their alternative names).
pub fn companies_named(department: i64, name: &str, alternative: bool) -> SelectStatement {
    let mut q = Query::select();
    q.distinct().column(("companies", "id")).from("companies");
    if alternative {
        q.inner_join("company_keys", Expr::col(("company_keys", "company_id")).equals(("companies", "id")));
        key_condition(&mut q, "company_keys", "n", name);
    } else {
        q.and_where(Expr::col(("companies", "name_key")).eq(name));
    }
    q.and_where(Expr::col(("companies", "department_id")).eq(department))
        .order_by(("companies", "id"), Order::Asc)
        .limit(CANDIDATES);
    q
}

/// The companies of `department` with an address at email domain `domain`.
pub fn companies_with_domain(department: i64, domain: &str) -> SelectStatement {
    let mut q = Query::select();
    q.column(("companies", "id"))
        .from("companies")
        .inner_join("company_keys", Expr::col(("company_keys", "company_id")).equals(("companies", "id")))
        .and_where(Expr::col(("companies", "department_id")).eq(department));
    key_condition(&mut q, "company_keys", "d", domain);
    q.order_by(("companies", "id"), Order::Asc).limit(1);
    q
}

async fn ids(tx: &mut Tx, q: &SelectStatement) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = tx.fetch_all(q).await?;
    Ok(rows.into_iter().map(|(i,)| i).collect())
}

/// The candidate sets of several steps read in one statement (one round trip, not one a step: the
/// web-form writer matches every submission, `intake::writer`): each step's query, which selects
/// one id column, becomes `SELECT step, * FROM (query)` of a `UNION ALL`. A step left out (`None`)
/// reads nothing. Each set comes back ascending, as the steps ask.
async fn stepwise<const N: usize>(
    tx: &mut Tx,
    steps: [Option<SelectStatement>; N],
) -> Result<[Vec<i64>; N], sqlx::Error> {
    let mut sets: [Vec<i64>; N] = std::array::from_fn(|_| Vec::new());
    let mut union: Option<SelectStatement> = None;
    for (i, q) in steps.into_iter().enumerate() {
        let Some(q) = q else { continue };
        let mut part = Query::select();
        part.expr_as(Expr::val(i as i64), "step").column(sea_query::Asterisk).from_subquery(q, format!("s{i}"));
        match union.as_mut() {
            Some(u) => {
                u.union(sea_query::UnionType::All, part);
            }
            None => union = Some(part),
        }
    }
    let Some(union) = union else { return Ok(sets) };
    let rows: Vec<(i64, i64)> = tx.fetch_all(&union).await?;
    for (step, id) in rows {
        if let Some(set) = usize::try_from(step).ok().and_then(|i| sets.get_mut(i)) {
            set.push(id);
        }
    }
    for set in &mut sets {
        set.sort_unstable();
    }
    Ok(sets)
}

/// `a` ∩ `b`, in `a`'s order.
fn both(a: &[i64], b: &[i64]) -> Vec<i64> {
    let b: HashSet<i64> = b.iter().copied().collect();
    a.iter().copied().filter(|i| b.contains(i)).collect()
}

/// `a` ∪ `b`, ascending.
fn either(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut v: Vec<i64> = a.iter().chain(b).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// find_contact_or_lead (§6.4), for one kind: the person to link, if any.
async fn find_person(tx: &mut Tx, kind: ItemKind, r: &Inquiry) -> Result<Option<i64>, sqlx::Error> {
    let first = crate::text::fold(&r.first_name);
    if first.is_empty() {
        return Ok(None);
    }
    let (dept, company) = (r.department_id, r.company_id);
    let email = email_of(r);
    let phone = keys::phone_key(&r.phone);
    let last = crate::text::fold(&r.last_name);
    // The candidate set of each step that ran (1: email, 2: phone, 3: last name), and the last one.
    let mut sets: Vec<Vec<i64>> = Vec::new();
    let mut prev: Option<Vec<i64>> = None;
    // Each step's candidates, read together.
    let [by_email, by_phone, by_last] = stepwise(
        tx,
        [
            (!email.is_empty()).then(|| persons(kind, dept, &first, company, Some(("e", &email)), None)),
            (!phone.is_empty()).then(|| persons(kind, dept, &first, company, Some(("p", &phone)), None)),
            (!last.is_empty()).then(|| persons(kind, dept, &first, company, None, Some(&last))),
        ],
    )
    .await?;
    // 1. The email address.
    if !email.is_empty() {
        if by_email.len() == 1 {
            return Ok(by_email.first().copied());
        }
        sets.push(by_email.clone());
        prev = Some(by_email.clone());
    }
    // 2. The phone: narrowing several email matches, else email or phone.
    if !phone.is_empty() {
        let s = match &prev {
            Some(p) if p.len() > 1 => both(p, &by_phone),
            _ => either(&by_email, &by_phone),
        };
        if s.len() == 1 {
            return Ok(s.first().copied());
        }
        sets.push(s.clone());
        prev = Some(s);
    }
    // 3. The last name: narrowing several, else on its own.
    if !last.is_empty() {
        let s = match &prev {
            Some(p) if p.len() > 1 => both(p, &by_last),
            _ => by_last,
        };
        if s.len() == 1 {
            return Ok(s.first().copied());
        }
        sets.push(s);
    }
    // The best non-empty set: the latest step's.
    let Some(best) = sets.into_iter().rev().find(|s| !s.is_empty()) else {
        return Ok(None);
    };
    // 4. The company name typed, contained in the person's company name.
    if !r.company_name.trim().is_empty() || !last.is_empty() {
        let typed = r.company_name.trim().to_lowercase();
        let names = company_names_of(tx, kind, &best).await?;
        if let Some((id, _)) = names.iter().find(|(_, n)| n.to_lowercase().contains(&typed)) {
            return Ok(Some(*id));
        }
    }
    // 5. The first of the best set.
    Ok(best.first().copied())
}

/// (person id, its company's name): a contact's company's `full_name`, a lead's `company_name`.
async fn company_names_of(tx: &mut Tx, kind: ItemKind, people: &[i64]) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut q = Query::select();
    match kind {
        ItemKind::Contact => {
            q.column(("contacts", "id"))
                .column(("companies", "full_name"))
                .from("contacts")
                .inner_join("companies", Expr::col(("companies", "id")).equals(("contacts", "company_id")))
                .and_where(Expr::col(("contacts", "id")).is_in(people.iter().copied()))
                .order_by(("contacts", "id"), Order::Asc);
        }
        _ => {
            q.columns(["id", "company_name"])
                .from("leads")
                .and_where(Expr::col("id").is_in(people.iter().copied()))
                .order_by("id", Order::Asc);
        }
    }
    tx.fetch_all(&q).await
}

/// The company of contact person `id`.
async fn company_of_contact(tx: &mut Tx, id: i64) -> Result<Option<i64>, sqlx::Error> {
    tx.scalar(Query::select().column("company_id").from("contacts").and_where(Expr::col("id").eq(id))).await
}

/// §6.4 find_contact_or_lead: contact persons first, then leads. Linking a contact also links its
/// company (a request that already has a company only considers that company's contact persons);
/// linking a lead is skipped when the request has a company (a request links a company or a lead,
/// §6.7). Returns whether it linked.
pub async fn find_contact_or_lead(tx: &mut Tx, r: &mut Inquiry) -> Result<bool, sqlx::Error> {
    if let Some(id) = find_person(tx, ItemKind::Contact, r).await? {
        r.contact_id = Some(id);
        if r.company_id.is_none() {
            r.company_id = company_of_contact(tx, id).await?;
        }
        r.verification_required = true;
        return Ok(true);
    }
    if r.company_id.is_none()
        && let Some(id) = find_person(tx, ItemKind::Lead, r).await?
    {
        r.lead_id = Some(id);
        r.verification_required = true;
        return Ok(true);
    }
    Ok(false)
}

/// Whether `domain` is a public mail provider's (`public_email_domains`).
async fn is_public_domain(tx: &mut Tx, domain: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = tx
        .scalar(Query::select().column("id").from("public_email_domains").and_where(Expr::col("domain").eq(domain)))
        .await?;
    Ok(found.is_some())
}

/// A website's host without scheme, "www." and path: "https://www.Acme.com/about" → "acme.com".
pub fn web_domain(url: &str) -> String {
    let s = url.trim().to_lowercase();
    let s = s.split_once("://").map_or(s.as_str(), |(_, rest)| rest);
    let host = s.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    host.strip_prefix("www.").unwrap_or(host).to_string()
}

/// §6.4 find_company: the company to link, if any.
async fn find_company_id(tx: &mut Tx, r: &Inquiry) -> Result<Option<i64>, sqlx::Error> {
    let dept = r.department_id;
    let email = email_of(r);
    let phone = keys::phone_key(&r.phone);
    let name = crate::text::match_key(&r.company_name);
    // The latest non-empty candidate set; each step looks within it when it holds several.
    let mut cur: Vec<i64> = Vec::new();
    let narrow = |cur: &Vec<i64>, found: Vec<i64>| if cur.len() > 1 { both(cur, &found) } else { found };
    // Each step's candidates, read together.
    let [by_email, by_phone, own, alt] = stepwise(
        tx,
        [
            (!email.is_empty()).then(|| companies_of_contacts(dept, "e", &email)),
            (!phone.is_empty()).then(|| companies_of_contacts(dept, "p", &phone)),
            (!name.is_empty()).then(|| companies_named(dept, &name, false)),
            (!name.is_empty()).then(|| companies_named(dept, &name, true)),
        ],
    )
    .await?;
    // 1. Companies of contact persons with that email address.
    if !email.is_empty() {
        let s = by_email;
        if s.len() == 1 {
            return Ok(s.first().copied());
        }
        if !s.is_empty() {
            cur = s;
        }
    }
    // 2. Companies of contact persons with that phone.
    if !phone.is_empty() {
        let s = narrow(&cur, by_phone);
        if s.len() == 1 {
            return Ok(s.first().copied());
        }
        if !s.is_empty() {
            cur = s;
        }
    }
    // 3. The company name, ignoring case and punctuation, or one of its alternative names.
    if !name.is_empty() {
        let s = narrow(&cur, either(&own, &alt));
        if s.len() == 1 {
            return Ok(s.first().copied());
        }
        if !s.is_empty() {
            cur = s;
        }
    }
    // 4. Several: the request's country, then its website's domain.
    if cur.len() > 1
        && let Some(country) = r.country_id
    {
        let rows: Vec<(i64, Option<i64>, String)> = tx
            .fetch_all(
                Query::select()
                    .columns(["id", "country_id", "website"])
                    .from("companies")
                    .and_where(Expr::col("id").is_in(cur.iter().copied()))
                    .order_by("id", Order::Asc),
            )
            .await?;
        let in_country: Vec<&(i64, Option<i64>, String)> =
            rows.iter().filter(|(_, c, _)| *c == Some(country)).collect();
        if in_country.len() == 1 {
            return Ok(in_country.first().map(|c| c.0));
        }
        let site = web_domain(&r.website);
        if in_country.len() > 1
            && !site.is_empty()
            && let Some(c) = in_country.iter().find(|(_, _, w)| web_domain(w) == site)
        {
            return Ok(Some(c.0));
        }
        if !in_country.is_empty() {
            cur = in_country.iter().map(|c| c.0).collect();
        }
    }
    // 5. Nothing matched: a company with an address at the email's domain, unless a public one.
    if cur.is_empty() {
        let domain = keys::domain(&email).to_string();
        if domain.is_empty() || is_public_domain(tx, &domain).await? {
            return Ok(None);
        }
        return Ok(ids(tx, &companies_with_domain(dept, &domain)).await?.first().copied());
    }
    // 6. The first of what is left.
    Ok(cur.first().copied())
}

/// §6.4 find_company (when the request has neither a company nor a lead). Returns whether it linked.
pub async fn find_company(tx: &mut Tx, r: &mut Inquiry) -> Result<bool, sqlx::Error> {
    match find_company_id(tx, r).await? {
        Some(id) => {
            r.company_id = Some(id);
            r.verification_required = true;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// What update_request_data copies from a contact person or lead.
#[derive(Debug, Default, sqlx::FromRow)]
struct FoundPerson {
    phone: String,
    mobile: String,
    other_phone: String,
    country_id: Option<i64>,
    city_id: Option<i64>,
    city_name: String,
    owner_id: Option<i64>,
}

#[derive(Debug, Default, sqlx::FromRow)]
struct FoundCompany {
    full_name: String,
    website: String,
    phone: String,
    country_id: Option<i64>,
    city_id: Option<i64>,
    city_name: String,
    owner_id: Option<i64>,
}

/// §6.4 update_request_data: fills what the request lacks from what it is linked to — phone,
/// company name, website, country and city, owner — from the contact person and its company, or
/// owner and phone from the lead. What the visitor typed is never overwritten.
pub async fn update_request_data(tx: &mut Tx, r: &mut Inquiry) -> Result<(), sqlx::Error> {
    let fill = |to: &mut String, from: &str| {
        if to.trim().is_empty() && !from.is_empty() {
            *to = from.to_string();
        }
    };
    if let Some(id) = r.contact_id.or(r.lead_id) {
        let table = if r.contact_id.is_some() { "contacts" } else { "leads" };
        let p: Option<FoundPerson> = tx
            .fetch_optional(
                Query::select()
                    .columns(["phone", "mobile", "other_phone", "country_id", "city_id", "city_name", "owner_id"])
                    .from(table)
                    .and_where(Expr::col("id").eq(id)),
            )
            .await?;
        if let Some(f) = p {
            let phone = [&f.phone, &f.mobile, &f.other_phone].into_iter().find(|p| !p.trim().is_empty());
            fill(&mut r.phone, phone.map_or("", |p| p.as_str()));
            if r.owner_id.is_none() {
                r.owner_id = f.owner_id;
            }
            if r.contact_id.is_some() && r.country_id.is_none() && f.country_id.is_some() {
                r.country_id = f.country_id;
                r.city_id = r.city_id.or(f.city_id);
                fill(&mut r.city_name, &f.city_name);
            }
        }
    }
    if r.lead_id.is_none()
        && let Some(id) = r.company_id
    {
        let c: Option<FoundCompany> = tx
            .fetch_optional(
                Query::select()
                    .columns(["full_name", "website", "phone", "country_id", "city_id", "city_name", "owner_id"])
                    .from("companies")
                    .and_where(Expr::col("id").eq(id)),
            )
            .await?;
        if let Some(c) = c {
            fill(&mut r.company_name, &c.full_name);
            fill(&mut r.website, &c.website);
            fill(&mut r.phone, &c.phone);
            if r.country_id.is_none() && c.country_id.is_some() {
                r.country_id = c.country_id;
                r.city_id = r.city_id.or(c.city_id);
                fill(&mut r.city_name, &c.city_name);
            }
            if r.owner_id.is_none() {
                r.owner_id = c.owner_id;
            }
        }
    }
    Ok(())
}

/// §6.4 find_contact_or_lead then find_company (links only; sets verification_required when it links),
/// then update_request_data (copies phone/company/country/city/website/owner from what it found).
pub async fn auto_link(tx: &mut Tx, r: &mut Inquiry) -> Result<(), sqlx::Error> {
    if r.contact_id.is_none() && r.lead_id.is_none() {
        find_contact_or_lead(tx, r).await?;
    }
    // A company alone is looked for when the request has none and no lead (company XOR lead, §6.7).
    if r.company_id.is_none() && r.lead_id.is_none() {
        find_company(tx, r).await?;
    }
    update_request_data(tx, r).await
}

fn token() -> SimpleExpr {
    crate::auth::session::random_token().chars().take(32).collect::<String>().into()
}

/// §6.4 get_or_create_contact_or_lead (a request leaving pending without contact or lead): links or creates.
///
/// A contact person or lead found by `find_contact_or_lead` is linked. Else, with a company (the
/// request's, or found by `find_company`), a first name and an email, a contact person is made in
/// that company (its owner and department, its country). Otherwise a lead is made from the request
/// (names, email, phone, company name, country, city; the request's owner and department), taking
/// the found company's link, name, website, email, type and industries, and the request's company
/// link is cleared (a request links a company or a lead). The new row is written through
/// `crm::repo` (history, search terms, match keys); the caller publishes its event after commit.
/// The lead source is the caller's to set on the lead (`Inquiry` does not carry it).
pub async fn get_or_create_counterparty(tx: &mut Tx, r: &mut Inquiry, actor: &Actor) -> Result<(), sqlx::Error> {
    if r.contact_id.is_some() || r.lead_id.is_some() {
        return Ok(());
    }
    if find_contact_or_lead(tx, r).await? {
        return update_request_data(tx, r).await;
    }
    if r.company_id.is_none() {
        find_company(tx, r).await?;
    }
    let names = Names::default();
    let text = |s: &str| Val::Text(s.trim().to_string());
    let email = email_of(r);
    if let Some(company_id) = r.company_id
        && !r.first_name.trim().is_empty()
        && !email.is_empty()
    {
        let c: Option<(i64, Option<i64>, Option<i64>)> = tx
            .fetch_optional(
                Query::select()
                    .columns(["department_id", "owner_id", "country_id"])
                    .from("companies")
                    .and_where(Expr::col("id").eq(company_id)),
            )
            .await?;
        if let Some((department, owner, country)) = c {
            let spec = &person::CONTACT;
            let mut p = Record::blank(spec, department, owner);
            p.set(spec, "first_name", text(&r.first_name));
            p.set(spec, "middle_name", text(&r.middle_name));
            p.set(spec, "last_name", text(&r.last_name));
            p.set(spec, "email", Val::Text(email));
            p.set(spec, "phone", text(&r.phone));
            p.set(spec, "company_id", Val::Int(company_id));
            p.set(spec, "country_id", country.map_or(Val::Null, Val::Int));
            let id = repo::insert(tx, spec, &p, &[("token", token())], actor, &names).await?;
            r.contact_id = Some(id);
            return update_request_data(tx, r).await;
        }
    }
    let spec = &person::LEAD;
    let mut l = Record::blank(spec, r.department_id, r.owner_id);
    l.set(spec, "first_name", text(&r.first_name));
    l.set(spec, "middle_name", text(&r.middle_name));
    l.set(spec, "last_name", text(&r.last_name));
    l.set(spec, "email", Val::Text(r.email.trim().to_string()));
    l.set(spec, "phone", text(&r.phone));
    l.set(spec, "company_name", text(&r.company_name));
    l.set(spec, "website", text(&r.website));
    l.set(spec, "country_id", r.country_id.map_or(Val::Null, Val::Int));
    l.set(spec, "city_id", r.city_id.map_or(Val::Null, Val::Int));
    l.set(spec, "city_name", text(&r.city_name));
    if let Some(company_id) = r.company_id.take() {
        let c: Option<(String, String, String, Option<i64>)> = tx
            .fetch_optional(
                Query::select()
                    .columns(["full_name", "website", "email", "type_id"])
                    .from("companies")
                    .and_where(Expr::col("id").eq(company_id)),
            )
            .await?;
        if let Some((name, website, email, type_id)) = c {
            let industries: Vec<(i64,)> = tx
                .fetch_all(
                    Query::select()
                        .column("industry_id")
                        .from("company_industries")
                        .and_where(Expr::col("company_id").eq(company_id)),
                )
                .await?;
            l.set(spec, "company_id", Val::Int(company_id));
            l.set(spec, "company_name", Val::Text(name));
            l.set(spec, "website", Val::Text(website));
            l.set(spec, "company_email", Val::Text(email));
            l.set(spec, "type_id", type_id.map_or(Val::Null, Val::Int));
            l.set(spec, "industries", crate::crm::fields::ids_val(industries.into_iter().map(|(i,)| i).collect()));
        }
    }
    let id = repo::insert(tx, spec, &l, &[("token", token())], actor, &names).await?;
    r.lead_id = Some(id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_domains_lose_scheme_www_and_path() {
        assert_eq!(web_domain("https://www.Acme.com/about?x=1"), "acme.com");
        assert_eq!(web_domain("acme.com"), "acme.com");
        assert_eq!(web_domain("http://user@shop.acme.com:8080"), "shop.acme.com");
        assert_eq!(web_domain(""), "");
    }
}
