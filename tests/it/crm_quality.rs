//! Transaction quality (§2.10, §12.3 CTQS, §12.5, §16.3, §18): every department's default signals,
//! a deal's quality events added, changed and removed from its page by whoever may change the deal
//! (read by the roles §3.1 allows), history entries, the deal list's CTQS column, live updates.

use std::time::Duration;

use sea_query::{Expr, ExprTrait, Order, Query};

use crate::helpers::app::{Options, PASSWORD};
use crate::helpers::browser::Browser;
use crate::helpers::{TestApp, crm};

async fn app() -> TestApp {
    TestApp::with(Options { seed_users: true, ..Default::default() }).await
}

/// A department's signals: (name, weight), in order.
async fn signals(app: &TestApp, department: i64) -> Vec<(String, i32)> {
    app.db
        .fetch_all(
            Query::select()
                .columns(["name", "weight"])
                .from("quality_signals")
                .and_where(Expr::col("department_id").eq(department))
                .order_by("index_number", Order::Asc),
        )
        .await
        .unwrap()
}

async fn signal(app: &TestApp, department: i64, name: &str) -> i64 {
    app.db
        .scalar(
            Query::select()
                .column("id")
                .from("quality_signals")
                .and_where(Expr::col("department_id").eq(department))
                .and_where(Expr::col("name").eq(name)),
        )
        .await
        .unwrap()
        .expect(name)
}

/// A deal's events: (signal id, weight, details), oldest first.
async fn events(app: &TestApp, deal: i64) -> Vec<(i64, i32, String)> {
    app.db
        .fetch_all(
            Query::select()
                .columns(["signal_id", "weight", "details"])
                .from("quality_events")
                .and_where(Expr::col("deal_id").eq(deal))
                .order_by("id", Order::Asc),
        )
        .await
        .unwrap()
}

