//! "Completed" (issue 12, §14.1): a single responsible's task is done; a team member's part becomes
//! a done subtask that counts toward the team task's auto-completion; refused (sent to the active
//! subtask) while the member still has one; only one's own part.

use sea_query::{Expr, ExprTrait};

use crate::helpers::items::task;
use crate::helpers::spawn_app;
use crate::helpers::{TestApp, client::TestClient};

async fn completed(c: &TestClient, id: i64) -> crate::helpers::html::Page {
    c.post_form(&format!("/tasks/{id}/completed"), &[]).await
}

async fn subtasks(app: &TestApp, parent: i64) -> i64 {
    app.count("tasks", sea_query::Cond::all().add(Expr::col("parent_id").eq(parent))).await
}

/// The actor of the newest history line of a task.
async fn last_actor(app: &TestApp, id: i64) -> (Option<i64>, String) {
    let rows: Vec<(Option<i64>, String)> = app
        .db
        .fetch_all(
            &sea_query::Query::select()
                .columns(["actor_id", "summary"])
                .from("history")
                .and_where(Expr::col("object_type").eq("task"))
                .and_where(Expr::col("object_id").eq(id))
                .order_by("id", sea_query::Order::Desc)
                .limit(1)
                .to_owned(),
        )
        .await
        .unwrap();
    let (a, s) = rows.into_iter().next().expect("a history line");
    (a, s)
}

#[tokio::test]
async fn completed_marks_a_single_responsibles_task_done_as_that_user() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Send the price list", &["Mark.Manager.Sales"], &[], &[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let page = mark.get(&format!("/tasks/{id}")).await;
    assert!(page.exists("#completed-form button"), "the responsible sees Completed");
    assert!(!helen.get(&format!("/tasks/{id}")).await.exists("#completed-form"), "the owner does not");
    let r = completed(&mark, id).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("done"));
    assert!(!app.flag("tasks", id, "active").await);
    assert!(app.field("tasks", id, "closing_date").await.is_some());
    assert_eq!(last_actor(&app, id).await.0, Some(app.user_id("Mark.Manager.Sales").await));
    assert_eq!(app.notices("Helen.Head.Sales").await, ["The task is done: Send the price list"]);
    assert!(!mark.get(&format!("/tasks/{id}")).await.exists("#completed-form"), "no button once done");
    // Again: the task is closed already, and nothing changes.
    assert_eq!(completed(&mark, id).await.status, 409);
}

#[tokio::test]
async fn completed_is_only_for_a_responsible_and_not_over_subtasks() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Own work", &["Mark.Manager.Sales"], &[], &[]).await;
    // The owner (and a chief) may set the stage, but "Completed" is the responsible's own word.
    assert_eq!(completed(&helen, id).await.status, 403);
    let garry = app.login_as("Garry.Chief").await;
    assert_eq!(completed(&garry, id).await.status, 403);
    // Someone who cannot see the task gets 404.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(completed(&eve, id).await.status, 404);
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("pending"));

    // A main task with a subtask: done when its subtasks are, not by "Completed".
    let mark = app.login_as("Mark.Manager.Sales").await;
    let sub = task(&app, &mark, "A part", &["Mark.Manager.Sales"], &[], &[("parent_id", &id.to_string())]).await;
    assert!(!mark.get(&format!("/tasks/{id}")).await.exists("#completed-form"));
    assert_eq!(completed(&mark, id).await.status, 409);
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("in_progress"), "started by its subtask");
    // The subtask itself (one responsible, no subtasks) completes.
    assert_eq!(completed(&mark, sub).await.status, 303);
    assert_eq!(app.field("tasks", sub, "stage").await.as_deref(), Some("done"));
}

#[tokio::test]
async fn a_team_members_completed_is_a_done_subtask_and_the_last_one_closes_the_team_task() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let team = ["Mark.Manager.Sales", "Carl.CoWorker"];
    let id = task(&app, &helen, "Stocktaking", &team, &[], &[]).await;
    assert!(app.flag("tasks", id, "team").await);
    let mark = app.login_as("Mark.Manager.Sales").await;
    let page = mark.get(&format!("/tasks/{id}")).await;
    assert!(page.exists(".team-notice #completed-form button"), "Completed sits in the team notice");

    assert_eq!(completed(&mark, id).await.status, 303);
    assert_eq!(subtasks(&app, id).await, 1);
    let sub: i64 = app
        .db
        .scalar(
            &sea_query::Query::select().column("id").from("tasks").and_where(Expr::col("parent_id").eq(id)).to_owned(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.field("tasks", sub, "stage").await.as_deref(), Some("done"));
    assert!(app.flag("tasks", sub, "hide_main_task").await, "the member's part hides the main task");
    assert_eq!(app.field("tasks", sub, "owner_id").await, Some(app.uid("Mark.Manager.Sales").await));
    assert_eq!(app.field("tasks", sub, "co_owner_id").await, Some(app.uid("Helen.Head.Sales").await));
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("pending"), "Carl's part is not done");
    assert!(app.notices("Helen.Head.Sales").await.contains(&"The subtask is done: Stocktaking".to_string()));
    // Mark's part is done: no button for him any more; Carl still has it.
    assert!(!mark.get(&format!("/tasks/{id}")).await.exists("#completed-form"));
    let carl = app.login_as("Carl.CoWorker").await;
    assert!(carl.get(&format!("/tasks/{id}")).await.exists("#completed-form"));

    assert_eq!(completed(&carl, id).await.status, 303);
    assert_eq!(subtasks(&app, id).await, 2);
    assert_eq!(app.field("tasks", id, "stage").await.as_deref(), Some("done"), "closed automatically");
    let (_, summary) = last_actor(&app, id).await;
    assert!(summary.contains("closed automatically"), "{summary}");
    assert!(app.notices("Helen.Head.Sales").await.contains(&"The task is done: Stocktaking".to_string()));
}

#[tokio::test]
async fn a_team_member_with_an_active_subtask_is_sent_to_it_and_nothing_is_created() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Fair stand", &["Mark.Manager.Sales", "Carl.CoWorker"], &[], &[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let sub = task(&app, &mark, "Print banners", &["Mark.Manager.Sales"], &[], &[("parent_id", &id.to_string())]).await;
    let r = completed(&mark, id).await;
    assert_eq!(r.status, 303);
    let loc = r.header("location").unwrap_or_default();
    assert_eq!(loc, format!("/tasks/{sub}?refused=active-subtask"));
    assert_eq!(subtasks(&app, id).await, 1, "no done subtask was created");
    let page = mark.get(&loc).await;
    assert_eq!(
        page.text("#completed-refused"),
        "The task cannot be marked as completed because you have an active subtask."
    );
    // The control: once that subtask is done, "Completed" is not needed (his part is done), and
    // the plain subtask page says nothing of a refusal.
    assert!(!mark.get(&format!("/tasks/{sub}")).await.exists("#completed-refused"));
}
