//! Tasks: creation and its notices, the co-owner rule, team tasks and their auto-completion, stages,
//! closing notices, the list's filters, sort, pagination and overdue marks, validation.

use std::time::Duration;

use crate::helpers::app::Options;
use crate::helpers::client::TestClient;
use crate::helpers::items::task;
use crate::helpers::smtp::SmtpSink;
use crate::helpers::{TestApp, spawn_app};

async fn stage(c: &TestClient, id: i64, stage: &str) -> u16 {
    c.post_form(&format!("/tasks/{id}/stage"), &[("stage", stage)]).await.status.as_u16()
}

#[tokio::test]
async fn a_new_task_notifies_its_responsible_and_subscribers_in_the_app_and_by_email() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Call the supplier", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[]).await;
    assert_eq!(app.notices("Mark.Manager.Sales").await, ["You have a new task: Call the supplier"]);
    assert_eq!(app.notices("Carl.CoWorker").await, ["You are subscribed to the task: Call the supplier"]);
    assert!(app.notices("Helen.Head.Sales").await.is_empty(), "the author is not notified");
    app.send_mail().await;
    let mails = smtp.wait_for(2, Duration::from_secs(5)).await;
    let to_mark = mails.iter().find(|m| m.to == ["mark.manager.sales@example.com"]).expect("mail to Mark");
    assert_eq!(to_mark.subject, "You have a new task: Call the supplier");
    assert!(to_mark.body.contains(&format!("{}/tasks/{id}", app.base)), "{}", to_mark.body);
    assert!(mails.iter().any(|m| m.to == ["carl.coworker@example.com"]));
    assert_eq!(mails.len(), 2);
}

#[tokio::test]
async fn email_copies_can_be_turned_off_in_the_profile() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    mark.get("/profile").await;
    let p = mark
        .post_form(
            "/profile",
            &[("first_name", "Mark"), ("last_name", "Manager.Sales"), ("email", "mark.manager.sales@example.com")],
        )
        .await;
    assert!(p.status.is_success() || p.status.is_redirection(), "{}", p.status);
    let helen = app.login_as("Helen.Head.Sales").await;
    task(&app, &helen, "Quiet task", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[]).await;
    assert_eq!(app.notices("Mark.Manager.Sales").await, ["You have a new task: Quiet task"], "still told in the app");
    app.send_mail().await;
    smtp.wait_for(1, Duration::from_secs(5)).await;
    // The control: a second task that Carl must get mail about. The outbox sends its rows one at a
    // time in id order, each accepted by the SMTP server (which stores it) before the next, and the
    // second task's rows come after the first's; so once Carl's second mail is here, any mail of the
    // first task (Mark's included, had one been queued) has arrived before it.
    task(&app, &helen, "Control task", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[]).await;
    app.send_mail().await;
    let mails = smtp.wait_for(2, Duration::from_secs(5)).await;
    let mut got: Vec<_> = mails.iter().map(|m| (m.to.join(","), m.subject.as_str())).collect();
    got.sort();
    let carl = "carl.coworker@example.com".to_string();
    assert_eq!(
        got,
        [
            (carl.clone(), "You are subscribed to the task: Control task"),
            (carl, "You are subscribed to the task: Quiet task"),
        ],
        "Carl's two mails and nothing for Mark"
    );
    // Nor is anything for Mark left waiting in the outbox.
    let queued = ferrocrm::outbox::recent(&app.db, 100).await.unwrap();
    assert!(queued.iter().all(|r| r.to_addr != "mark.manager.sales@example.com"), "{queued:?}");
}

