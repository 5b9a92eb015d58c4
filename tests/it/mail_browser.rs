//! The mailbox browser (issue 10, §7.3/§7.4) against a real Dovecot: INBOX newest first in pages
//! of 40 with what is imported marked; "Import request from ✉" makes a matched request (contact by
//! the sender's address, lead source by the To address) and a second import adds nothing; "Import ✉"
//! on a deal files the letter with the deal's ticket; DELETE, SPAM and MARK AS READ change the
//! mailbox (checked over IMAP); someone else's mailbox is 404 and nothing changes; a mail the CRM
//! sent is refused; the original by UID is shown cleaned; the page in Chromium.

use futures_util::StreamExt;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::client::TestClient;
use crate::helpers::html::Page;
use crate::helpers::imap::Dovecot;
use crate::helpers::{TestApp, crm, spawn_app};
use crate::mail_import::{account, deal_of};

fn message(n: usize, from: &str, to: &str, subject: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <m-{n}@client.example>\r\n\
         Date: Tue, 01 Dec 2026 10:{:02}:00 +0000\r\n{extra}\r\nHello number {n}.\r\n",
        n % 60
    )
    .into_bytes()
}

/// A message with an HTML part (with a script) and an attachment, from Clara to `to`.
fn inquiry(to: &str) -> Vec<u8> {
    format!(
        "From: Clara Client <clara@client.example>\r\nTo: {to}\r\nSubject: Price for 40 pumps\r\n\
         Message-ID: <inq-1@client.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n\
         --b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease quote 40 pumps.\r\n\
         --b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Please quote <b>40</b> pumps.</p><script>alert(1)</script>\r\n\
         --b2--\r\n--b1\r\nContent-Type: application/pdf; name=\"spec.pdf\"\r\nContent-Disposition: attachment; filename=\"spec.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--b1--\r\n"
    )
    .into_bytes()
}

/// A session on the test server.
async fn session(imap: &Dovecot) -> async_imap::Session<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect((imap.host.as_str(), imap.port)).await.expect("connect");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting");
    client.login(&imap.user, &imap.password).await.map_err(|(e, _)| e).expect("login")
}

/// `folder`'s messages over IMAP: (UID, seen, Message-ID header line).
async fn folder(imap: &Dovecot, name: &str) -> Vec<(u32, bool, String)> {
    let mut s = session(imap).await;
    let mb = s.examine(name).await.expect("examine");
    let mut out = Vec::new();
    if mb.exists > 0 {
        let items: Vec<_> =
            s.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])").await.unwrap().collect().await;
        for item in items {
            let item = item.unwrap();
            let seen = item.flags().any(|f| matches!(f, async_imap::types::Flag::Seen));
            let id = String::from_utf8_lossy(item.header().unwrap_or_default()).trim().to_string();
            out.push((item.uid.unwrap(), seen, id));
        }
    }
    let _ = s.logout().await;
    out.sort();
    out
}

async fn create_folder(imap: &Dovecot, name: &str) {
    let mut s = session(imap).await;
    s.create(name).await.expect("create");
    let _ = s.logout().await;
}

async fn count(app: &TestApp, table: &'static str) -> i64 {
    app.db.scalar(Query::select().expr(Expr::col("id").count()).from(table)).await.unwrap().unwrap_or(0)
}

fn uids(p: &Page) -> Vec<u32> {
    p.attrs("#mailbox-list tr.message", "data-uid").iter().map(|u| u.parse().unwrap()).collect()
}

async fn act(c: &TestClient, account: i64, action: &str, uids: &[u32], extra: &[(&str, &str)]) -> Page {
    let list: Vec<String> = uids.iter().map(u32::to_string).collect();
    let mut f: Vec<(&str, &str)> = vec![("action", action)];
    f.extend(list.iter().map(|u| ("uid", u.as_str())));
    f.extend_from_slice(extra);
    c.post_form(&format!("/mail-import/{account}"), &f).await
}

