//! The deal list of §12.1–12.4: its own filters (active, important, stage, closing reason, product,
//! partner, changed by chiefs, relevant, creation date, a counterparty, "Successful deals"), the
//! sort toggle (newest first ⇄ nearest next step first), and what a page shows beyond the fields:
//! the marks of §12.3, the counterparty's deal counter, the creation time. Everything a page shows
//! is read in a constant number of queries, whatever its length (no per-row query).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use poem::{IntoResponse, Response};
use sea_query::{Expr, ExprTrait, Func, Query, SelectStatement, UnionType};
use serde::Deserialize;

use super::list::{self, Filter};
use super::repo::Record;
use crate::access::{self, ItemKind, ListKind, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::AppResult;
use crate::htmx::HxRequest;
use crate::views;
use crate::web;

const T: &str = "deals";

/// The deal list's filters beyond search, owner and department. Every value is text from the query
/// string; one that does not parse filters nothing.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct DealFilter {
    /// "" newest first, "step": next step date ascending (§12.1).
    #[serde(default)]
    pub sort: String,
    /// "" (the default: yes, or all when a counterparty, stage or closing reason is chosen),
    /// "yes", "no", "all".
    #[serde(default)]
    pub active: String,
    /// "" or "yes".
    #[serde(default)]
    pub important: String,
    /// A stage id (forces active = all: closed deals are at stages too).
    #[serde(default)]
    pub stage: String,
    /// A closing reason id (forces active = all).
    #[serde(default)]
    pub reason: String,
    /// A product id: deals with an output of it.
    #[serde(default)]
    pub product: String,
    /// A partner contact id, "yes" (any partner) or "no" (none).
    #[serde(default)]
    pub partner: String,
    /// "yes": last changed by a chief.
    #[serde(default)]
    pub chiefs: String,
    /// "", "yes", "no".
    #[serde(default)]
    pub relevant: String,
    /// A counterparty's deals (its link in the list, "Deals (N)").
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub lead: String,
    /// "yes": "Successful deals" (closed with the department's success reason).
    #[serde(default)]
    pub success: String,
    /// An industry id: deals whose company has that industry (§12.4).
    #[serde(default)]
    pub industry: String,
    /// A country id, a city id: the deal's own country and city (§12.4).
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub city: String,
}

/// Which deals by their active flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Active {
    Yes,
    No,
    All,
}

fn id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

impl DealFilter {
    /// The query string's pairs, in a fixed order (empty values are left out by `paths::query`).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("active", self.active.clone()),
            ("important", self.important.clone()),
            ("stage", self.stage.clone()),
            ("reason", self.reason.clone()),
            ("product", self.product.clone()),
            ("partner", self.partner.clone()),
            ("chiefs", self.chiefs.clone()),
            ("relevant", self.relevant.clone()),
            ("company", self.company.clone()),
            ("contact", self.contact.clone()),
            ("lead", self.lead.clone()),
            ("success", self.success.clone()),
            ("industry", self.industry.clone()),
            ("country", self.country.clone()),
            ("city", self.city.clone()),
            ("sort", self.sort.clone()),
        ]
    }

    pub fn by_next_step(&self) -> bool {
        self.sort == "step"
    }

    /// The list is one counterparty's deals.
    pub fn counterparty(&self) -> bool {
        id(&self.company).is_some() || id(&self.contact).is_some() || id(&self.lead).is_some()
    }

    /// §12.4: active deals by default; all of them for a counterparty, a stage or a closing reason
    /// (a chosen stage or reason overrides the choice, or closed deals could never be found by
    /// them); "Successful deals" are closed ones.
    pub fn active(&self) -> Active {
        if self.success == "yes" {
            return Active::No;
        }
        if id(&self.stage).is_some() || id(&self.reason).is_some() {
            return Active::All;
        }
        match self.active.as_str() {
            "yes" => Active::Yes,
            "no" => Active::No,
            "all" => Active::All,
            _ if self.counterparty() => Active::All,
            _ => Active::Yes,
        }
    }
}

