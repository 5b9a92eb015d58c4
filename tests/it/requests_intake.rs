//! Public request intake (issue 9, inventory §6.2–6.3): `POST /add-request/`'s status codes, the
//! hosted and embedded web form (framing and CORS by the lead source's origins), bots thanked with
//! nothing stored, limits, geolocation from a real `.mmdb` through trusted proxies only.

use std::time::Duration;

use ferrocrm::requests::intake::IntakeConfig;
use ferrocrm::requests::intake::net::Cidr;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::TestApp;
use crate::helpers::app::Options;
use crate::helpers::html::Page;

pub const SHOP: &str = "https://shop.example";

pub async fn app_with(intake: IntakeConfig) -> TestApp {
    TestApp::with(Options { seed_users: true, intake: Some(intake), ..Default::default() }).await
}

/// Limits high enough that a test's own posts never meet them, and no minimum fill time.
pub fn relaxed() -> IntakeConfig {
    IntakeConfig { per_ip: 10_000, per_source: 10_000, min_fill: Duration::ZERO, ..Default::default() }
}

/// The first lead source of the Sales department, allowed to be embedded by `SHOP`: (id, token).
pub async fn lead_source(app: &TestApp) -> (i64, String) {
    let sales = crate::helpers::crm::department(app, "Sales").await;
    let (id, token): (i64, String) = app
        .db
        .fetch_optional(
            &Query::select()
                .columns(["id", "token"])
                .from("lead_sources")
                .and_where(Expr::col("department_id").eq(sales))
                .order_by("id", sea_query::Order::Asc)
                .limit(1)
                .to_owned(),
        )
        .await
        .unwrap()
        .expect("a lead source");
    app.db
        .execute(
            &Query::update()
                .table("lead_sources")
                .value("allowed_origins", SHOP)
                .and_where(Expr::col("id").eq(id))
                .to_owned(),
        )
        .await
        .unwrap();
    (id, token)
}

/// A fill-time token of a form shown `ago` seconds ago (what the form page would have carried).
pub async fn fill(app: &TestApp, source: i64, ago: i64) -> String {
    let key = app.state.intake.key(&app.db).await.unwrap();
    ferrocrm::requests::intake::token::issue(&key, source, chrono::Utc::now().timestamp() - ago)
}

/// Requests stored: (first name, last name, email, company, ticket, country id, city name).
type Stored = (String, String, String, String, String, Option<i64>, String);

pub async fn requests(app: &TestApp) -> Vec<Stored> {
    app.db
        .fetch_all(
            &Query::select()
                .columns(["first_name", "last_name", "email", "company_name", "ticket", "country_id", "city_name"])
                .from("requests")
                .order_by("id", sea_query::Order::Asc)
                .to_owned(),
        )
        .await
        .unwrap()
}

async fn country(app: &TestApp, name: &str) -> i64 {
    app.db
        .scalar(Query::select().column("id").from("countries").and_where(Expr::col("name").eq(name)))
        .await
        .unwrap()
        .expect("country")
}

pub fn person<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("name", "Ann Marie Lee"),
        ("email", "ann@client.example"),
        ("subject", "A quote for 40 pumps"),
        ("phone", "+49 30 1234567"),
        ("company", "Client GmbH"),
        ("message", "Please call me back."),
    ];
    for (k, v) in extra {
        f.retain(|(n, _)| n != k);
        f.push((k, v));
    }
    f
}

pub async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
    let body = serde_html_form::to_string(fields).unwrap();
    let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
    h.extend_from_slice(headers);
    app.client().raw("POST", path, &h, body.into_bytes()).await
}

