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
        "/deals",
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

// ---------------------------------------------------------------------------------------------
// The dictionaries' administration pages.

async fn dict_id(db: &Db, table: &str, department: i64, name: &str) -> i64 {
    db.scalar::<i64>(
        Query::select()
            .column("id")
            .from(sea_query::Alias::new(table))
            .and_where(Expr::col("department_id").eq(department))
            .and_where(Expr::col("name").eq(name)),
    )
    .await
    .unwrap()
    .unwrap_or_else(|| panic!("{table} {name}"))
}

async fn stages(db: &Db, department: i64) -> Vec<(String, i32, bool)> {
    db.fetch_all(
        Query::select()
            .columns(["name", "index_number", "success_stage"])
            .from("deal_stages")
            .and_where(Expr::col("department_id").eq(department))
            .order_by("index_number", sea_query::Order::Asc),
    )
    .await
    .unwrap()
}

/// Deal stages (administrators): an order number that is taken moves the others down; the success
/// flag moves to the stage that takes it; the default stage cannot be unset; a stage deals use is
/// not deleted (the message counts them); an unused one is, after a confirmation, with history.
#[tokio::test]
async fn administrators_manage_deal_stages_with_their_roles_order_and_safe_delete() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let adam = app.login_as("Adam.Admin").await;
    let index = adam.get("/dictionaries").await;
    assert_eq!(index.status, 200);
    for slug in [
        "deal-stages",
        "closing-reasons",
        "client-types",
        "industries",
        "lead-sources",
        "product-categories",
        "tags",
        "cities",
    ] {
        assert!(index.exists(&format!("a[href='/dictionaries/{slug}']")), "{slug}");
    }
    let list = adam.get(&format!("/dictionaries/deal-stages?department={sales}")).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.count("#dictionary-list tbody tr"), 11);
    assert!(list.exists("#dictionary-add form input[name=csrf_token]"));

    let before = stages(&app.db, sales).await;
    let third = before[2].0.clone();
    let made = adam
        .post_form(
            "/dictionaries/deal-stages",
            &[
                ("department_id", &sales.to_string()),
                ("name", "Negotiation"),
                ("index_number", "3"),
                ("success_stage", "on"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let after = stages(&app.db, sales).await;
    assert_eq!(after.len(), 12);
    assert_eq!(after[2], ("Negotiation".to_string(), 3, true));
    assert_eq!(after[3].0, third, "the stage that had 3 moved to 4");
    assert_eq!(after.iter().filter(|s| s.2).count(), 1, "one success stage: {after:?}");

    // The same name, in other case: refused.
    let again = adam
        .post_form("/dictionaries/deal-stages", &[("department_id", &sales.to_string()), ("name", "NEGOTIATION")])
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(again.field_error("name").as_deref(), Some("Such a deal stage already exists."));

    // The default stage stays.
    let default = dict_id(&app.db, "deal_stages", sales, &before[0].0).await;
    let unset = adam.post_form(&format!("/dictionaries/deal-stages/{default}"), &[("name", &before[0].0)]).await;
    assert_eq!(unset.status, 422);
    assert!(unset.field_error("is_default").is_some(), "{}", unset.body);

    // In use: refused, counted.
    let mark = app.login_as("Mark.Manager.Sales").await;
    let negotiation = dict_id(&app.db, "deal_stages", sales, "Negotiation").await;
    made_deal(&mark, negotiation).await;
    let page = adam.get(&format!("/dictionaries/deal-stages/{negotiation}")).await;
    assert_eq!(page.text("#dictionary-usage"), "1 deals");
    assert!(!page.exists("#dictionary-delete form"), "no delete button for a stage in use");
    let refused = adam.post_form(&format!("/dictionaries/deal-stages/{negotiation}/delete"), &[]).await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("is in use (1 deals)"), "{}", refused.body);
    assert_eq!(stages(&app.db, sales).await.len(), 12);

    // Unused: the page asks first, then it goes, with a history entry.
    let unused = dict_id(&app.db, "deal_stages", sales, &third).await;
    let page = adam.get(&format!("/dictionaries/deal-stages/{unused}")).await;
    assert!(page.attr("#dictionary-delete form", "data-confirm").is_some_and(|c| c.contains(&third)));
    let gone = adam.post_form(&format!("/dictionaries/deal-stages/{unused}/delete"), &[]).await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert_eq!(stages(&app.db, sales).await.len(), 11);
    let history = app
        .count(
            "history",
            Condition::all().add(Expr::col("object_type").eq("deal_stages")).add(Expr::col("object_id").eq(unused)),
        )
        .await;
    assert_eq!(history, 1);

    // A manager may not manage stages; the menu does not promise it.
    assert_eq!(mark.get("/dictionaries/deal-stages").await.status, 403);
    let home = mark.get("/dictionaries").await;
    assert!(!home.exists("a[href='/dictionaries/deal-stages']"));
    assert!(home.exists("a[href='/dictionaries/closing-reasons']") && home.exists("a[href='/dictionaries/tags']"));
}

async fn made_deal(c: &TestClient, stage: i64) -> i64 {
    made(
        c,
        "/deals",
        &[("name", "Rails"), ("next_step", "Call"), ("next_step_date", "2099-01-01"), ("stage_id", &stage.to_string())],
    )
    .await
}

/// Tags (§2.2, §3): managers add and rename their department's, "Such a tag already exists."
/// ignoring case; only administrators delete; another department's are not theirs.
#[tokio::test]
async fn managers_keep_their_departments_tags_and_only_administrators_delete_them() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let s = sales.to_string();
    assert_eq!(mark.post_form("/dictionaries/tags", &[("department_id", &s), ("name", "VIP")]).await.status, 303);
    let twice = mark.post_form("/dictionaries/tags", &[("department_id", &s), ("name", " vip ")]).await;
    assert_eq!(twice.status, 422);
    assert_eq!(twice.field_error("name").as_deref(), Some("Such a tag already exists."));
    let vip = dict_id(&app.db, "crm_tags", sales, "VIP").await;
    let list = mark.get("/dictionaries/tags").await;
    assert_eq!(list.texts("#dictionary-list td.name"), vec!["VIP"]);
    assert!(!mark.get(&format!("/dictionaries/tags/{vip}")).await.exists("#dictionary-delete"));
    assert_eq!(mark.post_form(&format!("/dictionaries/tags/{vip}/delete"), &[]).await.status, 403);
    assert_eq!(mark.post_form(&format!("/dictionaries/tags/{vip}"), &[("name", "Key account")]).await.status, 303);

    // Another department's manager: not found, whether listing, opening or posting.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get(&format!("/dictionaries/tags?department={sales}")).await.status, 404);
    assert_eq!(eve.get(&format!("/dictionaries/tags/{vip}")).await.status, 404);
    let foreign = eve.post_form("/dictionaries/tags", &[("department_id", &s), ("name", "Mine")]).await;
    assert_eq!(foreign.status, 404);
    assert_eq!(app.count("crm_tags", Condition::all()).await, 1);
    // Operators have no tags (§3.1); co-workers no dictionaries and no menu entry.
    assert_eq!(app.login_as("Olga.Operator.Sales").await.get("/dictionaries/tags").await.status, 403);
    let carl = app.login_as("Carl.CoWorker").await;
    assert_eq!(carl.get("/dictionaries").await.status, 403);
    assert!(!carl.get("/").await.exists("a[href='/dictionaries']"));
    assert!(mark.get("/").await.exists("a[href='/dictionaries']"));

    // In use: even an administrator's delete is refused, with the count.
    let company =
        made(&mark, "/companies", &[("full_name", "Tagged"), ("email", "t@t.example"), ("tags[]", &vip.to_string())])
            .await;
    let adam = app.login_as("Adam.Admin").await;
    let refused = adam.post_form(&format!("/dictionaries/tags/{vip}/delete"), &[]).await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("1 tagged objects"), "{}", refused.body);
    assert_eq!(tags(&app.db, "company", company).await, set(&["Key account"]));
}

