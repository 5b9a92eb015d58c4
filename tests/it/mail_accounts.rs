//! Mail accounts (issue 10): who sees and edits which account, exactly one main account per user,
//! passwords sealed at rest and never shown, and "Test connection" against a real Dovecot and a
//! real SMTP server (with AUTH), with the plain-words failures.

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::client::TestClient;
use crate::helpers::html::Page;
use crate::helpers::imap::Dovecot;
use crate::helpers::smtp::SmtpSink;
use crate::helpers::{TestApp, spawn_app};

fn closed_port() -> u16 {
    // Bound, then released: nothing listens there any more.
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The fields of an account form, with `over` replacing or adding some.
fn fields<'a>(over: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("name", "Work"),
        ("email", "mark@example.com"),
        ("from_name", "Mark"),
        ("smtp_host", "127.0.0.1"),
        ("smtp_port", "2525"),
        ("smtp_tls", "none"),
        ("smtp_login", "mark@example.com"),
        ("password", "s3cret-pass-word"),
        ("imap_host", "127.0.0.1"),
        ("imap_port", "1143"),
        ("imap_tls", "none"),
        ("imap_login", ""),
    ];
    for (k, v) in over {
        f.retain(|(n, _)| n != k);
        f.push((k, v));
    }
    f
}

/// Creates an account through the form; returns its id.
async fn create(c: &TestClient, over: &[(&str, &str)]) -> i64 {
    c.get("/mail-accounts/new").await;
    let p = c.post_form("/mail-accounts", &fields(over)).await;
    assert_eq!(p.status, 303, "create: {}", p.body);
    let loc = p.header("location").unwrap();
    loc.trim_start_matches("/mail-accounts/").split('?').next().unwrap().parse().unwrap()
}

async fn raw_row(app: &TestApp, id: i64) -> (String, bool, i64) {
    app.db
        .fetch_optional(
            Query::select()
                .columns(["password", "main", "owner_id"])
                .from("mail_accounts")
                .and_where(Expr::col("id").eq(id)),
        )
        .await
        .unwrap()
        .expect("the account's row")
}

