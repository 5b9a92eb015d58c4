//! The workflow log and next-step rules (issue 12, §14.1–14.2): dated lines on task and project
//! pages; a stage change sets the next step to the stage's label; a subtask's step goes into its
//! main task's log and replaces the main task's default step; a team task closing by itself says so.

use crate::helpers::items::task;
use crate::helpers::spawn_app;

#[tokio::test]
async fn tasks_and_projects_log_their_creation_steps_and_stages() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let project = crate::helpers::items::create(&helen, "/projects", &[("name", "Expo")]).await;
    let p = project.to_string();
    let main = task(&app, &helen, "Book a stand", &["Mark.Manager.Sales"], &[], &[("project_id", &p)]).await;
    let today = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    let page = helen.get(&format!("/tasks/{main}")).await;
    assert_eq!(page.texts("#workflow li"), [format!("{today} - The task was created. (Helen Head)")]);
    let page = helen.get(&format!("/projects/{project}")).await;
    assert_eq!(
        page.texts("#workflow li"),
        [
            format!("{today} - The task was created (Helen Head): Book a stand"),
            format!("{today} - The project was created (Helen Head)")
        ]
    );

    // A subtask's new step goes into the main task's log and replaces its default step.
    let mark = app.login_as("Mark.Manager.Sales").await;
    let sub =
        task(&app, &mark, "Call the fair", &["Mark.Manager.Sales"], &[], &[("parent_id", &main.to_string())]).await;
    assert_eq!(app.field("tasks", main, "next_step").await.as_deref(), Some("Acquainted with the task"));
    let edit = [
        ("name", "Call the fair"),
        ("next_step", "Ask for a corner stand"),
        ("responsible", &app.uid("Mark.Manager.Sales").await),
    ];
    assert_eq!(mark.post_form(&format!("/tasks/{sub}"), &edit).await.status, 303);
    assert_eq!(app.field("tasks", sub, "next_step").await.as_deref(), Some("Ask for a corner stand"));
    assert_eq!(app.field("tasks", main, "next_step").await.as_deref(), Some("Ask for a corner stand"));
    let page = helen.get(&format!("/tasks/{main}")).await;
    assert_eq!(page.texts("#workflow li")[0], format!("{today} - Call the fair: Ask for a corner stand"));

    // A stage change sets the next step to the stage's label, logged.
    assert_eq!(mark.post_form(&format!("/tasks/{sub}/stage"), &[("stage", "done")]).await.status, 303);
    assert_eq!(app.field("tasks", sub, "next_step").await.as_deref(), Some("Done"));
    let page = mark.get(&format!("/tasks/{sub}")).await;
    assert_eq!(page.texts("#workflow li")[0], format!("{today} - Done"));
}

#[tokio::test]
async fn a_team_task_closed_by_its_subtasks_logs_it_and_its_step_becomes_done() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let main = task(&app, &helen, "Fair", &["Mark.Manager.Sales", "Carl.CoWorker"], &[], &[]).await;
    for user in ["Mark.Manager.Sales", "Carl.CoWorker"] {
        let c = app.login_as(user).await;
        assert_eq!(c.post_form(&format!("/tasks/{main}/completed"), &[]).await.status, 303);
    }
    assert_eq!(app.field("tasks", main, "stage").await.as_deref(), Some("done"));
    assert_eq!(app.field("tasks", main, "next_step").await.as_deref(), Some("Done"));
    let today = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    let page = helen.get(&format!("/tasks/{main}")).await;
    assert_eq!(page.texts("#workflow li")[0], format!("{today} - The main task is closed automatically."));
}

#[tokio::test]
async fn a_projects_next_step_edits_are_logged_on_its_page_with_the_editors_name() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark_id = app.uid("Mark.Manager.Sales").await;
    let project =
        crate::helpers::items::create(&helen, "/projects", &[("name", "Expo"), ("responsible", &mark_id)]).await;
    let today = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    let url = format!("/projects/{project}");
    // Helen is not the sole responsible: her name follows the step.
    let edit = [("name", "Expo"), ("next_step", "Book the hall"), ("responsible", mark_id.as_str())];
    assert_eq!(helen.post_form(&url, &edit).await.status, 303);
    assert_eq!(app.field("projects", project, "next_step").await.as_deref(), Some("Book the hall (Helen Head)"));
    // The sole responsible's own step carries no name; an unchanged step adds no line.
    let mark = app.login_as("Mark.Manager.Sales").await;
    let edit = [("name", "Expo"), ("next_step", "Sign the contract"), ("responsible", mark_id.as_str())];
    assert_eq!(mark.post_form(&url, &edit).await.status, 303);
    assert_eq!(mark.post_form(&url, &edit).await.status, 303);
    let page = helen.get(&url).await;
    assert_eq!(
        page.texts("#workflow li"),
        [
            format!("{today} - Sign the contract"),
            format!("{today} - Book the hall (Helen Head)"),
            format!("{today} - The project was created (Helen Head)")
        ]
    );
}
