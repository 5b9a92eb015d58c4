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

/// A deal's win time (a `Stamp` field, set when it reaches a success stage) is written into its
/// history as UTC; each reader sees it in their own zone: the same moment, two clocks.
#[tokio::test]
async fn crm_ui_gaps_a_deals_win_time_in_its_history_is_shown_in_the_readers_zone() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let deal = made.rows.iter().find(|(k, _)| *k == "deal").unwrap().1;
    let won: i64 = app
        .db
        .scalar(
            Query::select()
                .column("id")
                .from("deal_stages")
                .and_where(Expr::col("department_id").eq(sales))
                .and_where(Expr::col("conditional_success_stage").eq(true)),
        )
        .await
        .unwrap()
        .unwrap();
    let zone = |user: &'static str, tz: &'static str| {
        Query::update().table("users").value("time_zone", tz).and_where(Expr::col("username").eq(user)).to_owned()
    };
    app.db.execute(&zone("Mark.Manager.Sales", "Asia/Tokyo")).await.unwrap();
    app.db.execute(&zone("Helen.Head.Sales", "Pacific/Pago_Pago")).await.unwrap();
    let mark = app.login_as("Mark.Manager.Sales").await;
    let r = mark.post_form(&format!("/deals/{deal}/stage"), &[("stage", &won.to_string())]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let at: chrono::DateTime<chrono::Utc> = app
        .db
        .scalar(Query::select().column("win_closing_date").from("deals").and_where(Expr::col("id").eq(deal)))
        .await
        .unwrap()
        .expect("the win time");

    let helen = app.login_as("Helen.Head.Sales").await;
    for (reader, tz) in [(&mark, chrono_tz::Asia::Tokyo), (&helen, chrono_tz::Pacific::Pago_Pago)] {
        let page = reader.get(&format!("/deals/{deal}/history")).await;
        assert_eq!(page.status, 200);
        assert!(page.texts(".history table.diff td.field").iter().any(|f| f == "Won"), "{}", page.body);
        // The diff keeps the minute.
        let minute = chrono::NaiveDateTime::parse_from_str(&at.format("%Y-%m-%d %H:%M").to_string(), "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc();
        let local = minute.with_timezone(&tz);
        let times = page.attrs(".history table.diff td.new ins time", "datetime");
        let texts = page.texts(".history table.diff td.new ins time");
        assert_eq!(times, [local.to_rfc3339()], "one moment in the diff, in {tz}");
        assert_eq!(texts, [local.format("%Y-%m-%d %H:%M").to_string()]);
        assert!(!page.text(".history table.diff").contains("UTC"), "no UTC text left: {}", page.body);
    }
}
