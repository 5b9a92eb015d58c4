//! The intake lists operators keep (issue 9, inventory §3: PublicEmailDomain and StopPhrase,
//! "also on the CRM site for operators"): `/requests/stop-phrases` and
//! `/requests/public-email-domains`, served by the administrators' handlers to whoever
//! `access::manages_intake_lists` admits; what an operator adds or removes there changes the
//! intake and the matching. Banned company names stay administrators' only. Both backends.

use ferrocrm::crm::company;
use ferrocrm::crm::record::Val;
use ferrocrm::crm::repo::{self, Names, Record};
use ferrocrm::history::Actor;
use sea_query::{Expr, ExprTrait, Order, Query};

use crate::helpers::TestApp;
use crate::helpers::app::USERS;
use crate::helpers::client::TestClient;
use crate::requests_intake::{app_with, lead_source, person, post, relaxed, requests};

const STOP: &str = "/requests/stop-phrases";
const DOMAINS: &str = "/requests/public-email-domains";
const OPERATOR: &str = "Olga.Operator.Sales";

/// Every (id, text) of `table`'s `col`, in id order.
async fn rows(app: &TestApp, table: &'static str, col: &'static str) -> Vec<(i64, String)> {
    app.db.fetch_all(Query::select().columns(["id", col]).from(table).order_by("id", Order::Asc)).await.unwrap()
}

async fn id_of(app: &TestApp, table: &'static str, col: &'static str, value: &str) -> Option<i64> {
    app.db.scalar(Query::select().column("id").from(table).and_where(Expr::col(col).eq(value))).await.unwrap()
}

/// Everything the three lists hold (to show a refused request changed nothing).
async fn lists(app: &TestApp) -> Vec<Vec<(i64, String)>> {
    vec![
        rows(app, "stop_phrases", "phrase").await,
        rows(app, "public_email_domains", "domain").await,
        rows(app, "banned_company_names", "name").await,
    ]
}

