//! The shell, health, assets, security headers, CSRF sweep, live stream, outbox and jobs.

use std::time::Duration;

use ferrocrm::events::DomainEvent;
use ferrocrm::routes::{CSRF_EXEMPT, PUBLIC, ROUTES};
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::smtp::SmtpSink;
use crate::helpers::snapshot::snapshot;
use crate::helpers::sse::{CONTROL, control};
use crate::helpers::{TestApp, app::Options, spawn_app};

/// `:id`-style parameters replaced with a value that exists (user/department ids of the seed data).
fn concrete(path: &str, id: i64) -> String {
    path.replace(":hash", "x").replace(":name", "app.css").replace(":cid", "logo@x").replace(":id", &id.to_string())
}

/// Ids of existing objects of each kind, for walking the route table.
struct Ids {
    user: i64,
    department: i64,
    notification: i64,
    memo: i64,
    task: i64,
    project: i64,
    file: i64,
    reminder: i64,
    /// An Excel import (its preview) of the user's.
    import: i64,
    /// A user transfer (§11.3), queued.
    transfer: i64,
    /// A deal's line item with a contract shipping date (a shipment, §13.6).
    shipment: i64,
    /// A deal stage (`/dictionaries/deal-stages/:id`).
    stage: i64,
    /// CRM rows by path segment (`companies`), one each.
    crm: std::collections::HashMap<&'static str, i64>,
    /// A lead source's web-form token (`/contact-form/:token/`).
    token: String,
    /// A mail account of the user's.
    mail_account: i64,
    /// An email signature of the user's.
    signature: i64,
    /// A one-click completion link of the user's task (`/task-done/:token`).
    task_link: String,
}

