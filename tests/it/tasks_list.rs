//! The task list's defaults of §14.1 (issue 12): main tasks grouped with their subtasks, newest main
//! task first, paginated without losing or repeating a row; the toggle to next-step-date order; and
//! each of these pages one walk of an index (the query plan is read on this pass's backend).

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::items::task;
use crate::helpers::{plan_of, spawn_app};

fn names(p: &crate::helpers::html::Page) -> Vec<String> {
    p.texts("#task-list td.name > a")
}

#[tokio::test]
async fn subtasks_are_listed_under_their_main_task_and_the_toggle_orders_by_next_step_date() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = ["Helen.Head.Sales"];
    let one = task(&app, &helen, "One", &me, &[], &[]).await;
    let two = task(&app, &helen, "Two", &me, &[], &[]).await;
    // A subtask of One made after Two: newest first would list it on top; grouped, it follows One.
    let sub = task(&app, &helen, "One, part", &me, &[], &[("parent_id", &one.to_string())]).await;
    let list = helen.get("/tasks").await;
    assert_eq!(names(&list), ["Two", "One", "One, part"]);
    assert!(list.exists(&format!("tr#task-{sub}.subtask")), "the subtask is marked as one");
    assert_eq!(names(&helen.get("/tasks?sort=id").await), ["One, part", "Two", "One"], "newest first on request");

    // The toggle: next step date, soonest first (none last); and back.
    let day = |n: i64| chrono::Utc::now().date_naive() + chrono::Duration::days(n);
    for (id, d) in [(one, Some(day(9))), (two, Some(day(5))), (sub, None)] {
        let q = Query::update().table("tasks").value("next_step_date", d).and_where(Expr::col("id").eq(id)).to_owned();
        app.db.execute(&q).await.unwrap();
    }
    assert_eq!(list.text("#step-order-toggle"), "Order by next step date");
    let href = list.attr("#step-order-toggle", "href").unwrap();
    assert!(href.contains("sort=step"), "{href}");
    let by_step = helen.get(&href).await;
    assert_eq!(names(&by_step), ["Two", "One", "One, part"]);
    assert_eq!(by_step.text("#step-order-toggle"), "Group subtasks under main tasks");
    assert!(by_step.exists("#task-list th[aria-sort=ascending] a[href*='sort=step']"), "the column says so too");
    // §14.1: a subtask is ordered by its main task's date ("parent's date for subtasks"), so its
    // own date does not take it away from its main task…
    let q =
        Query::update().table("tasks").value("next_step_date", day(1)).and_where(Expr::col("id").eq(sub)).to_owned();
    app.db.execute(&q).await.unwrap();
    assert_eq!(names(&helen.get(&href).await), ["Two", "One", "One, part"]);
    // …and the main task's date moves the whole group (a change made by the app this time).
    let helen_id = app.uid("Helen.Head.Sales").await;
    let date = day(2).to_string();
    let fields = [("name", "One"), ("responsible", helen_id.as_str()), ("next_step_date", date.as_str())];
    let saved = helen.post_form(&format!("/tasks/{one}"), &fields).await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(names(&helen.get(&href).await), ["One", "One, part", "Two"]);
    let back = by_step.attr("#step-order-toggle", "href").unwrap();
    assert_eq!(names(&helen.get(&back).await), ["Two", "One", "One, part"]);
}

/// §14.1: "responsible (default = me for non-chiefs, if I have any)". Someone responsible for no
/// task starts from every task they may see; once responsible for one, from their own.
#[tokio::test]
async fn the_responsible_default_is_me_only_for_someone_responsible_for_a_task() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl = app.login_as("Carl.CoWorker").await;
    task(&app, &helen, "Watched", &["Helen.Head.Sales"], &["Carl.CoWorker"], &[]).await;
    let list = carl.get("/tasks").await;
    assert_eq!(names(&list), ["Watched"], "what Carl may see");
    assert!(!list.exists("#responsible-me-chip"));
    assert!(carl.get("/tasks/total").await.body.contains("1 task"), "the total counts the same list");
    task(&app, &helen, "For Carl", &["Carl.CoWorker"], &[], &[]).await;
    let list = carl.get("/tasks").await;
    assert_eq!(names(&list), ["For Carl"]);
    assert!(list.exists("#responsible-me-chip"));
    let any = list.attr("#responsible-clear", "href").unwrap();
    assert_eq!(names(&carl.get(&any).await), ["For Carl", "Watched"]);
}

