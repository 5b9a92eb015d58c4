//! Times in the user's zone: the profile's zone (first filled from the browser at login), times shown
//! and typed in it, "overdue" by the user's calendar, and the email notice.

use chrono::Utc;
use chrono_tz::Tz;

use crate::helpers::app::PASSWORD;
use crate::helpers::browser::Browser;
use crate::helpers::items::create;
use crate::helpers::spawn_app;
use crate::helpers::{TestApp, client::TestClient};

async fn set_zone(app: &TestApp, c: &TestClient, user: &str, tz: &str) {
    c.get("/profile").await;
    let u = ferrocrm::users::repo::get(&app.db, app.user_id(user).await).await.unwrap();
    let p = c
        .post_form(
            "/profile",
            &[("first_name", &u.first_name), ("last_name", &u.last_name), ("email", &u.email), ("time_zone", tz)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
}

#[tokio::test]
async fn the_profile_keeps_a_valid_zone_and_refuses_an_unknown_one() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    set_zone(&app, &carl, "Carl.CoWorker", "Asia/Tokyo").await;
    let id = app.user_id("Carl.CoWorker").await;
    assert_eq!(ferrocrm::users::repo::get(&app.db, id).await.unwrap().time_zone, "Asia/Tokyo");
    let page = carl.get("/profile").await;
    assert_eq!(page.attr("#f-time_zone", "value").as_deref(), Some("Asia/Tokyo"));
    assert!(page.exists("datalist#time-zones option[value='Europe/Berlin']"));
    let bad = carl.post_form("/profile", &[("time_zone", "Mars/Olympus_Mons")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.text("#f-time_zone-error").contains("Choose a time zone"));
    assert_eq!(ferrocrm::users::repo::get(&app.db, id).await.unwrap().time_zone, "Asia/Tokyo", "nothing changed");
}

#[tokio::test]
async fn times_are_shown_and_typed_in_the_users_zone_and_stored_in_utc() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    set_zone(&app, &carl, "Carl.CoWorker", "America/New_York").await;
    let me = app.uid("Carl.CoWorker").await;
    let task = create(&carl, "/tasks", &[("name", "Call the printer"), ("responsible", &me)]).await;
    // Shown: the creation time in New York, without "UTC".
    let page = carl.get(&format!("/tasks/{task}")).await;
    let shown = page.attr("time[data-local=datetime]", "datetime").unwrap_or_default();
    let at = chrono::DateTime::parse_from_rfc3339(&shown).expect("an RFC 3339 time");
    let ny: Tz = "America/New_York".parse().unwrap();
    let offset = Utc::now().with_timezone(&ny).format("%:z").to_string();
    assert!(shown.ends_with(&offset), "{shown} is not in New York time ({offset})");
    assert!((Utc::now() - at.with_timezone(&Utc)).num_minutes().abs() < 5);
    assert!(!page.body.contains(" UTC<"), "a time still ends in UTC");
    // Typed: a reminder for 09:00 in New York is 14:00 UTC in January.
    let p = carl
        .post_form(
            &format!("/tasks/{task}/reminders"),
            &[("remind_at", "2031-01-15T09:00"), ("text", "Ask about the proofs")],
        )
        .await;
    assert!(p.status.is_success() || p.status == 303, "{}: {}", p.status, p.body);
    let stored: Vec<(chrono::DateTime<Utc>,)> =
        app.db.fetch_all(&sea_query::Query::select().column("remind_at").from("reminders").to_owned()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0.to_rfc3339(), "2031-01-15T14:00:00+00:00");
    let page = carl.get("/reminders").await;
    assert!(page.text("main").contains("2031-01-15 09:00"), "the reminder is not shown at 09:00 New York time");
}

#[tokio::test]
async fn overdue_follows_the_users_calendar() {
    // UTC+14 and UTC-11 are 25 hours apart: their calendar days always differ.
    let app = spawn_app().await;
    let (helen, mark) = (app.login_as("Helen.Head.Sales").await, app.login_as("Mark.Manager.Sales").await);
    set_zone(&app, &helen, "Helen.Head.Sales", "Pacific/Kiritimati").await;
    set_zone(&app, &mark, "Mark.Manager.Sales", "Pacific/Pago_Pago").await;
    let pago: Tz = "Pacific/Pago_Pago".parse().unwrap();
    let due = Utc::now().with_timezone(&pago).date_naive();
    let (h, m) = (app.uid("Helen.Head.Sales").await, app.uid("Mark.Manager.Sales").await);
    // Mark creates it: for him the day is today (for Helen it is already past).
    let task = create(
        &mark,
        "/tasks",
        &[("name", "Ship the samples"), ("responsible", &m), ("subscribers", &h), ("due_date", &due.to_string())],
    )
    .await;
    let url = format!("/tasks/{task}");
    assert!(mark.get(&url).await.exists("time[datetime]"), "the due date is shown");
    assert!(!mark.get(&url).await.exists("time.overdue"), "due today in Pago Pago: not overdue for Mark");
    assert!(helen.get(&url).await.exists("time.overdue"), "already tomorrow in Kiritimati: overdue for Helen");
}

#[tokio::test]
async fn the_first_login_takes_the_browsers_zone_and_pages_show_it() {
    let app = spawn_app().await;
    let b = Browser::start_in_zone(Some("Asia/Tokyo")).await;
    b.login(&app.base, "Carl.CoWorker", PASSWORD).await;
    let id = app.user_id("Carl.CoWorker").await;
    assert_eq!(ferrocrm::users::repo::get(&app.db, id).await.unwrap().time_zone, "Asia/Tokyo");
    assert_eq!(b.js("return document.body.dataset.tz").await, "Asia/Tokyo");
    // A later login from elsewhere does not change a zone the user has.
    b.close().await;
    let b = Browser::start_in_zone(Some("Europe/Lisbon")).await;
    b.login(&app.base, "Carl.CoWorker", PASSWORD).await;
    assert_eq!(ferrocrm::users::repo::get(&app.db, id).await.unwrap().time_zone, "Asia/Tokyo");
    b.close().await;
}
