//! The Shipments list of §13.6: a deal's line items (`outputs`) with a contract shipping date,
//! seen through their deal (`access::scope(ListKind::Shipments)`: the deal's department), with
//! the deal's paid share, next guaranteed payment and order number, and the one change it allows:
//! the actual shipping date. Setting it marks the item shipped; the first time an item is shipped
//! its deal moves to the department's goods-shipped stage (through the deal's own save rules, which
//! log the stage date), gets the next step "The product has been shipped. (<user>)" dated today,
//! and its owner and co-owner are notified — one transaction with the deal's history, events after.

use std::collections::HashMap;

use chrono::NaiveDate;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement, UnionType};
use serde::Deserialize;

use super::deal::{self, Dicts};
use super::period::DateFilter;
use super::record::Val;
use super::repo;
use crate::access::{self, Action, ItemKind, ListKind, Role, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::{self, Actor, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::paging::{self, Paged};
use crate::views;
use crate::web::{self, Form, Query as QueryString};

pub const PATH: &str = "/shipments";
/// The next step a shipped deal gets (§13.6).
pub const SHIPPED_STEP: &str = "The product has been shipped.";

/// The list's query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ShipmentFilter {
    /// "" (the viewer's default: a plain manager's own deals), "mine", "all".
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub department: String,
    /// "", "yes", "no".
    #[serde(default)]
    pub shipped: String,
    /// A product id.
    #[serde(default)]
    pub product: String,
    /// The actual shipping date (§13.9).
    #[serde(flatten)]
    pub period: DateFilter,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
}

impl ShipmentFilter {
    pub fn query(&self, page: u64) -> String {
        let mut pairs = vec![
            ("owner", self.owner.clone()),
            ("department", self.department.clone()),
            ("shipped", self.shipped.clone()),
            ("product", self.product.clone()),
        ];
        pairs.extend(self.period.pairs());
        pairs.push(("page", if page > 1 { page.to_string() } else { String::new() }));
        views::ui::query(&pairs)
    }

    /// §3.2: plain managers see the outputs of deals they own or co-own unless they ask for all.
    pub fn mine(&self, v: &Viewer) -> bool {
        match self.owner.as_str() {
            "mine" => true,
            "all" => false,
            _ => super::list::Filter::owner_default(v) == super::list::Owner::Mine && v.is(Role::SalesManager),
        }
    }
}

/// One row of the list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Shipment {
    pub id: i64,
    pub deal_id: i64,
    pub product: String,
    pub quantity: i32,
    pub shipping_date: NaiveDate,
    pub actual_shipping_date: Option<NaiveDate>,
    pub product_is_shipped: bool,
    pub deal_name: String,
    pub department_id: i64,
    pub owner_id: Option<i64>,
    pub co_owner_id: Option<i64>,
    pub deal_amount_cents: Option<i64>,
    pub deal_currency_id: Option<i64>,
    pub company: Option<String>,
    pub country: Option<String>,
    pub owner_first: Option<String>,
    pub owner_last: Option<String>,
}

impl Shipment {
    /// What the access rules need to know of the row's deal.
    pub fn deal_item(&self, v: &Viewer) -> access::Item {
        access::Item::owned(v, ItemKind::Deal, self.owner_id, self.co_owner_id, self.department_id)
    }
    pub fn person(&self) -> Option<String> {
        let n = format!("{} {}", self.owner_first.as_deref().unwrap_or(""), self.owner_last.as_deref().unwrap_or(""));
        (!n.trim().is_empty()).then(|| n.trim().to_string())
    }
}

/// The deal's payments as a row shows them.
#[derive(Clone, Debug, Default)]
pub struct DealMoney {
    /// Received payments in the deal's currency, as a share of its amount (whole percent).
    pub paid_percent: Option<i64>,
    /// The latest guaranteed payment: amount, currency, date.
    pub next: Option<(i64, String, NaiveDate)>,
    /// The order number of the deal's first payment.
    pub order_number: Option<String>,
}

/// A page of the list, with what each row's deal shows and whether the viewer may open or
/// change it.
pub struct ShipmentPage {
    pub page: Paged<Shipment>,
    pub money: HashMap<i64, DealMoney>,
    pub can_view_deal: HashMap<i64, bool>,
    pub can_change: HashMap<i64, bool>,
}