/// Adds the deal filters to a deal query (`crm::list::filtered` calls it after the access scope).
pub fn narrow(f: &DealFilter, q: &mut SelectStatement) {
    match f.active() {
        Active::Yes => {
            q.and_where(Expr::col((T, "active")).eq(true));
        }
        Active::No => {
            q.and_where(Expr::col((T, "active")).eq(false));
        }
        Active::All => {}
    }
    if f.important == "yes" {
        q.and_where(Expr::col((T, "important")).eq(true));
    }
    match f.relevant.as_str() {
        "yes" => {
            q.and_where(Expr::col((T, "relevant")).eq(true));
        }
        "no" => {
            q.and_where(Expr::col((T, "relevant")).eq(false));
        }
        _ => {}
    }
    for (col, value) in [
        ("stage_id", &f.stage),
        ("closing_reason_id", &f.reason),
        ("company_id", &f.company),
        ("contact_id", &f.contact),
        ("lead_id", &f.lead),
        // `ix_deals_country`, `ix_deals_city` (migration 11): newest first within the country.
        ("country_id", &f.country),
        ("city_id", &f.city),
    ] {
        if let Some(v) = id(value) {
            q.and_where(Expr::col((T, col)).eq(v));
        }
    }
    match f.partner.as_str() {
        "no" => {
            q.and_where(Expr::col((T, "partner_contact_id")).is_null());
        }
        "yes" => {
            q.and_where(Expr::col((T, "partner_contact_id")).is_not_null());
        }
        p => {
            if let Some(v) = id(p) {
                q.and_where(Expr::col((T, "partner_contact_id")).eq(v));
            }
        }
    }
    if let Some(p) = id(&f.product) {
        let with =
            Query::select().column("deal_id").from("outputs").and_where(Expr::col("product_id").eq(p)).to_owned();
        q.and_where(Expr::col((T, "id")).in_subquery(with));
    }
    if let Some(i) = id(&f.industry) {
        // The industry's companies (`ix_company_industries_industry`), then their deals
        // (`ix_deals_company`): bounded by the industry's deals, whatever the department's size.
        let of = Query::select()
            .column("company_id")
            .from("company_industries")
            .and_where(Expr::col("industry_id").eq(i))
            .to_owned();
        q.and_where(Expr::col((T, "company_id")).in_subquery(of));
    }
    if f.chiefs == "yes" {
        let chiefs = Query::select()
            .column("user_id")
            .from("user_roles")
            .and_where(Expr::col("role").eq(access::Role::Chief.slug()))
            .to_owned();
        q.and_where(Expr::col((T, "modified_by_id")).in_subquery(chiefs));
    }
    if f.success == "yes" {
        let reasons = Query::select()
            .column("id")
            .from("closing_reasons")
            .and_where(Expr::col("success_reason").eq(true))
            .to_owned();
        q.and_where(Expr::col((T, "closing_reason_id")).in_subquery(reasons));
    }
}

/// An icon of §12.3 on a deal's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    UnreadChat,
    PaymentReceived,
    SpecifyShipmentDate,
    SpecifyProducts,
    ExpiredShipment,
}

impl Mark {
    /// (icon, colour class, tooltip).
    pub fn look(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Mark::UnreadChat => ("message", "red", "Unread chat message"),
            Mark::PaymentReceived => ("payments", "green", "Payment received"),
            Mark::SpecifyShipmentDate => ("truck", "grey", "Specify the date of shipment"),
            Mark::SpecifyProducts => ("cart", "red", "Specify products"),
            Mark::ExpiredShipment => ("truck", "red", "Expired shipment date"),
        }
    }
}

/// What a page of deals shows beyond their fields.
#[derive(Debug, Default)]
pub struct Extras {
    pub marks: HashMap<i64, Vec<Mark>>,
    /// Deals the viewer may see per company and per lead (the "(N)" counter).
    pub per_company: HashMap<i64, i64>,
    pub per_lead: HashMap<i64, i64>,
    pub created: HashMap<i64, DateTime<Utc>>,
    /// CTQS of the page's deals that have quality events (`crm::quality::scores`); None: the
    /// viewer's roles do not read quality events, so the list has no CTQS column.
    pub ctqs: Option<HashMap<i64, i64>>,
}

