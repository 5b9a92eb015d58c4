//! IMAP import of ticketed mail (issue 10, §7.2) against a real Dovecot: a reply with a deal's
//! ticket is filed on the deal (original, bodies, attachments, workflow line, notice); the skip
//! rules (our own mail, no ticket, unknown ticket) are counted; running again, a new app on the same
//! database and a changed UIDVALIDITY add no duplicates; the report on the account page; "Import
//! now" through the job worker; the account page in Chromium.

use std::time::Duration;

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::Options;
use crate::helpers::client::TestClient;
use crate::helpers::html::Page;
use crate::helpers::imap::Dovecot;
use crate::helpers::{TestApp, crm, spawn_app};

/// Creates Mark's account on `imap` through the form, import on; returns its id.
pub async fn account(c: &TestClient, imap: &Dovecot, import: bool) -> i64 {
    let port = imap.port.to_string();
    let mut f = vec![
        ("name", "Work"),
        ("email", "mark@example.com"),
        ("from_name", "Mark"),
        ("smtp_host", "127.0.0.1"),
        ("smtp_port", "2525"),
        ("smtp_tls", "none"),
        ("smtp_login", imap.user.as_str()),
        ("password", imap.password.as_str()),
        ("imap_host", "127.0.0.1"),
        ("imap_port", port.as_str()),
        ("imap_tls", "none"),
        ("imap_login", ""),
    ];
    if import {
        f.push(("do_import", "on"));
    }
    c.get("/mail-accounts/new").await;
    let p = c.post_form("/mail-accounts", &f).await;
    assert_eq!(p.status, 303, "create: {}", p.body);
    let loc = p.header("location").unwrap();
    loc.trim_start_matches("/mail-accounts/").split('?').next().unwrap().parse().unwrap()
}

/// A deal of Mark's in Sales; returns (id, ticket).
pub async fn deal_of(app: &TestApp, owner: &str) -> (i64, String) {
    let sales = crm::department(app, "Sales").await;
    let user = app.user_id(owner).await;
    let made = crm::spread(app, &[sales], &[Some(user)], None).await;
    let id = made.rows.iter().find(|(k, _)| *k == "deal").map(|(_, id)| *id).expect("a deal");
    let ticket: String = app
        .db
        .scalar(Query::select().column("ticket").from("deals").and_where(Expr::col("id").eq(id)))
        .await
        .unwrap()
        .unwrap();
    (id, ticket)
}

/// One run of the account's import, which must have reached the mailbox.
pub async fn import(app: &TestApp, account: i64) {
    match ferrocrm::mail_import::run::run(&app.state, account).await {
        Ok(ferrocrm::mail_import::run::Ran::Done { more: false }) => {}
        Ok(_) => panic!("the run stopped or left messages"),
        Err(e) => panic!("the run failed: {e}"),
    }
    let (ran, error) = ferrocrm::mail_import::report::account_state(&app.db, account).await.unwrap().unwrap();
    assert!(ran.is_some() && error.is_empty(), "the run did not reach the mailbox: {error}");
}

pub async fn emails_of(app: &TestApp, account: i64) -> i64 {
    app.db
        .scalar(
            Query::select()
                .expr(Expr::col("id").count())
                .from("crm_emails")
                .and_where(Expr::col("account_id").eq(account)),
        )
        .await
        .unwrap()
        .unwrap_or(0)
}

/// The report's numbers of `folder`: seen, filed, own, no ticket, unknown ticket, duplicate, failed.
pub fn counts(p: &Page, folder: &str) -> Vec<i64> {
    let row = format!("#import-folders tr[data-folder=\"{folder}\"] td.num");
    let cells: Vec<i64> = p.texts(&row).iter().map(|t| t.trim().parse().unwrap()).collect();
    assert_eq!(cells.len(), 8, "{folder} row in {}", p.text("#import-report"));
    cells[1..].to_vec()
}

fn reply(ticket: &str, id: &str) -> Vec<u8> {
    format!(
        "From: Clara Client <clara@client.example>\r\nTo: mark@example.com\r\nCc: boss@client.example\r\n\
         Subject: Re: Offer - [ticket:{ticket}]\r\nMessage-ID: <{id}>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n\
         --b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThanks, we accept the offer.\r\n\
         --b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Thanks, we <b>accept</b> the offer.</p><script>alert(1)</script>\r\n\
         --b2--\r\n--b1\r\nContent-Type: application/pdf; name=\"order.pdf\"\r\nContent-Disposition: attachment; filename=\"order.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--b1--\r\n"
    )
    .into_bytes()
}

