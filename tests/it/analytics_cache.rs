//! The reports' figures cache (`analytics::cache`): a report computed once is served again until a
//! change that could move it — made through the app's own forms (a payment, an exchange rate, a
//! dictionary entry), on this instance or on another one sharing the PostgreSQL database. Each
//! check reads the page right after the change: an entry kept past it would fail (the cache's age
//! bound, 60 s, is far beyond these tests' waits).

use std::time::Duration;

use crate::analytics_data::{self as data};
use crate::helpers::app::{Options, fresh_pg_database, pg_server_url};
use crate::helpers::items::eventually;
use crate::helpers::{TestApp, spawn_app};

const INCOME: &str = "/analytics/income";

#[tokio::test]
async fn a_report_shows_a_change_made_through_the_app_at_once() {
    let app = spawn_app().await;
    let f = data::build(&app).await;
    let garry = app.login_as("Garry.Chief").await;
    // The fixture's income of the last 365 days (worked out in `analytics::income_summary_…`).
    assert_eq!(garry.get(INCOME).await.text("#income-total"), "2,300.00 USD");
    assert_eq!(garry.get(INCOME).await.text("#income-total"), "2,300.00 USD", "served again");

    data::pay_150(&app, &f).await;
    assert_eq!(garry.get(INCOME).await.text("#income-total"), "2,450.00 USD", "a new payment");

    // The accountant changes EUR's dated rate of M0 from 1.10 to 1.20 USD: deal A's 1,000.00 EUR of
    // M0 is now 1,200.00 USD, +100.00.
    let anna = app.login_as("Anna.Accountant").await;
    let eur = data::currency(&app, "EUR").await;
    let rate = [
        ("rate_date", data::month(0).to_string()),
        ("rate_to_state", "1".to_string()),
        ("rate_to_marketing", "1.2".to_string()),
        ("rate_type", "official".to_string()),
    ];
    let rate: Vec<(&str, &str)> = rate.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = anna.post_form(&format!("/currencies/{eur}/rates"), &rate).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(garry.get(INCOME).await.text("#income-total"), "2,550.00 USD", "a changed exchange rate");

    // The administrator renames Sales' closing reason of deal E ("The client is not responding").
    let reasons = "/analytics/closing-reasons";
    // (Export has a reason of the same name: the filter still offers that one.)
    let row = |name: &str| format!("1 (20.0%) - {name}");
    let before = garry.get(reasons).await.text("main");
    assert!(before.contains(&row("The client is not responding")) && !before.contains("Gone quiet"), "{before}");
    let id = data::reason(&app, f.sales, "The client is not responding").await;
    let adam = app.login_as("Adam.Admin").await;
    let r = adam.post_form(&format!("/dictionaries/closing-reasons/{id}"), &[("name", "Gone quiet")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after = garry.get(reasons).await.text("main");
    assert!(
        after.contains(&row("Gone quiet")) && !after.contains(&row("The client is not responding")),
        "a renamed reason: {after}"
    );
}

/// Two instances on one PostgreSQL database (this runs in both passes, as the live bridge's tests):
/// a payment recorded on B reaches A's cached figures through the event bridge.
#[tokio::test]
async fn a_payment_on_another_instance_reaches_the_cached_figures() {
    let url = fresh_pg_database(&pg_server_url()).await;
    let a = TestApp::with(Options { seed_users: true, database_url: Some(url.clone()), ..Default::default() }).await;
    let b = TestApp::with(Options { database_url: Some(url), ..Default::default() }).await;
    let f = data::build(&a).await;
    let garry = a.login_as("Garry.Chief").await;
    assert_eq!(garry.get(INCOME).await.text("#income-total"), "2,300.00 USD");
    data::pay_150(&b, &f).await;
    eventually("the payment on B shows on A", Duration::from_secs(10), || async {
        garry.get(INCOME).await.text("#income-total") == "2,450.00 USD"
    })
    .await;
}
