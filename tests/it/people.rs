//! People pickers: the `GET /people` endpoint (search, limit, active users only, logged-in users
//! only, a subtask's restricted Responsible), the pickers on forms and the task list filter, and
//! the keyboard in a real browser.

use std::time::Duration;

use fantoccini::key::Key;
use ferrocrm::access::ItemKind;
use ferrocrm::history::Actor;
use ferrocrm::participants::{self, PRole};
use ferrocrm::users::model::UserInput;
use ferrocrm::users::repo;

use crate::helpers::app::PASSWORD;
use crate::helpers::browser::Browser;
use crate::helpers::items::create;
use crate::helpers::{TestApp, spawn_app};

const WAIT: Duration = Duration::from_secs(5);

/// Adds active users "<first> Tester<n>" (username `<first>.tester<n>`), n = 1..=count.
async fn add_users(app: &TestApp, first: &str, count: usize) {
    let actor = Actor::system("test setup");
    let mut tx = app.db.begin().await.unwrap();
    for n in 1..=count {
        let input = UserInput {
            username: format!("{first}.tester{n}"),
            email: format!("{first}.tester{n}@example.com").to_lowercase(),
            first_name: first.to_string(),
            last_name: format!("Tester{n}"),
            department_id: None,
            roles: vec![ferrocrm::access::Role::CoWorker],
        };
        assert!(repo::insert(&mut tx, &input, "not-a-hash", &actor).await.is_ok());
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn people_search_matches_first_name_last_name_and_username_in_any_case() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let usernames = |q: &str| {
        let carl = &carl;
        let q = q.to_string();
        async move { carl.get(&format!("/people?field=subscribers&q={q}")).await.texts(".picker-username") }
    };

    assert_eq!(usernames("hele").await, ["Helen.Head.Sales"], "first name");
    assert_eq!(usernames("MANAGER").await, ["Eve.Manager.Export", "Mark.Manager.Sales"], "last name, any case");
    assert_eq!(usernames("export").await, ["Eve.Manager.Export"], "username");
    assert_eq!(usernames("mark%20manager").await, ["Mark.Manager.Sales"], "every word must match");
    assert_eq!(usernames("%25").await, Vec::<String>::new(), "a LIKE wildcard is a plain character");
    let none = carl.get("/people?field=subscribers&q=nobody").await;
    assert_eq!(none.status, 200);
    assert_eq!(none.count("[role=option]"), 0);
    assert!(none.exists(".picker-empty"));
    // An option carries what the picker needs to make a chip.
    let p = carl.get("/people?field=responsible&q=helen").await;
    assert_eq!(p.attr("[role=option]", "data-id"), Some(app.uid("Helen.Head.Sales").await));
    assert_eq!(p.attr("[role=option]", "data-label").as_deref(), Some("Helen Head (Helen.Head.Sales)"));
    // Only the fields that are people pickers.
    assert_eq!(carl.get("/people?field=password&q=a").await.status, 400);
}

#[tokio::test]
async fn people_search_offers_at_most_twenty_people() {
    let app = spawn_app().await;
    add_users(&app, "Zed", 30).await;
    let carl = app.login_as("Carl.CoWorker").await;

    let p = carl.get("/people?field=subscribers&q=zed").await;

    assert_eq!(p.count("[role=option]"), 20);
    // Empty: the first twenty by name, so a small team can browse.
    assert_eq!(carl.get("/people?field=subscribers&q=").await.count("[role=option]"), 20);
    assert_eq!(carl.get("/people?field=subscribers&q=tester7").await.texts(".picker-username"), ["Zed.tester7"]);
}

#[tokio::test]
async fn people_search_leaves_out_inactive_users() {
    let app = spawn_app().await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let admin = app.login_as("Adam.Admin").await;
    assert_eq!(admin.get("/people?field=subscribers&q=mark").await.count("[role=option]"), 1);

    assert_eq!(admin.post_form(&format!("/admin/users/{mark}/deactivate"), &[]).await.status, 303);

    assert_eq!(admin.get("/people?field=subscribers&q=mark").await.count("[role=option]"), 0);
    assert_eq!(
        admin.get("/people?field=responsible&q=manager").await.texts(".picker-username"),
        ["Eve.Manager.Export"]
    );
}

#[tokio::test]
async fn people_search_refuses_anonymous_visitors() {
    let app = spawn_app().await;
    let anon = app.client();

    let page = anon.get("/people?field=responsible&q=helen").await;
    let fetch = anon.raw("GET", "/people?field=responsible&q=helen", &[("HX-Request", "true")], Vec::new()).await;

    assert_eq!(page.status, 303);
    assert!(page.header("location").unwrap_or_default().starts_with("/login"));
    assert_eq!(fetch.status, 401);
    assert_eq!(page.count("[role=option]") + fetch.count("[role=option]"), 0);
}

#[tokio::test]
async fn a_subtasks_responsible_picker_offers_only_the_main_tasks_responsible() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let (helen_id, mark_id) = (app.uid("Helen.Head.Sales").await, app.uid("Mark.Manager.Sales").await);
    let main =
        create(&helen, "/tasks", &[("name", "Fair stand"), ("responsible", &helen_id), ("responsible", &mark_id)])
            .await;

    let team = helen.get(&format!("/people?field=responsible&parent={main}&q=")).await;
    let marks = helen.get(&format!("/people?field=responsible&parent={main}&q=mar")).await;
    let subscribers = helen.get(&format!("/people?field=subscribers&parent={main}&q=")).await;

    assert_eq!(team.texts(".picker-username"), ["Helen.Head.Sales", "Mark.Manager.Sales"]);
    assert_eq!(marks.texts(".picker-username"), ["Mark.Manager.Sales"]);
    assert_eq!(subscribers.count("[role=option]"), 9, "subscribers are not restricted");
    // The subtask form's picker asks for exactly that.
    let form = helen.get(&format!("/tasks/new?parent={main}")).await;
    assert_eq!(
        form.attr("#f-responsible-picker", "data-src"),
        Some(format!("/people?field=responsible&parent={main}"))
    );
    // Someone who may not see the main task learns nothing about its team.
    let eve = app.login_as("Eve.Manager.Export").await;
    let outside = eve.get(&format!("/people?field=responsible&parent={main}&q=")).await;
    assert_eq!(outside.status, 404);
    assert_eq!(outside.count("[role=option]"), 0);
}