/// The well-formed reply the corpus truncates and garbles.
pub fn reply_for_corpus(ticket: &str) -> Vec<u8> {
    reply(ticket, "reply-c@client.example")
}

fn plain(subject: &str, id: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: someone@client.example\r\nTo: mark@example.com\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\r\nHello.\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_reply_with_a_deals_ticket_is_filed_on_the_deal_and_the_skip_rules_are_counted() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (deal, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;

    let original = reply(&ticket, "reply-1@client.example");
    imap.append("INBOX", &original).await;
    imap.append("INBOX", &plain("Lunch?", "nt-1@client.example", "")).await;
    imap.append("INBOX", &plain(&format!("Re: [ticket:{ticket}]"), "1700000000.abc@127.0.0.1", "")).await;
    imap.append("INBOX", &plain(&format!("Re: [ticket:{ticket}]"), "x-1@client.example", "X-FerroCRM: email 9\r\n"))
        .await;
    imap.append("INBOX", &plain("Re: [ticket:NOSUCHTICKET]", "u-1@client.example", "")).await;
    imap.append("Sent", &plain(&format!("Our answer [ticket:{ticket}]"), "s-1@mark.example", "")).await;
    // A letter the CRM sent through Mark's account, found in his mailbox: its Message-ID is the
    // row's (on the account's own domain).
    let sales = crm::department(&app, "Sales").await;
    let sent = crate::emails::mail(
        &app,
        crate::emails::Mail { subject: "Offer", sent: true, department: sales, deal: Some(deal), ..Default::default() },
    )
    .await;
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(
        Query::update()
            .table("crm_emails")
            .value("message_id", "<1764.k3y@example.com>")
            .and_where(Expr::col("id").eq(sent)),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    imap.append("INBOX", &plain(&format!("Offer [ticket:{ticket}]"), "1764.k3y@example.com", "")).await;
    // Last in the folder, after every ticketed one: counted once, not again by the next run.
    imap.append("INBOX", &plain("See you", "nt-2@client.example", "")).await;

    let mut live = mark.sse().await;
    import(&app, id).await;
    // The open deal page hears of its new letter, Mark's bell of the notice.
    let deal_event = ferrocrm::events::names::item_changed(ferrocrm::access::ItemKind::Deal, deal);
    live.expect(&deal_event, Duration::from_secs(5)).await;

    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        deal_id: Option<i64>,
        incoming: bool,
        sent: bool,
        owner_id: Option<i64>,
        subject: String,
        content: String,
        html_content: String,
        from_field: String,
        cc: String,
        raw_file_id: Option<i64>,
        uid: Option<i64>,
        imap_folder: String,
        message_id: String,
        created_at: chrono::DateTime<chrono::Utc>,
    }
    let rows: Vec<Row> = app
        .db
        .fetch_all(
            Query::select()
                .columns([
                    "id",
                    "deal_id",
                    "incoming",
                    "sent",
                    "owner_id",
                    "subject",
                    "content",
                    "html_content",
                    "from_field",
                    "cc",
                    "raw_file_id",
                    "uid",
                    "imap_folder",
                    "message_id",
                    "created_at",
                ])
                .from("crm_emails")
                .and_where(Expr::col("account_id").eq(id))
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "the reply and the sent letter, nothing else");
    let r = &rows[0];
    assert_eq!((r.deal_id, r.incoming, r.sent), (Some(deal), true, false));
    assert_eq!(r.owner_id, Some(app.user_id("Mark.Manager.Sales").await), "the deal's owner");
    assert_eq!(r.subject, format!("Re: Offer - [ticket:{ticket}]"));
    assert_eq!(r.content.trim(), "Thanks, we accept the offer.");
    assert!(r.html_content.contains("<b>accept</b>"), "{}", r.html_content);
    assert_eq!(r.from_field, "Clara Client <clara@client.example>");
    assert_eq!(r.cc, "boss@client.example");
    assert_eq!((r.uid, r.imap_folder.as_str(), r.message_id.as_str()), (Some(1), "INBOX", "<reply-1@client.example>"));
    assert_eq!(r.created_at.to_rfc3339(), "2026-12-01T10:00:00+00:00");
    assert!(r.raw_file_id.is_some());
    let s = &rows[1];
    assert_eq!((s.deal_id, s.incoming, s.sent, s.imap_folder.as_str()), (Some(deal), false, true, "Sent"));

    // The original, byte for byte, from the CRM's own store; the attachment is a file of the email.
    let (status, _, bytes) = mark.get_bytes(&format!("/emails/{}/download", r.id)).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, original);
    let page = mark.get(&format!("/emails/{}", r.id)).await;
    assert_eq!(page.status, 200);
    assert!(page.text("body").contains("order.pdf"), "the attachment is listed");
    let frame = page.attr("iframe[srcdoc]", "srcdoc").expect("the HTML body in its frame");
    assert!(frame.contains("<b>accept</b>") && !frame.contains("<script"), "{frame}");

    // The deal: both letters, the workflow lines, Mark's notice.
    let deal_page = mark.get(&format!("/deals/{deal}")).await;
    assert_eq!(
        deal_page.count(".letters-list li.letter"),
        3,
        "the two imported and the one sent: {}",
        deal_page.text(".letters")
    );
    let workflow: String = app
        .db
        .scalar(Query::select().column("workflow").from("deals").and_where(Expr::col("id").eq(deal)))
        .await
        .unwrap()
        .unwrap();
    assert!(workflow.contains("Received an email from \u{201c}Clara Client\u{201d}"), "{workflow}");
    assert!(workflow.contains("The Email has been sent to \u{201c}mark@example.com\u{201d}"), "{workflow}");
    let notices: Vec<(String, String)> = app
        .db
        .fetch_all(
            Query::select()
                .columns(["title", "url"])
                .from("notifications")
                .and_where(Expr::col("user_id").eq(app.user_id("Mark.Manager.Sales").await)),
        )
        .await
        .unwrap();
    assert_eq!(notices, vec![("Received an email from \u{201c}Clara Client\u{201d}".into(), format!("/deals/{deal}"))]);

    // The report: every message accounted for, by reason.
    let p = mark.get(&format!("/mail-accounts/{id}")).await;
    assert_eq!(
        counts(&p, "INBOX"),
        vec![7, 1, 3, 2, 1, 0, 0],
        "seen, filed, own, no ticket, unknown, duplicate, failed"
    );
    assert_eq!(counts(&p, "Sent"), vec![1, 1, 0, 0, 0, 0, 0]);
    let (validity, _) = imap.status("INBOX").await;
    assert_eq!(p.text("#import-folders tr[data-folder=\"INBOX\"] td.uidvalidity"), validity.to_string());
    assert_eq!(p.text("#import-folders tr[data-folder=\"INBOX\"] td.last-uid"), "7");
    // Again: nothing new, nothing counted twice.
    import(&app, id).await;
    let p = mark.get(&format!("/mail-accounts/{id}")).await;
    assert_eq!(counts(&p, "INBOX"), vec![7, 1, 3, 2, 1, 0, 0]);
    assert!(!p.exists("#import-error") && !p.exists("#import-failures"));
}

