//! Sales Report (§5.3): "Sold products summary (by date of payment receipt)". The products of the
//! deals that received payment, one row per line item of the deal ("outputs"), dated by the deal's
//! latest received payment, with the unit price (the line's amount converted, divided by its
//! quantity), the counterparty, the owners, the order number and the date; a total row; and the
//! amount per product for the chart.
//!
//! Each deal counts once, on the date of its latest received payment, in every view. Django-CRM
//! kept only the latest payment per deal in the all-departments view (§20.16); in a department's
//! view a deal paid in two periods was listed in both. A line's amount is converted at the rate of
//! its currency on the deal's first received payment date (else the currency's current rate), and
//! the order number is that first payment's, as in the original.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sea_query::{Cond, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement, SimpleExpr};

use super::income::{DealInfo, deal_info};
use super::scope::{self, Scope, rate, within};
use crate::access::{self, Viewer};
use crate::crm::period::Range;
use crate::db::{Backend, Db};
use crate::error::{AppError, AppResult};

/// Rows per page of the "Sold products" table (§5.3).
pub const PER_PAGE: u64 = 100;

/// Bars of the chart of the amount per product.
pub const TOP_PRODUCTS: usize = 10;

/// The most rows an export holds (as a CRM list's export).
pub const MAX_EXPORT_ROWS: u64 = crate::crm::export::MAX_ROWS;

/// The country filter (§5.3: only for a department that works globally).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Country {
    /// No country filter (not a globally working department, or "All countries").
    Any,
    /// Deals without a country.
    Unknown,
    Is(i64),
}

/// The report's own filters, resolved for the viewer.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub range: Range,
    pub product: Option<(i64, String)>,
    pub country: Country,
    /// The country filter's choices and chosen value ("all", "none" or an id), when it is shown.
    pub countries: Option<(Vec<(i64, String)>, String)>,
}

/// One line item of a paid deal.
#[derive(Clone, Debug)]
pub struct Sold {
    pub deal_id: i64,
    pub product: String,
    pub quantity: i64,
    /// The line's amount in the shown currency (none: the line has no amount).
    pub amount: Option<i128>,
    /// The deal's latest received payment.
    pub date: NaiveDate,
    /// Of the deal's first received payment.
    pub order_number: String,
}

impl Sold {
    /// The converted amount divided by the quantity, rounded half away from zero to the cent.
    pub fn unit_price(&self) -> Option<i128> {
        let q = Ord::max(self.quantity, 1) as i128;
        self.amount.map(|a| if a >= 0 { (2 * a + q) / (2 * q) } else { (2 * a - q) / (2 * q) })
    }
}

/// Which rows to load: a page of the table (1-based), or every row (the export).
#[derive(Clone, Copy, Debug)]
pub enum Rows {
    Page(u64),
    All,
}

#[derive(Clone, Debug)]
pub struct Sales {
    pub rows: Vec<Sold>,
    pub page: u64,
    /// Rows of the whole table (every page).
    pub total_rows: i64,
    pub total_quantity: i64,
    pub total_amount: i128,
    pub deals: HashMap<i64, DealInfo>,
    /// The products with the largest amounts, largest first.
    pub top: Vec<(String, i128)>,
    /// The name of the currency amounts are shown in.
    pub currency: String,
}

impl Sales {
    pub fn pages(&self) -> u64 {
        Ord::max((Ord::max(self.total_rows, 0) as u64).div_ceil(PER_PAGE), 1)
    }
}

/// `alias.status = 'received' AND alias.payment_date <= today`: a payment whose money came.
fn received(alias: &'static str, today: NaiveDate) -> SimpleExpr {
    Expr::col((alias, "status")).eq("received").and(Expr::col((alias, "payment_date")).lte(today))
}