#[tokio::test]
async fn a_task_whose_only_responsible_is_its_creator_gets_the_department_head_as_co_owner() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await; // Sales; Helen heads Sales
    let mine = task(&app, &carl, "Tidy my desk", &["Carl.CoWorker"], &[], &[]).await;
    assert_eq!(app.field("tasks", mine, "co_owner_id").await, Some(app.uid("Helen.Head.Sales").await));
    let page = carl.get(&format!("/tasks/{mine}")).await;
    assert!(page.texts("dl.kv dd").iter().any(|t| t == "Helen Head"), "{:?}", page.texts("dl.kv dd"));
    assert_eq!(app.notices("Helen.Head.Sales").await, ["You are the co-owner of the task: Tidy my desk"]);
    // Not when someone else is responsible, nor for a department head's own task.
    let other = task(&app, &carl, "For Mark", &["Mark.Manager.Sales"], &[], &[]).await;
    assert_eq!(app.field("tasks", other, "co_owner_id").await, None);
    let helen = app.login_as("Helen.Head.Sales").await;
    let hers = task(&app, &helen, "Head's own", &["Helen.Head.Sales"], &[], &[]).await;
    assert_eq!(app.field("tasks", hers, "co_owner_id").await, None);
    // Helen, as co-owner, sees and may edit Carl's task.
    assert_eq!(helen.get(&format!("/tasks/{mine}/edit")).await.status, 200);
}

#[tokio::test]
async fn a_team_task_is_marked_and_closes_by_itself_when_every_responsible_has_finished_subtasks() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let team =
        task(&app, &helen, "Trade fair stand", &["Mark.Manager.Sales", "Carl.CoWorker"], &["Olga.Operator.Sales"], &[])
            .await;
    assert!(app.flag("tasks", team, "team").await);
    let list = mark.get("/tasks").await;
    assert!(list.exists(&format!("tr#task-{team}.team")), "team tasks stand out in the list");
    let page = mark.get(&format!("/tasks/{team}")).await;
    assert!(page.text("div.flash-info").contains("This is a team task"));
    // A responsible of a team task may not set its stage; the owner decides (or the subtasks do).
    assert_eq!(stage(&mark, team, "done").await, 403);

    // Each creates a subtask for themself (Mark also one for Carl).
    let t = team.to_string();
    let mark_part = task(&app, &mark, "Mark: posters", &["Mark.Manager.Sales"], &[], &[("parent_id", &t)]).await;
    let carl_part = task(&app, &carl, "Carl: booth", &["Carl.CoWorker"], &[], &[("parent_id", &t)]).await;
    let for_carl = task(&app, &mark, "Carl: flyers", &["Carl.CoWorker"], &[], &[("parent_id", &t)]).await;
    // A subtask's co-owner is the main task's owner, and starting your own part starts the main task.
    assert_eq!(app.field("tasks", mark_part, "co_owner_id").await, Some(app.uid("Helen.Head.Sales").await));
    assert_eq!(app.field("tasks", team, "stage").await.as_deref(), Some("in_progress"));
    assert_eq!(app.field("tasks", for_carl, "stage").await.as_deref(), Some("pending"));

    assert_eq!(stage(&mark, mark_part, "done").await, 303);
    assert_eq!(stage(&carl, carl_part, "done").await, 303);
    assert_eq!(app.field("tasks", team, "stage").await.as_deref(), Some("in_progress"), "one subtask still open");
    assert_eq!(stage(&carl, for_carl, "done").await, 303);
    assert_eq!(app.field("tasks", team, "stage").await.as_deref(), Some("done"), "the team task closed by itself");
    assert!(!app.flag("tasks", team, "active").await);
    // Its owner and subscribers are told it is done.
    assert!(app.notices("Helen.Head.Sales").await.contains(&"The task is done: Trade fair stand".to_string()));
    assert!(app.notices("Olga.Operator.Sales").await.contains(&"The task is done: Trade fair stand".to_string()));
    let history = helen.get(&format!("/tasks/{team}/history")).await;
    assert!(history.texts(".history-meta .muted").iter().any(|t| t.contains("closed automatically")));
}

#[tokio::test]
async fn a_team_task_stays_open_while_a_responsible_has_no_finished_subtask() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let team = task(&app, &helen, "Two people", &["Mark.Manager.Sales", "Carl.CoWorker"], &[], &[]).await;
    let t = team.to_string();
    let only = task(&app, &mark, "Mark's part", &["Mark.Manager.Sales"], &[], &[("parent_id", &t)]).await;
    assert_eq!(stage(&mark, only, "done").await, 303);
    assert_eq!(app.field("tasks", team, "stage").await.as_deref(), Some("in_progress"), "Carl has no subtask yet");
    // The owner closes it by hand instead.
    assert_eq!(stage(&helen, team, "done").await, 303);
    assert_eq!(app.field("tasks", team, "stage").await.as_deref(), Some("done"));
}