#[tokio::test]
async fn running_again_a_restarted_app_and_a_new_uidvalidity_add_no_duplicates() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (_, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    for i in 0..3 {
        imap.append("INBOX", &reply(&ticket, &format!("r-{i}@client.example"))).await;
    }
    // No Message-ID at all: recognised by its bytes.
    imap.append("INBOX", format!("From: a@client.example\r\nSubject: [ticket:{ticket}]\r\n\r\nno id\r\n").as_bytes())
        .await;
    import(&app, id).await;
    assert_eq!(emails_of(&app, id).await, 4);

    // Again: nothing new to fetch.
    import(&app, id).await;
    assert_eq!(emails_of(&app, id).await, 4);

    // A new instance on the same database (a restart, with the installation's key); a letter that
    // came meanwhile is filed, the others are not fetched again.
    let key = std::fs::read_to_string(app.dir.path().join("secret.key")).unwrap();
    let secret_key = Some(ferrocrm::secrets::Key::parse(&key).unwrap());
    let again =
        TestApp::with(Options { database_url: Some(app.database_url.clone()), secret_key, ..Default::default() }).await;
    imap.append("INBOX", &reply(&ticket, "r-3@client.example")).await;
    import(&again, id).await;
    assert_eq!(emails_of(&again, id).await, 5);

    // The server forgets its UIDs: the folder is scanned again, nothing is filed twice.
    let (before, _) = imap.status("INBOX").await;
    imap.set_uidvalidity("INBOX", before + 1000);
    assert_eq!(imap.status("INBOX").await.0, before + 1000);
    import(&again, id).await;
    assert_eq!(emails_of(&again, id).await, 5);
    let p = mark.get(&format!("/mail-accounts/{id}")).await;
    assert_eq!(
        counts(&p, "INBOX"),
        vec![10, 5, 0, 0, 0, 5, 0],
        "seen, filed, own, no ticket, unknown, duplicate, failed"
    );
    assert_eq!(
        p.text("#import-folders tr[data-folder=\"INBOX\"] td.uidvalidity"),
        format!("{} changed 1×, scanned again", before + 1000)
    );

    // A new message after all that is filed once.
    imap.append("INBOX", &reply(&ticket, "r-new@client.example")).await;
    import(&again, id).await;
    assert_eq!(emails_of(&again, id).await, 6);
}

