//! Memos: drafts, sharing, the review stages, the lock after review, copy, tasks made from a memo,
//! the list's filters and its "View task" button.

use std::time::Duration;

use crate::helpers::app::Options;
use crate::helpers::items::create;
use crate::helpers::smtp::SmtpSink;
use crate::helpers::snapshot::snapshot;
use crate::helpers::{TestApp, spawn_app};

async fn memo(
    app: &TestApp,
    author: &crate::helpers::client::TestClient,
    name: &str,
    to: &str,
    subs: &[&str],
    draft: bool,
) -> i64 {
    let to = app.uid(to).await;
    let mut subs_ids = Vec::new();
    for s in subs {
        subs_ids.push(app.uid(s).await);
    }
    let mut fields: Vec<(&str, &str)> =
        vec![("name", name), ("recipient_id", &to), ("purpose", "on-approval"), ("description", "Please decide.")];
    for s in &subs_ids {
        fields.push(("subscribers", s));
    }
    if draft {
        fields.push(("draft", "on"));
    }
    create(author, "/memos", &fields).await
}

#[tokio::test]
async fn a_draft_is_seen_only_by_its_owner_and_administrators_and_notifies_nobody() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let id = memo(&app, &carl, "Half-baked idea", "Helen.Head.Sales", &["Mark.Manager.Sales"], true).await;
    let page = carl.get(&format!("/memos/{id}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text(".page-title .badge"), "Draft");
    for who in ["Helen.Head.Sales", "Mark.Manager.Sales", "Garry.Chief", "Tina.TaskOperator"] {
        let c = app.login_as(who).await;
        assert_eq!(c.get(&format!("/memos/{id}")).await.status, 404, "{who} saw a draft");
        assert!(!c.get("/memos").await.texts("#memo-list td.name").contains(&"Half-baked idea".to_string()), "{who}");
    }
    assert_eq!(app.login_as("Adam.Admin").await.get(&format!("/memos/{id}")).await.status, 200);
    assert!(app.notified("Half-baked idea").await.is_empty());
}

#[tokio::test]
async fn sharing_a_draft_makes_it_pending_and_notifies_recipient_and_subscribers_in_the_app_and_by_email() {
    let smtp = SmtpSink::start().await;
    let app = TestApp::with(Options { seed_users: true, smtp_url: Some(smtp.url()), ..Default::default() }).await;
    let carl = app.login_as("Carl.CoWorker").await;
    let id = memo(&app, &carl, "New laptop", "Helen.Head.Sales", &["Mark.Manager.Sales"], true).await;
    // Untick Draft.
    let (helen, mark) = (app.uid("Helen.Head.Sales").await, app.uid("Mark.Manager.Sales").await);
    let p = carl
        .post_form(
            &format!("/memos/{id}"),
            &[("name", "New laptop"), ("recipient_id", &helen), ("subscribers", &mark), ("description", "Mine broke.")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let page = carl.get(&format!("/memos/{id}")).await;
    assert_eq!(page.text(".page-title .badge"), "Pending");
    assert_eq!(app.notified("New laptop").await, ["Helen.Head.Sales", "Mark.Manager.Sales"]);
    assert_eq!(app.notices("Helen.Head.Sales").await[0], "You have received a memo: New laptop");
    assert_eq!(app.notices("Mark.Manager.Sales").await[0], "You are subscribed to the memo: New laptop");
    app.send_mail().await;
    let mails = smtp.wait_for(2, Duration::from_secs(5)).await;
    let helen_mail = mails.iter().find(|m| m.to == ["helen.head.sales@example.com"]).expect("mail to Helen");
    assert_eq!(helen_mail.subject, "You have received a memo: New laptop");
    assert!(helen_mail.body.contains(&format!("{}/memos/{id}", app.base)), "{}", helen_mail.body);
    assert!(mails.iter().any(|m| m.to == ["mark.manager.sales@example.com"]));
    // The author is not told about their own memo.
    assert!(!mails.iter().any(|m| m.to == ["carl.coworker@example.com"]));
    // A shared memo does not go back to being a draft.
    let again = carl
        .post_form(&format!("/memos/{id}"), &[("name", "New laptop"), ("recipient_id", &helen), ("draft", "on")])
        .await;
    assert_eq!(again.status, 303);
    assert!(!app.flag("memos", id, "draft").await);
    assert_eq!(app.login_as("Helen.Head.Sales").await.get(&format!("/memos/{id}")).await.status, 200);
}

#[tokio::test]
async fn the_recipient_moves_a_memo_through_its_stages_and_everyone_hears_of_each() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = memo(&app, &carl, "Flexible hours", "Helen.Head.Sales", &["Mark.Manager.Sales"], false).await;
    // Only the recipient (and task operators, administrators) may move it.
    assert_eq!(carl.post_form(&format!("/memos/{id}/stage"), &[("stage", "considered")]).await.status, 403);
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(mark.post_form(&format!("/memos/{id}/stage"), &[("stage", "postponed")]).await.status, 403);

    helen.get(&format!("/memos/{id}")).await;
    assert_eq!(helen.post_form(&format!("/memos/{id}/stage"), &[("stage", "postponed")]).await.status, 303);
    assert_eq!(app.notices("Carl.CoWorker").await[0], "The memo “Flexible hours” is now postponed");
    assert_eq!(app.notices("Mark.Manager.Sales").await[0], "The memo “Flexible hours” is now postponed");
    assert_eq!(helen.post_form(&format!("/memos/{id}/stage"), &[("stage", "considered")]).await.status, 303);
    assert_eq!(app.notices("Carl.CoWorker").await[0], "Your memo “Flexible hours” was considered by Helen Head");
    assert_eq!(app.notices("Mark.Manager.Sales").await[0], "The memo “Flexible hours” is now considered");
    assert!(app.notices("Helen.Head.Sales").await.iter().all(|n| !n.contains("now")), "the actor is not notified");
    let page = carl.get(&format!("/memos/{id}")).await;
    assert_eq!(page.text(".page-title .badge"), "Considered");
    assert!(app.field("memos", id, "reviewed_at").await.is_some());
}

#[tokio::test]
async fn a_considered_memo_is_locked_for_its_owner_but_chat_and_tasks_stay_open_to_the_recipient() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = memo(&app, &carl, "Office move", "Helen.Head.Sales", &[], false).await;
    helen.get("/memos").await;
    assert_eq!(helen.post_form(&format!("/memos/{id}/stage"), &[("stage", "considered")]).await.status, 303);

    let page = carl.get(&format!("/memos/{id}")).await;
    assert!(!page.exists(r#"a[href$="/edit"]"#), "an edit link on a locked memo");
    assert!(!page.exists(r#"a[href$="/delete"]"#));
    assert_eq!(carl.get(&format!("/memos/{id}/edit")).await.status, 403);
    let before = snapshot(&app.db).await;
    let helen_id = app.uid("Helen.Head.Sales").await;
    let crafted =
        carl.post_form(&format!("/memos/{id}"), &[("name", "Changed after review"), ("recipient_id", &helen_id)]).await;
    assert_eq!(crafted.status, 403);
    let crafted_upload = carl
        .post_multipart(
            &format!("/memos/{id}"),
            &[("name", "x"), ("recipient_id", &helen_id)],
            &[("files", "late.txt", "text/plain", b"too late".to_vec())],
        )
        .await;
    assert_eq!(crafted_upload.status, 403);
    assert_eq!(carl.post_form(&format!("/memos/{id}/delete"), &[]).await.status, 403);
    assert_eq!(snapshot(&app.db).await, before, "a refused write changed the database");

    // The recipient can still talk about it and act on it.
    helen.get(&format!("/memos/{id}")).await;
    assert_eq!(helen.post_form(&format!("/memos/{id}/chat"), &[("body", "Approved, go ahead.")]).await.status, 303);
    let page = helen.get(&format!("/memos/{id}")).await;
    assert!(page.exists(&format!(r#"a[href="/tasks/new?memo={id}"]"#)));
    assert_eq!(helen.get(&format!("/tasks/new?memo={id}")).await.status, 200);
}

#[tokio::test]
async fn copy_opens_the_new_memo_form_filled_from_an_existing_memo() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let id = memo(&app, &carl, "Travel expenses", "Helen.Head.Sales", &["Mark.Manager.Sales"], false).await;
    let form = carl.get(&format!("/memos/new?copy={id}")).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.attr("#f-name", "value").as_deref(), Some("Travel expenses"));
    assert_eq!(form.text("#f-description"), "Please decide.");
    assert_eq!(
        form.attr("#f-recipient_id-picker input[name=recipient_id]", "value"),
        Some(app.uid("Helen.Head.Sales").await)
    );
    assert_eq!(form.attr("#f-purpose option[selected]", "value").as_deref(), Some("on-approval"));
    assert_eq!(
        form.attrs("#f-subscribers-picker input[name=subscribers]", "value"),
        [app.uid("Mark.Manager.Sales").await]
    );
    assert_eq!(form.attr("form.form", "action").as_deref(), Some("/memos"), "a copy is a new memo");
    // Someone who may not see the memo cannot copy it either.
    assert_eq!(app.login_as("Eve.Manager.Export").await.get(&format!("/memos/new?copy={id}")).await.status, 404);
}

#[tokio::test]
async fn a_task_made_from_a_memo_takes_its_content_links_its_files_and_subscribes_its_people() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let (helen_id, mark_id) = (app.uid("Helen.Head.Sales").await, app.uid("Mark.Manager.Sales").await);
    carl.get("/memos/new").await;
    let p = carl
        .post_multipart(
            "/memos",
            &[
                ("name", "Price list update"),
                ("recipient_id", &helen_id),
                ("subscribers", &mark_id),
                ("description", "New prices from January."),
            ],
            &[("files", "prices.csv", "text/csv", b"sku,price\nA,1\n".to_vec())],
        )
        .await;
    let memo_id = crate::helpers::items::created_id(&p);
    let helen = app.login_as("Helen.Head.Sales").await;
    let form = helen.get(&format!("/tasks/new?memo={memo_id}")).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.attr("#f-name", "value").as_deref(), Some("Price list update"));
    assert_eq!(form.text("#f-description"), "New prices from January.");
    let mut subs = form.attrs("#f-subscribers-picker input[name=subscribers]", "value");
    subs.sort();
    let mut want = vec![app.uid("Carl.CoWorker").await, mark_id.clone()];
    want.sort();
    assert_eq!(subs, want);
    let file_box = form.attr("input[name=memo_files]", "value").expect("memo file offered");
    assert!(form.exists("input[name=memo_files][checked]"));

    // The recipient changes the name before saving.
    let task_id = create(
        &helen,
        "/tasks",
        &[
            ("name", "Update the price list"),
            ("description", "New prices from January."),
            ("responsible", &helen_id),
            ("subscribers", &subs[0]),
            ("subscribers", &subs[1]),
            ("memo_id", &memo_id.to_string()),
            ("memo_files", &file_box),
        ],
    )
    .await;
    let task = helen.get(&format!("/tasks/{task_id}")).await;
    assert_eq!(task.text("h1.page-title"), "Update the price list");
    assert_eq!(task.texts("#files li.file a"), ["prices.csv"]);
    // Linked, not duplicated: one blob, two links.
    assert_eq!(app.count("files", sea_query::Cond::all()).await, 1);
    assert_eq!(app.count("attachments", sea_query::Cond::all()).await, 2);
    // The memo links to the task, and counts as considered.
    let memo = carl.get(&format!("/memos/{memo_id}")).await;
    assert_eq!(memo.attr(".task-btn", "href"), Some(format!("/tasks/{task_id}")));
    assert_eq!(memo.text(".page-title .badge"), "Considered");
    // The memo's author and subscriber follow the task.
    assert_eq!(carl.get(&format!("/tasks/{task_id}")).await.status, 200);
    assert_eq!(app.login_as("Mark.Manager.Sales").await.get(&format!("/tasks/{task_id}")).await.status, 200);
    // Only the recipient (not the author) may make a task from it.
    assert_eq!(carl.get(&format!("/tasks/new?memo={memo_id}")).await.status, 403);
}

#[tokio::test]
async fn the_memo_list_filters_by_stage_and_my_role_searches_and_paginates() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let to_helen = memo(&app, &carl, "Budget 2027", "Helen.Head.Sales", &[], false).await;
    memo(&app, &helen, "Team lunch", "Carl.CoWorker", &[], false).await;
    memo(&app, &helen, "For Mark", "Mark.Manager.Sales", &["Carl.CoWorker"], false).await;
    helen.get("/memos").await;
    helen.post_form(&format!("/memos/{to_helen}/stage"), &[("stage", "postponed")]).await;

    let names = |p: crate::helpers::html::Page| p.texts("#memo-list td.name");
    assert_eq!(names(carl.get("/memos?role=mine").await), ["Budget 2027"]);
    assert_eq!(names(carl.get("/memos?role=to-me").await), ["Team lunch"]);
    assert_eq!(names(carl.get("/memos?role=subscribed").await), ["For Mark"]);
    assert_eq!(names(carl.get("/memos?stage=postponed").await), ["Budget 2027"]);
    assert_eq!(names(carl.get("/memos?q=lunch").await), ["Team lunch"]);
    assert_eq!(names(carl.get("/memos?q=decide").await).len(), 3, "searches descriptions too");
    // A fragment for htmx, the whole page otherwise.
    assert!(carl.hx_get("/memos?role=mine").await.is_fragment());

    for i in 0..55 {
        memo(&app, &carl, &format!("Bulk {i:02}"), "Helen.Head.Sales", &[], false).await;
    }
    let first = carl.get("/memos?q=Bulk").await;
    assert_eq!(first.count("#memo-list tbody tr"), 50);
    assert_eq!(first.attr("a[rel=next]", "href").as_deref(), Some("/memos?q=Bulk&page=2"));
    assert_eq!(carl.get("/memos?q=Bulk&page=2").await.count("#memo-list tbody tr"), 5);
}

#[tokio::test]
async fn the_home_pages_memos_are_the_first_of_the_list_of_memos_waiting_for_me() {
    // `memos::repo::first` reads the rows a home page panel shows and counts up to a page for "50+".
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    ferrocrm::cli::seed_demo(&app.db).await.unwrap();
    ferrocrm::seed::run(&app.db, 1).await.unwrap();
    // Garry (a chief: he sees every memo) is sent a third of them and Eve's, Eve none.
    use sea_query::{Expr, ExprTrait, Query};
    let (garry, eve) = (app.user_id("Garry.Chief").await, app.user_id("Eve.Manager.Export").await);
    let third = Expr::col("recipient_id").eq(eve).or(Expr::col("id").modulo(3).eq(0));
    app.db.execute(Query::update().table("memos").value("recipient_id", garry).and_where(third)).await.unwrap();
    let to_me =
        ferrocrm::memos::model::MemoFilter { role: "to-me".into(), stage: "pending".into(), ..Default::default() };
    let ids = |ms: &[ferrocrm::memos::model::Memo]| ms.iter().map(|m| m.id).collect::<Vec<_>>();
    let (mut busy, mut quiet) = (0, 0);
    for u in ["Garry.Chief", "Eve.Manager.Export", "Anna.Accountant", "Mark.Manager.Global", "user0001", "user0020"] {
        let viewer = app.state_viewer(app.user_id(u).await).await;
        let list = ferrocrm::memos::repo::list(&app.db, &viewer, &to_me).await.unwrap();
        for n in [1, 8, 50] {
            let home = ferrocrm::memos::repo::first(&app.db, &viewer, &to_me, n).await.unwrap();
            let want = &list.items[..list.items.len().min(n as usize)];
            assert_eq!(ids(&home.items), ids(want), "{u}, first {n}");
            assert_eq!(home.more, list.more, "{u}: more than a page");
        }
        busy += usize::from(list.more);
        quiet += usize::from(list.items.len() < 8);
    }
    assert!(busy > 0 && quiet > 0, "busy {busy}, quiet {quiet}");
}
