//! The Sales Report (§5.3) and the Closing reason Summary (§5.7) on the hand-made data set of
//! `analytics_data` plus the rows below: every figure is worked out by hand in the comments.
//!
//! Rows `analytics_data::build` already holds that matter here: deal A (Sales, Mark; received
//! 500.00 USD on M-1 with no order number, then 1,000.00 EUR on M0 "ORD-1"; one line "Widget <b>",
//! 3 pcs, without an amount); B (Sales, Helen; received on M-13, no line); C (Export, Eve; received
//! on M0, no line). Closed relevant deals: A, F, G won ("The deal was closed successfully"), C
//! (Export) "The price is not competitive" (request M-1), E "The client is not responding"; D is
//! irrelevant. Requests: A's on M0, G's on M-2; E and F have none.

use sea_query::{Expr, ExprTrait, Query, SimpleExpr};

use crate::analytics::{bars, exported, option};
use crate::analytics_data::{self as data, Deal, Fixture, get, insert, month};
use crate::helpers::html::Page;
use crate::helpers::{TestApp, spawn_app};

pub struct Sales {
    pub gadget: i64,
    pub gizmo: i64,
    pub export_thing: i64,
    pub s1: i64,
    pub s2: i64,
    pub s3: i64,
}

async fn id_of(app: &TestApp, table: &'static str, name: &str) -> i64 {
    app.db
        .scalar(Query::select().column("id").from(table).and_where(Expr::col("name").eq(name)))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {table} {name}"))
}

pub async fn set(app: &TestApp, table: &'static str, id: i64, col: &'static str, v: SimpleExpr) {
    let mut q = Query::update();
    q.table(table).value(col, v).and_where(Expr::col("id").eq(id));
    app.db.execute(&q).await.unwrap();
    ferrocrm::analytics::cache::figures_moved(&app.state.bus);
}

