//! The analytics tests' fixed data set, written by hand straight into the tables (the reports only
//! read; each write publishes the change event the app's own writes publish, so cached figures go): two departments (Sales: Mark and Helen; Export: Eve), payments in USD and EUR with one
//! dated rate, forecast payments (one overdue from the month whose number is next month's), deals
//! closed at different stages and reasons, and primary, subsequent, duplicate and case requests.
//! Dates are relative to today; every expected figure is worked out by hand in the tests that use
//! it, in the comments next to the rows below.
//!
//! Months: M0 = the first day of this month, M-1 = the month before, … (all on or before today).
//! Currencies (migration 5): USD is the marketing currency (1 USD = 0.83 EUR), EUR the state
//! currency (1 EUR = 1.2 USD). A dated EUR rate on M0: 1 EUR = 1.10 USD (state rate 1.00).

use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, Query, SimpleExpr};

use crate::helpers::{TestApp, crm};

pub struct Fixture {
    pub sales: i64,
    pub export: i64,
    pub mark: i64,
    pub helen: i64,
    pub eve: i64,
    pub deal_a: i64,
    pub deal_b: i64,
    pub deal_c: i64,
}

/// Twelve monthly bars, zero but for (index from the oldest month, value).
pub fn months(set: &[(usize, f64)]) -> Vec<f64> {
    let mut v = vec![0.0; 12];
    for (i, x) in set {
        v[*i] = *x;
    }
    v
}

/// A fresh app with the data set.
pub async fn setup() -> (TestApp, Fixture) {
    let app = crate::helpers::spawn_app().await;
    let f = build(&app).await;
    (app, f)
}

/// `path` as `user`, which must answer 200.
pub async fn get(app: &TestApp, user: &str, path: &str) -> crate::helpers::html::Page {
    let c = app.login_as(user).await;
    let p = c.get(path).await;
    assert_eq!(p.status, 200, "{user} {path}: {}", p.body);
    p
}

/// The first day of the month `back` months before this one (negative: ahead).
pub fn month(back: i32) -> NaiveDate {
    let today = Utc::now().date_naive();
    let m0 = today.with_day(1).unwrap();
    if back >= 0 {
        m0.checked_sub_months(Months::new(back as u32)).unwrap()
    } else {
        m0.checked_add_months(Months::new((-back) as u32)).unwrap()
    }
}

pub async fn insert(app: &TestApp, table: &str, cols: &[(&str, SimpleExpr)]) -> i64 {
    let mut q = Query::insert();
    q.into_table(sea_query::Alias::new(table))
        .columns(cols.iter().map(|(c, _)| sea_query::Alias::new(*c)))
        .values_panic(cols.iter().map(|(_, v)| v.clone()))
        .returning_col(sea_query::Alias::new("id"));
    let mut tx = app.db.begin().await.unwrap();
    let id: i64 = tx.scalar(&q).await.unwrap().expect("id");
    tx.commit().await.unwrap();
    // As the app's own write paths do after their commit: the reports' cached figures may have moved.
    ferrocrm::analytics::cache::figures_moved(&app.state.bus);
    id
}

async fn id_where(app: &TestApp, table: &'static str, conds: &[(&'static str, SimpleExpr)]) -> i64 {
    let mut q = Query::select();
    q.column("id").from(table);
    for (c, v) in conds {
        q.and_where(Expr::col(*c).eq(v.clone()));
    }
    app.db.scalar(&q).await.unwrap().unwrap_or_else(|| panic!("no {table} row"))
}

pub async fn stage(app: &TestApp, department: i64, name: &str) -> i64 {
    id_where(app, "deal_stages", &[("department_id", department.into()), ("name", name.into())]).await
}

pub async fn reason(app: &TestApp, department: i64, name: &str) -> i64 {
    id_where(app, "closing_reasons", &[("department_id", department.into()), ("name", name.into())]).await
}

pub async fn currency(app: &TestApp, name: &str) -> i64 {
    id_where(app, "currencies", &[("name", name.into())]).await
}

/// A deal. `closed`: (stage, closing reason, closing date) of an inactive deal.
pub struct Deal<'a> {
    pub department: i64,
    pub owner: i64,
    pub stage: &'a str,
    pub closed: Option<(Option<&'a str>, NaiveDate)>,
    pub relevant: bool,
    /// Days from creation to the win (a win time is written).
    pub won_after_days: Option<i64>,
}

