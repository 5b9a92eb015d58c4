//! A deal's line items (§2.2 Output, §12.5 "Outputs") and its payments on the deal's page, with the
//! Paid (received payments) and Expected (amount − paid) figures. Line items belong to their deal:
//! whoever may change the deal (not a chief whose only right is his few fields: §3.1 gives chiefs a
//! view of outputs) adds, changes and removes them from its page; each change is an entry in the
//! deal's history, written in the same transaction, and a "deal changed" event after commit.

use chrono::NaiveDate;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::fields::{Field, Input, RefTo};
use super::record::{Ty, Val};
use super::repo::{Names, Record};
use crate::access::{self, Action, Item, ItemKind, Object, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::{self, Actor, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};
use crate::views;
use crate::web::{self, Form};

pub static OUTPUT_FIELDS: [Field; 9] = [
    Field::new("product_id", "Product", Input::Ref(RefTo::Object(ItemKind::Product))).required(),
    Field::new("quantity", "Quantity", Input::Number { min: 1, max: 1_000_000 }).required().default("1"),
    Field::new("amount_cents", "Amount", Input::Money),
    Field::new("currency_id", "Currency", Input::Ref(RefTo::Global("currencies")))
        .help("Required when an amount is given."),
    Field::new("shipping_date", "Shipment date as per contract", Input::Date)
        .help("Line items with a contract date are the department's shipments."),
    Field::new("planned_shipping_date", "Planned shipment date", Input::Date),
    Field::new("actual_shipping_date", "Actual shipment date", Input::Date),
    Field::new("product_is_shipped", "Shipped", Input::Flag),
    Field::new("serial_number", "Serial number", Input::Text { max: 100 }),
];

/// One line item: its id and the values of `OUTPUT_FIELDS`, in order.
#[derive(Clone, Debug, Default)]
pub struct Line {
    pub id: i64,
    pub values: Vec<Val>,
}

impl Line {
    pub fn get(&self, col: &str) -> &Val {
        static NULL: Val = Val::Null;
        OUTPUT_FIELDS.iter().position(|f| f.col == col).and_then(|i| self.values.get(i)).unwrap_or(&NULL)
    }
}

/// The most line items and payments a deal's page lists (a deal has a handful).
pub const LIMIT: u64 = 200;

async fn load_lines(db: &Db, deal: i64, line: Option<i64>) -> Result<Vec<Line>, sqlx::Error> {
    let mut q = Query::select();
    q.column("id").from("outputs").and_where(Expr::col("deal_id").eq(deal));
    let mut tys = vec![Ty::Int];
    for f in &OUTPUT_FIELDS {
        if f.col == "quantity" {
            // An INTEGER column: PostgreSQL's INT4 does not decode as i64.
            q.expr(Expr::cust("CAST(quantity AS BIGINT)"));
        } else {
            q.column(f.col);
        }
        tys.push(f.input.ty());
    }
    if let Some(l) = line {
        q.and_where(Expr::col("id").eq(l));
    }
    q.order_by("id", Order::Asc).limit(LIMIT);
    Ok(db
        .fetch_values(&q, &tys)
        .await?
        .into_iter()
        .map(|mut vals| {
            let values = vals.split_off(1);
            Line { id: vals.first().and_then(Val::int).unwrap_or(0), values }
        })
        .collect())
}

/// Names of products and currencies the lines and payments show.
async fn names(db: &Db, products: Vec<i64>, currencies: Vec<i64>) -> Result<Names, sqlx::Error> {
    let mut out = Names::default();
    for (to, table, ids) in [
        (RefTo::Object(ItemKind::Product), "products", products),
        (RefTo::Global("currencies"), "currencies", currencies),
    ] {
        if ids.is_empty() {
            continue;
        }
        let rows: Vec<(i64, String)> = db
            .fetch_all(Query::select().columns(["id", "name"]).from(table).and_where(Expr::col("id").is_in(ids)))
            .await?;
        out.0.extend(rows.into_iter().map(|(id, n)| ((to, id), n)));
    }
    Ok(out)
}

/// A payment as the deal's page lists it.
#[derive(Clone, Debug)]
pub struct Pay {
    pub id: i64,
    pub amount_cents: i64,
    pub currency_id: i64,
    pub date: Option<NaiveDate>,
    pub status: String,
    pub invoice: String,
}

/// What the deal's page shows below its fields.
pub struct Lines {
    pub deal: ItemRef,
    pub lines: Vec<Line>,
    pub names: Names,
    /// May add, change and remove line items.
    pub can_change: bool,
    /// Reads payments (§3.1); None: the payments part is not shown.
    pub payments: Option<Vec<Pay>>,
    /// May add a payment to the deal.
    pub can_pay: bool,
    /// The deal's amount and currency.
    pub amount_cents: Option<i64>,
    pub currency_id: Option<i64>,
}

impl Lines {
    /// Received payments in the deal's currency (every received payment when the deal has none).
    pub fn paid(&self) -> i64 {
        self.payments
            .iter()
            .flatten()
            .filter(|p| p.status == "received" && self.currency_id.is_none_or(|c| c == p.currency_id))
            .map(|p| p.amount_cents)
            .sum()
    }
    /// The deal's amount less what is paid (None without an amount).
    pub fn expected(&self) -> Option<i64> {
        self.amount_cents.map(|a| a - self.paid())
    }
    /// Received payments in another currency than the deal's (not in Paid).
    pub fn other_currencies(&self) -> bool {
        self.payments
            .iter()
            .flatten()
            .any(|p| p.status == "received" && self.currency_id.is_some_and(|c| c != p.currency_id))
    }
}

/// May `v` change the line items of the deal `it` (they may change the deal, and not only as a chief).
pub fn can_change(v: &Viewer, it: &ItemRef) -> bool {
    it.can(v, Action::Edit) && !super::handlers::chief_only(v, it)
}

/// The deal's line items and (for those who read payments) its payments, for its page.
pub async fn for_page(db: &Db, v: &Viewer, it: &ItemRef, deal: &Record) -> AppResult<Lines> {
    let spec = &super::deal::SPEC;
    let lines = load_lines(db, it.id, None).await?;
    // Every payment of the deal is seen or not as the deal's payment is (§3.2: through its deal),
    // so one `can` answers for all of them; a scope here made SQLite read the department's deals.
    let payment = Item { kind: ItemKind::Payment, ..it.access_of(v) };
    let sees_payments = access::can(v, Action::View, &Object::Item(payment));
    let payments = if !access::reads_crm(v, ItemKind::Payment) {
        None
    } else if !sees_payments {
        Some(Vec::new())
    } else {
        let mut q = Query::select();
        q.column(("payments", "id"))
            .column(("payments", "amount_cents"))
            .column(("payments", "currency_id"))
            .column(("payments", "payment_date"))
            .column(("payments", "status"))
            .column(("payments", "invoice_number"))
            .from("payments")
            .inner_join("deals", Expr::col(("deals", "id")).equals(("payments", "deal_id")))
            .and_where(Expr::col(("payments", "deal_id")).eq(it.id))
            .order_by(("payments", "payment_date"), Order::Desc)
            .order_by(("payments", "id"), Order::Desc)
            .limit(LIMIT);
        let rows = db.fetch_values(&q, &[Ty::Int, Ty::Int, Ty::Int, Ty::Date, Ty::Text, Ty::Text]).await?;
        Some(
            rows.into_iter()
                .map(|r| Pay {
                    id: r[0].int().unwrap_or(0),
                    amount_cents: r[1].int().unwrap_or(0),
                    currency_id: r[2].int().unwrap_or(0),
                    date: r[3].date(),
                    status: r[4].text().to_string(),
                    invoice: r[5].text().to_string(),
                })
                .collect::<Vec<_>>(),
        )
    };
    let currency_id = deal.get(spec, "currency_id").int();
    let mut currencies: Vec<i64> = lines.iter().filter_map(|l| l.get("currency_id").int()).collect();
    currencies.extend(payments.iter().flatten().map(|p| p.currency_id));
    currencies.extend(currency_id);
    let products = lines.iter().filter_map(|l| l.get("product_id").int()).collect();
    let names = names(db, products, currencies).await?;
    Ok(Lines {
        deal: it.clone(),
        can_change: can_change(v, it),
        can_pay: payments.is_some() && access::can(v, Action::Create, &Object::Item(payment)),
        payments,
        lines,
        names,
        amount_cents: deal.get(spec, "amount_cents").int(),
        currency_id,
    })
}

/// The deal, loaded for changing its line items (404 unseen, 403 seen but not changeable).
async fn deal_for_change(state: &AppState, v: &Viewer, deal: i64) -> AppResult<ItemRef> {
    let it = items::load(&state.db, v, ItemKind::Deal, deal, Action::Edit).await?;
    if !can_change(v, &it) {
        return Err(AppError::Forbidden);
    }
    Ok(it)
}

/// The products a line item of the deal may name: its department's on sale, and the one it has.
async fn product_options(db: &Db, department: i64, kept: Option<i64>) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut q = Query::select();
    q.columns(["id", "name"]).from("products").and_where(Expr::col("department_id").eq(department));
    let on_sale = Expr::col("on_sale").eq(true);
    match kept {
        Some(k) => q.and_where(on_sale.or(Expr::col("id").eq(k))),
        None => q.and_where(on_sale),
    };
    q.order_by("name", Order::Asc).limit(1000);
    db.fetch_all(&q).await
}

