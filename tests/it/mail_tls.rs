//! TLS on every mail path (issue 10), against a Dovecot with `ssl = required` (STARTTLS and imaps)
//! and aiosmtpd with STARTTLS and with TLS from the first byte, all presenting a certificate of a
//! throwaway authority made at test time (`helpers::tls`): trusted through `FERROCRM_MAIL_CA_FILE`,
//! Test connection, the import, letters and the notification outbox work; not trusted, or in the
//! wrong mode, they fail in plain words. A CA file that cannot be used stops the start. Sending
//! refuses a private host (looked up once, by the CRM) unless allowed.

use std::path::PathBuf;
use std::time::Duration;

use sea_query::{Expr, ExprTrait, Query};

use crate::emails_send::{email_id, form_of, state_on_page, with};
use crate::helpers::app::Options;
use crate::helpers::client::TestClient;
use crate::helpers::html::Page;
use crate::helpers::imap::Dovecot;
use crate::helpers::smtp::{SinkTls, SmtpSink};
use crate::helpers::{TestApp, tls};

const USER: &str = "test@example.com";
const PASSWORD: &str = "imap-secret-1";
const WAIT: Duration = Duration::from_secs(15);

/// An app that trusts the test authority (`trust`) or only Mozilla's roots.
async fn app(trust: bool, refuse_private: bool) -> TestApp {
    TestApp::with(Options {
        seed_users: true,
        mail_ca_file: trust.then(|| tls::ca().ca_pem.clone()),
        refuse_private_mail_hosts: refuse_private,
        ..Default::default()
    })
    .await
}

/// Mark's account through the form: SMTP at `smtp` (host, port, mode), IMAP at `imap`; its id.
async fn account(c: &TestClient, smtp: (&str, u16, &str), imap: (&str, u16, &str), import: bool) -> i64 {
    let (sp, ip) = (smtp.1.to_string(), imap.1.to_string());
    let mut f = vec![
        ("name", "Work"),
        ("email", "mark@example.com"),
        ("from_name", "Mark Manager"),
        ("smtp_host", smtp.0),
        ("smtp_port", sp.as_str()),
        ("smtp_tls", smtp.2),
        ("smtp_login", USER),
        ("password", PASSWORD),
        ("imap_host", imap.0),
        ("imap_port", ip.as_str()),
        ("imap_tls", imap.2),
        ("imap_login", ""),
    ];
    if import {
        f.push(("do_import", "on"));
    }
    c.get("/mail-accounts/new").await;
    let p = c.post_form("/mail-accounts", &f).await;
    assert_eq!(p.status, 303, "create: {}", p.body);
    p.header("location").unwrap().trim_start_matches("/mail-accounts/").split('?').next().unwrap().parse().unwrap()
}

async fn test_connection(c: &TestClient, id: i64) -> Page {
    c.get(&format!("/mail-accounts/{id}")).await;
    let p = c.hx_post(&format!("/mail-accounts/{id}/test"), &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    p
}

/// (data-ok, text) of one side of the connection test.
fn part(p: &Page, which: &str) -> (String, String) {
    let css = format!("#connection-test [data-part={which}]");
    (p.attr(&css, "data-ok").unwrap_or_default(), p.text(&format!("{css} .result-text")))
}

/// No Rust error dump in a text meant for a person.
fn plain_words(text: &str) {
    for dump in ["Error", "Kind", "Some(", "io::", "rustls", "InvalidCertificate", "UnknownIssuer", "{", "Custom"] {
        assert!(!text.contains(dump), "{dump:?} in {text}");
    }
}

/// Logins Dovecot saw over TLS (its log line names `TLS`) and in all.
fn logins(imap: &Dovecot) -> (usize, usize) {
    let log = imap.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("Login: user=<")).collect();
    (lines.iter().filter(|l| l.contains(", TLS")).count(), lines.len())
}

