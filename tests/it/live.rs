//! The live channel across app instances, and in a real browser.

use std::time::Duration;

use ferrocrm::events::DomainEvent;

use crate::helpers::app::{Options, PASSWORD, fresh_pg_database, pg_server_url};
use crate::helpers::browser::Browser;
use crate::helpers::items::create;
use crate::helpers::sse::{CONTROL, control};
use crate::helpers::{TestApp, spawn_app};

/// Two instances on one PostgreSQL database: an event published on one reaches streams on the other.
/// This runs in both passes (the multi-instance setup exists only on PostgreSQL).
#[tokio::test]
async fn an_event_published_on_one_instance_reaches_streams_on_another() {
    let url = fresh_pg_database(&pg_server_url()).await;
    let a = TestApp::with(Options { seed_users: true, database_url: Some(url.clone()), ..Default::default() }).await;
    let b = TestApp::with(Options { database_url: Some(url), ..Default::default() }).await;
    let carl_on_b = b.login_as("Carl.CoWorker").await;
    let mark_on_b = b.login_as("Mark.Manager.Sales").await;
    let mut carl = carl_on_b.sse().await;
    let mut mark = mark_on_b.sse().await;
    assert_eq!(carl.status, 200);

    a.state.bus.publish(DomainEvent::Notice { user_id: a.user_id("Carl.CoWorker").await });
    // The control takes the same path as the notice (published on A, relayed by PostgreSQL), after it.
    a.state.bus.publish(control(a.user_id("Mark.Manager.Sales").await));

    carl.expect("notice", Duration::from_secs(3)).await;
    let others = mark.collect_until(CONTROL, Duration::from_secs(3)).await;
    assert!(others.iter().all(|e| e.event != "notice"), "the audience filter holds across instances: {others:?}");
    // And a real change on A (a password change ending other sessions) closes Carl's stream on B.
    let carl_on_a = a.login_as("Carl.CoWorker").await;
    carl_on_a.get("/profile/password").await;
    let p = carl_on_a
        .post_form(
            "/profile/password",
            &[("current", PASSWORD), ("password", "another long secret"), ("confirm", "another long secret")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(carl.is_closed(Duration::from_secs(3)).await, "the stream on the other instance stayed open");
}

/// Two instances on one PostgreSQL database: a chat message far longer than a NOTIFY payload may be
/// (8,000 bytes) posted on A reaches a participant's stream on B whole: B receives the message id and
/// renders the message from the database. An event too large to send makes B's streams resync.
#[tokio::test]
async fn a_long_chat_message_posted_on_one_instance_reaches_streams_on_another_intact() {
    let url = fresh_pg_database(&pg_server_url()).await;
    let a = TestApp::with(Options { seed_users: true, database_url: Some(url.clone()), ..Default::default() }).await;
    let b = TestApp::with(Options { database_url: Some(url), ..Default::default() }).await;
    let helen = a.login_as("Helen.Head.Sales").await;
    let mark = a.uid("Mark.Manager.Sales").await;
    let task = create(&helen, "/tasks", &[("name", "Long talk"), ("responsible", mark.as_str())]).await;
    let mark_on_b = b.login_as("Mark.Manager.Sales").await;
    let eve_on_b = b.login_as("Eve.Manager.Export").await;
    let mut stream = mark_on_b.sse().await;
    let mut stranger = eve_on_b.sse().await;
    assert_eq!(stream.status, 200);

    let text: String = "Grüße aus Köln, zweite Zeile folgt. ".chars().cycle().take(10_000).collect();
    assert!(text.len() > 10_000);
    let p = helen.post_form(&format!("/tasks/{task}/chat"), &[("body", text.trim_end())]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let event = stream.expect(&format!("chat-task-{task}"), Duration::from_secs(5)).await;
    assert!(
        event.data.contains(&format!(">{}<", text.trim_end())),
        "the message arrived cut: {} bytes",
        event.data.len()
    );
    assert!(event.data.contains("Helen Head"));
    // The control, published on A after the message: the bridge relays events in order.
    a.state.bus.publish(control(a.user_id("Eve.Manager.Export").await));
    let seen = stranger.collect_until(CONTROL, Duration::from_secs(5)).await;
    assert!(seen.iter().all(|e| !e.event.starts_with("chat-")), "the audience holds across instances: {seen:?}");

    // An event whose audience alone exceeds the NOTIFY limit: the other instance resyncs.
    let users = (1..=3000).collect();
    let audience = ferrocrm::access::Audience { users, ..Default::default() };
    a.state.bus.publish(DomainEvent::Changed {
        topic: ferrocrm::events::Topic::Item(ferrocrm::access::ItemKind::Task),
        id: task,
        audience,
    });
    stream.expect("resync", Duration::from_secs(5)).await;
}

/// Logs in through the real form in Chromium and watches the bell count go up without a reload.
#[tokio::test]
async fn the_bell_counts_up_live_in_a_real_browser() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.login(&app.base, "Carl.CoWorker", PASSWORD).await;
    assert_eq!(browser.text("#bell .badge").await, "");
    // Wait until the page's live stream is open before anything is published.
    let carl = app.user_id("Carl.CoWorker").await;
    for _ in 0..100 {
        if app.state.bus.open_streams(carl) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.state.bus.open_streams(carl) > 0, "the page did not open its live stream");

    for n in 1..=2 {
        let mut tx = app.db.begin().await.unwrap();
        let notice = ferrocrm::notifications::Notice {
            user_id: carl,
            title: "You have a new task",
            body: "",
            url: "/",
            object: None,
        };
        ferrocrm::notifications::send(&mut tx, &app.state.config, &notice).await.unwrap();
        tx.commit().await.unwrap();
        app.state.bus.publish(DomainEvent::Notice { user_id: carl });
        let took = browser.wait_text("#bell .badge", Duration::from_secs(5), |t| t == n.to_string()).await;
        assert!(took < Duration::from_secs(2), "the bell took {took:?}");
    }
    browser.shot("bell.png").await;
    browser.close().await;
}
