//! §6.5 name parsing on every save of a person: contact persons and leads (create and edit), the
//! request form, lead conversion and the Excel import. Both backends.

use ferrocrm::excel::Cell;
use ferrocrm::requests::names::PREFIXES;
use sea_query::{Condition, Expr, ExprTrait};

use crate::helpers::app::{Options, TestApp};
use crate::helpers::client::TestClient;
use crate::helpers::crm;
use crate::helpers::html::Page;

struct Setup {
    app: TestApp,
    sales: i64,
    company: i64,
    mark: TestClient,
}

async fn setup() -> Setup {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let company = made.rows.iter().find(|(k, _)| *k == "company").map(|r| r.1).expect("a company");
    let mark = app.login_as("Mark.Manager.Sales").await;
    Setup { app, sales, company, mark }
}

fn id_from(location: &str) -> i64 {
    location.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("an id in {location}"))
}

/// (first, middle, last) of a person row.
async fn names(app: &TestApp, table: &'static str, id: i64) -> (String, String, String) {
    let f = |col| async move { app.field(table, id, col).await.unwrap_or_default() };
    (f("first_name").await, f("middle_name").await, f("last_name").await)
}

fn letters(p: &str) -> String {
    p.chars().filter(|c| *c != '.').collect()
}

/// Three ways of typing honorific `p` before "Pablo" (the `i`th prefix gets one of them), and how
/// it is written back: "mr.Pablo", "MR Pablo", "mr. Pablo" → "Mr. Pablo".
fn typed(i: usize, p: &str) -> (String, &str) {
    let nodot = if p == "Ph.D." { "PhD" } else { p };
    match i % 3 {
        0 => (format!("{}.Pablo", letters(p).to_lowercase()), nodot),
        1 => (format!("{} Pablo", letters(p).to_uppercase()), nodot),
        _ => (format!("{}  Pablo", p.to_lowercase()), p),
    }
}

/// Posts a new contact person of `company` (no middle name).
async fn contact(mark: &TestClient, company: i64, first: &str, last: &str, email: &str) -> Page {
    let company = company.to_string();
    let form = [("first_name", first), ("last_name", last), ("email", email), ("company_id", company.as_str())];
    mark.post_form("/contacts", &form).await
}

async fn rows(app: &TestApp, table: &'static str) -> i64 {
    app.count(table, Condition::all()).await
}

#[tokio::test]
async fn every_honorific_is_written_back_on_contact_and_lead_saves() {
    let Setup { app, company, mark, .. } = setup().await;
    for (i, p) in PREFIXES.iter().enumerate() {
        let (first, written) = typed(i, p);
        let email = format!("pablo{i}@art.example");
        // A contact person: first and last name given, the honorific written as in PREFIXES.
        let made = contact(&mark, company, &first, "Picasso", &email).await;
        assert_eq!(made.status, 303, "{first:?}: {}", made.body);
        let id = id_from(&made.header("location").unwrap_or_default());
        let want = (format!("{written} Pablo"), String::new(), "Picasso".to_string());
        assert_eq!(names(&app, "contacts", id).await, want, "contact {first:?}");
        // The key the duplicate check and matching use follows the written name.
        let key = app.field("contacts", id, "first_name_key").await.unwrap_or_default();
        assert_eq!(key, ferrocrm::text::fold(&want.0), "{first:?}");

        // A lead: the whole name typed as the first name is split too.
        let whole = format!("{first} Ruiz Picasso");
        let made = mark.post_form("/leads", &[("first_name", &whole), ("email", &email)]).await;
        assert_eq!(made.status, 303, "{whole:?}: {}", made.body);
        let lead = id_from(&made.header("location").unwrap_or_default());
        let want = (format!("{written} Pablo"), "Ruiz".to_string(), "Picasso".to_string());
        assert_eq!(names(&app, "leads", lead).await, want, "lead {whole:?}");

        // An edit goes through the same check: the honorific typed again another way.
        let (again, written) = typed(i + 1, p);
        let saved = mark
            .post_form(
                &format!("/leads/{lead}"),
                &[("first_name", &again), ("middle_name", "Ruiz"), ("last_name", "Picasso"), ("email", &email)],
            )
            .await;
        assert_eq!(saved.status, 303, "{again:?}: {}", saved.body);
        let want = (format!("{written} Pablo"), "Ruiz".to_string(), "Picasso".to_string());
        assert_eq!(names(&app, "leads", lead).await, want, "lead edit {again:?}");
    }
}

