//! Dictionaries (issue 8): the administration pages of each department's dictionaries, tags and
//! cities; lead conversion carrying tags and industries (§13.4); one company per name without a
//! country, enforced by the database (migration 13). Both backends.

use std::collections::BTreeSet;

use ferrocrm::db::Db;
use sea_query::{Condition, Expr, ExprTrait, Query, SimpleExpr};

use crate::helpers::app::{Options, fresh_pg_database, pg_admin_url, test_tmp_root};
use crate::helpers::client::TestClient;
use crate::helpers::{TestApp, crm};

async fn app() -> TestApp {
    TestApp::with(Options { seed_users: true, ..Default::default() }).await
}

/// Posts a new row and returns its id (the form must be accepted).
async fn made(c: &TestClient, path: &str, form: &[(&str, &str)]) -> i64 {
    let p = c.post_form(path, form).await;
    assert_eq!(p.status, 303, "{path} {form:?}: {}", p.body);
    p.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

/// The names of the tags of object `kind` `id`.
async fn tags(db: &Db, kind: &str, id: i64) -> BTreeSet<String> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            Query::select()
                .column(("crm_tags", "name"))
                .from("crm_taggings")
                .inner_join("crm_tags", Expr::col(("crm_tags", "id")).equals(("crm_taggings", "tag_id")))
                .and_where(Expr::col(("crm_taggings", "object_type")).eq(kind))
                .and_where(Expr::col(("crm_taggings", "object_id")).eq(id)),
        )
        .await
        .unwrap();
    rows.into_iter().map(|(n,)| n).collect()
}

/// The names of the industries of company (or lead) `id`.
async fn industries(db: &Db, link: &str, key: &str, id: i64) -> BTreeSet<String> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            Query::select()
                .column(("industries", "name"))
                .from(sea_query::Alias::new(link))
                .inner_join(
                    "industries",
                    Expr::col(("industries", "id")).equals((sea_query::Alias::new(link), "industry_id")),
                )
                .and_where(Expr::col((sea_query::Alias::new(link), sea_query::Alias::new(key))).eq(id)),
        )
        .await
        .unwrap();
    rows.into_iter().map(|(n,)| n).collect()
}

async fn industry(db: &Db, department: i64, name: &str) -> i64 {
    db.scalar::<i64>(
        Query::select()
            .column("id")
            .from("industries")
            .and_where(Expr::col("department_id").eq(department))
            .and_where(Expr::col("name").eq(name)),
    )
    .await
    .unwrap()
    .unwrap_or_else(|| panic!("industry {name}"))
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

const DEAL: [(&str, &str); 3] = [("name", "First order"), ("next_step", "Call"), ("next_step_date", "2099-01-01")];

/// §13.4: a new company gets the lead's industries and tags; the new contact person and the new
/// deal its tags.
#[tokio::test]
async fn a_converted_lead_gives_its_tags_and_industries_to_what_it_becomes() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (rail, air) = (industry(&app.db, sales, "railway").await, industry(&app.db, sales, "aviation").await);
    let (rail_s, air_s) = (rail.to_string(), air.to_string());
    let lead = made(
        &mark,
        "/leads",
        &[
            ("first_name", "Olaf"),
            ("last_name", "Berg"),
            ("email", "olaf@berg.example"),
            ("company_name", "Berg Maritime"),
            ("company_email", "info@berg.example"),
            ("tags_new", "VIP, Fair 2026"),
            ("industries[]", &rail_s),
            ("industries[]", &air_s),
        ],
    )
    .await;
    assert_eq!(tags(&app.db, "lead", lead).await, set(&["Fair 2026", "VIP"]));
    let done = mark.post_form(&format!("/leads/{lead}/convert"), &DEAL).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let deal: i64 = done.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap();
    let (company, contact): (i64, i64) = app
        .db
        .fetch_optional(
            Query::select().columns(["company_id", "contact_id"]).from("deals").and_where(Expr::col("id").eq(deal)),
        )
        .await
        .unwrap()
        .unwrap();
    let both = set(&["Fair 2026", "VIP"]);
    assert_eq!(tags(&app.db, "company", company).await, both);
    assert_eq!(tags(&app.db, "contact", contact).await, both);
    assert_eq!(tags(&app.db, "deal", deal).await, both);
    assert_eq!(industries(&app.db, "company_industries", "company_id", company).await, set(&["aviation", "railway"]));
    // The lead's links went with it.
    assert_eq!(app.count("crm_taggings", Condition::all().add(Expr::col("object_type").eq("lead"))).await, 0);
    assert_eq!(app.count("lead_industries", Condition::all()).await, 0);
    // The deal's history says it was made with them.
    let page = mark.get(&format!("/deals/{deal}")).await;
    assert!(page.body.contains("VIP"), "the deal page shows its tags");
}

