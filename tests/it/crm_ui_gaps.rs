//! Small CRM UI fixes, each checked in a real browser or through the pages: the administrator's
//! company list fits a 1,400 px window with its selection column; a deal's history shows its win
//! time (a `Stamp` field) in the reader's time zone, not as the UTC text of the moment it was saved.

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::{Options, PASSWORD};
use crate::helpers::browser::Browser;
use crate::helpers::{TestApp, crm};

async fn app() -> TestApp {
    TestApp::with(Options { seed_users: true, ..Default::default() }).await
}

/// The administrator's company list (with the checkbox column of the mass owner change) has no
/// horizontal scroll at 1,400 px: the ID column is visible without scrolling.
#[tokio::test]
async fn crm_ui_gaps_the_admins_company_list_fits_1400px_with_its_selection_column() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark), None, Some(mark)], None).await;
    // Realistic lengths: a long legal name, an email list, an international phone number.
    for (i, (_, id)) in made.rows.iter().filter(|(k, _)| *k == "company").enumerate() {
        app.db
            .execute(
                Query::update()
                    .table("companies")
                    .value("full_name", format!("Nordic Industrial Pump & Valve Manufacturing Group {i} AB"))
                    .value("email", "procurement.department@nordicindustrialpumpsandvalves.example.com")
                    .value("phone", "+46 (0)31 123 45 67")
                    .and_where(Expr::col("id").eq(*id)),
            )
            .await
            .unwrap();
    }
    let b = Browser::start().await;
    b.client.set_window_size(1400, 900).await.unwrap();
    b.login(&app.base, "Adam.Admin", PASSWORD).await;
    b.goto(&format!("{}/companies?owner=all", app.base)).await;
    assert!(
        b.js("return !!document.querySelector('#company-list input[type=checkbox][form=bulk-transfer]')")
            .await
            .as_bool()
            .unwrap()
    );
    b.shot("company-list-admin-1400.png").await;
    let sizes = b
        .js("const w = document.querySelector('#company-list .table-wrap'); return [w.scrollWidth, w.clientWidth]")
        .await;
    let (scroll, client) = (sizes[0].as_i64().unwrap(), sizes[1].as_i64().unwrap());
    assert!(scroll <= client, "the company list scrolls sideways at 1,400 px: {scroll} > {client}");
    // The ID column is on screen.
    let right = b
        .js("const c = document.querySelector('#company-list tbody tr td:last-child').getBoundingClientRect(); return c.right <= window.innerWidth")
        .await;
    assert_eq!(right, true);
    b.close().await;
}