async fn mains(app: &TestApp, owner: i64) -> Vec<i64> {
    let rows: Vec<(i64,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("id")
                .from("mail_accounts")
                .and_where(Expr::col("owner_id").eq(owner))
                .and_where(Expr::col("main").eq(true)),
        )
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn test_connection(c: &TestClient, id: i64) -> Page {
    c.get(&format!("/mail-accounts/{id}")).await;
    let p = c.hx_post(&format!("/mail-accounts/{id}/test"), &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    p
}

fn part(p: &Page, which: &str) -> (String, String) {
    let css = format!("#connection-test [data-part={which}]");
    (p.attr(&css, "data-ok").unwrap_or_default(), p.text(&format!("{css} .result-text")))
}

#[tokio::test]
async fn a_user_sees_and_edits_only_their_own_accounts_and_an_administrator_all() {
    let app = spawn_app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let admin = app.login_as("Adam.Admin").await;
    let id = create(&mark, &[]).await;
    let carls = create(&carl, &[("name", "Carl's"), ("email", "carl@example.com")]).await;

    let list = mark.get("/mail-accounts").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.texts("#mail-account-list tbody tr td:first-child a"), vec!["Work"]);
    assert!(!list.exists("select[name=owner]"), "only administrators filter by owner");
    let other = carl.get("/mail-accounts").await;
    assert_eq!(other.texts("#mail-account-list tbody tr td:first-child a"), vec!["Carl's"]);

    // Someone else's account does not exist for Carl, whatever he asks.
    for path in [format!("/mail-accounts/{id}"), format!("/mail-accounts/{id}/edit")] {
        assert_eq!(carl.get(&path).await.status, 404, "{path}");
    }
    carl.get("/mail-accounts").await;
    let posted = carl.post_form(&format!("/mail-accounts/{id}"), &fields(&[("name", "Stolen")])).await;
    assert_eq!(posted.status, 404);
    assert_eq!(carl.post_form(&format!("/mail-accounts/{id}/test"), &[]).await.status, 404);
    assert_eq!(carl.post_form(&format!("/mail-accounts/{id}/delete"), &[]).await.status, 404);
    assert_eq!(mark.get(&format!("/mail-accounts/{id}")).await.text("h1"), "Work Main");

    // The administrator sees both, filters by owner, and edits Mark's.
    let all = admin.get("/mail-accounts").await;
    let mut names = all.texts("#mail-account-list tbody tr td:first-child a");
    names.sort();
    assert_eq!(names, vec!["Carl's", "Work"]);
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let only = admin.get(&format!("/mail-accounts?owner={mark_id}")).await;
    assert_eq!(only.texts("#mail-account-list tbody tr td:first-child a"), vec!["Work"]);
    let edit = admin.get(&format!("/mail-accounts/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    let mark_s = mark_id.to_string();
    let saved = admin
        .post_form(&format!("/mail-accounts/{id}"), &fields(&[("name", "Work (checked)"), ("owner", &mark_s)]))
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(mark.get(&format!("/mail-accounts/{id}")).await.text("h1"), "Work (checked) Main");
    assert_eq!(raw_row(&app, id).await.2, mark_id, "still Mark's");
    // A user cannot give their account to someone else: the owner field is the administrator's.
    let carl_id = app.user_id("Carl.CoWorker").await.to_string();
    carl.get("/mail-accounts").await;
    let p =
        carl.post_form(&format!("/mail-accounts/{carls}"), &fields(&[("name", "Carl's"), ("owner", &mark_s)])).await;
    assert_eq!(p.status, 303);
    assert_eq!(raw_row(&app, carls).await.2.to_string(), carl_id);
    // Deleting asks first (the form carries the question) and then removes it.
    let page = admin.get(&format!("/mail-accounts/{carls}")).await;
    assert!(page.attr("form[action$='/delete']", "data-confirm").unwrap().contains("Delete the mail account"));
    assert_eq!(admin.post_form(&format!("/mail-accounts/{carls}/delete"), &[]).await.status, 303);
    assert_eq!(carl.get(&format!("/mail-accounts/{carls}")).await.status, 404);
}

#[tokio::test]
async fn every_user_has_exactly_one_main_account() {
    let app = spawn_app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let owner = app.user_id("Mark.Manager.Sales").await;
    let first = create(&mark, &[("name", "First")]).await;
    assert_eq!(mains(&app, owner).await, vec![first], "the first account is the main one");
    let second = create(&mark, &[("name", "Second")]).await;
    assert_eq!(mains(&app, owner).await, vec![first], "a new account is not main unless asked");
    let third = create(&mark, &[("name", "Third"), ("main", "on")]).await;
    assert_eq!(mains(&app, owner).await, vec![third], "a new main account takes the mark");
    // Marking another main moves the mark; posting the main one without the mark keeps it.
    let p = mark.post_form(&format!("/mail-accounts/{second}"), &fields(&[("name", "Second"), ("main", "on")])).await;
    assert_eq!(p.status, 303);
    assert_eq!(mains(&app, owner).await, vec![second]);
    let form = mark.get(&format!("/mail-accounts/{second}/edit")).await;
    assert!(!form.exists("input[type=checkbox][name=main]"), "the main account's form says how to change it instead");
    let p = mark.post_form(&format!("/mail-accounts/{second}"), &fields(&[("name", "Second")])).await;
    assert_eq!(p.status, 303);
    assert_eq!(mains(&app, owner).await, vec![second]);
    // Deleting the main account makes the oldest other one main.
    assert_eq!(mark.post_form(&format!("/mail-accounts/{second}/delete"), &[]).await.status, 303);
    assert_eq!(mains(&app, owner).await, vec![first]);
    // Another user's accounts are not touched by Mark's.
    let carl = app.login_as("Carl.CoWorker").await;
    let carls = create(&carl, &[("name", "C")]).await;
    assert_eq!(mains(&app, app.user_id("Carl.CoWorker").await).await, vec![carls]);
    assert_eq!(mains(&app, owner).await, vec![first]);
    // The database refuses a second main account on both backends, whatever the application does.
    let r = app
        .db
        .execute(Query::update().table("mail_accounts").value("main", true).and_where(Expr::col("id").eq(third)))
        .await;
    assert!(r.as_ref().is_err_and(ferrocrm::db::is_unique_violation), "{r:?}");
    assert_eq!(mains(&app, owner).await, vec![first]);
}

#[tokio::test]
async fn the_password_is_sealed_in_the_database_never_shown_and_kept_when_left_empty() {
    let app = spawn_app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = create(&mark, &[("password", "Very-Secret-42")]).await;
    let (stored, _, _) = raw_row(&app, id).await;
    assert!(!stored.contains("Very-Secret-42"), "{stored}");
    assert!(stored.starts_with(&format!("v1:{}:", app.state.mail.cipher.key_id())), "{stored}");
    let cipher = &app.state.mail.cipher;
    assert_eq!(cipher.open(ferrocrm::mail_accounts::model::PASSWORD_PURPOSE, &stored).unwrap(), "Very-Secret-42");

    // Never shown back: not on the page, not in the form (whose field says what empty means).
    for path in [format!("/mail-accounts/{id}"), format!("/mail-accounts/{id}/edit"), "/mail-accounts".into()] {
        let p = mark.get(&path).await;
        assert!(!p.body.contains("Very-Secret-42") && !p.body.contains(&stored), "{path}");
    }
    let form = mark.get(&format!("/mail-accounts/{id}/edit")).await;
    assert_eq!(form.attr("input[name=password]", "value").as_deref(), Some(""));
    assert!(form.text("#f-password ~ p.help").contains("Leave this empty to keep it"));
    // A 422 does not echo it either.
    let bad = mark
        .post_form(&format!("/mail-accounts/{id}"), &fields(&[("password", "Typed-Again-7"), ("smtp_port", "0")]))
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.field_error("smtp_port").is_some());
    assert!(!bad.body.contains("Typed-Again-7"));

    // An empty password keeps the stored one (the same sealed value); a new one replaces it.
    let p = mark.post_form(&format!("/mail-accounts/{id}"), &fields(&[("password", ""), ("name", "Renamed")])).await;
    assert_eq!(p.status, 303);
    assert_eq!(raw_row(&app, id).await.0, stored);
    mark.post_form(&format!("/mail-accounts/{id}"), &fields(&[("password", "Another-One-9")])).await;
    let (again, _, _) = raw_row(&app, id).await;
    assert_ne!(again, stored);
    assert_eq!(cipher.open(ferrocrm::mail_accounts::model::PASSWORD_PURPOSE, &again).unwrap(), "Another-One-9");
    // The history says the password changed, never what it is.
    let history: Vec<(String,)> = app
        .db
        .fetch_all(
            Query::select().column("changes").from("history").and_where(Expr::col("object_type").eq("mail_account")),
        )
        .await
        .unwrap();
    assert!(history.iter().any(|(c,)| c.contains("Password")));
    assert!(history.iter().all(|(c,)| !c.contains("Another-One-9") && !c.contains("Very-Secret-42")));
}

#[tokio::test]
async fn test_connection_logs_in_to_dovecot_and_smtp_and_says_what_failed_in_plain_words() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let smtp = SmtpSink::start_with_login(&imap.user, &imap.password).await;
    imap.append("INBOX", b"From: a@example.com\r\nTo: test@example.com\r\nSubject: Hi\r\n\r\nHello\r\n").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (sp, ip) = (smtp.port.to_string(), imap.port.to_string());
    let ok = [
        ("smtp_port", sp.as_str()),
        ("imap_port", ip.as_str()),
        ("smtp_login", imap.user.as_str()),
        ("password", imap.password.as_str()),
    ];
    let id = create(&mark, &ok).await;

    let p = test_connection(&mark, id).await;
    let (smtp_ok, smtp_text) = part(&p, "smtp");
    let (imap_ok, imap_text) = part(&p, "imap");
    assert_eq!(smtp_ok, "true", "{smtp_text}");
    assert!(smtp_text.contains("the login was accepted"), "{smtp_text}");
    assert_eq!(imap_ok, "true", "{imap_text} / {}", imap.log());
    assert!(imap_text.contains("INBOX has 1 message, UIDVALIDITY"), "{imap_text}");
    // Without htmx the whole page comes back with the answer.
    let page = mark.post_form(&format!("/mail-accounts/{id}/test"), &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.exists("h1") && page.exists("#connection-test [data-part=imap][data-ok=true]"));

    // A wrong password: both servers refuse it, and say so.
    mark.post_form(&format!("/mail-accounts/{id}"), &fields(&[ok[0], ok[1], ok[2], ("password", "wrong-one")])).await;
    let p = test_connection(&mark, id).await;
    let (s_ok, s_text) = part(&p, "smtp");
    let (i_ok, i_text) = part(&p, "imap");
    assert_eq!(s_ok, "false");
    assert!(s_text.starts_with("The SMTP server refused the login"), "{s_text}");
    assert_eq!(i_ok, "false");
    assert!(i_text.starts_with("The IMAP server refused the login"), "{i_text}");

    // A closed port: nobody there.
    let closed = closed_port().to_string();
    let closed_imap = closed_port().to_string();
    mark.post_form(
        &format!("/mail-accounts/{id}"),
        &fields(&[("smtp_port", &closed), ("imap_port", &closed_imap), ok[2], ("password", imap.password.as_str())]),
    )
    .await;
    let p = test_connection(&mark, id).await;
    assert_eq!(
        part(&p, "smtp"),
        (
            "false".into(),
            format!(
                "Could not reach 127.0.0.1:{closed}: connection refused (nothing accepts connections on that port)."
            )
        )
    );
    assert!(part(&p, "imap").1.starts_with(&format!("Could not reach 127.0.0.1:{closed_imap}: connection refused")));

    // A server that does not answer in time: the limit holds.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port().to_string();
    mark.post_form(
        &format!("/mail-accounts/{id}"),
        &fields(&[("smtp_port", &silent_port), ("imap_host", ""), ok[2], ("password", imap.password.as_str())]),
    )
    .await;
    let start = std::time::Instant::now();
    let p = test_connection(&mark, id).await;
    assert!(start.elapsed() < std::time::Duration::from_secs(15), "{:?}", start.elapsed());
    let (s_ok, s_text) = part(&p, "smtp");
    assert_eq!(s_ok, "false");
    assert!(s_text.contains("no reply within 10 seconds"), "{s_text}");
    assert_eq!(part(&p, "imap").0, "", "no IMAP server: not checked");
}

/// The real binary, as an administrator runs it: its log at the most detailed level.
struct Server {
    dir: tempfile::TempDir,
    database_url: String,
    port: u16,
    child: Option<std::process::Child>,
    runs: usize,
}

impl Server {
    async fn new() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match crate::helpers::app::pg_admin_url() {
            Some(admin) => crate::helpers::app::fresh_pg_database(&admin).await,
            None => format!("sqlite://{}", dir.path().join("crm.db").display()),
        };
        Server { dir, database_url, port: 0, child: None, runs: 0 }
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, key: Option<&str>) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ferrocrm"));
        c.env("DATABASE_URL", &self.database_url)
            .env("FERROCRM_DATA_DIR", self.data())
            .env("FERROCRM_LOG", "trace")
            .env("FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS", "1")
            .env_remove("FERROCRM_SECRET_KEY")
            .env_remove("FERROCRM_BASE_URL")
            .stdin(std::process::Stdio::null());
        if let Some(k) = key {
            c.env("FERROCRM_SECRET_KEY", k);
        }
        c
    }

    /// Starts `serve` (every run's output kept in its own log file) and waits until it answers.
    async fn start(&mut self, key: Option<&str>) {
        self.port = closed_port();
        self.runs += 1;
        let log = std::fs::File::create(self.dir.path().join(format!("run-{}.log", self.runs))).unwrap();
        let child = self
            .command(key)
            .args(["serve", "--bind", &format!("127.0.0.1:{}", self.port)])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        for _ in 0..600 {
            if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{}/healthz", self.port)).await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server did not start: {}", self.logs());
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn logs(&self) -> String {
        (1..=self.runs)
            .map(|i| std::fs::read_to_string(self.dir.path().join(format!("run-{i}.log"))).unwrap_or_default())
            .collect()
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn the_key_file_outlives_restarts_a_wrong_key_is_a_clear_error_and_no_log_line_holds_the_password() {
    use base64::Engine;
    let imap = Dovecot::start().await;
    let smtp = SmtpSink::start_with_login(&imap.user, &imap.password).await;
    let mut server = Server::new().await;
    let out = server
        .command(None)
        .args([
            "user",
            "add",
            "--username",
            "Rita.Manager",
            "--password",
            "a long enough secret",
            "--role",
            "sales-manager",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    server.start(None).await;
    let key_file = server.data().join("secret.key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let c = TestClient::new(&server.base());
    c.login("Rita.Manager", "a long enough secret").await;
    let (sp, ip) = (smtp.port.to_string(), imap.port.to_string());
    let id = create(
        &c,
        &[
            ("smtp_port", &sp),
            ("imap_port", &ip),
            ("smtp_login", &imap.user),
            ("password", &imap.password),
            ("email", "rita@example.com"),
        ],
    )
    .await;
    let p = test_connection(&c, id).await;
    assert_eq!((part(&p, "smtp").0, part(&p, "imap").0), ("true".into(), "true".into()), "{}", p.body);

    // A restart reads the same key file, and the password saved before it still opens.
    server.stop();
    server.start(None).await;
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key, "the key file is created once");
    let c = TestClient::new(&server.base());
    c.login("Rita.Manager", "a long enough secret").await;
    let p = test_connection(&c, id).await;
    assert_eq!((part(&p, "smtp").0, part(&p, "imap").0), ("true".into(), "true".into()), "{}", p.body);

    // Another (well-formed) key: the server starts, says so in its log, and the account says what
    // to do instead of failing.
    server.stop();
    let other = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    server.start(Some(&other)).await;
    assert!(server.logs().contains("saved with another secret key"), "{}", server.logs());
    let c = TestClient::new(&server.base());
    c.login("Rita.Manager", "a long enough secret").await;
    let p = test_connection(&c, id).await;
    let (ok, text) = part(&p, "smtp");
    assert_eq!(ok, "false");
    assert!(text.starts_with("The stored password cannot be used: it was saved with another secret key"), "{text}");
    assert!(c.get(&format!("/mail-accounts/{id}/edit")).await.status == 200, "the account can be fixed");
    server.stop();

    // A key of the wrong length is refused at start-up with a clear message, not a panic.
    let bad = server.command(Some("c2hvcnQ=")).args(["serve", "--bind", "127.0.0.1:0"]).output().unwrap();
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("FERROCRM_SECRET_KEY must be 32 bytes") && said.contains("decodes to 5 bytes"), "{said}");
    assert!(!said.contains("panicked"), "{said}");

    // Not one log line of the three runs (trace level: every crate's tracing output) holds the
    // password, nor its SMTP AUTH forms.
    let logs = server.logs();
    assert!(logs.lines().count() > 100, "the log was captured: {logs}");
    let b64 = base64::engine::general_purpose::STANDARD;
    for secret in
        [imap.password.clone(), b64.encode(&imap.password), b64.encode(format!("\0{}\0{}", imap.user, imap.password))]
    {
        assert!(!logs.contains(&secret), "a log line holds {secret:?}");
    }
    // And the database holds it sealed only.
    let db = ferrocrm::db::Db::connect(&server.database_url, 1).await.unwrap();
    let stored: String = db
        .scalar(Query::select().column("password").from("mail_accounts").and_where(Expr::col("id").eq(id)))
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.contains(&imap.password) && stored.starts_with("v1:"));
}

/// In Chromium: the form typed and saved, the account page's Test connection answered in place
/// (htmx), the list. With `FERROCRM_SCREENSHOTS=dir` the pages are saved for a person to look at.
#[tokio::test]
async fn in_a_browser_the_form_saves_and_test_connection_answers_on_the_page() {
    use crate::helpers::browser::Browser;
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mut smtp = SmtpSink::start_with_login(&imap.user, &imap.password).await;
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&app.url("/mail-accounts")).await;
    assert!(b.text("#mail-account-list").await.contains("No mail accounts yet."));
    b.goto(&app.url("/mail-accounts/new")).await;
    for (field, value) in [
        ("name", "Work".to_string()),
        ("email", "mark@example.com".into()),
        ("from_name", "Mark Manager".into()),
        ("smtp_host", "127.0.0.1".into()),
        ("smtp_login", imap.user.clone()),
        ("password", imap.password.clone()),
        ("imap_host", "127.0.0.1".into()),
    ] {
        b.type_into(&format!("#f-{field}"), &value).await;
    }
    // Ports and security: replace the suggested values.
    b.js(&format!(
        "document.querySelector('#f-smtp_port').value = '{}'; document.querySelector('#f-imap_port').value = '{}';
         document.querySelector('#f-smtp_tls').value = 'none'; document.querySelector('#f-imap_tls').value = 'none';",
        smtp.port, imap.port
    ))
    .await;
    b.js("window.scrollTo(0, 0)").await;
    b.shot("mail-account-form.png").await;
    b.click("form.form button[type=submit]").await;
    b.wait_text("h1", std::time::Duration::from_secs(10), |t| t.starts_with("Work")).await;
    b.click("form[hx-post$='/test'] button").await;
    b.wait_text("#connection-test", std::time::Duration::from_secs(15), |t| t.contains("IMAP")).await;
    assert_eq!(b.attr("#connection-test [data-part=smtp]", "data-ok").await.as_deref(), Some("true"));
    assert_eq!(b.attr("#connection-test [data-part=imap]", "data-ok").await.as_deref(), Some("true"));
    assert!(b.text("h1").await.starts_with("Work"), "the answer is swapped into the page, which stays");
    b.shot("mail-account-page.png").await;
    b.goto(&app.url("/mail-accounts")).await;
    assert_eq!(b.text("#mail-account-list tbody td a").await, "Work");
    b.shot("mail-account-list.png").await;
    // An administrator's list, with its owner filter.
    // A failure, as a person sees it: both servers gone.
    imap.stop();
    smtp.stop();
    b.click("#mail-account-list td a").await;
    b.wait_text("h1", std::time::Duration::from_secs(10), |t| t.starts_with("Work")).await;
    b.click("form[hx-post$='/test'] button").await;
    b.wait_text("#connection-test", std::time::Duration::from_secs(15), |t| t.contains("IMAP")).await;
    assert_eq!(b.attr("#connection-test [data-part=smtp]", "data-ok").await.as_deref(), Some("false"));
    assert!(b.text("#connection-test").await.contains("connection refused"));
    b.js("document.querySelector('#connection-test').scrollIntoView()").await;
    b.shot("mail-account-failed.png").await;
    let admin = app.login_as("Adam.Admin").await;
    let admin_id = app.user_id("Adam.Admin").await.to_string();
    create(&admin, &[("name", "Shared inbox"), ("email", "office@example.com"), ("owner", &admin_id)]).await;
    b.close().await;
    let b = Browser::start().await;
    b.login(&app.base, "Adam.Admin", crate::helpers::app::PASSWORD).await;
    b.goto(&app.url("/mail-accounts")).await;
    assert!(b.text("form.filters").await.contains("All owners"));
    b.shot("mail-account-list-admin.png").await;
    b.close().await;
}

/// Without `FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS`, a mail server on a loopback or private address is
/// refused before any connection, by Test connection and by the import alike; the Dovecot there
/// answers (the same settings work when private hosts are allowed) but sees no login.
#[tokio::test]
async fn mail_servers_on_private_addresses_are_refused_unless_allowed() {
    let imap = Dovecot::start().await;
    let port = imap.port.to_string();
    let over = [("imap_port", port.as_str()), ("smtp_login", imap.user.as_str()), ("password", imap.password.as_str())];
    let allowed = spawn_app().await;
    let c = allowed.login_as("Mark.Manager.Sales").await;
    let id = create(&c, &over).await;
    assert_eq!(part(&test_connection(&c, id).await, "imap").0, "true", "the control: allowed, it logs in");

    let app = TestApp::with(crate::helpers::app::Options {
        seed_users: true,
        refuse_private_mail_hosts: true,
        ..Default::default()
    })
    .await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let mut with_import = over.to_vec();
    with_import.push(("do_import", "on"));
    let id = create(&mark, &with_import).await;
    let p = test_connection(&mark, id).await;
    for side in ["smtp", "imap"] {
        let (ok, text) = part(&p, side);
        assert_eq!(ok, "false", "{side}: {text}");
        assert!(text.contains("127.0.0.1") && text.contains("FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS"), "{side}: {text}");
    }
    match ferrocrm::mail_import::run::run(&app.state, id).await {
        Ok(ferrocrm::mail_import::run::Ran::Done { .. }) => {}
        _ => panic!("the run should end with the account's error"),
    }
    let (_, error) = ferrocrm::mail_import::report::account_state(&app.db, id).await.unwrap().unwrap();
    assert!(error.contains("private"), "{error}");
    let logins = imap.log().matches("Login: user=<").count();
    assert_eq!(logins, 1, "only the allowed app's login reached Dovecot: {}", imap.log());
}