/// An existing company, contact person and deal keep their own tags and industries and gain the
/// lead's (a union, with a history entry), never lose any.
#[tokio::test]
async fn converting_into_existing_rows_unites_tags_and_industries() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (rail, metal) = (industry(&app.db, sales, "railway").await, industry(&app.db, sales, "metallurgy").await);
    let (rail_s, metal_s) = (rail.to_string(), metal.to_string());
    let company = made(
        &mark,
        "/companies",
        &[("full_name", "Steelworks"), ("email", "a@steel.example"), ("tags_new", "Old"), ("industries[]", &metal_s)],
    )
    .await;
    let company_s = company.to_string();
    let contact = made(
        &mark,
        "/contacts",
        &[("first_name", "Ida"), ("email", "ida@steel.example"), ("company_id", &company_s), ("tags_new", "Known")],
    )
    .await;
    let contact_s = contact.to_string();
    let lead = made(
        &mark,
        "/leads",
        &[
            ("first_name", "Ida"),
            ("email", "ida@steel.example"),
            ("company_id", &company_s),
            ("contact_id", &contact_s),
            ("tags_new", "VIP, Known"),
            ("industries[]", &rail_s),
        ],
    )
    .await;
    let done = mark.post_form(&format!("/leads/{lead}/convert"), &DEAL).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let deal: i64 = done.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(tags(&app.db, "company", company).await, set(&["Known", "Old", "VIP"]));
    assert_eq!(tags(&app.db, "contact", contact).await, set(&["Known", "VIP"]));
    assert_eq!(tags(&app.db, "deal", deal).await, set(&["Known", "VIP"]));
    assert_eq!(industries(&app.db, "company_industries", "company_id", company).await, set(&["metallurgy", "railway"]));
    // "Known" is one tag of the department (same name, ignoring case), not a second one.
    assert_eq!(app.count("crm_tags", Condition::all().add(Expr::col("name").eq("Known"))).await, 1);
    let history = mark.get(&format!("/companies/{company}/history")).await;
    assert_eq!(history.status, 200);
    assert!(history.body.contains("VIP"), "the company's history shows the gained tag: {}", history.body);

    // A lead with its own deal: the deal keeps its tags and gains the lead's.
    let lead2 = made(
        &mark,
        "/leads",
        &[("first_name", "Per"), ("email", "per@steel.example"), ("company_id", &company_s), ("tags_new", "Hot")],
    )
    .await;
    let own_deal = made(
        &mark,
        &format!("/deals"),
        &[
            ("name", "Rails"),
            ("next_step", "Call"),
            ("next_step_date", "2099-01-01"),
            ("lead_id", &lead2.to_string()),
            ("tags_new", "Big"),
        ],
    )
    .await;
    let done = mark.post_form(&format!("/leads/{lead2}/convert"), &DEAL).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(tags(&app.db, "deal", own_deal).await, set(&["Big", "Hot"]));
    let (c, l): (Option<i64>, Option<i64>) = app
        .db
        .fetch_optional(
            Query::select().columns(["company_id", "lead_id"]).from("deals").and_where(Expr::col("id").eq(own_deal)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c, l), (Some(company), None), "the deal was re-pointed, not reverted by the tag write");
}

