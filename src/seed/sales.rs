//! The sales CRM's demo data, after the Tasks section's (`seed::run_sized`): per `Size`, companies
//! with their contact persons, leads, deals with line items and payments, plus each sales
//! department's products, tags and settings and some cities.
//!
//! Three sales departments share the rows ("Global sales", "Local sales", "Export sales"); every
//! row's owner is an active sales manager of its department (Mark.Manager.Global, the benchmark's
//! manager, owns about 7.5 % of Global sales'), or nobody for about one row in twenty. Rows follow
//! the model's rules: a contact has its company's department and owner, a deal's stage and closing
//! reason are its department's, closed deals have a reason, success-stage deals a win date, lost
//! deals only received payments (§12.6); every `*_key` column is `text::fold`/`text::match_key` of
//! its field. Its own random stream keeps it deterministic and the Tasks data unchanged.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Order, Query};

use super::{Size, Stats};
use crate::access::Role;
use crate::db::{self, Db, Tx};
use crate::history::Actor;
use crate::text;
use crate::users::repo;

mod bulk;
mod deals;
mod emails;
mod names;
mod people;
mod requests;

use bulk::Bulk;

/// The departments the sales data is spread over (the seed's users put their sales managers there).
pub const SALES_DEPARTMENTS: [&str; 3] = ["Global sales", "Local sales", "Export sales"];

/// Each department's share of the rows, in `SALES_DEPARTMENTS` order.
const DEPARTMENT_WEIGHTS: [u32; 3] = [40, 35, 25];

/// The manager whose share is fixed, so that benchmarks as him see a realistic list.
const STAR: &str = "Mark.Manager.Global";

