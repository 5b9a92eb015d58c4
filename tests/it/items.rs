//! What every memo, task and project has: chat, attachments, reminders, history, deletion; projects
//! and their tasks; global search.

use std::time::Duration;

use sea_query::{Cond, Expr, ExprTrait};

use crate::helpers::app::Options;
use crate::helpers::items::{create, created_id, task};
use crate::helpers::smtp::SmtpSink;
use crate::helpers::sse::{CONTROL, control};
use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn a_chat_message_reaches_open_pages_live_and_notifies_the_other_participants() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let eve = app.login_as("Eve.Manager.Export").await;
    let garry = app.login_as("Garry.Chief").await;
    let id = task(&app, &helen, "Renew licences", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[]).await;
    let mut mark_stream = mark.sse().await;
    let mut eve_stream = eve.sse().await;
    let mut chief_stream = garry.sse().await;
    app.send_mail().await; // the creation notices, out of the way
    let before_mails = smtp.wait_for(2, Duration::from_secs(5)).await.len();

    let p = helen.post_form(&format!("/tasks/{id}/chat"), &[("body", "Quote attached <b>soon</b>")]).await;
    assert_eq!(p.status, 303);
    let event = mark_stream.expect(&format!("chat-task-{id}"), Duration::from_secs(2)).await;
    assert!(
        event.data.contains("Quote attached &lt;b&gt;soon&lt;/b&gt;"),
        "escaped message in the live event: {}",
        event.data
    );
    assert!(event.data.contains("Helen Head"));
    chief_stream.expect(&format!("chat-task-{id}"), Duration::from_secs(2)).await;
    app.state.bus.publish(control(app.user_id("Eve.Manager.Export").await));
    let strangers = eve_stream.collect_until(CONTROL, Duration::from_secs(2)).await;
    assert!(strangers.iter().all(|e| !e.event.starts_with("chat-")), "a non-participant got the chat: {strangers:?}");

    let title = "Helen Head wrote in the task “Renew licences”";
    assert_eq!(app.notified(title).await, ["Carl.CoWorker", "Mark.Manager.Sales"], "participants but not the author");
    app.send_mail().await;
    let mails = smtp.wait_for(before_mails + 2, Duration::from_secs(5)).await;
    let chat_mails: Vec<_> = mails.iter().filter(|m| m.subject == title).collect();
    assert_eq!(chat_mails.len(), 2);
    assert!(
        chat_mails
            .iter()
            .all(|m| m.body.contains("Quote attached <b>soon</b>") && m.body.contains(&format!("/tasks/{id}")))
    );

    // The page shows it to participants and chiefs; outsiders get 404, for the page and the chat.
    assert_eq!(mark.get(&format!("/tasks/{id}")).await.texts(".chat-msg .chat-body"), ["Quote attached <b>soon</b>"]);
    assert_eq!(garry.get(&format!("/tasks/{id}")).await.texts(".chat-msg .chat-body"), ["Quote attached <b>soon</b>"]);
    assert_eq!(eve.get(&format!("/tasks/{id}/chat")).await.status, 404);
    assert_eq!(eve.post_form(&format!("/tasks/{id}/chat"), &[("body", "hi")]).await.status, 404);
    // An empty message is refused with a message, and saves nothing.
    let empty = mark.post_form(&format!("/tasks/{id}/chat"), &[("body", "  ")]).await;
    assert_eq!(empty.status, 422);
    assert_eq!(app.count("chat_messages", Cond::all()).await, 1);
}

#[tokio::test]
async fn the_poster_gets_the_message_back_with_a_fresh_form_when_posting_with_htmx() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Htmx chat", &["Helen.Head.Sales"], &[], &[]).await;
    helen.get(&format!("/tasks/{id}")).await;
    let p = helen.hx_post(&format!("/tasks/{id}/chat"), &[("body", "First!")]).await;
    assert_eq!(p.status, 200);
    assert!(p.exists("form.chat-form textarea"));
    assert_eq!(p.attr("[hx-swap-oob]", "hx-swap-oob"), Some(format!("beforeend:#chat-task-{id}")));
    assert_eq!(p.texts("[hx-swap-oob] .chat-body"), ["First!"]);
}