/// The default list reads each task's active flag and group from its responsible's participant
/// row (copies kept by the database: migration 33). They follow the task: closed, it leaves the
/// list; reopened, it comes back; a new responsible sees it at once and the former one no longer.
#[tokio::test]
async fn the_own_list_follows_stage_and_responsible_changes() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let me = ["Helen.Head.Sales"];
    let a = task(&app, &helen, "A", &me, &[], &[]).await;
    let b = task(&app, &helen, "B", &me, &[], &[]).await;
    task(&app, &helen, "A, part", &me, &[], &[("parent_id", &a.to_string())]).await;
    assert_eq!(names(&helen.get("/tasks").await), ["B", "A", "A, part"]);
    let stage = |id: i64, s: &'static str| {
        let helen = &helen;
        async move { helen.post_form(&format!("/tasks/{id}/stage"), &[("stage", s)]).await.status.as_u16() }
    };
    assert_eq!(stage(b, "done").await, 303);
    assert_eq!(names(&helen.get("/tasks").await), ["A", "A, part"]);
    assert_eq!(names(&helen.get("/tasks?show=all").await), ["B", "A", "A, part"]);
    assert_eq!(stage(b, "in_progress").await, 303);
    assert_eq!(names(&helen.get("/tasks").await), ["B", "A", "A, part"]);
    // B handed to Mark (the form's participants are rewritten).
    let mark_id = app.uid("Mark.Manager.Sales").await;
    let fields = [("name", "B"), ("responsible", mark_id.as_str()), ("stage", "in_progress")];
    let saved = helen.post_form(&format!("/tasks/{b}"), &fields).await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(names(&helen.get("/tasks").await), ["A", "A, part"]);
    assert_eq!(names(&mark.get("/tasks").await), ["B"]);
}

#[tokio::test]
async fn grouped_pages_hold_every_task_once_with_each_group_together() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = ["Helen.Head.Sales"];
    // 20 main tasks with 2 subtasks each, the subtasks made after all the main tasks: 60 rows.
    let mut mains = Vec::new();
    for i in 0..20 {
        mains.push(task(&app, &helen, &format!("Main {i:02}"), &me, &[], &[]).await);
    }
    for (i, m) in mains.iter().enumerate() {
        for s in 0..2 {
            task(&app, &helen, &format!("Main {i:02} / {s}"), &me, &[], &[("parent_id", &m.to_string())]).await;
        }
    }
    let first = helen.get("/tasks").await;
    let second = helen.get("/tasks?page=2").await;
    let mut all = names(&first);
    assert_eq!(all.len(), 50);
    all.extend(names(&second));
    assert_eq!(all.len(), 60, "{all:?}");
    // Newest main task first, each followed by its own subtasks in the order they were made.
    let mut expected = Vec::new();
    for i in (0..20).rev() {
        expected.push(format!("Main {i:02}"));
        expected.extend((0..2).map(|s| format!("Main {i:02} / {s}")));
    }
    assert_eq!(all, expected);
}

/// The grouped list (chief: everything; others: their own by default, a tag) walks
/// `ix_tasks_active_group` / `ix_tasks_group` in display order and stops after the page — no sort
/// of the tasks; the tag filter reads `ix_item_tags_tag`.
#[tokio::test]
async fn the_grouped_task_list_and_the_tag_filter_walk_indexes_without_a_sort() {
    use ferrocrm::access::Role;
    use ferrocrm::tasks::model::TaskFilter;

    let app = spawn_app().await;
    let chief = app.state_viewer(app.user_id("Garry.Chief").await).await;
    assert!(chief.is(Role::Chief));
    let helen = app.state_viewer(app.user_id("Helen.Head.Sales").await).await;
    let mut own = TaskFilter::default();
    own.resolve(&helen, true);
    assert_eq!(own.responsible, helen.id.to_string(), "the default of a non-chief");
    let all = TaskFilter { show: "all".into(), ..TaskFilter::default() };
    let tagged = TaskFilter { tag: "1".into(), ..own.clone() };
    let by_step = TaskFilter { sort: "step".into(), ..TaskFilter::default() };
    let cases = [
        ("chief, active", &chief, TaskFilter::default(), "ix_tasks_active_group"),
        ("chief, all", &chief, all, "ix_tasks_group"),
        // Driven by the viewer's own participant rows, in list order (migration 33).
        ("non-chief, own", &helen, own, "ix_participants_task_group"),
        ("non-chief, own, tagged", &helen, tagged, "ix_item_tags_tag"),
        ("chief, by next step", &chief, by_step, "ix_tasks_active_step_group"),
    ];
    for (name, v, f, index) in cases {
        let q = ferrocrm::tasks::repo::page_query(&app.db, v, &f).await.unwrap();
        let lines = plan_of(&app.db, &q, false).await;
        let uses = lines.iter().any(|l| l.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == index));
        assert!(uses, "{name}: {index} not in the plan:\n{lines:#?}");
        let sorts = lines.iter().any(|l| {
            let node = l.trim_start().trim_start_matches("->").trim_start();
            l.contains("TEMP B-TREE FOR ORDER BY") || node.starts_with("Sort  (")
        });
        assert!(!sorts, "{name} sorts:\n{lines:#?}");
    }
}
