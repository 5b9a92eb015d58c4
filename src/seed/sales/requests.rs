//! The demo's requests (issue 9, §6): the request most deals came from — processed, with the deal's
//! ticket, counterparty, owner, lead source and products, received the day the deal was made — and a
//! fortnight of pending ones still to verify: half from people the CRM knows (linked to their
//! contact person and company, "verification required", as matching leaves them), half from new
//! visitors.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SimpleExpr};

use super::bulk::Bulk;
use super::deals::Counterparties;
use super::people::Ledger;
use super::{Cx, names, pick};
use crate::db::Db;

const COLUMNS: [&str; 24] = [
    "request_for",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "lead_source_id",
    "receipt_date",
    "lead_id",
    "contact_id",
    "company_id",
    "country_id",
    "city_id",
    "description",
    "pending",
    "subsequent",
    "verification_required",
    "ticket",
    "co_owner_id",
    "department_id",
    "owner_id",
    "modified_by_id",
    "created_at",
    "updated_at",
];

/// Share of the deals that came from a request (the others were made by hand or from email).
const FROM_REQUEST: f64 = 0.35;

/// A deal as its request is made from it.
#[derive(sqlx::FromRow)]
struct Source {
    id: i64,
    name: String,
    ticket: String,
    contact_id: Option<i64>,
    lead_id: Option<i64>,
    company_id: Option<i64>,
    department_id: i64,
    owner_id: Option<i64>,
    co_owner_id: Option<i64>,
    lead_source_id: Option<i64>,
    country_id: Option<i64>,
    city_id: Option<i64>,
    created_at: DateTime<Utc>,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    company_name: String,
}

/// The deals' requests and the pending ones (`pending` of them); the number of requests made.
pub(super) async fn requests(
    db: &Db,
    cx: &Cx,
    cp: &Counterparties<'_>,
    pending: usize,
    rng: &mut StdRng,
    ledger: &mut Ledger,
) -> anyhow::Result<usize> {
    let mut b = Bulk::new(db, "requests", &COLUMNS, false);
    let mut made = 0;
    let mut after = 0i64;
    loop {
        let batch: Vec<Source> = db.fetch_all(&sources(after)).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for d in &batch {
            if !rng.random_bool(FROM_REQUEST) {
                continue;
            }
            // Contact person XOR lead, and a lead's request has no company (§6.7).
            let (contact, lead) = match (d.contact_id, d.lead_id) {
                (Some(c), _) => (Some(c), None),
                (None, l) => (None, l),
            };
            let company = if lead.is_some() { None } else { d.company_id };
            let first = if d.first_name.is_empty() { "Visitor".to_string() } else { d.first_name.clone() };
            b.push(vec![
                d.name.clone().into(),
                first.into(),
                d.last_name.clone().into(),
                d.email.clone().into(),
                d.phone.clone().into(),
                d.company_name.clone().into(),
                d.lead_source_id.into(),
                d.created_at.date_naive().into(),
                lead.into(),
                contact.into(),
                company.into(),
                d.country_id.into(),
                d.city_id.into(),
                "".into(),
                false.into(),
                rng.random_bool(0.3).into(),
                false.into(),
                d.ticket.clone().into(),
                d.co_owner_id.into(),
                d.department_id.into(),
                d.owner_id.into(),
                d.owner_id.into(),
                d.created_at.into(),
                d.created_at.into(),
            ])
            .await?;
            made += 1;
        }
    }
    made += pending_requests(&mut b, cx, cp, pending, rng, ledger).await?;
    b.finish().await?;
    link_deals(db).await?;
    Ok(made)
}

/// The next 5,000 deals after `after`, with their contact person's (else lead's) name and address.
fn sources(after: i64) -> sea_query::SelectStatement {
    let col = |t: &str, c: &str| Expr::col((Alias::new(t), Alias::new(c)));
    let either = |c: &str| Expr::cust(format!("COALESCE(contacts.{c}, leads.{c}, '')"));
    Query::select()
        .expr_as(col("deals", "id"), "id")
        .expr_as(col("deals", "name"), "name")
        .expr_as(col("deals", "ticket"), "ticket")
        .expr_as(col("deals", "contact_id"), "contact_id")
        .expr_as(col("deals", "lead_id"), "lead_id")
        .expr_as(col("deals", "company_id"), "company_id")
        .expr_as(col("deals", "department_id"), "department_id")
        .expr_as(col("deals", "owner_id"), "owner_id")
        .expr_as(col("deals", "co_owner_id"), "co_owner_id")
        .expr_as(col("deals", "lead_source_id"), "lead_source_id")
        .expr_as(col("deals", "country_id"), "country_id")
        .expr_as(col("deals", "city_id"), "city_id")
        .expr_as(col("deals", "created_at"), "created_at")
        .expr_as(either("first_name"), "first_name")
        .expr_as(either("last_name"), "last_name")
        .expr_as(either("email"), "email")
        .expr_as(either("phone"), "phone")
        .expr_as(Expr::cust("COALESCE(companies.full_name, '')"), "company_name")
        .from("deals")
        .left_join("contacts", col("contacts", "id").equals(("deals", "contact_id")))
        .left_join("leads", col("leads", "id").equals(("deals", "lead_id")))
        .left_join("companies", col("companies", "id").equals(("deals", "company_id")))
        .and_where(col("deals", "id").gt(after))
        .order_by(("deals", "id"), Order::Asc)
        .limit(5000)
        .to_owned()
}