#[tokio::test]
async fn files_are_stored_once_downloaded_only_by_those_who_may_see_them_and_removed_with_the_last_link() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.uid("Mark.Manager.Sales").await;
    helen.get("/tasks/new").await;
    let page = b"<html><script>alert(1)</script></html>".to_vec();
    let p = helen
        .post_multipart(
            "/tasks",
            &[("name", "With files"), ("responsible", &mark)],
            &[
                ("files", "report.html", "text/html", page.clone()),
                ("files", "../../notes.txt", "text/plain", b"same".to_vec()),
            ],
        )
        .await;
    let t1 = created_id(&p);
    // The same bytes again, on another task: a second link, not a second copy.
    let p2 = helen
        .post_multipart(
            "/tasks",
            &[("name", "Same file"), ("responsible", &mark)],
            &[("files", "copy.txt", "text/plain", b"same".to_vec())],
        )
        .await;
    let t2 = created_id(&p2);
    assert_eq!(app.count("files", Cond::all()).await, 2);
    assert_eq!(app.count("attachments", Cond::all()).await, 3);

    let shown = helen.get(&format!("/tasks/{t1}")).await;
    assert_eq!(shown.texts("#files li.file a"), ["report.html", "notes.txt"], "paths are stripped from names");
    let links = shown.attrs("#files li.file a", "href");
    let dl = helen.raw("GET", &links[0], &[], vec![]).await;
    assert_eq!(dl.status, 200);
    assert_eq!(dl.body.as_bytes(), page.as_slice());
    assert!(dl.header("content-disposition").unwrap_or_default().starts_with("attachment;"));
    assert_eq!(dl.header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(dl.header("content-type").as_deref(), Some("application/octet-stream"), "HTML is never served as HTML");
    for who in ["Eve.Manager.Export", "Carl.CoWorker"] {
        let c = app.login_as(who).await;
        assert_eq!(c.raw("GET", &links[0], &[], vec![]).await.status, 404, "{who} downloaded a file they may not see");
    }
    assert_eq!(app.login_as("Garry.Chief").await.raw("GET", &links[1], &[], vec![]).await.status, 200);

    let sha = ferrocrm::files::sha256_hex(b"same");
    assert!(app.state.files.exists(&sha));
    helen.get(&format!("/tasks/{t1}/delete")).await;
    assert_eq!(helen.post_form(&format!("/tasks/{t1}/delete"), &[]).await.status, 303);
    assert!(app.state.files.exists(&sha), "still linked from the second task");
    assert!(!app.state.files.exists(&ferrocrm::files::sha256_hex(&page)), "the HTML file had no other link");
    assert_eq!(helen.post_form(&format!("/tasks/{t2}/delete"), &[]).await.status, 303);
    assert!(!app.state.files.exists(&sha));
    assert_eq!(app.count("files", Cond::all()).await, 0);
}