/// The page's deal ids as a bound list (never empty: callers skip an empty page).
fn ids_of(records: &[Record]) -> Vec<i64> {
    records.iter().map(|r| r.id).collect()
}

/// The marks, counters, creation times and CTQS of a page of deals: six queries, whatever the page.
pub async fn extras(db: &Db, v: &Viewer, records: &[Record], today: NaiveDate) -> AppResult<Extras> {
    let mut x = Extras::default();
    if records.is_empty() {
        return Ok(x);
    }
    let ids = ids_of(records);
    let spec = &super::deal::SPEC;

    // 1. Creation times.
    let created: Vec<(i64, DateTime<Utc>)> = db
        .fetch_all(Query::select().columns(["id", "created_at"]).from(T).and_where(Expr::col("id").is_in(ids.clone())))
        .await?;
    x.created = created.into_iter().collect();

    // 2. Unread chat: the viewer's unread notices about these deals (what a chat message on a
    // deal leaves its owner and co-owner; nothing else notifies about a deal yet).
    let unread: Vec<(i64,)> = db
        .fetch_all(
            Query::select()
                .distinct()
                .column("object_id")
                .from("notifications")
                .and_where(Expr::col("user_id").eq(v.id))
                .and_where(Expr::col("read_at").is_null())
                .and_where(Expr::col("object_type").eq(ItemKind::Deal.slug()))
                .and_where(Expr::col("object_id").is_in(ids.clone())),
        )
        .await?;
    let unread: HashSet<i64> = unread.into_iter().map(|(i,)| i).collect();

    // 3. Received payments.
    // Grouped by deal rather than filtered by status: SQLite would otherwise walk every received
    // payment by ix_payments_status_date (100 ms at 100k payments) instead of the page's 50 deals.
    let received = Expr::case(Expr::col("status").eq("received"), 1).finally(0);
    let paid: Vec<(i64,)> = db
        .fetch_all(
            Query::select()
                .column("deal_id")
                .from("payments")
                .and_where(Expr::col("deal_id").is_in(ids.clone()))
                .group_by_col("deal_id")
                .and_having(Func::sum(received).gt(0)),
        )
        .await?;
    let paid: HashSet<i64> = paid.into_iter().map(|(i,)| i).collect();

    // 4. Outputs: how many, how many without a contract shipping date, how many past it and not
    // shipped while the deal is at a stage other than "goods shipped".
    let late = Expr::col(("outputs", "shipping_date"))
        .lt(today)
        .and(Expr::col(("outputs", "product_is_shipped")).eq(false))
        .and(
            Expr::col(("deal_stages", "goods_shipped"))
                .eq(false)
                .or(Expr::col(("deal_stages", "goods_shipped")).is_null()),
        );
    let outputs: Vec<(i64, i64, i64, i64)> = db
        .fetch_all(
            Query::select()
                .column(("outputs", "deal_id"))
                .expr(Expr::col(("outputs", "id")).count())
                .expr(Func::sum(Expr::case(Expr::col(("outputs", "shipping_date")).is_null(), 1).finally(0)))
                .expr(Func::sum(Expr::case(late, 1).finally(0)))
                .from("outputs")
                .inner_join(T, Expr::col((T, "id")).equals(("outputs", "deal_id")))
                .left_join("deal_stages", Expr::col(("deal_stages", "id")).equals((T, "stage_id")))
                .and_where(Expr::col(("outputs", "deal_id")).is_in(ids.clone()))
                .group_by_col(("outputs", "deal_id")),
        )
        .await?;
    let outputs: HashMap<i64, (i64, i64, i64)> =
        outputs.into_iter().map(|(d, n, undated, late)| (d, (n, undated, late))).collect();

    for r in records {
        let mut m = Vec::new();
        if unread.contains(&r.id) {
            m.push(Mark::UnreadChat);
        }
        let (n, undated, late) = outputs.get(&r.id).copied().unwrap_or((0, 0, 0));
        if paid.contains(&r.id) {
            m.push(Mark::PaymentReceived);
            if n > 0 && undated > 0 {
                m.push(Mark::SpecifyShipmentDate);
            }
            if n == 0 {
                m.push(Mark::SpecifyProducts);
            }
        }
        if late > 0 {
            m.push(Mark::ExpiredShipment);
        }
        if !m.is_empty() {
            x.marks.insert(r.id, m);
        }
    }

    // 5. CTQS (§12.3), one grouped query, for those who read quality events.
    if super::quality::reads(v) {
        x.ctqs = Some(super::quality::scores(db, ids.clone()).await?);
    }

    // 6. The counters: deals per company and per lead of the page, those the viewer may see,
    // grouped in one statement (two index ranges).
    let companies: Vec<i64> = records.iter().filter_map(|r| r.get(spec, "company_id").int()).collect();
    let leads: Vec<i64> = records.iter().filter_map(|r| r.get(spec, "lead_id").int()).collect();
    if !companies.is_empty() || !leads.is_empty() {
        let per = |col: &'static str, tag: &'static str, of: Vec<i64>| -> AppResult<SelectStatement> {
            let mut q = Query::select();
            q.expr_as(Expr::val(tag), "tag")
                .column((T, col))
                .expr(Expr::col((T, "id")).count())
                .from(T)
                .and_where(Expr::col((T, col)).is_in(of))
                .group_by_col((T, col));
            // The page's companies (or leads) narrow this to a few rows by their index.
            access::scope_as_filter(v, ListKind::Crm(ItemKind::Deal), &mut q)?;
            Ok(q)
        };
        let mut q = per("company_id", "c", companies)?;
        q.union(UnionType::All, per("lead_id", "l", leads)?);
        let rows: Vec<(String, i64, i64)> = db.fetch_all(&q).await?;
        for (tag, key, n) in rows {
            if tag == "c" {
                x.per_company.insert(key, n);
            } else {
                x.per_lead.insert(key, n);
            }
        }
    }
    Ok(x)
}