/// Cities (§2.2, §13.7): a name or alternative name already a city's in that country is refused
/// with the original's message; the list's Country filter starts at the department's default
/// country and searches alternative names.
#[tokio::test]
async fn cities_are_unique_by_name_and_alternative_name_per_country_and_filtered_by_country() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let (us, de): (i64, i64) = {
        let rows: Vec<(i64,)> = app
            .db
            .fetch_all(Query::select().column("id").from("countries").order_by("id", sea_query::Order::Asc).limit(2))
            .await
            .unwrap();
        (rows[0].0, rows[1].0)
    };
    app.db
        .execute(
            Query::update().table("departments").value("default_country_id", us).and_where(Expr::col("id").eq(sales)),
        )
        .await
        .unwrap();
    let olga = app.login_as("Olga.Operator.Sales").await;
    let (us_s, de_s) = (us.to_string(), de.to_string());
    let springfield = made_city(&app, &olga, "Springfield", "Springfeld, Spr", &us_s).await;
    let clash = olga
        .post_form(
            "/dictionaries/cities",
            &[("name", "Shelbyville"), ("alternative_names", "springfeld"), ("country_id", &us_s)],
        )
        .await;
    assert_eq!(clash.status, 422);
    assert_eq!(
        clash.field_error("alternative_names").as_deref(),
        Some(
            format!("\"springfeld\" - has already been assigned to the city \"Springfield\" ID:{springfield}").as_str()
        )
    );
    let named = olga.post_form("/dictionaries/cities", &[("name", "SPRINGFIELD"), ("country_id", &us_s)]).await;
    assert_eq!(named.status, 422);
    assert!(named.field_error("name").is_some());
    made_city(&app, &olga, "Springfield", "", &de_s).await; // another country: fine
    made_city(&app, &olga, "Berlin", "", &de_s).await;

    // Default: the department's country.
    let list = olga.get("/dictionaries/cities").await;
    assert_eq!(list.texts("#dictionary-list td.name"), vec!["Springfield"]);
    assert_eq!(list.attr("#dictionary-add select[name=country_id] option[selected]", "value"), Some(us_s.clone()));
    let all = olga.get("/dictionaries/cities?country=all").await;
    assert_eq!(all.count("#dictionary-list tbody tr"), 3);
    let searched = olga.get("/dictionaries/cities?country=all&q=SPRINGFELD").await;
    assert_eq!(searched.texts("#dictionary-list td.name"), vec!["Springfield"]);
    let none = olga.get("/dictionaries/cities?country=all&q=%25").await;
    assert_eq!(none.count("#dictionary-list tbody tr"), 0, "a % is a character, not a wildcard");
    assert!(none.exists(".empty-state"));

    // Operators delete an unused city (§3.1); a used one is refused.
    let mark = app.login_as("Mark.Manager.Sales").await;
    made(
        &mark,
        "/companies",
        &[
            ("full_name", "In Berlin"),
            ("email", "b@b.example"),
            ("country_id", &de_s),
            ("city_id", &dict_city(&app, "Berlin").await.to_string()),
        ],
    )
    .await;
    let berlin = dict_city(&app, "Berlin").await;
    let refused = olga.post_form(&format!("/dictionaries/cities/{berlin}/delete"), &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("1 companies"));
    assert_eq!(olga.post_form(&format!("/dictionaries/cities/{springfield}/delete"), &[]).await.status, 303);
    assert_eq!(app.count("cities", Condition::all()).await, 2);
}