#[tokio::test]
async fn test_connection_works_over_tls_and_starttls_when_the_authority_is_trusted_and_says_why_not_otherwise() {
    let imap = Dovecot::start_tls().await;
    let imaps = imap.tls_port.unwrap();
    let starttls = SmtpSink::start_tls(USER, PASSWORD, SinkTls::StartTls).await;
    let smtps = SmtpSink::start_tls(USER, PASSWORD, SinkTls::Implicit).await;
    let trusted = app(true, false).await;
    let mark = trusted.login_as("Mark.Manager.Sales").await;
    // STARTTLS on both sides by IP address; TLS from the first byte by name (the certificate names both).
    let a = account(&mark, ("127.0.0.1", starttls.port, "starttls"), ("127.0.0.1", imap.port, "starttls"), false).await;
    let b = account(&mark, ("localhost", smtps.port, "tls"), ("localhost", imaps, "tls"), false).await;
    for (id, words) in [(a, "with STARTTLS"), (b, "with TLS")] {
        let p = test_connection(&mark, id).await;
        for side in ["smtp", "imap"] {
            let (ok, text) = part(&p, side);
            assert_eq!(ok, "true", "{words}, {side}: {text}");
            assert!(text.contains(words), "{side}: {text}");
        }
        assert!(part(&p, "smtp").1.contains("the login was accepted"));
    }
    assert_eq!(logins(&imap), (2, 2), "both IMAP logins went over TLS: {}", imap.log());

    // The same servers, an app that trusts only Mozilla's roots: every side refuses the certificate.
    let untrusted = app(false, false).await;
    let mark = untrusted.login_as("Mark.Manager.Sales").await;
    let a = account(&mark, ("127.0.0.1", starttls.port, "starttls"), ("127.0.0.1", imap.port, "starttls"), false).await;
    let b = account(&mark, ("localhost", smtps.port, "tls"), ("localhost", imaps, "tls"), false).await;
    for id in [a, b] {
        let p = test_connection(&mark, id).await;
        for side in ["smtp", "imap"] {
            let (ok, text) = part(&p, side);
            assert_eq!(ok, "false", "{side}: {text}");
            assert!(
                text.contains("presented is not trusted") && text.contains("FERROCRM_MAIL_CA_FILE"),
                "{side}: {text}"
            );
            plain_words(&text);
        }
    }
    assert_eq!(logins(&imap), (2, 2), "no login was sent to a server whose certificate was not trusted");
}

#[tokio::test]
async fn the_wrong_tls_mode_fails_in_plain_words() {
    // Servers without TLS: TLS from the first byte meets a plain greeting, STARTTLS is not offered.
    let imap = Dovecot::start().await;
    let sink = SmtpSink::start_with_login(USER, PASSWORD).await;
    let app = app(true, false).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let tls = account(&mark, ("127.0.0.1", sink.port, "tls"), ("127.0.0.1", imap.port, "tls"), false).await;
    let p = test_connection(&mark, tls).await;
    for side in ["smtp", "imap"] {
        let (ok, text) = part(&p, side);
        assert_eq!(ok, "false", "{side}: {text}");
        assert!(text.contains("does not speak TLS from the first byte"), "{side}: {text}");
        plain_words(&text);
    }
    let starttls =
        account(&mark, ("127.0.0.1", sink.port, "starttls"), ("127.0.0.1", imap.port, "starttls"), false).await;
    let p = test_connection(&mark, starttls).await;
    for side in ["smtp", "imap"] {
        let (ok, text) = part(&p, side);
        assert_eq!(ok, "false", "{side}: {text}");
        assert!(text.contains("does not offer STARTTLS"), "{side}: {text}");
        plain_words(&text);
    }
    // The control: the same servers without encryption answer.
    let plain = account(&mark, ("127.0.0.1", sink.port, "none"), ("127.0.0.1", imap.port, "none"), false).await;
    let p = test_connection(&mark, plain).await;
    assert_eq!(
        (part(&p, "smtp").0, part(&p, "imap").0),
        ("true".into(), "true".into()),
        "{}",
        p.text("#connection-test")
    );
}