#[tokio::test]
async fn a_first_name_that_is_only_an_honorific_is_refused_and_nothing_is_written() {
    let Setup { app, company, mark, .. } = setup().await;
    let (contacts, leads, history) =
        (rows(&app, "contacts").await, rows(&app, "leads").await, rows(&app, "history").await);
    for (i, p) in PREFIXES.iter().enumerate() {
        let bare = match i % 3 {
            0 => p.to_string(),
            1 => letters(p).to_lowercase(),
            _ => format!(" {} ", letters(p).to_uppercase()),
        };
        let email = format!("x{i}@art.example");
        let refused = contact(&mark, company, &bare, "Picasso", &email).await;
        assert_eq!(refused.status, 422, "contact {bare:?}");
        assert_eq!(refused.field_error("first_name").as_deref(), Some("Invalid value"), "contact {bare:?}");
        // The form comes back with what was typed.
        assert!(refused.exists("form input[name=first_name]"), "the form again");
        assert_eq!(refused.attr("input[name=last_name]", "value").as_deref(), Some("Picasso"));
        // With another field's message too: both at once.
        let refused = mark.post_form("/leads", &[("first_name", &bare), ("email", "")]).await;
        assert_eq!(refused.field_error("first_name").as_deref(), Some("Invalid value"), "lead {bare:?}");
        assert!(refused.field_error("email").is_some());
        let refused = mark.post_form("/leads", &[("first_name", &bare), ("email", &email)]).await;
        assert_eq!(refused.status, 422, "lead {bare:?}");
        assert_eq!(refused.field_error("first_name").as_deref(), Some("Invalid value"), "lead {bare:?}");
    }
    assert_eq!(rows(&app, "contacts").await, contacts, "no contact person written");
    assert_eq!(rows(&app, "leads").await, leads, "no lead written");
    assert_eq!(rows(&app, "history").await, history, "no history written");

    // An edit to a bare honorific changes nothing either.
    let made =
        mark.post_form("/leads", &[("first_name", "Olaf"), ("last_name", "Berg"), ("email", "o@b.example")]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let lead = id_from(&made.header("location").unwrap_or_default());
    let refused = mark
        .post_form(&format!("/leads/{lead}"), &[("first_name", "Dr."), ("last_name", "Berg"), ("email", "o@b.example")])
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.field_error("first_name").as_deref(), Some("Invalid value"));
    assert_eq!(names(&app, "leads", lead).await, ("Olaf".into(), String::new(), "Berg".into()));
}

#[tokio::test]
async fn ordinary_names_are_saved_as_typed_and_a_whole_name_alone_is_split() {
    let Setup { app, company, mark, .. } = setup().await;
    let company_s = company.to_string();
    // (first, middle, last) typed → stored the same: lookalikes of honorifics, a two-word first name
    // with a last name, non-ASCII.
    let kept = [
        ("Frank", "", "Miller"),
        ("Drew", "", "Barrymore"),
        ("Mary Ann", "", "Smith"),
        ("Colin", "James", "Firth"),
        ("Sirius", "", "Black"),
        ("Ölaf", "", "Øberg"),
        ("Mdina", "", ""),
    ];
    for (i, (f, m, l)) in kept.iter().enumerate() {
        let email = format!("k{i}@x.example");
        let form = [("first_name", *f), ("middle_name", *m), ("last_name", *l), ("email", &email)];
        let mut contact = form.to_vec();
        contact.push(("company_id", &company_s));
        let made = mark.post_form("/contacts", &contact).await;
        assert_eq!(made.status, 303, "{f:?}: {}", made.body);
        let id = id_from(&made.header("location").unwrap_or_default());
        assert_eq!(names(&app, "contacts", id).await, (f.to_string(), m.to_string(), l.to_string()));
        let made = mark.post_form("/leads", &form).await;
        assert_eq!(made.status, 303, "{f:?}: {}", made.body);
        let id = id_from(&made.header("location").unwrap_or_default());
        assert_eq!(names(&app, "leads", id).await, (f.to_string(), m.to_string(), l.to_string()));
    }
    // Middle and last name empty: a whole name typed as the first name is split (as a web form's).
    let made = contact(&mark, company, "Pablo  Picasso", "", "pp@x.example").await;
    assert_eq!(made.status, 303, "{}", made.body);
    let id = id_from(&made.header("location").unwrap_or_default());
    assert_eq!(names(&app, "contacts", id).await, ("Pablo".into(), String::new(), "Picasso".into()));
}