#[tokio::test]
async fn forms_show_the_chosen_people_as_chips_that_post_like_the_old_select() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let (helen_id, mark_id, carl_id) =
        (app.uid("Helen.Head.Sales").await, app.uid("Mark.Manager.Sales").await, app.uid("Carl.CoWorker").await);
    let id = create(
        &helen,
        "/tasks",
        &[("name", "Chips"), ("responsible", &mark_id), ("subscribers", &carl_id), ("co_owner_id", &helen_id)],
    )
    .await;

    let form = helen.get(&format!("/tasks/{id}/edit")).await;

    assert_eq!(
        form.attrs("#f-responsible-picker .chip input[type=hidden][name=responsible]", "value"),
        std::slice::from_ref(&mark_id)
    );
    assert_eq!(form.texts("#f-responsible-picker .chip-label"), ["Mark Manager (Mark.Manager.Sales)"]);
    assert_eq!(form.attrs("#f-subscribers-picker input[name=subscribers]", "value"), [carl_id]);
    assert_eq!(form.attr("#f-responsible-picker", "data-multiple").as_deref(), Some("true"));
    assert_eq!(form.attr("#f-co_owner_id-picker", "data-multiple").as_deref(), Some("false"));
    assert_eq!(form.attr("#f-responsible", "role").as_deref(), Some("combobox"));
    assert_eq!(form.attr("#f-responsible", "aria-controls").as_deref(), Some("f-responsible-list"));
    assert_eq!(form.attr("#f-responsible-list", "role").as_deref(), Some("listbox"));
    assert_eq!(form.attr("#f-responsible", "name"), None, "the typed text is not posted");
    assert_eq!(form.count("select[multiple]") + form.count(&format!("option[value='{mark_id}']")), 0);
    let memo = helen.get("/memos/new").await;
    assert_eq!(memo.attr("#f-recipient_id-picker", "data-src").as_deref(), Some("/people?field=recipient_id"));
}

#[tokio::test]
async fn the_task_list_no_longer_embeds_every_user_and_its_filter_pickers_follow_the_query() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.uid("Mark.Manager.Sales").await;
    create(&helen, "/tasks", &[("name", "Price list"), ("responsible", &mark)]).await;
    let small = helen.get("/tasks?responsible=all").await;

    add_users(&app, "Zed", 200).await;
    ferrocrm::users::people::People::invalidate(&app.state.people);
    let big = helen.get(&format!("/tasks?responsible={mark}")).await;

    println!(
        "task list: {} bytes, {} <option> with 9 users; {} bytes, {} <option> with 209 users",
        small.body.len(),
        small.count("option"),
        big.body.len(),
        big.count("option")
    );
    assert_eq!(big.count("option"), small.count("option"), "no option per user");
    assert!(big.count("option") < 20);
    assert!(big.body.len() < small.body.len() + 1_000, "the page does not grow with the number of users");
    assert!(!big.exists("select[name=owner]") && !big.exists("select[name=responsible]"));
    // The filter's pickers show the query's person, and post it under the same name.
    assert_eq!(big.attrs("#f-responsible-picker input[name=responsible]", "value"), std::slice::from_ref(&mark));
    assert_eq!(big.texts("#f-responsible-picker .chip-label"), ["Mark Manager (Mark.Manager.Sales)"]);
    assert_eq!(big.count("#f-owner-picker .chip"), 0);
    assert_eq!(big.texts("#task-list td.name a"), ["Price list"]);
}