#[tokio::test]
async fn a_ticketed_reply_is_imported_over_imaps_and_filed_on_its_deal() {
    let imap = Dovecot::start_tls().await;
    let app = app(true, false).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = account(&mark, ("127.0.0.1", 2525, "none"), ("localhost", imap.tls_port.unwrap(), "tls"), true).await;
    let (deal, ticket) = crate::mail_import::deal_of(&app, "Mark.Manager.Sales").await;
    imap.append("INBOX", &crate::mail_import::reply_for_corpus(&ticket)).await;
    crate::mail_import::import(&app, id).await;
    let on_deal: Vec<(String,)> = app
        .db
        .fetch_all(Query::select().column("subject").from("crm_emails").and_where(Expr::col("deal_id").eq(deal)))
        .await
        .unwrap();
    assert_eq!(on_deal.len(), 1, "{on_deal:?}");
    assert!(on_deal[0].0.contains(&format!("[ticket:{ticket}]")), "{on_deal:?}");
    let page = mark.get(&format!("/deals/{deal}")).await;
    assert!(page.body.contains("Re: Offer"), "the deal's page lists the reply");
    // The helper's APPEND and the import's login: both over TLS.
    assert_eq!(logins(&imap), (2, 2), "{}", imap.log());

    // Not trusted, the import reports the certificate on the account page and files nothing.
    let untrusted = app_on(&app, false).await;
    match ferrocrm::mail_import::run::run(&untrusted.state, id).await {
        Ok(ferrocrm::mail_import::run::Ran::Done { .. }) => {}
        _ => panic!("the run should end with the account's error"),
    }
    let (_, error) = ferrocrm::mail_import::report::account_state(&app.db, id).await.unwrap().unwrap();
    assert!(error.contains("presented is not trusted"), "{error}");
    plain_words(&error);
}

/// A second instance on `app`'s database (and key), trusting the test authority or not.
async fn app_on(app: &TestApp, trust: bool) -> TestApp {
    TestApp::with(Options {
        database_url: Some(app.database_url.clone()),
        secret_key: Some(key_of(app)),
        mail_ca_file: trust.then(|| tls::ca().ca_pem.clone()),
        ..Default::default()
    })
    .await
}

/// The installation key of `app` (a second instance on its database needs it).
fn key_of(app: &TestApp) -> ferrocrm::secrets::Key {
    let key = std::fs::read_to_string(app.dir.path().join("secret.key")).unwrap();
    ferrocrm::secrets::Key::parse(&key).unwrap()
}

/// Writes a letter from Mark's deal and sends it; returns the email's id.
async fn send_letter(app: &TestApp, mark: &TestClient, deal: i64, text: &str) -> i64 {
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    let id = email_id(
        &mark.post_form("/emails/new", &with(&form_of(&form), &[("content", text), ("intent", "send")])).await,
    );
    app.run_jobs().await;
    id
}