/// Another received payment of the same deal as `of`, later (`later`) or earlier than it (ties
/// broken by id, so exactly one payment of a deal is its latest and one its first).
fn other(of: &'static str, alias: &'static str, later: bool, today: NaiveDate) -> SelectStatement {
    let (date, id) = ((alias, "payment_date"), (alias, "id"));
    let (of_date, of_id) = ((of, "payment_date"), (of, "id"));
    // A probe of `ix_payments_deal (deal_id, payment_date)`: the status is compared through
    // COALESCE (it is NOT NULL, so the same test), which SQLite cannot answer from an index;
    // with `status = ?` it took `ix_payments_status_date` and walked every received payment for
    // each row (the test `the_sales_report_probes_a_deals_payments_by_its_index`).
    let (bound, beyond, tie) = if later {
        (
            Expr::col(date).gte(Expr::col(of_date)),
            Expr::col(date).gt(Expr::col(of_date)),
            Expr::col(id).gt(Expr::col(of_id)),
        )
    } else {
        (
            Expr::col(date).lte(Expr::col(of_date)),
            Expr::col(date).lt(Expr::col(of_date)),
            Expr::col(id).lt(Expr::col(of_id)),
        )
    };
    Query::select()
        .expr(Expr::val(1))
        .from_as("payments", alias)
        .and_where(Expr::col((alias, "deal_id")).equals((of, "deal_id")))
        .and_where(bound)
        .and_where(Func::coalesce([Expr::col((alias, "status")), Expr::val("")]).eq("received"))
        .and_where(Expr::col(date).lte(today))
        .cond_where(Cond::any().add(beyond).add(tie))
        .to_owned()
}

/// The line items of the deals whose latest received payment is in the period (`p`: that payment,
/// `f`: the deal's first received payment), with their currency's rate on `f`'s date: the table's
/// rows. Public for the query-plan test.
pub fn lines(s: &Scope, r: &Resolved, backend: Backend) -> SelectStatement {
    let mut q = Query::select();
    let deal = Expr::col(("deals", "id")).equals(("p", "deal_id"));
    let first = Expr::col(("f", "deal_id"))
        .equals(("p", "deal_id"))
        .and(received("f", s.today))
        .and(Expr::not_exists(other("f", "e", false, s.today)));
    if s.owner.is_some() {
        // The owner's deals first, then each one's latest and first payment (`scope::drive`).
        q.from("deals");
        scope::drive(&mut q, backend, "payments", "p", deal);
        scope::drive(&mut q, backend, "payments", "f", first);
    } else {
        q.from_as("payments", "p").inner_join("deals", deal).join_as(JoinType::InnerJoin, "payments", "f", first);
    }
    q.and_where(received("p", s.today)).and_where(Expr::not_exists(other("p", "l", true, s.today)));
    let driven = s.owner.is_some().then_some(backend);
    with_outputs(&mut q, s, r, ("p", "payment_date"), ("f", "payment_date"), driven);
    q
}

/// The same line items without the payments' ids and order numbers, for the figures that add
/// them up (`grouped`): each paid deal's first and latest received payment dates (`pd`) come from
/// one pass over the received payments grouped by deal (`ix_payments_status_deal`, migration 34),
/// where `lines` probes two payments per received payment — at 100k payments, the chief's
/// all-time report 282 → 45 ms of CPU in its heaviest query. With an owner, `lines` reads only
/// the owner's deals and stays the faster. Public for the query-plan test.
pub fn by_deal(s: &Scope, r: &Resolved) -> SelectStatement {
    let date = ("payments", "payment_date");
    let mut pd = Query::select();
    pd.column("deal_id")
        .expr_as(Func::min(Expr::col(date)), "first_date")
        .expr_as(Func::max(Expr::col(date)), "last_date")
        .from("payments")
        .and_where(received("payments", s.today))
        .group_by_col(("payments", "deal_id"));
    let mut q = Query::select();
    q.from_subquery(pd, "pd").inner_join("deals", Expr::col(("deals", "id")).equals(("pd", "deal_id")));
    with_outputs(&mut q, s, r, ("pd", "last_date"), ("pd", "first_date"), None);
    q
}

/// Joins the paid deals of `q` (`deals`) to their line items and each line's rate on the deal's
/// first received payment date (`first`), and applies the period (to the latest received
/// payment's date, `latest`), the scope and the product and country filters.
fn with_outputs(
    q: &mut SelectStatement,
    s: &Scope,
    r: &Resolved,
    latest: (&'static str, &'static str),
    first: (&'static str, &'static str),
    driven: Option<Backend>,
) {
    let on = Expr::col(("outputs", "deal_id")).equals(("deals", "id"));
    match driven {
        // After the deals and their payments, in that order (`scope::drive`).
        Some(backend) => scope::drive(q, backend, "outputs", "outputs", on),
        None => {
            q.inner_join("outputs", on);
        }
    }
    q.left_join("currencies", Expr::col(("currencies", "id")).equals(("outputs", "currency_id"))).left_join(
        "currency_rates",
        Expr::col(("currency_rates", "currency_id"))
            .equals(("outputs", "currency_id"))
            .and(Expr::col(("currency_rates", "rate_date")).equals(first)),
    );
    within(q, latest, r.range);
    s.narrow(q, "deals", "deals");
    if let Some((id, _)) = &r.product {
        q.and_where(Expr::col(("outputs", "product_id")).eq(*id));
    }
    match r.country {
        Country::Any => {}
        Country::Unknown => {
            q.and_where(Expr::col(("deals", "country_id")).is_null());
        }
        Country::Is(c) => {
            q.and_where(Expr::col(("deals", "country_id")).eq(c));
        }
    }
}