/// No lock serialises uploads with collection: removing the last link to some bytes while the same
/// bytes are uploaded again, at the same moment, never leaves the new link without its blob.
#[tokio::test]
async fn removing_a_file_while_the_same_bytes_are_uploaded_again_keeps_the_new_upload() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.uid("Mark.Manager.Sales").await;
    helen.get("/tasks/new").await;
    let target =
        create(&helen, "/tasks", &[("name", "Receives the bytes again"), ("responsible", mark.as_str())]).await;
    for round in 0..12 {
        let bytes = format!("round {round} of the race").repeat(5000).into_bytes();
        let sha = ferrocrm::files::sha256_hex(&bytes);
        let p = helen
            .post_multipart(
                "/tasks",
                &[("name", "Holds the bytes"), ("responsible", &mark)],
                &[("files", "a.txt", "text/plain", bytes.clone())],
            )
            .await;
        let holder = created_id(&p);
        let link = helen.get(&format!("/tasks/{holder}")).await.attr("#files li.file a", "href").expect("a file link");

        let (delete_path, chat_path) = (format!("{link}/delete"), format!("/tasks/{target}/chat"));
        let again = [("files", "b.txt", "text/plain", bytes.clone())];
        let remove = helen.post_form(&delete_path, &[]);
        let upload = helen.post_multipart(&chat_path, &[("body", "again")], &again);
        let (removed, uploaded) = tokio::join!(remove, upload);
        assert_eq!(removed.status, 303, "round {round}: {}", removed.body);
        assert_eq!(uploaded.status, 303, "round {round}: {}", uploaded.body);

        assert!(app.state.files.exists(&sha), "round {round}: the blob of a linked file is gone");
        let links = app.count("attachments", Cond::all().add(Expr::col("object_type").eq("chat"))).await;
        assert_eq!(links, round + 1, "round {round}");
        assert_eq!(app.count("files", Cond::all().add(Expr::col("sha256").eq(sha.as_str()))).await, 1);
    }
    // Every chat file downloads, whole.
    let page = helen.get(&format!("/tasks/{target}")).await;
    let hrefs = page.attrs(".chat-files a", "href");
    assert_eq!(hrefs.len(), 12, "{}", page.body);
    for href in hrefs {
        assert_eq!(helen.raw("GET", &href, &[], vec![]).await.status, 200, "{href}");
    }

    // The same two orders made certain, through the store. Collection started while an upload of the
    // same bytes is linking them (its transaction open) waits for it and then leaves the file alone.
    let store = app.state.files.clone();
    let actor = ferrocrm::history::Actor { id: Some(app.user_id("Helen.Head.Sales").await), name: "Helen Head".into() };
    let bytes = b"linked while collected".to_vec();
    let sha = ferrocrm::files::sha256_hex(&bytes);
    let up = ferrocrm::files::Upload::from_bytes(&store.tmp_dir(), "c.txt", "text/plain", &bytes).await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let first = store.save(&mut tx, std::slice::from_ref(&up), "task", target, &actor).await.unwrap()[0];
    tx.commit().await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let file = ferrocrm::files::unlink(&mut tx, first).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    store.save(&mut tx, std::slice::from_ref(&up), "task", target, &actor).await.unwrap();
    let collecting = tokio::spawn({
        let (store, db) = (store.clone(), app.db.clone());
        async move { store.collect(&db, &[file]).await.unwrap() }
    });
    // On PostgreSQL, see the collection wait for the upload's row lock before committing (on SQLite,
    // write transactions are serialised whole).
    if let ferrocrm::db::Db::Postgres(pool) = &app.db {
        let waiting =
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let give_up = std::time::Instant::now() + Duration::from_secs(5);
        while sqlx::query_scalar::<_, i64>(waiting).fetch_one(pool).await.unwrap() == 0 {
            assert!(std::time::Instant::now() < give_up, "the collection never waited for the upload");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    tx.commit().await.unwrap();
    assert_eq!(collecting.await.unwrap(), 0, "a file linked by a committed upload was collected");
    assert!(store.exists(&sha));
    // And an upload after a collection has removed row and blob makes both again.
    let mut tx = app.db.begin().await.unwrap();
    let files = ferrocrm::files::unlink_all(&mut tx, "task", &[target]).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.collect(&app.db, &files).await.unwrap() >= 1);
    assert!(!store.exists(&sha));
    let mut tx = app.db.begin().await.unwrap();
    store.save(&mut tx, &[up], "task", target, &actor).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.exists(&sha), "the upload re-created the blob");
    assert_eq!(app.count("files", Cond::all().add(Expr::col("sha256").eq(sha.as_str()))).await, 1);
}

#[tokio::test]
async fn an_upload_over_the_limit_gets_413_and_leaves_nothing_behind() {
    let app = TestApp::with(Options { seed_users: true, max_upload_bytes: Some(1024), ..Default::default() }).await;
    let helen = app.login_as("Helen.Head.Sales").await;
    helen.get("/memos/new").await;
    let to = app.uid("Mark.Manager.Sales").await;
    let p = helen
        .post_multipart(
            "/memos",
            &[("name", "Big"), ("recipient_id", &to)],
            &[("files", "big.bin", "application/octet-stream", vec![7u8; 4096])],
        )
        .await;
    assert_eq!(p.status, 413);
    assert_eq!(app.count("memos", Cond::all()).await, 0);
    assert_eq!(app.count("files", Cond::all()).await, 0);
    assert!(!app.state.files.exists(&ferrocrm::files::sha256_hex(&[7u8; 4096])));
}