/// The filters' choices: the stages and closing reasons of the viewer's departments, the products.
#[derive(Debug, Default)]
pub struct Choices {
    pub stages: Vec<(i64, String)>,
    pub reasons: Vec<(i64, String)>,
    pub products: Vec<(i64, String)>,
    pub industries: Vec<(i64, String)>,
    /// The countries and cities of the deals the viewer may see (of the chosen department, and the
    /// cities of the chosen country). The country filter shows when there is more than one (§12.4).
    pub countries: Vec<(i64, String)>,
    pub cities: Vec<(i64, String)>,
}

/// The rows of a global dictionary (`countries`, `cities`) that deals `v` may see point to through
/// `col`: one probe of `ix_deals_country` / `ix_deals_city` per dictionary row (the scope and the
/// department are written as filters, so SQLite does not walk the department for each probe).
fn used(
    v: &Viewer,
    department: Option<i64>,
    table: &'static str,
    col: &'static str,
    country: Option<i64>,
) -> AppResult<SelectStatement> {
    let mut deals = Query::select();
    deals.expr(Expr::val(1)).from(T).and_where(Expr::col((T, col)).equals((table, "id")));
    access::scope_as_filter(v, ListKind::Crm(ItemKind::Deal), &mut deals)?;
    if let Some(d) = department {
        deals.and_where(Expr::col((T, "department_id")).add(0).eq(d));
    }
    let mut q = Query::select();
    q.column((table, "id")).column((table, "name")).from(table).and_where(Expr::exists(deals));
    if let Some(c) = country {
        q.and_where(Expr::col((table, "country_id")).eq(c));
    }
    q.order_by((table, "name"), sea_query::Order::Asc).limit(500);
    Ok(q)
}

