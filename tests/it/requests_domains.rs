//! The administrators' list of public email domains (`/admin/public-email-domains`, inventory §2.7,
//! §6.4 find_company step 5): listed a page at a time and searched, added (validated, lower-cased,
//! no duplicates) and removed by administrators only; what it holds changes request matching.
//! Both backends.

use ferrocrm::crm::company;
use ferrocrm::crm::record::Val;
use ferrocrm::crm::repo::{self, Names, Record};
use ferrocrm::history::Actor;
use sea_query::{Condition, Expr, ExprTrait, Order, Query};

use crate::helpers::app::{Options, TestApp, USERS};
use crate::helpers::client::TestClient;
use crate::helpers::crm;

const URL: &str = "/admin/public-email-domains";

async fn app() -> TestApp {
    TestApp::with(Options { seed_users: true, ..Default::default() }).await
}

/// Every (id, domain) of the table, in id order.
async fn domains(app: &TestApp) -> Vec<(i64, String)> {
    app.db
        .fetch_all(Query::select().columns(["id", "domain"]).from("public_email_domains").order_by("id", Order::Asc))
        .await
        .unwrap()
}

async fn id_of(app: &TestApp, domain: &str) -> Option<i64> {
    app.db
        .scalar(Query::select().column("id").from("public_email_domains").and_where(Expr::col("domain").eq(domain)))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_administrator_lists_searches_adds_and_removes_public_domains() {
    let app = app().await;
    let admin = app.login_as("Adam.Admin").await;
    // More than a page: the migration's providers and a few more, added through the form.
    for i in 0..7 {
        let added = admin.post_form(URL, &[("text", &format!("mail{i}.example"))]).await;
        assert_eq!(added.status, 303, "{}", added.body);
    }
    let seeded = domains(&app).await.len();
    assert!(seeded > 50, "{seeded}");

    // A page at a time, in order, with a link to the next page.
    let first = admin.get(URL).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.text("h1"), "Public email domains");
    let shown = first.texts("#spam-list tbody td:first-child");
    assert_eq!(shown.len(), 50);
    let mut sorted = shown.clone();
    sorted.sort();
    assert_eq!(shown, sorted, "ordered by domain");
    let next = first.attr("nav.pagination a[rel=next]", "href").expect("a next page");
    let second = admin.get(&next).await;
    let rest = second.texts("#spam-list tbody td:first-child");
    assert_eq!(shown.len() + rest.len(), seeded, "the two pages hold every domain");
    assert!(rest.iter().all(|d| !shown.contains(d)));

    // Search: every shown domain contains the text, ignoring case; the page link keeps it.
    let found = admin.get(&format!("{URL}?q=YAHOO")).await;
    let hits = found.texts("#spam-list tbody td:first-child");
    assert!(hits.contains(&"yahoo.com".to_string()), "{hits:?}");
    assert!(hits.iter().all(|d| d.contains("yahoo")), "{hits:?}");
    assert_eq!(found.attr("form.filters input[name=q]", "value").as_deref(), Some("YAHOO"));
    let none = admin.get(&format!("{URL}?q=%25_")).await;
    assert_eq!(none.status, 200);
    assert!(!none.exists("#spam-list"), "% and _ are searched as text");

    // Add: lower-cased, a typed @ dropped.
    admin.get(URL).await;
    let added = admin.post_form(URL, &[("text", "  @Initech.EXAMPLE ")]).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let id = id_of(&app, "initech.example").await.expect("stored lower-cased");
    assert!(admin.get(&format!("{URL}?q=initech")).await.texts("#spam-list td").contains(&"initech.example".into()));

    // A duplicate (in any case) or something that is not a domain: 422, the message, nothing added.
    let before = domains(&app).await;
    let cases = [
        ("INITECH.example", "This is listed already."),
        ("gmail.com", "This is listed already."),
        ("", "This field is required."),
        ("not a domain", "\u{201c}not a domain\u{201d} is not a domain name: type one such as gmail.com."),
        ("bob@initech.example", "is not a domain name"),
        ("localhost", "is not a domain name"),
    ];
    for (typed, message) in cases {
        let refused = admin.post_form(URL, &[("text", typed)]).await;
        assert_eq!(refused.status, 422, "{typed:?}");
        let error = refused.field_error("text").unwrap_or_default();
        assert!(error.contains(message), "{typed:?}: {error:?}");
        assert_eq!(refused.text("h1"), "Public email domains", "the page again");
        assert_eq!(refused.attr("input[name=text]", "value").as_deref(), Some(typed.trim()));
    }
    assert_eq!(domains(&app).await, before, "nothing added");

    // Remove (the button asks first), then it is gone; a second remove finds nothing.
    let page = admin.get(&format!("{URL}?q=initech")).await;
    let form = format!("form[action='{URL}/{id}/delete']");
    assert!(page.attr(&form, "data-confirm").is_some_and(|c| c.contains("initech.example")));
    assert_eq!(admin.post_form(&format!("{URL}/{id}/delete"), &[]).await.status, 303);
    assert_eq!(id_of(&app, "initech.example").await, None);
    assert_eq!(admin.post_form(&format!("{URL}/{id}/delete"), &[]).await.status, 404);
}

