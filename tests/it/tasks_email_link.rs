//! One-click completion from email (issue 12, §14.1): the email to a responsible carries a signed,
//! single-use, expiring link bound to that user and task. GET only shows a confirmation; the POST
//! completes as that user. Every refusal (tampered, wrong user, expired, reused, task closed or
//! moved on, no CSRF token) changes nothing. The browser test follows the link from the mail the
//! real SMTP server received.

use std::time::Duration;

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::TestApp;
use crate::helpers::app::Options;
use crate::helpers::browser::Browser;
use crate::helpers::items::task;
use crate::helpers::smtp::SmtpSink;

async fn app_with_mail() -> (SmtpSink, TestApp) {
    let smtp = SmtpSink::start().await;
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    (smtp, app)
}

/// The path of the one-click link in the mail to `to` (after `n` mails arrived), and the line's label.
async fn link_in_mail(app: &TestApp, smtp: &SmtpSink, n: usize, to: &str) -> (String, String) {
    app.send_mail().await;
    let mails = smtp.wait_for(n, Duration::from_secs(10)).await;
    let mail = mails.iter().rev().find(|m| m.to == [to.to_string()]).unwrap_or_else(|| panic!("no mail to {to}"));
    let line =
        mail.body.lines().find(|l| l.contains("/task-done/")).unwrap_or_else(|| panic!("no link:\n{}", mail.body));
    let url = line.split_whitespace().find(|w| w.contains("/task-done/")).unwrap().to_string();
    let path = url.strip_prefix(&app.base).unwrap_or_else(|| panic!("{url} is not on {}", app.base)).to_string();
    let label = line.split(" (").next().unwrap_or_default().to_string();
    (path, label)
}

/// What a refusal must leave as it was: the task's stage, its subtasks, the links used.
async fn state(app: &TestApp, id: i64) -> (Option<String>, i64, i64, i64) {
    let subs = app.count("tasks", sea_query::Cond::all().add(Expr::col("parent_id").eq(id))).await;
    let used = app.count("task_done_links", sea_query::Cond::all().add(Expr::col("used_at").is_not_null())).await;
    let history = app.count("history", sea_query::Cond::all().add(Expr::col("object_type").eq("task"))).await;
    (app.field("tasks", id, "stage").await, subs, used, history)
}

/// Opens the link anonymously and posts it; returns (the GET's page, the POST's answer).
async fn press(app: &TestApp, path: &str) -> (crate::helpers::html::Page, crate::helpers::html::Page) {
    let anon = app.client();
    // The anonymous CSRF token from the login form, so the POST is judged on its own even when the
    // GET is refused (a refusal page has no form).
    anon.get("/login").await;
    let page = anon.get(path).await;
    let answer = anon.post_form(path, &[]).await;
    (page, answer)
}

fn reason(p: &crate::helpers::html::Page) -> String {
    p.attr("#task-link-refused", "data-reason").unwrap_or_else(|| panic!("not a refusal ({}):\n{}", p.status, p.body))
}

#[tokio::test]
async fn the_email_link_completes_the_task_as_its_user_after_a_confirmation() {
    let (smtp, app) = app_with_mail().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Check the invoice", &["Mark.Manager.Sales"], &[], &[]).await;
    let (path, label) = link_in_mail(&app, &smtp, 1, "mark.manager.sales@example.com").await;
    assert_eq!(label, "Task completed");

    // GET (a mail scanner, or the user) only shows the confirmation with its one button.
    let anon = app.client();
    let before = state(&app, id).await;
    for _ in 0..2 {
        let page = anon.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.text("#task-done-form button"), "Task completed");
        assert_eq!(page.count("#task-done-form button"), 1);
        assert_eq!(page.text(".task-link-task"), "Check the invoice");
    }
    assert_eq!(state(&app, id).await, before, "GET changed nothing");

    let done = anon.post_form(&path, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.text("#task-done-result"), "The task is closed");
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("done"));
    let actor: Option<i64> = app
        .db
        .scalar(
            &Query::select()
                .column("actor_id")
                .from("history")
                .and_where(Expr::col("object_type").eq("task"))
                .and_where(Expr::col("object_id").eq(id))
                .order_by("id", sea_query::Order::Desc)
                .limit(1)
                .to_owned(),
        )
        .await
        .unwrap()
        .flatten();
    assert_eq!(actor, Some(app.user_id("Mark.Manager.Sales").await), "history names Mark");
    assert_eq!(app.notices("Helen.Head.Sales").await, ["The task is done: Check the invoice"]);

    // Used once: a second press (and even the confirmation page) is refused, changing nothing.
    let after = state(&app, id).await;
    let (page, again) = press(&app, &path).await;
    assert_eq!((page.status.as_u16(), reason(&page)), (410, "used".to_string()));
    assert_eq!(reason(&again), "used");
    assert_eq!(state(&app, id).await, after);
}