fn base(v: &Viewer, f: &ShipmentFilter, range: super::period::Range) -> AppResult<SelectStatement> {
    let mut q = Query::select();
    q.from("outputs")
        .inner_join("deals", Expr::col(("deals", "id")).equals(("outputs", "deal_id")))
        .and_where(Expr::col(("outputs", "shipping_date")).is_not_null());
    access::scope(v, ListKind::Shipments, &mut q)?;
    if f.mine(v) {
        let mine = Query::select()
            .column("id")
            .from("deals")
            .and_where(Expr::col("owner_id").eq(v.id))
            .union(
                UnionType::All,
                Query::select().column("id").from("deals").and_where(Expr::col("co_owner_id").eq(v.id)).to_owned(),
            )
            .to_owned();
        q.and_where(Expr::col(("outputs", "deal_id")).in_subquery(mine));
    }
    if let Ok(d) = f.department.trim().parse::<i64>() {
        q.and_where(Expr::col(("deals", "department_id")).eq(d));
    }
    match f.shipped.as_str() {
        "yes" => {
            q.and_where(Expr::col(("outputs", "product_is_shipped")).eq(true));
        }
        "no" => {
            q.and_where(Expr::col(("outputs", "product_is_shipped")).eq(false));
        }
        _ => {}
    }
    if let Ok(p) = f.product.trim().parse::<i64>() {
        q.and_where(Expr::col(("outputs", "product_id")).eq(p));
    }
    DateFilter::narrow_date(range, ("outputs", "actual_shipping_date"), &mut q);
    Ok(q)
}

/// A `Shipment`'s columns and the joins they come from, over `outputs` joined to `deals`.
fn columns(q: &mut SelectStatement) {
    q.column(("outputs", "id"))
        .column(("outputs", "deal_id"))
        .expr_as(Expr::col(("products", "name")), "product")
        .column(("outputs", "quantity"))
        .column(("outputs", "shipping_date"))
        .column(("outputs", "actual_shipping_date"))
        .column(("outputs", "product_is_shipped"))
        .expr_as(Expr::col(("deals", "name")), "deal_name")
        .column(("deals", "department_id"))
        .column(("deals", "owner_id"))
        .column(("deals", "co_owner_id"))
        .expr_as(Expr::col(("deals", "amount_cents")), "deal_amount_cents")
        .expr_as(Expr::col(("deals", "currency_id")), "deal_currency_id")
        .expr_as(Expr::col(("companies", "full_name")), "company")
        .expr_as(Expr::col(("countries", "name")), "country")
        .expr_as(Expr::col(("users", "first_name")), "owner_first")
        .expr_as(Expr::col(("users", "last_name")), "owner_last")
        .inner_join("products", Expr::col(("products", "id")).equals(("outputs", "product_id")))
        .left_join("companies", Expr::col(("companies", "id")).equals(("deals", "company_id")))
        .left_join("countries", Expr::col(("countries", "id")).equals(("deals", "country_id")))
        .left_join("users", Expr::col(("users", "id")).equals(("deals", "owner_id")));
}

/// One page of shipments, the latest contract date first (`ix_outputs_shipping_date`).
pub async fn list(db: &Db, v: &Viewer, f: &ShipmentFilter, range: super::period::Range) -> AppResult<ShipmentPage> {
    let mut q = base(v, f, range)?;
    let page = paging::page_number(f.page);
    columns(&mut q);
    q.order_by(("outputs", "shipping_date"), Order::Desc)
        .order_by(("outputs", "id"), Order::Desc)
        .limit(paging::WINDOW)
        .offset(paging::offset(page));
    let rows: Vec<Shipment> = db.fetch_all(&q).await?;
    let page = Paged::window(rows, page);
    let money = deal_money(db, &page.items).await?;
    let mut can_view_deal = HashMap::new();
    let mut can_change = HashMap::new();
    for s in &page.items {
        let it = s.deal_item(v);
        can_view_deal.insert(s.id, access::can(v, Action::View, &access::Object::Item(it)));
        can_change.insert(s.id, access::changes_shipment(v, &it));
    }
    Ok(ShipmentPage { page, money, can_view_deal, can_change })
}

