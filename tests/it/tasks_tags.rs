//! Tags of tasks and projects (issue 12, §14.1–14.2): per department, unique case-insensitively (the
//! database enforces it), chosen or typed on the form, shown on pages and list rows, a tag filter on
//! both lists; another department's tags are never shown, offered or accepted.

use std::time::Duration;

use sea_query::{Cond, Expr, ExprTrait, Query};

use crate::helpers::items::{create, task};
use crate::helpers::{TestApp, spawn_app};

/// The id of tag `name` (by its folded key) of department `dept`.
async fn tag_id(app: &TestApp, dept: &str, name: &str) -> i64 {
    let d: i64 = app
        .db
        .scalar(&Query::select().column("id").from("departments").and_where(Expr::col("name").eq(dept)).to_owned())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no department {dept}"));
    app.db
        .scalar(
            &Query::select()
                .column("id")
                .from("task_tags")
                .and_where(Expr::col("department_id").eq(d))
                .and_where(Expr::col("name_key").eq(name.to_lowercase()))
                .to_owned(),
        )
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no tag {name} in {dept}"))
}

async fn tags_of(app: &TestApp, kind: &str, id: i64) -> i64 {
    app.count("item_tags", Cond::all().add(Expr::col("object_type").eq(kind)).add(Expr::col("object_id").eq(id))).await
}

#[tokio::test]
async fn a_tag_is_unique_in_its_department_whatever_its_case_and_the_database_enforces_it() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let a =
        task(&app, &helen, "Call the bank", &["Helen.Head.Sales"], &[], &[("new_tags", "Urgent, urgent ,  URGENT")])
            .await;
    assert_eq!(app.count("task_tags", Cond::all()).await, 1, "one tag for three spellings");
    assert_eq!(helen.get(&format!("/tasks/{a}")).await.texts("#task-tags a"), ["Urgent"]);
    // Mark, same department, types it in lower case: the department's tag is reused.
    let mark = app.login_as("Mark.Manager.Sales").await;
    let b = task(&app, &mark, "Pay the rent", &["Mark.Manager.Sales"], &[], &[("new_tags", " urgent")]).await;
    assert_eq!(app.count("task_tags", Cond::all()).await, 1);
    assert_eq!(mark.get(&format!("/tasks/{b}")).await.texts("#task-tags a"), ["Urgent"]);
    // Eve's department (Export) has a tag of its own by that name.
    let eve = app.login_as("Eve.Manager.Export").await;
    let p = create(&eve, "/projects", &[("name", "Fair in Lyon"), ("new_tags", "urgent")]).await;
    assert_eq!(app.count("task_tags", Cond::all()).await, 2);
    assert_eq!(eve.get(&format!("/projects/{p}")).await.texts("#project-tags a"), ["urgent"]);

    // Not only Rust: the unique index refuses a second "URGENT" in Sales written straight to the database.
    let sales: i64 =
        app.field("task_tags", tag_id(&app, "Sales", "urgent").await, "department_id").await.unwrap().parse().unwrap();
    let dup = Query::insert()
        .into_table("task_tags")
        .columns(["department_id", "name", "name_key", "created_at"])
        .values_panic([sales.into(), "URGENT".into(), "urgent".into(), chrono::Utc::now().into()])
        .to_owned();
    assert!(app.db.execute(&dup).await.is_err(), "the unique index lets a duplicate in");

    // Too long or too many: the form comes back with the message, nothing saved.
    let long = "x".repeat(51);
    let before = app.count("tasks", Cond::all()).await;
    let page = helen
        .post_form("/tasks", &[("name", "T"), ("responsible", &app.uid("Helen.Head.Sales").await), ("new_tags", &long)])
        .await;
    assert_eq!(page.status, 422);
    assert!(page.text("#f-tags-error").contains("at most 50 characters"), "{}", page.body);
    assert_eq!(app.count("tasks", Cond::all()).await, before);
}