#[tokio::test]
async fn a_due_reminder_notifies_its_owner_live_and_by_email_even_after_a_restart() {
    let smtp = SmtpSink::start().await;
    // The first instance takes the reminder and stops before it is due (no worker runs in it).
    let first = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let helen = first.login_as("Helen.Head.Sales").await;
    let id = task(&first, &helen, "Call the bank", &["Helen.Head.Sales"], &[], &[]).await;
    let past = helen
        .post_form(&format!("/tasks/{id}/reminders"), &[("remind_at", "2001-01-01T10:00"), ("text", "Too late")])
        .await;
    assert_eq!(past.status, 422);
    assert_eq!(past.field_error("remind_at").as_deref(), Some("Choose a time in the future."));
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).format("%Y-%m-%dT%H:%M:%S").to_string();
    let p =
        helen.post_form(&format!("/tasks/{id}/reminders"), &[("remind_at", &at), ("text", "Ask about the loan")]).await;
    assert_eq!(p.status, 303);
    assert_eq!(helen.get("/reminders").await.texts("#reminder-list td a"), ["Ask about the loan"]);

    // "Restart": a new instance with workers on the same database.
    let second = TestApp::with(Options {
        database_url: Some(first.database_url.clone()),
        smtp_url: Some(smtp.url()),
        workers: true,
        ..Default::default()
    })
    .await;
    let helen2 = second.login_as("Helen.Head.Sales").await;
    let mut stream = helen2.sse().await;
    stream.expect("notice", Duration::from_secs(10)).await;
    assert_eq!(second.notices("Helen.Head.Sales").await[0], "Reminder: Ask about the loan");
    let mails = smtp.wait_for(1, Duration::from_secs(10)).await;
    let m = mails.iter().find(|m| m.subject == "Reminder: Ask about the loan").expect("reminder mail");
    assert_eq!(m.to, ["helen.head.sales@example.com"]);
    assert!(m.body.contains(&format!("/tasks/{id}")));
    let bell = helen2.get("/").await;
    assert_eq!(bell.text("#bell .badge"), "1");
}

#[tokio::test]
async fn my_reminders_are_mine_alone_and_a_deactivated_one_never_fires() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = task(&app, &helen, "Shared task", &["Mark.Manager.Sales"], &[], &[]).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S").to_string();
    helen.post_form(&format!("/tasks/{id}/reminders"), &[("remind_at", &at), ("text", "Helen's")]).await;
    mark.get("/").await;
    mark.post_form(&format!("/tasks/{id}/reminders"), &[("remind_at", &at), ("text", "Mark's")]).await;
    assert_eq!(helen.get("/reminders").await.texts("#reminder-list td a"), ["Helen's"]);
    let marks_list = mark.get("/reminders").await;
    assert_eq!(marks_list.texts("#reminder-list td a"), ["Mark's"]);
    let rid: i64 =
        marks_list.attr("#reminder-list tbody tr", "id").unwrap().trim_start_matches("reminder-").parse().unwrap();
    assert_eq!(helen.post_form(&format!("/reminders/{rid}/deactivate"), &[]).await.status, 404, "not Helen's");
    assert_eq!(mark.post_form(&format!("/reminders/{rid}/deactivate"), &[]).await.status, 303);
    // An hour later (the jobs fall due; no waiting in the test).
    app.make_jobs_due().await;
    app.run_jobs().await;
    assert_eq!(app.notices("Helen.Head.Sales").await, ["Reminder: Helen's"]);
    assert!(!app.notices("Mark.Manager.Sales").await.iter().any(|n| n.starts_with("Reminder")));
    // A stranger cannot put a reminder on a task they may not see.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(
        eve.post_form(&format!("/tasks/{id}/reminders"), &[("remind_at", &at), ("text", "x")]).await.status,
        404
    );
}