#[tokio::test]
async fn add_request_answers_with_the_original_status_codes() {
    let app = app_with(relaxed()).await;
    let (_, token) = lead_source(&app).await;
    let c = app.client();
    assert_eq!(c.get("/add-request/").await.status, 405, "only POST");
    // Invalid fields: 409, nothing stored. A CRLF in a one-line field (header injection into the
    // inbound email) is invalid, and so are bytes that are not a form.
    let missing = person(&[("leadsource_token", &token), ("email", "")]);
    assert_eq!(post(&app, "/add-request/", &missing, &[]).await.status, 409);
    let injected = person(&[("leadsource_token", &token), ("subject", "Hi\r\nBcc: all@victim.example")]);
    assert_eq!(post(&app, "/add-request/", &injected, &[]).await.status, 409);
    let no_token = person(&[]);
    assert_eq!(post(&app, "/add-request/", &no_token, &[]).await.status, 409);
    let garbage = c
        .raw(
            "POST",
            "/add-request/",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            vec![0xff, 0xfe, b'=', 0x80],
        )
        .await;
    assert_eq!(garbage.status, 409);
    // An unknown lead source token: 401.
    let unknown = person(&[("leadsource_token", "0f8fad5b-d9cb-469f-a165-70867728950e")]);
    assert_eq!(post(&app, "/add-request/", &unknown, &[]).await.status, 401);
    assert!(requests(&app).await.is_empty());

    // Banned company names (the administrators' list) are accepted silently: 200, nothing stored,
    // checked before the token as in the original.
    let admin = app.login_as("Adam.Admin").await;
    admin.get("/admin/banned-company-names").await;
    assert_eq!(admin.post_form("/admin/banned-company-names", &[("text", "Spam  Corp")]).await.status, 303);
    let banned =
        person(&[("leadsource_token", "0f8fad5b-d9cb-469f-a165-70867728950e"), ("company", "The SPAM CORP Ltd")]);
    let p = post(&app, "/add-request/", &banned, &[]).await;
    assert_eq!(p.status, 200);
    // Stop phrases too (the phrase's last occurrence is recorded).
    admin.get("/admin/stop-phrases").await;
    assert_eq!(admin.post_form("/admin/stop-phrases", &[("text", "cheap pills")]).await.status, 303);
    let spam = person(&[("leadsource_token", &token), ("message", "Buy CHEAP   pills now")]);
    assert_eq!(post(&app, "/add-request/", &spam, &[]).await.status, 200);
    assert!(requests(&app).await.is_empty(), "banned and stop-phrase posts store nothing");
    let hit: Option<chrono::DateTime<chrono::Utc>> =
        app.db.scalar(Query::select().column("last_occurrence_at").from("stop_phrases")).await.unwrap().flatten();
    assert!(hit.is_some(), "the stop phrase's last occurrence is recorded");
    let list = admin.get("/admin/stop-phrases").await;
    assert_eq!(list.texts("#spam-list tbody td:first-child"), vec!["cheap pills".to_string()]);

    // A good post: 200 and a pending request with a ticket, the posted country and city.
    let good = person(&[("leadsource_token", &token), ("country", "Germany"), ("city", "Berlin")]);
    assert_eq!(post(&app, "/add-request/", &good, &[]).await.status, 200);
    let stored = requests(&app).await;
    assert_eq!(stored.len(), 1);
    let (first, last, email, company, ticket, country_id, city) = &stored[0];
    assert_eq!((first.as_str(), last.as_str(), email.as_str()), ("Ann", "Lee", "ann@client.example"));
    assert_eq!(company, "Client GmbH");
    assert_eq!(ticket.len(), 10);
    assert_eq!(*country_id, Some(country(&app, "Germany").await));
    assert_eq!(city, "Berlin");
}

#[tokio::test]
async fn the_spam_lists_are_the_administrators_and_refuse_duplicates() {
    let app = app_with(relaxed()).await;
    let manager = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(manager.get("/admin/stop-phrases").await.status, 404);
    assert_eq!(manager.get("/admin/banned-company-names").await.status, 404);
    let admin = app.login_as("Adam.Admin").await;
    admin.get("/admin/stop-phrases").await;
    assert_eq!(admin.post_form("/admin/stop-phrases", &[("text", "Casino")]).await.status, 303);
    let again = admin.post_form("/admin/stop-phrases", &[("text", "  casino ")]).await;
    assert_eq!(again.status, 422);
    assert_eq!(again.field_error("text").as_deref(), Some("This is listed already."));
    let long = admin.post_form("/admin/banned-company-names", &[("text", &"x".repeat(51))]).await;
    assert_eq!(long.status, 422);
    let id: i64 = app.db.scalar(Query::select().column("id").from("stop_phrases")).await.unwrap().unwrap();
    assert_eq!(admin.post_form(&format!("/admin/stop-phrases/{id}/delete"), &[]).await.status, 303);
    assert!(!admin.get("/admin/stop-phrases").await.exists("#spam-list"));
}