/// Migration 13's partial unique index: two companies with the same name and no country saved at
/// once give one row; the other save gets the duplicate check's 422 with the link.
#[tokio::test]
async fn country_less_companies_saved_at_once_under_one_name_give_one_row_and_the_link() {
    let app = app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let form = [("full_name", "Race Without Country"), ("email", "r@race.example")];
    let pages = futures_util::future::join_all((0..4).map(|_| mark.post_form("/companies", &form))).await;
    let statuses: Vec<u16> = pages.iter().map(|p| p.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    let id = app.db.scalar::<i64>(Query::select().column("id").from("companies")).await.unwrap().unwrap();
    for p in pages.iter().filter(|p| p.status != 303) {
        assert_eq!(p.status, 422, "{}", p.body);
        assert_eq!(p.attr(".form-errors p.exists a", "href"), Some(format!("/companies/{id}")));
    }
    assert_eq!(app.count("companies", Condition::all()).await, 1);
    // The index itself refuses a second row, whatever path writes it.
    let dept = crm::department(&app, "Sales").await;
    let mut tx = app.db.begin().await.unwrap();
    let second = tx.execute(&company_insert(dept, "Race Without Country", None, "tok-second")).await;
    assert!(second.as_ref().is_err_and(ferrocrm::db::is_unique_violation), "{second:?}");
    drop(tx);
}

fn company_insert(department: i64, name: &str, country: Option<i64>, token: &str) -> sea_query::InsertStatement {
    let now = ferrocrm::db::now();
    let values: Vec<SimpleExpr> = vec![
        name.into(),
        ferrocrm::text::match_key(name).into(),
        "x@example.com".into(),
        token.into(),
        department.into(),
        country.into(),
        now.into(),
        now.into(),
    ];
    Query::insert()
        .into_table("companies")
        .columns(["full_name", "name_key", "email", "token", "department_id", "country_id", "created_at", "updated_at"])
        .values_panic(values)
        .returning_col("id")
        .to_owned()
}

/// Companies that already share a name without a country (made before the check, or by the race)
/// do not stop the upgrade: the oldest keeps the name, the others are renamed "(duplicate ID<n>)",
/// with a history entry; companies with a country are untouched.
#[tokio::test]
async fn migration_13_renames_existing_country_less_duplicates_and_builds_the_index() {
    let dir = tempfile::tempdir_in(test_tmp_root()).unwrap();
    let url = match pg_admin_url() {
        Some(admin) => fresh_pg_database(&admin).await,
        None => format!("sqlite://{}", dir.path().join("t.db").display()),
    };
    let db = Db::connect(&url, 2).await.unwrap();
    ferrocrm::migrations::run_to(&db, 12).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let dept = tx
        .insert_id(
            Query::insert()
                .into_table("departments")
                .columns(["name", "created_at"])
                .values_panic(["Sales".into(), ferrocrm::db::now().into()])
                .returning_col("id"),
        )
        .await
        .unwrap();
    let country: i64 = tx.scalar(Query::select().expr(Expr::col("id").min()).from("countries")).await.unwrap().unwrap();
    let mut ids = Vec::new();
    for (i, (name, c)) in
        [("Acme", None), ("Acme", None), ("Acme", Some(country)), ("Acme", None), ("Solo", None)].iter().enumerate()
    {
        ids.push(tx.insert_id(&company_insert(dept, name, *c, &format!("t{i}"))).await.unwrap());
    }
    tx.commit().await.unwrap();

    let applied = ferrocrm::migrate(&db).await.unwrap();
    assert!(applied.contains(&13), "{applied:?}");
    let names: Vec<(i64, String, String)> = db
        .fetch_all(
            Query::select()
                .columns(["id", "full_name", "name_key"])
                .from("companies")
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    let want = [
        "Acme".to_string(),
        format!("Acme (duplicate ID{})", ids[1]),
        "Acme".to_string(),
        format!("Acme (duplicate ID{})", ids[3]),
        "Solo".to_string(),
    ];
    assert_eq!(names.iter().map(|n| n.1.clone()).collect::<Vec<_>>(), want);
    for (_, name, key) in &names {
        assert_eq!(key, &ferrocrm::text::match_key(name));
    }
    let entries = db
        .scalar::<i64>(
            Query::select()
                .expr(Expr::col("id").count())
                .from("history")
                .and_where(Expr::col("object_type").eq("company")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entries, 2, "one history entry per renamed company");
    // Now the index holds: a new country-less "Acme" is refused by the database.
    let mut tx = db.begin().await.unwrap();
    let again = tx.execute(&company_insert(dept, "Acme", None, "t9")).await;
    assert!(again.as_ref().is_err_and(ferrocrm::db::is_unique_violation), "{again:?}");
}