/// `n` pending requests over the last fortnight, oldest first (ids follow time).
async fn pending_requests(
    b: &mut Bulk<'_>,
    cx: &Cx,
    cp: &Counterparties<'_>,
    n: usize,
    rng: &mut StdRng,
    ledger: &mut Ledger,
) -> anyhow::Result<usize> {
    let mut made = 0;
    for i in 0..n {
        let at = cx.created(rng, i, n, 14);
        let known = (!cp.contacts.is_empty() && rng.random_bool(0.5))
            .then(|| &cp.contacts[rng.random_range(0..cp.contacts.len())]);
        let row: Vec<SimpleExpr> = match known {
            Some(c) => {
                let company = &cp.companies[c.company];
                let d = &cx.depts[company.dept];
                let (first, last) = c.person.names();
                let product = pick(rng, &d.products.iter().map(|p| p.name.as_str()).collect::<Vec<_>>());
                row(RowOf {
                    subject: format!("Quote for {}", product.unwrap_or("your equipment")),
                    first,
                    last,
                    email: format!("{}.{}@{}", names::ascii(first), names::ascii(last), company.domain),
                    phone: company.phone.clone(),
                    company_name: company.name.clone(),
                    source: company.lead_source.or_else(|| pick(rng, &d.lead_sources)),
                    contact: Some(c.id),
                    company: Some(company.id),
                    country: company.place.map(|p| cx.places[p].country_id),
                    department: d.id,
                    owner: company.owner,
                    ticket: ledger.tokens.next(rng),
                    at,
                })
            }
            None => {
                let di = cx.pick_dept(rng);
                let d = &cx.depts[di];
                let female = rng.random_bool(0.5);
                let firsts = if female { names::FIRST_FEMALE } else { names::FIRST_MALE };
                let first = firsts[rng.random_range(0..firsts.len())];
                let last = names::LAST[rng.random_range(0..names::LAST.len())];
                let core = names::COMPANY_CORES[rng.random_range(0..names::COMPANY_CORES.len())];
                let mail = names::PUBLIC_MAIL[rng.random_range(0..names::PUBLIC_MAIL.len())];
                let place = cx.pick_place(rng, di);
                row(RowOf {
                    subject: "Price request from the website".to_string(),
                    first,
                    last,
                    email: format!("{}.{}{}@{mail}", names::ascii(first), names::ascii(last), rng.random_range(1..99)),
                    phone: format!("+{}", rng.random_range(10_000_000_000u64..99_999_999_999)),
                    company_name: format!("{last} {core}"),
                    source: pick(rng, &d.lead_sources),
                    contact: None,
                    company: None,
                    country: place.map(|p| cx.places[p].country_id),
                    department: d.id,
                    owner: None,
                    ticket: ledger.tokens.next(rng),
                    at,
                })
            }
        };
        b.push(row).await?;
        made += 1;
    }
    Ok(made)
}

/// A pending request's values.
struct RowOf<'a> {
    subject: String,
    first: &'a str,
    last: &'a str,
    email: String,
    phone: String,
    company_name: String,
    source: Option<i64>,
    contact: Option<i64>,
    company: Option<i64>,
    country: Option<i64>,
    department: i64,
    owner: Option<i64>,
    ticket: String,
    at: DateTime<Utc>,
}

fn row(r: RowOf<'_>) -> Vec<SimpleExpr> {
    let linked = r.contact.is_some();
    vec![
        r.subject.into(),
        r.first.into(),
        r.last.into(),
        r.email.into(),
        r.phone.into(),
        r.company_name.into(),
        r.source.into(),
        r.at.date_naive().into(),
        None::<i64>.into(),
        r.contact.into(),
        r.company.into(),
        r.country.into(),
        None::<i64>.into(),
        "Please send your best price and delivery time.".into(),
        true.into(),
        linked.into(),
        linked.into(),
        r.ticket.into(),
        None::<i64>.into(),
        r.department.into(),
        r.owner.into(),
        None::<i64>.into(),
        r.at.into(),
        (r.at + Duration::minutes(1)).into(),
    ]
}

/// Each deal points at the request with its ticket; the request lists the deal's products.
async fn link_deals(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        Query::update()
            .table("deals")
            .value(
                "request_id",
                Expr::cust("(SELECT MIN(requests.id) FROM requests WHERE requests.ticket = deals.ticket)"),
            )
            .and_where(Expr::col("request_id").is_null()),
    )
    .await?;
    tx.execute(
        Query::insert().into_table("request_products").columns(["request_id", "product_id"]).select_from(
            Query::select()
                .distinct()
                .column(("deals", "request_id"))
                .column(("outputs", "product_id"))
                .from("deals")
                .inner_join("outputs", Expr::col(("outputs", "deal_id")).equals(("deals", "id")))
                .and_where(Expr::col(("deals", "request_id")).is_not_null())
                .to_owned(),
        )?,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