async fn event_ids(app: &TestApp, deal: i64) -> Vec<i64> {
    let rows: Vec<(i64,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("id")
                .from("quality_events")
                .and_where(Expr::col("deal_id").eq(deal))
                .order_by("id", Order::Asc),
        )
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

const DEFAULTS: [(&str, i32); 7] = [
    ("Missed delivery deadline", -5),
    ("Early delivery", 5),
    ("Incorrect product quality", -10),
    ("Incompleteness", -10),
    ("Non-functional product", -15),
    ("Reputational losses in front of a partner", -15),
    ("Late response", -10),
];

fn defaults() -> Vec<(String, i32)> {
    DEFAULTS.iter().map(|(n, w)| (n.to_string(), *w)).collect()
}

/// §16.3: a department made later gets the default signals, a copied department its original's
/// (with their changed weights); an upgraded database gives them to every existing department.
#[tokio::test]
async fn crm_quality_every_department_has_its_signals_new_copied_and_upgraded() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let fresh = crm::department(&app, "Quality Fresh").await;
    assert_eq!(signals(&app, fresh).await, defaults());
    assert_eq!(signals(&app, sales).await, defaults());

    app.db
        .execute(
            Query::update()
                .table("quality_signals")
                .value("weight", -7)
                .value("notes", "Our own weight")
                .and_where(Expr::col("department_id").eq(sales))
                .and_where(Expr::col("name").eq("Late response")),
        )
        .await
        .unwrap();
    let admin = app.login_as("Adam.Admin").await;
    let done = admin.post_form(&format!("/admin/departments/{sales}/copy"), &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let copy: i64 = app
        .db
        .scalar(Query::select().column("id").from("departments").and_where(Expr::col("name").eq("Sales (copy)")))
        .await
        .unwrap()
        .unwrap();
    let mut expected = defaults();
    expected[6].1 = -7;
    assert_eq!(signals(&app, copy).await, expected);
    assert_ne!(signal(&app, copy, "Late response").await, signal(&app, sales, "Late response").await);

    // An older database: its departments get the signals when migration 15 runs.
    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let url = match crate::helpers::app::pg_admin_url() {
        Some(admin) => crate::helpers::app::fresh_pg_database(&admin).await,
        None => format!("sqlite://{}", dir.path().join("t.db").display()),
    };
    let db = ferrocrm::db::Db::connect(&url, 2).await.unwrap();
    ferrocrm::migrations::run_to(&db, 9).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let old = tx
        .insert_id(
            Query::insert()
                .into_table("departments")
                .columns(["name", "created_at"])
                .values_panic(["Old sales".into(), ferrocrm::db::now().into()])
                .returning_col("id"),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(ferrocrm::migrate(&db).await.unwrap().contains(&15));
    let upgraded: Vec<(String, i32)> = db
        .fetch_all(
            Query::select()
                .columns(["name", "weight"])
                .from("quality_signals")
                .and_where(Expr::col("department_id").eq(old))
                .order_by("index_number", Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(upgraded, defaults());
}

/// The owner adds events (the weight the signal's when left empty, or typed), changes and removes
/// them; each change is in the deal's history; bad input is a 422 that changes nothing; a chief
/// reads the events but may not add; an operator sees no events; another department's manager gets
/// 404. The deal list shows CTQS = 100 + Σ weights for deals with events only, coloured.
#[tokio::test]
async fn crm_quality_events_are_kept_on_the_deal_page_and_scored_on_the_deal_list() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id), Some(mark_id)], None).await;
    let deals: Vec<i64> = made.rows.iter().filter(|(k, _)| *k == "deal").map(|(_, id)| *id).collect();
    let (deal, other) = (deals[0], deals[1]);
    let late = signal(&app, sales, "Late response").await;
    let early = signal(&app, sales, "Early delivery").await;
    let broken = signal(&app, sales, "Non-functional product").await;
    let foreign = signal(&app, export, "Early delivery").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let base = format!("/deals/{deal}/quality");

    // The empty section with its button; the form offers the department's signals with weights.
    let page = mark.get(&format!("/deals/{deal}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text("#quality .card-body p.muted"), "No quality events yet.");
    assert!(page.exists(&format!("#quality a[href='{base}/new']")));
    let form = mark.get(&format!("{base}/new")).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.count("select[name=signal_id] option[data-value]"), 7);
    assert_eq!(form.attr(&format!("option[value='{late}']"), "data-value").as_deref(), Some("-10"));
    assert_eq!(form.attr("select[name=signal_id]", "data-fill").as_deref(), Some("f-weight"));

    // Bad input: 422 with the message, nothing written.
    for (input, field, msg) in [
        (vec![("signal_id", "")], "signal_id", "Choose a signal."),
        (vec![("signal_id", &*foreign.to_string())], "signal_id", "Choose one of the listed options."),
        (vec![("signal_id", &*late.to_string()), ("weight", "150")], "weight", "Enter a weight between -100 and 100."),
        (vec![("signal_id", &*late.to_string()), ("weight", "ten")], "weight", "\"ten\" is not a whole number."),
    ] {
        let r = mark.post_form(&base, &input).await;
        assert_eq!(r.status, 422, "{input:?}");
        assert_eq!(r.field_error(field).as_deref(), Some(msg), "{input:?}");
    }
    assert!(events(&app, deal).await.is_empty());

    // Added: the signal's weight when none is typed; a typed one wins.
    let late_s = late.to_string();
    let r =
        mark.post_form(&base, &[("signal_id", &late_s), ("weight", ""), ("details", "Answered after a week")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location").as_deref(), Some(&*format!("/deals/{deal}#quality")));
    mark.post_form(&base, &[("signal_id", &early.to_string()), ("weight", "3"), ("details", "")]).await;
    assert_eq!(events(&app, deal).await, [(late, -10, "Answered after a week".to_string()), (early, 3, String::new())]);
    let page = mark.get(&format!("/deals/{deal}")).await;
    assert_eq!(page.texts("#quality tbody td:first-child"), ["Late response", "Early delivery"]);
    assert_eq!(page.texts("#quality tbody td.num"), ["−10", "+3"]);
    assert_eq!(page.text("#deal-ctqs"), "CTQS 93");

    // Changed, then removed; each an entry of the deal's history.
    let ids = event_ids(&app, deal).await;
    let edit = mark.get(&format!("{base}/{}/edit", ids[1])).await;
    assert_eq!(edit.attr("input[name=weight]", "value").as_deref(), Some("3"));
    let r =
        mark.post_form(&format!("{base}/{}", ids[1]), &[("signal_id", &broken.to_string()), ("weight", "-20")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(events(&app, deal).await[1], (broken, -20, String::new()));
    let r = mark.post_form(&format!("{base}/{}/delete", ids[0]), &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(events(&app, deal).await, [(broken, -20, String::new())]);
    let history = mark.get(&format!("/deals/{deal}/history")).await;
    let text = history.text("body");
    for entry in [
        "Added the quality event Late response (-10 %)",
        "Added the quality event Early delivery (+3 %)",
        "Changed the quality event Non-functional product (-20 %)",
        "Removed the quality event Late response (-10 %)",
    ] {
        assert!(text.contains(entry), "history lacks {entry:?}: {text}");
    }

    // The deal list: CTQS 80 (orange) for the deal with events, an empty cell for the other.
    let list = mark.get("/deals?owner=all").await;
    assert!(list.texts("#deal-list th").iter().any(|t| t == "CTQS"));
    let link = format!("#deal-{deal} a.ctqs");
    assert_eq!(list.text(&link), "80");
    assert_eq!(list.attr(&link, "href").as_deref(), Some(&*format!("/deals/{deal}#quality")));
    assert_eq!(list.attr(&link, "class").as_deref(), Some("ctqs ctqs-orange"));
    assert!(!list.exists(&format!("#deal-{other} a.ctqs")));
    mark.post_form(&format!("/deals/{other}/quality"), &[("signal_id", &early.to_string())]).await;
    let list = mark.get("/deals?owner=all").await;
    assert_eq!(list.attr(&format!("#deal-{other} a.ctqs"), "class").as_deref(), Some("ctqs ctqs-normal"));
    assert_eq!(list.text(&format!("#deal-{other} a.ctqs")), "105");

    // A chief reads the events and the CTQS, may not change them (403, nothing written).
    let garry = app.login_as("Garry.Chief").await;
    let page = garry.get(&format!("/deals/{deal}")).await;
    assert_eq!(page.texts("#quality tbody td:first-child"), ["Non-functional product"]);
    assert!(!page.exists(&format!("#quality a[href='{base}/new']")));
    assert!(!page.exists("#quality form"));
    assert_eq!(garry.get(&format!("{base}/new")).await.status, 403);
    assert_eq!(garry.post_form(&base, &[("signal_id", &late_s)]).await.status, 403);
    assert!(garry.get("/deals?owner=all").await.exists(&link));
    // An operator changes deals but has no quality rights (§3.1): no section, no column, 403.
    let olga = app.login_as("Olga.Operator.Sales").await;
    let page = olga.get(&format!("/deals/{deal}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.exists("#quality"));
    assert!(!olga.get("/deals?owner=all").await.texts("#deal-list th").iter().any(|t| t == "CTQS"));
    assert_eq!(olga.post_form(&base, &[("signal_id", &late_s)]).await.status, 403);
    // Another department's manager does not see the deal at all.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.post_form(&base, &[("signal_id", &late_s)]).await.status, 404);
    assert_eq!(eve.post_form(&format!("{base}/{}/delete", ids[1]), &[]).await.status, 404);
    assert_eq!(events(&app, deal).await.len(), 1);
    // An event id of another deal is not found through this one.
    let other_event = event_ids(&app, other).await[0];
    assert_eq!(mark.post_form(&format!("{base}/{other_event}/delete"), &[]).await.status, 404);
    assert_eq!(event_ids(&app, other).await, [other_event]);
}

/// Live: an event added by one person appears on another person's open deal page; choosing a
/// signal in the form fills its weight in. Screenshots of the deal page and the deal list.
#[tokio::test]
async fn crm_quality_events_appear_live_and_the_form_fills_the_weight() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id), Some(mark_id), Some(mark_id)], None).await;
    let deals: Vec<i64> = made.rows.iter().filter(|(k, _)| *k == "deal").map(|(_, id)| *id).collect();
    let deal = deals[0];
    let mark = app.login_as("Mark.Manager.Sales").await;
    for (d, name, weight) in [
        (deals[1], "Late response", ""),
        (deals[1], "Missed delivery deadline", ""),
        (deals[1], "Incompleteness", ""),
        (deals[2], "Early delivery", ""),
        (deals[2], "Missed delivery deadline", "-2"),
    ] {
        let s = signal(&app, sales, name).await.to_string();
        let r = mark.post_form(&format!("/deals/{d}/quality"), &[("signal_id", &s), ("weight", weight)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }

    let (helen, b) = Browser::pair().await;
    helen.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    helen.goto(&format!("{}/deals/{deal}", app.base)).await;
    helen.wait_live().await;
    assert_eq!(helen.text("#quality .card-body p.muted").await, "No quality events yet.");
    let s = signal(&app, sales, "Incorrect product quality").await.to_string();
    mark.post_form(&format!("/deals/{deal}/quality"), &[("signal_id", &s), ("details", "Scratched housings, 3 of 10")])
        .await;
    helen.wait_text("#quality tbody", Duration::from_secs(5), |t| t.contains("Incorrect product quality")).await;
    assert_eq!(helen.text("#deal-ctqs").await, "CTQS 90");
    helen.js("document.getElementById('quality').scrollIntoView(); return true").await;
    helen.shot("deal-quality-events.png").await;

    // The form: a signal chosen fills in its weight, which can still be typed over.
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    b.goto(&format!("{}/deals/{deal}/quality/new", app.base)).await;
    let late = signal(&app, sales, "Late response").await;
    b.js(&format!(
        "const s = document.querySelector('select[name=signal_id]'); s.value = '{late}';\
         s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;"
    ))
    .await;
    assert_eq!(b.js("return document.getElementById('f-weight').value").await, "-10");
    b.shot("deal-quality-form.png").await;
    b.click("form[action$='/quality'] button[type=submit]").await;
    helen.wait_text("#deal-ctqs", Duration::from_secs(5), |t| t == "CTQS 80").await;

    b.goto(&format!("{}/deals?owner=all", app.base)).await;
    assert_eq!(b.text(&format!("#deal-{deal} a.ctqs")).await, "80");
    assert_eq!(b.text(&format!("#deal-{} a.ctqs", deals[1])).await, "75");
    assert_eq!(b.text(&format!("#deal-{} a.ctqs", deals[2])).await, "103");
    b.shot("deal-list-ctqs.png").await;
    helen.close().await;
    b.close().await;
}
