//! The Shipments list (§13.6) and the payments list's total line and date filter (§13.5, §13.9),
//! on both backends: columns, filters, scope, the shipped rule and bad input.

use sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};

use crate::helpers::TestApp;
use crate::helpers::html::Page;

async fn insert(app: &TestApp, table: &str, cols: &[(&str, SimpleExpr)]) -> i64 {
    let mut q = Query::insert();
    q.into_table(Alias::new(table))
        .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(cols.iter().map(|(_, v)| v.clone()))
        .returning_col(Alias::new("id"));
    let mut tx = app.db.begin().await.unwrap();
    let id: i64 = tx.scalar(&q).await.unwrap().expect("id");
    tx.commit().await.unwrap();
    id
}

async fn exec(app: &TestApp, q: &sea_query::UpdateStatement) {
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(q).await.unwrap();
    tx.commit().await.unwrap();
}

async fn stage_where(app: &TestApp, department: i64, col: &str) -> i64 {
    app.db
        .scalar(
            Query::select()
                .column("id")
                .from("deal_stages")
                .and_where(Expr::col("department_id").eq(department))
                .and_where(Expr::col(Alias::new(col)).eq(true)),
        )
        .await
        .unwrap()
        .expect("stage")
}

async fn currency(app: &TestApp, code: &str) -> i64 {
    app.db
        .scalar(Query::select().column("id").from("currencies").and_where(Expr::col("name").eq(code)))
        .await
        .unwrap()
        .unwrap()
}

fn day(n: i64) -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(n)
}