async fn made_city(app: &TestApp, c: &TestClient, name: &str, alternatives: &str, country: &str) -> i64 {
    let p = c
        .post_form(
            "/dictionaries/cities",
            &[("name", name), ("alternative_names", alternatives), ("country_id", country)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    app.db
        .scalar::<i64>(
            Query::select()
                .column("id")
                .from("cities")
                .and_where(Expr::col("name").eq(name))
                .and_where(Expr::col("country_id").eq(country.parse::<i64>().unwrap())),
        )
        .await
        .unwrap()
        .unwrap()
}

async fn dict_city(app: &TestApp, name: &str) -> i64 {
    app.db
        .scalar::<i64>(Query::select().column("id").from("cities").and_where(Expr::col("name").eq(name)))
        .await
        .unwrap()
        .unwrap()
}

/// Lead sources show their web-form token; a new one gets its own; closing reasons are the sales
/// staff's, and the success reason moves. Screenshots of the pages in Chromium.
#[tokio::test]
async fn lead_sources_show_their_token_and_the_pages_render_in_the_browser() {
    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;

    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let adam = app.login_as("Adam.Admin").await;
    let s = sales.to_string();
    let p = adam
        .post_form(
            "/dictionaries/lead-sources",
            &[("department_id", &s), ("name", "Trade fair"), ("email", "fair@example.com")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let fair = dict_id(&app.db, "lead_sources", sales, "Trade fair").await;
    let token: String = app
        .db
        .scalar(Query::select().column("token").from("lead_sources").and_where(Expr::col("id").eq(fair)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.len(), 36);
    let page = adam.get(&format!("/dictionaries/lead-sources/{fair}")).await;
    assert_eq!(page.text("#lead-source-token"), token);
    let list = adam.get(&format!("/dictionaries/lead-sources?department={s}")).await;
    assert!(list.body.contains(&token));
    let bad =
        adam.post_form("/dictionaries/lead-sources", &[("department_id", &s), ("name", "X"), ("email", "nope")]).await;
    assert_eq!(bad.status, 422);

    let mark = app.login_as("Mark.Manager.Sales").await;
    let p = mark
        .post_form(
            "/dictionaries/closing-reasons",
            &[("department_id", &s), ("name", "Won on price"), ("success_reason", "on")],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let successes: Vec<(String,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("name")
                .from("closing_reasons")
                .and_where(Expr::col("department_id").eq(sales))
                .and_where(Expr::col("success_reason").eq(true)),
        )
        .await
        .unwrap();
    assert_eq!(successes, vec![("Won on price".to_string(),)]);

    let b = Browser::start().await;
    b.login(&app.base, "Adam.Admin", PASSWORD).await;
    for (path, shot) in [
        ("/dictionaries".to_string(), "dictionaries-index.png"),
        (format!("/dictionaries/deal-stages?department={s}"), "dictionaries-deal-stages.png"),
        (format!("/dictionaries/lead-sources/{fair}"), "dictionaries-lead-source.png"),
        ("/dictionaries/cities?country=all".to_string(), "dictionaries-cities.png"),
    ] {
        b.goto(&format!("{}{path}", app.base)).await;
        b.wait_text("main h1", std::time::Duration::from_secs(5), |t| !t.is_empty()).await;
        b.shot(shot).await;
    }
    // The menu leads there.
    b.goto(&app.base).await;
    b.click("a.nav-link[href='/dictionaries']").await;
    b.wait_text("main h1", std::time::Duration::from_secs(5), |t| t == "Dictionaries").await;
    b.close().await;
}

/// Transaction-quality signals (§2.10, §3.1: managers acdv) are a dictionary like the others: a
/// weight from −100 to 100, managers of the department manage them, operators and chiefs do not.
#[tokio::test]
async fn managers_keep_their_departments_quality_signals() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let s = sales.to_string();
    let mark = app.login_as("Mark.Manager.Sales").await;
    let list = mark.get(&format!("/dictionaries/quality-signals?department={sales}")).await;
    assert_eq!(list.status, 200);
    assert!(list.texts("#dictionary-list td.name").contains(&"Early delivery".to_string()), "{}", list.body);

    for bad in ["200", "-101", "1.5", "lots"] {
        let r = mark
            .post_form(
                "/dictionaries/quality-signals",
                &[("department_id", &s), ("name", "Fast answer"), ("weight", bad)],
            )
            .await;
        assert_eq!(r.status, 422, "{bad}");
        assert_eq!(r.field_error("weight").as_deref(), Some("Enter a whole number from -100 to 100."));
    }
    let made = mark
        .post_form("/dictionaries/quality-signals", &[("department_id", &s), ("name", "Fast answer"), ("weight", "+3")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let id = dict_id(&app.db, "quality_signals", sales, "Fast answer").await;
    let weight = || {
        let db = app.db.clone();
        async move {
            db.scalar::<i64>(
                Query::select()
                    .expr(Expr::col("weight").cast_as(sea_query::Alias::new("BIGINT")))
                    .from("quality_signals")
                    .and_where(Expr::col("id").eq(id)),
            )
            .await
            .unwrap()
            .unwrap()
        }
    };
    assert_eq!(weight().await, 3);
    let changed = mark
        .post_form(&format!("/dictionaries/quality-signals/{id}"), &[("name", "Fast answer"), ("weight", "−7")])
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(weight().await, -7);
    let page = mark.get(&format!("/dictionaries/quality-signals/{id}")).await;
    assert!(page.body.contains("Weight (%)"), "{}", page.body);

    // Operators and chiefs: no; another department's manager: not found.
    assert_eq!(app.login_as("Olga.Operator.Sales").await.get("/dictionaries/quality-signals").await.status, 403);
    assert_eq!(app.login_as("Garry.Chief").await.get("/dictionaries/quality-signals").await.status, 403);
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get(&format!("/dictionaries/quality-signals/{id}")).await.status, 404);
    assert_eq!(eve.post_form(&format!("/dictionaries/quality-signals/{id}/delete"), &[]).await.status, 404);

    // An unused signal is deleted by its department's manager.
    assert_eq!(mark.post_form(&format!("/dictionaries/quality-signals/{id}/delete"), &[]).await.status, 303);
    assert_eq!(app.count("quality_signals", Condition::all().add(Expr::col("id").eq(id))).await, 0);
}