#[tokio::test]
async fn import_now_runs_the_accounts_job_through_the_worker_and_only_for_its_owner() {
    let app = TestApp::with(Options { seed_users: true, workers: true, ..Default::default() }).await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (deal, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    imap.append("INBOX", &reply(&ticket, "first@client.example")).await;
    // Saving the account with import on starts its job: the waiting reply is filed.
    let id = account(&mark, &imap, true).await;
    wait_for(&app, id, 1).await;

    imap.append("INBOX", &reply(&ticket, "second@client.example")).await;
    let p = mark.post_form(&format!("/mail-accounts/{id}/import"), &[]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.header("location").as_deref(), Some(format!("/mail-accounts/{id}?queued=1").as_str()));
    wait_for(&app, id, 2).await;
    let page = mark.get(&format!("/mail-accounts/{id}?queued=1")).await;
    assert!(page.exists("#import-report .flash-success"));
    assert_eq!(mark.get(&format!("/deals/{deal}")).await.count(".letters-list li.letter"), 2);

    // Someone else's account: not there for them; an administrator may.
    let eve = app.login_as("Eve.Manager.Export").await;
    eve.get("/mail-accounts").await;
    assert_eq!(eve.post_form(&format!("/mail-accounts/{id}/import"), &[]).await.status, 404);
    let adam = app.login_as("Adam.Admin").await;
    adam.get("/mail-accounts").await;
    assert_eq!(adam.post_form(&format!("/mail-accounts/{id}/import"), &[]).await.status, 303);

    // Import off: the button is gone and a post says why.
    let off = account(&mark, &imap, false).await;
    let p = mark.get(&format!("/mail-accounts/{off}")).await;
    assert!(!p.exists(&format!("form[action=\"/mail-accounts/{off}/import\"]")));
    let refused = mark.post_form(&format!("/mail-accounts/{off}/import"), &[]).await;
    assert_eq!(refused.status, 409);
    assert!(refused.text("body").contains("Import is switched off"), "{}", refused.text("body"));
}

async fn wait_for(app: &TestApp, account: i64, n: i64) {
    let start = std::time::Instant::now();
    while emails_of(app, account).await < n {
        assert!(start.elapsed() < Duration::from_secs(20), "the import did not file {n} emails within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(emails_of(app, account).await, n);
}

#[tokio::test]
async fn a_login_the_server_refuses_is_told_on_the_account_page() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    let mut tx = app.db.begin().await.unwrap();
    let sealed =
        app.state.mail.cipher.seal(ferrocrm::mail_accounts::model::PASSWORD_PURPOSE, "wrong-password").unwrap();
    tx.execute(Query::update().table("mail_accounts").value("password", sealed).and_where(Expr::col("id").eq(id)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(
        ferrocrm::mail_import::run::run(&app.state, id).await,
        Ok(ferrocrm::mail_import::run::Ran::Done { more: false })
    ));
    let p = mark.get(&format!("/mail-accounts/{id}")).await;
    assert!(p.text("#import-error").contains("The IMAP server refused the login"), "{}", p.text("#import-report"));
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_reported_with_its_reason_and_the_rest_is_filed() {
    let app =
        TestApp::with(Options { seed_users: true, mail_import_max_bytes: Some(100_000), ..Default::default() }).await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (_, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    let mut big = plain(&format!("Re: [ticket:{ticket}]"), "big@client.example", "");
    big.extend(std::iter::repeat_n(b'x', 150_000));
    imap.append("INBOX", &big).await;
    imap.append("INBOX", &reply(&ticket, "small@client.example")).await;
    import(&app, id).await;
    assert_eq!(emails_of(&app, id).await, 1);
    let p = mark.get(&format!("/mail-accounts/{id}")).await;
    assert_eq!(counts(&p, "INBOX"), vec![2, 1, 0, 0, 0, 0, 1]);
    let why = p.text("#import-failures td.failure-error");
    assert!(why.starts_with("The message is 146.") && why.contains("over the import's limit"), "{why}");
    // Reported once: the next run does not try it again.
    import(&app, id).await;
    assert_eq!(counts(&mark.get(&format!("/mail-accounts/{id}")).await, "INBOX"), vec![2, 1, 0, 0, 0, 0, 1]);
}

#[tokio::test]
async fn in_a_browser_the_report_shows_each_folder_and_import_now_comes_back_to_it() {
    use crate::helpers::browser::Browser;
    let app = TestApp::with(Options {
        seed_users: true,
        workers: true,
        mail_import_max_bytes: Some(100_000),
        ..Default::default()
    })
    .await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (_, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    let mut big = plain(&format!("Re: [ticket:{ticket}]"), "big@client.example", "");
    big.extend(std::iter::repeat_n(b'x', 150_000));
    imap.append("INBOX", &big).await;
    imap.append("INBOX", &reply(&ticket, "b-1@client.example")).await;
    imap.append("INBOX", &plain("Lunch?", "b-2@client.example", "")).await;
    imap.append("Sent", &plain(&format!("Our answer [ticket:{ticket}]"), "b-3@mark.example", "")).await;
    let id = account(&mark, &imap, true).await;
    wait_for(&app, id, 2).await;

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&app.url(&format!("/mail-accounts/{id}"))).await;
    let table = b.text("#import-folders").await;
    assert!(table.contains("INBOX") && table.contains("Sent"), "{table}");
    b.click("#import-failures summary").await;
    assert!(b.text("#import-failures").await.contains("over the import's limit"));
    b.js("document.querySelector('#import-report').scrollIntoView({block: 'center'})").await;
    b.shot("mail-import-report.png").await;
    imap.append("INBOX", &reply(&ticket, "b-4@client.example")).await;
    b.js("document.querySelector('#import-report form button').scrollIntoView({block: 'center'})").await;
    b.click("#import-report form button[type=submit]").await;
    b.wait_text("#import-report .flash-success", Duration::from_secs(10), |t| t.contains("will run within seconds"))
        .await;
    wait_for(&app, id, 3).await;
    b.goto(&app.url(&format!("/mail-accounts/{id}"))).await;
    let inbox = b.text("#import-folders tr[data-folder=\"INBOX\"]").await;
    assert!(inbox.contains("INBOX"), "{inbox}");
    assert!(b.console().await.is_empty(), "{:?}", b.console().await);
    b.close().await;
}

#[tokio::test]
async fn a_reply_with_a_requests_ticket_is_filed_on_the_request() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let sales = crm::department(&app, "Sales").await;
    let source: i64 = app
        .db
        .scalar(
            Query::select().column("id").from("lead_sources").and_where(Expr::col("department_id").eq(sales)).limit(1),
        )
        .await
        .unwrap()
        .expect("a lead source");
    let s = ferrocrm::requests::create::Submission {
        name: "Zoe Zed".into(),
        email: "zoe@client.example".into(),
        subject: "Prices?".into(),
        lead_source_id: source,
        ..Default::default()
    };
    let created = ferrocrm::requests::create::create_incoming(&app.state, s).await.unwrap();
    let id = account(&mark, &imap, true).await;
    imap.append("INBOX", &reply(&created.ticket, "zoe-2@client.example")).await;
    import(&app, id).await;
    let rows: Vec<(Option<i64>, Option<i64>, i64)> = app
        .db
        .fetch_all(
            Query::select()
                .columns(["request_id", "deal_id", "department_id"])
                .from("crm_emails")
                .and_where(Expr::col("account_id").eq(id)),
        )
        .await
        .unwrap();
    assert_eq!(rows, vec![(Some(created.id), None, sales)]);
    let url: Option<String> = app
        .db
        .scalar(
            Query::select()
                .column("url")
                .from("notifications")
                .and_where(Expr::col("title").like("Received an email%")),
        )
        .await
        .unwrap();
    assert_eq!(url, Some(format!("/requests/{}", created.id)));
}

#[tokio::test]
async fn over_idle_new_mail_is_filed_within_seconds_not_at_the_next_poll() {
    // The poll interval is the default two minutes: only IDLE can file the second letter in time.
    let app = TestApp::with(Options { seed_users: true, workers: true, ..Default::default() }).await;
    assert_eq!(app.state.config.mail_import_interval, Duration::from_secs(120));
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (deal, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    imap.append("INBOX", &reply(&ticket, "idle-1@client.example")).await;
    let id = account(&mark, &imap, true).await;
    wait_for(&app, id, 1).await;
    let mut live = mark.sse().await;
    for (n, msg) in ["idle-2@client.example", "idle-3@client.example"].iter().enumerate() {
        imap.append("INBOX", &reply(&ticket, msg)).await;
        let start = std::time::Instant::now();
        wait_for(&app, id, n as i64 + 2).await;
        assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
    }
    // The open deal page heard of it.
    let deal_event = ferrocrm::events::names::item_changed(ferrocrm::access::ItemKind::Deal, deal);
    live.expect(&deal_event, Duration::from_secs(5)).await;
}
