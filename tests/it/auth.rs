//! Login, logout, sessions, throttling, the shell each role sees.

use std::time::Duration;

use crate::helpers::{TestApp, app::Options, spawn_app};

#[tokio::test]
async fn pages_redirect_to_login_and_come_back_after_it() {
    let app = spawn_app().await;
    let c = app.client();
    let p = c.get("/admin/users?q=ann").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.header("location").as_deref(), Some("/login?next=%2Fadmin%2Fusers%3Fq%3Dann"));
    let form = c.get(&p.header("location").unwrap()).await;
    assert_eq!(form.attr("input[name=next]", "value").as_deref(), Some("/admin/users?q=ann"));
    let done = c
        .post_form(
            "/login",
            &[("username", "Adam.Admin"), ("password", "test-password-1"), ("next", "/admin/users?q=ann")],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.header("location").as_deref(), Some("/admin/users?q=ann"));
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let app = spawn_app().await;
    let c = app.client();
    c.get("/login").await;
    let p = c
        .post_form(
            "/login",
            &[("username", "Carl.CoWorker"), ("password", "test-password-1"), ("next", "//evil.example/")],
        )
        .await;
    assert_eq!(p.header("location").as_deref(), Some("/"));
}

#[tokio::test]
async fn a_wrong_password_shows_a_message_and_no_session() {
    let app = spawn_app().await;
    let c = app.client();
    let p = c.try_login("Carl.CoWorker", "not it").await;
    assert_eq!(p.status, 422);
    assert!(p.text("div.form-errors").contains("do not match"));
    assert_eq!(c.get("/").await.status, 303);
}

#[tokio::test]
async fn login_issues_a_new_session_id_and_logout_ends_it() {
    let app = spawn_app().await;
    let c = app.client();
    c.get("/login").await;
    let p = c.post_form("/login", &[("username", "Carl.CoWorker"), ("password", "test-password-1")]).await;
    let cookie = p.header("set-cookie").unwrap_or_default();
    assert!(
        cookie.starts_with("ferrocrm_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let token = cookie.split(';').next().unwrap().trim_start_matches("ferrocrm_session=").to_string();
    assert_eq!(token.len(), 64);
    c.get("/").await;
    let out = c.post_form("/logout", &[]).await;
    assert_eq!(out.status, 303);
    // The old cookie no longer opens anything, even if a browser kept it.
    let replay = app.client();
    let r = replay.raw("GET", "/", &[("Cookie", &format!("ferrocrm_session={token}"))], vec![]).await;
    assert_eq!(r.status, 303);
}

#[tokio::test]
async fn repeated_failures_slow_down_logins_for_that_account() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let c = app.client();
    for _ in 0..5 {
        assert_eq!(c.try_login("Mark.Manager.Sales", "wrong").await.status, 422);
    }
    let p = c.try_login("Mark.Manager.Sales", "test-password-1").await;
    assert_eq!(p.status, 429, "the right password must wait too while the account is throttled");
    let retry: u64 = p.header("retry-after").expect("Retry-After on a 429").parse().expect("whole seconds");
    assert!((1..=300).contains(&retry), "{retry}");
    let plural = if retry == 1 { "" } else { "s" };
    let message = format!("Too many failed attempts. Wait {retry} second{plural} and try again.");
    assert_eq!(p.text("div.form-errors"), message, "the page and the header say the same wait");
    // Another account from another client is not affected.
    assert_eq!(app.client().try_login("Carl.CoWorker", "test-password-1").await.status, 303);
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    let here = app.login_as("Carl.CoWorker").await;
    let there = app.login_as("Carl.CoWorker").await;
    let mut there_stream = there.sse().await;
    here.get("/profile/password").await;
    let p = here
        .post_form(
            "/profile/password",
            &[("current", "test-password-1"), ("password", "another good secret"), ("confirm", "another good secret")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(here.get("/").await.status, 200);
    assert_eq!(there.get("/").await.status, 303);
    there_stream.expect("logout", Duration::from_secs(2)).await;
    assert!(there_stream.is_closed(Duration::from_secs(2)).await);
    assert_eq!(app.client().try_login("Carl.CoWorker", "another good secret").await.status, 303);
}

#[tokio::test]
async fn password_rules_are_explained() {
    let app = spawn_app().await;
    let c = app.login_as("Carl.CoWorker").await;
    c.get("/profile/password").await;
    let p = c.post_form("/profile/password", &[("current", "nope"), ("password", "short"), ("confirm", "other")]).await;
    assert_eq!(p.status, 422);
    assert!(p.field_error("current").is_some());
    assert!(p.field_error("password").unwrap().contains("10 characters"));
    assert!(p.field_error("confirm").is_some());
}

#[tokio::test]
async fn each_role_sees_only_the_sections_it_may_use() {
    let app = spawn_app().await;
    for (user, admin_section) in
        [("Adam.Admin", true), ("Garry.Chief", false), ("Carl.CoWorker", false), ("Anna.Accountant", false)]
    {
        let c = app.login_as(user).await;
        let home = c.get("/").await;
        assert_eq!(home.status, 200);
        assert!(home.exists("header.topbar a#bell"), "{user}: bell");
        assert!(home.exists("header.topbar form.search input[name=q]"), "{user}: search");
        let titles = home.texts("nav.sidebar h2.nav-title");
        assert_eq!(titles.contains(&"Admin".to_string()), admin_section, "{user}: {titles:?}");
        let users = c.get("/admin/users").await;
        assert_eq!(users.status == 200, admin_section, "{user}: /admin/users answered {}", users.status);
    }
}

#[tokio::test]
async fn the_bell_counts_unread_notifications() {
    let app = spawn_app().await;
    let carl_id = app.user_id("Carl.CoWorker").await;
    let mut tx = app.db.begin().await.unwrap();
    for i in 0..3 {
        let title = format!("Note {i}");
        let n = ferrocrm::notifications::Notice { user_id: carl_id, title: &title, body: "", url: "/", object: None };
        ferrocrm::notifications::send(&mut tx, &app.state.config, &n).await.unwrap();
    }
    tx.commit().await.unwrap();
    let c = app.login_as("Carl.CoWorker").await;
    let home = c.get("/").await;
    assert_eq!(home.text("#bell .badge"), "3");
    let list = c.get("/notifications").await;
    assert_eq!(list.count("li.notification.unread"), 3);
    let p = c.post_form("/notifications/read-all", &[]).await;
    assert_eq!(p.status, 303);
    let bell = c.hx_get("/notifications/bell").await;
    assert!(bell.is_fragment());
    assert_eq!(bell.count("#bell .badge"), 0);
    // Someone else's notifications stay invisible.
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(mark.get("/notifications").await.count("li.notification"), 0);
}