/// The paid share, next payment and order number of a page's deals: one query over their
/// payments (`ix_payments_deal`; a deal has a handful).
async fn deal_money(db: &Db, rows: &[Shipment]) -> AppResult<HashMap<i64, DealMoney>> {
    let mut out: HashMap<i64, DealMoney> = HashMap::new();
    let deals: Vec<i64> =
        rows.iter().map(|r| r.deal_id).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if deals.is_empty() {
        return Ok(out);
    }
    type Pay = (i64, i64, String, i64, i64, String, NaiveDate, Option<String>);
    let payments: Vec<Pay> = db
        .fetch_all(
            Query::select()
                .column(("payments", "deal_id"))
                .column(("payments", "id"))
                .column(("payments", "status"))
                .column(("payments", "amount_cents"))
                .column(("payments", "currency_id"))
                .expr_as(Expr::col(("currencies", "name")), "currency")
                .column(("payments", "payment_date"))
                .column(("payments", "order_number"))
                .from("payments")
                .inner_join("currencies", Expr::col(("currencies", "id")).equals(("payments", "currency_id")))
                .and_where(Expr::col(("payments", "deal_id")).is_in(deals))
                .order_by(("payments", "deal_id"), Order::Asc)
                .order_by(("payments", "id"), Order::Asc)
                .limit(5_000),
        )
        .await?;
    let deal_of: HashMap<i64, &Shipment> = rows.iter().map(|r| (r.deal_id, r)).collect();
    let mut received: HashMap<i64, i64> = HashMap::new();
    for (deal, _id, status, cents, currency_id, currency, date, order) in &payments {
        let m = out.entry(*deal).or_default();
        if m.order_number.is_none() {
            m.order_number = order.clone().filter(|o| !o.is_empty());
        }
        let d = deal_of.get(deal);
        if status == "received" && d.and_then(|d| d.deal_currency_id) == Some(*currency_id) {
            *received.entry(*deal).or_default() += cents;
        }
        if status == "guaranteed" && m.next.as_ref().is_none_or(|n| *date >= n.2) {
            m.next = Some((*cents, currency.clone(), *date));
        }
    }
    for (deal, s) in deal_of {
        let m = out.entry(deal).or_default();
        if let Some(amount) = s.deal_amount_cents.filter(|a| *a > 0) {
            let paid = received.get(&deal).copied().unwrap_or(0);
            m.paid_percent = Some(((paid as i128 * 100 + amount as i128 / 2) / amount as i128) as i64);
        }
    }
    Ok(out)
}

/// The filter's choices: departments (for those who see several) and products.
async fn choices(state: &AppState, v: &Viewer) -> AppResult<(Vec<(i64, String)>, Vec<(i64, String)>)> {
    let everywhere = access::shipments_everywhere(v);
    let departments = if everywhere || v.departments.len() > 1 {
        crate::users::repo::departments(&state.db)
            .await?
            .into_iter()
            .filter(|d| everywhere || v.works_in(d.id))
            .map(|d| (d.id, d.name))
            .collect()
    } else {
        Vec::new()
    };
    let mut q = Query::select();
    q.columns(["id", "name"]).from("products").order_by("name", Order::Asc).limit(500);
    if !everywhere {
        q.and_where(Expr::col("department_id").is_in(v.departments.clone()));
    }
    Ok((departments, state.db.fetch_all(&q).await?))
}

/// `GET /shipments`.
#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    QueryString(f): QueryString<ShipmentFilter>,
) -> AppResult<Response> {
    if !access::reads_shipments(&viewer) {
        return Err(AppError::NotFound);
    }
    let today = crate::time::today();
    let (page, error) = match f.period.range(today) {
        Ok(range) => (list(&state.db, &viewer, &f, range).await?, None),
        Err(msg) => (
            ShipmentPage {
                page: Paged::window(Vec::new(), 1),
                money: HashMap::new(),
                can_view_deal: HashMap::new(),
                can_change: HashMap::new(),
            },
            Some(msg),
        ),
    };
    let view = views::shipments::Shipments { page: &page, filter: &f, today, error: error.as_deref(), edit: None };
    let m = if hx.0 {
        views::shipments::list(&viewer, &view)
    } else {
        let (departments, products) = choices(&state, &viewer).await?;
        let cx = web::page_cx(&state, &viewer, views::layout::Nav::Shipments, hx).await?;
        views::shipments::index(&cx, &view, &departments, &products)
    };
    Ok(if error.is_some() { web::invalid(m) } else { m.into_response() })
}