#[tokio::test]
async fn the_browser_lists_inbox_newest_first_in_pages_of_40_and_marks_what_is_imported() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    let all: Vec<Vec<u8>> = (1..=45)
        .map(|n| message(n, "Visitor <v@client.example>", "mark@example.com", &format!("Message {n}"), ""))
        .collect();
    assert!(imap.append_all("INBOX", &all).await.iter().all(Result::is_ok));

    // The Requests list has the button; one account: straight to its mailbox.
    let list = mark.get("/requests").await;
    assert_eq!(list.attr("a#import-request", "href").as_deref(), Some("/mail-import"));
    let go = mark.get("/mail-import").await;
    assert_eq!((go.status.as_u16(), go.header("location")), (303, Some(format!("/mail-import/{id}"))));

    let p = mark.get(&format!("/mail-import/{id}")).await;
    assert_eq!(p.status, 200, "{}", p.text("main"));
    assert_eq!(uids(&p), (6..=45).rev().collect::<Vec<u32>>(), "40 newest first");
    assert_eq!(p.text("#mailbox-pages .page-info"), "Page 1 of 2 · 45 messages");
    assert_eq!(p.text("#mailbox-list tr[data-uid=\"45\"] td.subject strong"), "Message 45", "unseen: bold");
    assert_eq!(p.text("#mailbox-list tr[data-uid=\"45\"] td.from"), "Visitor <v@client.example>");
    assert_eq!(p.count("#mailbox-list input[type=checkbox][name=uid]"), 40);
    assert!(p.exists("button[name=action][value=delete][data-confirm]"), "DELETE asks first");
    let p2 = mark.get(&format!("/mail-import/{id}?page=2")).await;
    assert_eq!(uids(&p2), vec![5, 4, 3, 2, 1]);

    // Imported (here: a request made from UID 45): marked, no checkbox; the others keep theirs.
    let done = act(&mark, id, "import", &[45], &[]).await;
    assert_eq!(done.status, 200, "{}", done.text("main"));
    assert!(done.text(".flash-success").contains("Imported 1 message."), "{}", done.text("main"));
    assert!(done.exists("#mailbox-list tr[data-uid=\"45\"].imported .imported-mark"));
    assert!(!done.exists("#mailbox-list tr[data-uid=\"45\"] input[type=checkbox]"));
    assert!(done.exists("#mailbox-list tr[data-uid=\"44\"] input[type=checkbox]"));
    assert!(!done.exists("#mailbox-list tr[data-uid=\"44\"].imported"));
    // Nothing was marked read by looking: the list and the import peek.
    assert!(folder(&imap, "INBOX").await.iter().all(|(_, seen, _)| !seen));

    // In a browser.
    use crate::helpers::browser::Browser;
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&app.url(&format!("/mail-import/{id}"))).await;
    assert!(b.text("#mailbox-list").await.contains("Message 44"));
    b.shot("mail-browser.png").await;
    b.goto(&app.url(&format!("/mail-import/{id}/44"))).await;
    assert_eq!(b.text("h1").await, "Message 44");
    b.shot("mail-browser-original.png").await;
    assert!(b.console().await.is_empty(), "{:?}", b.console().await);
    b.close().await;
}

/// A company and its contact person Clara (clara@client.example) in Sales, owned by Mark.
async fn clara(app: &TestApp, sales: i64, mark: i64) -> i64 {
    use ferrocrm::crm::record::Val;
    use ferrocrm::crm::repo::{self, Names, Record};
    use ferrocrm::crm::{company, person};
    let insert = |spec: &'static repo::Spec, vals: Vec<(&'static str, Val)>, token: &'static str| async move {
        let mut r = Record::blank(spec, sales, Some(mark));
        for (c, v) in &vals {
            r.set(spec, c, v.clone());
        }
        let mut tx = app.db.begin().await.unwrap();
        let actor = ferrocrm::history::Actor::system("test");
        let id = repo::insert(&mut tx, spec, &r, &[("token", token.into())], &actor, &Names::default()).await.unwrap();
        tx.commit().await.unwrap();
        id
    };
    let co = insert(
        &company::SPEC,
        vec![("full_name", Val::Text("Client Ltd".into())), ("email", Val::Text("info@client.example".into()))],
        "tok-co",
    )
    .await;
    insert(
        &person::CONTACT,
        vec![
            ("first_name", Val::Text("Clara".into())),
            ("last_name", Val::Text("Client".into())),
            ("email", Val::Text("clara@client.example".into())),
            ("company_id", Val::Int(co)),
        ],
        "tok-ct",
    )
    .await
}

