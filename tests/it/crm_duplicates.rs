//! Duplicates (§11.1): the check that refuses a second company, contact person or lead for the same
//! counterparty, and "Correctly delete duplicate", on both backends.

use std::collections::BTreeSet;

use ferrocrm::access::ItemKind;
use ferrocrm::crm::duplicates;
use ferrocrm::db::Db;
use sea_query::{Alias, Condition, Expr, ExprTrait, Query, SimpleExpr};

use crate::helpers::app::Options;
use crate::helpers::client::TestClient;
use crate::helpers::html::Page;
use crate::helpers::snapshot::snapshot;
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

/// The form-level "already exists" message, and the link in it if any.
fn exists(p: &Page) -> (String, Option<String>) {
    (p.text(".form-errors p.exists"), p.attr(".form-errors p.exists a", "href"))
}

async fn insert(app: &TestApp, table: &str, values: &[(&str, SimpleExpr)]) -> i64 {
    let mut q = Query::insert();
    q.into_table(Alias::new(table))
        .columns(values.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(values.iter().map(|(_, v)| v.clone()))
        .returning_col(Alias::new("id"));
    let mut tx = app.db.begin().await.unwrap();
    let id: i64 = tx.scalar(&q).await.unwrap().expect("id");
    tx.commit().await.unwrap();
    id
}

async fn link(app: &TestApp, table: &str, values: &[(&str, SimpleExpr)]) {
    let mut q = Query::insert();
    q.into_table(Alias::new(table))
        .columns(values.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(values.iter().map(|(_, v)| v.clone()));
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(&q).await.unwrap();
    tx.commit().await.unwrap();
}

async fn ints(db: &Db, q: &sea_query::SelectStatement) -> BTreeSet<i64> {
    let rows: Vec<(i64,)> = db.fetch_all(q).await.unwrap();
    rows.into_iter().map(|(i,)| i).collect()
}

async fn first_country(app: &TestApp, skip: usize) -> i64 {
    let rows: Vec<(i64,)> = app
        .db
        .fetch_all(Query::select().column("id").from("countries").order_by("id", sea_query::Order::Asc))
        .await
        .unwrap();
    rows[skip].0
}

#[tokio::test]
async fn a_second_row_for_the_same_counterparty_is_refused_with_a_link_to_the_first() {
    let app = app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (us, de) = (first_country(&app, 0).await, first_country(&app, 1).await);
    let (us_s, de_s) = (us.to_string(), de.to_string());

    // Companies: the same name and country (no country counts as one value).
    let acme = made(&mark, "/companies", &[("full_name", "Acme"), ("email", "a@acme.example")]).await;
    let acme_us =
        made(&mark, "/companies", &[("full_name", "Acme"), ("email", "b@acme.example"), ("country_id", &us_s)]).await;
    for (country, existing) in [("", acme), (us_s.as_str(), acme_us)] {
        let again = mark
            .post_form("/companies", &[("full_name", "Acme"), ("email", "c@acme.example"), ("country_id", country)])
            .await;
        assert_eq!(again.status, 422, "{}", again.body);
        let (text, href) = exists(&again);
        assert_eq!(text, format!("Such an object already exists - ID{existing}"));
        assert_eq!(href, Some(format!("/companies/{existing}")));
        assert_eq!(
            again.field_error("full_name"),
            Some(format!("The same name and country as the existing company ID{existing}.")),
            "the name is marked"
        );
        assert_eq!(
            again.attr("input[name=email]", "value").as_deref(),
            Some("c@acme.example"),
            "what was typed comes back"
        );
    }
    assert_eq!(app.count("companies", Condition::all()).await, 2, "nothing written");
    // Another country is another company; an edit into an existing name and country is refused too.
    let acme_de =
        made(&mark, "/companies", &[("full_name", "Acme"), ("email", "d@acme.example"), ("country_id", &de_s)]).await;
    let edit = mark
        .post_form(
            &format!("/companies/{acme_de}"),
            &[("full_name", "Acme"), ("email", "d@acme.example"), ("country_id", &us_s)],
        )
        .await;
    assert_eq!(edit.status, 422);
    assert_eq!(exists(&edit).1, Some(format!("/companies/{acme_us}")));
    assert_eq!(app.field("companies", acme_de, "country_id").await, Some(de_s.clone()), "the edit changed nothing");
    // Saving a row without touching its name and country is not a duplicate of itself.
    let same = mark
        .post_form(
            &format!("/companies/{acme_de}"),
            &[("full_name", "Acme"), ("email", "e@acme.example"), ("country_id", &de_s)],
        )
        .await;
    assert_eq!(same.status, 303, "{}", same.body);

    // Contact persons: the same first and last name (any case and spacing) and one email address or
    // one phone number in common.
    let acme_s = acme.to_string();
    let john = made(
        &mark,
        "/contacts",
        &[
            ("first_name", "John"),
            ("last_name", "Smith"),
            ("email", "john@x.example, js@y.example"),
            ("phone", "+1 (555) 010-0"),
            ("company_id", &acme_s),
        ],
    )
    .await;
    let cases: [(&[(&str, &str)], &str); 2] = [
        (&[("email", "other@z.example, JS@Y.example")], "email"),
        (&[("email", "new@z.example"), ("mobile", "1 555 0100")], "mobile"),
    ];
    for (extra, field) in cases {
        let mut form = vec![("first_name", "john "), ("last_name", "  SMITH"), ("company_id", acme_s.as_str())];
        form.extend_from_slice(extra);
        let dup = mark.post_form("/contacts", &form).await;
        assert_eq!(dup.status, 422, "{form:?}: {}", dup.body);
        assert_eq!(
            exists(&dup),
            (format!("Such an object already exists - ID{john}"), Some(format!("/contacts/{john}")))
        );
        assert!(dup.field_error(field).is_some(), "{field} is marked");
    }
    // A namesake with other addresses and numbers is another person.
    let namesake = made(
        &mark,
        "/contacts",
        &[("first_name", "John"), ("last_name", "Smith"), ("email", "john@other.example"), ("company_id", &acme_s)],
    )
    .await;
    let edit = mark
        .post_form(
            &format!("/contacts/{namesake}"),
            &[("first_name", "John"), ("last_name", "Smith"), ("email", "john@x.example"), ("company_id", &acme_s)],
        )
        .await;
    assert_eq!(edit.status, 422);
    assert_eq!(exists(&edit).1, Some(format!("/contacts/{john}")));
    assert_eq!(app.field("contacts", namesake, "email").await.as_deref(), Some("john@other.example"));

    // Leads likewise, in the create and the edit path.
    let lead =
        made(&mark, "/leads", &[("first_name", "Ann"), ("last_name", "Lee"), ("email", "ann@lee.example")]).await;
    let dup =
        mark.post_form("/leads", &[("first_name", "Ann"), ("last_name", "Lee"), ("email", "ANN@lee.example")]).await;
    assert_eq!(dup.status, 422);
    assert_eq!(exists(&dup).1, Some(format!("/leads/{lead}")));
    let other = made(
        &mark,
        "/leads",
        &[("first_name", "Ann"), ("last_name", "Lee"), ("email", "ann@else.example"), ("phone", "777 1234")],
    )
    .await;
    let edit = mark
        .post_form(
            &format!("/leads/{other}"),
            &[("first_name", "Ann"), ("last_name", "Lee"), ("email", "ann@lee.example")],
        )
        .await;
    assert_eq!(edit.status, 422);
    assert_eq!(exists(&edit).1, Some(format!("/leads/{lead}")));
    assert_eq!(app.count("leads", Condition::all()).await, 2);
}

#[tokio::test]
async fn a_duplicate_of_a_row_the_viewer_may_not_see_is_refused_without_naming_it() {
    let app = app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let eve = app.login_as("Eve.Manager.Export").await;
    let globex = made(&mark, "/companies", &[("full_name", "Globex"), ("email", "info@globex.example")]).await;
    let ann = made(
        &mark,
        "/contacts",
        &[
            ("first_name", "Ann"),
            ("last_name", "Lee"),
            ("email", "ann@globex.example"),
            ("company_id", &globex.to_string()),
        ],
    )
    .await;
    let lead = made(&mark, "/leads", &[("first_name", "Bo"), ("last_name", "Ray"), ("email", "bo@ray.example")]).await;
    assert_eq!(eve.get(&format!("/companies/{globex}")).await.status, 404, "Eve (Export) may not see Sales' rows");

    let c = eve.post_form("/companies", &[("full_name", "Globex"), ("email", "x@globex.example")]).await;
    let initech = made(&eve, "/companies", &[("full_name", "Initech"), ("email", "x@initech.example")]).await;
    let p = eve
        .post_form(
            "/contacts",
            &[
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("email", "ann@globex.example"),
                ("company_id", &initech.to_string()),
            ],
        )
        .await;
    let l = eve.post_form("/leads", &[("first_name", "Bo"), ("last_name", "Ray"), ("email", "bo@ray.example")]).await;
    for (page, hidden) in
        [(c, format!("/companies/{globex}")), (p, format!("/contacts/{ann}")), (l, format!("/leads/{lead}"))]
    {
        assert_eq!(page.status, 422, "{}", page.body);
        let (text, href) = exists(&page);
        assert_eq!(text, "Such an object already exists - in records you may not view");
        assert_eq!(href, None, "no link to a row Eve may not see");
        assert!(!page.body.contains(&hidden), "nothing names the hidden row");
        let id = hidden.rsplit('/').next().unwrap();
        assert!(!page.body.contains(&format!("ID{id}")), "not even its id");
    }
    assert_eq!(app.count("companies", Condition::all()).await, 2);
    assert_eq!(app.count("contacts", Condition::all()).await, 1);
    assert_eq!(app.count("leads", Condition::all()).await, 1);
}

/// Saves racing past the check meet the unique index: the loser gets the same form, not a 500.
#[tokio::test]
async fn companies_saved_at_once_under_one_name_give_one_row_and_form_messages() {
    let app = app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    // With a country: the unique index is over the name and the country, and NULLs differ there.
    let country = first_country(&app, 0).await.to_string();
    let form = [("full_name", "Race Ltd"), ("email", "r@race.example"), ("country_id", country.as_str())];
    let pages = futures_util::future::join_all((0..4).map(|_| mark.post_form("/companies", &form))).await;
    let statuses: Vec<u16> = pages.iter().map(|p| p.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    let id = app.db.scalar::<i64>(Query::select().column("id").from("companies")).await.unwrap().unwrap();
    for p in pages.iter().filter(|p| p.status != 303) {
        assert_eq!(p.status, 422, "{}", p.body);
        assert_eq!(exists(p).1, Some(format!("/companies/{id}")));
    }
    assert_eq!(app.count("companies", Condition::all()).await, 1);
}

/// Everything that points at a company, contact person or lead is re-pointed by the merge: the
/// schema's foreign keys, walked, must each be listed in `duplicates::relations` or `links`, and
/// every polymorphic (`object_type`, `object_id`) table must be moved, united or deliberately kept.
#[tokio::test]
async fn every_foreign_key_to_a_merged_kind_is_re_pointed_by_the_merge() {
    let app = app().await;
    let fks: Vec<(String, String, String)> = match &app.db {
        Db::Sqlite(p) => sqlx::query_as(
            "SELECT m.name, f.\"from\", f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        Db::Postgres(p) => sqlx::query_as(
            "SELECT c.conrelid::regclass::text, a.attname::text, c.confrelid::regclass::text FROM pg_constraint c \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) WHERE c.contype = 'f'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    };
    let mut seen = 0;
    for kind in [ItemKind::Company, ItemKind::Contact, ItemKind::Lead] {
        let target = kind.info().table;
        let listed: BTreeSet<(String, String)> = duplicates::relations(kind)
            .iter()
            .map(|r| (r.table.to_string(), r.column.to_string()))
            .chain(duplicates::links(kind).iter().map(|l| (l.0.to_string(), l.1.to_string())))
            .collect();
        let pointing: BTreeSet<(String, String)> = fks
            .iter()
            .filter(|(t, _, to)| to == target && !ferrocrm::requests::keys::TABLES.contains(&t.as_str()))
            .map(|(t, c, _)| (t.clone(), c.clone()))
            .collect();
        assert_eq!(pointing, listed, "the foreign keys to {target} and the merge's list");
        seen += pointing.len();
    }
    assert!(seen >= 12, "the walk found the schema's foreign keys ({seen})");

    let polymorphic: BTreeSet<String> = match &app.db {
        Db::Sqlite(p) => sqlx::query_as::<_, (String,)>(
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'object_type'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        Db::Postgres(p) => sqlx::query_as::<_, (String,)>(
            "SELECT table_name::text FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'object_type'",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    }
    .into_iter()
    .map(|(t,)| t)
    .collect();
    // Moved, united (tags), or kept with each object on purpose (history; notifications name what
    // they were about; participants and the task/project tags of `item_tags` hold no CRM rows).
    let handled: BTreeSet<String> = duplicates::PER_OBJECT
        .iter()
        .map(|(t, _)| t.to_string())
        .chain(["crm_taggings", "history", "item_tags", "notifications", "participants"].map(String::from))
        .collect();
    assert!(polymorphic.contains("attachments"), "{polymorphic:?}");
    assert!(polymorphic.is_subset(&handled), "a per-object table the merge does not know: {polymorphic:?}");
}

/// A company merge as Mark does it through the pages, and what each table holds afterwards.
#[tokio::test]
async fn merging_a_duplicate_company_moves_everything_fills_empty_fields_and_deletes_it() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let country = first_country(&app, 2).await.to_string();
    let orig =
        made(&mark, "/companies", &[("full_name", "Acme"), ("email", "a@acme.example"), ("description", "Keep me")])
            .await;
    let dup = made(
        &mark,
        "/companies",
        &[
            ("full_name", "ACME Inc."),
            ("email", "b@acme.example"),
            ("phone", "+1 555 0100"),
            ("website", "acme.example"),
            ("description", "From the duplicate"),
            ("country_id", &country),
        ],
    )
    .await;
    let dup_s = dup.to_string();
    // What points at the duplicate: a contact person, a lead, a deal, a request, a file, a chat
    // message, a reminder, tags and industries.
    let contact = made(
        &mark,
        "/contacts",
        &[("first_name", "Cy"), ("last_name", "Dup"), ("email", "cy@acme.example"), ("company_id", &dup_s)],
    )
    .await;
    let lead = made(
        &mark,
        "/leads",
        &[("first_name", "Le"), ("last_name", "Ad"), ("email", "le@acme.example"), ("company_id", &dup_s)],
    )
    .await;
    let now = ferrocrm::db::now();
    let today = chrono::Utc::now().date_naive();
    let stage: i64 = app
        .db
        .scalar(
            Query::select().column("id").from("deal_stages").and_where(Expr::col("department_id").eq(sales)).limit(1),
        )
        .await
        .unwrap()
        .unwrap();
    let scoped = |v: Vec<(&'static str, SimpleExpr)>| {
        let mut v = v;
        v.extend([
            ("department_id", sales.into()),
            ("owner_id", mark_id.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ]);
        v
    };
    let deal = insert(
        &app,
        "deals",
        &scoped(vec![
            ("name", "Big deal".into()),
            ("next_step", "Call".into()),
            ("next_step_date", today.into()),
            ("stage_id", stage.into()),
            ("ticket", "T000001".into()),
            ("company_id", dup.into()),
        ]),
    )
    .await;
    let request = insert(
        &app,
        "requests",
        &scoped(vec![
            ("request_for", "Bolts".into()),
            ("first_name", "Re".into()),
            ("receipt_date", today.into()),
            ("ticket", "T000002".into()),
            ("company_id", dup.into()),
        ]),
    )
    .await;
    let file =
        insert(&app, "files", &[("sha256", "ab".repeat(32).into()), ("size", 3i64.into()), ("created_at", now.into())])
            .await;
    let attachment = insert(
        &app,
        "attachments",
        &[
            ("file_id", file.into()),
            ("object_type", "company".into()),
            ("object_id", dup.into()),
            ("name", "contract.pdf".into()),
            ("content_type", "application/pdf".into()),
            ("created_at", now.into()),
        ],
    )
    .await;
    mark.post_form(&format!("/companies/{dup}/chat"), &[("body", "About the duplicate")]).await;
    let reminder = insert(
        &app,
        "reminders",
        &[
            ("owner_id", mark_id.into()),
            ("object_type", "company".into()),
            ("object_id", dup.into()),
            ("remind_at", now.into()),
            ("text", "Call them".into()),
            ("created_at", now.into()),
        ],
    )
    .await;
    let tag = |name: &str| scoped(vec![("name", name.to_string().into()), ("name_key", name.to_lowercase().into())]);
    let (t1, t2) = (insert(&app, "crm_tags", &tag("VIP")).await, insert(&app, "crm_tags", &tag("Export")).await);
    for (object, t) in [(orig, t1), (dup, t1), (dup, t2)] {
        link(
            &app,
            "crm_taggings",
            &[("object_type", "company".into()), ("object_id", object.into()), ("tag_id", t.into())],
        )
        .await;
    }
    let industries: Vec<(i64,)> = app
        .db
        .fetch_all(
            Query::select().column("id").from("industries").and_where(Expr::col("department_id").eq(sales)).limit(2),
        )
        .await
        .unwrap();
    let (i1, i2) = (industries[0].0, industries[1].0);
    for (object, i) in [(orig, i1), (dup, i1), (dup, i2)] {
        link(&app, "company_industries", &[("company_id", object.into()), ("industry_id", i.into())]).await;
    }
    let chat_before = app.count("chat_messages", Condition::all().add(Expr::col("object_id").eq(dup))).await;
    assert_eq!(chat_before, 1, "the chat message was posted");

    // The button, the choice, the confirmation with what moves.
    let page = mark.get(&format!("/companies/{dup}")).await;
    assert!(page.exists(&format!("a[href='/companies/{dup}/duplicate']")), "the button is on the page");
    let choose = mark.get(&format!("/companies/{dup}/duplicate")).await;
    assert_eq!(choose.status, 200);
    assert!(choose.body.contains("Select the original to which the linked objects will be reconnected."));
    assert!(choose.exists("input[name=original_id]"));
    let confirm = mark.get(&format!("/companies/{dup}/duplicate?original={orig}")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let moves = confirm.texts(".merge-moves li");
    for want in [
        "1 deals",
        "1 contact persons",
        "1 leads",
        "1 requests",
        "1 files",
        "1 chat messages",
        "1 reminders",
        "1 tags added",
        "1 industries added",
    ] {
        assert!(moves.iter().any(|m| m == want), "{want} in {moves:?}");
    }
    let fills = confirm.texts(".merge-fills dt");
    assert_eq!(fills, ["Website", "Phone", "Country"], "only the original's empty fields");
    assert_eq!(app.field("companies", dup, "id").await, Some(dup.to_string()), "looking changed nothing");

    let done = mark.post_form(&format!("/companies/{dup}/duplicate"), &[("original", &orig.to_string())]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location").as_deref(), Some("/companies?merged=1"));
    let list = mark.get("/companies?merged=1").await;
    assert_eq!(list.text(".flash"), "The duplicate object has been correctly deleted.");

    // The duplicate is gone; everything points at the original.
    assert_eq!(app.field("companies", dup, "id").await, None);
    assert_eq!(app.field("deals", deal, "company_id").await, Some(orig.to_string()));
    assert_eq!(app.field("contacts", contact, "company_id").await, Some(orig.to_string()));
    assert_eq!(app.field("leads", lead, "company_id").await, Some(orig.to_string()));
    assert_eq!(app.field("requests", request, "company_id").await, Some(orig.to_string()));
    assert_eq!(app.field("attachments", attachment, "object_id").await, Some(orig.to_string()));
    assert_eq!(app.field("reminders", reminder, "object_id").await, Some(orig.to_string()));
    assert_eq!(app.count("chat_messages", Condition::all().add(Expr::col("object_id").eq(orig))).await, 1);
    let on = |t: &'static str, c: &'static str, other: &'static str, id: i64, typed: bool| {
        let mut q = Query::select();
        q.column(Alias::new(other)).from(Alias::new(t)).and_where(Expr::col(Alias::new(c)).eq(id));
        if typed {
            q.and_where(Expr::col("object_type").eq("company"));
        }
        q
    };
    assert_eq!(ints(&app.db, &on("crm_taggings", "object_id", "tag_id", orig, true)).await, BTreeSet::from([t1, t2]));
    assert!(ints(&app.db, &on("crm_taggings", "object_id", "tag_id", dup, true)).await.is_empty());
    assert_eq!(
        ints(&app.db, &on("company_industries", "company_id", "industry_id", orig, false)).await,
        BTreeSet::from([i1, i2])
    );
    // Empty fields filled, filled ones kept.
    assert_eq!(app.field("companies", orig, "full_name").await.as_deref(), Some("Acme"));
    assert_eq!(app.field("companies", orig, "description").await.as_deref(), Some("Keep me"));
    assert_eq!(app.field("companies", orig, "email").await.as_deref(), Some("a@acme.example"));
    assert_eq!(app.field("companies", orig, "phone").await.as_deref(), Some("+1 555 0100"));
    assert_eq!(app.field("companies", orig, "website").await.as_deref(), Some("https://acme.example"));
    assert_eq!(app.field("companies", orig, "country_id").await, Some(country));

    // History on both, and on what moved.
    let history = |kind: &'static str, id: i64| {
        Query::select()
            .column("summary")
            .from("history")
            .and_where(Expr::col("object_type").eq(kind))
            .and_where(Expr::col("object_id").eq(id))
            .order_by("id", sea_query::Order::Asc)
            .to_owned()
    };
    let texts = |rows: Vec<(String,)>| rows.into_iter().map(|(s,)| s).collect::<Vec<_>>();
    let orig_h = texts(app.db.fetch_all(&history("company", orig)).await.unwrap());
    assert!(
        orig_h.iter().any(|s| s == &format!("Merged the duplicate company “ACME Inc.” (ID{dup}) into this one")),
        "{orig_h:?}"
    );
    assert_eq!(orig_h.last().map(String::as_str), Some("Changed"), "the filled fields: {orig_h:?}");
    let dup_h = texts(app.db.fetch_all(&history("company", dup)).await.unwrap());
    assert!(
        dup_h.iter().any(|s| s == &format!("Merged into the company “Acme” (ID{orig}) as its duplicate")),
        "{dup_h:?}"
    );
    assert_eq!(dup_h.last().map(String::as_str), Some("Deleted the company ACME Inc."));
    let deal_h = texts(app.db.fetch_all(&history("deal", deal)).await.unwrap());
    assert!(deal_h.iter().any(|s| s.contains("re-pointed")), "{deal_h:?}");
    let changes: Option<String> = app
        .db
        .scalar(
            Query::select()
                .column("changes")
                .from("history")
                .and_where(Expr::col("object_type").eq("company"))
                .and_where(Expr::col("object_id").eq(orig))
                .and_where(Expr::col("summary").eq("Changed")),
        )
        .await
        .unwrap();
    let changes = changes.unwrap();
    assert!(changes.contains("Phone") && changes.contains("+1 555 0100"), "{changes}");
    // The original's page shows the moved file.
    assert!(mark.get(&format!("/companies/{orig}")).await.body.contains("contract.pdf"));
}

/// Contact persons and leads: every relation of each re-pointed.
#[tokio::test]
async fn merging_contact_persons_and_leads_re_points_their_deals_requests_and_leads() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let company = made(&mark, "/companies", &[("full_name", "Hooli"), ("email", "h@hooli.example")]).await.to_string();
    let person = |first: &'static str, email: &'static str| {
        vec![("first_name", first), ("last_name", "Person"), ("email", email)]
    };
    let mut form = person("Orig", "o@hooli.example");
    form.push(("company_id", &company));
    let orig = made(&mark, "/contacts", &form).await;
    let mut form = person("Dupe", "d@hooli.example");
    form.extend([("company_id", company.as_str()), ("mobile", "555 0199"), ("title", "CTO")]);
    let dup = made(&mark, "/contacts", &form).await;
    let lead_orig = made(&mark, "/leads", &person("Lorig", "lo@hooli.example")).await;
    let lead_dup = made(
        &mark,
        "/leads",
        &[("first_name", "Ldup"), ("email", "ld@hooli.example"), ("contact_id", &dup.to_string())],
    )
    .await;

    let now = ferrocrm::db::now();
    let today = chrono::Utc::now().date_naive();
    let stage: i64 = app
        .db
        .scalar(
            Query::select().column("id").from("deal_stages").and_where(Expr::col("department_id").eq(sales)).limit(1),
        )
        .await
        .unwrap()
        .unwrap();
    let scoped = |v: Vec<(&'static str, SimpleExpr)>| {
        let mut v = v;
        v.extend([
            ("department_id", sales.into()),
            ("owner_id", mark_id.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ]);
        v
    };
    let deal = |n: &'static str, extra: Vec<(&'static str, SimpleExpr)>| {
        let mut v = vec![
            ("name", n.into()),
            ("next_step", "Call".into()),
            ("next_step_date", today.into()),
            ("stage_id", stage.into()),
            ("ticket", format!("T{n}").into()),
        ];
        v.extend(extra);
        scoped(v)
    };
    let d1 = insert(&app, "deals", &deal("1", vec![("contact_id", dup.into()), ("lead_id", lead_dup.into())])).await;
    let d2 = insert(&app, "deals", &deal("2", vec![("partner_contact_id", dup.into())])).await;
    let request = |extra: (&'static str, SimpleExpr)| {
        scoped(vec![
            ("request_for", "X".into()),
            ("first_name", "R".into()),
            ("receipt_date", today.into()),
            ("ticket", "T9".into()),
            extra,
        ])
    };
    let r1 = insert(&app, "requests", &request(("contact_id", dup.into()))).await;
    let r2 = insert(&app, "requests", &request(("lead_id", lead_dup.into()))).await;

    // The contact person first: its deals (as contact and as partner), requests and leads.
    let done = mark.post_form(&format!("/contacts/{dup}/duplicate"), &[("original", &orig.to_string())]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header("location").as_deref(), Some("/contacts?merged=1"));
    assert_eq!(app.field("contacts", dup, "id").await, None);
    assert_eq!(app.field("deals", d1, "contact_id").await, Some(orig.to_string()));
    assert_eq!(app.field("deals", d2, "partner_contact_id").await, Some(orig.to_string()));
    assert_eq!(app.field("requests", r1, "contact_id").await, Some(orig.to_string()));
    assert_eq!(app.field("leads", lead_dup, "contact_id").await, Some(orig.to_string()));
    assert_eq!(app.field("contacts", orig, "first_name").await.as_deref(), Some("Orig"), "kept");
    assert_eq!(app.field("contacts", orig, "mobile").await.as_deref(), Some("555 0199"), "filled");
    assert_eq!(app.field("contacts", orig, "title").await.as_deref(), Some("CTO"), "filled");

    // Then the lead: its deals and requests.
    let done =
        mark.post_form(&format!("/leads/{lead_dup}/duplicate"), &[("original_id", &format!("ID{lead_orig}"))]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(app.field("leads", lead_dup, "id").await, None);
    assert_eq!(app.field("deals", d1, "lead_id").await, Some(lead_orig.to_string()));
    assert_eq!(app.field("requests", r2, "lead_id").await, Some(lead_orig.to_string()));
    assert_eq!(app.field("leads", lead_orig, "contact_id").await, Some(orig.to_string()), "the empty link filled");
}

async fn post(c: &TestClient, dup: i64, original: String) -> Page {
    c.post_form(&format!("/companies/{dup}/duplicate"), &[("original", &original)]).await
}

/// Refusals: each with its status and message, and not one row changed.
#[tokio::test]
async fn a_refused_merge_changes_nothing() {
    let app = app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let eve = app.login_as("Eve.Manager.Export").await;
    let garry = app.login_as("Garry.Chief").await;
    let mine = made(&mark, "/companies", &[("full_name", "Mine"), ("email", "m@mine.example")]).await;
    let mine2 = made(&mark, "/companies", &[("full_name", "Mine 2"), ("email", "m2@mine.example")]).await;
    let helens = made(&helen, "/companies", &[("full_name", "Helen's"), ("email", "h@helen.example")]).await;
    // A contact person whose id is no company's (ids count per table).
    let mut contact = 0;
    for n in 0..4 {
        let email = format!("c{n}@mine.example");
        contact =
            made(&mark, "/contacts", &[("first_name", "C"), ("email", &email), ("company_id", &mine.to_string())])
                .await;
    }
    assert!(![mine, mine2, helens].contains(&contact));
    let before = snapshot(&app.db).await;

    // Eve (another department) sees neither: 404.
    assert_eq!(post(&eve, mine, mine2.to_string()).await.status, 404);
    assert_eq!(eve.get(&format!("/companies/{mine}/duplicate")).await.status, 404);
    // Mark may see Helen's company but not change it: not as the duplicate (403)…
    assert_eq!(post(&mark, helens, mine.to_string()).await.status, 403);
    assert!(
        !mark.get(&format!("/companies/{helens}")).await.exists(&format!("a[href='/companies/{helens}/duplicate']")),
        "no button"
    );
    // …nor as the original (the form says why).
    let p = post(&mark, mine, helens.to_string()).await;
    assert_eq!(p.status, 422);
    assert_eq!(
        p.field_error("original_id"),
        Some(format!("You may not change the company ID{helens}, so nothing can be moved to it."))
    );
    // The chief only views companies.
    assert_eq!(post(&garry, mine, mine2.to_string()).await.status, 403);
    // Itself, nothing, a missing row, another kind's id (a contact person's id is no company of his).
    for (original, msg) in [
        (mine.to_string(), "The original must be another company, not this duplicate itself.".to_string()),
        (String::new(), "Enter the ID of the original company (a number), or find it by name.".to_string()),
        ("abc".into(), "Enter the ID of the original company (a number), or find it by name.".to_string()),
        ("99999999".into(), "There is no company with ID 99999999 that you may see.".to_string()),
        (contact.to_string(), format!("There is no company with ID {contact} that you may see.")),
    ] {
        let p = post(&mark, mine, original.clone()).await;
        assert_eq!(p.status, 422, "{original}");
        assert_eq!(p.field_error("original_id").as_deref(), Some(msg.as_str()), "{original}");
    }
    // Kinds without duplicates have no such page.
    assert_eq!(mark.get("/deals/1/duplicate").await.status, 404);
    assert_eq!(snapshot(&app.db).await, before, "no refusal changed a row");
}

/// A failure in the middle (the duplicate's delete fails after everything was re-pointed) rolls
/// everything back.
#[tokio::test]
async fn a_merge_that_fails_half_way_leaves_every_row_as_it_was() {
    let app = app().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let orig = made(&mark, "/companies", &[("full_name", "Orig"), ("email", "o@orig.example")]).await;
    let dup = made(&mark, "/companies", &[("full_name", "Dup"), ("email", "d@dup.example"), ("phone", "123")]).await;
    made(&mark, "/contacts", &[("first_name", "C"), ("email", "c@dup.example"), ("company_id", &dup.to_string())])
        .await;
    made(&mark, "/leads", &[("first_name", "L"), ("email", "l@dup.example"), ("company_id", &dup.to_string())]).await;
    match &app.db {
        Db::Sqlite(p) => {
            sqlx::query("CREATE TRIGGER forced_failure BEFORE DELETE ON companies BEGIN SELECT RAISE(ABORT, 'forced failure'); END")
                .execute(p)
                .await
                .unwrap();
        }
        Db::Postgres(p) => {
            sqlx::query("CREATE FUNCTION forced_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$")
                .execute(p)
                .await
                .unwrap();
            sqlx::query("CREATE TRIGGER forced_failure BEFORE DELETE ON companies FOR EACH ROW EXECUTE FUNCTION forced_failure()")
                .execute(p)
                .await
                .unwrap();
        }
    }
    let before = snapshot(&app.db).await;
    let p = mark.post_form(&format!("/companies/{dup}/duplicate"), &[("original", &orig.to_string())]).await;
    assert_eq!(p.status, 500, "{}", p.body);
    assert_eq!(snapshot(&app.db).await, before, "the re-pointing, history and fills were rolled back");
    assert_eq!(app.count("contacts", Condition::all().add(Expr::col("company_id").eq(dup))).await, 1);
}

/// In Chromium: the duplicate's message links to the existing company, and the merge runs through
/// its pages (button, ID, what moves, confirm) to the list's message.
#[tokio::test]
async fn in_the_browser_a_duplicate_is_refused_with_its_link_and_then_merged() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;
    const WAIT: Duration = Duration::from_secs(5);

    let app = app().await;
    let mark_http = app.login_as("Mark.Manager.Sales").await;
    let orig = made(&mark_http, "/companies", &[("full_name", "Umbrella"), ("email", "u@umbrella.example")]).await;
    let dup = made(
        &mark_http,
        "/companies",
        &[("full_name", "Umbrella Corp"), ("email", "c@umbrella.example"), ("phone", "555 0123")],
    )
    .await;
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;

    b.goto(&format!("{}/companies/new", app.base)).await;
    b.type_into("#f-full_name", "Umbrella").await;
    b.type_into("#f-email", "again@umbrella.example").await;
    b.click("form.form button[type=submit]").await;
    b.wait_text(".form-errors p.exists", WAIT, |t| t == format!("Such an object already exists - ID{orig}")).await;
    b.shot("duplicate-refused.png").await;
    b.click(".form-errors p.exists a").await;
    b.wait_text("main h1", WAIT, |t| t == "Umbrella").await;

    b.goto(&format!("{}/companies/{dup}", app.base)).await;
    b.shot("duplicate-button.png").await;
    b.click(&format!("a[href='/companies/{dup}/duplicate']")).await;
    b.wait_text("main h1", WAIT, |t| t.starts_with("Correctly delete the duplicate company")).await;
    b.type_into("#f-original_id", &orig.to_string()).await;
    b.shot("duplicate-choose.png").await;
    b.click("form.form button[type=submit]").await;
    b.wait_text(".merge-fills", WAIT, |t| t.contains("555 0123")).await;
    b.shot("duplicate-confirm.png").await;
    b.click("form[method=post] button.btn-danger").await;
    b.wait_text(".flash", WAIT, |t| t == "The duplicate object has been correctly deleted.").await;
    b.shot("duplicate-done.png").await;
    assert_eq!(app.field("companies", dup, "id").await, None);
    assert_eq!(app.field("companies", orig, "phone").await.as_deref(), Some("555 0123"));
    // The refused form's 422 is logged by Chromium as a failed load: by design, nothing else.
    let errors: Vec<String> = b.console().await.into_iter().filter(|e| !e.contains("status of 422")).collect();
    assert!(errors.is_empty(), "no console errors: {errors:?}");
    b.close().await;
}