/// `GET /shipments/total`: the list's count, asked for after the page is shown
/// (`ui::pagination`), bounded and cached per viewer and filter like the other lists' totals.
#[handler]
pub async fn total(
    state: Data<&AppState>,
    viewer: Viewer,
    QueryString(f): QueryString<ShipmentFilter>,
) -> AppResult<maud::Markup> {
    if !access::reads_shipments(&viewer) {
        return Err(AppError::NotFound);
    }
    let range = f.period.range(crate::time::today()).map_err(AppError::BadRequest)?;
    let mut q = base(&viewer, &f, range)?;
    q.column(("outputs", "id"));
    let key = format!("shipments{}", f.query(1));
    let count = async { Ok(paging::bounded_count(&state.db, q).await?) };
    let n = state.totals.get(viewer.id, key, count).await?;
    Ok(views::ui::page_info(paging::page_number(f.page), Some(n), views::ui::Noun("shipment", "shipments")))
}

/// The line item and its deal, for a change: 404 when the viewer may not see it, 403 when they
/// may see but not change it.
async fn for_change(state: &AppState, v: &Viewer, id: i64) -> AppResult<Shipment> {
    if !access::reads_shipments(v) {
        return Err(AppError::NotFound);
    }
    let f = ShipmentFilter { owner: "all".into(), ..Default::default() };
    let mut q = base(v, &f, super::period::Range::default())?;
    q.and_where(Expr::col(("outputs", "id")).eq(id));
    columns(&mut q);
    let s: Shipment = state.db.fetch_optional(q.limit(1)).await?.ok_or(AppError::NotFound)?;
    if !access::changes_shipment(v, &s.deal_item(v)) {
        return Err(AppError::Forbidden);
    }
    Ok(s)
}

/// `GET /shipments/:id/edit`: the actual shipping date form.
#[handler]
pub async fn edit(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let s = for_change(&state, &viewer, id).await?;
    let value = s.actual_shipping_date.map(|d| d.to_string()).unwrap_or_default();
    let cx = web::page_cx(&state, &viewer, views::layout::Nav::Shipments, hx).await?;
    Ok(views::shipments::edit_page(&cx, &s, &value, &FormErrors::default()).into_response())
}

#[derive(Deserialize)]
pub struct ShipForm {
    #[serde(default)]
    actual_shipping_date: String,
}

/// `POST /shipments/:id`: sets (or clears) the actual shipping date; see the module's header.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(form): Form<ShipForm>,
) -> AppResult<Response> {
    let s = for_change(&state, &viewer, id).await?;
    let typed = form.actual_shipping_date.trim();
    let date = if typed.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let mut errs = FormErrors::default();
                errs.add("actual_shipping_date", "Enter the actual shipping date as YYYY-MM-DD.");
                let cx = web::page_cx(&state, &viewer, views::layout::Nav::Shipments, hx).await?;
                return Ok(web::invalid(views::shipments::edit_page(&cx, &s, typed, &errs)));
            }
        }
    };
    let shipped = date.is_some();
    if date == s.actual_shipping_date && shipped == s.product_is_shipped {
        return Ok(htmx::redirect(hx, PATH));
    }
    // The deal's consequences, when the item becomes shipped (§13.6).
    let moved = if shipped && !s.product_is_shipped {
        Some(plan_deal_move(&state.db, &viewer, s.deal_id).await?)
    } else {
        None
    };
    let it = crate::items::load(&state.db, &viewer, ItemKind::Deal, s.deal_id, Action::View).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        Query::update()
            .table("outputs")
            .value("actual_shipping_date", date)
            .value("product_is_shipped", shipped)
            .value("updated_at", crate::db::now())
            .and_where(Expr::col("id").eq(s.id))
            .and_where(Expr::col("deal_id").eq(s.deal_id)),
    )
    .await?;
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut d = Diff::default();
    d.field("Actual shipment date", show(s.actual_shipping_date), show(date));
    if shipped != s.product_is_shipped {
        d.field("Shipped", if s.product_is_shipped { "yes" } else { "no" }, if shipped { "yes" } else { "no" });
    }
    let summary = format!("Changed the shipment of {} × {}", s.product, s.quantity);
    history::record(&mut tx, &Actor::from(&viewer), "deal", s.deal_id, Change::Update, &summary, &d).await?;
    let what = format!("{} × {}", s.product, s.quantity);
    let notified = match &moved {
        Some(m) => move_deal(&mut tx, &state, &viewer, m, &what).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    crate::items::publish_changed(&state.bus, &it);
    crate::items::publish_notices(&state.bus, &notified);
    state.wake.notify_one();
    Ok(htmx::redirect(hx, PATH))
}