#[tokio::test]
async fn the_request_form_writes_the_honorific_back_too() {
    let Setup { app, sales, .. } = setup().await;
    let o = app.login_as("Olga.Operator.Sales").await;
    let day = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    let d = sales.to_string();
    let base = [("department_id", d.as_str()), ("request_for", "Pumps"), ("receipt_date", day.as_str())];
    let post = |first: &'static str| {
        let mut form = base.to_vec();
        form.push(("first_name", first));
        let o = &o;
        async move { o.post_form("/requests", &form).await }
    };
    let made = post("mr.Pablo").await;
    assert_eq!(made.status, 303, "{}", made.body);
    let id = id_from(&made.header("location").unwrap_or_default());
    assert_eq!(names(&app, "requests", id).await, ("Mr. Pablo".into(), String::new(), String::new()));
    let before = rows(&app, "requests").await;
    let refused = post("DR").await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.field_error("first_name").as_deref(), Some("Invalid value"));
    assert_eq!(rows(&app, "requests").await, before);
}

/// A lead written before this rule (or by hand) converts into a contact person named as a save
/// would name it; one whose first name is only an honorific is sent back to be edited.
#[tokio::test]
async fn lead_conversion_names_the_contact_person_as_a_save_would() {
    let Setup { app, mark, .. } = setup().await;
    let lead = |first: &'static str, company: &'static str| {
        let app = &app;
        let mark = &mark;
        async move {
            let made = mark
                .post_form(
                    "/leads",
                    &[
                        ("first_name", company),
                        ("last_name", "Berg"),
                        ("email", "olaf@berg.example"),
                        ("company_name", company),
                        ("company_email", "info@berg.example"),
                    ],
                )
                .await;
            assert_eq!(made.status, 303, "{}", made.body);
            let id = id_from(&made.header("location").unwrap_or_default());
            // As an older version (or an import before this rule) stored it.
            let old_save = sea_query::Query::update()
                .table("leads")
                .value("first_name", first)
                .and_where(Expr::col("id").eq(id))
                .to_owned();
            app.db.execute(&old_save).await.unwrap();
            id
        }
    };
    let deal = [("name", "Boats"), ("next_step", "Call"), ("next_step_date", "2099-01-01")];

    let bare = lead("Dr.", "Berg Shipping").await;
    let (companies, contacts) = (rows(&app, "companies").await, rows(&app, "contacts").await);
    let page = mark.get(&format!("/leads/{bare}/convert")).await;
    assert!(page.text("main").contains("Invalid value"), "{}", page.text("main"));
    let refused = mark.post_form(&format!("/leads/{bare}/convert"), &deal).await;
    assert_eq!(refused.status, 422);
    assert_eq!((rows(&app, "companies").await, rows(&app, "contacts").await), (companies, contacts), "nothing made");

    let old = lead("mr.Olaf", "Berg Maritime").await;
    let done = mark.post_form(&format!("/leads/{old}/convert"), &deal).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let deal_id = id_from(&done.header("location").unwrap_or_default());
    let contact: i64 = app.field("deals", deal_id, "contact_id").await.and_then(|c| c.parse().ok()).expect("a contact");
    assert_eq!(names(&app, "contacts", contact).await, ("Mr. Olaf".into(), String::new(), "Berg".into()));
}

/// The Excel import converts names as a form's save does, and skips a bare honorific with its reason.
#[tokio::test]
async fn the_excel_import_writes_honorifics_back_and_skips_a_bare_one() {
    let Setup { app, mark, .. } = setup().await;
    let text = |s: &str| Cell::Text(s.to_string());
    let sheet = ferrocrm::excel::write_sheet(
        "Sheet1",
        &["first_name", "last_name", "email"],
        chrono_tz::Tz::UTC,
        vec![
            vec![text("mrs.Ada"), text("Lovelace"), text("ada@x.example")],
            vec![text("Prof."), text("Nobody"), text("n@x.example")],
        ],
    )
    .expect("a workbook");
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let up = mark.post_multipart("/leads/import", &[], &[("file", "l.xlsx", XLSX, sheet)]).await;
    assert_eq!(up.status, 303, "{}", up.body);
    let preview_url = up.header("location").unwrap_or_default();
    let preview = mark.get(&preview_url).await;
    let skipped = preview.texts("table.import-skipped tbody td");
    assert_eq!(skipped, ["3", "First name: Invalid value"]);
    assert_eq!(mark.post_form(&format!("{preview_url}/confirm"), &[]).await.status, 303);
    while ferrocrm::jobs::run_once(&app.state).await.unwrap() {}
    let ada = app
        .count(
            "leads",
            Condition::all().add(Expr::col("first_name").eq("Mrs. Ada")).add(Expr::col("last_name").eq("Lovelace")),
        )
        .await;
    assert_eq!(ada, 1);
    assert_eq!(app.count("leads", Condition::all().add(Expr::col("last_name").eq("Nobody"))).await, 0);
}
