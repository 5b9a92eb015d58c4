//! Writing and sending emails (issue 10, §7.1): compose from a deal (ticket in the subject, the
//! footnote, the default signature), the durable outbox (the row and its job commit together, the
//! worker sends through the user's main account with its login), live status on the email page,
//! permanent and temporary SMTP failures, reply with threading headers, validation (422, nothing
//! stored, header injection refused), and who may write from where through which account.
//! Against the real aiosmtpd sink, on both backends.

use std::time::Duration;

use ferrocrm::access::ItemKind;
use sea_query::{Condition, Expr, ExprTrait};

use crate::helpers::app::Options;
use crate::helpers::client::TestClient;
use crate::helpers::html::Page;
use crate::helpers::smtp::SmtpSink;
use crate::helpers::{TestApp, crm};

const PASSWORD: &str = "s3cret-pass-word";
const WAIT: Duration = Duration::from_secs(10);

async fn app_with(not_allowed: &[&str]) -> TestApp {
    TestApp::with(Options {
        seed_users: true,
        not_allowed_emails: not_allowed.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    })
    .await
}

/// Makes `c`'s mail account (main: it is their first) on `port` with `login`; returns its id.
pub async fn account(c: &TestClient, email: &str, login: &str, port: u16) -> i64 {
    c.get("/mail-accounts/new").await;
    let port = port.to_string();
    let p = c
        .post_form(
            "/mail-accounts",
            &[
                ("name", "Work"),
                ("email", email),
                ("from_name", "Mark Manager"),
                ("smtp_host", "127.0.0.1"),
                ("smtp_port", &port),
                ("smtp_tls", "none"),
                ("smtp_login", login),
                ("password", PASSWORD),
                ("imap_host", ""),
                ("imap_port", "993"),
                ("imap_tls", "tls"),
                ("imap_login", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "account: {}", p.body);
    p.header("location").unwrap().trim_start_matches("/mail-accounts/").split('?').next().unwrap().parse().unwrap()
}

/// A deal of Mark's in Sales with a contact person; (deal, contact's address).
pub async fn deal(app: &TestApp) -> (i64, String) {
    let sales = crm::department(app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(app, &[sales], &[Some(mark)], None).await;
    let deal = made.rows.iter().find(|(k, _)| *k == "deal").unwrap().1;
    let contact = made.rows.iter().find(|(k, _)| *k == "contact").unwrap().1;
    (deal, app.field("contacts", contact, "email").await.unwrap())
}

pub fn form_of(p: &Page) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in ["to", "cc", "bcc", "subject"] {
        out.push((name.to_string(), p.attr(&format!("form.compose input[name={name}]"), "value").unwrap_or_default()));
    }
    out.push(("content".into(), p.text("form.compose textarea[name=content]")));
    for name in ["about", "reply_to", "act"] {
        out.push((name.to_string(), p.attr(&format!("form.compose input[name={name}]"), "value").unwrap_or_default()));
    }
    let sig = p.attr("form.compose select[name=signature_id] option[selected]", "value").unwrap_or_default();
    out.push(("signature_id".into(), sig));
    out
}

pub fn with<'a>(form: &'a [(String, String)], over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for (k, v) in over {
        f.retain(|(n, _)| n != k);
        f.push((k, v));
    }
    f
}

pub fn email_id(p: &Page) -> i64 {
    assert_eq!(p.status, 303, "{}", p.body);
    p.header("location").unwrap().trim_start_matches("/emails/").parse().unwrap()
}

pub async fn state_on_page(c: &TestClient, id: i64) -> (String, String) {
    let p = c.get(&format!("/emails/{id}")).await;
    assert_eq!(p.status, 200);
    (p.attr(".send-state", "data-state").unwrap_or_default(), p.text(".send-state"))
}

#[tokio::test]
async fn a_letter_written_from_a_deal_goes_out_through_the_main_account_with_the_ticket() {
    let sink = SmtpSink::start_with_login("mark@example.com", PASSWORD).await;
    let app = app_with(&[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    account(&mark, "mark@example.com", "mark@example.com", sink.port).await;
    let (deal, contact_email) = deal(&app).await;
    // A deal without a ticket gets one when the first letter is saved (§7.1).
    app.db
        .execute(
            &sea_query::Query::update()
                .table("deals")
                .value("ticket", "")
                .and_where(Expr::col("id").eq(deal))
                .to_owned(),
        )
        .await
        .unwrap();
    // A file on the deal, to attach from the compose form.
    let up = ferrocrm::files::upload::Upload::from_bytes(
        &app.state.files.tmp_dir(),
        "terms.pdf",
        "application/pdf",
        b"%PDF terms",
    )
    .await
    .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let deal_file =
        app.state.files.save(&mut tx, &[up], "deal", deal, &ferrocrm::history::Actor::system("test")).await.unwrap()[0];
    tx.commit().await.unwrap();
    mark.get("/signatures").await;
    assert_eq!(
        mark.post_form(
            "/signatures",
            &[("name", "Work"), ("content", "Mark Manager\nAcme Sales"), ("is_default", "on")]
        )
        .await
        .status,
        303
    );

    // The deal page offers "Write email"; the form starts with the contact, the deal's name, the
    // default signature, and says which account sends.
    let page = mark.get(&format!("/deals/{deal}")).await;
    let href = page.attr("a.write-email", "href").expect("Write email on the deal page");
    assert_eq!(href, format!("/emails/new?about=deal:{deal}"));
    let form = mark.get(&href).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.attr("input[name=to]", "value").unwrap(), contact_email);
    assert!(form.attr("input[name=subject]", "value").unwrap().starts_with("Re: Deal "));
    assert_eq!(form.text("option[selected]"), "Work");
    assert!(form.text(".sender .from").contains("mark@example.com"));

    let mut sse = mark.sse().await;
    let fields = form_of(&form);
    let deal_file = deal_file.to_string();
    assert_eq!(form.attr("input[name=deal_files]", "value").as_deref(), Some(deal_file.as_str()));
    let mut posted = with(&fields, &[("content", "Dear client,\n\nhere is our offer."), ("intent", "send")]);
    posted.push(("read_receipt", "on"));
    posted.push(("deal_files", &deal_file));
    let sent = mark
        .post_multipart("/emails/new", &posted, &[("files", "offer.txt", "text/plain", b"price: 10".to_vec())])
        .await;
    let id = email_id(&sent);

    // Committed with its job; nothing went yet (the worker has not run).
    let ticket = app.field("deals", deal, "ticket").await.unwrap();
    assert_eq!(ticket.len(), 10, "the deal got a ticket");
    assert_eq!(app.field("crm_emails", id, "send_status").await.unwrap(), "queued");
    assert!(!app.flag("crm_emails", id, "sent").await);
    let jobs = app.count("jobs", Condition::all().add(Expr::col("kind").eq("email_send"))).await;
    assert_eq!(jobs, 1);
    assert_eq!(state_on_page(&mark, id).await.0, "queued");
    assert!(sink.messages().is_empty());

    // The page follows the worker live.
    let live = mark.get(&format!("/emails/{id}")).await;
    let event = ferrocrm::events::names::item_changed(ItemKind::Email, id);
    assert!(live.attr(&format!("#email-{id}-live"), "data-live-on").unwrap().contains(&event));
    app.run_jobs().await;
    sse.expect(&event, WAIT).await;
    let (state, text) = state_on_page(&mark, id).await;
    assert_eq!(state, "sent", "{text}");

    let got = sink.wait_for(1, WAIT).await;
    let m = &got[0];
    assert_eq!(m.auth_login, "mark@example.com", "authenticated with the account's login");
    assert!(m.from.contains("mark@example.com") && m.from.contains("Mark Manager"), "{}", m.from);
    assert_eq!(m.to, vec![contact_email.clone()]);
    assert!(m.subject.contains(&format!("[ticket:{ticket}]")), "{}", m.subject);
    assert_eq!(m.subject.matches("[ticket:").count(), 1);
    assert!(m.body.contains("here is our offer."), "{}", m.body);
    assert!(m.body.contains(&format!("Your request is assigned a [ticket:{ticket}]")), "{}", m.body);
    assert!(m.body.contains("Mark Manager\nAcme Sales"), "the default signature: {}", m.body);
    assert!(m.html.contains("here is our offer."));
    assert_eq!(m.receipt_to, "mark@example.com");
    let mut names = m.attachments.clone();
    names.sort();
    assert_eq!(names, vec!["offer.txt".to_string(), "terms.pdf".to_string()]);
    let stored_id = app.field("crm_emails", id, "message_id").await.unwrap();
    assert_eq!(format!("<{}>", m.message_id), stored_id);

    // The mailbox flag and the deal's workflow.
    assert!(app.flag("crm_emails", id, "sent").await);
    let workflow = app.field("deals", deal, "workflow").await.unwrap();
    assert!(workflow.contains(&format!("The Email has been sent to \"{contact_email}\"")), "{workflow}");

    // Reply from the email page: Re:, the ticket kept once, the letter quoted, threading headers.
    let page = mark.get(&format!("/emails/{id}")).await;
    let reply_href = page.attr("a.reply", "href").expect("Reply");
    let reply = mark.get(&reply_href).await;
    assert_eq!(reply.status, 200);
    let subject = reply.attr("input[name=subject]", "value").unwrap();
    assert!(subject.starts_with("Re: ") && subject.matches(&format!("[ticket:{ticket}]")).count() == 1, "{subject}");
    assert_eq!(reply.attr("input[name=to]", "value").unwrap(), contact_email);
    assert!(reply.text(".prev-corr").contains("> here is our offer."));
    let rf = form_of(&reply);
    let r = mark.post_form("/emails/new", &with(&rf, &[("content", "One more thing."), ("intent", "send")])).await;
    let reply_id = email_id(&r);
    app.run_jobs().await;
    let got = sink.wait_for(2, WAIT).await;
    let second = &got[1];
    assert_eq!(format!("<{}>", second.in_reply_to.trim_matches(['<', '>'])), stored_id);
    assert!(second.references.contains(stored_id.trim_matches(['<', '>'])));
    assert!(second.body.contains("> here is our offer."), "{}", second.body);
    assert_eq!(app.field("crm_emails", reply_id, "deal_id").await.unwrap(), deal.to_string());
    assert_eq!(got.len(), 2, "each letter once");
}

#[tokio::test]
async fn a_permanent_rejection_fails_the_letter_with_the_servers_words_and_a_temporary_one_is_retried() {
    let sink = SmtpSink::start_scripted("mark@example.com", PASSWORD, 1).await;
    let app = app_with(&[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    account(&mark, "mark@example.com", "mark@example.com", sink.port).await;
    let (deal, _) = deal(&app).await;
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    let fields = form_of(&form);

    // 451 on the first letter: still queued, the page says why, the job waits with backoff.
    let first =
        email_id(&mark.post_form("/emails/new", &with(&fields, &[("content", "Try me"), ("intent", "send")])).await);
    app.run_jobs().await;
    let (state, text) = state_on_page(&mark, first).await;
    assert_eq!(state, "queued");
    assert!(text.contains("451") && text.contains("try again later"), "{text}");
    assert!(sink.messages().is_empty());
    // Time passes: the retry goes through, once.
    app.make_jobs_due().await;
    app.run_jobs().await;
    assert_eq!(state_on_page(&mark, first).await.0, "sent");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);

    // 550 for the recipient: failed at once with the server's text, not retried.
    let rejected = email_id(
        &mark
            .post_form(
                "/emails/new",
                &with(&fields, &[("to", "reject-me@client.example"), ("content", "x"), ("intent", "send")]),
            )
            .await,
    );
    app.run_jobs().await;
    let (state, text) = state_on_page(&mark, rejected).await;
    assert_eq!(state, "failed", "{text}");
    assert!(text.contains("550") && text.contains("User unknown"), "{text}");
    assert!(app.field("crm_emails", rejected, "send_error").await.unwrap().contains("Recipient address rejected"));
    app.make_jobs_due().await;
    app.run_jobs().await;
    assert_eq!(state_on_page(&mark, rejected).await.0, "failed");
    // "Send again" is offered; a letter that must go shows the sink still had just the one.
    let page = mark.get(&format!("/emails/{rejected}")).await;
    assert!(page.exists("button.send-now"));
    let last =
        email_id(&mark.post_form("/emails/new", &with(&fields, &[("content", "control"), ("intent", "send")])).await);
    app.run_jobs().await;
    let got = sink.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert!(got[1].body.contains("control"));
    assert_eq!(state_on_page(&mark, last).await.0, "sent");
}

#[tokio::test]
async fn bad_letters_answer_422_with_messages_and_store_nothing() {
    let sink = SmtpSink::start_with_login("mark@example.com", PASSWORD).await;
    let app = app_with(&["crm@ours.example"]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (deal, _) = deal(&app).await;
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    assert!(form.exists(".no-main-account"), "no account yet: the form says so");
    let fields = form_of(&form);
    // `crm::spread` wrote an email of its own.
    let before = app.count("crm_emails", Condition::all()).await;
    let send = |over: Vec<(&'static str, &'static str)>| {
        let mut o = over;
        o.push(("intent", "send"));
        o
    };
    // Without a main account: a clear message, not a silent failure.
    let p = mark.post_form("/emails/new", &with(&fields, &send(vec![("content", "Hello")]))).await;
    assert_eq!(p.status, 422);
    assert!(p.text(".account-error").contains("mail account marked as main"), "{}", p.body);

    account(&mark, "mark@example.com", "mark@example.com", sink.port).await;
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("to", ""), ("content", "x")], "to", "Enter at least one address"),
        (vec![("to", "nope"), ("content", "x")], "to", "\"nope\" is not an email address"),
        (vec![("to", "a@client.example\r\nBcc: spy@evil.example"), ("content", "x")], "to", "line breaks"),
        (vec![("cc", "a@client.example\nBcc: spy@evil.example"), ("content", "x")], "cc", "line breaks"),
        (vec![("subject", "Offer\r\nBcc: spy@evil.example"), ("content", "x")], "subject", "one line"),
        (vec![("subject", "Offer\u{b}x"), ("content", "x")], "subject", "one line"),
        (vec![("to", "CRM@ours.example"), ("content", "x")], "to", "Not allowed address"),
        (vec![("bcc", "crm@ours.example"), ("content", "x")], "bcc", "Not allowed address"),
        (vec![("content", "   ")], "content", "Write the letter"),
        (vec![("signature_id", "999999"), ("content", "x")], "signature_id", "Choose one of your signatures"),
    ];
    for (over, field, words) in cases {
        let p = mark.post_form("/emails/new", &with(&fields, &send(over.clone()))).await;
        assert_eq!(p.status, 422, "{over:?}: {}", p.body);
        let msg = p.field_error(field).unwrap_or_else(|| panic!("no message on {field} for {over:?}"));
        assert!(msg.contains(words), "{over:?}: {msg}");
        assert!(p.exists("form.compose"), "the form comes back");
    }
    assert_eq!(app.count("crm_emails", Condition::all()).await, before);
    assert_eq!(app.count("jobs", Condition::all().add(Expr::col("kind").eq("email_send"))).await, 0);
    // The positive control: the same form with nothing wrong is accepted.
    let ok = mark.post_form("/emails/new", &with(&fields, &send(vec![("content", "Fine")]))).await;
    email_id(&ok);
    app.run_jobs().await;
    assert!(sink.wait_for(1, WAIT).await[0].body.contains("Fine"));
}

#[tokio::test]
async fn nobody_writes_from_what_they_may_not_see_or_through_someone_elses_account() {
    let marks = SmtpSink::start_with_login("mark@example.com", PASSWORD).await;
    let helens = SmtpSink::start_with_login("helen@example.com", PASSWORD).await;
    let app = app_with(&[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let eve = app.login_as("Eve.Manager.Export").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let mark_account = account(&mark, "mark@example.com", "mark@example.com", marks.port).await;
    let (deal, _) = deal(&app).await;
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    let fields = form_of(&form);
    let before = app.count("crm_emails", Condition::all()).await;
    let draft =
        email_id(&mark.post_form("/emails/new", &with(&fields, &[("content", "draft"), ("intent", "draft")])).await);
    assert_eq!(app.field("crm_emails", draft, "send_status").await.unwrap(), "");

    // Eve (another department) may not see the deal or the email: 404 whatever she asks.
    assert_eq!(eve.get(&format!("/emails/new?about=deal:{deal}")).await.status, 404);
    assert_eq!(eve.get(&format!("/emails/{draft}/reply?act=reply")).await.status, 404);
    eve.get("/emails").await;
    let p = eve.post_form("/emails/new", &with(&fields, &[("content", "x"), ("intent", "send")])).await;
    assert_eq!(p.status, 404);
    let p = eve
        .post_form(
            "/emails/new",
            &with(&fields, &[("about", ""), ("reply_to", &draft.to_string()), ("intent", "send")]),
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(eve.post_form(&format!("/emails/{draft}/send"), &[]).await.status, 404);
    // A co-worker writes no CRM emails at all.
    assert!(matches!(carl.get("/emails/new").await.status.as_u16(), 403 | 404));

    // Helen sees the deal but has no account: naming Mark's account changes nothing.
    let acc = mark_account.to_string();
    let mut posted = with(&fields, &[("content", "x"), ("intent", "send")]);
    posted.push(("account_id", &acc));
    let p = helen.post_form("/emails/new", &posted).await;
    assert_eq!(p.status, 422);
    assert!(p.exists(".account-error"));
    // Nor may she send Mark's draft (it would go out in his name).
    assert_eq!(helen.post_form(&format!("/emails/{draft}/send"), &[]).await.status, 403);
    assert_eq!(app.count("crm_emails", Condition::all()).await, before + 1);

    // With her own account, her letter goes through hers, not Mark's.
    account(&helen, "helen@example.com", "helen@example.com", helens.port).await;
    let id = email_id(&helen.post_form("/emails/new", &posted).await);
    app.run_jobs().await;
    let got = helens.wait_for(1, WAIT).await;
    assert_eq!(got[0].auth_login, "helen@example.com");
    assert!(got[0].from.contains("helen@example.com"));
    assert_eq!(state_on_page(&helen, id).await.0, "sent");
    // Mark's draft, sent by Mark, is the one letter his server sees.
    assert_eq!(mark.post_form(&format!("/emails/{draft}/send"), &[]).await.status, 303);
    app.run_jobs().await;
    let his = marks.wait_for(1, WAIT).await;
    assert_eq!(his.len(), 1);
    assert!(his[0].body.contains("draft"));
}

#[tokio::test]
async fn in_the_browser_the_letter_is_written_from_the_deal_and_its_page_turns_sent_live() {
    let sink = SmtpSink::start_with_login("mark@example.com", PASSWORD).await;
    let app = app_with(&[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    account(&mark, "mark@example.com", "mark@example.com", sink.port).await;
    let (deal, contact_email) = deal(&app).await;
    let b = crate::helpers::browser::Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&app.url(&format!("/deals/{deal}"))).await;
    b.click("a.write-email").await;
    b.wait_text("h1", WAIT, |t| t == "Write email").await;
    assert_eq!(b.attr("form.compose input[name=to]", "value").await.as_deref(), Some(contact_email.as_str()));
    b.type_into("form.compose textarea[name=content]", "Hello from the browser.").await;
    b.shot("email-compose.png").await;
    b.js("document.querySelector('form.compose .to-deal').scrollIntoView({block: 'center'})").await;
    b.shot("email-compose-to-deal.png").await;
    b.click("form.compose button[value=send]").await;
    b.wait_text(".send-state", WAIT, |t| t.contains("Queued")).await;
    b.shot("email-queued.png").await;
    // The worker sends; the open page follows without a reload.
    app.run_jobs().await;
    b.wait_text(".send-state", WAIT, |t| t.contains("Sent")).await;
    b.shot("email-sent.png").await;
    let got = sink.wait_for(1, WAIT).await;
    assert!(got[0].body.contains("Hello from the browser."), "{}", got[0].body);
    // A refused letter comes back as the form with its message (htmx swaps the 422).
    b.click("a.reply").await;
    b.wait_text("h1", WAIT, |t| t == "Reply").await;
    b.js("document.querySelector('form.compose input[name=to]').value = ''").await;
    b.type_into("form.compose input[name=to]", "not-an-address").await;
    b.click("form.compose button[value=send]").await;
    b.wait_text("#f-to-error", WAIT, |t| t.contains("is not an email address")).await;
    b.shot("email-422.png").await;
    b.close().await;
}

#[tokio::test]
async fn requests_and_counterparties_offer_letters_with_their_address_and_the_requests_ticket() {
    let app = app_with(&[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let chief = app.login_as("Garry.Chief").await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let id = |k: &str| made.rows.iter().find(|(kind, _)| *kind == k).unwrap().1;
    let request = id("request");
    app.db
        .execute(
            &sea_query::Query::update()
                .table("requests")
                .value("email", "asker@client.example")
                .and_where(Expr::col("id").eq(request))
                .to_owned(),
        )
        .await
        .unwrap();
    let ticket = app.field("requests", request, "ticket").await.unwrap();
    let page = mark.get(&format!("/requests/{request}")).await;
    let form = mark.get(&page.attr("a.write-email", "href").expect("Write email on the request page")).await;
    assert_eq!(form.attr("input[name=to]", "value").unwrap(), "asker@client.example");
    assert!(form.attr("input[name=subject]", "value").unwrap().ends_with(&format!("[ticket:{ticket}]")));
    assert!(form.text("textarea[name=content]").contains(&format!("Your request is assigned a [ticket:{ticket}]")));
    // A draft keeps the links the server found, whatever the form claims.
    let fields = form_of(&form);
    let mut posted = with(&fields, &[("content", "About your request"), ("intent", "draft")]);
    posted.push(("deal_id", "999999"));
    let draft = email_id(&mark.post_form("/emails/new", &posted).await);
    assert_eq!(app.field("crm_emails", draft, "request_id").await.unwrap(), request.to_string());
    assert_eq!(app.field("crm_emails", draft, "deal_id").await, None);
    assert_eq!(app.field("crm_emails", draft, "ticket").await.unwrap(), ticket);
    assert_eq!(app.field("crm_emails", draft, "send_status").await.unwrap(), "");
    let page = mark.get(&format!("/emails/{draft}")).await;
    assert_eq!(page.attr(".send-state", "data-state").as_deref(), Some("draft"));
    assert!(page.exists("button.send-now"));

    for (kind, path) in [("company", "companies"), ("contact", "contacts"), ("lead", "leads")] {
        let p = mark.get(&format!("/{path}/{}", id(kind))).await;
        let href = p.attr("a.write-email", "href").unwrap_or_else(|| panic!("Write email on the {kind} page"));
        let f = mark.get(&href).await;
        assert_eq!(f.status, 200);
        assert!(f.attr("input[name=to]", "value").unwrap().ends_with("@example.com"), "{kind}");
        // A chief reads these pages but writes no CRM emails (§3.1).
        assert!(!chief.get(&format!("/{path}/{}", id(kind))).await.exists("a.write-email"));
        assert_eq!(chief.get(&href).await.status, 403);
    }
}

#[tokio::test]
async fn an_unreachable_server_is_tried_again_until_it_answers() {
    let sink = SmtpSink::start_with_login("mark@example.com", PASSWORD).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = app_with(&[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let acc = account(&mark, "mark@example.com", "mark@example.com", closed).await;
    let (deal, _) = deal(&app).await;
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    let id = email_id(
        &mark.post_form("/emails/new", &with(&form_of(&form), &[("content", "Hi"), ("intent", "send")])).await,
    );
    app.run_jobs().await;
    let (state, text) = state_on_page(&mark, id).await;
    assert_eq!(state, "queued");
    assert!(text.contains("connection refused"), "{text}");
    // The server comes back (the account now points at it): the retry delivers it.
    app.db
        .execute(
            &sea_query::Query::update()
                .table("mail_accounts")
                .value("smtp_port", i32::from(sink.port))
                .and_where(Expr::col("id").eq(acc))
                .to_owned(),
        )
        .await
        .unwrap();
    app.make_jobs_due().await;
    app.run_jobs().await;
    assert_eq!(state_on_page(&mark, id).await.0, "sent");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
}

/// The deal's attachments: (name, file id).
async fn deal_files(app: &TestApp, deal: i64) -> Vec<(String, i64)> {
    ferrocrm::files::of(&app.db, "deal", deal).await.unwrap().into_iter().map(|a| (a.name, a.file_id)).collect()
}

#[tokio::test]
async fn attach_to_the_deal_stores_the_letters_uploads_as_the_deals_files_too() {
    let sink = SmtpSink::start_with_login("mark@example.com", PASSWORD).await;
    let app = app_with(&[]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    account(&mark, "mark@example.com", "mark@example.com", sink.port).await;
    let (deal, _) = deal(&app).await;
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    assert!(form.exists("form.compose .to-deal input[type=checkbox][name=to_deal]"), "offered to the deal's owner");
    let fields = form_of(&form);
    let offer = ("files", "offer.txt", "text/plain", b"price: 10".to_vec());

    // Ticked: the upload is a file of the letter and of the deal (the same stored file), and the
    // deal's history says so.
    let ticked = with(&fields, &[("content", "Our offer."), ("intent", "draft"), ("to_deal", "on")]);
    let id = email_id(&mark.post_multipart("/emails/new", &ticked, std::slice::from_ref(&offer)).await);
    let of_email = ferrocrm::files::of(&app.db, "email", id).await.unwrap();
    assert_eq!(of_email.len(), 1);
    assert_eq!(deal_files(&app, deal).await, vec![("offer.txt".to_string(), of_email[0].file_id)]);
    let history = mark.get(&format!("/deals/{deal}/history")).await;
    assert!(history.text("body").contains("offer.txt"), "{}", history.text("body"));
    assert!(mark.get(&format!("/deals/{deal}")).await.texts("a").iter().any(|t| t.contains("offer.txt")));

    // Not ticked: the letter's file only.
    let plain = with(&fields, &[("content", "Another."), ("intent", "draft")]);
    let other = ("files", "other.txt", "text/plain", b"other".to_vec());
    let second = email_id(&mark.post_multipart("/emails/new", &plain, std::slice::from_ref(&other)).await);
    assert_eq!(ferrocrm::files::of(&app.db, "email", second).await.unwrap().len(), 1);
    assert_eq!(deal_files(&app, deal).await.len(), 1);

    // Helen sees Mark's deal and writes from it, but may not change it: no box, and a posted one is
    // refused with its reason (422), nothing stored.
    let helen = app.login_as("Helen.Head.Sales").await;
    let hers = helen.get(&format!("/emails/new?about=deal:{deal}")).await;
    assert_eq!(hers.status, 200);
    assert!(!hers.exists("input[name=to_deal]"));
    let before = app.count("crm_emails", Condition::all()).await;
    let p = helen
        .post_multipart("/emails/new", &with(&form_of(&hers), &[("intent", "draft"), ("to_deal", "on")]), &[other])
        .await;
    assert_eq!(p.status, 422);
    assert!(p.text(".to-deal .field-error").contains("You may not change this deal"), "{}", p.text("form"));
    assert_eq!(app.count("crm_emails", Condition::all()).await, before);
    assert_eq!(deal_files(&app, deal).await.len(), 1);
}