#[tokio::test]
async fn letters_go_out_over_starttls_and_over_tls_and_an_untrusted_certificate_fails_the_letter() {
    let starttls = SmtpSink::start_tls(USER, PASSWORD, SinkTls::StartTls).await;
    let smtps = SmtpSink::start_tls(USER, PASSWORD, SinkTls::Implicit).await;
    let app = app(true, false).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let acc = account(&mark, ("localhost", starttls.port, "starttls"), ("", 993, "tls"), false).await;
    let (deal, _) = crate::emails_send::deal(&app).await;
    let first = send_letter(&app, &mark, deal, "Over STARTTLS").await;
    assert_eq!(state_on_page(&mark, first).await.0, "sent");
    let got = starttls.wait_for(1, WAIT).await;
    assert!(got[0].body.contains("Over STARTTLS") && got[0].auth_login == USER, "{got:?}");

    let set = |port: u16, mode: &'static str| {
        Query::update()
            .table("mail_accounts")
            .values([("smtp_port", i32::from(port).into()), ("smtp_tls", mode.into())])
            .and_where(Expr::col("id").eq(acc))
            .to_owned()
    };
    app.db.execute(&set(smtps.port, "tls")).await.unwrap();
    let second = send_letter(&app, &mark, deal, "Over TLS").await;
    assert_eq!(state_on_page(&mark, second).await.0, "sent");
    let got = smtps.wait_for(1, WAIT).await;
    assert!(got[0].body.contains("Over TLS"), "{got:?}");

    // An instance that does not trust the authority: the letter fails at once, in plain words.
    let untrusted = app_on(&app, false).await;
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    let third = email_id(
        &mark.post_form("/emails/new", &with(&form_of(&form), &[("content", "Not sent"), ("intent", "send")])).await,
    );
    untrusted.run_jobs().await;
    let (state, text) = state_on_page(&mark, third).await;
    assert_eq!(state, "failed", "{text}");
    assert!(text.contains("presented is not trusted"), "{text}");
    plain_words(&app.field("crm_emails", third, "send_error").await.unwrap());
    // A letter that must go (the trusting instance) arrives; the refused one never did.
    let fourth = send_letter(&app, &mark, deal, "Control").await;
    assert_eq!(state_on_page(&mark, fourth).await.0, "sent");
    let got = smtps.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| !m.body.contains("Not sent")));
}

#[tokio::test]
async fn the_notification_outbox_sends_over_smtps_and_starttls_urls_with_the_trusted_authority() {
    let starttls = SmtpSink::start_tls(USER, PASSWORD, SinkTls::StartTls).await;
    let smtps = SmtpSink::start_tls(USER, PASSWORD, SinkTls::Implicit).await;
    let user = USER.replace('@', "%40");
    let urls = [
        (format!("smtps://{user}:{PASSWORD}@127.0.0.1:{}", smtps.port), &smtps),
        (format!("smtp://{user}:{PASSWORD}@localhost:{}?tls=required", starttls.port), &starttls),
    ];
    for (url, sink) in urls {
        for trust in [false, true] {
            let app = TestApp::with(Options {
                seed_users: true,
                smtp_url: Some(url.clone()),
                mail_ca_file: trust.then(|| tls::ca().ca_pem.clone()),
                ..Default::default()
            })
            .await;
            let mut tx = app.db.begin().await.unwrap();
            let subject = format!("Trusted {trust}");
            ferrocrm::outbox::enqueue(&mut tx, &app.state.config, "someone@example.com", &subject, "Body")
                .await
                .unwrap();
            tx.commit().await.unwrap();
            assert_eq!(app.send_mail().await, 1);
            let row = &ferrocrm::outbox::recent(&app.db, 1).await.unwrap()[0];
            if trust {
                assert_eq!(row.status, "sent", "{url}: {:?}", row.last_error);
                let got = sink.wait_for(1, WAIT).await;
                assert_eq!(got.len(), 1, "only the trusting instance's mail arrived");
                assert_eq!(got[0].subject, "Trusted true");
            } else {
                assert_eq!(row.status, "queued", "{url}");
                let error = row.last_error.clone().unwrap_or_default();
                assert!(error.contains("presented is not trusted"), "{error}");
                plain_words(&error);
            }
        }
    }
}

#[tokio::test]
async fn with_private_hosts_refused_a_letter_to_a_loopback_server_fails_and_nothing_is_sent() {
    let sink = SmtpSink::start_with_login(USER, PASSWORD).await;
    let app = app(false, true).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    // By name: the CRM's own look-up finds 127.0.0.1 and refuses it.
    account(&mark, ("localhost", sink.port, "none"), ("", 993, "tls"), false).await;
    let (deal, _) = crate::emails_send::deal(&app).await;
    let id = send_letter(&app, &mark, deal, "Refused").await;
    let (state, text) = state_on_page(&mark, id).await;
    assert_eq!(state, "failed", "{text}");
    assert!(text.contains("private") && text.contains("FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS"), "{text}");
    // Not retried: a failed letter's job is done.
    app.make_jobs_due().await;
    app.run_jobs().await;
    assert_eq!(state_on_page(&mark, id).await.0, "failed");

    // The control: an instance that allows private hosts sends through the same account.
    let allowed = TestApp::with(Options {
        database_url: Some(app.database_url.clone()),
        secret_key: Some(key_of(&app)),
        ..Default::default()
    })
    .await;
    let form = mark.get(&format!("/emails/new?about=deal:{deal}")).await;
    let ok = email_id(
        &mark.post_form("/emails/new", &with(&form_of(&form), &[("content", "Allowed"), ("intent", "send")])).await,
    );
    allowed.run_jobs().await;
    assert_eq!(state_on_page(&mark, ok).await.0, "sent");
    let got = sink.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].body.contains("Allowed"), "only the allowed letter arrived: {got:?}");
}