#[tokio::test]
async fn another_departments_tags_are_never_shown_offered_or_accepted() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let eve_id = app.uid("Eve.Manager.Export").await;
    let t = task(&app, &helen, "Ship samples", &["Eve.Manager.Export"], &[], &[("new_tags", "Sales only")]).await;
    let sales_tag = tag_id(&app, "Sales", "sales only").await;
    assert_eq!(helen.get(&format!("/tasks/{t}")).await.texts("#task-tags a"), ["Sales only"]);

    // Eve (Export) is the task's responsible: she sees it, but not Sales' tag — on its page, in her
    // list row, in the filter and the form.
    let eve = app.login_as("Eve.Manager.Export").await;
    let page = eve.get(&format!("/tasks/{t}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.count("#task-tags a"), 0, "{}", page.text("#task-tags"));
    assert!(!page.body.contains("Sales only"));
    let list = eve.get("/tasks").await;
    assert!(list.exists(&format!("tr#task-{t}")));
    assert!(!list.body.contains("Sales only"), "another department's tag in the list");
    assert_eq!(list.count(&format!("#tag-filter option[value='{sales_tag}']")), 0);
    let form = eve.get(&format!("/tasks/{t}/edit")).await;
    assert_eq!(form.count(&format!("input[name=tags][value='{sales_tag}']")), 0);
    // Filtering by it finds nothing (though she sees the task).
    let filtered = eve.get(&format!("/tasks?tag={sales_tag}")).await;
    assert_eq!(filtered.count("#task-list tbody tr"), 0);

    // Posting it is refused, and changes nothing.
    let s = sales_tag.to_string();
    let edit = [("name", "Ship samples"), ("responsible", eve_id.as_str()), ("tags", s.as_str())];
    let answer = eve.post_form(&format!("/tasks/{t}"), &edit).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.exists("#f-tags-error"));
    assert_eq!(tags_of(&app, "task", t).await, 1);
    let new = [("name", "Eve's"), ("responsible", eve_id.as_str()), ("tags", s.as_str())];
    assert_eq!(eve.post_form("/tasks", &new).await.status, 422);
    assert_eq!(app.count("tasks", Cond::all().add(Expr::col("name").eq("Eve's"))).await, 0);

    // Her own tag: added beside Sales' one, which stays (she cannot see it, so she cannot remove it).
    let edit = [("name", "Ship samples"), ("responsible", eve_id.as_str()), ("new_tags", "Export only")];
    assert_eq!(eve.post_form(&format!("/tasks/{t}"), &edit).await.status, 303);
    assert_eq!(tags_of(&app, "task", t).await, 2);
    assert_eq!(eve.get(&format!("/tasks/{t}")).await.texts("#task-tags a"), ["Export only"]);
    assert_eq!(helen.get(&format!("/tasks/{t}")).await.texts("#task-tags a"), ["Sales only"]);
    // Helen untags hers: Eve's stays.
    let helen_edit = [("name", "Ship samples"), ("responsible", eve_id.as_str())];
    assert_eq!(helen.post_form(&format!("/tasks/{t}"), &helen_edit).await.status, 303);
    assert_eq!(helen.get(&format!("/tasks/{t}")).await.count("#task-tags a"), 0);
    assert_eq!(eve.get(&format!("/tasks/{t}")).await.texts("#task-tags a"), ["Export only"]);
}