#[tokio::test]
async fn deleting_asks_first_lists_what_goes_and_keeps_the_history_for_administrators() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = task(&app, &helen, "Big job", &["Mark.Manager.Sales", "Helen.Head.Sales"], &[], &[]).await;
    let t = id.to_string();
    let sub = task(&app, &mark, "My part", &["Mark.Manager.Sales"], &[], &[("parent_id", &t)]).await;
    helen.post_form(&format!("/tasks/{id}/chat"), &[("body", "one")]).await;
    helen.post_form(&format!("/tasks/{sub}/chat"), &[("body", "two")]).await;
    let at = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
    helen.post_form(&format!("/tasks/{id}/reminders"), &[("remind_at", &at), ("text", "later")]).await;

    assert_eq!(mark.get(&format!("/tasks/{id}/delete")).await.status, 403, "a responsible may not delete");
    let confirm = helen.get(&format!("/tasks/{id}/delete")).await;
    assert_eq!(confirm.status, 200);
    let items = confirm.texts("ul.removal li");
    assert!(items[0].starts_with("1 subtask") && items[0].contains("My part"), "{items:?}");
    assert!(items.contains(&"2 chat messages".to_string()), "{items:?}");
    assert!(items.contains(&"1 reminder".to_string()), "{items:?}");
    assert!(confirm.exists(&format!(r#"form[action="/tasks/{id}/delete"] button.btn-danger"#)));
    // Nothing happened yet.
    assert_eq!(app.count("tasks", Cond::all()).await, 2);

    assert_eq!(helen.post_form(&format!("/tasks/{id}/delete"), &[]).await.status, 303);
    assert_eq!(app.count("tasks", Cond::all()).await, 0);
    assert_eq!(app.count("chat_messages", Cond::all()).await, 0);
    assert_eq!(app.count("reminders", Cond::all()).await, 0);
    assert_eq!(app.count("jobs", Cond::all().add(Expr::col("kind").eq("reminder"))).await, 0);
    assert_eq!(app.count("participants", Cond::all()).await, 0);
    assert_eq!(helen.get(&format!("/tasks/{id}")).await.status, 404);
    // The history stays: administrators read it, others do not.
    let admin = app.login_as("Adam.Admin").await;
    let h = admin.get(&format!("/tasks/{id}/history")).await;
    assert_eq!(h.status, 200);
    assert_eq!(h.texts(".history-meta .badge").first().map(String::as_str), Some("delete"));
    assert!(
        admin.get(&format!("/tasks/{sub}/history")).await.texts(".history-meta .badge").contains(&"delete".to_string())
    );
    assert_eq!(helen.get(&format!("/tasks/{id}/history")).await.status, 404);
    // The owner deleted it herself: nobody is told "your task was deleted".
    assert!(app.notices("Helen.Head.Sales").await.iter().all(|n| !n.contains("deleted")));
}

#[tokio::test]
async fn a_project_collects_its_tasks_and_shows_their_progress() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.uid("Mark.Manager.Sales").await;
    let pid = create(&helen, "/projects", &[("name", "Spring campaign"), ("responsible", &mark)]).await;
    assert_eq!(app.notices("Mark.Manager.Sales").await, ["You have a new project: Spring campaign"]);
    let p = pid.to_string();
    let a = task(&app, &helen, "Posters", &["Mark.Manager.Sales"], &[], &[("project_id", &p)]).await;
    task(&app, &helen, "Radio spot", &["Mark.Manager.Sales"], &[], &[("project_id", &p)]).await;
    helen.post_form(&format!("/tasks/{a}/stage"), &[("stage", "done")]).await;
    let page = helen.get(&format!("/projects/{pid}")).await;
    assert_eq!(page.texts("#project-tasks td a"), ["Radio spot", "Posters"]);
    assert_eq!(page.attr("dl.kv .progress", "title").as_deref(), Some("1 of 2 tasks done"));
    let list = helen.get("/projects").await;
    assert_eq!(list.texts("#project-list td.name a"), ["Spring campaign"]);
    assert_eq!(list.attr(&format!("tr#project-{pid} .progress"), "title").as_deref(), Some("1 of 2 tasks done"));
    assert_eq!(app.login_as("Eve.Manager.Export").await.get(&format!("/projects/{pid}")).await.status, 404);
    // Tasks filtered by project.
    assert_eq!(
        helen.get(&format!("/tasks?project={pid}&show=all&responsible=all")).await.count("#task-list tbody tr"),
        2
    );
    // Done and notified.
    helen.get("/projects").await;
    assert_eq!(helen.post_form(&format!("/projects/{pid}/stage"), &[("stage", "done")]).await.status, 303);
    assert!(app.notices("Helen.Head.Sales").await.iter().all(|n| !n.contains("project is done")));
}

#[tokio::test]
async fn search_opens_an_id_and_finds_words_only_in_what_the_viewer_may_see() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let eve = app.login_as("Eve.Manager.Export").await;
    let id = task(&app, &helen, "Audit the warehouse stock", &["Helen.Head.Sales"], &[], &[]).await;
    let found = helen.get(&format!("/search?q=ID+{id}")).await;
    assert_eq!(found.status, 303);
    assert_eq!(found.header("location"), Some(format!("/tasks/{id}")));
    let hidden = eve.get(&format!("/search?q=ID+{id}")).await;
    assert_eq!(hidden.status, 200);
    assert!(hidden.exists(".empty-state"));
    assert_eq!(helen.get("/search?q=warehouse").await.texts("table td a"), ["Audit the warehouse stock"]);
    assert!(eve.get("/search?q=warehouse").await.exists(".empty-state"));
    assert_eq!(
        app.login_as("Garry.Chief").await.get("/search?q=warehouse").await.texts("table td a"),
        ["Audit the warehouse stock"]
    );
}