#[tokio::test]
async fn an_inquiry_import_makes_a_matched_request_and_a_second_import_adds_nothing() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let contact = clara(&app, sales, mark_id).await;
    let source: i64 = app
        .db
        .scalar(
            Query::select().column("id").from("lead_sources").and_where(Expr::col("department_id").eq(sales)).limit(1),
        )
        .await
        .unwrap()
        .expect("a lead source");
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(
        Query::update()
            .table("lead_sources")
            .value("email", "Sales@Ours.example")
            .and_where(Expr::col("id").eq(source)),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    imap.append("INBOX", &inquiry("sales@ours.example")).await;

    // The original by UID: headers, the HTML cleaned in its sandboxed frame, the attachment's name.
    let o = mark.get(&format!("/mail-import/{id}/1")).await;
    assert_eq!(o.status, 200);
    assert_eq!(o.text("h1"), "Price for 40 pumps");
    let frame = o.attr("iframe.email-body[sandbox]", "srcdoc").expect("the HTML body in its frame");
    assert!(frame.contains("<b>40</b>") && !frame.contains("<script"), "{frame}");
    assert!(o.text(".attachments").contains("spec.pdf"));
    let gone = mark.get(&format!("/mail-import/{id}/99")).await;
    assert!(gone.text("#original-error").contains("has been deleted"), "{}", gone.text("main"));

    let before = (count(&app, "requests").await, count(&app, "crm_emails").await, count(&app, "attachments").await);
    let p = act(&mark, id, "import", &[1], &[]).await;
    assert!(p.text(".flash-success").contains("Imported 1 message."), "{}", p.text("main"));
    #[derive(sqlx::FromRow, Debug)]
    struct Req {
        id: i64,
        request_for: String,
        first_name: String,
        last_name: String,
        email: String,
        description: String,
        contact_id: Option<i64>,
        company_id: Option<i64>,
        lead_source_id: Option<i64>,
        owner_id: Option<i64>,
        department_id: i64,
        receipt_date: chrono::NaiveDate,
        ticket: String,
        pending: bool,
    }
    let reqs: Vec<Req> = app
        .db
        .fetch_all(
            Query::select()
                .columns([
                    "id",
                    "request_for",
                    "first_name",
                    "last_name",
                    "email",
                    "description",
                    "contact_id",
                    "company_id",
                    "lead_source_id",
                    "owner_id",
                    "department_id",
                    "receipt_date",
                    "ticket",
                    "pending",
                ])
                .from("requests"),
        )
        .await
        .unwrap();
    assert_eq!(reqs.len() as i64, before.0 + 1);
    let r = reqs.last().unwrap();
    assert_eq!(
        (r.request_for.as_str(), r.first_name.as_str(), r.last_name.as_str(), r.email.as_str()),
        ("Price for 40 pumps", "Clara", "Client", "clara@client.example")
    );
    assert_eq!(r.description.trim(), "Please quote 40 pumps.");
    assert_eq!(r.contact_id, Some(contact), "matched by the sender's address (§6.4)");
    assert!(r.company_id.is_some(), "the contact's company");
    assert_eq!(r.lead_source_id, Some(source), "the lead source of the To address");
    assert_eq!((r.owner_id, r.department_id), (Some(mark_id), sales));
    assert_eq!(r.receipt_date.to_string(), "2026-12-01");
    assert!(r.pending);
    assert_eq!(p.attr(".import-links a", "href"), Some(format!("/requests/{}", r.id)));
    let email: (Option<i64>, String, bool, bool, Option<i64>, Option<i64>) = app
        .db
        .fetch_optional(
            Query::select()
                .columns(["request_id", "ticket", "inquiry", "incoming", "uid", "contact_id"])
                .from("crm_emails")
                .and_where(Expr::col("account_id").eq(id)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(email, (Some(r.id), r.ticket.clone(), true, true, Some(1), Some(contact)));
    let files: i64 = app
        .db
        .scalar(
            Query::select()
                .expr(Expr::col("id").count())
                .from("attachments")
                .and_where(Expr::col("object_type").eq("request"))
                .and_where(Expr::col("object_id").eq(r.id)),
        )
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(files, 1, "the attachment is a file of the request");
    let page = mark.get(&format!("/requests/{}", r.id)).await;
    assert_eq!(page.count(".letters-list li.letter"), 1, "the email is in the request's thread");

    // Again: 0 rows anywhere.
    let after = (count(&app, "requests").await, count(&app, "crm_emails").await, count(&app, "attachments").await);
    let again = act(&mark, id, "import", &[1], &[]).await;
    assert!(again.text(".flash-success").contains("in the CRM already"), "{}", again.text("main"));
    assert_eq!(
        (count(&app, "requests").await, count(&app, "crm_emails").await, count(&app, "attachments").await),
        after
    );
    assert_eq!(after.0, before.0 + 1);
}

#[tokio::test]
async fn import_letter_files_it_on_the_deal_with_the_deals_ticket() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (deal, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    imap.append("INBOX", &message(1, "Clara Client <clara@client.example>", "mark@example.com", "No ticket here", ""))
        .await;
    let page = mark.get(&format!("/deals/{deal}")).await;
    assert_eq!(page.attr("a.import-email", "href"), Some(format!("/mail-import?deal={deal}")));
    let go = mark.get(&format!("/mail-import?deal={deal}")).await;
    assert_eq!(go.header("location"), Some(format!("/mail-import/{id}?deal={deal}")));
    let requests = count(&app, "requests").await;
    let deal_s = deal.to_string();
    let p = act(&mark, id, "import", &[1], &[("deal", deal_s.as_str())]).await;
    assert!(p.text(".flash-success").contains("Imported 1 message."), "{}", p.text("main"));
    let row: (Option<i64>, String, bool, bool, Option<i64>) = app
        .db
        .fetch_optional(
            Query::select()
                .columns(["deal_id", "ticket", "inquiry", "incoming", "request_id"])
                .from("crm_emails")
                .and_where(Expr::col("account_id").eq(id)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.0, Some(deal));
    assert_eq!(row.1, ticket, "the deal's ticket though the text has none");
    assert_eq!((row.2, row.3), (false, true));
    assert_eq!(count(&app, "requests").await, requests, "no request made");
    let workflow: String = app
        .db
        .scalar(Query::select().column("workflow").from("deals").and_where(Expr::col("id").eq(deal)))
        .await
        .unwrap()
        .unwrap();
    assert!(workflow.contains("Received an email from \u{201c}Clara Client\u{201d}"), "{workflow}");
    assert_eq!(mark.get(&format!("/deals/{deal}")).await.count(".letters-list li.letter"), 1);
}

#[tokio::test]
async fn delete_spam_and_mark_read_change_the_mailbox() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    for n in 1..=4 {
        imap.append("INBOX", &message(n, "v@client.example", "mark@example.com", &format!("M{n}"), "")).await;
    }
    // No Junk folder yet: SPAM says so and moves nothing.
    let p = act(&mark, id, "spam", &[3], &[]).await;
    assert!(p.text(".flash-error").contains("no Spam or Junk folder"), "{}", p.text("main"));
    assert_eq!(folder(&imap, "INBOX").await.len(), 4);
    create_folder(&imap, "Trash").await;
    create_folder(&imap, "Junk").await;

    let p = act(&mark, id, "read", &[1], &[]).await;
    assert!(p.text(".flash-success").contains("1 message marked as read."), "{}", p.text("main"));
    let inbox = folder(&imap, "INBOX").await;
    assert_eq!(
        inbox.iter().map(|(u, s, _)| (*u, *s)).collect::<Vec<_>>(),
        vec![(1, true), (2, false), (3, false), (4, false)]
    );
    assert!(
        !p.exists("#mailbox-list tr[data-uid=\"1\"] td.subject strong")
            && p.exists("#mailbox-list tr[data-uid=\"2\"] td.subject strong")
    );

    let p = act(&mark, id, "delete", &[2], &[]).await;
    assert!(p.text(".flash-success").contains("moved to Trash"), "{}", p.text("main"));
    // The outcome shows once; the address bar gets the listing's URL, so a reload does not act again.
    assert_eq!(p.header("hx-replace-url").as_deref(), Some(format!("/mail-import/{id}").as_str()));
    let p = act(&mark, id, "spam", &[3], &[]).await;
    assert!(p.text(".flash-success").contains("moved to Junk"), "{}", p.text("main"));
    let inbox: Vec<u32> = folder(&imap, "INBOX").await.iter().map(|(u, _, _)| *u).collect();
    assert_eq!(inbox, vec![1, 4]);
    assert_eq!(uids(&p), vec![4, 1]);
    let trash = folder(&imap, "Trash").await;
    assert_eq!(trash.len(), 1);
    assert!(trash[0].2.contains("m-2@client.example"), "{:?}", trash);
    let junk = folder(&imap, "Junk").await;
    assert!(junk.len() == 1 && junk[0].2.contains("m-3@client.example"), "{:?}", junk);

    // Nothing ticked: said, nothing done.
    let p = act(&mark, id, "delete", &[], &[]).await;
    assert!(p.text(".flash-error").contains("Tick at least one message"));
    assert_eq!(folder(&imap, "INBOX").await.len(), 2);
}

#[tokio::test]
async fn someone_elses_mailbox_is_not_there_and_nothing_changes() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    imap.append("INBOX", &message(1, "Clara <clara@client.example>", "mark@example.com", "Hello", "")).await;
    let before = (count(&app, "requests").await, count(&app, "crm_emails").await);

    for user in ["Eve.Manager.Export", "Adam.Admin"] {
        let c = app.login_as(user).await;
        c.get("/requests").await;
        assert_eq!(c.get(&format!("/mail-import/{id}")).await.status, 404, "{user}");
        assert_eq!(c.get(&format!("/mail-import/{id}/1")).await.status, 404, "{user}");
        for action in ["import", "delete", "spam", "read"] {
            assert_eq!(act(&c, id, action, &[1], &[]).await.status, 404, "{user} {action}");
        }
        let none = c.get("/mail-import").await;
        assert!(
            none.text("#mail-account-choice").contains("You do not have mail accounts marked for importing emails."),
            "{}",
            none.text("main")
        );
    }
    // Without the role (an operator, a co-worker): no button, 403.
    for user in ["Olga.Operator.Sales", "Carl.CoWorker"] {
        let c = app.login_as(user).await;
        assert!(!c.get("/requests").await.exists("a#import-request"), "{user}");
        assert_eq!(c.get("/mail-import").await.status, 403, "{user}");
        assert_eq!(act(&c, id, "delete", &[1], &[]).await.status, 403, "{user}");
    }
    assert_eq!(folder(&imap, "INBOX").await.iter().map(|(u, s, _)| (*u, *s)).collect::<Vec<_>>(), vec![(1, false)]);
    assert_eq!((count(&app, "requests").await, count(&app, "crm_emails").await), before);

    // A co-owner of the account may browse it (the positive control of the same requests).
    let eve = app.user_id("Eve.Manager.Export").await;
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(Query::update().table("mail_accounts").value("co_owner_id", eve).and_where(Expr::col("id").eq(id)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let c = app.login_as("Eve.Manager.Export").await;
    c.get("/requests").await;
    assert_eq!(uids(&c.get(&format!("/mail-import/{id}")).await), vec![1]);
}

#[tokio::test]
async fn a_mail_the_crm_sent_is_refused() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = account(&mark, &imap, true).await;
    imap.append(
        "INBOX",
        &message(1, "mark@example.com", "clara@client.example", "Our offer", "X-FerroCRM: email 5\r\n"),
    )
    .await;
    let before = (count(&app, "requests").await, count(&app, "crm_emails").await);
    let p = act(&mark, id, "import", &[1], &[]).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.text(".flash-error"), "ERROR: Trying to import an email sent from CRM!");
    assert!(!p.exists(".flash-success"));
    assert_eq!((count(&app, "requests").await, count(&app, "crm_emails").await), before);

    // A server that refuses the login: said on the page in its words, not a 500.
    let mut tx = app.db.begin().await.unwrap();
    let sealed = app.state.mail.cipher.seal(ferrocrm::mail_accounts::model::PASSWORD_PURPOSE, "wrong").unwrap();
    tx.execute(Query::update().table("mail_accounts").value("password", sealed).and_where(Expr::col("id").eq(id)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let p = mark.get(&format!("/mail-import/{id}")).await;
    assert_eq!(p.status, 200);
    assert!(p.text("#mailbox-error").contains("The IMAP server refused the login"), "{}", p.text("main"));
    let p = act(&mark, id, "read", &[1], &[]).await;
    assert!(p.text(".flash-error").contains("The IMAP server refused the login"), "{}", p.text("main"));
}

#[tokio::test]
async fn with_several_accounts_one_is_chosen_and_the_request_page_has_its_button() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let first = account(&mark, &imap, true).await;
    let second = account(&mark, &imap, true).await;
    // An account with import off is not offered.
    let off = account(&mark, &imap, false).await;
    let p = mark.get("/mail-import").await;
    assert_eq!(p.status, 200);
    assert_eq!(p.text("#mail-account-choice legend"), "Please select an Email account");
    let offered: Vec<String> = p.attrs("#mail-account-choice input[type=radio][name=account]", "value");
    assert_eq!(offered, vec![first.to_string(), second.to_string()]);
    let go = mark.get(&format!("/mail-import?account={second}")).await;
    assert_eq!(go.header("location"), Some(format!("/mail-import/{second}")));
    assert_eq!(mark.get(&format!("/mail-import/{off}")).await.status, 404, "import off");

    let sales = crm::department(&app, "Sales").await;
    let source: i64 = app
        .db
        .scalar(
            Query::select().column("id").from("lead_sources").and_where(Expr::col("department_id").eq(sales)).limit(1),
        )
        .await
        .unwrap()
        .unwrap();
    let s = ferrocrm::requests::create::Submission {
        name: "Zoe Zed".into(),
        email: "zoe@client.example".into(),
        subject: "Prices?".into(),
        lead_source_id: source,
        ..Default::default()
    };
    let created = ferrocrm::requests::create::create_incoming(&app.state, s).await.unwrap();
    // Mark's request (a manager changes the requests he owns).
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(Query::update().table("requests").value("owner_id", mark_id).and_where(Expr::col("id").eq(created.id)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let page = mark.get(&format!("/requests/{}", created.id)).await;
    assert_eq!(page.attr("a.import-email", "href"), Some(format!("/mail-import?request={}", created.id)));
    let go = mark.get(&format!("/mail-import?request={}&account={first}", created.id)).await;
    assert_eq!(go.header("location"), Some(format!("/mail-import/{first}?request={}", created.id)));
    // A letter imported there takes the request's ticket.
    imap.append("INBOX", &message(7, "Zoe Zed <zoe@client.example>", "mark@example.com", "More", "")).await;
    let req = created.id.to_string();
    let p = act(&mark, first, "import", &[1], &[("request", req.as_str())]).await;
    assert!(p.text(".flash-success").contains("Imported 1 message."), "{}", p.text("main"));
    let row: (Option<i64>, String) = app
        .db
        .fetch_optional(
            Query::select()
                .columns(["request_id", "ticket"])
                .from("crm_emails")
                .and_where(Expr::col("account_id").eq(first)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row, (Some(created.id), created.ticket.clone()));
}