/// A filter's id: "" is none, else a number (400 otherwise).
fn id_of(raw: &str, what: &str) -> AppResult<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| AppError::BadRequest(format!("The {what} filter is not a number."))),
    }
}

/// The product filter (§5.3, §5.7): a product of a department whose data the viewer's reports count;
/// any other id is refused without naming it.
pub async fn product(db: &Db, v: &Viewer, raw: &str) -> AppResult<Option<(i64, String)>> {
    let Some(id) = id_of(raw, "product")? else { return Ok(None) };
    let mut q = Query::select();
    q.column("name").from("products").and_where(Expr::col("id").eq(id));
    if let Some(ds) = access::report_departments(v) {
        q.and_where(Expr::col("department_id").is_in(ds.iter().copied()));
    }
    let name: Option<String> = db.scalar(&q).await?;
    name.map(|n| Some((id, n)))
        .ok_or_else(|| AppError::BadRequest("The product filter is not one of your departments' products.".into()))
}

/// The page's filters: the payment period, the product, and the country when the one department
/// shown works globally (its default country unless another or "all" is chosen).
/// `product` is the product filter already checked for the viewer (`product`).
pub async fn resolve(db: &Db, s: &Scope, product: Option<(i64, String)>, f: &super::Filter) -> AppResult<Resolved> {
    let range = f.period.range(s.today).map_err(AppError::BadRequest)?;
    let mut r = Resolved { range, product, country: Country::Any, countries: None };
    let Some([department]) = s.departments.as_deref() else { return Ok(r) };
    let row: Option<(bool, Option<i64>)> = db
        .fetch_optional(
            Query::select()
                .column("works_globally")
                .column("default_country_id")
                .from("departments")
                .and_where(Expr::col("id").eq(*department)),
        )
        .await?;
    let Some((true, default)) = row else { return Ok(r) };
    let (country, chosen) = match f.country.trim() {
        "" => match default {
            Some(d) => (Country::Is(d), d.to_string()),
            None => (Country::Any, "all".to_string()),
        },
        "all" => (Country::Any, "all".to_string()),
        "none" => (Country::Unknown, "none".to_string()),
        c => {
            let id = id_of(c, "country")?.unwrap_or_default();
            (Country::Is(id), id.to_string())
        }
    };
    // The countries of the deals that received payment (the period and product aside).
    let mut q = Query::select();
    q.distinct()
        .column(("countries", "id"))
        .column(("countries", "name"))
        .from("deals")
        .inner_join("countries", Expr::col(("countries", "id")).equals(("deals", "country_id")))
        .and_where(paid(s))
        .order_by(("countries", "name"), Order::Asc)
        .limit(500);
    s.narrow(&mut q, "deals", "deals");
    let mut choices: Vec<(i64, String)> = db.fetch_all(&q).await?;
    // The chosen or default country stays offered though no paid deal has it (countries are not a
    // department's data: their names are the same for everyone).
    if let Country::Is(id) = country
        && !choices.iter().any(|(c, _)| *c == id)
    {
        let name: Option<String> =
            db.scalar(Query::select().column("name").from("countries").and_where(Expr::col("id").eq(id))).await?;
        let name = name.ok_or_else(|| AppError::BadRequest("The country filter is not a country.".into()))?;
        choices.insert(0, (id, name));
    }
    r.country = country;
    r.countries = Some((choices, chosen));
    Ok(r)
}

/// The deal (`deals`) has a received payment: the deals whose countries and products the filters offer.
fn paid(s: &Scope) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as("payments", "p")
            .and_where(Expr::col(("p", "deal_id")).equals(("deals", "id")))
            .and_where(received("p", s.today))
            .to_owned(),
    )
}

