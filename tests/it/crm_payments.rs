//! A payment's own department (migration 16, issue 8): the copy of its deal's department that the
//! department-scoped payments list walks. It follows the deal through every real path that moves a
//! deal or a payment (on both backends), and the list's "Total sum" line, fetched after the page,
//! keeps the viewer's scope and follows changes.

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::Options;
use crate::helpers::client::TestClient;
use crate::helpers::{TestApp, crm};

async fn app() -> TestApp {
    TestApp::with(Options { seed_users: true, ..Default::default() }).await
}

async fn int(app: &TestApp, table: &'static str, id: i64, col: &'static str) -> Option<i64> {
    app.field(table, id, col).await.map(|v| v.parse().unwrap())
}

fn all(made: &crm::Made, kind: &str) -> Vec<i64> {
    made.rows.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect()
}

/// Payments whose department is not their deal's (every one of them, whatever wrote it).
async fn strays(app: &TestApp) -> Vec<(i64, i64, i64)> {
    app.db
        .fetch_all(
            Query::select()
                .column(("payments", "id"))
                .column(("payments", "department_id"))
                .column(("deals", "department_id"))
                .from("payments")
                .inner_join("deals", Expr::col(("deals", "id")).equals(("payments", "deal_id")))
                .and_where(Expr::col(("payments", "department_id")).ne(Expr::col(("deals", "department_id")))),
        )
        .await
        .unwrap()
}

/// The payments of deal `deal`, with their departments.
async fn payments_of(app: &TestApp, deal: i64) -> Vec<(i64, i64)> {
    app.db
        .fetch_all(
            Query::select()
                .columns(["id", "department_id"])
                .from("payments")
                .and_where(Expr::col("deal_id").eq(deal))
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap()
}

/// The ids on the first page of `/payments?owner=all` as `c` sees it.
async fn listed(c: &TestClient) -> Vec<i64> {
    let p = c.get("/payments?owner=all").await;
    assert_eq!(p.status, 200, "{}", p.body);
    p.attrs("#payment-list tbody tr", "id")
        .iter()
        .map(|id| id.trim_start_matches("payment-").parse().unwrap())
        .collect()
}

/// A payment form as posted.
fn payment_form<'a>(deal: &'a str, amount: &'a str, currency: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("deal_id", deal),
        ("amount_cents", amount),
        ("currency_id", currency),
        ("payment_date", "2026-12-01"),
        ("status", "received"),
    ]
}