/// The form's choices: the department's products, every currency.
async fn options(db: &Db, department: i64, kept: Option<i64>) -> AppResult<super::form::Options> {
    let mut o = super::form::Options::new();
    o.insert("product_id", product_options(db, department, kept).await?);
    o.insert("currency_id", super::choices::options(db, RefTo::Global("currencies"), department).await?);
    Ok(o)
}

/// The typed values over `base`, every reference one of the offered, the currency there when an
/// amount is.
fn parse(raw: &super::form::Raw, base: &Line, options: &super::form::Options) -> Result<Line, FormErrors> {
    let mut errs = FormErrors::default();
    let mut out = base.clone();
    out.values.resize(OUTPUT_FIELDS.len(), Val::Null);
    for (i, f) in OUTPUT_FIELDS.iter().enumerate() {
        match f.parse(raw.get(f.col)) {
            Ok(v) => {
                if let (Input::Ref(_), Some(id)) = (f.input, v.int())
                    && !options.get(f.col).is_some_and(|o| o.iter().any(|(c, _)| *c == id))
                {
                    errs.add(f.col, "Choose one of the listed options.");
                    continue;
                }
                out.values[i] = v;
            }
            Err(msg) => errs.add(f.col, msg),
        }
    }
    if !out.get("amount_cents").is_empty() && out.get("currency_id").is_empty() && errs.get("currency_id").is_none() {
        errs.add("currency_id", "Choose the currency of the amount.");
    }
    errs.finish(out)
}