#[tokio::test]
async fn a_task_cannot_be_closed_while_it_has_an_active_subtask() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let main = task(&app, &helen, "Main", &["Helen.Head.Sales"], &[], &[]).await;
    let m = main.to_string();
    task(&app, &helen, "Sub", &["Helen.Head.Sales"], &[], &[("parent_id", &m)]).await;
    let p = helen.post_form(&format!("/tasks/{main}/stage"), &[("stage", "done")]).await;
    assert_eq!(p.status, 409);
    assert!(p.body.contains("active subtask"));
    assert_eq!(app.field("tasks", main, "stage").await.as_deref(), Some("in_progress"));
    // A subtask has one responsible and no subtasks of its own.
    let sub_of_sub = helen.get(&format!("/tasks/new?parent={}", main + 1)).await;
    assert_eq!(sub_of_sub.status, 403);
    let two = helen
        .post_form(
            "/tasks",
            &[
                ("name", "Too many"),
                ("parent_id", &m),
                ("responsible", &app.uid("Helen.Head.Sales").await),
                ("responsible", &app.uid("Mark.Manager.Sales").await),
            ],
        )
        .await;
    assert_eq!(two.status, 422);
    assert_eq!(two.field_error("responsible").as_deref(), Some("This is a sub-task, so specify only one responsible."));
    // …and that one is among the main task's responsible users.
    let outsider = helen
        .post_form(
            "/tasks",
            &[("name", "Outsider"), ("parent_id", &m), ("responsible", &app.uid("Eve.Manager.Export").await)],
        )
        .await;
    assert_eq!(outsider.status, 422);
    assert_eq!(
        outsider.field_error("responsible").as_deref(),
        Some("A subtask is for one of the main task's responsible users.")
    );
    let form = helen.get(&format!("/tasks/new?parent={main}")).await;
    assert_eq!(
        form.attrs("#f-responsible-picker input[name=responsible]", "value"),
        [app.uid("Helen.Head.Sales").await]
    );
    // The Responsible picker offers only the main task's responsible users.
    let src = form.attr("#f-responsible-picker", "data-src").expect("picker source");
    assert_eq!(src, format!("/people?field=responsible&parent={main}"));
    assert_eq!(helen.get(&format!("{src}&q=")).await.texts("li[role=option] .picker-username"), ["Helen.Head.Sales"]);
}

#[tokio::test]
async fn closing_or_canceling_tells_owner_co_owner_and_subscribers_but_not_the_closer() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let co = app.uid("Olga.Operator.Sales").await;
    let id =
        task(&app, &helen, "Check the contract", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[("co_owner_id", &co)])
            .await;
    assert_eq!(stage(&mark, id, "in_progress").await, 303, "a single responsible sets the stage");
    assert_eq!(stage(&mark, id, "done").await, 303);
    for who in ["Helen.Head.Sales", "Olga.Operator.Sales", "Carl.CoWorker"] {
        assert_eq!(app.notices(who).await[0], "The task is done: Check the contract", "{who}");
    }
    assert!(!app.notices("Mark.Manager.Sales").await.iter().any(|n| n.contains("is done")));
    assert!(app.field("tasks", id, "closing_date").await.is_some());
    let other = task(&app, &helen, "Plan B", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[]).await;
    assert_eq!(stage(&helen, other, "canceled").await, 303);
    assert_eq!(app.notices("Carl.CoWorker").await[0], "The task was canceled: Plan B");
    assert!(!app.notices("Helen.Head.Sales").await.iter().any(|n| n.contains("Plan B")));
}