#[tokio::test]
async fn a_payments_department_follows_its_deal_through_every_path_that_moves_one() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let (mark, helen, eve) = (
        app.user_id("Mark.Manager.Sales").await,
        app.user_id("Helen.Head.Sales").await,
        app.user_id("Eve.Manager.Export").await,
    );
    let made = crm::spread(&app, &[sales], &[Some(mark), Some(mark), Some(helen)], None).await;
    let theirs = crm::spread(&app, &[export], &[Some(eve)], None).await;
    let deals = all(&made, "deal");
    let (edited, transferred, helens) = (deals[0], deals[1], deals[2]);
    let export_deal = all(&theirs, "deal")[0];
    let payments = all(&made, "payment");
    let currency: i64 = int(&app, "payments", payments[0], "currency_id").await.unwrap();
    let currency = currency.to_string();

    // A raw insert (the helper's) and the app's form both get the deal's department.
    for p in &payments {
        assert_eq!(int(&app, "payments", *p, "department_id").await, Some(sales));
    }
    let m = app.login_as("Mark.Manager.Sales").await;
    let t = transferred.to_string();
    let added = m.post_form("/payments", &payment_form(&t, "250.00", &currency)).await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(payments_of(&app, transferred).await.len(), 2);
    assert!(payments_of(&app, transferred).await.iter().all(|(_, d)| *d == sales));
    assert!(strays(&app).await.is_empty());
    let eve_c = app.login_as("Eve.Manager.Export").await;
    let before_eve = listed(&eve_c).await;
    assert_eq!(before_eve, all(&theirs, "payment"), "Eve sees her department's payment only");

    // 1. A deal's edit giving it to an owner in another department moves it there.
    let admin = app.login_as("Adam.Admin").await;
    let stage = int(&app, "deals", edited, "stage_id").await.unwrap().to_string();
    let eve_s = eve.to_string();
    let saved = admin
        .post_form(
            &format!("/deals/{edited}"),
            &[
                ("name", "Deal"),
                ("next_step", "Call"),
                ("next_step_date", "2030-01-01"),
                ("stage_id", &stage),
                ("active", "on"),
                ("relevant", "on"),
                ("owner_id", &eve_s),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(int(&app, "deals", edited, "department_id").await, Some(export), "the deal moved");
    assert_eq!(payments_of(&app, edited).await, [(payments[0], export)], "its payment with it");
    assert!(listed(&eve_c).await.contains(&payments[0]), "Eve's list shows it now");
    assert!(!listed(&m).await.contains(&payments[0]), "Mark's no longer");

    // 2. The user transfer job moves Mark's deals to Export, their payments with them.
    let started =
        admin.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", &export.to_string())]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    while ferrocrm::jobs::run_once(&app.state).await.unwrap() {}
    assert_eq!(int(&app, "deals", transferred, "department_id").await, Some(export));
    let moved = payments_of(&app, transferred).await;
    assert_eq!(moved.len(), 2);
    assert!(moved.iter().all(|(_, d)| *d == export), "{moved:?}");
    assert_eq!(payments_of(&app, helens).await, [(payments[2], sales)], "Helen's deal stays, its payment too");

    // 3. A payment's edit putting it on a deal of another department.
    let helens_payment = payments[2];
    let to = export_deal.to_string();
    let saved = admin.post_form(&format!("/payments/{helens_payment}"), &payment_form(&to, "100.00", &currency)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(int(&app, "payments", helens_payment, "deal_id").await, Some(export_deal));
    assert_eq!(int(&app, "payments", helens_payment, "department_id").await, Some(export));
    let helen_c = app.login_as("Helen.Head.Sales").await;
    assert!(!listed(&helen_c).await.contains(&helens_payment), "out of Sales' list");
    assert!(listed(&eve_c).await.contains(&helens_payment), "in Export's");

    // 4. Whatever else writes: a deal's department changed in SQL, and a wrong copy written on
    //    purpose, are put right by the database itself.
    app.db
        .execute(
            Query::update().table("deals").value("department_id", sales).and_where(Expr::col("id").eq(export_deal)),
        )
        .await
        .unwrap();
    assert!(payments_of(&app, export_deal).await.iter().all(|(_, d)| *d == sales));
    app.db
        .execute(
            Query::update()
                .table("payments")
                .value("department_id", export)
                .and_where(Expr::col("deal_id").eq(export_deal)),
        )
        .await
        .unwrap();
    assert!(payments_of(&app, export_deal).await.iter().all(|(_, d)| *d == sales), "the wrong copy is corrected");
    assert!(strays(&app).await.is_empty(), "{:?}", strays(&app).await);
}

/// "Total sum: 200.00 (240.00) USD | …" → "200.00" (the first amount, without VAT).
fn first_amount(line: &str) -> String {
    line.split_whitespace().nth(2).unwrap_or_default().to_string()
}

/// The total line as `c` gets it from the place `page` (a `/payments…` URL) leaves for it.
async fn sum_line(c: &TestClient, page: &str) -> String {
    let p = c.get(page).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let url = p.attr("#payments-sum", "hx-get").unwrap_or_else(|| panic!("the line's place: {}", p.body));
    assert!(url.starts_with("/payments/sum"), "{url}");
    assert!(!p.text("#payments-sum").contains("Total sum"), "the page itself does not sum: {}", p.body);
    let line = c.hx_get(&url).await;
    assert_eq!(line.status, 200, "{}", line.body);
    line.text("#payments-sum").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_total_sum_line_is_fetched_after_the_page_in_the_viewers_scope_and_follows_changes() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let (mark, eve) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Eve.Manager.Export").await);
    // Every currency at 1:1, so a line's amounts are plain sums of the payments.
    app.db
        .execute(
            Query::update()
                .table("currencies")
                .value("rate_to_state_e8", 100_000_000i64)
                .value("rate_to_marketing_e8", 100_000_000i64),
        )
        .await
        .unwrap();
    let made = crm::spread(&app, &[sales], &[Some(mark), Some(mark)], None).await; // 2 × 100.00
    crm::spread(&app, &[export], &[Some(eve)], None).await; // 100.00
    let m = app.login_as("Mark.Manager.Sales").await;
    let e = app.login_as("Eve.Manager.Export").await;
    let anna = app.login_as("Anna.Accountant").await;
    let line = sum_line(&m, "/payments?owner=all").await;
    assert!(line.starts_with("Total sum: "), "{line}");
    assert_eq!(first_amount(&line), "200.00", "{line}");
    assert_eq!(first_amount(&sum_line(&e, "/payments?owner=all").await), "100.00");
    assert_eq!(first_amount(&sum_line(&anna, "/payments").await), "300.00", "an accountant sees every department");
    let only_export = format!("/payments?department={export}");
    assert_eq!(first_amount(&sum_line(&anna, &only_export).await), "100.00");
    // The route keeps the scope whatever is asked: Mark's "Export" is still only what he sees.
    let elsewhere = m.hx_get(&format!("/payments/sum?owner=all&department={export}")).await;
    assert_eq!((elsewhere.status.as_u16(), elsewhere.count("#payments-sum")), (200, 0), "{}", elsewhere.body);
    // Who does not read payments is refused, as the list refuses them.
    let olga = app.login_as("Olga.Operator.Sales").await;
    let list_status = olga.get("/payments").await.status;
    assert_ne!(list_status, 200);
    assert_eq!(olga.hx_get("/payments/sum").await.status, list_status);
    // A bad period: the message, 422.
    let bad = m.hx_get("/payments/sum?date=custom&date_before=31.12.2026").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text("#payments-sum").contains("YYYY-MM-DD"), "{}", bad.body);

    // A payment added: the cached line is recomputed on the next view, Eve's stays hers.
    let deal = all(&made, "deal")[0].to_string();
    let currency: i64 = int(&app, "payments", all(&made, "payment")[0], "currency_id").await.unwrap();
    let added = m.post_form("/payments", &payment_form(&deal, "1000.00", &currency.to_string())).await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(first_amount(&sum_line(&m, "/payments?owner=all").await), "1,200.00");
    assert_eq!(first_amount(&sum_line(&e, "/payments?owner=all").await), "100.00");
    assert_eq!(first_amount(&sum_line(&anna, "/payments").await), "1,300.00");
    // A payment deleted: the same.
    let gone = all(&made, "payment")[1];
    let deleted = m.post_form(&format!("/payments/{gone}/delete"), &[]).await;
    assert!(deleted.status.is_redirection(), "{} {}", deleted.status, deleted.body);
    assert_eq!(first_amount(&sum_line(&m, "/payments?owner=all").await), "1,100.00");
    // No payment at all: no place for a line.
    let none = m.get("/payments?date=today&status=low").await;
    assert_eq!(none.count("#payments-sum"), 0, "{}", none.body);
}