fn raw_of(l: &Line) -> super::form::Raw {
    super::form::Raw(OUTPUT_FIELDS.iter().zip(&l.values).map(|(f, v)| (f.col.to_string(), f.form_value(v))).collect())
}

/// A line item's history text: "Widget × 3".
fn describe(l: &Line, names: &Names) -> String {
    let product =
        l.get("product_id").int().and_then(|p| names.of(RefTo::Object(ItemKind::Product), p)).unwrap_or_default();
    format!("{product} × {}", l.get("quantity").int().unwrap_or(1))
}

fn diff(before: &Line, after: &Line, names: &Names) -> Diff {
    let mut d = Diff::default();
    let name = |to, id| names.of(to, id);
    for (i, f) in OUTPUT_FIELDS.iter().enumerate() {
        let (a, b) = (before.values.get(i).unwrap_or(&Val::Null), after.values.get(i).unwrap_or(&Val::Null));
        if a != b {
            d.field(f.label, f.show(a, &name), f.show(b, &name));
        }
    }
    d
}

async fn names_of(db: &Db, lines: &[&Line]) -> Result<Names, sqlx::Error> {
    let products = lines.iter().filter_map(|l| l.get("product_id").int()).collect();
    let currencies = lines.iter().filter_map(|l| l.get("currency_id").int()).collect();
    names(db, products, currencies).await
}