/// True when the CRM has no company and no deal yet: the seed fills only an empty CRM.
pub async fn is_empty(db: &Db) -> Result<bool, sqlx::Error> {
    for table in ["companies", "deals"] {
        let q = Query::select().expr(Expr::cust("COUNT(*)")).from(table).to_owned();
        if db.scalar::<i64>(&q).await?.unwrap_or(0) > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A country the seed uses, with its cities' ids.
struct Place {
    country_id: i64,
    market: &'static names::Market,
    cities: Vec<(i64, &'static str)>,
}

struct Stage {
    id: i64,
    name: String,
    success: bool,
    conditional: bool,
    shipped: bool,
}

struct Product {
    id: i64,
    name: String,
    price_cents: i64,
    service: bool,
}

/// Who may own a department's rows: its active sales managers.
struct Owners {
    star: Option<i64>,
    others: Vec<i64>,
}

impl Owners {
    /// Nobody for one row in twenty; the star manager for 7.5 %; else any other manager.
    fn pick(&self, rng: &mut StdRng) -> Option<i64> {
        if rng.random_bool(0.05) {
            return None;
        }
        match self.star {
            Some(s) if self.others.is_empty() || rng.random_bool(0.075) => Some(s),
            _ => pick(rng, &self.others),
        }
    }

    /// Another manager than `not` (a deal's co-owner), if there is one.
    fn other(&self, rng: &mut StdRng, not: Option<i64>) -> Option<i64> {
        let all: Vec<i64> = self.star.iter().chain(&self.others).copied().filter(|u| Some(*u) != not).collect();
        pick(rng, &all)
    }
}

/// A sales department with its dictionaries, products, tags, markets and managers.
struct Dept {
    id: i64,
    currency_id: Option<i64>,
    /// (index into `Cx::places`, weight).
    markets: Vec<(usize, u32)>,
    stages: Vec<Stage>,
    /// (id, success reason).
    reasons: Vec<(i64, bool)>,
    client_types: Vec<i64>,
    industries: Vec<i64>,
    lead_sources: Vec<i64>,
    products: Vec<Product>,
    tags: Vec<i64>,
    owners: Owners,
}

/// What every part of the sales seed reads.
struct Cx {
    now: DateTime<Utc>,
    today: NaiveDate,
    places: Vec<Place>,
    depts: Vec<Dept>,
}

impl Cx {
    /// A department by `DEPARTMENT_WEIGHTS`.
    fn pick_dept(&self, rng: &mut StdRng) -> usize {
        let total: u32 = DEPARTMENT_WEIGHTS.iter().take(self.depts.len()).sum();
        let mut r = rng.random_range(0..std::cmp::max(total, 1));
        for (i, w) in DEPARTMENT_WEIGHTS.iter().enumerate().take(self.depts.len()) {
            if r < *w {
                return i;
            }
            r -= w;
        }
        0
    }

    /// A country of the department's markets (an index into `places`), if it has any.
    fn pick_place(&self, rng: &mut StdRng, dept: usize) -> Option<usize> {
        let markets = &self.depts[dept].markets;
        let total: u32 = markets.iter().map(|m| m.1).sum();
        if total == 0 {
            return None;
        }
        let mut r = rng.random_range(0..total);
        for (place, w) in markets {
            if r < *w {
                return Some(*place);
            }
            r -= w;
        }
        None
    }

    /// The time `i` of `n` rows made evenly over the last `days` days (so ids follow time), jittered.
    fn created(&self, rng: &mut StdRng, i: usize, n: usize, days: i64) -> DateTime<Utc> {
        let span = days * 24 * 60;
        let back = span - span * i as i64 / std::cmp::max(n, 1) as i64;
        self.now - Duration::minutes(std::cmp::max(back - rng.random_range(0..600), 1))
    }
}

fn pick<T: Copy>(rng: &mut StdRng, from: &[T]) -> Option<T> {
    (!from.is_empty()).then(|| from[rng.random_range(0..from.len())])
}

/// Fills the sales CRM as `size` says; adds its counts to `stats`.
pub(super) async fn run(db: &Db, size: &Size, stats: &mut Stats) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(20261126);
    let cx = setup(db).await?;
    stats.products = cx.depts.iter().map(|d| d.products.len()).sum();
    let mut ledger = people::Ledger::default();
    let l = &mut ledger;
    let phase = std::time::Instant::now();
    let took = |what: &str| tracing::info!(seconds = phase.elapsed().as_secs_f64(), "seed: {what} done");
    let companies = people::companies(db, &cx, size.companies, &mut rng, l).await?;
    let contacts = people::contacts(db, &cx, &companies, size.contacts, &mut rng, l).await?;
    let leads = people::leads(db, &cx, &companies, &contacts, size.leads, &mut rng, l).await?;
    let counterparties = deals::Counterparties { companies: &companies, contacts: &contacts, leads: &leads };
    took("counterparties");
    let made = deals::deals(db, &cx, &counterparties, size, &mut rng, l).await?;
    took("deals");
    stats.companies = companies.len();
    stats.contacts = contacts.len();
    stats.leads = leads.len();
    stats.deals = made.deals;
    stats.outputs = made.outputs;
    stats.payments = made.payments;
    // The requests the deals came from, and a fortnight of pending ones (issue 9).
    stats.requests = requests::requests(db, &cx, &counterparties, size.deals / 25, &mut rng, l).await?;
    took("requests");
    stats.emails = emails::emails(db).await?;
    took("emails");
    stats.taggings = ledger.taggings.len();
    let mut b = Bulk::new(db, "crm_taggings", &["object_type", "object_id", "tag_id"], false);
    for (kind, object, tag) in ledger.taggings {
        b.push(vec![kind.into(), object.into(), tag.into()]).await?;
    }
    b.finish().await?;
    // The search index of everything the bulk load wrote (§10).
    crate::crm::search::rebuild(db).await?;
    took("search index");
    // Request matching's look-up keys of the counterparties (emails, phones, domains).
    for spec in [&crate::crm::company::SPEC, &crate::crm::person::CONTACT, &crate::crm::person::LEAD] {
        let mut tx = db.begin().await?;
        crate::requests::keys::fill(&mut tx, spec).await?;
        tx.commit().await?;
    }
    took("match keys");
    Ok(())
}

/// The departments with their settings (§16.3), dictionaries, product catalogue, tags and managers;
/// the markets' cities.
async fn setup(db: &Db) -> anyhow::Result<Cx> {
    let now = db::now();
    let actor = Actor::system("seed");
    let mut tx = db.begin().await?;
    let currency = |code: &'static str| {
        Query::select().column("id").from("currencies").and_where(Expr::col("name").eq(code)).to_owned()
    };
    let usd: Option<i64> = tx.scalar(&currency("USD")).await?;
    let eur: Option<i64> = tx.scalar(&currency("EUR")).await?;
    let places = places(&mut tx).await?;
    let us = places.iter().find(|p| p.market.country == "United States").map(|p| p.country_id);
    let mut depts = Vec::new();
    for (k, name) in SALES_DEPARTMENTS.iter().enumerate() {
        let id = repo::department_by_name_or_create(&mut tx, name, &actor).await?;
        // Global and Export sales work abroad; Local sales at home, in dollars (§16.3).
        let (global, country, dept_currency) = match k {
            0 => (true, None, usd),
            1 => (false, us, usd),
            _ => (true, None, eur.or(usd)),
        };
        tx.execute(
            Query::update()
                .table("departments")
                .value("works_globally", global)
                .value("default_country_id", country)
                .value("default_currency_id", dept_currency)
                .and_where(Expr::col("id").eq(id)),
        )
        .await?;
        let markets = names::DEPARTMENT_MARKETS[k]
            .iter()
            .filter_map(|(c, w)| places.iter().position(|p| p.market.country == *c).map(|i| (i, *w)))
            .collect();
        let products = catalogue(&mut tx, id, k, dept_currency, now).await?;
        let tags = tags(&mut tx, id, now).await?;
        depts.push(Dept {
            id,
            currency_id: dept_currency,
            markets,
            stages: stages(&mut tx, id).await?,
            reasons: tx.fetch_all(&dictionary("closing_reasons", id, &["id", "success_reason"])).await?,
            client_types: ids(&mut tx, &dictionary("client_types", id, &["id"])).await?,
            industries: ids(&mut tx, &dictionary("industries", id, &["id"])).await?,
            lead_sources: ids(&mut tx, &dictionary("lead_sources", id, &["id"])).await?,
            products,
            tags,
            owners: owners(&mut tx, id).await?,
        });
    }
    tx.commit().await?;
    Ok(Cx { now, today: now.date_naive(), places, depts })
}

fn dictionary(table: &'static str, dept: i64, cols: &[&'static str]) -> sea_query::SelectStatement {
    Query::select()
        .columns(cols.iter().copied())
        .from(table)
        .and_where(Expr::col("department_id").eq(dept))
        .order_by("index_number", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned()
}

async fn ids(tx: &mut Tx, q: &sea_query::SelectStatement) -> Result<Vec<i64>, sqlx::Error> {
    Ok(tx.fetch_all::<(i64,)>(q).await?.into_iter().map(|(i,)| i).collect())
}

async fn stages(tx: &mut Tx, dept: i64) -> Result<Vec<Stage>, sqlx::Error> {
    let cols = ["id", "name", "success_stage", "conditional_success_stage", "goods_shipped"];
    let rows: Vec<(i64, String, bool, bool, bool)> = tx.fetch_all(&dictionary("deal_stages", dept, &cols)).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, success, conditional, shipped)| Stage { id, name, success, conditional, shipped })
        .collect())
}

