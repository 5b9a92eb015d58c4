//! The Tasks section live, in real browsers (headless Chromium): chat between two people on one task,
//! the memo list's "View task" button following the task's stage, the bell counting up.

use std::time::{Duration, Instant};

use crate::helpers::app::PASSWORD;
use crate::helpers::browser::Browser;
use crate::helpers::items::{create, memo_with_task};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_chat_message_typed_by_one_user_appears_for_the_other_within_a_second_without_a_reload() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark_id = app.uid("Mark.Manager.Sales").await;
    let task = create(&helen, "/tasks", &[("name", "Prepare the offer"), ("responsible", &mark_id)]).await;
    let url = format!("{}/tasks/{task}", app.base);

    let (a, b) = Browser::pair().await;
    a.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    a.goto(&url).await;
    b.goto(&url).await;
    a.wait_live().await;
    b.wait_live().await;
    b.js("window.__notReloaded = true; return true").await;
    // Timed inside the browsers (one machine, one clock): from A's submit to the message in B's DOM,
    // so the test's own WebDriver round trips do not count.
    b.js("new MutationObserver(function () { if (!window.__arrived && document.querySelector('.chat-list .chat-msg')) window.__arrived = Date.now(); }).observe(document.querySelector('.chat-list'), { childList: true, subtree: true }); return true").await;
    a.js("document.addEventListener('submit', function () { window.__sent = Date.now(); }, true); return true").await;

    a.type_into("form.chat-form textarea", "Draft is in the shared folder").await;
    a.click("form.chat-form button[type=submit]").await;
    b.wait_text(".chat-list .chat-msg .chat-body", Duration::from_secs(5), |t| t == "Draft is in the shared folder")
        .await;
    let sent = a.js("return window.__sent").await.as_f64().expect("submit time");
    let arrived = b.js("return window.__arrived").await.as_f64().expect("arrival time");
    let took = Duration::from_millis((arrived - sent).max(0.0) as u64);
    eprintln!("chat message: submit in one browser to the other's page in {took:?}");
    assert!(took < Duration::from_secs(1), "the message took {took:?} to appear");
    assert_eq!(b.js("return window.__notReloaded === true").await, serde_json::Value::Bool(true), "the page reloaded");
    // The poster sees it once (from the answer or the live stream, not both), and a fresh form.
    // Both copies must have been handled before counting. The answer: its fresh form replaces the
    // one that was sent, and the message comes in the same swap. The live copy: Mark answers (after
    // the first message was published, as his page shows it), and one stream delivers events in
    // order, so once the answer is on Helen's page the first message's event was handled before it.
    let mark = app.login_as("Mark.Manager.Sales").await;
    let p = mark.post_form(&format!("/tasks/{task}/chat"), &[("body", "Thanks, reading it now")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let bodies = "return Array.from(document.querySelectorAll('.chat-list .chat-msg .chat-body')).map(function (e) { return e.textContent.trim(); })";
    let both = serde_json::json!(["Draft is in the shared folder", "Thanks, reading it now"]);
    let start = Instant::now();
    loop {
        let fresh = a.js("return document.querySelector('form.chat-form textarea').value").await == "";
        let answered = a.js(bodies).await.as_array().is_some_and(|m| m.iter().any(|t| t == "Thanks, reading it now"));
        if fresh && answered {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "the poster's page never showed the answer and a fresh form");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(a.js(bodies).await, both, "the poster's page: each message once");
    b.wait_text(".chat-list", Duration::from_secs(5), |t| t.contains("Thanks, reading it now")).await;
    assert_eq!(b.js(bodies).await, both, "the other page: each message once");
    // Mark was told by the bell as well.
    b.wait_text("#bell .badge", Duration::from_secs(5), |t| !t.is_empty()).await;
    b.shot("chat.png").await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_task_stage_change_recolours_the_view_task_button_on_another_users_open_memo_list() {
    let app = spawn_app().await;
    let (memo, task, helen) = memo_with_task(&app).await;

    let b = Browser::start().await;
    b.login(&app.base, "Carl.CoWorker", PASSWORD).await;
    b.goto(&format!("{}/memos", app.base)).await;
    b.wait_live().await;
    let button = format!("#memo-{memo}-task a.task-btn");
    assert_eq!(b.attr(&button, "data-stage").await.as_deref(), Some("pending"));
    assert_eq!(b.attr(&button, "title").await.as_deref(), Some("Task status: Pending"));
    let pending_colour =
        b.js(&format!("return getComputedStyle(document.querySelector('{button}')).backgroundColor")).await;

    helen.get(&format!("/tasks/{task}")).await;
    assert_eq!(helen.post_form(&format!("/tasks/{task}/stage"), &[("stage", "in_progress")]).await.status, 303);
    let start = Instant::now();
    loop {
        if b.attr(&button, "data-stage").await.as_deref() == Some("in_progress") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "the button never changed");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(b.attr(&button, "title").await.as_deref(), Some("Task status: In progress"));
    let progress_colour =
        b.js(&format!("return getComputedStyle(document.querySelector('{button}')).backgroundColor")).await;
    assert_ne!(pending_colour, progress_colour, "the colour did not change");
    b.shot("memo-list.png").await;

    // Done: grey, and the tooltip says so.
    assert_eq!(helen.post_form(&format!("/tasks/{task}/stage"), &[("stage", "done")]).await.status, 303);
    b.wait_text(&format!("#memo-{memo}-task"), Duration::from_secs(5), |_| true).await;
    let start = Instant::now();
    while b.attr(&button, "data-stage").await.as_deref() != Some("done") {
        assert!(start.elapsed() < Duration::from_secs(5), "the button never turned done");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(b.attr(&button, "title").await.as_deref(), Some("Task status: Done"));
    b.close().await;
}

#[tokio::test]
async fn the_bell_counts_a_new_task_live() {
    let app = spawn_app().await;
    let b = Browser::start().await;
    b.login(&app.base, "Carl.CoWorker", PASSWORD).await;
    b.goto(&format!("{}/tasks", app.base)).await;
    b.wait_live().await;
    assert_eq!(b.text("#bell .badge").await, "");
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl = app.uid("Carl.CoWorker").await;
    create(&helen, "/tasks", &[("name", "Welcome the visitors"), ("responsible", &carl)]).await;
    let took = b.wait_text("#bell .badge", Duration::from_secs(5), |t| t == "1").await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The open task list picked the new task up by itself too.
    b.wait_text("#task-list", Duration::from_secs(5), |t| t.contains("Welcome the visitors")).await;
    b.close().await;
}