#[tokio::test]
async fn a_team_members_email_link_says_completed_and_creates_their_done_subtask() {
    let (smtp, app) = app_with_mail().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Inventory", &["Mark.Manager.Sales", "Carl.CoWorker"], &[], &[]).await;
    let (mark_link, label) = link_in_mail(&app, &smtp, 2, "mark.manager.sales@example.com").await;
    assert_eq!(label, "Completed");
    let (carl_link, _) = link_in_mail(&app, &smtp, 2, "carl.coworker@example.com").await;
    assert_ne!(mark_link, carl_link, "each responsible has their own link");

    let (page, answer) = press(&app, &mark_link).await;
    assert_eq!(page.text("#task-done-form button"), "Completed");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.text("#task-done-result"), "Your part is done");
    let (stage, subs, _, _) = state(&app, id).await;
    assert_eq!((stage.as_deref(), subs), (Some("pending"), 1));
    // Carl's own link still works (the team task did not change stage) and closes the team task.
    let (_, answer) = press(&app, &carl_link).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (stage, subs, _, _) = state(&app, id).await;
    assert_eq!((stage.as_deref(), subs), (Some("done"), 2), "closed automatically");
}

#[tokio::test]
async fn tampered_links_and_links_for_someone_else_change_nothing() {
    let (smtp, app) = app_with_mail().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Renew the lease", &["Mark.Manager.Sales"], &[], &[]).await;
    let (path, _) = link_in_mail(&app, &smtp, 1, "mark.manager.sales@example.com").await;
    let token = path.trim_start_matches("/task-done/").to_string();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 5, "{token}");
    let before = state(&app, id).await;
    let carl = app.uid("Carl.CoWorker").await;
    let flip = |s: &str| {
        let mut c: Vec<char> = s.chars().collect();
        c[0] = if c[0] == 'a' { 'b' } else { 'a' };
        c.into_iter().collect::<String>()
    };
    let tampered = [
        // Another user's id with Mark's signature.
        format!("{}.{}.{}.{}.{}", parts[0], carl, parts[2], parts[3], parts[4]),
        // A later expiry.
        format!("{}.{}.{}.{}.{}", parts[0], parts[1], parts[2].parse::<i64>().unwrap() + 86_400, parts[3], parts[4]),
        // Another task.
        format!("{}.{}.{}.{}.{}", id + 1, parts[1], parts[2], parts[3], parts[4]),
        // A changed signature; a cut one; none; garbage.
        format!("{}.{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[3], flip(parts[4])),
        format!("{}.{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[3], &parts[4][..40]),
        parts[..4].join("."),
        "x".to_string(),
    ];
    for t in &tampered {
        let (page, answer) = press(&app, &format!("/task-done/{t}")).await;
        assert_eq!((page.status.as_u16(), reason(&page).as_str()), (404, "invalid"), "{t}");
        assert_eq!(reason(&answer), "invalid", "{t}");
        assert_eq!(state(&app, id).await, before, "{t}");
    }

    // Opened in a browser where another user is signed in: not theirs to use.
    let carl_client = app.login_as("Carl.CoWorker").await;
    let page = carl_client.get(&path).await;
    assert_eq!((page.status.as_u16(), reason(&page).as_str()), (403, "wrong-user"));
    let answer = carl_client.post_form(&path, &[]).await;
    assert_eq!(reason(&answer), "wrong-user");
    assert_eq!(state(&app, id).await, before);

    // Mark is no longer responsible (Helen gave the task to Carl): his link is refused.
    let fields = [("name", "Renew the lease"), ("responsible", carl.as_str()), ("stage", "pending")];
    assert_eq!(helen.post_form(&format!("/tasks/{id}"), &fields).await.status, 303);
    let before = state(&app, id).await;
    let (page, answer) = press(&app, &path).await;
    assert_eq!((page.status.as_u16(), reason(&page).as_str()), (403, "wrong-user"));
    assert_eq!(reason(&answer), "wrong-user");
    assert_eq!(state(&app, id).await, before);

    // Without the form's CSRF token the post is refused too (the app's anonymous CSRF check).
    let (carl_path, _) = link_in_mail(&app, &smtp, 2, "carl.coworker@example.com").await;
    let anon = app.client();
    anon.get(&carl_path).await;
    let r = anon.raw("POST", &carl_path, &[("Content-Type", "application/x-www-form-urlencoded")], Vec::new()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(state(&app, id).await, before);
    // The control: the same anonymous visitor with the form's token completes it.
    assert_eq!(anon.post_form(&carl_path, &[]).await.status, 200);
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("done"));
}

#[tokio::test]
async fn expired_links_and_links_to_a_task_that_moved_on_change_nothing() {
    let (smtp, app) = app_with_mail().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Book the hall", &["Mark.Manager.Sales"], &[], &[]).await;
    let (path, _) = link_in_mail(&app, &smtp, 1, "mark.manager.sales@example.com").await;
    let mark = app.user_id("Mark.Manager.Sales").await;

    // A link signed with this server's key whose time is over.
    let mut tx = app.db.begin().await.unwrap();
    let past = chrono::Utc::now() - chrono::Duration::seconds(5);
    let stage = ferrocrm::tasks::model::Stage::Pending;
    let old = ferrocrm::tasks::links::issue_at(&mut tx, &app.state.mail.cipher, id, mark, stage, past).await.unwrap();
    tx.commit().await.unwrap();
    let before = state(&app, id).await;
    let (page, answer) = press(&app, &format!("/task-done/{old}")).await;
    assert_eq!((page.status.as_u16(), reason(&page).as_str()), (410, "expired"));
    assert_eq!(reason(&answer), "expired");
    assert_eq!(state(&app, id).await, before);

    // The task changed stage since the mail (Mark started it): the link is refused.
    let mark_client = app.login_as("Mark.Manager.Sales").await;
    let r = mark_client.post_form(&format!("/tasks/{id}/stage"), &[("stage", "in_progress")]).await;
    assert_eq!(r.status, 303);
    let before = state(&app, id).await;
    let (page, answer) = press(&app, &path).await;
    assert_eq!((page.status.as_u16(), reason(&page).as_str()), (410, "stage-changed"));
    assert_eq!(reason(&answer), "stage-changed");
    assert_eq!(state(&app, id).await, before);

    // Closed already: refused too.
    let id2 = task(&app, &helen, "Order coffee", &["Mark.Manager.Sales"], &[], &[]).await;
    let (path2, _) = link_in_mail(&app, &smtp, 2, "mark.manager.sales@example.com").await;
    assert!(path2 != path);
    assert_eq!(mark_client.post_form(&format!("/tasks/{id2}/completed"), &[]).await.status, 303);
    let before = state(&app, id2).await;
    let (page, answer) = press(&app, &path2).await;
    assert_eq!(reason(&page), "stage-changed");
    assert_eq!(reason(&answer), "stage-changed");
    assert_eq!(state(&app, id2).await, before);
}

#[tokio::test]
async fn a_browser_follows_the_emailed_link_and_confirms() {
    let (smtp, app) = app_with_mail().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Water the plants", &["Mark.Manager.Sales"], &[], &[]).await;
    let (path, _) = link_in_mail(&app, &smtp, 1, "mark.manager.sales@example.com").await;
    let b = Browser::start().await;
    b.goto(&app.url(&path)).await;
    assert_eq!(b.text("#task-done-form button").await, "Task completed");
    b.shot("task-link-confirm.png").await;
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("pending"), "opening it changed nothing");
    b.click("#task-done-form button").await;
    b.wait_text("#task-done-result", Duration::from_secs(10), |t| t == "The task is closed").await;
    b.shot("task-link-done.png").await;
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("done"));
    b.close().await;
}

#[tokio::test]
async fn a_team_member_presses_completed_in_a_browser() {
    let (_smtp, app) = app_with_mail().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Spring cleaning", &["Mark.Manager.Sales", "Carl.CoWorker"], &[], &[]).await;
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&app.url(&format!("/tasks/{id}"))).await;
    assert_eq!(b.text(".team-notice #completed-form button").await, "Completed");
    b.shot("task-team-completed-button.png").await;
    b.click(".team-notice #completed-form button").await;
    b.wait_text("#subtasks .card-header .muted", Duration::from_secs(10), |t| t == "1 of 1 done").await;
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("pending"), "Carl's part is open");
    let sub = b.attr("#subtasks tbody a", "href").await.expect("a link to the subtask");
    b.goto(&app.url(&sub)).await;
    assert_eq!(b.text("#hide-main-form button").await, "Show the main task");
    b.shot("task-subtask-hide-main.png").await;
    b.close().await;
}
