//! Issue 12: every notification email to a responsible about an open task they are responsible for
//! carries the one-click "Task completed" link — not only the "new task" ones: a chat message too. Others' copies do not, nor a responsible's once the task is closed.

use std::time::Duration;

use crate::helpers::TestApp;
use crate::helpers::app::Options;
use crate::helpers::items::task;
use crate::helpers::smtp::{Mail, SmtpSink};

const MARK: &str = "mark.manager.sales@example.com";
const CARL: &str = "carl.coworker@example.com";

/// The mails that arrived after `n` (waiting for `n + more`).
async fn new_mails(app: &TestApp, smtp: &SmtpSink, n: usize, more: usize) -> Vec<Mail> {
    app.send_mail().await;
    let mails = smtp.wait_for(n + more, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), n + more, "{:#?}", mails.iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>());
    mails.into_iter().skip(n).collect()
}

fn to<'a>(mails: &'a [Mail], who: &str) -> &'a Mail {
    mails.iter().find(|m| m.to == [who.to_string()]).unwrap_or_else(|| panic!("no mail to {who}"))
}

fn link(m: &Mail) -> Option<String> {
    m.body.split_whitespace().find(|w| w.contains("/task-done/")).map(str::to_string)
}

#[tokio::test]
async fn a_chat_message_about_an_open_task_carries_the_link_to_its_responsible_only() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Count the stock", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[]).await;
    let first = new_mails(&app, &smtp, 0, 2).await;
    let created = link(to(&first, MARK)).expect("the new task's mail has the link");
    assert_eq!(link(to(&first, CARL)), None, "a subscriber gets no link");

    assert_eq!(helen.post_form(&format!("/tasks/{id}/chat"), &[("body", "Start with aisle 3")]).await.status, 303);
    let chat = new_mails(&app, &smtp, 2, 2).await;
    let mark = to(&chat, MARK);
    assert!(mark.body.contains("Start with aisle 3"), "{}", mark.body);
    let line = mark.body.lines().find(|l| l.contains("/task-done/")).unwrap_or_else(|| panic!("{}", mark.body));
    assert!(line.starts_with("Task completed"), "{line}");
    let from_chat = link(mark).unwrap_or_default();
    assert_ne!(from_chat, created, "a link of its own");
    assert_eq!(link(to(&chat, CARL)), None, "a subscriber's copy of the chat has no link");

    // The chat's link works: it completes the task as Mark.
    let path = from_chat.strip_prefix(&app.base).unwrap_or_else(|| panic!("{from_chat}")).to_string();
    let anon = app.client();
    anon.get("/login").await;
    assert_eq!(anon.get(&path).await.status, 200);
    let done = anon.post_form(&path, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("done"));

    // Closed: the next message's copy to Mark has no link.
    let closed = new_mails(&app, &smtp, 4, 2).await; // Helen and Carl heard "The task is done"
    assert!(closed.iter().all(|m| m.subject.starts_with("The task is done")));
    assert_eq!(helen.post_form(&format!("/tasks/{id}/chat"), &[("body", "Thanks")]).await.status, 303);
    let after = new_mails(&app, &smtp, 6, 2).await;
    assert!(to(&after, MARK).body.contains("Thanks"));
    assert_eq!(link(to(&after, MARK)), None, "no link once the task is closed");
}