/// The markets' countries, and their cities (added if missing, `name_key` = `text::fold(name)`).
async fn places(tx: &mut Tx) -> anyhow::Result<Vec<Place>> {
    let countries: Vec<(i64, String)> =
        tx.fetch_all(&Query::select().columns(["id", "name"]).from("countries").to_owned()).await?;
    let mut places = Vec::new();
    for market in names::MARKETS {
        if let Some((id, _)) = countries.iter().find(|(_, n)| n == market.country) {
            places.push(Place { country_id: *id, market, cities: Vec::new() });
        }
    }
    if places.is_empty() {
        return Ok(places);
    }
    let mut q = Query::insert();
    q.into_table("cities")
        .columns(["name", "name_key", "country_id"])
        .on_conflict(OnConflict::columns(["country_id", "name_key"]).do_nothing().to_owned());
    for p in &places {
        for city in p.market.cities {
            q.values([(*city).into(), text::fold(city).into(), p.country_id.into()])?;
        }
    }
    tx.execute(&q).await?;
    let all: Vec<(i64, i64, String)> =
        tx.fetch_all(&Query::select().columns(["id", "country_id", "name_key"]).from("cities").to_owned()).await?;
    for p in &mut places {
        for city in p.market.cities {
            let key = text::fold(city);
            if let Some((id, _, _)) = all.iter().find(|(_, c, k)| *c == p.country_id && *k == key) {
                p.cities.push((*id, city));
            }
        }
    }
    Ok(places)
}