async fn render(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    it: &ItemRef,
    line: Option<i64>,
    raw: &super::form::Raw,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let kept = raw.get("product_id").parse().ok();
    let options = options(&state.db, it.department.unwrap_or(0), kept).await?;
    let cx = web::page_cx(state, v, views::layout::Nav::Crm(ItemKind::Deal), hx).await?;
    Ok(views::crm_lines::form(&cx, it, line, raw, errs, &options))
}

fn blank(deal_currency: Option<i64>) -> Line {
    let mut values: Vec<Val> =
        OUTPUT_FIELDS.iter().map(|f| f.stored(&f.parse(f.default).unwrap_or_default())).collect();
    if let Some(c) = deal_currency {
        values[3] = Val::Int(c);
    }
    Line { id: 0, values }
}

/// `GET /deals/:id/outputs/new`.
#[handler]
pub async fn new(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(deal): Path<i64>) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let record = super::repo::get(&state.db, &super::deal::SPEC, deal).await?.ok_or(AppError::NotFound)?;
    let raw = raw_of(&blank(record.get(&super::deal::SPEC, "currency_id").int()));
    Ok(render(&state, &viewer, hx, &it, None, &raw, &FormErrors::default()).await?.into_response())
}

/// `POST /deals/:id/outputs`.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(deal): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let raw = super::form::Raw::from_pairs(pairs);
    let options = options(&state.db, it.department.unwrap_or(0), None).await?;
    let line = match parse(&raw, &blank(None), &options) {
        Ok(mut l) => {
            ship_if_dated(&mut l);
            l
        }
        Err(errs) => return Ok(web::invalid(render(&state, &viewer, hx, &it, None, &raw, &errs).await?)),
    };
    let names = names_of(&state.db, &[&line]).await?;
    let mut q = Query::insert();
    let mut cols: Vec<&str> = vec!["deal_id", "created_at", "updated_at"];
    let now = crate::db::now();
    let mut vals: Vec<sea_query::SimpleExpr> = vec![deal.into(), now.into(), now.into()];
    for (f, v) in OUTPUT_FIELDS.iter().zip(&line.values) {
        cols.push(f.col);
        vals.push(f.stored(v).bind(f.input.ty()).into());
    }
    q.into_table("outputs").columns(cols).values_panic(vals).returning_col("id");
    let moved =
        if shipped(&line) { Some(super::shipments::plan_deal_move(&state.db, &viewer, deal).await?) } else { None };
    let mut tx = state.db.begin().await?;
    tx.insert_id(&q).await?;
    let d = diff(&Line::default(), &line, &names);
    let summary = format!("Added the line item {}", describe(&line, &names));
    history::record(&mut tx, &Actor::from(&viewer), "deal", deal, Change::Update, &summary, &d).await?;
    let notified = match &moved {
        Some(m) => super::shipments::move_deal(&mut tx, &state, &viewer, m, &describe(&line, &names)).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    items::publish_changed(&state.bus, &it);
    items::publish_notices(&state.bus, &notified);
    state.wake.notify_one();
    Ok(htmx::redirect(hx, &format!("{}#lines", it.url())))
}

/// Whether the line item is shipped.
fn shipped(l: &Line) -> bool {
    matches!(l.get("product_is_shipped"), Val::Bool(true))
}

