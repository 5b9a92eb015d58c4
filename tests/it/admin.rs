//! The administrator's pages: users and departments, and the history their changes write.

use std::time::Duration;

use ferrocrm::access::Role;
use ferrocrm::routes::ROUTES;
use ferrocrm::security::ADMIN_PREFIX;

use crate::helpers::app::USERS;
use crate::helpers::snapshot::snapshot;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_admin_creates_a_user_who_then_sees_the_sections_of_their_role() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    admin.get("/admin/users/new").await;
    let dept = ferrocrm::users::repo::departments(&app.db).await.unwrap()[0].id.to_string();
    let p = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "Nina.New"),
                ("email", "nina@example.com"),
                ("first_name", "Nina"),
                ("last_name", "New"),
                ("department_id", &dept),
                ("roles", "sales-manager"),
                ("roles", "co-worker"),
                ("password", "nina's long password"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.text("h1.page-title"), "Nina New");
    assert_eq!(p.texts("dd .pills .pill"), ["Sales manager", "Co-worker"]);

    let nina = app.client();
    nina.login("Nina.New", "nina's long password").await;
    let home = nina.get("/").await;
    assert_eq!(home.texts("nav.sidebar h2.nav-title"), ["Tasks", "Sales"], "a sales manager has the Sales menu");
    assert_eq!(nina.get("/admin/users").await.status, 404);
}

#[tokio::test]
async fn an_invalid_user_form_comes_back_with_messages_and_422() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    admin.get("/admin/users/new").await;
    let p = admin
        .post_form(
            "/admin/users",
            &[("username", "Carl.CoWorker"), ("email", "not-an-address"), ("roles", "co-worker")],
        )
        .await;
    assert_eq!(p.status, 422);
    assert!(p.exists("div.form-errors"));
    assert!(p.field_error("email").is_some(), "{}", p.body);
    // Nothing half-written: still exactly one Carl.
    let carls = ferrocrm::users::repo::id_by_username(&app.db, "Carl.CoWorker").await.unwrap();
    assert!(carls.is_some());
    let again = admin
        .post_form("/admin/users", &[("username", "Carl.CoWorker"), ("email", "c@example.com"), ("roles", "co-worker")])
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(again.field_error("username").as_deref(), Some("This username is taken."));
}

#[tokio::test]
async fn editing_a_user_records_each_changed_field_in_the_history() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    let carl = app.user_id("Carl.CoWorker").await;
    admin.get(&format!("/admin/users/{carl}/edit")).await;
    let p = admin
        .post_form(
            &format!("/admin/users/{carl}"),
            &[
                ("username", "Carl.CoWorker"),
                ("email", "carl.new@example.com"),
                ("first_name", "Carlos"),
                ("last_name", "CoWorker"),
                ("roles", "co-worker"),
                ("roles", "task-operator"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let h = admin.get(&format!("/admin/users/{carl}/history")).await;
    assert_eq!(h.status, 200);
    let fields = h.texts("ol.history li.history-item:first-child table.diff td.field");
    assert!(fields.contains(&"first_name".to_string()) || fields.contains(&"First name".to_string()), "{fields:?}");
    assert!(fields.iter().any(|f| f.to_lowercase().contains("email")), "{fields:?}");
    assert!(fields.iter().any(|f| f.to_lowercase().contains("role")), "{fields:?}");
    assert!(h.texts("ol.history li.history-item:first-child td.new").iter().any(|t| t == "Carlos"));
    assert!(h.texts("ol.history li.history-item:first-child td.old").iter().any(|t| t == "Carl"));
    // Who did it is recorded too.
    assert!(h.text("ol.history li.history-item:first-child .history-meta strong").contains("Adam"));
    // Only administrators read it.
    let other = app.login_as("Garry.Chief").await;
    assert_eq!(other.get(&format!("/admin/users/{carl}/history")).await.status, 404);
}

#[tokio::test]
async fn renaming_a_department_is_recorded_and_its_history_outlives_it() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    admin.get("/admin/departments").await;
    assert_eq!(admin.post_form("/admin/departments", &[("name", "Marketing")]).await.status, 303);
    let id = ferrocrm::users::repo::departments(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "Marketing")
        .unwrap()
        .id;
    admin.get(&format!("/admin/departments/{id}")).await;
    assert_eq!(admin.post_form(&format!("/admin/departments/{id}"), &[("name", "Brand")]).await.status, 303);
    assert_eq!(admin.post_form(&format!("/admin/departments/{id}/delete"), &[]).await.status, 303);
    let h = admin.get(&format!("/admin/departments/{id}/history")).await;
    assert_eq!(h.status, 200);
    let actions = h.texts("ol.history .history-meta .badge");
    assert_eq!(actions, ["delete", "update", "create"]);
    assert!(h.texts("td.new").contains(&"Brand".to_string()));
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_and_live_stream_at_once() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let mut stream = carl.sse().await;
    assert_eq!(stream.status, 200);
    let id = app.user_id("Carl.CoWorker").await;
    admin.get(&format!("/admin/users/{id}")).await;
    let p = admin.post_form(&format!("/admin/users/{id}/deactivate"), &[]).await;
    assert_eq!(p.status, 303);
    assert!(stream.is_closed(Duration::from_secs(3)).await, "the live stream stayed open");
    let after = carl.get("/").await;
    assert_eq!(after.status, 303, "the session survived deactivation");
    let again = app.client().try_login("Carl.CoWorker", crate::helpers::app::PASSWORD).await;
    assert_eq!(again.status, 422, "a deactivated user logged in");
    // Reactivated, they may log in again.
    admin.get(&format!("/admin/users/{id}")).await;
    assert_eq!(admin.post_form(&format!("/admin/users/{id}/activate"), &[]).await.status, 303);
    app.client().login("Carl.CoWorker", crate::helpers::app::PASSWORD).await;
}

#[tokio::test]
async fn a_password_reset_shows_the_new_password_once_and_ends_old_sessions() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let id = app.user_id("Carl.CoWorker").await;
    admin.get(&format!("/admin/users/{id}")).await;
    let p = admin.post_form(&format!("/admin/users/{id}/password"), &[]).await;
    assert_eq!(p.status, 200);
    let new_pw = p.text("code.secret");
    assert!(new_pw.len() >= 12, "{new_pw}");
    assert_eq!(carl.get("/").await.status, 303);
    assert_eq!(app.client().try_login("Carl.CoWorker", crate::helpers::app::PASSWORD).await.status, 422);
    app.client().login("Carl.CoWorker", &new_pw).await;
    // The reset is in the history, without the password.
    let h = admin.get(&format!("/admin/users/{id}/history")).await;
    assert!(h.body.contains("Password reset by an administrator"));
    assert!(!h.body.contains(&new_pw));
}