/// The product filter's choices: the products in the line items of the scope's paid deals.
pub async fn product_choices(db: &Db, s: &Scope) -> AppResult<Vec<(i64, String)>> {
    if s.departments.is_none() && s.owner.is_none() {
        // Every department's paid deals: probing each product for one paid line (a few hundred
        // products, most found at their first lines) beats reading every line of every deal
        // (measured at 100k deals: 4 ms against 276 ms). A narrower scope reads its own deals.
        let line = Query::select()
            .expr(Expr::val(1))
            .from("outputs")
            .inner_join("deals", Expr::col(("deals", "id")).equals(("outputs", "deal_id")))
            .and_where(Expr::col(("outputs", "product_id")).equals(("products", "id")))
            .and_where(paid(s))
            .to_owned();
        let mut q = Query::select();
        q.column(("products", "id"))
            .column(("products", "name"))
            .from("products")
            .and_where(Expr::exists(line))
            .order_by(("products", "name"), Order::Asc)
            .order_by(("products", "id"), Order::Asc)
            .limit(500);
        return Ok(db.fetch_all(&q).await?);
    }
    let mut q = Query::select();
    q.distinct()
        .column(("products", "id"))
        .column(("products", "name"))
        .from("outputs")
        .inner_join("products", Expr::col(("products", "id")).equals(("outputs", "product_id")))
        .inner_join("deals", Expr::col(("deals", "id")).equals(("outputs", "deal_id")))
        .and_where(paid(s))
        .order_by(("products", "name"), Order::Asc)
        .order_by(("products", "id"), Order::Asc)
        .limit(500);
    s.narrow(&mut q, "deals", "deals");
    Ok(db.fetch_all(&q).await?)
}

pub async fn load(db: &Db, s: &Scope, r: &Resolved, rows: Rows, currency: &str) -> AppResult<Sales> {
    let Grouped { total_rows, total_quantity, total_amount, top } = grouped(db, s, r).await?;
    if let Rows::All = rows
        && total_rows as u64 > MAX_EXPORT_ROWS
    {
        return Err(AppError::BadRequest(format!(
            "The report holds more than {} rows, more than one export may. Narrow it with the filters (a payment period, a product, an owner) and export the parts.",
            crate::views::ui::grouped(MAX_EXPORT_ROWS)
        )));
    }
    let mut q = lines(s, r, db.backend());
    q.inner_join("products", Expr::col(("products", "id")).equals(("outputs", "product_id")))
        .column(("outputs", "deal_id"))
        .column(("products", "name"))
        .column(("outputs", "quantity"))
        .column(("outputs", "amount_cents"))
        .expr(rate(s.currency))
        .column(("p", "payment_date"))
        .column(("f", "order_number"))
        .order_by(("p", "payment_date"), Order::Desc)
        .order_by(("p", "deal_id"), Order::Desc)
        .order_by(("outputs", "id"), Order::Asc);
    let page = match rows {
        Rows::Page(n) => {
            let n = Ord::max(n, 1);
            q.limit(PER_PAGE).offset((n - 1).saturating_mul(PER_PAGE));
            n
        }
        Rows::All => {
            q.limit(MAX_EXPORT_ROWS);
            1
        }
    };
    type Row = (i64, String, i32, Option<i64>, Option<i64>, NaiveDate, String);
    let fetched: Vec<Row> = db.fetch_all(&q).await?;
    let rows: Vec<Sold> = fetched
        .into_iter()
        .map(|(deal_id, product, quantity, cents, rate, date, order_number)| Sold {
            deal_id,
            product,
            quantity: quantity as i64,
            amount: cents.zip(rate).map(|(c, r)| scope::convert(c as i128, r as i128)),
            date,
            order_number,
        })
        .collect();
    let deals = deal_info(db, rows.iter().map(|r| r.deal_id).collect()).await?;
    Ok(Sales { rows, page, total_rows, total_quantity, total_amount, deals, top, currency: currency.to_string() })
}

/// What the whole table adds up to: its rows, quantities and amount, and the chart's largest
/// amounts per product.
struct Grouped {
    total_rows: i64,
    total_quantity: i64,
    total_amount: i128,
    top: Vec<(String, i128)>,
}