#[tokio::test]
async fn the_history_view_shows_each_change_to_those_who_may_see_the_item() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let helen_id = app.uid("Helen.Head.Sales").await;
    let id = create(&carl, "/memos", &[("name", "Parking"), ("recipient_id", &helen_id), ("description", "v1")]).await;
    carl.post_form(
        &format!("/memos/{id}"),
        &[("name", "Parking spaces"), ("recipient_id", &helen_id), ("description", "v2")],
    )
    .await;
    let helen = app.login_as("Helen.Head.Sales").await;
    helen.post_form(&format!("/memos/{id}/stage"), &[("stage", "postponed")]).await;
    let h = helen.get(&format!("/memos/{id}/history")).await;
    assert_eq!(h.status, 200);
    assert_eq!(h.texts(".history-meta .badge"), ["update", "update", "create"]);
    assert_eq!(h.texts("ol.history li:first-child td.new"), ["Postponed"]);
    assert!(h.texts("ol.history li:nth-child(2) td.field").contains(&"Memo title".to_string()));
    assert_eq!(app.login_as("Eve.Manager.Export").await.get(&format!("/memos/{id}/history")).await.status, 404);
}

#[tokio::test]
async fn the_home_page_lists_my_active_tasks_and_the_memos_waiting_for_me() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let carl_id = app.uid("Carl.CoWorker").await;
    task(&app, &helen, "Carl's job", &["Carl.CoWorker"], &[], &[]).await;
    let closed = task(&app, &helen, "Old job", &["Carl.CoWorker"], &[], &[]).await;
    helen.post_form(&format!("/tasks/{closed}/stage"), &[("stage", "done")]).await;
    task(&app, &helen, "Not Carl's", &["Mark.Manager.Sales"], &["Carl.CoWorker"], &[]).await;
    create(&helen, "/memos", &[("name", "Please review"), ("recipient_id", &carl_id)]).await;
    let home = carl.get("/").await;
    assert_eq!(home.texts("#my-tasks td.name a"), ["Carl's job"]);
    assert_eq!(home.texts("#my-memos td.name a"), ["Please review"]);
    let empty = app.login_as("Anna.Accountant").await.get("/").await;
    assert!(empty.text("#my-tasks").contains("No active task"));
}

#[tokio::test]
async fn a_notification_opens_its_object_and_is_then_read() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Open me", &["Carl.CoWorker"], &[], &[]).await;
    task(&app, &helen, "Second", &["Carl.CoWorker"], &[], &[]).await;
    let carl = app.login_as("Carl.CoWorker").await;
    let list = carl.get("/notifications").await;
    assert_eq!(list.count("li.notification.unread"), 2);
    let first = list.attrs("a.notification-title", "href").pop().expect("a link");
    let opened = carl.get(&first).await;
    assert_eq!(opened.status, 303);
    assert_eq!(opened.header("location"), Some(format!("/tasks/{id}")));
    assert_eq!(carl.get("/").await.text("#bell .badge"), "1");
    // Another user's notification cannot be opened or marked.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get(&first).await.status, 404);
}