/// A deal before and after one of its items was first shipped (§13.6).
pub struct DealMove {
    before: repo::Record,
    after: repo::Record,
}

/// What shipping an item does to its deal: the department's goods-shipped stage, through the
/// deal's own save rules (so the stage date is logged), and the next step "The product has been
/// shipped. (<user>)" dated today. Planned before the transaction; written by [`move_deal`]. Used
/// by the Shipments list and by the deal page's line-item form, so either way of shipping does
/// the same.
pub async fn plan_deal_move(db: &Db, viewer: &Viewer, deal_id: i64) -> AppResult<DealMove> {
    let spec = &deal::SPEC;
    let before = repo::get(db, spec, deal_id).await?.ok_or(AppError::NotFound)?;
    let dicts = Dicts::load(db, before.department_id).await?;
    let mut after = before.clone();
    if let Some(st) = dicts.stages.iter().find(|x| x.goods_shipped) {
        after.set(spec, "stage_id", Val::Int(st.id));
    }
    // The deal's rules sign someone else's next step with their name; the owner's own is
    // signed here, so the step always names who shipped.
    let step = if before.owner_id == Some(viewer.id) {
        format!("{SHIPPED_STEP} ({})", viewer.username)
    } else {
        SHIPPED_STEP.to_string()
    };
    after.set(spec, "next_step", Val::Text(step));
    let today = crate::time::today();
    after.set(spec, "next_step_date", Val::Date(today));
    let who = deal::Save { user_id: viewer.id, username: &viewer.username, today, now: crate::db::now() };
    let mut errs = FormErrors::default();
    deal::apply(&dicts, &who, Some(&before), &mut after, &mut errs);
    if let Some((_, msg)) = errs.0.first() {
        return Err(AppError::Conflict(format!("The deal cannot be marked as shipped: {msg}")));
    }
    Ok(DealMove { before, after })
}

/// Writes a planned [`DealMove`] in `tx` (the deal's row and history) and notifies the deal's
/// owner and co-owner, except the viewer. Returns whom it notified, for the events after commit.
pub async fn move_deal(
    tx: &mut crate::db::Tx,
    state: &AppState,
    viewer: &Viewer,
    m: &DealMove,
    what: &str,
) -> AppResult<Vec<i64>> {
    let spec = &deal::SPEC;
    let names = super::choices::names(&state.db, spec, &[&m.before, &m.after]).await?;
    repo::update(tx, spec, &m.before, &m.after, &Actor::from(viewer), &names).await?;
    let title = format!("{} shipped {what} of the deal “{}”", viewer.display_name, spec.title_of(&m.before));
    let url = format!("/deals/{}", m.before.id);
    let mut people = vec![m.before.owner_id, m.before.get(spec, "co_owner_id").int()];
    people.dedup();
    let mut notified = Vec::new();
    for user in people.into_iter().flatten().filter(|u| *u != viewer.id) {
        let n = crate::notifications::Notice {
            user_id: user,
            title: &title,
            body: "",
            url: &url,
            object: Some((ItemKind::Deal.slug(), m.before.id)),
        };
        crate::notifications::send(tx, &state.config, &n).await?;
        notified.push(user);
    }
    Ok(notified)
}