async fn existing_ids(app: &TestApp, for_user: &str) -> Ids {
    let user = app.user_id("Carl.CoWorker").await;
    let department = ferrocrm::users::repo::departments(&app.db).await.unwrap()[0].id;
    let owner = app.user_id(for_user).await;
    let mut tx = app.db.begin().await.unwrap();
    let n = ferrocrm::notifications::Notice { user_id: owner, title: "Hello", body: "", url: "/", object: None };
    ferrocrm::notifications::send(&mut tx, &app.state.config, &n).await.unwrap();
    tx.commit().await.unwrap();
    let list = ferrocrm::notifications::list(&app.db, &app.state_viewer(owner).await, false, None).await.unwrap();
    // One memo, task (with a file) and project, made through the forms by `for_user`, and a reminder.
    let c = app.login_as(for_user).await;
    let me = owner.to_string();
    let memo = crate::helpers::items::create(&c, "/memos", &[("name", "M"), ("recipient_id", &me)]).await;
    let task = crate::helpers::items::created_id(
        &c.post_multipart(
            "/tasks",
            &[("name", "T"), ("responsible", &me)],
            &[("files", "a.txt", "text/plain", b"a".to_vec())],
        )
        .await,
    );
    let project = crate::helpers::items::create(&c, "/projects", &[("name", "P")]).await;
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
    c.post_form(&format!("/tasks/{task}/reminders"), &[("remind_at", &at), ("text", "R")]).await;
    let file = ferrocrm::files::of(&app.db, "task", task).await.unwrap()[0].id;
    let reminder =
        ferrocrm::reminders::on_item(&app.db, &app.state_viewer(owner).await, ferrocrm::access::ItemKind::Task, task)
            .await
            .unwrap()[0]
            .id;
    // One of each CRM kind, in the first user's department with the sales roles.
    let sales = crate::helpers::crm::department(app, "Sales").await;
    let made = crate::helpers::crm::spread(app, &[sales], &[Some(app.user_id("Mark.Manager.Sales").await)], None).await;
    let crm: std::collections::HashMap<&'static str, i64> = made
        .rows
        .iter()
        .filter_map(|(slug, id)| ferrocrm::kinds::by_slug(slug).map(|k| (&k.info().path[1..], *id)))
        .collect();
    let empty = ferrocrm::crm::import::plan::Plan { rows: vec![], skipped: vec![], departments: Default::default() };
    let owner = app.user_id(for_user).await;
    let import = ferrocrm::crm::import::store(&app.db, owner, &ferrocrm::crm::company::SPEC, "list.xlsx", 0, &empty)
        .await
        .unwrap();
    let export = crate::helpers::crm::department(app, "Export").await;
    let now = ferrocrm::db::now();
    let product: i64 = app
        .db
        .scalar(Query::select().column("id").from("products").and_where(Expr::col("department_id").eq(sales)).limit(1))
        .await
        .unwrap()
        .expect("a product");
    let stage: i64 = app
        .db
        .scalar(
            Query::select().column("id").from("deal_stages").and_where(Expr::col("department_id").eq(sales)).limit(1),
        )
        .await
        .unwrap()
        .expect("a stage");
    let mut tx = app.db.begin().await.unwrap();
    let shipment: i64 = tx
        .scalar(
            Query::insert()
                .into_table("outputs")
                .columns(["deal_id", "product_id", "quantity", "shipping_date", "created_at", "updated_at"])
                .values_panic([
                    made.rows.iter().find(|(k, _)| *k == "deal").map(|(_, id)| *id).expect("a deal").into(),
                    product.into(),
                    1i64.into(),
                    chrono::Utc::now().date_naive().into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col("id"),
        )
        .await
        .unwrap()
        .expect("id");
    let actor = ferrocrm::history::Actor::system("test");
    let start =
        ferrocrm::users::transfer_job::Start { user, from_name: "Sales", to: export, to_name: "Export", actor: &actor };
    let transfer = ferrocrm::users::transfer_job::start(&mut tx, &start).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let later = chrono::Utc::now() + chrono::Duration::days(1);
    let pending = ferrocrm::tasks::model::Stage::Pending;
    let cipher = &app.state.mail.cipher;
    let task_link = ferrocrm::tasks::links::issue_at(&mut tx, cipher, task, owner, pending, later).await.unwrap();
    tx.commit().await.unwrap();
    let token: String = app
        .db
        .scalar(Query::select().column("token").from("lead_sources").limit(1))
        .await
        .unwrap()
        .expect("a lead source");
    let form = ferrocrm::mail_accounts::model::AccountForm {
        name: "Work".into(),
        email: "work@example.com".into(),
        smtp_host: "127.0.0.1".into(),
        ..Default::default()
    };
    let mut tx = app.db.begin().await.unwrap();
    let mail_account = ferrocrm::mail_accounts::repo::insert(
        &mut tx,
        &app.state.mail.cipher,
        &form.validate(false).unwrap(),
        owner,
        &actor,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // The email's stored original (its view and download routes answer 404 without one).
    {
        let email = crm["emails"];
        // With an inline image (`/emails/:id/inline/:cid`, Content-ID `logo@x`).
        let raw = b"From: a@example.com\r\nSubject: Hello\r\nContent-Type: multipart/related; boundary=\"r\"\r\n\r\n\
--r\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo@x\">\r\n\
--r\r\nContent-Type: image/gif\r\nContent-ID: <logo@x>\r\n\r\nGIF89a\x01\x00\x01\x00\r\n--r--\r\n";
        let up = ferrocrm::files::Upload::from_bytes(&app.state.files.tmp_dir(), "m.eml", "message/rfc822", raw)
            .await
            .unwrap();
        let mut tx = app.db.begin().await.unwrap();
        let file = app.state.files.blob(&mut tx, &up).await.expect("stored");
        tx.execute(Query::update().table("crm_emails").value("raw_file_id", file).and_where(Expr::col("id").eq(email)))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let signature: i64 = {
        let c = app.login_as(for_user).await;
        assert_eq!(c.post_form("/signatures", &[("name", "Mine"), ("content", "Me")]).await.status, 303);
        app.db
            .scalar(Query::select().expr(Expr::col("id").max()).from("signatures"))
            .await
            .unwrap()
            .expect("a signature")
    };
    Ids {
        mail_account,
        signature,
        task_link,
        user,
        department,
        notification: list.items[0].id,
        memo,
        task,
        project,
        file,
        reminder,
        import,
        transfer,
        shipment,
        stage,
        crm,
        token,
    }
}

fn with_ids(path: &str, ids: &Ids) -> String {
    let id = match path.split('/').nth(1).unwrap_or("") {
        "admin" if path.starts_with("/admin/departments") => ids.department,
        "admin" if path.starts_with("/admin/transfers") => ids.transfer,
        "notifications" => ids.notification,
        "memos" => ids.memo,
        "tasks" => ids.task,
        "projects" => ids.project,
        "files" => ids.file,
        segment if ids.crm.contains_key(segment) => ids.crm[segment],
        "reminders" => ids.reminder,
        // The migration's first currency.
        "currencies" => 1,
        "imports" => ids.import,
        "shipments" => ids.shipment,
        "mail-accounts" => ids.mail_account,
        "dictionaries" => return concrete(&path.replace(":dict", "deal-stages"), ids.stage),
        "contact-form" => return path.replace(":token", &ids.token),
        "task-done" => return path.replace(":token", &ids.task_link),
        "analytics" => return path.replace(":report", "funnel"),
        "signatures" => ids.signature,
        _ => ids.user,
    };
    concrete(path, id)
}

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let app = spawn_app().await;
    let p = app.client().get("/healthz").await;
    assert_eq!(p.status, 200);
    assert_eq!(p.body, "ok");
}

#[tokio::test]
async fn every_route_in_the_table_answers() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    let ids = existing_ids(&app, "Adam.Admin").await;
    for (method, path) in ROUTES.iter().filter(|(m, _)| *m == "GET") {
        if *path == "/events" {
            continue;
        }
        let p = admin.get(&with_ids(path, &ids)).await;
        assert_ne!(p.status, 404, "{method} {path} is in ROUTES but answers 404");
        assert!(p.status.as_u16() < 500, "{method} {path}: {}", p.status);
    }
}

#[tokio::test]
async fn only_public_routes_answer_without_a_login() {
    let app = spawn_app().await;
    let anon = app.client();
    for (method, path) in ROUTES {
        let p = anon.raw(method, &concrete(path, 1), &[("Accept", "text/html")], vec![]).await;
        if PUBLIC.contains(path) && *method == "GET" {
            assert!(p.status.as_u16() < 400 || p.status == 404, "{method} {path}: {}", p.status);
        } else if CSRF_EXEMPT.contains(path) {
            // The public request intake answers by its own rules (no such lead source, invalid form).
            assert!(p.status.as_u16() < 500 && p.status != 403, "{method} {path}: {}", p.status);
        } else if PUBLIC.contains(path) {
            assert_eq!(p.status, 403, "{method} {path} without a CSRF token");
        } else if *method == "GET" && *path != "/events" {
            assert_eq!(p.status, 303, "{method} {path} must send strangers to the login page");
            assert!(p.header("location").unwrap_or_default().starts_with("/login"));
        } else {
            assert!(p.status == 401 || p.status == 403 || p.status == 303, "{method} {path}: {}", p.status);
        }
    }
}

#[tokio::test]
async fn unsafe_routes_refuse_requests_without_a_valid_csrf_token_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    let victim = app.user_id("Carl.CoWorker").await;
    let before = snapshot(&app.db).await;
    let form = "username=Hacked&first_name=X&roles=admin&name=Hacked";
    for (method, path) in ROUTES.iter().filter(|(m, _)| *m != "GET") {
        if CSRF_EXEMPT.contains(path) {
            continue;
        }
        let url = concrete(path, victim);
        let form_ct = ("Content-Type", "application/x-www-form-urlencoded");
        let origin = ("Origin", app.base.as_str());
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);
        let cases: Vec<Case> = vec![
            ("no token", vec![form_ct, origin], form.to_string()),
            ("wrong token", vec![form_ct, origin, ("X-CSRF-Token", "0000")], form.to_string()),
            (
                "foreign origin with a valid token",
                vec![form_ct, ("Origin", "https://evil.example")],
                format!("{form}&csrf_token={}", admin.csrf()),
            ),
            (
                "cross-site fetch metadata",
                vec![form_ct, ("Sec-Fetch-Site", "cross-site")],
                format!("{form}&csrf_token={}", admin.csrf()),
            ),
        ];
        for (what, headers, body) in cases {
            let p = admin.raw(method, &url, &headers, body.into_bytes()).await;
            assert_eq!(p.status, 403, "{method} {path} with {what} answered {}", p.status);
        }
    }
    assert_eq!(snapshot(&app.db).await, before, "a refused request changed the database");
    // The fingerprint does notice a change: the same kind of request with a valid token writes.
    admin.get("/admin/departments").await;
    assert_eq!(admin.post_form("/admin/departments", &[("name", "Legit")]).await.status, 303);
    assert_ne!(snapshot(&app.db).await, before);
    let still = admin.get(&format!("/admin/users/{victim}")).await;
    assert_eq!(still.status, 200);
    assert!(!still.text("h1.page-title").contains("Hacked"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let admin = app.login_as("Adam.Admin").await;
    for path in ["/", "/login", "/healthz", "/admin/users", "/no-such-page"] {
        let p = admin.get(path).await;
        let csp = p.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(p.header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(p.header("referrer-policy").as_deref(), Some("same-origin"), "{path}");
        assert_eq!(p.header("cache-control").as_deref(), Some("no-store"), "{path}");
        assert!(p.header("vary").unwrap_or_default().contains("HX-Request"), "{path}");
    }
}

#[tokio::test]
async fn assets_are_served_under_content_hash_urls_with_a_long_cache() {
    let app = spawn_app().await;
    let c = app.client();
    let login = c.get("/login").await;
    let css = login.attr("link[rel=stylesheet]", "href").expect("stylesheet link");
    assert!(css.starts_with("/assets/") && css.ends_with("/app.css"));
    let scripts = login.attrs("script[src]", "src");
    assert_eq!(scripts.len(), 6, "htmx, its SSE extension, app, picker, board, charts: {scripts:?}");
    assert!(scripts.iter().all(|s| s.starts_with("/assets/")), "an asset from outside: {scripts:?}");
    let r = c.get(&css).await;
    assert_eq!(r.status, 200);
    assert!(r.header("cache-control").unwrap_or_default().contains("immutable"));
    assert!(r.header("content-type").unwrap_or_default().starts_with("text/css"));
}

#[tokio::test]
async fn oversized_bodies_get_413_and_change_nothing() {
    let app = TestApp::with(Options { seed_users: true, max_body_bytes: Some(4096), ..Default::default() }).await;
    let admin = app.login_as("Adam.Admin").await;
    let big = format!("name={}&csrf_token={}", "x".repeat(10_000), admin.csrf());
    let p = admin
        .raw(
            "POST",
            "/admin/departments",
            &[("Content-Type", "application/x-www-form-urlencoded"), ("Origin", &app.base)],
            big.into_bytes(),
        )
        .await;
    assert_eq!(p.status, 413);
    let list = admin.get("/admin/departments").await;
    assert!(!list.texts("table td a").iter().any(|t| t.starts_with("xxx")));
}

#[tokio::test]
async fn the_event_stream_needs_a_login() {
    let app = spawn_app().await;
    let s = app.client().sse().await;
    assert_eq!(s.status, 401);
}

#[tokio::test]
async fn notices_reach_only_their_user_on_the_live_stream() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let mut carl_stream = carl.sse().await;
    let mut mark_stream = mark.sse().await;
    assert_eq!(carl_stream.status, 200);
    app.state.bus.publish(DomainEvent::Notice { user_id: app.user_id("Carl.CoWorker").await });
    // The control: published after Carl's notice, for Mark; whatever Mark got before it is checked.
    app.state.bus.publish(control(app.user_id("Mark.Manager.Sales").await));
    carl_stream.expect("notice", Duration::from_secs(2)).await;
    let others = mark_stream.collect_until(CONTROL, Duration::from_secs(2)).await;
    assert!(others.iter().all(|e| e.event != "notice"), "Mark received Carl's notice: {others:?}");
}

#[tokio::test]
async fn open_streams_per_user_are_capped() {
    let app = TestApp::with(Options { seed_users: true, sse_per_user: Some(2), ..Default::default() }).await;
    let carl = app.login_as("Carl.CoWorker").await;
    let a = carl.sse().await;
    let b = carl.sse().await;
    let c = carl.sse().await;
    assert_eq!((a.status.as_u16(), b.status.as_u16(), c.status.as_u16()), (200, 200, 429));
    let retry = c.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    assert_eq!(retry, Some(15), "a refused stream says when a slot may be free (the keep-alive interval)");
    drop(a);
    // The server frees the slot once it sees the connection closed.
    let carl_id = app.user_id("Carl.CoWorker").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.state.bus.open_streams(carl_id) > 1 {
        assert!(tokio::time::Instant::now() < deadline, "a closed stream never freed its slot");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(carl.sse().await.status, 200, "a closed stream must free its slot");
}

#[tokio::test]
async fn a_password_change_emails_the_user_through_the_outbox() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let carl = app.login_as("Carl.CoWorker").await;
    carl.get("/profile/password").await;
    let p = carl
        .post_form(
            "/profile/password",
            &[("current", "test-password-1"), ("password", "a brand new secret"), ("confirm", "a brand new secret")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    // Nothing is sent inside the request: the row waits in the outbox until the worker runs.
    assert!(smtp.messages().is_empty());
    let sent = ferrocrm::outbox::run_once(&app.db, &app.state.mailer).await.unwrap();
    assert_eq!(sent, 1);
    let mails = smtp.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails[0].to, vec!["carl.coworker@example.com".to_string()]);
    assert_eq!(mails[0].subject, "Your FerroCRM password was changed");
    assert!(mails[0].body.contains(&format!("{}/login", app.base)), "{}", mails[0].body);
    // Sent once: a second run finds nothing to send.
    assert_eq!(ferrocrm::outbox::run_once(&app.db, &app.state.mailer).await.unwrap(), 0);
    let rows = ferrocrm::outbox::recent(&app.db, 5).await.unwrap();
    assert_eq!(rows[0].status, "sent");
    assert_eq!(rows[0].message_id.trim_matches(['<', '>']), mails[0].message_id);
}

#[tokio::test]
async fn mail_that_cannot_be_delivered_is_retried_later_not_lost() {
    let mut smtp = SmtpSink::start().await;
    let url = smtp.url();
    smtp.stop();
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(url), ..Default::default() }).await;
    let mut tx = app.db.begin().await.unwrap();
    ferrocrm::outbox::enqueue(&mut tx, &app.state.config, "someone@example.com", "Hello", "Body").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ferrocrm::outbox::run_once(&app.db, &app.state.mailer).await.unwrap(), 1);
    let rows = ferrocrm::outbox::recent(&app.db, 1).await.unwrap();
    assert_eq!(rows[0].status, "queued", "a failed send goes back to the queue");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].last_error.is_some());
    // Not due again until its backoff has passed.
    assert_eq!(ferrocrm::outbox::run_once(&app.db, &app.state.mailer).await.unwrap(), 0);
}