#[tokio::test]
async fn a_project_made_from_a_memo_takes_its_content_and_links_back() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let (helen_id, mark_id) = (app.uid("Helen.Head.Sales").await, app.uid("Mark.Manager.Sales").await);
    carl.get("/memos/new").await;
    let memo = created_id(
        &carl
            .post_multipart(
                "/memos",
                &[
                    ("name", "Open a Berlin office"),
                    ("recipient_id", &helen_id),
                    ("subscribers", &mark_id),
                    ("description", "Market study inside."),
                ],
                &[("files", "study.pdf", "application/pdf", b"%PDF-1.4 study".to_vec())],
            )
            .await,
    );
    let helen = app.login_as("Helen.Head.Sales").await;
    let form = helen.get(&format!("/projects/new?memo={memo}")).await;
    assert_eq!(form.attr("#f-name", "value").as_deref(), Some("Open a Berlin office"));
    assert_eq!(form.text("#f-description"), "Market study inside.");
    let file = form.attr("input[name=memo_files][checked]", "value").expect("the memo's file is offered");
    let subs = form.attrs("#f-subscribers-picker input[name=subscribers]", "value");
    assert_eq!(subs.len(), 2);
    let project = create(
        &helen,
        "/projects",
        &[
            ("name", "Berlin office"),
            ("memo_id", &memo.to_string()),
            ("memo_files", &file),
            ("subscribers", &subs[0]),
            ("subscribers", &subs[1]),
        ],
    )
    .await;
    let page = carl.get(&format!("/projects/{project}")).await;
    assert_eq!(page.status, 200, "the memo's author follows the project");
    assert_eq!(page.texts("#files li.file a"), ["study.pdf"]);
    let memo_page = carl.get(&format!("/memos/{memo}")).await;
    assert!(memo_page.exists(&format!(r#"a[href="/projects/{project}"]"#)));
    assert_eq!(memo_page.text(".page-title .badge"), "Considered");
}

#[tokio::test]
async fn files_sent_in_the_chat_are_for_the_items_people_only() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Chat with files", &["Mark.Manager.Sales"], &[], &[]).await;
    helen.get(&format!("/tasks/{id}")).await;
    let p = helen
        .post_multipart(
            &format!("/tasks/{id}/chat"),
            &[("body", "")],
            &[("files", "photo.png", "image/png", vec![0x89, b'P', b'N', b'G'])],
        )
        .await;
    assert_eq!(p.status, 303, "a file alone is a message");
    let mark = app.login_as("Mark.Manager.Sales").await;
    let page = mark.get(&format!("/tasks/{id}")).await;
    let link = page.attr(".chat-msg .chat-files a", "href").expect("the file in the chat");
    let dl = mark.raw("GET", &link, &[], vec![]).await;
    assert_eq!(dl.status, 200);
    assert_eq!(dl.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(app.login_as("Eve.Manager.Export").await.raw("GET", &link, &[], vec![]).await.status, 404);
    // Chat files cannot be removed through the attachment route (messages are a record).
    let fid = link.trim_start_matches("/files/");
    assert_eq!(helen.post_form(&format!("/files/{fid}/delete"), &[]).await.status, 403);
    // Whoever may not see the task learns nothing of its files: 404, as for the download.
    let eve = app.login_as("Eve.Manager.Export").await;
    eve.get("/").await;
    assert_eq!(eve.post_form(&format!("/files/{fid}/delete"), &[]).await.status, 404);
}

#[tokio::test]
async fn live_events_about_an_item_reach_only_those_who_may_see_it() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Private plans", &["Mark.Manager.Sales"], &[], &[]).await;
    let mut mark = app.login_as("Mark.Manager.Sales").await.sse().await;
    let mut chief = app.login_as("Garry.Chief").await.sse().await;
    let mut eve = app.login_as("Eve.Manager.Export").await.sse().await;
    assert_eq!(helen.post_form(&format!("/tasks/{id}/stage"), &[("stage", "in_progress")]).await.status, 303);
    app.state.bus.publish(control(app.user_id("Eve.Manager.Export").await));
    mark.expect(&format!("task-{id}-changed"), Duration::from_secs(2)).await;
    chief.expect(&format!("task-{id}-changed"), Duration::from_secs(2)).await;
    let seen = eve.collect_until(CONTROL, Duration::from_secs(2)).await;
    assert!(seen.iter().all(|e| !e.event.starts_with("task-")), "a stranger heard of the task: {seen:?}");
    // A draft memo's events go to its owner only, not to its future recipient.
    let carl = app.login_as("Carl.CoWorker").await;
    let mut recipient = app.login_as("Helen.Head.Sales").await.sse().await;
    let to = app.uid("Helen.Head.Sales").await;
    create(&carl, "/memos", &[("name", "Secret draft"), ("recipient_id", &to), ("draft", "on")]).await;
    app.state.bus.publish(control(app.user_id("Helen.Head.Sales").await));
    let heard = recipient.collect_until(CONTROL, Duration::from_secs(2)).await;
    assert!(heard.iter().all(|e| !e.event.starts_with("memo-")), "the recipient heard of a draft: {heard:?}");
}