/// A deal in `department` owned by `owner` (co-owner `co`), amount 1,000.00 EUR, at the default
/// stage, with a company in Germany.
async fn deal(app: &TestApp, department: i64, owner: i64, co: Option<i64>, name: &str) -> i64 {
    let now = ferrocrm::db::now();
    let eur = currency(app, "EUR").await;
    let country: i64 = app
        .db
        .scalar(Query::select().column("id").from("countries").and_where(Expr::col("name").eq("Germany")))
        .await
        .unwrap()
        .expect("Germany");
    let company = insert(
        app,
        "companies",
        &[
            ("full_name", format!("{name} GmbH").into()),
            ("name_key", ferrocrm::text::match_key(&format!("{name} GmbH")).into()),
            ("email", "x@example.com".into()),
            ("token", format!("tok-{name}").into()),
            ("country_id", country.into()),
            ("department_id", department.into()),
            ("owner_id", owner.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    let stage = stage_where(app, department, "is_default").await;
    insert(
        app,
        "deals",
        &[
            ("name", name.into()),
            ("next_step", "Call".into()),
            ("next_step_date", day(3).into()),
            ("stage_id", stage.into()),
            ("ticket", name.chars().filter(|c| c.is_ascii_alphanumeric()).take(14).collect::<String>().into()),
            ("company_id", company.into()),
            ("country_id", country.into()),
            ("amount_cents", 100_000i64.into()),
            ("currency_id", eur.into()),
            ("co_owner_id", co.into()),
            ("department_id", department.into()),
            ("owner_id", owner.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
}

async fn product(app: &TestApp, department: i64, name: &str) -> i64 {
    let now = ferrocrm::db::now();
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

async fn output(app: &TestApp, deal: i64, product: i64, qty: i64, contract: Option<chrono::NaiveDate>) -> i64 {
    let now = ferrocrm::db::now();
    insert(
        app,
        "outputs",
        &[
            ("deal_id", deal.into()),
            ("product_id", product.into()),
            ("quantity", qty.into()),
            ("shipping_date", contract.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
}

async fn payment(
    app: &TestApp,
    deal: i64,
    cents: i64,
    code: &str,
    date: chrono::NaiveDate,
    status: &str,
    order: &str,
) -> i64 {
    let now = ferrocrm::db::now();
    let c = currency(app, code).await;
    insert(
        app,
        "payments",
        &[
            ("deal_id", deal.into()),
            ("amount_cents", cents.into()),
            ("currency_id", c.into()),
            ("payment_date", date.into()),
            ("status", status.into()),
            ("order_number", order.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
}

/// Shipment row ids on a list page, in order.
fn rows(p: &Page) -> Vec<i64> {
    assert_eq!(p.status, 200, "{}", p.body);
    p.attrs("#shipments tbody tr", "id").iter().map(|i| i.trim_start_matches("shipment-").parse().unwrap()).collect()
}

/// Everything a shipment write could touch, to prove a refused one wrote nothing.
async fn snapshot(app: &TestApp, deal: i64) -> String {
    let outputs: Vec<(i64, Option<chrono::NaiveDate>, bool)> = app
        .db
        .fetch_all(
            Query::select()
                .columns(["id", "actual_shipping_date", "product_is_shipped"])
                .from("outputs")
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    let deal: (i64, String, String) = app
        .db
        .fetch_optional(
            Query::select()
                .columns(["stage_id", "next_step", "stages_dates"])
                .from("deals")
                .and_where(Expr::col("id").eq(deal)),
        )
        .await
        .unwrap()
        .unwrap();
    let notices: i64 =
        app.db.scalar(Query::select().expr(Expr::col("id").count()).from("notifications")).await.unwrap().unwrap();
    let history: i64 =
        app.db.scalar(Query::select().expr(Expr::col("id").count()).from("history")).await.unwrap().unwrap();
    format!("{outputs:?} {deal:?} {notices} {history}")
}

struct Fixture {
    sales: i64,
    deal: i64,
    pump: i64,
    late: i64,
    shipped_one: i64,
    undated: i64,
    export_item: i64,
}

async fn fixture(app: &TestApp) -> Fixture {
    let sales = crate::helpers::crm::department(app, "Sales").await;
    let export = crate::helpers::crm::department(app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let helen = app.user_id("Helen.Head.Sales").await;
    let eve = app.user_id("Eve.Manager.Export").await;
    let export_deal = deal(app, export, eve, None, "Export deal").await;
    let deal = deal(app, sales, mark, Some(helen), "Pumps for Berlin").await;
    let pump = product(app, sales, "Pump P-100").await;
    let valve = product(app, sales, "Valve V-2").await;
    let late = output(app, deal, pump, 3, Some(day(-2))).await;
    let shipped_one = output(app, deal, valve, 1, Some(day(5))).await;
    exec(
        app,
        Query::update()
            .table("outputs")
            .value("actual_shipping_date", day(-1))
            .value("product_is_shipped", true)
            .and_where(Expr::col("id").eq(shipped_one)),
    )
    .await;
    let undated = output(app, deal, pump, 7, None).await;
    // Received 250.00 EUR of 1,000.00: 25 %; a USD payment is not in the deal's currency.
    payment(app, deal, 25_000, "EUR", day(-10), "received", "ORD-1").await;
    payment(app, deal, 50_000, "USD", day(-9), "received", "ORD-2").await;
    payment(app, deal, 30_000, "EUR", day(20), "guaranteed", "").await;
    payment(app, deal, 40_000, "EUR", day(40), "guaranteed", "").await;
    let export_product = product(app, export, "Export crane").await;
    let export_item = output(app, export_deal, export_product, 1, Some(day(1))).await;
    Fixture { sales, deal, pump, late, shipped_one, undated, export_item }
}

#[tokio::test]
async fn the_shipments_list_shows_contract_dated_items_with_their_deals_money_in_the_viewers_scope() {
    let app = TestApp::with(crate::helpers::app::Options { seed_users: true, ..Default::default() }).await;
    let f = fixture(&app).await;

    let mark = app.login_as("Mark.Manager.Sales").await;
    let p = mark.get("/shipments").await;
    assert_eq!(rows(&p), [f.shipped_one, f.late], "contract-dated items only, the latest contract date first");
    assert!(!rows(&p).contains(&f.undated));
    // A list longer than a page asks `/shipments/total` for its count after it is shown (it
    // answered 405 once: `/shipments/:id` took the path).
    let total = mark.get("/shipments/total?owner=all&shipped=no").await;
    assert_eq!(total.status, 200, "{}", total.body);
    assert!(total.body.contains("1 shipment"), "{}", total.body);
    assert_eq!(app.login_as("Anna.Accountant").await.get("/shipments/total").await.status, 404);
    let late = format!("#shipment-{}", f.late);
    assert_eq!(p.text(&format!("{late} td:nth-child(1)")), "Pump P-100");
    assert_eq!(p.text(&format!("{late} td:nth-child(2)")), "3");
    assert!(p.exists(&format!("{late} td:nth-child(3) .overdue")), "past the contract date and not shipped: red");
    assert!(!p.exists(&format!("#shipment-{} td:nth-child(3) .overdue", f.shipped_one)));
    assert_eq!(p.attr(&format!("{late} .deal-mark"), "title").as_deref(), Some("Not shipped yet"));
    assert_eq!(p.attr(&format!("#shipment-{} .deal-mark", f.shipped_one), "title").as_deref(), Some("Shipped"));
    assert_eq!(p.text(&format!("{late} td:nth-child(6)")), "25 %");
    let next = p.text(&format!("{late} td:nth-child(7)"));
    assert!(
        next.contains("400.00 EUR") && next.contains(&day(40).to_string()),
        "the latest guaranteed payment: {next}"
    );
    assert_eq!(p.text(&format!("{late} td:nth-child(8)")), "ORD-1", "the first payment's order number");
    assert_eq!(p.attr(&format!("{late} td:nth-child(9) a"), "href"), Some(format!("/deals/{}", f.deal)));
    assert_eq!(p.text(&format!("{late} td:nth-child(10) .company")), "Pumps for Berlin GmbH");
    assert_eq!(p.text(&format!("{late} td:nth-child(10) .country")), "Germany");
    assert!(p.text(&format!("{late} td:nth-child(11)")).contains("Mark"));
    assert!(
        p.exists(&format!("{late} form[action='/shipments/{}'] input[name=csrf_token]", f.late)),
        "the owner may set the date"
    );
    assert!(p.exists("nav a[href='/shipments']"), "a manager's menu has Shipments");

    // Filters: shipped, product, the actual date (extended), and the fragment for htmx.
    assert_eq!(rows(&mark.get("/shipments?shipped=yes").await), [f.shipped_one]);
    assert_eq!(rows(&mark.get("/shipments?shipped=no").await), [f.late]);
    assert_eq!(rows(&mark.get(&format!("/shipments?product={}", f.pump)).await), [f.late]);
    assert_eq!(rows(&mark.get("/shipments?date=week").await), [f.shipped_one], "shipped yesterday");
    assert_eq!(rows(&mark.get("/shipments?date=today").await), Vec::<i64>::new());
    let from = day(-1).to_string();
    assert_eq!(rows(&mark.get(&format!("/shipments?date=custom&date_from={from}")).await), [f.shipped_one]);
    assert_eq!(rows(&mark.get(&format!("/shipments?department={}", f.sales)).await).len(), 2);
    assert!(mark.hx_get("/shipments?shipped=no").await.is_fragment());

    // Bad dates: 422 with the message, no rows.
    let bad = mark.get("/shipments?date=custom&date_from=2026-02-30").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text(".flash").contains("YYYY-MM-DD"), "{}", bad.body);
    assert_eq!(bad.count("#shipments tbody tr"), 0);
    let bad = mark.get("/shipments?date=custom&date_from=2026-05-02&date_before=2026-05-01").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text(".flash").contains("later"));
    assert_eq!(mark.get("/shipments?date=nonsense").await.status, 422);

    // Another department's manager sees none of Sales' shipments, and cannot change one.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(rows(&eve.get("/shipments?owner=all").await), [f.export_item]);
    assert_eq!(eve.get(&format!("/shipments/{}/edit", f.late)).await.status, 404);
    let before = snapshot(&app, f.deal).await;
    assert_eq!(
        eve.post_form(&format!("/shipments/{}", f.late), &[("actual_shipping_date", "2026-01-01")]).await.status,
        404
    );
    assert_eq!(snapshot(&app, f.deal).await, before);

    // A chief sees every department's shipments and the deal link, but changes none.
    let garry = app.login_as("Garry.Chief").await;
    let p = garry.get("/shipments").await;
    assert_eq!(rows(&p).len(), 3);
    assert!(p.exists(&format!("{late} td:nth-child(9) a")));
    assert!(!p.exists(&format!("{late} form")));
    assert_eq!(
        garry.post_form(&format!("/shipments/{}", f.late), &[("actual_shipping_date", "2026-01-01")]).await.status,
        403
    );
    assert_eq!(snapshot(&app, f.deal).await, before);

    // A task operator (storekeeper) sees shipments without deal links; an accountant has no list.
    let tina = app.login_as("Tina.TaskOperator").await;
    let p = tina.get("/shipments").await;
    assert_eq!(rows(&p).len(), 3);
    assert!(!p.exists(&format!("{late} td:nth-child(9) a")), "no link to a deal she may not view");
    assert_eq!(p.text(&format!("{late} td:nth-child(9)")), "Pumps for Berlin");
    assert!(p.exists("nav a[href='/shipments']"));
    let anna = app.login_as("Anna.Accountant").await;
    assert_eq!(anna.get("/shipments").await.status, 404);
    assert!(!anna.get("/").await.exists("nav a[href='/shipments']"));
}

#[tokio::test]
async fn setting_the_actual_date_ships_the_item_moves_the_deal_and_tells_its_owner() {
    let app = TestApp::with(crate::helpers::app::Options { seed_users: true, ..Default::default() }).await;
    let f = fixture(&app).await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let helen_id = app.user_id("Helen.Head.Sales").await;
    let shipped_stage = stage_where(&app, f.sales, "goods_shipped").await;

    // Bad input first: 422 with the message on the form, nothing written.
    let helen = app.login_as("Helen.Head.Sales").await;
    let before = snapshot(&app, f.deal).await;
    for bad in ["2026-02-30", "tomorrow", "<script>alert(1)</script>"] {
        let p = helen.post_form(&format!("/shipments/{}", f.late), &[("actual_shipping_date", bad)]).await;
        assert_eq!(p.status, 422, "{bad}");
        assert_eq!(
            p.field_error("actual_shipping_date").as_deref(),
            Some("Enter the actual shipping date as YYYY-MM-DD.")
        );
        assert!(!p.body.contains("<script>alert"), "the typed value is escaped");
        assert_eq!(snapshot(&app, f.deal).await, before);
    }
    assert_eq!(helen.get(&format!("/shipments/{}/edit", f.late)).await.status, 200);

    // The co-owner ships it.
    let shipped = day(-1);
    let p = helen.post_form(&format!("/shipments/{}", f.late), &[("actual_shipping_date", &shipped.to_string())]).await;
    assert!(p.status.is_redirection() || p.status == 200, "{} {}", p.status, p.body);
    let (actual, flag): (Option<chrono::NaiveDate>, bool) = app
        .db
        .fetch_optional(
            Query::select()
                .columns(["actual_shipping_date", "product_is_shipped"])
                .from("outputs")
                .and_where(Expr::col("id").eq(f.late)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((actual, flag), (Some(shipped), true));
    let (stage, step, step_date, stages_dates): (i64, String, chrono::NaiveDate, String) = app
        .db
        .fetch_optional(
            Query::select()
                .columns(["stage_id", "next_step", "next_step_date", "stages_dates"])
                .from("deals")
                .and_where(Expr::col("id").eq(f.deal)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stage, shipped_stage, "the department's goods-shipped stage");
    assert_eq!(step, "The product has been shipped. (Helen.Head.Sales)");
    assert_eq!(step_date, ferrocrm::time::today());
    let stage_name: String = app
        .db
        .scalar(Query::select().column("name").from("deal_stages").and_where(Expr::col("id").eq(shipped_stage)))
        .await
        .unwrap()
        .unwrap();
    assert!(
        stages_dates.starts_with(&format!("{} - {stage_name}", ferrocrm::time::today().format("%Y-%m-%d"))),
        "{stages_dates}"
    );
    let notices = |user: i64| {
        let db = app.db.clone();
        async move {
            let n: i64 = db
                .scalar(
                    Query::select()
                        .expr(Expr::col("id").count())
                        .from("notifications")
                        .and_where(Expr::col("user_id").eq(user))
                        .and_where(Expr::col("object_id").eq(f.deal)),
                )
                .await
                .unwrap()
                .unwrap();
            n
        }
    };
    assert_eq!(notices(mark_id).await, 1, "the owner is told");
    assert_eq!(notices(helen_id).await, 0, "not the one who shipped");
    let history = app.login_as("Mark.Manager.Sales").await.get(&format!("/deals/{}/history", f.deal)).await;
    assert!(history.body.contains("Changed the shipment of Pump P-100 × 3"), "{}", history.body);
    assert!(history.body.contains("Actual shipment date"));

    // Changing the date of an already shipped item moves nothing again and tells nobody.
    let after = snapshot(&app, f.deal).await;
    let p = helen.post_form(&format!("/shipments/{}", f.late), &[("actual_shipping_date", &day(-2).to_string())]).await;
    assert!(p.status.is_redirection() || p.status == 200);
    assert_eq!(notices(mark_id).await, 1);
    assert_ne!(snapshot(&app, f.deal).await, after, "the date itself changed");
}

// ---- The payments list (§13.5) ----

/// The list's "Total sum" line: the page holds its place, which asks for it after the page is shown.
async fn total_line(c: &crate::helpers::client::TestClient, p: &Page) -> String {
    assert_eq!(p.status, 200, "{}", p.body);
    let url = p.attr("#payments-sum", "hx-get").unwrap_or_else(|| panic!("the line's place: {}", p.body));
    let line = c.hx_get(&url).await;
    assert_eq!(line.status, 200, "{}", line.body);
    line.text("#payments-sum").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_payments_total_converts_every_filtered_payment_with_its_dated_rate_and_vat() {
    let app = TestApp::with(crate::helpers::app::Options { seed_users: true, ..Default::default() }).await;
    let sales = crate::helpers::crm::department(&app, "Sales").await;
    let export = crate::helpers::crm::department(&app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let eve = app.user_id("Eve.Manager.Export").await;
    let (eur, usd) = (currency(&app, "EUR").await, currency(&app, "USD").await);
    // EUR is the state currency, USD the marketing one; current rates: 1 EUR = 1.10 USD, 1 USD = 0.90 EUR.
    for (id, state, marketing) in [(eur, 100_000_000i64, 110_000_000i64), (usd, 90_000_000, 100_000_000)] {
        exec(
            &app,
            Query::update()
                .table("currencies")
                .value("rate_to_state_e8", state)
                .value("rate_to_marketing_e8", marketing)
                .and_where(Expr::col("id").eq(id)),
        )
        .await;
    }
    let (a, b) = (day(-40), day(-3));
    // An official dated rate for EUR on day a: 1 EUR = 1.20 USD.
    insert(
        &app,
        "currency_rates",
        &[
            ("currency_id", eur.into()),
            ("rate_date", a.into()),
            ("rate_to_state_e8", 100_000_000i64.into()),
            ("rate_to_marketing_e8", 120_000_000i64.into()),
            ("rate_type", "official".into()),
        ],
    )
    .await;
    let d1 = deal(&app, sales, mark, None, "Sales deal").await;
    payment(&app, d1, 10_000, "EUR", a, "received", "").await; // 100.00 EUR → 120.00 USD (dated)
    payment(&app, d1, 20_000, "USD", b, "guaranteed", "").await; // 200.00 USD → 180.00 EUR (current)
    // 55 payments of 1.00 EUR on day b: more than a page.
    for _ in 0..55 {
        payment(&app, d1, 100, "EUR", b, "received", "").await;
    }
    let pump = product(&app, sales, "Pump P-7").await;
    output(&app, d1, pump, 2, None).await;
    let other = deal(&app, export, eve, None, "Export deal").await;
    payment(&app, other, 1_000_000, "EUR", b, "received", "").await;

    let m = app.login_as("Mark.Manager.Sales").await;
    let p = m.get("/payments").await;
    assert_eq!(p.count("#payment-list tbody tr"), 50, "one page");
    // Marketing: 120.00 + 200.00 + 55 × 1.10 = 380.50 USD (×1.2 VAT = 456.60);
    // state: 100.00 + 180.00 + 55.00 = 335.00 EUR (402.00).
    assert_eq!(total_line(&m, &p).await, "Total sum: 380.50 (456.60) USD | 335.00 (402.00) EUR | approximate");
    // Only the dated payment: every rate official.
    let only_a = m.get(&format!("/payments?date=custom&date_from={a}&date_before={}", a.succ_opt().unwrap())).await;
    assert_eq!(
        total_line(&m, &only_a).await,
        "Total sum: 120.00 (144.00) USD | 100.00 (120.00) EUR | official currency rate"
    );
    assert_eq!(only_a.count("#payment-list tbody tr"), 1);
    // The status filter narrows the list and its total.
    let g = m.get("/payments?status=guaranteed").await;
    assert_eq!(total_line(&m, &g).await, "Total sum: 200.00 (240.00) USD | 180.00 (216.00) EUR | approximate");
    // §13.5's columns: counterparty, products, person (the deal's owner and co-owner).
    assert_eq!(
        p.texts("#payment-list thead th").join("|"),
        "Name|Deal|Amount (without VAT)|Currency|Payment date|Status|Counterparty|Products|Person|ID"
    );
    let first = "#payment-list tbody tr:first-child";
    assert_eq!(p.text(&format!("{first} td:nth-child(7)")), "Sales deal GmbH");
    assert_eq!(p.text(&format!("{first} td:nth-child(8)")), "Pump P-7 - 2pcs");
    assert!(p.text(&format!("{first} td:nth-child(9)")).contains("Mark"));
    // Newest payment date first.
    let dates = p.texts("#payment-list tbody tr td:nth-child(5)");
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    // A period with nothing in it: no total line, the empty state.
    let none = m.get("/payments?date=today").await;
    assert_eq!(none.count("#payments-sum"), 0);
    // Bad dates: 422 with the message, no rows.
    let bad = m.get("/payments?date=custom&date_before=31.12.2026").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text("#payments-sum").contains("YYYY-MM-DD"), "{}", bad.body);
    assert_eq!(bad.count("#payment-list tbody tr"), 0);

    // An accountant sees every department: Export's 10,000.00 EUR is in the total.
    let anna = app.login_as("Anna.Accountant").await;
    let p = anna.get("/payments").await;
    assert_eq!(
        total_line(&anna, &p).await,
        "Total sum: 11,380.50 (13,656.60) USD | 10,335.00 (12,402.00) EUR | approximate"
    );
    // Eve, of Export, sees only hers.
    let e = app.login_as("Eve.Manager.Export").await;
    assert_eq!(
        total_line(&e, &e.get("/payments").await).await,
        "Total sum: 11,000.00 (13,200.00) USD | 10,000.00 (12,000.00) EUR | approximate"
    );
}

/// In Chromium: the Shipments list as a person sees it, a shipment set from its row's own form
/// (boosted by htmx, CSRF token from the form), a bad date answered with the form and its message;
/// and the Payments list with its total line.
#[tokio::test]
async fn in_the_browser_a_shipment_is_set_from_its_row_and_a_bad_date_is_explained() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;
    let app = TestApp::with(crate::helpers::app::Options { seed_users: true, ..Default::default() }).await;
    let f = fixture(&app).await;
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    b.goto(&format!("{}/shipments", app.base)).await;
    b.wait_live().await;
    b.shot("shipments-list.png").await;

    let input = format!("#shipment-{} input[name=actual_shipping_date]", f.late);
    b.type_into(&input, "2026-13-45").await;
    b.click(&format!("#shipment-{} .ship-form button", f.late)).await;
    b.wait_text(".field-error", Duration::from_secs(5), |t| t.contains("YYYY-MM-DD")).await;
    b.shot("shipment-bad-date.png").await;

    b.goto(&format!("{}/shipments", app.base)).await;
    b.wait_live().await;
    let today = ferrocrm::time::today().to_string();
    b.type_into(&input, &today).await;
    b.click(&format!("#shipment-{} .ship-form button", f.late)).await;
    // The answer is a redirect to the list; wait for the row to say so (bounded).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut mark = None;
    while mark.as_deref() != Some("Shipped") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        mark = b.attr(&format!("#shipment-{} .deal-mark", f.late), "title").await;
    }
    assert_eq!(mark.as_deref(), Some("Shipped"));
    b.shot("shipments-after.png").await;

    b.goto(&format!("{}/payments?owner=all", app.base)).await;
    b.wait_text("#payments-sum", Duration::from_secs(5), |t| t.contains("Total sum")).await;
    b.shot("payments-list.png").await;
    b.close().await;
}

/// Shipping an item from the deal page's line-item form does what the Shipments list does:
/// the actual date ticks "Shipped", the deal moves to the goods-shipped stage with the signed
/// next step, and the owner is told — once.
#[tokio::test]
async fn shipping_an_item_from_the_deal_page_moves_the_deal_as_the_shipments_list_does() {
    let app = TestApp::with(crate::helpers::app::Options { seed_users: true, ..Default::default() }).await;
    let f = fixture(&app).await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let shipped_stage = stage_where(&app, f.sales, "goods_shipped").await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let url = format!("/deals/{}/outputs/{}", f.deal, f.undated);
    let pump = f.pump.to_string();

    // A change that does not ship it moves nothing.
    let p = helen.post_form(&url, &[("product_id", &pump), ("quantity", "8")]).await;
    assert!(p.status.is_redirection() || p.status == 200, "{} {}", p.status, p.body);
    let stage_of = || {
        let db = app.db.clone();
        async move {
            let s: i64 = db
                .scalar(Query::select().column("stage_id").from("deals").and_where(Expr::col("id").eq(f.deal)))
                .await
                .unwrap()
                .unwrap();
            s
        }
    };
    assert_ne!(stage_of().await, shipped_stage);

    // The actual date ships it.
    let date = day(-1).to_string();
    let p = helen.post_form(&url, &[("product_id", &pump), ("quantity", "8"), ("actual_shipping_date", &date)]).await;
    assert!(p.status.is_redirection() || p.status == 200, "{} {}", p.status, p.body);
    let flag: bool = app
        .db
        .scalar(Query::select().column("product_is_shipped").from("outputs").and_where(Expr::col("id").eq(f.undated)))
        .await
        .unwrap()
        .unwrap();
    assert!(flag, "an actual shipping date ticks Shipped");
    assert_eq!(stage_of().await, shipped_stage);
    let step: String = app
        .db
        .scalar(Query::select().column("next_step").from("deals").and_where(Expr::col("id").eq(f.deal)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(step, "The product has been shipped. (Helen.Head.Sales)");
    let notices = || {
        let db = app.db.clone();
        async move {
            let n: i64 = db
                .scalar(
                    Query::select()
                        .expr(Expr::col("id").count())
                        .from("notifications")
                        .and_where(Expr::col("user_id").eq(mark_id))
                        .and_where(Expr::col("object_id").eq(f.deal)),
                )
                .await
                .unwrap()
                .unwrap();
            n
        }
    };
    assert_eq!(notices().await, 1, "the owner is told");

    // Saving the shipped item again tells nobody again.
    let p = helen.post_form(&url, &[("product_id", &pump), ("quantity", "9"), ("actual_shipping_date", &date)]).await;
    assert!(p.status.is_redirection() || p.status == 200);
    assert_eq!(notices().await, 1);
}