/// A City database like GeoLite2's, written here: 81.2.69.0/24 in Berlin, 2a02:ff0::/32 in Paris,
/// 10.0.0.0/8 (the proxies' own network) in Madrid.
pub fn write_mmdb(dir: &std::path::Path) -> std::path::PathBuf {
    use mmdb_writer::ipnet::IpNet;
    let mut w = mmdb_writer::Writer::new("GeoLite2-City");
    let place = |country: &str, iso: &str, city: &str| {
        serde_json::json!({
            "country": { "iso_code": iso, "names": { "en": country } },
            "city": { "names": { "en": city } },
        })
    };
    w.insert("81.2.69.0/24".parse::<IpNet>().unwrap(), &place("Germany", "DE", "Berlin")).unwrap();
    w.insert("2a02:ff0::/32".parse::<IpNet>().unwrap(), &place("France", "FR", "Paris")).unwrap();
    w.insert("10.0.0.0/8".parse::<IpNet>().unwrap(), &place("Spain", "ES", "Madrid")).unwrap();
    let path = dir.join("city.mmdb");
    std::fs::write(&path, w.to_bytes().unwrap()).unwrap();
    path
}

#[tokio::test]
async fn the_web_form_geolocates_visitors_and_believes_forwarded_for_only_from_trusted_proxies() {
    let dir = tempfile::tempdir().unwrap();
    let db = write_mmdb(dir.path());
    // The test client connects from 127.0.0.1: here that is a trusted proxy.
    let trusted = IntakeConfig {
        geoip_db: Some(db.clone()),
        trusted_proxies: vec![Cidr::parse("127.0.0.1").unwrap(), Cidr::parse("10.0.0.0/8").unwrap()],
        ..relaxed()
    };
    let app = app_with(trusted).await;
    let (id, token) = lead_source(&app).await;
    let path = format!("/contact-form/{token}/");
    for (forwarded, name) in [
        // IPv4; the visitor put a fake address first, the proxy appended the real one.
        ("1.2.3.4, 81.2.69.142", "Vier Berlin"),
        // IPv6, past a second trusted proxy of the chain.
        ("2a02:ff0::7, 10.1.1.1", "Six Paris"),
    ] {
        let f = fill(&app, id, 5).await;
        let p = post(&app, &path, &person(&[("form_ts", &f), ("name", name)]), &[("X-Forwarded-For", forwarded)]).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.text("#contact-form-thanks").contains("thanks for your request"));
    }
    let stored = requests(&app).await;
    assert_eq!(stored.len(), 2);
    assert_eq!((stored[0].5, stored[0].6.as_str()), (Some(country(&app, "Germany").await), "Berlin"));
    assert_eq!((stored[1].5, stored[1].6.as_str()), (Some(country(&app, "France").await), "Paris"));
    // The visitor's own country and city fields are not believed on the form (geolocation is).
    let f = fill(&app, id, 5).await;
    let own = person(&[("form_ts", &f), ("country", "Spain"), ("city", "Madrid")]);
    assert_eq!(post(&app, &path, &own, &[("X-Forwarded-For", "81.2.69.1")]).await.status, 200);
    assert_eq!(requests(&app).await[2].6, "Berlin");

    // Another installation where 127.0.0.1 is NOT a proxy: the same header is a visitor's lie and
    // is ignored; the peer (loopback) has no location.
    let untrusted =
        IntakeConfig { geoip_db: Some(db), trusted_proxies: vec![Cidr::parse("10.0.0.0/8").unwrap()], ..relaxed() };
    let app = app_with(untrusted).await;
    let (id, token) = lead_source(&app).await;
    let f = fill(&app, id, 5).await;
    let p = post(
        &app,
        &format!("/contact-form/{token}/"),
        &person(&[("form_ts", &f)]),
        &[("X-Forwarded-For", "81.2.69.142")],
    )
    .await;
    assert_eq!(p.status, 200);
    let stored = requests(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].5, stored[0].6.as_str()), (None, ""), "a spoofed X-Forwarded-For was believed");
}