/// An actual shipping date means the item is shipped, as on the Shipments list (§13.6).
fn ship_if_dated(l: &mut Line) {
    if !matches!(l.get("actual_shipping_date"), Val::Null)
        && let Some(i) = OUTPUT_FIELDS.iter().position(|f| f.col == "product_is_shipped")
        && let Some(v) = l.values.get_mut(i)
    {
        *v = Val::Bool(true);
    }
}

async fn stored(db: &Db, deal: i64, line: i64) -> AppResult<Line> {
    load_lines(db, deal, Some(line)).await?.into_iter().next().ok_or(AppError::NotFound)
}

/// `GET /deals/:id/outputs/:line/edit`.
#[handler]
pub async fn edit(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((deal, line)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let l = stored(&state.db, deal, line).await?;
    Ok(render(&state, &viewer, hx, &it, Some(line), &raw_of(&l), &FormErrors::default()).await?.into_response())
}

/// `POST /deals/:id/outputs/:line`.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((deal, line)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let before = stored(&state.db, deal, line).await?;
    let raw = super::form::Raw::from_pairs(pairs);
    let options = options(&state.db, it.department.unwrap_or(0), before.get("product_id").int()).await?;
    let after = match parse(&raw, &before, &options) {
        Ok(mut l) => {
            ship_if_dated(&mut l);
            l
        }
        Err(errs) => return Ok(web::invalid(render(&state, &viewer, hx, &it, Some(line), &raw, &errs).await?)),
    };
    let names = names_of(&state.db, &[&before, &after]).await?;
    let d = diff(&before, &after, &names);
    if !d.is_empty() {
        let mut q = Query::update();
        q.table("outputs").value("updated_at", crate::db::now());
        for (f, v) in OUTPUT_FIELDS.iter().zip(&after.values) {
            q.value(f.col, f.stored(v).bind(f.input.ty()));
        }
        q.and_where(Expr::col("id").eq(line)).and_where(Expr::col("deal_id").eq(deal));
        // An item shipped here ships as it does from the Shipments list (§13.6).
        let moved = if shipped(&after) && !shipped(&before) {
            Some(super::shipments::plan_deal_move(&state.db, &viewer, deal).await?)
        } else {
            None
        };
        let mut tx = state.db.begin().await?;
        tx.execute(&q).await?;
        let summary = format!("Changed the line item {}", describe(&after, &names));
        history::record(&mut tx, &Actor::from(&viewer), "deal", deal, Change::Update, &summary, &d).await?;
        let notified = match &moved {
            Some(m) => super::shipments::move_deal(&mut tx, &state, &viewer, m, &describe(&after, &names)).await?,
            None => Vec::new(),
        };
        tx.commit().await?;
        items::publish_changed(&state.bus, &it);
        items::publish_notices(&state.bus, &notified);
        state.wake.notify_one();
    }
    Ok(htmx::redirect(hx, &format!("{}#lines", it.url())))
}

/// `POST /deals/:id/outputs/:line/delete`.
#[handler]
pub async fn delete(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((deal, line)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let before = stored(&state.db, deal, line).await?;
    let names = names_of(&state.db, &[&before]).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        Query::delete()
            .from_table("outputs")
            .and_where(Expr::col("id").eq(line))
            .and_where(Expr::col("deal_id").eq(deal)),
    )
    .await?;
    let d = diff(&before, &Line::default(), &names);
    let summary = format!("Removed the line item {}", describe(&before, &names));
    history::record(&mut tx, &Actor::from(&viewer), "deal", deal, Change::Update, &summary, &d).await?;
    tx.commit().await?;
    items::publish_changed(&state.bus, &it);
    Ok(htmx::redirect(hx, &format!("{}#lines", it.url())))
}

/// Currency names by id (the deal page's figures).
pub fn currency(names: &Names, id: Option<i64>) -> String {
    id.and_then(|c| names.of(RefTo::Global("currencies"), c)).unwrap_or_default()
}