/// Every `/admin/...` route in the table, as every role but the administrator's: the same 404 as a page
/// that does not exist, for reads and writes (with a valid CSRF token), and nothing changes.
#[tokio::test]
async fn every_admin_route_answers_404_to_everyone_else_and_changes_nothing() {
    let app = spawn_app().await;
    let carl = app.user_id("Carl.CoWorker").await;
    let department = ferrocrm::users::repo::departments(&app.db).await.unwrap()[0].id;
    let routes: Vec<_> = ROUTES.iter().filter(|(_, p)| p.starts_with(ADMIN_PREFIX)).collect();
    assert!(routes.len() >= 16, "{routes:?}");
    // A queued user transfer (§11.3), for `/admin/transfers/:id`: a manager moved to Export.
    let moved = app.user_id("Mark.Manager.Sales").await;
    let export = crate::helpers::crm::department(&app, "Export").await;
    let actor = ferrocrm::history::Actor::system("test");
    let start = ferrocrm::users::transfer_job::Start {
        user: moved,
        from_name: "Sales",
        to: export,
        to_name: "Export",
        actor: &actor,
    };
    let mut tx = app.db.begin().await.unwrap();
    let transfer = ferrocrm::users::transfer_job::start(&mut tx, &start).await.unwrap();
    tx.commit().await.unwrap();
    let url = |path: &str| {
        let id = if path.starts_with("/admin/departments") {
            department
        } else if path.starts_with("/admin/transfers") {
            transfer
        } else {
            carl
        };
        path.replace(":id", &id.to_string())
    };
    let mut others = Vec::new();
    for (name, roles, _) in USERS.iter().filter(|(_, roles, _)| !roles.contains(&Role::Admin)) {
        others.push((name, roles, app.login_as(name).await));
    }
    let before = snapshot(&app.db).await;
    let hostile = [("username", "Hacked"), ("first_name", "X"), ("roles", "admin"), ("name", "Hacked")];

    for (name, roles, c) in &others {
        let missing = c.get("/no-such-page").await;
        assert_eq!(missing.status, 404);
        for (method, path) in &routes {
            let p = match *method {
                "GET" => c.get(&url(path)).await,
                _ => c.post_form(&url(path), &hostile).await,
            };
            assert_eq!(p.status, 404, "{name} {roles:?}: {method} {path}");
            assert_eq!(p.body, missing.body, "{name}: {method} {path} must look like a missing page");
            let hx = match *method {
                "GET" => c.hx_get(&url(path)).await,
                _ => c.hx_post(&url(path), &hostile).await,
            };
            assert_eq!(hx.status, 404, "{name} (htmx): {method} {path}");
        }
        assert_eq!(c.get("/%61dmin/users").await.status, 404, "{name}: an encoded path");
    }
    assert_eq!(snapshot(&app.db).await, before, "a refused request changed the database");

    // The control: the administrator reaches every page, and the same kind of post does write.
    let admin = app.login_as("Adam.Admin").await;
    for (_, path) in routes.iter().filter(|(m, _)| *m == "GET") {
        assert_eq!(admin.get(&url(path)).await.status, 200, "GET {path}");
    }
    let reached = snapshot(&app.db).await;
    assert_eq!(admin.post_form(&url("/admin/departments/:id"), &[("name", "Renamed")]).await.status, 303);
    assert_ne!(snapshot(&app.db).await, reached);
}