#[tokio::test]
async fn the_task_and_project_lists_filter_by_tag_and_rows_show_their_tags() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = ["Helen.Head.Sales"];
    let a = task(&app, &helen, "Alpha", &me, &[], &[("new_tags", "Exhibition, Print")]).await;
    let b = task(&app, &helen, "Bravo", &me, &[], &[("new_tags", "Print")]).await;
    let c = task(&app, &helen, "Charlie", &me, &[], &[]).await;
    let (expo, print) = (tag_id(&app, "Sales", "exhibition").await, tag_id(&app, "Sales", "print").await);
    let list = helen.get("/tasks").await;
    assert_eq!(list.texts(&format!("tr#task-{a} .pill-tag")), ["Exhibition", "Print"]);
    assert_eq!(list.texts(&format!("tr#task-{b} .pill-tag")), ["Print"]);
    assert_eq!(list.count(&format!("tr#task-{c} .pill-tag")), 0);
    assert_eq!(list.texts("#tag-filter option"), ["Any tag", "Exhibition", "Print"]);
    let names = |p: crate::helpers::html::Page| p.texts("#task-list td.name > a");
    assert_eq!(names(helen.get(&format!("/tasks?tag={print}")).await), ["Bravo", "Alpha"]);
    assert_eq!(names(helen.get(&format!("/tasks?tag={expo}")).await), ["Alpha"]);
    // A chip links to the list filtered by its tag.
    let href = list.attr(&format!("tr#task-{b} .pill-tag"), "href").unwrap();
    assert_eq!(names(helen.get(&href).await), ["Bravo", "Alpha"]);
    // The edit form and a copy start with the task's tags ticked.
    let form = helen.get(&format!("/tasks/{a}/edit")).await;
    assert_eq!(form.attrs("input[name=tags][checked]", "value"), [expo.to_string(), print.to_string()]);
    let copy = helen.get(&format!("/tasks/new?copy={b}")).await;
    assert_eq!(copy.attrs("input[name=tags][checked]", "value"), [print.to_string()]);

    // Projects the same way.
    let p1 = create(&helen, "/projects", &[("name", "Spring"), ("tags", &print.to_string())]).await;
    let p2 = create(&helen, "/projects", &[("name", "Autumn")]).await;
    let projects = helen.get("/projects").await;
    assert_eq!(projects.texts(&format!("tr#project-{p1} .pill-tag")), ["Print"]);
    assert_eq!(projects.count(&format!("tr#project-{p2} .pill-tag")), 0);
    let only = helen.get(&format!("/projects?tag={print}")).await;
    assert_eq!(only.texts("#project-list td.name > a"), ["Spring"]);
    assert_eq!(helen.get(&format!("/projects/{p1}")).await.texts("#project-tags a"), ["Print"]);
    // A deleted task takes its tag links with it; the tag stays for the others.
    assert_eq!(helen.post_form(&format!("/tasks/{a}/delete"), &[]).await.status, 303);
    assert_eq!(tags_of(&app, "task", a).await, 0);
    assert_eq!(names(helen.get(&format!("/tasks?tag={print}")).await), ["Bravo"]);
}