/// A Sales company whose email is at `initech.example`, written through the repo (with its match keys).
async fn initech(app: &TestApp) -> i64 {
    let sales = crate::helpers::crm::department(app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let mut r = Record::blank(&company::SPEC, sales, Some(mark));
    r.set(&company::SPEC, "full_name", Val::Text("Initech".into()));
    r.set(&company::SPEC, "email", Val::Text("info@initech.example".into()));
    let mut tx = app.db.begin().await.unwrap();
    let id = repo::insert(
        &mut tx,
        &company::SPEC,
        &r,
        &[("token", "tok-initech".into())],
        &Actor::system("t"),
        &Names::default(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A request made on the CRM site by `c` with `email`: its id.
async fn request(app: &TestApp, c: &TestClient, first: &str, email: &str) -> i64 {
    let sales = crate::helpers::crm::department(app, "Sales").await.to_string();
    let day = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    let form = [
        ("department_id", sales.as_str()),
        ("request_for", "Pumps"),
        ("receipt_date", day.as_str()),
        ("first_name", first),
        ("email", email),
    ];
    let made = c.post_form("/requests", &form).await;
    assert_eq!(made.status, 303, "{}", made.body);
    made.header("location").and_then(|l| l.rsplit('/').next()?.parse().ok()).expect("an id")
}

#[tokio::test]
async fn an_operator_keeps_stop_phrases_and_public_domains_and_intake_and_matching_follow() {
    let app = app_with(relaxed()).await;
    let (_, token) = lead_source(&app).await;
    let olga = app.login_as(OPERATOR).await;

    // The requests list links to both lists.
    let list = olga.get("/requests").await;
    assert_eq!(list.attr("#stop-phrases-link", "href").as_deref(), Some(STOP));
    assert_eq!(list.attr("#public-domains-link", "href").as_deref(), Some(DOMAINS));

    // The page: its forms and links use the path it was reached by; banned names are not offered.
    let page = olga.get(STOP).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.text("h1"), "Stop phrases");
    assert_eq!(page.attr("#spam-add form", "action").as_deref(), Some(STOP));
    assert_eq!(page.attr("form.filters", "action").as_deref(), Some(STOP));
    let links: Vec<String> = page.attrs("#intake-lists a", "href");
    assert_eq!(links, vec![DOMAINS.to_string()], "the other operators' list only");
    assert!(!page.body.contains("/admin/"), "no link into the administrators' area");

    // A stop phrase added here drops web-form requests that contain it.
    let added = olga.post_form(STOP, &[("text", "Cheap  pills")]).await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(added.header("location").as_deref(), Some(STOP));
    let id = id_of(&app, "stop_phrases", "phrase", "Cheap pills").await.expect("added");
    let spam = person(&[("leadsource_token", &token), ("message", "Buy CHEAP pills now")]);
    assert_eq!(post(&app, "/add-request/", &spam, &[]).await.status, 200);
    assert!(requests(&app).await.is_empty(), "the stop phrase dropped the request");
    let shown = olga.get(STOP).await;
    assert_eq!(shown.texts("#spam-list tbody td:first-child"), vec!["Cheap pills".to_string()]);
    let remove = format!("{STOP}/{id}/delete");
    assert!(shown.exists(&format!("form[action='{remove}']")), "{}", shown.body);
    // A duplicate: 422, the page again under the same path.
    let again = olga.post_form(STOP, &[("text", "cheap pills")]).await;
    assert_eq!(again.status, 422);
    assert_eq!(again.field_error("text").as_deref(), Some("This is listed already."));
    assert_eq!(again.attr("#spam-add form", "action").as_deref(), Some(STOP));

    // Removed, the same message is received.
    let removed = olga.post_form(&remove, &[]).await;
    assert_eq!(removed.status, 303);
    assert_eq!(removed.header("location").as_deref(), Some(STOP));
    assert_eq!(id_of(&app, "stop_phrases", "phrase", "Cheap pills").await, None);
    assert_eq!(post(&app, "/add-request/", &spam, &[]).await.status, 200);
    assert_eq!(requests(&app).await.len(), 1, "received once the phrase is gone");
    assert_eq!(olga.post_form(&remove, &[]).await.status, 404, "removed already");

    // A public domain added here stops linking requests to companies by it.
    let initech = initech(&app).await;
    let linked = |id: i64| {
        let app = &app;
        async move { app.field("requests", id, "company_id").await }
    };
    let before = request(&app, &olga, "Bob", "bob@initech.example").await;
    assert_eq!(linked(before).await, Some(initech.to_string()), "matched by the email's domain");
    let page = olga.get(DOMAINS).await;
    assert_eq!(page.text("h1"), "Public email domains");
    assert_eq!(page.attrs("#intake-lists a", "href"), vec![STOP.to_string()]);
    let added = olga.post_form(DOMAINS, &[("text", "@Initech.EXAMPLE")]).await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(added.header("location").as_deref(), Some(DOMAINS));
    let domain = id_of(&app, "public_email_domains", "domain", "initech.example").await.expect("lower-cased");
    let after = request(&app, &olga, "Carl", "carl@initech.example").await;
    assert_eq!(linked(after).await, None, "a public domain says nothing about the company");
    let invalid = olga.post_form(DOMAINS, &[("text", "not a domain")]).await;
    assert_eq!(invalid.status, 422);
    assert!(invalid.field_error("text").unwrap_or_default().contains("is not a domain name"));

    let removed = olga.post_form(&format!("{DOMAINS}/{domain}/delete"), &[]).await;
    assert_eq!(removed.status, 303);
    assert_eq!(removed.header("location").as_deref(), Some(DOMAINS));
    let again = request(&app, &olga, "Dora", "dora@initech.example").await;
    assert_eq!(linked(again).await, Some(initech.to_string()), "matched again once removed");
}

#[tokio::test]
async fn only_operators_and_administrators_keep_the_lists_and_banned_names_stay_administrators() {
    let app = app_with(relaxed()).await;
    let gmail = id_of(&app, "public_email_domains", "domain", "gmail.com").await.expect("seeded");
    let admin = app.login_as("Adam.Admin").await;
    assert_eq!(admin.post_form(STOP, &[("text", "casino")]).await.status, 303, "administrators keep it here too");
    assert_eq!(admin.post_form("/admin/banned-company-names", &[("text", "Spam Corp")]).await.status, 303);
    let phrase = id_of(&app, "stop_phrases", "phrase", "casino").await.expect("added");
    let banned = id_of(&app, "banned_company_names", "name", "Spam Corp").await.expect("added");
    let before = lists(&app).await;

    // Everyone but operators and administrators: 403 on both lists, and no links on the requests list.
    let others = USERS.iter().filter(|(u, _, _)| *u != "Adam.Admin" && *u != OPERATOR);
    for (user, _, _) in others {
        let c = app.login_as(user).await;
        for (url, id) in [(STOP, phrase), (DOMAINS, gmail)] {
            assert_eq!(c.get(url).await.status, 403, "{user} GET {url}");
            assert_eq!(c.post_form(url, &[("text", "evil.example")]).await.status, 403, "{user} POST {url}");
            let remove = format!("{url}/{id}/delete");
            assert_eq!(c.post_form(&remove, &[]).await.status, 403, "{user} POST {remove}");
        }
        let list = c.get("/requests").await;
        if list.status == 200 {
            assert!(!list.exists("#stop-phrases-link") && !list.exists("#public-domains-link"), "{user}");
        }
    }
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(mark.get("/requests").await.status, 200, "a sales manager does see the requests list");

    // The operator: banned company names are refused, at `/admin/` and under `/requests/`.
    let olga = app.login_as(OPERATOR).await;
    assert_eq!(olga.get("/admin/banned-company-names").await.status, 404);
    assert_eq!(olga.post_form("/admin/banned-company-names", &[("text", "Acme")]).await.status, 404);
    assert_eq!(olga.post_form(&format!("/admin/banned-company-names/{banned}/delete"), &[]).await.status, 404);
    assert_eq!(olga.post_form(&format!("/admin/stop-phrases/{phrase}/delete"), &[]).await.status, 404);
    // No such list under `/requests/`: what `/requests/:id` answers for an id that is not one.
    let sideways = olga.get("/requests/banned-company-names").await;
    assert!(sideways.status.is_client_error() && !sideways.exists("#spam-add"), "{}", sideways.status);
    let sideways = olga.post_form("/requests/banned-company-names", &[("text", "Acme")]).await;
    assert!(sideways.status.is_client_error(), "{}", sideways.status);
    assert_eq!(olga.post_form(&format!("/requests/banned-company-names/{banned}/delete"), &[]).await.status, 404);

    // Without a CSRF token (or with a wrong one): 403, nothing added or removed.
    let form_ct = ("Content-Type", "application/x-www-form-urlencoded");
    let origin = ("Origin", app.base.as_str());
    for (url, body) in [(STOP, "text=forged"), (DOMAINS, "text=forged.example")] {
        let p = olga.raw("POST", url, &[form_ct, origin], body.as_bytes().to_vec()).await;
        assert_eq!(p.status, 403, "{url} without a token");
        let p = olga.raw("POST", url, &[form_ct, origin, ("X-CSRF-Token", "0000")], body.as_bytes().to_vec()).await;
        assert_eq!(p.status, 403, "{url} with a wrong token");
    }
    for remove in [format!("{STOP}/{phrase}/delete"), format!("{DOMAINS}/{gmail}/delete")] {
        assert_eq!(olga.raw("POST", &remove, &[form_ct, origin], vec![]).await.status, 403, "{remove}");
    }
    assert_eq!(lists(&app).await, before, "nothing changed");

    // The administrators' pages are as they were: the three lists, under `/admin/`.
    let page = admin.get("/admin/stop-phrases").await;
    assert_eq!(page.attr("#spam-add form", "action").as_deref(), Some("/admin/stop-phrases"));
    let links = page.attrs("#intake-lists a", "href");
    assert_eq!(links, vec!["/admin/banned-company-names".to_string(), "/admin/public-email-domains".to_string()]);
    // The operator does change them (the same requests with the token succeed).
    assert_eq!(olga.post_form(&format!("{STOP}/{phrase}/delete"), &[]).await.status, 303);
    assert_eq!(olga.post_form(DOMAINS, &[("text", "forged.example")]).await.status, 303);
}

/// In Chromium, as an operator: from the requests list by keyboard to the stop phrases, a phrase
/// added; on to the public email domains, a domain added and removed through the confirmation.
#[tokio::test]
async fn in_the_browser_an_operator_reaches_and_keeps_the_lists_from_the_requests_page() {
    use std::time::Duration;

    use fantoccini::key::Key;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;

    let wait = Duration::from_secs(5);
    let app = app_with(relaxed()).await;
    let b = Browser::start().await;
    b.login(&app.base, OPERATOR, PASSWORD).await;
    b.goto(&format!("{}/requests", app.base)).await;
    b.shot("requests-operator-links.png").await;
    // The link takes the focus and Enter follows it.
    b.type_into("#stop-phrases-link", &Key::Enter.to_string()).await;
    b.wait_text("main h1", wait, |t| t == "Stop phrases").await;
    assert!(b.js("return location.pathname").await.as_str() == Some(STOP));
    b.type_into("#f-text", "free money").await;
    b.type_into("#f-text", &Key::Enter.to_string()).await;
    b.wait_text("#spam-list", wait, |t| t.contains("free money")).await;
    assert!(id_of(&app, "stop_phrases", "phrase", "free money").await.is_some());
    b.shot("requests-stop-phrases.png").await;

    b.click(&format!("#intake-lists a[href='{DOMAINS}']")).await;
    b.wait_text("main h1", wait, |t| t == "Public email domains").await;
    b.type_into("#f-text", "Initech.Example").await;
    b.click("#spam-add button[type=submit]").await;
    // Added (the page comes back with the field empty), then found by a search.
    let start = std::time::Instant::now();
    let id = loop {
        if let Some(id) = id_of(&app, "public_email_domains", "domain", "initech.example").await {
            break id;
        }
        assert!(start.elapsed() < wait, "the domain was never added");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    b.wait_text("main h1", wait, |t| t == "Public email domains").await;
    b.goto(&format!("{}{DOMAINS}?q=initech", app.base)).await;
    b.wait_text("#spam-list", wait, |t| t.contains("initech.example")).await;
    b.shot("requests-public-email-domains.png").await;
    b.click(&format!("form[action='{DOMAINS}/{id}/delete'] button")).await;
    b.click("#confirm-ok").await;
    b.wait_text("main", wait, |t| !t.contains("initech.example")).await;
    assert_eq!(id_of(&app, "public_email_domains", "domain", "initech.example").await, None);
    b.close().await;
}