#[tokio::test]
async fn a_ca_file_that_cannot_be_used_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let broken = dir.path().join("broken.pem");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n").unwrap();
    let key_only = tls::ca().key.clone();
    let missing = dir.path().join("missing.pem");
    let cases: [(PathBuf, &str); 4] = [
        (missing, "cannot be read"),
        (garbage, "holds no certificate"),
        (key_only, "holds no certificate"),
        (broken, "FERROCRM_MAIL_CA_FILE="),
    ];
    for (path, words) in cases {
        let config = ferrocrm::config::Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            database_url: format!("sqlite://{}", dir.path().join("t.db").display()),
            data_dir: dir.path().to_path_buf(),
            mail_ca_file: Some(path.clone()),
            ..Default::default()
        };
        let e = match ferrocrm::app::App::build(config).await {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => format!("{e:#}"),
        };
        assert!(e.contains("FERROCRM_MAIL_CA_FILE") && e.contains(words), "{}: {e}", path.display());
    }
    // The real binary: exits at once with the sentence.
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrocrm"))
            .arg("serve")
            .env("DATABASE_URL", format!("sqlite://{}", dir.path().join("cli.db").display()))
            .env("FERROCRM_DATA_DIR", dir.path())
            .env("FERROCRM_BIND", "127.0.0.1:0")
            .env("FERROCRM_MAIL_CA_FILE", dir.path().join("garbage.pem"))
            .env("FERROCRM_LOG", "warn")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the start stops at once")
    .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("FERROCRM_MAIL_CA_FILE") && text.contains("holds no certificate"), "{text}");
    // The control: the test authority's file is accepted.
    let config = ferrocrm::config::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("ok.db").display()),
        data_dir: dir.path().to_path_buf(),
        mail_ca_file: Some(tls::ca().ca_pem.clone()),
        ..Default::default()
    };
    assert!(ferrocrm::app::App::build(config).await.is_ok());
}

/// What a person sees: Test connection against a server whose certificate is not trusted answers
/// on the account page with the sentence, and the page stays.
#[tokio::test]
async fn in_a_browser_an_untrusted_certificate_is_told_on_the_account_page() {
    use crate::helpers::browser::Browser;
    let imap = Dovecot::start_tls().await;
    let smtps = SmtpSink::start_tls(USER, PASSWORD, SinkTls::Implicit).await;
    let app = app(false, false).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id =
        account(&mark, ("localhost", smtps.port, "tls"), ("localhost", imap.tls_port.unwrap(), "tls"), false).await;
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&app.url(&format!("/mail-accounts/{id}"))).await;
    b.click("form[hx-post$='/test'] button").await;
    b.wait_text("#connection-test", WAIT, |t| t.contains("IMAP")).await;
    for side in ["smtp", "imap"] {
        assert_eq!(b.attr(&format!("#connection-test [data-part={side}]"), "data-ok").await.as_deref(), Some("false"));
    }
    let text = b.text("#connection-test").await;
    assert!(text.matches("presented is not trusted").count() == 2, "{text}");
    assert!(b.text("h1").await.starts_with("Work"), "the answer is swapped into the page, which stays");
    b.shot("mail-account-untrusted-certificate.png").await;
    b.close().await;
}