/// Presses keys in the focused element.
async fn keys(b: &Browser, css: &str, k: &str) {
    b.type_into(css, k).await;
}

#[tokio::test]
async fn the_responsible_picker_works_with_the_keyboard_alone() {
    let app = spawn_app().await;
    let b = Browser::start().await;
    b.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    b.goto(&format!("{}/tasks/new", app.base)).await;
    b.type_into("#f-name", "Keyboard task").await;
    // The creator is the default responsible; Backspace in the empty search removes that chip.
    assert_eq!(b.text("#f-responsible-picker .chip-label").await, "Helen Head (Helen.Head.Sales)");
    keys(&b, "#f-responsible", &Key::Backspace.to_string()).await;
    assert_eq!(b.js("return document.querySelectorAll('#f-responsible-picker .chip').length").await, 0);

    // "man" finds the two managers; ArrowDown moves to the second (Mark), Enter picks him.
    keys(&b, "#f-responsible", "man").await;
    b.wait_text("#f-responsible-list", WAIT, |t| t.contains("Eve") && t.contains("Mark")).await;
    assert_eq!(b.attr("#f-responsible", "aria-expanded").await.as_deref(), Some("true"));
    b.shot("picker-open.png").await;
    keys(&b, "#f-responsible", &Key::Down.to_string()).await;
    let active = b.attr("#f-responsible", "aria-activedescendant").await.expect("a highlighted option");
    assert_eq!(b.attr(&format!("#{active}"), "data-label").await.as_deref(), Some("Mark Manager (Mark.Manager.Sales)"));
    keys(&b, "#f-responsible", &Key::Enter.to_string()).await;
    // "car" finds Carl; Enter picks the first match.
    keys(&b, "#f-responsible", "car").await;
    b.wait_text("#f-responsible-list", WAIT, |t| t.contains("Carl")).await;
    keys(&b, "#f-responsible", &Key::Enter.to_string()).await;
    let chosen =
        "return Array.from(document.querySelectorAll('#f-responsible-picker .chip-label')).map(e => e.textContent)";
    assert_eq!(
        b.js(chosen).await,
        serde_json::json!(["Mark Manager (Mark.Manager.Sales)", "Carl CoWorker (Carl.CoWorker)"])
    );
    b.shot("picker-chips.png").await;
    // Escape closes a list; Backspace removes the last chip (Carl).
    keys(&b, "#f-responsible", "e").await;
    b.wait_text("#f-responsible-list", WAIT, |t| !t.is_empty()).await;
    keys(&b, "#f-responsible", &Key::Escape.to_string()).await;
    assert_eq!(b.attr("#f-responsible", "aria-expanded").await.as_deref(), Some("false"));
    keys(&b, "#f-responsible", &Key::Backspace.to_string()).await;
    keys(&b, "#f-responsible", &Key::Backspace.to_string()).await;
    assert_eq!(b.js(chosen).await, serde_json::json!(["Mark Manager (Mark.Manager.Sales)"]));

    b.click("main form button[type=submit].btn-primary").await;
    b.wait_text("main h1", WAIT, |t| t.contains("Keyboard task")).await;
    let id: i64 = b.js("return location.pathname.split('/').pop()").await.as_str().unwrap().parse().unwrap();
    let responsible = participants::of(&app.db, ItemKind::Task, id).await.unwrap().users(PRole::Responsible);
    assert_eq!(responsible, [app.user_id("Mark.Manager.Sales").await]);

    // The task list's Responsible filter is a picker too: choosing Mark filters the list.
    let helen = app.login_as("Helen.Head.Sales").await;
    create(&helen, "/tasks", &[("name", "Helen's own"), ("responsible", &app.uid("Helen.Head.Sales").await)]).await;
    // By default (§14.1) a non-chief's list shows the tasks she is responsible for.
    b.goto(&format!("{}/tasks", app.base)).await;
    b.wait_text("#task-list", WAIT, |t| t.contains("Helen's own") && !t.contains("Keyboard task")).await;
    assert_eq!(b.text("#f-responsible-picker .chip-label").await, "Helen Head (Helen.Head.Sales)");
    keys(&b, "#f-responsible", "mark").await;
    b.wait_text("#f-responsible-list", WAIT, |t| t.contains("Mark")).await;
    keys(&b, "#f-responsible", &Key::Enter.to_string()).await;
    b.wait_text("#task-list", WAIT, |t| !t.contains("Helen's own") && t.contains("Keyboard task")).await;
    let at = b.js("return location.search").await;
    assert!(at.as_str().unwrap_or_default().contains(&format!("responsible={}", app.uid("Mark.Manager.Sales").await)));
    b.shot("picker-filter.png").await;
    // Removing the chip shows everyone's tasks (not the default again).
    b.click("#f-responsible-picker .chip-remove").await;
    b.wait_text("#task-list", WAIT, |t| t.contains("Helen's own") && t.contains("Keyboard task")).await;
    b.close().await;
}
