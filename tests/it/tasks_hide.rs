//! "Hide main task" (issue 12, §14.1): a team member whose part is done does not see the main task
//! among their active tasks, nor hear of the other members' subtasks closing; showing it again, or
//! reopening their subtask, brings it back. Only the subtask's responsible switches it.

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::items::task;
use crate::helpers::{TestApp, client::TestClient, spawn_app};

async fn listed(c: &TestClient, query: &str, id: i64) -> bool {
    let page = c.get(&format!("/tasks{query}")).await;
    assert_eq!(page.status, 200);
    page.exists(&format!("tr#task-{id}"))
}

/// The subtask of `parent` whose responsible is `user`, newest.
async fn part_of(app: &TestApp, parent: i64, user: &str) -> i64 {
    let uid = app.user_id(user).await;
    app.db
        .scalar(
            &Query::select()
                .column(("tasks", "id"))
                .from("tasks")
                .inner_join("participants", Expr::col(("participants", "object_id")).equals(("tasks", "id")))
                .and_where(Expr::col(("participants", "object_type")).eq("task"))
                .and_where(Expr::col(("participants", "role")).eq("responsible"))
                .and_where(Expr::col(("participants", "user_id")).eq(uid))
                .and_where(Expr::col(("tasks", "parent_id")).eq(parent))
                .order_by(("tasks", "id"), sea_query::Order::Desc)
                .limit(1)
                .to_owned(),
        )
        .await
        .unwrap()
        .expect("a subtask of the user's")
}

#[tokio::test]
async fn a_finished_member_no_longer_sees_the_main_task_nor_hears_of_other_subtasks() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let team = ["Mark.Manager.Sales", "Carl.CoWorker", "Olga.Operator.Sales"];
    let main = task(&app, &helen, "Year-end close", &team, &[], &[]).await;
    let parent = [("parent_id", main.to_string())];
    let parent: Vec<(&str, &str)> = parent.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let carl = app.login_as("Carl.CoWorker").await;
    let a = task(&app, &carl, "Count the cash", &["Carl.CoWorker"], &["Mark.Manager.Sales"], &parent).await;
    let b = task(&app, &carl, "Count the stock", &["Carl.CoWorker"], &["Mark.Manager.Sales"], &parent).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert!(listed(&mark, "", main).await, "the control: Mark sees the main task");

    // Before Mark hid anything he hears of Carl's subtask closing (the control)...
    carl.post_form(&format!("/tasks/{a}/stage"), &[("stage", "done")]).await;
    assert_eq!(app.notices("Mark.Manager.Sales").await[0], "The subtask is done: Count the cash");
    // ...then he finishes his part, which hides the main task from his active list only.
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let today = ferrocrm::time::today();
    let count = ferrocrm::counters::of(&app.db, mark_id, today, None, false).await.unwrap().tasks.all;
    assert_eq!(count, 1, "the control: the menu counts the main task");
    assert_eq!(mark.post_form(&format!("/tasks/{main}/completed"), &[]).await.status, 303);
    assert!(!listed(&mark, "", main).await);
    let count = ferrocrm::counters::of(&app.db, mark_id, today, None, false).await.unwrap().tasks.all;
    assert_eq!(count, 0, "nor does the menu count it");
    assert!(listed(&mark, "?show=all", main).await, "all tasks still shows it");
    assert!(listed(&carl, "", main).await, "the others still see it");
    assert_eq!(app.field("tasks", main, "stage").await.as_deref(), Some("in_progress"), "Olga's part is open");
    let heard = app.notices("Mark.Manager.Sales").await.len();
    carl.post_form(&format!("/tasks/{b}/stage"), &[("stage", "done")]).await;
    assert_eq!(app.notices("Mark.Manager.Sales").await.len(), heard, "nothing about Carl's subtask");
    assert_eq!(app.notices("Helen.Head.Sales").await[0], "The subtask is done: Count the stock", "others still hear");

    // "Show the main task" on his subtask brings it back; "Hide main task" hides it again.
    let mine = part_of(&app, main, "Mark.Manager.Sales").await;
    let page = mark.get(&format!("/tasks/{mine}")).await;
    assert_eq!(page.text("#hide-main-form button"), "Show the main task");
    assert_eq!(mark.post_form(&format!("/tasks/{mine}/hide-main"), &[("hide", "0")]).await.status, 303);
    assert!(listed(&mark, "", main).await);
    assert!(!app.flag("tasks", mine, "hide_main_task").await);
    assert_eq!(mark.get(&format!("/tasks/{mine}")).await.text("#hide-main-form button"), "Hide main task");
    assert_eq!(mark.post_form(&format!("/tasks/{mine}/hide-main"), &[("hide", "1")]).await.status, 303);
    assert!(!listed(&mark, "", main).await);
    // Only Mark switches it: Carl sees Mark's subtask (same team) but may not.
    assert_eq!(carl.post_form(&format!("/tasks/{mine}/hide-main"), &[("hide", "0")]).await.status, 403);
    assert!(app.flag("tasks", mine, "hide_main_task").await);
    // Reopening his subtask shows the main task again: only a closed part hides it.
    assert_eq!(mark.post_form(&format!("/tasks/{mine}/stage"), &[("stage", "in_progress")]).await.status, 303);
    assert!(listed(&mark, "", main).await);
}