#[tokio::test]
async fn the_task_list_shows_active_tasks_by_default_filters_sorts_paginates_and_flags_overdue_dates() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let today = chrono::Utc::now().date_naive();
    let soon = (today + chrono::Duration::days(3)).to_string();
    let later = (today + chrono::Duration::days(30)).to_string();
    let a = task(&app, &helen, "Alpha", &["Mark.Manager.Sales"], &[], &[("due_date", &later)]).await;
    let b = task(&app, &helen, "Bravo", &["Carl.CoWorker"], &["Mark.Manager.Sales"], &[("due_date", &soon)]).await;
    let c = task(&app, &helen, "Charlie", &["Helen.Head.Sales"], &[], &[]).await;
    assert_eq!(stage(&helen, c, "done").await, 303);
    // A past due date, as if the task had been planned long ago.
    app.db
        .execute(
            &sea_query::Query::update()
                .table("tasks")
                .value("due_date", today - chrono::Duration::days(2))
                .and_where(sea_query::ExprTrait::eq(sea_query::Expr::col("id"), a))
                .to_owned(),
        )
        .await
        .unwrap();
    let names = |p: crate::helpers::html::Page| p.texts("#task-list td.name a");
    // Helen is responsible for Charlie only (done): her default list (§14.1) is empty, and says so.
    let mine = helen.get("/tasks").await;
    assert_eq!(mine.texts("#task-list td.name a"), Vec::<String>::new(), "responsible = me by default");
    assert!(mine.exists("#responsible-me-chip"));
    let any = mine.attr("#responsible-clear", "href").expect("a way to clear the default");
    assert_eq!(names(helen.get(&any).await), ["Bravo", "Alpha"], "active, newest main task first");
    assert_eq!(names(helen.get("/tasks?show=all&responsible=all").await), ["Charlie", "Bravo", "Alpha"]);
    assert_eq!(names(helen.get("/tasks?show=all").await), ["Charlie"]);
    assert_eq!(names(helen.get("/tasks?show=all&stage=done&responsible=all").await), ["Charlie"]);
    assert_eq!(names(helen.get("/tasks?sort=due&responsible=all").await), ["Alpha", "Bravo"]);
    assert_eq!(names(helen.get("/tasks?sort=id&responsible=all").await), ["Bravo", "Alpha"]);
    let mark = app.uid("Mark.Manager.Sales").await;
    assert_eq!(names(helen.get(&format!("/tasks?responsible={mark}")).await), ["Alpha"]);
    assert_eq!(
        names(helen.get(&format!("/tasks?responsible=all&owner={}", app.uid("Helen.Head.Sales").await)).await),
        ["Bravo", "Alpha"]
    );
    let mark_c = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(names(mark_c.get("/tasks?role=assigned").await), ["Alpha"]);
    assert_eq!(names(mark_c.get("/tasks?role=subscribed&responsible=all").await), ["Bravo"]);
    assert_eq!(names(mark_c.get("/tasks?role=mine").await), Vec::<String>::new());
    assert_eq!(names(helen.get("/tasks?q=brav&responsible=all").await), ["Bravo"]);
    let list = helen.get("/tasks?responsible=all").await;
    assert!(list.exists(&format!("tr#task-{a} td.date time.overdue")), "an overdue due date stands out");
    assert!(!list.exists(&format!("tr#task-{b} td.date time.overdue")));
    // Odd or hostile filter values do not break the page.
    for q in ["/tasks?owner=abc", "/tasks?stage=%27;DROP", "/tasks?sort=evil", "/tasks?page=-3", "/tasks?q=%25_%5C"] {
        assert_eq!(helen.get(q).await.status, 200, "{q}");
    }
    for i in 0..52 {
        task(&app, &helen, &format!("Bulk {i}"), &["Helen.Head.Sales"], &[], &[]).await;
    }
    // Helen is owner and responsible of each: one row per task all the same, on every page (SQLite
    // 3.51 once turned the visibility EXISTS into a join that OFFSET counted twice).
    let first = helen.get("/tasks?q=Bulk").await;
    let mut seen = first.texts("#task-list td.name a");
    seen.dedup();
    assert_eq!(seen.len(), 50, "duplicate rows on page 1");
    assert_eq!(first.count("#task-list tbody tr"), 50);
    let second = helen.get("/tasks?q=Bulk&page=2").await;
    assert_eq!(second.count("#task-list tbody tr"), 2, "{:?}", second.texts("#task-list tbody tr"));
}

#[tokio::test]
async fn an_invalid_task_form_comes_back_with_messages_and_saves_nothing() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    helen.get("/tasks/new").await;
    let p = helen.post_form("/tasks", &[("name", "Untitled"), ("due_date", "2001-01-01"), ("priority", "9")]).await;
    assert_eq!(p.status, 422);
    assert_eq!(p.field_error("name").as_deref(), Some("Please specify a name."));
    assert_eq!(p.field_error("responsible").as_deref(), Some("Please specify a responsible."));
    assert_eq!(p.field_error("due_date").as_deref(), Some("The due date cannot be in the past."));
    assert!(p.field_error("priority").is_some());
    assert_eq!(p.attr("#f-due_date", "value").as_deref(), Some("2001-01-01"), "what was typed stays");
    assert_eq!(app.count("tasks", sea_query::Cond::all()).await, 0);
}