/// The tags page: a department's people rename its tags (still unique case-insensitively, the
/// page re-shown with the reason when not) and delete them after a confirmation; a tag in use is
/// taken off its tasks and projects with it. Another department's tag can be neither.
#[tokio::test]
async fn a_departments_tags_are_renamed_and_deleted_on_the_tags_page() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = ["Helen.Head.Sales"];
    let t = task(&app, &helen, "Call the bank", &me, &[], &[("new_tags", "Urgent, Later")]).await;
    let p = create(&helen, "/projects", &[("name", "Fair in Lyon"), ("new_tags", "urgent")]).await;
    let urgent = tag_id(&app, "Sales", "urgent").await;
    let later = tag_id(&app, "Sales", "later").await;
    let eve = app.login_as("Eve.Manager.Export").await;
    create(&eve, "/projects", &[("name", "Export fair"), ("new_tags", "Export only")]).await;
    let export = tag_id(&app, "Export", "export only").await;

    // The task list leads there; the page lists the department's tags with their use.
    let list = helen.get("/tasks").await;
    assert_eq!(list.attr("#task-tags-link", "href").as_deref(), Some("/tasks/tags"));
    let page = helen.get("/tasks/tags").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.texts("#tag-list td.name a"), ["Later", "Urgent"]);
    assert_eq!(page.text(&format!("#tag-{urgent} td.muted")), "1 task, 1 project");
    assert!(!page.body.contains("Export only"), "another department's tag");
    let confirm = page.attr(&format!("#tag-{urgent} form[data-confirm]"), "data-confirm").unwrap();
    assert!(confirm.contains("1 task, 1 project"), "{confirm}");

    // Rename: the new name shows wherever the tag does, and open task and project lists (here
    // another department's user's) hear of it to re-fetch themselves.
    let mut stream = eve.sse().await;
    let r = helen.post_form(&format!("/tasks/tags/{urgent}"), &[("name", "  Very   urgent ")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    for event in ["task-changed", "project-changed"] {
        stream.expect(event, Duration::from_secs(5)).await;
    }
    assert_eq!(helen.get(&format!("/tasks/{t}")).await.texts("#task-tags a"), ["Later", "Very urgent"]);
    assert_eq!(helen.get(&format!("/projects/{p}")).await.texts("#project-tags a"), ["Very urgent"]);
    // A name the department has already, in any case, is refused: 422, the page and the reason.
    let r = helen.post_form(&format!("/tasks/tags/{urgent}"), &[("name", "LATER")]).await;
    assert_eq!(r.status, 422);
    assert!(r.text(&format!("#tag-{urgent}-error")).contains("already exists"), "{}", r.body);
    assert_eq!(r.attr(&format!("#tag-{urgent}-name"), "value").as_deref(), Some("LATER"), "what was typed");
    for bad in ["", "   ", &"x".repeat(51)] {
        assert_eq!(helen.post_form(&format!("/tasks/tags/{urgent}"), &[("name", bad)]).await.status, 422, "{bad:?}");
    }
    assert_eq!(app.field("task_tags", urgent, "name").await.as_deref(), Some("Very urgent"), "unchanged");
    // A change of case only is a rename of the same tag.
    let r = helen.post_form(&format!("/tasks/tags/{urgent}"), &[("name", "VERY urgent")]).await;
    assert_eq!(r.status, 303);
    for event in ["task-changed", "project-changed"] {
        stream.expect(event, Duration::from_secs(5)).await;
    }
    assert_eq!(app.field("task_tags", urgent, "name").await.as_deref(), Some("VERY urgent"));
    // Another department's tag: as if it did not exist, and nothing changes.
    for path in [format!("/tasks/tags/{export}"), format!("/tasks/tags/{export}/delete")] {
        assert_eq!(helen.post_form(&path, &[("name", "Mine")]).await.status, 404, "{path}");
    }
    assert_eq!(app.field("task_tags", export, "name").await.as_deref(), Some("Export only"));
    assert_eq!(app.count("item_tags", Cond::all().add(Expr::col("tag_id").eq(export))).await, 1);

    // Delete a tag in use: it leaves the task and the project, and is gone.
    assert_eq!(tags_of(&app, "task", t).await, 2);
    let r = helen.post_form(&format!("/tasks/tags/{urgent}/delete"), &[]).await;
    assert_eq!(r.status, 303);
    for event in ["task-changed", "project-changed"] {
        stream.expect(event, Duration::from_secs(5)).await;
    }
    assert_eq!(app.count("task_tags", Cond::all().add(Expr::col("id").eq(urgent))).await, 0);
    assert_eq!(app.count("item_tags", Cond::all().add(Expr::col("tag_id").eq(urgent))).await, 0);
    assert_eq!(tags_of(&app, "task", t).await, 1);
    assert_eq!(app.count("item_tags", Cond::all().add(Expr::col("tag_id").eq(later))).await, 1, "Later stays");
    assert_eq!(tags_of(&app, "project", p).await, 0);
    assert_eq!(helen.get(&format!("/tasks/{t}")).await.texts("#task-tags a"), ["Later"]);
    assert_eq!(helen.get("/tasks/tags").await.texts("#tag-list td.name a"), ["Later"]);
    assert_eq!(helen.post_form(&format!("/tasks/tags/{urgent}/delete"), &[]).await.status, 404, "gone");
    // Both changes are in the tag's history, with who made them; the refused renames left none.
    let history: Vec<(String, String)> = app
        .db
        .fetch_all(
            sea_query::Query::select()
                .columns(["action", "summary"])
                .from("history")
                .and_where(Expr::col("object_type").eq("task_tags"))
                .and_where(Expr::col("object_id").eq(urgent))
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert!(history[0].1.starts_with("Renamed the tag Urgent to Very urgent"), "{history:?}");
    assert!(history[2].1.starts_with("Deleted the tag VERY urgent (taken off 2"), "{history:?}");
    // The name is free again in the department.
    task(&app, &helen, "Again", &me, &[], &[("new_tags", "Very urgent")]).await;
    assert_eq!(helen.get("/tasks/tags").await.texts("#tag-list td.name a"), ["Later", "Very urgent"]);
}