#[tokio::test]
async fn only_administrators_reach_the_list_and_nothing_changes_for_others() {
    let app = app().await;
    let gmail = id_of(&app, "gmail.com").await.expect("seeded");
    let before = domains(&app).await;
    for (user, _, _) in USERS.iter().filter(|(u, _, _)| *u != "Adam.Admin") {
        let c = app.login_as(user).await;
        assert_eq!(c.get(URL).await.status, 404, "{user}");
        assert_eq!(c.post_form(URL, &[("text", "evil.example")]).await.status, 404, "{user}");
        assert_eq!(c.post_form(&format!("{URL}/{gmail}/delete"), &[]).await.status, 404, "{user}");
    }
    // Not logged in: the login page, nothing done.
    let anonymous = TestClient::new(&app.base);
    assert_ne!(anonymous.get(URL).await.status, 200);
    let refused = anonymous.post_form(URL, &[("text", "evil.example")]).await;
    assert!(!refused.status.is_success(), "{}", refused.status);
    assert_eq!(domains(&app).await, before, "nothing changed");
    // The administrator does get it (the same requests succeed).
    let admin = app.login_as("Adam.Admin").await;
    assert_eq!(admin.get(URL).await.status, 200);
    assert_eq!(admin.post_form(URL, &[("text", "evil.example")]).await.status, 303);
}

/// §6.4 find_company step 5: a request is linked to the company with its email's domain until the
/// administrator lists that domain as public.
#[tokio::test]
async fn adding_a_public_domain_stops_linking_requests_to_companies_by_it() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    // A company whose email is at the domain, written through the repo (with its match keys).
    let mut r = Record::blank(&company::SPEC, sales, Some(mark));
    r.set(&company::SPEC, "full_name", Val::Text("Initech".into()));
    r.set(&company::SPEC, "email", Val::Text("info@initech.example".into()));
    let mut tx = app.db.begin().await.unwrap();
    let initech = repo::insert(
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

    let olga = app.login_as("Olga.Operator.Sales").await;
    let day = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    let d = sales.to_string();
    let request = |first: &'static str, email: &'static str| {
        let (olga, day, d) = (&olga, &day, &d);
        async move {
            let form = [
                ("department_id", d.as_str()),
                ("request_for", "Pumps"),
                ("receipt_date", day.as_str()),
                ("first_name", first),
                ("email", email),
            ];
            let made = olga.post_form("/requests", &form).await;
            assert_eq!(made.status, 303, "{}", made.body);
            let id: i64 = made.header("location").and_then(|l| l.rsplit('/').next()?.parse().ok()).expect("an id");
            id
        }
    };
    let app = &app;
    let linked = |id: i64| async move { app.field("requests", id, "company_id").await };

    let before = request("Bob", "bob@initech.example").await;
    assert_eq!(linked(before).await, Some(initech.to_string()), "matched by the email's domain");

    let admin = app.login_as("Adam.Admin").await;
    assert_eq!(admin.post_form(URL, &[("text", "Initech.example")]).await.status, 303);
    let after = request("Carl", "carl@initech.example").await;
    assert_eq!(linked(after).await, None, "a public domain says nothing about the company");
    let unlinked = app.count("requests", Condition::all().add(Expr::col("company_id").is_null())).await;
    assert_eq!(unlinked, 1);

    // Removed from the list again, the domain matches again.
    let id = id_of(app, "initech.example").await.expect("listed");
    assert_eq!(admin.post_form(&format!("{URL}/{id}/delete"), &[]).await.status, 303);
    let again = request("Dora", "dora@initech.example").await;
    assert_eq!(linked(again).await, Some(initech.to_string()));
}

/// In Chromium: the administrator reaches the list from the stop phrases, adds a domain, removes it
/// through the confirmation dialog; a manager's contact person form shows "Invalid value" under
/// the first name and keeps what was typed.
#[tokio::test]
async fn in_the_browser_the_list_adds_and_removes_and_a_bare_honorific_is_shown_as_invalid() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;

    let wait = Duration::from_secs(5);
    let app = app().await;
    let b = Browser::start().await;
    let sales = crm::department(&app, "Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(app.user_id("Mark.Manager.Sales").await)], None).await;
    let company = made.rows.iter().find(|(k, _)| *k == "company").map(|r| r.1).expect("a company");
    b.login(&app.base, "Adam.Admin", PASSWORD).await;
    b.goto(&format!("{}/admin/stop-phrases", app.base)).await;
    b.click(&format!("#intake-lists a[href='{URL}']")).await;
    b.wait_text("main h1", wait, |t| t == "Public email domains").await;
    b.type_into("#f-text", "Initech.Example").await;
    b.click("#spam-add button[type=submit]").await;
    b.wait_text("main", wait, |t| t.contains("initech.example")).await;
    let id = id_of(&app, "initech.example").await.expect("added");
    b.type_into("#f-text", "not a domain").await;
    b.click("#spam-add button[type=submit]").await;
    b.wait_text("#spam-add", wait, |t| t.contains("is not a domain name")).await;
    b.shot("public-email-domains.png").await;
    b.goto(&format!("{}{URL}?q=initech", app.base)).await;
    b.click(&format!("form[action='{URL}/{id}/delete'] button")).await;
    b.click("#confirm-ok").await;
    b.wait_text("main", wait, |t| t.contains("Nothing listed yet") || !t.contains("initech.example")).await;
    assert_eq!(id_of(&app, "initech.example").await, None);
    b.close().await;

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    let before = app.count("contacts", Condition::all()).await;
    b.goto(&format!("{}/contacts/new?company_id={company}", app.base)).await;
    b.type_into("#f-first_name", "Dr.").await;
    b.type_into("#f-last_name", "Lee").await;
    b.type_into("#f-email", "lee@x.example").await;
    b.click("main form.form button[type=submit]").await;
    b.wait_text("main", wait, |t| t.contains("Invalid value")).await;
    assert_eq!(b.attr("#f-first_name", "value").await.as_deref(), Some("Dr."));
    b.js("document.getElementById('f-first_name').scrollIntoView({block: 'center'}); return null").await;
    b.shot("contact-form-invalid-first-name.png").await;
    assert_eq!(app.count("contacts", Condition::all()).await, before);
    b.close().await;
}