/// The department's product categories (added if missing) and a product per catalogue entry,
/// priced in the department's currency; `k` gives each department its own model numbers.
async fn catalogue(
    tx: &mut Tx,
    dept: i64,
    k: usize,
    currency: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Product>> {
    let mut q = Query::insert();
    q.into_table("product_categories")
        .columns(["department_id", "name", "index_number"])
        .on_conflict(OnConflict::columns(["department_id", "name"]).do_nothing().to_owned());
    for (i, (category, _)) in names::CATALOGUE.iter().enumerate() {
        q.values([dept.into(), (*category).into(), (i as i32 + 1).into()])?;
    }
    tx.execute(&q).await?;
    let categories: Vec<(i64, String)> = tx.fetch_all(&dictionary("product_categories", dept, &["id", "name"])).await?;
    let series = ["GX", "LS", "EX"][k % 3];
    let mut q = Query::insert();
    q.into_table("products")
        .columns([
            "name",
            "description",
            "price_cents",
            "currency_id",
            "on_sale",
            "kind",
            "category_id",
            "department_id",
            "created_at",
            "updated_at",
        ])
        .returning_col("id");
    let mut plan = Vec::new();
    for (c, (category, items)) in names::CATALOGUE.iter().enumerate() {
        let category_id = categories.iter().find(|(_, n)| n == category).map(|(id, _)| *id);
        for (j, (item, units)) in items.iter().enumerate() {
            let name = format!("{item} {series}-{}", 100 + 20 * (c + j));
            // Local sales sells a little cheaper, Export sales a little dearer.
            let price_cents = units * [100, 95, 110][k % 3];
            let service = *category == "Services";
            q.values([
                name.clone().into(),
                format!("{item} from the {category} range.").into(),
                price_cents.into(),
                currency.into(),
                (j != 5 || c % 2 == 0).into(), // a few are no longer sold
                (if service { "service" } else { "goods" }).into(),
                category_id.into(),
                dept.into(),
                now.into(),
                now.into(),
            ])?;
            plan.push((name, price_cents, service));
        }
    }
    let got = ids_of(tx, &q).await?;
    Ok(got
        .into_iter()
        .zip(plan)
        .map(|(id, (name, price_cents, service))| Product { id, name, price_cents, service })
        .collect())
}

/// The department's tags (added if missing; `name_key` = `text::fold(name)`).
async fn tags(tx: &mut Tx, dept: i64, now: DateTime<Utc>) -> anyhow::Result<Vec<i64>> {
    let mut q = Query::insert();
    q.into_table("crm_tags")
        .columns(["name", "name_key", "department_id", "created_at", "updated_at"])
        .on_conflict(OnConflict::columns(["department_id", "name_key"]).do_nothing().to_owned());
    for name in names::TAGS {
        q.values([(*name).into(), text::fold(name).into(), dept.into(), now.into(), now.into()])?;
    }
    tx.execute(&q).await?;
    let q = Query::select()
        .column("id")
        .from("crm_tags")
        .and_where(Expr::col("department_id").eq(dept))
        .order_by("id", Order::Asc)
        .to_owned();
    Ok(ids(tx, &q).await?)
}

async fn ids_of(tx: &mut Tx, q: &InsertStatement) -> Result<Vec<i64>, sqlx::Error> {
    Ok(tx.fetch_all::<(i64,)>(q).await?.into_iter().map(|(i,)| i).collect())
}

/// The department's active sales managers, by id; the star manager apart.
async fn owners(tx: &mut Tx, dept: i64) -> Result<Owners, sqlx::Error> {
    let q = Query::select()
        .column(("users", "id"))
        .column(("users", "username"))
        .from("users")
        .inner_join("user_roles", Expr::col(("user_roles", "user_id")).equals(("users", "id")))
        .and_where(Expr::col(("user_roles", "role")).eq(Role::SalesManager.slug()))
        .and_where(Expr::col(("users", "department_id")).eq(dept))
        .and_where(Expr::col(("users", "is_active")).eq(true))
        .order_by(("users", "id"), Order::Asc)
        .to_owned();
    let rows: Vec<(i64, String)> = tx.fetch_all(&q).await?;
    let star = rows.iter().find(|(_, u)| u == STAR).map(|(id, _)| *id);
    Ok(Owners { star, others: rows.into_iter().filter(|(_, u)| u != STAR).map(|(id, _)| id).collect() })
}