/// One pass over the table's lines (`by_deal`, or `lines` for an owner), grouped by product and rate
/// (the heavy part of the report: the latest and first received payment of every paid deal): the totals add the groups up, converting
/// each rate's amount once (as one `GROUP BY rate` would), and the chart converts each product's
/// groups. The largest `TOP_PRODUCTS` products by amount (ties by name) make the chart.
async fn grouped(db: &Db, s: &Scope, r: &Resolved) -> AppResult<Grouped> {
    let mut q = if s.owner.is_some() { lines(s, r, db.backend()) } else { by_deal(s, r) };
    q.column(("outputs", "product_id"))
        .expr(rate(s.currency))
        .expr(scope::sum_i64(("outputs", "amount_cents")))
        .expr(scope::sum_i64(("outputs", "quantity")))
        .expr(Expr::col(("outputs", "id")).count())
        .add_group_by([Expr::col(("outputs", "product_id")), rate(s.currency)]);
    // (product, rate, sum of amounts, sum of quantities, lines): the rate is NULL for lines without
    // a currency, the amount's sum for a group without amounts.
    type Group = (i64, Option<i64>, Option<i64>, Option<i64>, i64);
    let groups: Vec<Group> = db.fetch_all(&q).await?;
    let (mut total_rows, mut total_quantity) = (0i64, 0i64);
    let mut per_rate: BTreeMap<i64, i128> = BTreeMap::new();
    let mut per_product: BTreeMap<i64, i128> = BTreeMap::new();
    for (product, rate, cents, quantity, n) in groups {
        total_rows += n;
        total_quantity += quantity.unwrap_or(0);
        if let (Some(rate), Some(cents)) = (rate, cents) {
            *per_rate.entry(rate).or_insert(0) += cents as i128;
            *per_product.entry(product).or_insert(0) += scope::convert(cents as i128, rate as i128);
        }
    }
    let total_amount = per_rate.into_iter().map(|(rate, cents)| scope::convert(cents, rate as i128)).sum();
    let mut top = Vec::new();
    if !per_product.is_empty() {
        let names: Vec<(i64, String)> = db
            .fetch_all(
                Query::select()
                    .column("id")
                    .column("name")
                    .from("products")
                    .and_where(Expr::col("id").is_in(per_product.keys().copied())),
            )
            .await?;
        let names: HashMap<i64, String> = names.into_iter().collect();
        top = per_product.into_iter().map(|(id, a)| (names.get(&id).cloned().unwrap_or_default(), a)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(TOP_PRODUCTS);
    }
    Ok(Grouped { total_rows, total_quantity, total_amount, top })
}

/// The page's tables as sheets (`/analytics/sales/export`): every row of "Sold products" with its
/// total row, and the amounts per product of the chart.
pub fn sheets(d: &Sales) -> Vec<crate::excel::Sheet> {
    use crate::excel::{Cell, Sheet};
    let money = |c: i128| Cell::Money(c.clamp(i64::MIN as i128, i64::MAX as i128) as i64);
    let cur = &d.currency;
    let mut rows: Vec<Vec<Cell>> = d
        .rows
        .iter()
        .map(|r| {
            let info = d.deals.get(&r.deal_id);
            vec![
                Cell::from(r.product.as_str()),
                Cell::Int(r.quantity),
                r.unit_price().map(money).unwrap_or(Cell::Empty),
                r.amount.map(money).unwrap_or(Cell::Empty),
                Cell::from(info.map(|i| i.counterparty.clone()).unwrap_or_default()),
                Cell::from(info.map(|i| i.owners.join(", ")).unwrap_or_default()),
                Cell::from(r.order_number.as_str()),
                Cell::Date(r.date),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::from("Total amount"),
        Cell::Int(d.total_quantity),
        Cell::Empty,
        money(d.total_amount),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    let headers = vec![
        "Product".to_string(),
        "Quantity (pcs)".into(),
        format!("Unit price, {cur}"),
        format!("Amount, {cur}"),
        "Counterparty".into(),
        "Owner".into(),
        "Order number".into(),
        "Payment date".into(),
    ];
    let top = d.top.iter().map(|(p, a)| vec![Cell::from(p.as_str()), money(*a)]).collect();
    vec![
        Sheet { name: "Sold products".into(), headers, rows },
        Sheet {
            name: "Amount per product".into(),
            headers: vec!["Product".into(), format!("Amount, {cur}")],
            rows: top,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sold(amount: Option<i128>, quantity: i64) -> Sold {
        Sold {
            deal_id: 1,
            product: "p".into(),
            quantity,
            amount,
            date: NaiveDate::default(),
            order_number: String::new(),
        }
    }

    #[test]
    fn the_unit_price_rounds_half_away_from_zero() {
        // 100.00 / 3 = 33.333… → 33.33; 100.01 / 2 = 50.005 → 50.01; -1.00 / 8 = -0.125 → -0.13.
        assert_eq!(sold(Some(10_000), 3).unit_price(), Some(3_333));
        assert_eq!(sold(Some(10_001), 2).unit_price(), Some(5_001));
        assert_eq!(sold(Some(-100), 8).unit_price(), Some(-13));
        assert_eq!(sold(None, 2).unit_price(), None);
        assert_eq!(PER_PAGE, 100);
    }
}