#[tokio::test]
async fn a_task_edit_records_history_and_tells_people_newly_added() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Draft the tender", &["Mark.Manager.Sales"], &[], &[]).await;
    let (mark, carl) = (app.uid("Mark.Manager.Sales").await, app.uid("Carl.CoWorker").await);
    let p = helen
        .post_form(
            &format!("/tasks/{id}"),
            &[("name", "Draft the tender answer"), ("responsible", &mark), ("subscribers", &carl), ("priority", "3")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(app.notices("Carl.CoWorker").await, ["You are subscribed to the task: Draft the tender answer"]);
    assert_eq!(app.notices("Mark.Manager.Sales").await.len(), 1, "Mark was responsible already");
    let h = helen.get(&format!("/tasks/{id}/history")).await;
    let fields = h.texts("ol.history li.history-item:first-child td.field");
    assert!(
        fields.contains(&"Name".to_string())
            && fields.contains(&"Priority".to_string())
            && fields.contains(&"Subscribers".to_string()),
        "{fields:?}"
    );
    assert_eq!(h.texts(".history-meta .badge"), ["update", "create"]);
    // Carl can now see it.
    assert_eq!(app.login_as("Carl.CoWorker").await.get(&format!("/tasks/{id}")).await.status, 200);
}

#[tokio::test]
async fn the_home_pages_tasks_are_the_first_of_the_assigned_list_by_due_date_for_busy_and_quiet_users() {
    use sea_query::{Expr, ExprTrait, Query};
    // `tasks::repo::assigned` answers the home page with one of two plans (a walk down the due dates
    // of all active tasks, or a sort of the user's own): at scale 1 (5k active tasks) users with more
    // than a page of tasks take the first for a few rows (and fall back to the second for a page),
    // the others the second. Both must give what the full list gives.
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    ferrocrm::cli::seed_demo(&app.db).await.unwrap();
    ferrocrm::seed::run(&app.db, 1).await.unwrap();
    // Eve holds no task at all; some tasks have no due date (they come last).
    let eve = app.user_id("Eve.Manager.Export").await;
    app.db.execute(Query::delete().from_table("participants").and_where(Expr::col("user_id").eq(eve))).await.unwrap();
    let mark = app.user_id("Mark.Manager.Global").await;
    app.db
        .execute(
            Query::update()
                .table("tasks")
                .value("due_date", Option::<chrono::NaiveDate>::None)
                .and_where(Expr::col("id").modulo(10).eq(0)),
        )
        .await
        .unwrap();
    let mut users = vec![mark, eve];
    // The seed favours the users with the lowest ids (the test users here) and gives the others a few.
    for u in ["Garry.Chief", "Anna.Accountant", "Helen.Head.Global", "user0001", "user0002", "user0020"] {
        users.push(app.user_id(u).await);
    }
    let (mut busy, mut quiet) = (0, 0);
    let assigned =
        ferrocrm::tasks::model::TaskFilter { role: "assigned".into(), sort: "due".into(), ..Default::default() };
    let ids = |ts: &[ferrocrm::tasks::model::Task]| ts.iter().map(|t| t.id).collect::<Vec<_>>();
    for u in users {
        let viewer = app.state_viewer(u).await;
        let list = ferrocrm::tasks::repo::list(&app.db, &viewer, &assigned).await.unwrap();
        for n in [1, 8, 50] {
            let home = ferrocrm::tasks::repo::assigned(&app.db, u, n).await.unwrap();
            let want = &list.items[..list.items.len().min(n as usize)];
            assert_eq!(ids(&home.items), ids(want), "user {u}, first {n}");
            assert_eq!(home.more, list.more, "user {u}: more than a page");
        }
        busy += usize::from(list.more);
        quiet += usize::from(list.items.len() < 8);
    }
    assert!(busy > 0 && quiet > 0, "busy {busy}, quiet {quiet}: both plans should be tried");
}