#[tokio::test]
async fn bots_are_thanked_and_nothing_is_stored() {
    let app = app_with(IntakeConfig { min_fill: Duration::from_secs(3), ..relaxed() }).await;
    let (id, token) = lead_source(&app).await;
    let path = format!("/contact-form/{token}/");
    let c = app.client();
    // A bot that posts the form it just loaded, at once: too fast.
    let form = c.get(&path).await;
    assert_eq!(form.status, 200);
    let shown = form.attr("input[name=form_ts]", "value").expect("the fill-time token");
    let instant = post(&app, &path, &person(&[("form_ts", &shown)]), &[]).await;
    let old = fill(&app, id, 10).await;
    let forged = format!("{}.{}", chrono::Utc::now().timestamp() - 10, "0".repeat(64));
    let other_source = {
        let key = app.state.intake.key(&app.db).await.unwrap();
        ferrocrm::requests::intake::token::issue(&key, id + 1, chrono::Utc::now().timestamp() - 10)
    };
    let stale = fill(&app, id, 2 * 24 * 3600).await;
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("posted instantly", person(&[("form_ts", &shown)])),
        ("honeypot filled", person(&[("form_ts", &old), ("homepage", "http://bot.example")])),
        ("no fill-time token", person(&[])),
        ("forged token", person(&[("form_ts", &forged)])),
        ("another form's token", person(&[("form_ts", &other_source)])),
        ("a day-old form", person(&[("form_ts", &stale)])),
    ];
    assert_eq!(instant.status, 200);
    for (what, fields) in cases {
        let p = post(&app, &path, &fields, &[]).await;
        assert_eq!(p.status, 200, "{what}");
        assert_eq!(p.text("#contact-form-thanks"), "Dear Ann Marie Lee, thanks for your request!", "{what}");
    }
    // A stop phrase on the form: thanked, not stored.
    let admin = app.login_as("Adam.Admin").await;
    admin.get("/admin/stop-phrases").await;
    admin.post_form("/admin/stop-phrases", &[("text", "seo services")]).await;
    let p = post(&app, &path, &person(&[("form_ts", &old), ("subject", "Cheap SEO services")]), &[]).await;
    assert_eq!(p.status, 200);
    assert!(requests(&app).await.is_empty(), "a bot's post was stored");

    // A person: the form shown 10 s ago, honeypot empty. Script in the name is stored as text and
    // shown escaped.
    let p = post(&app, &path, &person(&[("form_ts", &old), ("name", "<script>alert(1)</script> Smith")]), &[]).await;
    assert_eq!(p.status, 200);
    assert_eq!(p.text("#contact-form-thanks"), "Dear <script>alert(1)</script> Smith, thanks for your request!");
    assert!(p.body.contains("&lt;script&gt;") && p.count("script") == 0, "{}", p.body);
    let stored = requests(&app).await;
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].0.as_str(), stored[0].1.as_str()), ("<script>alert(1)</script>", "Smith"));
    // Invalid fields from a person: 422 with the form and its messages, values kept.
    let p = post(&app, &path, &person(&[("form_ts", &old), ("email", "not-an-email")]), &[]).await;
    assert_eq!(p.status, 422);
    assert_eq!(p.field_error("email").as_deref(), Some("Enter a valid email address."));
    assert_eq!(p.attr("input[name=company]", "value").as_deref(), Some("Client GmbH"));
    assert_eq!(p.attr("input[name=form_ts]", "value").as_deref(), Some(old.as_str()), "the form keeps its time");
    assert_eq!(requests(&app).await.len(), 1);
}

#[tokio::test]
async fn the_limits_answer_429_and_bodies_over_the_cap_413() {
    let app = app_with(IntakeConfig { per_ip: 3, per_source: 1_000, ..relaxed() }).await;
    let (_, token) = lead_source(&app).await;
    let good = person(&[("leadsource_token", &token)]);
    for _ in 0..3 {
        assert_eq!(post(&app, "/add-request/", &good, &[]).await.status, 200);
    }
    let p = post(&app, "/add-request/", &good, &[]).await;
    assert_eq!(p.status, 429);
    assert!(p.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| (1..=60).contains(&n))));
    // The limit is per address: the hosted form from the same address is refused too.
    assert_eq!(post(&app, &format!("/contact-form/{token}/"), &person(&[]), &[]).await.status, 429);
    assert_eq!(requests(&app).await.len(), 3);

    // Per lead source, whatever the address (a trusted proxy passes many visitors' addresses).
    let app =
        app_with(IntakeConfig { per_source: 2, trusted_proxies: vec![Cidr::parse("127.0.0.1").unwrap()], ..relaxed() })
            .await;
    let (_, token) = lead_source(&app).await;
    let good = person(&[("leadsource_token", &token)]);
    for (i, ip) in ["81.2.69.1", "81.2.69.2", "81.2.69.3"].iter().enumerate() {
        let p = post(&app, "/add-request/", &good, &[("X-Forwarded-For", ip)]).await;
        assert_eq!(p.status, if i < 2 { 200 } else { 429 }, "post {i}");
    }
    assert_eq!(requests(&app).await.len(), 2);

    // A body over the intake's cap (32 KiB by default) is refused before it is read whole.
    let huge = "x".repeat(40 * 1024);
    let big = person(&[("leadsource_token", &token), ("message", &huge)]);
    let p = post(&app, "/add-request/", &big, &[("X-Forwarded-For", "81.2.69.9")]).await;
    assert_eq!(p.status, 413);
    // Within the cap but over the message's 10,000 characters: invalid.
    let over = "x".repeat(10_001);
    let long = person(&[("leadsource_token", &token), ("message", &over)]);
    let p = post(&app, "/add-request/", &long, &[("X-Forwarded-For", "81.2.69.10")]).await;
    assert_eq!(p.status, 409);
    assert_eq!(requests(&app).await.len(), 2);
}