pub async fn deal(app: &TestApp, d: Deal<'_>) -> i64 {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let created = Utc::now() - Duration::days(200);
    let stage = stage(app, d.department, d.stage).await;
    let mut cols: Vec<(&str, SimpleExpr)> = vec![
        ("name", format!("Deal {n}").into()),
        ("next_step", "Call".into()),
        ("next_step_date", Utc::now().date_naive().into()),
        ("stage_id", stage.into()),
        ("ticket", format!("AN{n:06}").into()),
        ("relevant", d.relevant.into()),
        ("active", d.closed.is_none().into()),
        ("department_id", d.department.into()),
        ("owner_id", d.owner.into()),
        ("created_at", created.into()),
        ("updated_at", created.into()),
    ];
    if let Some((why, day)) = d.closed {
        cols.push(("closing_date", day.into()));
        if let Some(r) = why {
            cols.push(("closing_reason_id", reason(app, d.department, r).await.into()));
        }
    }
    if let Some(days) = d.won_after_days {
        cols.push(("win_closing_date", (created + Duration::days(days)).into()));
    }
    insert(app, "deals", &cols).await
}

/// A request (received on `day`), linked to `deal` when given; `flags`: subsequent, duplicate, case.
pub async fn request(
    app: &TestApp,
    department: i64,
    owner: i64,
    day: NaiveDate,
    deal: Option<i64>,
    flags: (bool, bool, bool),
    lead: Option<i64>,
) -> i64 {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = Utc::now();
    let id = insert(
        app,
        "requests",
        &[
            ("request_for", format!("Request {n}").into()),
            ("first_name", "Requester".into()),
            ("receipt_date", day.into()),
            ("ticket", format!("RQ{n:06}").into()),
            ("subsequent", flags.0.into()),
            ("duplicate", flags.1.into()),
            ("is_case", flags.2.into()),
            ("lead_id", lead.into()),
            ("deal_id", deal.into()),
            ("department_id", department.into()),
            ("owner_id", owner.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    if let Some(d) = deal {
        let mut q = Query::update();
        q.table("deals").value("request_id", id).and_where(Expr::col("id").eq(d));
        app.db.execute(&q).await.unwrap();
    }
    id
}

pub async fn payment(app: &TestApp, deal: i64, cents: i64, cur: &str, day: NaiveDate, status: &str, order: &str) {
    let now = Utc::now();
    let c = currency(app, cur).await;
    insert(
        app,
        "payments",
        &[
            ("deal_id", deal.into()),
            ("amount_cents", cents.into()),
            ("currency_id", c.into()),
            ("payment_date", day.into()),
            ("status", status.into()),
            ("order_number", order.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
}

/// Mark (deal A's owner) records 150.00 USD received today on deal A through the payments form.
pub async fn pay_150(app: &TestApp, f: &Fixture) {
    let mark = app.login_as("Mark.Manager.Sales").await;
    let usd = currency(app, "USD").await.to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    let deal = f.deal_a.to_string();
    let form = [
        ("deal_id", deal.as_str()),
        ("amount_cents", "150.00"),
        ("currency_id", usd.as_str()),
        ("payment_date", today.as_str()),
        ("status", "received"),
    ];
    let r = mark.post_form("/payments", &form).await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.body);
}

/// The data set. Deals (closing dates relative to M0):
/// - A: Sales, Mark; won (success reason, "closed (successful)"), closed M0, 10 days to win; request R1 (M0, primary).
/// - B: Sales, Helen; open at "invoice"; request R2 (M-1, primary).
/// - C: Export, Eve; lost at "price offer" (price not competitive), closed M-1; request R3 (M-1, primary).
/// - D: Sales, Mark; irrelevant, closed at "request" M0; request R4 (M0, subsequent).
/// - E: Sales, Mark; lost at "price offer" (client not responding), closed M-2; no request.
/// - F: Sales, Helen; won, closed M-13 (outside the last 365 days).
/// - G: Sales, Mark; won, closed M-1, 21 days to win; request R5 (M-2, primary).
/// - H: Sales, Helen; open at "receiving the first payment" (conditional success); request R9 (M-1, subsequent).
///
/// Requests not counted: R6 duplicate, R7 case, R8 of a disqualified lead (Sales, Mark, M0), R10
/// (Sales, Mark, M-13).
///
/// Payments (received unless said): A: 1,000.00 EUR on M0 (dated rate: 1,100.00 USD; 1,000.00
/// EUR) order "ORD-1"; A: 500.00 USD on M-1 (415.00 EUR); B: 200.00 EUR on M-13 (240.00 USD);
/// B: guaranteed 300.00 USD on M+1 (order "G-2"); B: guaranteed 80.00 USD on M-11 (overdue; its
/// month number is next month's) (order "G-1"); C: 700.00 USD on M0 (581.00 EUR); C: high 50.00 EUR
/// on M+2 (60.00 USD).
/// Deal A has a line "Widget <b> - 3pcs" (a product name with markup).
pub async fn build(app: &TestApp) -> Fixture {
    let sales = crm::department(app, "Sales").await;
    let export = crm::department(app, "Export").await;
    let (mark, helen, eve) = (
        app.user_id("Mark.Manager.Sales").await,
        app.user_id("Helen.Head.Sales").await,
        app.user_id("Eve.Manager.Export").await,
    );
    let won = Some("The deal was closed successfully");
    let closed = |why: Option<&'static str>, back: i32| Some((why, month(back)));
    let d = |department, owner, stage, closed, relevant, won_after_days| Deal {
        department,
        owner,
        stage,
        closed,
        relevant,
        won_after_days,
    };
    let a = deal(app, d(sales, mark, "closed (successful)", closed(won, 0), true, Some(10))).await;
    let b = deal(app, d(sales, helen, "invoice", None, true, None)).await;
    let c = deal(app, d(export, eve, "price offer", closed(Some("The price is not competitive"), 1), true, None)).await;
    let dd = deal(app, d(sales, mark, "request", closed(None, 0), false, None)).await;
    let _e =
        deal(app, d(sales, mark, "price offer", closed(Some("The client is not responding"), 2), true, None)).await;
    let _f = deal(app, d(sales, helen, "closed (successful)", closed(won, 13), true, Some(5))).await;
    let g = deal(app, d(sales, mark, "closed (successful)", closed(won, 1), true, Some(21))).await;
    let h = deal(app, d(sales, helen, "receiving the first payment", None, true, None)).await;

    let no = (false, false, false);
    request(app, sales, mark, month(0), Some(a), no, None).await;
    request(app, sales, helen, month(1), Some(b), no, None).await;
    request(app, export, eve, month(1), Some(c), no, None).await;
    request(app, sales, mark, month(0), Some(dd), (true, false, false), None).await;
    request(app, sales, mark, month(2), Some(g), no, None).await;
    request(app, sales, mark, month(0), None, (false, true, false), None).await;
    request(app, sales, mark, month(0), None, (false, false, true), None).await;
    let now = Utc::now();
    let lead = insert(
        app,
        "leads",
        &[
            ("first_name", "Dis".into()),
            ("last_name", "Qualified".into()),
            ("first_name_key", "dis".into()),
            ("last_name_key", "qualified".into()),
            ("email", "dq@example.com".into()),
            ("token", "tok-analytics-lead".into()),
            ("disqualified", true.into()),
            ("department_id", sales.into()),
            ("owner_id", mark.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    request(app, sales, mark, month(0), None, no, Some(lead)).await;
    request(app, sales, helen, month(1), Some(h), (true, false, false), None).await;
    request(app, sales, mark, month(13), None, no, None).await;

    let eur = currency(app, "EUR").await;
    insert(
        app,
        "currency_rates",
        &[
            ("currency_id", eur.into()),
            ("rate_date", month(0).into()),
            ("rate_to_state_e8", 100_000_000i64.into()),
            ("rate_to_marketing_e8", 110_000_000i64.into()),
            ("rate_type", "official".into()),
        ],
    )
    .await;
    payment(app, a, 100_000, "EUR", month(0), "received", "ORD-1").await;
    payment(app, a, 50_000, "USD", month(1), "received", "").await;
    payment(app, b, 20_000, "EUR", month(13), "received", "").await;
    payment(app, b, 30_000, "USD", month(-1), "guaranteed", "G-2").await;
    payment(app, b, 8_000, "USD", month(11), "guaranteed", "G-1").await;
    payment(app, c, 70_000, "USD", month(0), "received", "").await;
    payment(app, c, 5_000, "EUR", month(-2), "high", "").await;

    let product = insert(
        app,
        "products",
        &[
            ("name", "Widget <b>".into()),
            ("department_id", sales.into()),
            ("owner_id", mark.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    insert(
        app,
        "outputs",
        &[
            ("deal_id", a.into()),
            ("product_id", product.into()),
            ("quantity", 3i32.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    Fixture { sales, export, mark, helen, eve, deal_a: a, deal_b: b, deal_c: c }
}
