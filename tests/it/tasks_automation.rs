//! Main task stage automation (issue 12, §14.1): a subtask going in progress starts a pending main
//! task; a subtask that becomes active again (reopened, or added) reopens a closed main task, in
//! progress, and its owner hears of it.

use crate::helpers::items::task;
use crate::helpers::{TestApp, client::TestClient, spawn_app};

async fn stage(c: &TestClient, id: i64, stage: &str) -> u16 {
    c.post_form(&format!("/tasks/{id}/stage"), &[("stage", stage)]).await.status.as_u16()
}

async fn stage_of(app: &TestApp, id: i64) -> String {
    app.field("tasks", id, "stage").await.unwrap_or_default()
}

#[tokio::test]
async fn a_started_subtask_starts_its_pending_main_task() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let main = task(&app, &helen, "Move office", &["Mark.Manager.Sales"], &[], &[]).await;
    // Helen's subtask for Mark starts pending: the main task stays pending.
    let sub = task(&app, &helen, "Pack", &["Mark.Manager.Sales"], &[], &[("parent_id", &main.to_string())]).await;
    assert_eq!((stage_of(&app, sub).await, stage_of(&app, main).await), ("pending".into(), "pending".into()));
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(stage(&mark, sub, "in_progress").await, 303);
    assert_eq!(stage_of(&app, main).await, "in_progress");
}

#[tokio::test]
async fn a_reopened_subtask_reopens_its_closed_main_task() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let main = task(&app, &helen, "Audit", &["Mark.Manager.Sales"], &[], &[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let sub =
        task(&app, &mark, "Count chairs", &["Mark.Manager.Sales"], &[], &[("parent_id", &main.to_string())]).await;
    assert_eq!(stage(&mark, sub, "done").await, 303);
    assert_eq!(stage(&helen, main, "done").await, 303);
    assert_eq!(stage_of(&app, main).await, "done");
    assert!(!app.flag("tasks", main, "active").await);
    // The control above: closed. Now Mark reopens his subtask.
    assert_eq!(stage(&mark, sub, "pending").await, 303);
    assert_eq!(stage_of(&app, main).await, "in_progress");
    assert!(app.flag("tasks", main, "active").await);
    assert_eq!(app.field("tasks", main, "closing_date").await, None);
    assert_eq!(app.notices("Helen.Head.Sales").await[0], "The task was reopened by its subtask: Audit");

    // A canceled main task and a new active subtask under it: reopened too.
    assert_eq!(stage(&mark, sub, "done").await, 303);
    assert_eq!(stage(&helen, main, "canceled").await, 303);
    assert_eq!(stage_of(&app, main).await, "canceled");
    task(&app, &helen, "Recount", &["Mark.Manager.Sales"], &[], &[("parent_id", &main.to_string())]).await;
    assert_eq!(stage_of(&app, main).await, "in_progress");
}