async fn choices(db: &Db, v: &Viewer, department: Option<i64>, f: &DealFilter) -> AppResult<Choices> {
    let of = |table: &'static str| {
        let mut q = Query::select();
        q.columns(["id", "name"]).from(table);
        match department {
            Some(d) => {
                q.and_where(Expr::col("department_id").eq(d));
            }
            None if access::crm_sees_all_departments(v, ItemKind::Deal) => {}
            None => {
                q.and_where(Expr::col("department_id").is_in(v.departments.clone()));
            }
        }
        if table == "products" {
            q.order_by("name", sea_query::Order::Asc).limit(500);
        } else {
            q.order_by("department_id", sea_query::Order::Asc).order_by("index_number", sea_query::Order::Asc);
        }
        q
    };
    Ok(Choices {
        stages: db.fetch_all(&of("deal_stages")).await?,
        reasons: db.fetch_all(&of("closing_reasons")).await?,
        products: db.fetch_all(&of("products")).await?,
        industries: db.fetch_all(&of("industries")).await?,
        countries: db.fetch_all(&used(v, department, "countries", "country_id", None)?).await?,
        cities: db.fetch_all(&used(v, department, "cities", "city_id", id(&f.country))?).await?,
    })
}

/// The fields a row of the list shows or needs (`views::deals::list`, `extras`): the others are not
/// read (a deal's workflow and stage log grow with it; its contact, partner, country, city,
/// currency and closing reason would each cost a name look-up).
const SHOWN: &[&str] = &[
    "name",
    "next_step",
    "next_step_date",
    "stage_id",
    "company_id",
    "lead_id",
    "co_owner_id",
    "important",
    "relevant",
    "active",
    "is_new",
    "tags",
];

/// `GET /deals`: the generic list handler (`crm::handlers::index`) hands deals over.
pub async fn index(state: &AppState, viewer: &Viewer, hx: HxRequest, f: &Filter) -> AppResult<Response> {
    let (viewer, f) = (viewer.clone(), f.clone());
    let spec = &super::deal::SPEC;
    // The creation date is the list's extended date filter (§13.9); a bad one is a 422 with its
    // message and no rows.
    let invalid = f.period.range(crate::time::today()).err();
    let page = match invalid {
        Some(_) => crate::paging::Paged::window(Vec::new(), 1),
        None => list::list_of(&state.db, &viewer, spec, &f, Some(SHOWN)).await?,
    };
    let records: Vec<&Record> = page.items.iter().collect();
    let names = super::choices::names(&state.db, spec, &records).await?;
    let today = crate::time::today();
    let extras = extras(&state.db, &viewer, &page.items, today).await?;
    let departments = super::handlers::department_filter(state, &viewer, spec).await?;
    let can_create = super::handlers::can_create(state, &viewer, spec).await?;
    let tags = super::many::filter_tags(&state.db, &viewer, spec.kind).await?;
    let rows = views::crm::Rows {
        spec,
        page: &page,
        names: &names,
        filter: &f,
        departments: &departments,
        can_create,
        select: false,
        tags: &tags,
        warn_filters: list::words_with_filters(&viewer, spec, &f),
        elsewhere: &[],
        more_filters: None,
        extra: None,
        summary: invalid.as_deref().map(|m| views::ui::flash("error", m)),
    };
    let deals = views::deals::Deals { rows: &rows, extras: &extras, today };
    let m = if hx.0 {
        views::deals::list(&viewer, &deals)
    } else {
        let department = f.department.parse().ok();
        let choices = choices(&state.db, &viewer, department, &f.deal).await?;
        let cx = web::page_cx(state, &viewer, crate::views::layout::Nav::Crm(ItemKind::Deal), hx).await?;
        views::deals::index(&cx, &deals, &choices)
    };
    Ok(if invalid.is_some() { web::invalid(m) } else { m.into_response() })
}

/// May `v` see the deal list's "Person" column (§12.2: hidden for a manager looking at their own
/// deals unless they chose an owner)?
pub fn shows_person(v: &Viewer, f: &Filter) -> bool {
    !(f.owner.is_empty() && f.owner(v) == list::Owner::Mine)
}