#[tokio::test]
async fn only_the_lead_source_s_origins_may_frame_the_form_or_call_it_from_a_script() {
    let app = app_with(relaxed()).await;
    let (id, token) = lead_source(&app).await;
    let path = format!("/contact-form/{token}/");
    let c = app.client();
    let form = c.get(&path).await;
    assert_eq!(form.status, 200);
    let csp = form.header("content-security-policy").unwrap_or_default();
    assert!(csp.ends_with(&format!("frame-ancestors 'self' {SHOP}")), "{csp}");
    assert!(!csp.contains("unsafe-inline") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(form.header("x-frame-options"), None);
    assert_eq!(form.header("x-content-type-options").as_deref(), Some("nosniff"));
    // Every other page still refuses every frame.
    let login = c.get("/login").await;
    assert!(login.header("content-security-policy").unwrap_or_default().contains("frame-ancestors 'none'"));
    assert_eq!(login.header("x-frame-options").as_deref(), Some("DENY"));
    // Unknown tokens: 404.
    assert_eq!(c.get("/contact-form/0f8fad5b-d9cb-469f-a165-70867728950e/").await.status, 404);
    assert_eq!(c.get("/contact-form/nope/embed.js").await.status, 404);

    // The embed script: JavaScript, readable cross-origin by the listed origin only.
    let js = c.raw("GET", &format!("{path}embed.js"), &[("Origin", SHOP)], vec![]).await;
    assert_eq!(js.status, 200);
    assert!(js.header("content-type").unwrap_or_default().starts_with("text/javascript"));
    assert_eq!(js.header("access-control-allow-origin").as_deref(), Some(SHOP));
    assert!(js.body.contains(&format!("{}/contact-form/{token}/", app.base)));
    let evil = c.raw("GET", &format!("{path}embed.js"), &[("Origin", "https://evil.example")], vec![]).await;
    assert_eq!(evil.header("access-control-allow-origin"), None);

    // Posting: from the listed origin, JSON with CORS; from another origin, 403 and nothing stored.
    let f = fill(&app, id, 5).await;
    let fields = person(&[("form_ts", &f)]);
    let refused =
        post(&app, &path, &fields, &[("Origin", "https://evil.example"), ("Accept", "application/json")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert!(requests(&app).await.is_empty());
    let ok = post(&app, &path, &fields, &[("Origin", SHOP), ("Accept", "application/json")]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.header("access-control-allow-origin").as_deref(), Some(SHOP));
    let answer: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(answer["ok"], true);
    assert_eq!(answer["message"], "Dear Ann Marie Lee, thanks for your request!");
    let bad = post(
        &app,
        &path,
        &person(&[("form_ts", &f), ("phone", "")]),
        &[("Origin", SHOP), ("Accept", "application/json")],
    )
    .await;
    assert_eq!(bad.status, 422);
    let answer: serde_json::Value = serde_json::from_str(&bad.body).unwrap();
    assert_eq!(answer["errors"][0]["field"], "phone");
    assert_eq!(requests(&app).await.len(), 1);
}

#[tokio::test]
async fn the_lead_source_page_shows_both_snippets_a_preview_and_checks_the_origins() {
    let app = app_with(relaxed()).await;
    let (id, token) = lead_source(&app).await;
    let admin = app.login_as("Adam.Admin").await;
    let url = format!("/dictionaries/lead-sources/{id}");
    let page = admin.get(&url).await;
    assert_eq!(page.status, 200);
    let script = page.text("#snippet-script");
    assert_eq!(script, format!("<script src=\"{}/contact-form/{token}/embed.js\" async></script>", app.base));
    assert!(page.text("#snippet-iframe").contains(&format!("src=\"{}/contact-form/{token}/\"", app.base)));
    assert_eq!(page.attr("#web-form-preview", "src"), Some(format!("/contact-form/{token}/?preview=1")));
    assert!(page.text("#web-form-origins").contains(SHOP));
    // The preview renders the real form, with sending off.
    let preview = admin.get(&format!("/contact-form/{token}/?preview=1")).await;
    assert!(preview.exists("#contact-form-preview") && preview.exists("button[type=submit][disabled]"));

    let name = page.attr("input[name=name]", "value").unwrap();
    let save = |origins: &'static str| {
        let name = name.clone();
        let admin = &admin;
        let url = url.clone();
        async move { admin.post_form(&url, &[("name", &name), ("index_number", "1"), ("allowed_origins", origins)]).await }
    };
    let p = save("https://www.client.example\nhttps://shop.example/path").await;
    assert_eq!(p.status, 422);
    assert!(p.field_error("allowed_origins").unwrap_or_default().contains("https://shop.example/path"));
    let p = save("https://www.client.example\n  HTTP://Localhost:8080/ ").await;
    assert_eq!(p.status, 303);
    let saved: String = app
        .db
        .scalar(Query::select().column("allowed_origins").from("lead_sources").and_where(Expr::col("id").eq(id)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved, "https://www.client.example\nhttp://localhost:8080");
    let form = app.client().get(&format!("/contact-form/{token}/")).await;
    assert!(
        form.header("content-security-policy")
            .unwrap_or_default()
            .ends_with("frame-ancestors 'self' https://www.client.example http://localhost:8080")
    );
}

#[tokio::test]
async fn a_configured_captcha_is_shown_allowed_by_the_csp_and_required() {
    use ferrocrm::requests::intake::config::{Captcha, CaptchaKind};
    let captcha = Captcha { kind: CaptchaKind::Turnstile, site_key: "0x4AAA-site".into(), secret: "secret".into() };
    let app = app_with(IntakeConfig { captcha: Some(captcha), ..relaxed() }).await;
    let (id, token) = lead_source(&app).await;
    let path = format!("/contact-form/{token}/");
    let form = app.client().get(&path).await;
    assert_eq!(form.attr(".cf-turnstile", "data-sitekey").as_deref(), Some("0x4AAA-site"));
    assert!(
        form.attrs("script[src]", "src").contains(&"https://challenges.cloudflare.com/turnstile/v0/api.js".to_string())
    );
    let csp = form.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self' https://challenges.cloudflare.com")
            && csp.contains("frame-src https://challenges.cloudflare.com"),
        "{csp}"
    );
    // A post without the captcha's answer is refused (the original skipped the check then), without
    // asking the captcha service.
    let f = fill(&app, id, 5).await;
    let p = post(&app, &path, &person(&[("form_ts", &f)]), &[]).await;
    assert_eq!(p.status, 422);
    assert!(p.text(".form-errors").contains("Sorry, invalid captcha."), "{}", p.text(".form-errors"));
    assert!(requests(&app).await.is_empty());

    // Without keys there is no widget and the CSP allows nothing from elsewhere.
    let app = app_with(relaxed()).await;
    let (_, token) = lead_source(&app).await;
    let form = app.client().get(&format!("/contact-form/{token}/")).await;
    assert!(!form.exists(".cf-turnstile") && !form.exists(".h-captcha") && !form.exists("script"));
    assert!(form.header("content-security-policy").unwrap_or_default().contains("frame-src 'none'"));
}

#[tokio::test]
async fn seed_demo_makes_the_demo_department_s_web_form_embeddable() {
    let app = app_with(relaxed()).await;
    ferrocrm::cli::seed_demo(&app.db).await.unwrap();
    let token = ferrocrm::requests::intake::demo::web_form(&app.db).await.unwrap().expect("the demo form");
    let form = app.client().get(&format!("/contact-form/{token}/")).await;
    assert_eq!(form.status, 200);
    assert!(form.exists("#contact-form"));
    assert!(
        form.header("content-security-policy")
            .unwrap_or_default()
            .ends_with("frame-ancestors 'self' http://localhost:8080 http://127.0.0.1:8080")
    );
    let source: (String, String) = app
        .db
        .fetch_optional(
            &Query::select()
                .columns(["name", "allowed_origins"])
                .from("lead_sources")
                .and_where(Expr::col("token").eq(token.as_str()))
                .to_owned(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(source.0, "website form (iframe)");
}