pub async fn product(app: &TestApp, department: i64, name: &str) -> i64 {
    let now = chrono::Utc::now();
    insert(
        app,
        "products",
        &[
            ("name", name.into()),
            ("department_id", department.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
}

/// A line item: `amount` in hundredths of `currency`.
pub async fn line(app: &TestApp, deal: i64, product: i64, quantity: i32, amount: Option<(i64, &str)>) {
    let now = chrono::Utc::now();
    let mut cols: Vec<(&str, SimpleExpr)> = vec![
        ("deal_id", deal.into()),
        ("product_id", product.into()),
        ("quantity", quantity.into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
    ];
    if let Some((cents, cur)) = amount {
        cols.push(("amount_cents", cents.into()));
        cols.push(("currency_id", data::currency(app, cur).await.into()));
    }
    insert(app, "outputs", &cols).await;
}

fn open(department: i64, owner: i64) -> Deal<'static> {
    Deal { department, owner, stage: "request", closed: None, relevant: true, won_after_days: None }
}

/// The Sales Report's rows, on top of `analytics_data::build`. Currencies: GBP (current: 1.30 USD,
/// 1.15 EUR) with a dated rate on M-2 of 1.25 USD and 1.10 EUR; EUR has no dated rate on M-2 (its
/// current rates: 1.20 USD, 1.00 EUR); USD is the marketing currency (0.83 EUR).
/// - S1: Sales, Mark. Received 100.00 USD on M-2 ("SO-1": its first payment) and 300.00 USD on M0
///   (its latest). Lines: Gadget 4 pcs 1,000.00 GBP; Gizmo 1 pc 200.00 EUR (rates of M-2).
/// - S2: Sales, Helen. Received 50.00 EUR on M-1 ("SO-3"); guaranteed 70.00 USD on M0 (not
///   received). Line: Gadget 3 pcs 100.00 USD.
/// - S3: Export, Eve. Received 10.00 USD on M0 ("EX-1"). Line: Export thing 2 pcs 500.00 USD.
/// - S4: Sales, Mark. Only a guaranteed payment: its lines (Gadget 7 pcs 70.00 USD; Unsold 1 pc,
///   no amount) are not sold.
pub async fn build_sales(app: &TestApp, f: &Fixture) -> Sales {
    let now = chrono::Utc::now();
    let gbp = insert(
        app,
        "currencies",
        &[
            ("name", "GBP".into()),
            ("rate_to_state_e8", 115_000_000i64.into()),
            ("rate_to_marketing_e8", 130_000_000i64.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    insert(
        app,
        "currency_rates",
        &[
            ("currency_id", gbp.into()),
            ("rate_date", month(2).into()),
            ("rate_to_state_e8", 110_000_000i64.into()),
            ("rate_to_marketing_e8", 125_000_000i64.into()),
            ("rate_type", "official".into()),
        ],
    )
    .await;
    let gadget = product(app, f.sales, "Gadget").await;
    let gizmo = product(app, f.sales, "Gizmo").await;
    let export_thing = product(app, f.export, "Export thing").await;
    let s1 = data::deal(app, open(f.sales, f.mark)).await;
    let s2 = data::deal(app, open(f.sales, f.helen)).await;
    let s3 = data::deal(app, open(f.export, f.eve)).await;
    let s4 = data::deal(app, open(f.sales, f.mark)).await;
    data::payment(app, s1, 30_000, "USD", month(0), "received", "SO-2").await;
    data::payment(app, s1, 10_000, "USD", month(2), "received", "SO-1").await;
    data::payment(app, s2, 5_000, "EUR", month(1), "received", "SO-3").await;
    data::payment(app, s2, 7_000, "USD", month(0), "guaranteed", "G-9").await;
    data::payment(app, s3, 1_000, "USD", month(0), "received", "EX-1").await;
    data::payment(app, s4, 7_000, "USD", month(0), "guaranteed", "G-8").await;
    line(app, s1, gadget, 4, Some((100_000, "GBP"))).await;
    line(app, s1, gizmo, 1, Some((20_000, "EUR"))).await;
    line(app, s2, gadget, 3, Some((10_000, "USD"))).await;
    line(app, s3, export_thing, 2, Some((50_000, "USD"))).await;
    line(app, s4, gadget, 7, Some((7_000, "USD"))).await;
    // A product on the unpaid S4 alone: never offered by the product filter.
    let unsold = product(app, f.sales, "Unsold").await;
    line(app, s4, unsold, 1, None).await;
    Sales { gadget, gizmo, export_thing, s1, s2, s3 }
}

async fn setup() -> (TestApp, Fixture, Sales) {
    let app = spawn_app().await;
    let f = data::build(&app).await;
    let s = build_sales(&app, &f).await;
    (app, f, s)
}

/// The "Sold products" rows: product, quantity, unit price, amount, owner, order, date.
fn sold(p: &Page) -> Vec<String> {
    let sel = scraper::Selector::parse("#sold tbody tr").unwrap();
    let td = scraper::Selector::parse("td").unwrap();
    p.html
        .select(&sel)
        .map(|tr| {
            let cells: Vec<String> = tr.select(&td).map(|c| c.text().collect::<String>().trim().to_string()).collect();
            if cells.len() < 8 {
                return cells.join(" | ");
            }
            [0, 1, 2, 3, 5, 6, 7].iter().map(|i| cells[*i].clone()).collect::<Vec<_>>().join(" | ")
        })
        .collect()
}

#[tokio::test]
async fn the_sales_report_lists_each_paid_deals_lines_at_its_first_payments_rate() {
    let (app, f, s) = setup().await;
    let (m0, m1) = (month(0), month(1));
    let p = get(&app, "Garry.Chief", "/analytics/sales").await;
    assert_eq!(p.text("h1"), "Sold products summary (by date of payment receipt)");
    // All departments, latest payment first (M0: S3, S1, A by deal id, newest first; then S2 on M-1).
    // S3: 500.00 USD / 2 = 250.00. S1 (first payment M-2): 1,000 GBP × 1.25 (dated) = 1,250.00, / 4
    // = 312.50; 200 EUR × 1.20 (no dated EUR rate on M-2: current) = 240.00. A's line has no amount;
    // its first payment (M-1) has no order number. S2: 100.00 USD / 3 = 33.333… → 33.33.
    assert_eq!(
        sold(&p),
        vec![
            format!("Export thing | 2 pcs | 250.00 | 500.00 | Eve Manager | EX-1 | {m0}"),
            format!("Gadget | 4 pcs | 312.50 | 1,250.00 | Mark Manager | SO-1 | {m0}"),
            format!("Gizmo | 1 pcs | 240.00 | 240.00 | Mark Manager | SO-1 | {m0}"),
            format!("Widget <b> | 3 pcs | — | — | Mark Manager |  | {m0}"),
            format!("Gadget | 3 pcs | 33.33 | 100.00 | Helen Head | SO-3 | {m1}"),
        ]
    );
    // Each product links to its deal's lines.
    assert_eq!(
        p.attrs("#sold tbody tr td a", "href"),
        [s.s3, s.s1, s.s1, f.deal_a, s.s2].iter().map(|d| format!("/deals/{d}#lines")).collect::<Vec<_>>()
    );
    // 2 + 4 + 1 + 3 + 3 = 13 pcs; 500 + 1,250 + 240 + 100 = 2,090.00 USD (S4 was never paid).
    assert_eq!(p.text("#sold-quantity"), "13 pcs");
    assert_eq!(p.text("#sold-total"), "2,090.00 USD");
    // The chart: Gadget 1,250 + 100 = 1,350, Export thing 500, Gizmo 240 (Widget has no amount).
    assert_eq!(option(&p, "sales-products")["yAxis"]["data"], serde_json::json!(["Gadget", "Export thing", "Gizmo"]));
    assert_eq!(bars(&p, "sales-products"), vec![1350.0, 500.0, 240.0]);
    assert!(!p.exists("select[name=country]"), "no country filter for all departments");

    // The state currency (EUR): 500 USD × 0.83 = 415.00 (/2 = 207.50); 1,000 GBP × 1.10 (dated) =
    // 1,100.00 (/4 = 275.00); 200 EUR × 1.00 = 200.00; 100 USD × 0.83 = 83.00 (/3 = 27.666… → 27.67).
    // Total: (500 + 100) USD × 0.83 = 498 + 1,100 + 200 = 1,798.00.
    assert_eq!(p.text("a.currency-switch"), "USD > EUR");
    let e = get(&app, "Garry.Chief", "/analytics/sales?currency=state").await;
    let prices: Vec<String> = e.texts("#sold tbody tr td:nth-child(3)");
    assert_eq!(prices, vec!["207.50", "275.00", "200.00", "—", "27.67"]);
    assert_eq!(e.text("#sold-total"), "1,798.00 EUR");

    // Mark's own deals by default: S1 and A (S4 unpaid): 8 pcs, 1,490.00; all of his department's:
    // S2 joins (11 pcs, 1,590.00); Export's S3 never.
    let own = get(&app, "Mark.Manager.Sales", "/analytics/sales").await;
    assert_eq!((own.text("#sold-quantity"), own.text("#sold-total")), ("8 pcs".into(), "1,490.00 USD".into()));
    let all = get(&app, "Mark.Manager.Sales", "/analytics/sales?owner=all").await;
    assert_eq!((all.text("#sold-quantity"), all.text("#sold-total")), ("11 pcs".into(), "1,590.00 USD".into()));
    assert!(!all.body.contains("Export thing"), "another department's product is neither listed nor offered");
    let eve = get(&app, "Eve.Manager.Export", "/analytics/sales").await;
    assert_eq!(sold(&eve), vec![format!("Export thing | 2 pcs | 250.00 | 500.00 | Eve Manager | EX-1 | {m0}")]);

    // The product filter: Gadget's lines only (S1's 4 and S2's 3: 7 pcs, 1,350.00); the choices
    // are the products of paid deals (not S4's alone… Gadget is both).
    let g = get(&app, "Garry.Chief", &format!("/analytics/sales?product={}", s.gadget)).await;
    assert_eq!((g.text("#sold-quantity"), g.text("#sold-total")), ("7 pcs".into(), "1,350.00 USD".into()));
    assert_eq!(g.count("#sold tbody tr"), 2);
    let offered = all.attrs("select[name=product] option", "value");
    assert_eq!(
        offered,
        vec![String::new(), s.gadget.to_string(), s.gizmo.to_string(), product_id(&app, "Widget <b>").await]
    );
    // Every department's (the chief's default view, which probes each product): Export's too.
    let every = get(&app, "Garry.Chief", "/analytics/sales").await;
    assert_eq!(
        every.attrs("select[name=product] option", "value"),
        vec![
            String::new(),
            s.export_thing.to_string(),
            s.gadget.to_string(),
            s.gizmo.to_string(),
            product_id(&app, "Widget <b>").await
        ]
    );
    // Helen's own deal (S2) has no Gizmo line: nothing sold, and the filter still shows the choice.
    let h = get(&app, "Helen.Head.Sales", &format!("/analytics/sales?product={}", s.gizmo)).await;
    assert_eq!(h.attr("select[name=product] option[selected]", "value"), Some(s.gizmo.to_string()));
    assert_eq!((h.count("#sold tbody tr td a"), h.text("#sold-total")), (0, "0.00 USD".into()));
    // Another department's product, or no number: refused, nothing shown.
    let mark = app.login_as("Mark.Manager.Sales").await;
    let r = mark.get(&format!("/analytics/sales?product={}", s.export_thing)).await;
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("Export thing"));
    assert_eq!(mark.get("/analytics/sales?product=x").await.status, 400);
    assert_eq!(mark.get("/analytics/sales?date=custom&date_from=2026-13-01").await.status, 400);
    assert_eq!(mark.get(&format!("/analytics/sales?department={}", f.export)).await.status, 403);
}

async fn product_id(app: &TestApp, name: &str) -> String {
    id_of(app, "products", name).await.to_string()
}

#[tokio::test]
async fn a_deal_counts_once_on_its_latest_received_payment_in_every_view() {
    let (app, f, s) = setup().await;
    // Last month (M-1): only S2, whose latest payment is then. A was paid on M-1 too, but its latest
    // payment is on M0; S1's first was on M-2, its latest on M0.
    for path in [
        "/analytics/sales?date=last_month".to_string(),
        format!("/analytics/sales?date=last_month&department={}", f.sales),
    ] {
        let p = get(&app, "Garry.Chief", &path).await;
        assert_eq!(p.attrs("#sold tbody tr td a", "href"), vec![format!("/deals/{}#lines", s.s2)], "{path}");
        assert_eq!(p.text("#sold-total"), "100.00 USD", "{path}");
    }
    // M-2 alone (S1's first payment): nothing; from M-2 on: S1, A and S2 (and Export's S3 for all departments).
    let (m2, m1) = (month(2), month(1));
    let p = get(&app, "Garry.Chief", &format!("/analytics/sales?date=custom&date_from={m2}&date_before={m1}")).await;
    assert_eq!(p.count("#sold tbody tr td a"), 0);
    assert_eq!(p.text("#sold-total"), "0.00 USD");
    let p =
        get(&app, "Garry.Chief", &format!("/analytics/sales?date=custom&date_from={m2}&department={}", f.sales)).await;
    assert_eq!(p.text("#sold-quantity"), "11 pcs");
    // A second received payment of S2 today moves S2 out of last month into this one.
    data::payment(&app, s.s2, 100, "USD", chrono::Utc::now().date_naive(), "received", "").await;
    let p = get(&app, "Garry.Chief", "/analytics/sales?date=last_month").await;
    assert_eq!(p.count("#sold tbody tr td a"), 0);
    let p = get(&app, "Garry.Chief", "/analytics/sales?date=month").await;
    assert_eq!(p.text("#sold-quantity"), "13 pcs");
}

#[tokio::test]
async fn the_country_filter_is_offered_for_a_department_that_works_globally() {
    let (app, f, s) = setup().await;
    let germany = id_of(&app, "countries", "Germany").await;
    let france = id_of(&app, "countries", "France").await;
    // Eve's Export does not work globally: no country filter, and a country given is ignored.
    let eve = get(&app, "Eve.Manager.Export", &format!("/analytics/sales?country={germany}")).await;
    assert!(!eve.exists("select[name=country]"));
    assert_eq!(eve.text("#sold-total"), "500.00 USD");
    // Sales works globally, Germany by default. S1 is in Germany, S2 in France, A has no country.
    set(&app, "departments", f.sales, "works_globally", true.into()).await;
    set(&app, "departments", f.sales, "default_country_id", germany.into()).await;
    set(&app, "deals", s.s1, "country_id", germany.into()).await;
    set(&app, "deals", s.s2, "country_id", france.into()).await;
    // Mark (one department), all owners: the default country, Germany: S1's 5 pcs, 1,490.00.
    let p = get(&app, "Mark.Manager.Sales", "/analytics/sales?owner=all").await;
    assert_eq!(p.attr("select[name=country] option[selected]", "value"), Some(germany.to_string()));
    assert_eq!(
        p.attrs("select[name=country] option", "value"),
        vec!["all".to_string(), france.to_string(), germany.to_string(), "none".into()]
    );
    assert_eq!((p.text("#sold-quantity"), p.text("#sold-total")), ("5 pcs".into(), "1,490.00 USD".into()));
    let all = get(&app, "Mark.Manager.Sales", "/analytics/sales?owner=all&country=all").await;
    assert_eq!(all.text("#sold-quantity"), "11 pcs");
    let fr = get(&app, "Mark.Manager.Sales", &format!("/analytics/sales?owner=all&country={france}")).await;
    assert_eq!((fr.text("#sold-quantity"), fr.text("#sold-total")), ("3 pcs".into(), "100.00 USD".into()));
    let none = get(&app, "Mark.Manager.Sales", "/analytics/sales?owner=all&country=none").await;
    assert_eq!(none.texts("#sold tbody tr td a"), vec!["Widget <b>"]);
    // A chief sees it once he chooses the department, not in the all-departments view.
    let chief = get(&app, "Garry.Chief", &format!("/analytics/sales?department={}", f.sales)).await;
    assert_eq!(chief.text("#sold-quantity"), "5 pcs");
    assert!(!get(&app, "Garry.Chief", "/analytics/sales").await.exists("select[name=country]"));
    assert_eq!(app.login_as("Mark.Manager.Sales").await.get("/analytics/sales?country=x").await.status, 400);
}

#[tokio::test]
async fn the_sold_products_table_has_pages_of_100_rows_and_the_export_holds_them_all() {
    let app = spawn_app().await;
    let f = data::build(&app).await;
    // One more deal of Sales, paid today's month, with 101 lines of 1 pc at 1.00 USD each (one
    // multi-row insert). With A's line: 102 rows; P's (the newer deal) come first.
    let thing = product(&app, f.sales, "Thing").await;
    let p = data::deal(&app, open(f.sales, f.mark)).await;
    data::payment(&app, p, 100, "USD", month(0), "received", "P-1").await;
    let usd = data::currency(&app, "USD").await;
    let now = chrono::Utc::now();
    let mut q = Query::insert();
    q.into_table("outputs").columns([
        "deal_id",
        "product_id",
        "quantity",
        "amount_cents",
        "currency_id",
        "created_at",
        "updated_at",
    ]);
    for _ in 0..101 {
        q.values_panic([p.into(), thing.into(), 1i32.into(), 100i64.into(), usd.into(), now.into(), now.into()]);
    }
    app.db.execute(&q).await.unwrap();
    ferrocrm::analytics::cache::figures_moved(&app.state.bus);
    let first = get(&app, "Garry.Chief", "/analytics/sales").await;
    assert_eq!(first.count("#sold tbody tr"), 100);
    assert_eq!(first.text("#sold .page-info"), "Page 1 of 2 · 102 products sold");
    // Totals cover every page: 101 + 3 pcs; 101.00 USD.
    assert_eq!((first.text("#sold-quantity"), first.text("#sold-total")), ("104 pcs".into(), "101.00 USD".into()));
    let next = first.attr("#sold a[rel=next]", "href").unwrap();
    assert_eq!(next, "/analytics/sales?page=2");
    let second = get(&app, "Garry.Chief", &next).await;
    assert_eq!(second.texts("#sold tbody tr td a"), vec!["Thing", "Widget <b>"]);
    assert_eq!(second.attr("#sold a[rel=prev]", "href").as_deref(), Some("/analytics/sales"));
    // The page is kept with the filters (the live region refreshes the same page).
    assert_eq!(second.attr("#report", "data-live").as_deref(), Some("/analytics/sales?page=2"));
    let wanted = "/analytics/sales?owner=all&page=2&date=month";
    let kept = get(&app, "Garry.Chief", wanted).await;
    assert_eq!(kept.attr("#sold a[rel=prev]", "href").as_deref(), Some("/analytics/sales?owner=all&date=month"));
    // A page past the end is empty, not an error; nonsense is page 1.
    assert_eq!(get(&app, "Garry.Chief", "/analytics/sales?page=9").await.count("#sold tbody tr td a"), 0);
    assert_eq!(get(&app, "Garry.Chief", "/analytics/sales?page=x").await.count("#sold tbody tr"), 100);

    // The export: every row of every page, then the total row.
    let rows = exported(&app, "Garry.Chief", "/analytics/sales/export?page=2", "Sold products").await;
    assert_eq!(rows.len(), 1 + 102 + 1);
    assert_eq!(
        rows[0],
        "product | quantity (pcs) | unit price, usd | amount, usd | counterparty | owner | order number | payment date"
    );
    assert_eq!(
        rows[1],
        format!("Thing | 1 | 1 | 1 | {} | Mark Manager | P-1 | {}", deal_name(&app, p).await, month(0))
    );
    assert_eq!(rows[103], "Total amount | 104 |  | 101 |  |  |  | ");
}

async fn deal_name(app: &TestApp, id: i64) -> String {
    let n: Option<String> =
        app.db.scalar(Query::select().column("name").from("deals").and_where(Expr::col("id").eq(id))).await.unwrap();
    n.unwrap()
}

#[tokio::test]
async fn the_sales_report_exports_its_tables_for_the_viewers_scope_only() {
    let (app, _f, _s) = setup().await;
    let page = get(&app, "Mark.Manager.Sales", "/analytics/sales").await;
    assert_eq!(
        page.attr("a[download][href^='/analytics/sales/export']", "href").as_deref(),
        Some("/analytics/sales/export")
    );
    // Mark's own: S1's two lines and A's (the same rows and total as his page: 1,490.00).
    let rows = exported(&app, "Mark.Manager.Sales", "/analytics/sales/export", "Sold products").await;
    let products: Vec<&str> = rows.iter().skip(1).map(|r| r.split(" | ").next().unwrap()).collect();
    assert_eq!(products, vec!["Gadget", "Gizmo", "Widget <b>", "Total amount"]);
    assert_eq!(rows[1].split(" | ").take(4).collect::<Vec<_>>(), vec!["Gadget", "4", "312.5", "1250"]);
    assert_eq!(rows[4], "Total amount | 8 |  | 1490 |  |  |  | ");
    let top = exported(&app, "Garry.Chief", "/analytics/sales/export?currency=state", "Amount per product").await;
    // EUR: Gadget 1,100 + 83 = 1,183; Export thing 415; Gizmo 200.
    assert_eq!(top, vec!["product | amount, eur", "Gadget | 1183", "Export thing | 415", "Gizmo | 200"]);
    // The page's rules: an accountant may not open the report, nor export it.
    let anna = app.login_as("Anna.Accountant").await;
    assert_eq!(anna.get_bytes("/analytics/sales/export").await.0, 403);
    assert_eq!(anna.get_bytes("/analytics/closing-reasons/export").await.0, 403);
}

/// Closed deals for the Closing reason Summary, on top of `build` and `build_sales`:
/// - K1: Sales, Mark, "The price is not competitive", Germany, request on M-3, a Gadget line;
/// - K2: Sales, Helen, closed without a reason, France, request on M-14, two Gadget lines.
async fn build_closed(app: &TestApp, f: &Fixture, s: &Sales) -> (i64, i64) {
    let germany = id_of(app, "countries", "Germany").await;
    let france = id_of(app, "countries", "France").await;
    let mut ids = Vec::new();
    let made: [(i64, Option<&str>, i64, i32); 2] =
        [(f.mark, Some("The price is not competitive"), germany, 3), (f.helen, None, france, 14)];
    for (owner, why, country, back) in made {
        let id = data::deal(
            app,
            Deal {
                department: f.sales,
                owner,
                stage: "price offer",
                closed: Some((why, month(1))),
                relevant: true,
                won_after_days: None,
            },
        )
        .await;
        set(app, "deals", id, "country_id", country.into()).await;
        data::request(app, f.sales, owner, month(back), Some(id), (false, false, false), None).await;
        line(app, id, s.gadget, 1, None).await;
        ids.push(id);
    }
    line(app, ids[1], s.gadget, 2, None).await;
    (ids[0], ids[1])
}

fn reasons(p: &Page) -> Vec<String> {
    p.texts("#reasons li")
}

#[tokio::test]
async fn the_closing_reason_summary_counts_closed_relevant_deals_by_reason_and_country() {
    let (app, f, s) = setup().await;
    build_closed(&app, &f, &s).await;
    // All departments: A, F, G won; C (Export) and K1 "price" (one name over two departments); E
    // "client"; K2 without reason: 7. 3/7 = 42.857… → 42.9%, 2/7 → 28.6%, 1/7 → 14.3%.
    let p = get(&app, "Garry.Chief", "/analytics/closing-reasons").await;
    assert_eq!(p.text("h1"), "Statistics on the Closing reason of deals for all the time");
    assert_eq!(
        reasons(&p),
        vec![
            "7 (100%) - total requests",
            "3 (42.9%) - The deal was closed successfully",
            "2 (28.6%) - The price is not competitive",
            "1 (14.3%) - No closing reason",
            "1 (14.3%) - The client is not responding",
        ]
    );
    // Countries of all of them: A, C, E, F, G have none; K1 Germany, K2 France.
    assert_eq!(p.texts("#countries tbody tr"), vec!["Not specified 5", "France 1", "Germany 1"]);
    assert!(!p.exists("template#chart-closing-monthly-option"), "no chart without one reason");
    // One reason per name offered, though Sales and Export both have each.
    let names = p.texts("select[name=reason] option");
    assert_eq!(names.iter().filter(|n| *n == "The price is not competitive").count(), 1);

    // One reason ("The price is not competitive" of Sales): its deals C and K1, counted by their
    // request's month (C: M-1, bar 10; K1: M-3, bar 8), and per country over the last 365 days.
    let price = data::reason(&app, f.sales, "The price is not competitive").await;
    let r = get(&app, "Garry.Chief", &format!("/analytics/closing-reasons?reason={price}")).await;
    assert_eq!(reasons(&r), vec!["7 (100%) - total requests", "2 (28.6%) - The price is not competitive"]);
    let mut bars12 = vec![0.0; 12];
    bars12[10] = 1.0;
    bars12[8] = 1.0;
    assert_eq!(bars(&r, "closing-monthly"), bars12);
    assert_eq!(option(&r, "closing-monthly")["title"][0]["text"], "Closing reason over month");
    assert_eq!(r.texts("#countries tbody tr"), vec!["Germany 1", "Not specified 1"]);
    assert_eq!(r.attr("select[name=reason] option[selected]", "value"), Some(price.to_string()));
    // Mark, his own: A, E, G, K1 (D irrelevant): K1 alone has the reason: 1 of 4 = 25.0%.
    let m = get(&app, "Mark.Manager.Sales", &format!("/analytics/closing-reasons?reason={price}")).await;
    assert_eq!(reasons(&m), vec!["4 (100%) - total requests", "1 (25.0%) - The price is not competitive"]);
    let mut k1 = vec![0.0; 12];
    k1[8] = 1.0;
    assert_eq!(bars(&m, "closing-monthly"), k1);
    assert_eq!(m.texts("#countries tbody tr"), vec!["Germany 1"]);

    // Only deals with a Gadget line: K1 and K2 (two lines, one deal); the title names the product.
    let g = get(&app, "Garry.Chief", &format!("/analytics/closing-reasons?product={}", s.gadget)).await;
    assert_eq!(g.text("h1"), "Statistics on the Closing reason of deals for all the time - Gadget");
    assert_eq!(
        reasons(&g),
        vec!["2 (100%) - total requests", "1 (50.0%) - No closing reason", "1 (50.0%) - The price is not competitive"]
    );
    assert_eq!(g.texts("#countries tbody tr"), vec!["France 1", "Germany 1"]);

    // Another department's reason or product, or no number: refused without naming it.
    let mark = app.login_as("Mark.Manager.Sales").await;
    let export_price = data::reason(&app, f.export, "The price is not competitive").await;
    assert_eq!(mark.get(&format!("/analytics/closing-reasons?reason={export_price}")).await.status, 400);
    let r = mark.get(&format!("/analytics/closing-reasons?product={}", s.export_thing)).await;
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("Export thing"));
    assert_eq!(mark.get("/analytics/closing-reasons?reason=x").await.status, 400);
    // Eve: C alone.
    let eve = get(&app, "Eve.Manager.Export", "/analytics/closing-reasons").await;
    assert_eq!(reasons(&eve), vec!["1 (100%) - total requests", "1 (100.0%) - The price is not competitive"]);

    // The export: the same rows.
    let sheet =
        exported(&app, "Garry.Chief", &format!("/analytics/closing-reasons/export?reason={price}"), "Closing reasons")
            .await;
    assert_eq!(
        sheet,
        vec![
            "closing reason | deals | share (%)",
            "Total requests | 7 | 100",
            "The price is not competitive | 2 | 28.6"
        ]
    );
    let monthly = exported(
        &app,
        "Garry.Chief",
        &format!("/analytics/closing-reasons/export?reason={price}"),
        "Closing reason over month",
    )
    .await;
    assert_eq!(monthly.len(), 13);
    assert_eq!(monthly[9], format!("{} | 1", month(3).format("%b %Y")));
    let countries = exported(&app, "Garry.Chief", "/analytics/closing-reasons/export", "Requests over country").await;
    assert_eq!(countries, vec!["country | deals", "Not specified | 5", "France | 1", "Germany | 1"]);
}