#[tokio::test]
async fn jobs_run_once_and_unknown_kinds_fail_after_their_attempts() {
    let app = spawn_app().await;
    let mut tx = app.db.begin().await.unwrap();
    ferrocrm::jobs::enqueue(&mut tx, "no-such-kind", &serde_json::json!({}), ferrocrm::db::now(), None, 1)
        .await
        .unwrap();
    ferrocrm::jobs::enqueue(
        &mut tx,
        "maintenance",
        &serde_json::json!({}),
        ferrocrm::db::now(),
        Some("maintenance"),
        3,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(ferrocrm::jobs::run_once(&app.state).await.unwrap());
    assert!(ferrocrm::jobs::run_once(&app.state).await.unwrap());
    assert!(!ferrocrm::jobs::run_once(&app.state).await.unwrap(), "nothing else is due");
    let failed = ferrocrm::jobs::by_kind(&app.db, "no-such-kind").await.unwrap();
    assert_eq!(failed[0].status, "failed");
    assert!(failed[0].last_error.as_deref().unwrap_or("").contains("unknown job kind"));
    let maint = ferrocrm::jobs::by_kind(&app.db, "maintenance").await.unwrap();
    assert_eq!(maint.len(), 1, "a recurring job is rescheduled, not duplicated");
    assert_eq!(maint[0].status, "queued");
    assert!(maint[0].run_at > ferrocrm::db::now());
}
