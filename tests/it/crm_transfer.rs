//! Owner transfer, user transfer and copy department (inventory §11.2–§11.4), and the departments an
//! operator serves, on both backends: each rule, refusals that change nothing, and the same-name
//! remapping of department dictionaries (including "cleared if none").

use sea_query::{Condition, Expr, ExprTrait, Query};

use crate::helpers::app::Options;
use crate::helpers::snapshot::snapshot;
use crate::helpers::{TestApp, crm};

async fn app() -> TestApp {
    TestApp::with(Options { seed_users: true, ..Default::default() }).await
}

/// The id of department `d`'s entry `name` in dictionary `table`.
async fn dict(app: &TestApp, table: &'static str, d: i64, name: &str) -> i64 {
    app.db
        .scalar(
            Query::select()
                .column("id")
                .from(table)
                .and_where(Expr::col("department_id").eq(d))
                .and_where(Expr::col("name").eq(name)),
        )
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{table} {name} in {d}"))
}

async fn set(app: &TestApp, table: &'static str, id: i64, col: &'static str, value: sea_query::SimpleExpr) {
    app.db.execute(Query::update().table(table).value(col, value).and_where(Expr::col("id").eq(id))).await.unwrap();
}

async fn int(app: &TestApp, table: &'static str, id: i64, col: &'static str) -> Option<i64> {
    app.field(table, id, col).await.map(|v| v.parse().unwrap())
}

fn first(made: &crm::Made, kind: &str) -> i64 {
    made.rows.iter().find(|(k, _)| *k == kind).map(|(_, id)| *id).unwrap()
}

fn all(made: &crm::Made, kind: &str) -> Vec<i64> {
    made.rows.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect()
}

/// History summaries and changed fields of one object, oldest first.
async fn history(app: &TestApp, kind: &str, id: i64) -> Vec<(String, String)> {
    app.db
        .fetch_all(
            Query::select()
                .columns(["summary", "changes"])
                .from("history")
                .and_where(Expr::col("object_type").eq(kind))
                .and_where(Expr::col("object_id").eq(id))
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap()
}

/// The values of `col` of department `d`'s rows of `table`, sorted.
async fn column(app: &TestApp, table: &'static str, col: &'static str, d: i64) -> Vec<String> {
    let mut v: Vec<(String,)> = app
        .db
        .fetch_all(Query::select().column(col).from(table).and_where(Expr::col("department_id").eq(d)))
        .await
        .unwrap();
    v.sort();
    v.into_iter().map(|(x,)| x).collect()
}

/// A company form as posted: its required fields plus `extra`.
fn company_form<'a>(name: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("full_name", name), ("email", "info@acme.example")];
    f.extend_from_slice(extra);
    f
}

#[tokio::test]
async fn a_company_owner_change_carries_its_contacts_and_its_place_to_its_deals() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let (mark, helen, eve) = (
        app.user_id("Mark.Manager.Sales").await,
        app.user_id("Helen.Head.Sales").await,
        app.user_id("Eve.Manager.Export").await,
    );
    let made = crm::spread(&app, &[sales], &[Some(mark)], None).await;
    let (company, contact, deal) = (first(&made, "company"), first(&made, "contact"), first(&made, "deal"));
    let country: i64 = app
        .db
        .scalar(Query::select().column("id").from("countries").and_where(Expr::col("name").eq("Canada")))
        .await
        .unwrap()
        .unwrap();
    let c = app.login_as("Mark.Manager.Sales").await;

    // The form: an owner field with the note; his department's managers and operators, not Eve.
    let form = c.get(&format!("/companies/{company}/edit")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.text(".owner-note"), "Owner will also be changed for contact persons.");
    let owners = form.attrs("select[name=owner_id] option", "value");
    assert!(owners.contains(&helen.to_string()) && owners.contains(&mark.to_string()), "{owners:?}");
    assert!(!owners.contains(&eve.to_string()), "a manager cannot give a company to another department");

    // A foreign owner is refused with a message, and nothing changes.
    let before = snapshot(&app.db).await;
    let eve_s = eve.to_string();
    let refused = c.post_form(&format!("/companies/{company}"), &company_form("Acme", &[("owner_id", &eve_s)])).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.field_error("owner_id").as_deref(), Some("Choose one of the listed options."));
    assert_eq!(snapshot(&app.db).await, before, "a refused owner changed the database");

    // Helen gets it: the contact person follows (owner, history), the deal takes the country.
    let (helen_s, country_s) = (helen.to_string(), country.to_string());
    let saved = c
        .post_form(
            &format!("/companies/{company}"),
            &company_form("Acme", &[("owner_id", &helen_s), ("country_id", &country_s)]),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(int(&app, "companies", company, "owner_id").await, Some(helen));
    assert_eq!(int(&app, "contacts", contact, "owner_id").await, Some(helen));
    assert_eq!(int(&app, "contacts", contact, "department_id").await, Some(sales));
    assert_eq!(int(&app, "deals", deal, "country_id").await, Some(country), "the company's deals take its country");
    let contact_history = history(&app, "contact", contact).await;
    let (summary, changes) = contact_history.last().expect("a history entry on the contact person");
    assert_eq!(summary, "Changed");
    assert!(changes.contains("Owner") && changes.contains("Helen"), "{changes}");
    assert!(history(&app, "deal", deal).await.last().unwrap().1.contains("Canada"));
}

#[tokio::test]
async fn moving_a_company_to_another_department_remaps_its_references_by_name_or_clears_them() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let (mark, eve) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Eve.Manager.Export").await);
    let made = crm::spread(&app, &[sales], &[Some(mark)], None).await;
    let (company, contact) = (first(&made, "company"), first(&made, "contact"));
    // The company's type exists in Export under the same name; its lead source does not (renamed
    // there); the contact person's lead source does.
    set(&app, "companies", company, "type_id", dict(&app, "client_types", sales, "dealer").await.into()).await;
    set(&app, "contacts", contact, "lead_source_id", dict(&app, "lead_sources", sales, "exhibition").await.into())
        .await;
    let export_form = dict(&app, "lead_sources", export, "website form").await;
    set(&app, "lead_sources", export_form, "name", "web form".into()).await;
    let c = app.login_as("Adam.Admin").await;

    // The administrator chooses among every department's managers; the company and its contact
    // person move to Eve's department.
    let dealer = dict(&app, "client_types", sales, "dealer").await.to_string();
    let source = dict(&app, "lead_sources", sales, "website form").await.to_string();
    let eve_s = eve.to_string();
    let fields = [("owner_id", eve_s.as_str()), ("type_id", dealer.as_str()), ("lead_source_id", source.as_str())];
    let saved = c.post_form(&format!("/companies/{company}"), &company_form("Acme", &fields)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(int(&app, "companies", company, "department_id").await, Some(export));
    assert_eq!(int(&app, "companies", company, "owner_id").await, Some(eve));
    assert_eq!(
        int(&app, "companies", company, "type_id").await,
        Some(dict(&app, "client_types", export, "dealer").await)
    );
    assert_eq!(int(&app, "companies", company, "lead_source_id").await, None, "no same-name source: cleared");
    assert_eq!(int(&app, "contacts", contact, "department_id").await, Some(export));
    assert_eq!(
        int(&app, "contacts", contact, "lead_source_id").await,
        Some(dict(&app, "lead_sources", export, "exhibition").await)
    );
    let (_, changes) = history(&app, "company", company).await.pop().unwrap();
    assert!(changes.contains("Department") && changes.contains("Export"), "{changes}");

    // The department alone: the contact person follows, the owner stays.
    let sales_s = sales.to_string();
    let moved =
        c.post_form(&format!("/companies/{company}"), &company_form("Acme", &[("department_id", &sales_s)])).await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(int(&app, "companies", company, "department_id").await, Some(sales));
    assert_eq!(int(&app, "contacts", contact, "department_id").await, Some(sales));
    assert_eq!(int(&app, "contacts", contact, "owner_id").await, Some(eve));
}

#[tokio::test]
async fn changing_a_deals_owner_changes_its_leads_owner() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let (mark, helen) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Helen.Head.Sales").await);
    let made = crm::spread(&app, &[sales], &[Some(mark)], None).await;
    let (deal, lead) = (first(&made, "deal"), first(&made, "lead"));
    set(&app, "deals", deal, "lead_id", lead.into()).await;
    let stage = int(&app, "deals", deal, "stage_id").await.unwrap().to_string();
    let (lead_s, helen_s) = (lead.to_string(), helen.to_string());
    let c = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(
        c.get(&format!("/deals/{deal}/edit")).await.text(".owner-note"),
        "The deal's lead gets the new owner too."
    );

    let saved = c
        .post_form(
            &format!("/deals/{deal}"),
            &[
                ("name", "Deal"),
                ("next_step", "Call"),
                ("next_step_date", "2030-01-01"),
                ("stage_id", &stage),
                ("lead_id", &lead_s),
                ("active", "on"),
                ("relevant", "on"),
                ("owner_id", &helen_s),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(int(&app, "deals", deal, "owner_id").await, Some(helen));
    assert_eq!(int(&app, "leads", lead, "owner_id").await, Some(helen));
    assert!(history(&app, "lead", lead).await.last().unwrap().1.contains("Helen"));
}

#[tokio::test]
async fn the_mass_owner_change_is_the_administrators_and_moves_companies_with_their_contacts() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let (mark, helen, eve, olga) = (
        app.user_id("Mark.Manager.Sales").await,
        app.user_id("Helen.Head.Sales").await,
        app.user_id("Eve.Manager.Export").await,
        app.user_id("Olga.Operator.Sales").await,
    );
    let made = crm::spread(&app, &[sales], &[Some(mark), Some(helen)], None).await;
    let companies = all(&made, "company");
    let contacts = all(&made, "contact");
    let (a, b) = (companies[0].to_string(), companies[1].to_string());
    let eve_s = eve.to_string();

    // Not for a manager: no selection on his list, and both routes refuse with nothing changed.
    let mark_c = app.login_as("Mark.Manager.Sales").await;
    let admin = app.login_as("Adam.Admin").await;
    let list = mark_c.get("/companies?owner=all").await;
    assert_eq!(list.count("input[form=bulk-transfer]"), 0);
    assert_eq!(mark_c.get(&format!("/companies/transfer?id={a}")).await.status, 403);
    let before = snapshot(&app.db).await;
    let refused = mark_c.post_form("/companies/transfer", &[("id", &a), ("owner_id", &eve_s)]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(snapshot(&app.db).await, before);

    // The administrator selects rows on the list and chooses among active sales managers.
    let list = admin.get("/companies").await;
    assert_eq!(list.count("input[form=bulk-transfer]"), 2);
    assert_eq!(list.text("form#bulk-transfer button"), "Change owner of selected companies");
    let page = admin.get(&format!("/companies/transfer?id={a}&id={b}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.count("input[type=hidden][name=id]"), 2);
    let owners = page.attrs("select[name=owner_id] option", "value");
    assert!(owners.contains(&eve_s) && owners.contains(&mark.to_string()));
    assert!(!owners.contains(&olga.to_string()), "an operator is not a sales manager");

    // An operator, an unknown company, a non-number: refused, nothing written.
    let olga_s = olga.to_string();
    for (form, status) in [
        (vec![("id", a.as_str()), ("owner_id", olga_s.as_str())], 422),
        (vec![("id", "99999999"), ("owner_id", eve_s.as_str())], 404),
        (vec![("id", "x"), ("owner_id", eve_s.as_str())], 400),
        (vec![("owner_id", eve_s.as_str())], 422),
    ] {
        let r = admin.post_form("/companies/transfer", &form).await;
        assert_eq!(r.status, status, "{form:?}: {}", r.body);
        assert_eq!(snapshot(&app.db).await, before, "{form:?} changed the database");
    }

    let done = admin.post_form("/companies/transfer", &[("id", &a), ("id", &b), ("owner_id", &eve_s)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.text(".flash-success"), "Owner changed successfully");
    for &id in &companies {
        assert_eq!(int(&app, "companies", id, "owner_id").await, Some(eve));
        assert_eq!(int(&app, "companies", id, "department_id").await, Some(export));
    }
    for &id in &contacts {
        assert_eq!(int(&app, "contacts", id, "owner_id").await, Some(eve));
        assert_eq!(int(&app, "contacts", id, "department_id").await, Some(export));
        assert!(history(&app, "contact", id).await.last().unwrap().1.contains("Export"));
    }
    // Eve now sees them.
    let eve_c = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve_c.get(&format!("/companies/{a}")).await.status, 200);
}

#[tokio::test]
async fn transferring_a_user_moves_their_records_and_remaps_references_by_name() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark)], None).await;
    let (company, contact, lead, deal, product, payment) = (
        first(&made, "company"),
        first(&made, "contact"),
        first(&made, "lead"),
        first(&made, "deal"),
        first(&made, "product"),
        first(&made, "payment"),
    );
    // The deal is at "price offer", which Export calls "quote": it goes to Export's default stage.
    // Its closing reason and the company's type exist in Export by name; the lead's source does not.
    set(&app, "deals", deal, "stage_id", dict(&app, "deal_stages", sales, "price offer").await.into()).await;
    let export_offer = dict(&app, "deal_stages", export, "price offer").await;
    set(&app, "deal_stages", export_offer, "name", "quote".into()).await;
    set(
        &app,
        "deals",
        deal,
        "closing_reason_id",
        dict(&app, "closing_reasons", sales, "Purchase postponed").await.into(),
    )
    .await;
    set(&app, "companies", company, "type_id", dict(&app, "client_types", sales, "reseller").await.into()).await;
    set(&app, "deals", deal, "lead_source_id", dict(&app, "lead_sources", sales, "distributor").await.into()).await;
    set(&app, "leads", lead, "lead_source_id", dict(&app, "lead_sources", sales, "exhibition").await.into()).await;
    let export_exhibition = dict(&app, "lead_sources", export, "exhibition").await;
    set(&app, "lead_sources", export_exhibition, "name", "fair".into()).await;
    let railway = dict(&app, "industries", sales, "railway").await;
    let aviation = dict(&app, "industries", sales, "aviation").await;
    let export_aviation = dict(&app, "industries", export, "aviation").await;
    app.db
        .execute(Query::delete().from_table("industries").and_where(Expr::col("id").eq(export_aviation)))
        .await
        .unwrap();
    let mut q = Query::insert();
    q.into_table("company_industries")
        .columns(["company_id", "industry_id"])
        .values_panic([company.into(), railway.into()])
        .values_panic([company.into(), aviation.into()]);
    app.db.execute(&q).await.unwrap();
    let now = ferrocrm::db::now();
    let tag: i64 = app
        .db
        .scalar(
            Query::insert()
                .into_table("crm_tags")
                .columns(["name", "name_key", "department_id", "owner_id", "created_at", "updated_at"])
                .values_panic(["VIP".into(), "vip".into(), sales.into(), mark.into(), now.into(), now.into()])
                .returning_col("id"),
        )
        .await
        .unwrap()
        .unwrap();
    app.db
        .execute(
            Query::insert().into_table("crm_taggings").columns(["object_type", "object_id", "tag_id"]).values_panic([
                "company".into(),
                company.into(),
                tag.into(),
            ]),
        )
        .await
        .unwrap();

    // Refused to anyone but an administrator (the admin area is invisible), nothing changed.
    let helen = app.login_as("Helen.Head.Sales").await;
    let admin = app.login_as("Adam.Admin").await;
    let before = snapshot(&app.db).await;
    let export_s = export.to_string();
    assert_eq!(helen.get(&format!("/admin/users/{mark}/transfer")).await.status, 404);
    assert_eq!(
        helen.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", &export_s)]).await.status,
        404
    );
    assert_eq!(snapshot(&app.db).await, before);

    let page = admin.get(&format!("/admin/users/{mark}/transfer")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.text(".flash-warning"), ferrocrm::views::transfer::USER_TRANSFER_WARNING);
    let sales_s = sales.to_string();
    for bad in ["", "x", "99999999", sales_s.as_str()] {
        let r = admin.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", bad)]).await;
        assert_eq!(r.status, 422, "{bad:?}");
        assert_eq!(snapshot(&app.db).await, before, "{bad:?} changed the database");
    }

    // A small transfer goes through the same background job as a big one.
    let started = admin.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", &export_s)]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let at = started.header("location").expect("the transfer's page");
    assert!(at.starts_with("/admin/transfers/"), "{at}");
    assert_eq!(int(&app, "users", mark, "department_id").await, Some(export), "the user moves at once");
    while ferrocrm::jobs::run_once(&app.state).await.unwrap() {}
    let done = admin.get(&at).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.text(".flash-success"), "User transferred successfully");
    assert_eq!(int(&app, "users", mark, "department_id").await, Some(export));
    for (table, id) in [("companies", company), ("contacts", contact), ("leads", lead), ("deals", deal)] {
        assert_eq!(int(&app, table, id, "department_id").await, Some(export), "{table}");
        assert_eq!(int(&app, table, id, "owner_id").await, Some(mark), "{table}");
    }
    assert_eq!(
        int(&app, "deals", deal, "stage_id").await,
        Some(dict(&app, "deal_stages", export, "request").await),
        "no same-name stage: the department's default stage"
    );
    assert_eq!(
        int(&app, "deals", deal, "closing_reason_id").await,
        Some(dict(&app, "closing_reasons", export, "Purchase postponed").await)
    );
    assert_eq!(
        int(&app, "companies", company, "type_id").await,
        Some(dict(&app, "client_types", export, "reseller").await)
    );
    assert_eq!(int(&app, "leads", lead, "lead_source_id").await, None, "no same-name source: cleared");
    assert_eq!(
        int(&app, "deals", deal, "lead_source_id").await,
        Some(dict(&app, "lead_sources", export, "distributor").await),
        "a deal's lead source (not on its form) follows too"
    );
    let industries: Vec<(i64,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("industry_id")
                .from("company_industries")
                .and_where(Expr::col("company_id").eq(company)),
        )
        .await
        .unwrap();
    assert_eq!(industries, [(dict(&app, "industries", export, "railway").await,)], "railway remapped, aviation gone");
    let tags: Vec<(String, i64)> = app
        .db
        .fetch_all(
            Query::select()
                .column(("crm_tags", "name"))
                .column(("crm_tags", "department_id"))
                .from("crm_taggings")
                .inner_join("crm_tags", Expr::col(("crm_tags", "id")).equals(("crm_taggings", "tag_id")))
                .and_where(Expr::col(("crm_taggings", "object_id")).eq(company))
                .and_where(Expr::col(("crm_taggings", "object_type")).eq("company")),
        )
        .await
        .unwrap();
    assert_eq!(tags, [("VIP".to_string(), export)], "the tag moved with the company");
    // Payments and products stay.
    assert_eq!(int(&app, "products", product, "department_id").await, Some(sales));
    assert_eq!(int(&app, "payments", payment, "deal_id").await, Some(deal));
    assert!(history(&app, "user", mark).await.last().unwrap().0.contains("Export"));
    assert!(history(&app, "deal", deal).await.last().unwrap().1.contains("Export"));
}

#[tokio::test]
async fn copying_a_department_copies_its_dictionaries_and_products_with_new_lead_source_tokens() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    crm::spread(&app, &[sales], &[Some(mark)], None).await;
    set(&app, "departments", sales, "works_globally", true.into()).await;

    let c = app.login_as("Mark.Manager.Sales").await;
    let admin = app.login_as("Adam.Admin").await;
    let before = snapshot(&app.db).await;
    assert_eq!(c.post_form(&format!("/admin/departments/{sales}/copy"), &[]).await.status, 404);
    assert_eq!(snapshot(&app.db).await, before);

    let page = admin.get(&format!("/admin/departments/{sales}")).await;
    assert!(page.exists(&format!("form[action='/admin/departments/{sales}/copy'] button")));
    let done = admin.post_form(&format!("/admin/departments/{sales}/copy"), &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.text(".flash-success"), "A new department has been created - Sales (copy). Please rename it.");
    let copy: i64 = app
        .db
        .scalar(Query::select().column("id").from("departments").and_where(Expr::col("name").eq("Sales (copy)")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.field("departments", copy, "works_globally").await,
        app.field("departments", sales, "works_globally").await
    );
    for table in ["deal_stages", "closing_reasons", "client_types", "industries", "lead_sources", "products"] {
        let (a, b) = (column(&app, table, "name", sales).await, column(&app, table, "name", copy).await);
        assert!(!a.is_empty(), "{table}");
        assert_eq!(a, b, "{table} copied");
    }
    let default_stages = app
        .count(
            "deal_stages",
            Condition::all().add(Expr::col("department_id").eq(copy)).add(Expr::col("is_default").eq(true)),
        )
        .await;
    assert_eq!(default_stages, 1);
    // The copied products are found by a word search (§10) like every product.
    let product = column(&app, "products", "name", copy).await.remove(0);
    let word: String = product.chars().take(6).collect();
    let found = admin.get(&format!("/products?owner=all&department={copy}&q={}", urlencoding(&word))).await;
    assert!(found.text("main table").contains(&product), "{word}: {}", found.body);
    let tokens = |v: Vec<String>| v.into_iter().collect::<std::collections::HashSet<String>>();
    let old = tokens(column(&app, "lead_sources", "token", sales).await);
    let new = tokens(column(&app, "lead_sources", "token", copy).await);
    assert_eq!(new.len(), old.len());
    assert!(old.is_disjoint(&new), "the copy's lead sources have tokens of their own");

    // A second copy gets another name.
    let again = admin.post_form(&format!("/admin/departments/{sales}/copy"), &[]).await;
    assert_eq!(again.text(".flash-success"), "A new department has been created - Sales (copy 2). Please rename it.");
}

#[tokio::test]
async fn the_departments_an_operator_serves_widen_what_they_see() {
    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let eve = app.user_id("Eve.Manager.Export").await;
    let made = crm::spread(&app, &[export], &[Some(eve)], None).await;
    let company = first(&made, "company");
    let (olga, mark) = (app.user_id("Olga.Operator.Sales").await, app.user_id("Mark.Manager.Sales").await);
    let olga_c = app.login_as("Olga.Operator.Sales").await;
    assert_eq!(olga_c.get(&format!("/companies/{company}")).await.status, 404);

    let admin = app.login_as("Adam.Admin").await;
    let form = admin.get(&format!("/admin/users/{olga}/edit")).await;
    assert!(form.exists(&format!("input[type=checkbox][name=served][value='{export}']")));
    let (sales_s, export_s) = (sales.to_string(), export.to_string());
    let user_form = |username: &'static str, role: &'static str, served: &[&'static str]| {
        let mut f = vec![
            ("username", username),
            ("email", ""),
            ("first_name", ""),
            ("last_name", ""),
            ("roles", role),
            ("roles", "co-worker"),
        ];
        f.extend(served.iter().map(|s| ("served", *s)));
        f
    };

    // Only operators serve other departments; an unknown department is refused.
    let before = snapshot(&app.db).await;
    let mut f = user_form("Mark.Manager.Sales", "sales-manager", &[]);
    f.push(("department_id", &sales_s));
    f.push(("served", &export_s));
    let refused = admin.post_form(&format!("/admin/users/{mark}"), &f).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.field_error("served").unwrap_or_default().contains("Only operators"));
    let mut f = user_form("Olga.Operator.Sales", "operator", &["99999999"]);
    f.push(("department_id", &sales_s));
    assert_eq!(admin.post_form(&format!("/admin/users/{olga}"), &f).await.status, 422);
    assert_eq!(snapshot(&app.db).await, before);

    let mut f = user_form("Olga.Operator.Sales", "operator", &[]);
    f.push(("department_id", &sales_s));
    f.push(("served", &export_s));
    let saved = admin.post_form(&format!("/admin/users/{olga}"), &f).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let edit = admin.get(&format!("/admin/users/{olga}/edit")).await;
    assert_eq!(edit.attrs("input[name=served][checked]", "value"), std::slice::from_ref(&export_s));
    assert_eq!(olga_c.get(&format!("/companies/{company}")).await.status, 200, "she now serves Export");

    // Unticked: she no longer sees it.
    let mut f = user_form("Olga.Operator.Sales", "operator", &[]);
    f.push(("department_id", &sales_s));
    assert_eq!(admin.post_form(&format!("/admin/users/{olga}"), &f).await.status, 303);
    assert_eq!(olga_c.get(&format!("/companies/{company}")).await.status, 404);
}

/// In a real browser: the list's checkboxes belong to the action's form (`form=` attribute), the
/// choice page, the confirmation dialog, the flash.
#[tokio::test]
async fn an_administrator_changes_the_owner_of_ticked_companies_in_a_browser() {
    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;
    use std::time::Duration;

    let app = app().await;
    let sales = crm::department(&app, "Sales").await;
    crm::department(&app, "Export").await;
    let (mark, eve) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Eve.Manager.Export").await);
    let made = crm::spread(&app, &[sales], &[Some(mark), Some(mark), Some(mark)], None).await;
    let companies = all(&made, "company");

    let b = Browser::start().await;
    b.login(&app.base, "Adam.Admin", PASSWORD).await;
    b.goto(&format!("{}/companies", app.base)).await;
    for id in &companies[..2] {
        b.click(&format!("input[form=bulk-transfer][value='{id}']")).await;
    }
    b.shot("transfer-1-list.png").await;
    b.click("form#bulk-transfer button").await;
    b.wait_text("main h1", Duration::from_secs(5), |t| t == "Change owner of selected companies").await;
    assert!(b.text("main").await.contains("2 selected"));
    b.js(&format!("document.querySelector('select[name=owner_id]').value = '{eve}'; return null")).await;
    b.shot("transfer-2-choose.png").await;
    b.click("form.form button[type=submit]").await;
    b.wait_text("#confirm-text", Duration::from_secs(5), |t| t.contains("Give 2 companies")).await;
    b.click("#confirm-ok").await;
    b.wait_text("main", Duration::from_secs(5), |t| t.contains("Owner changed successfully")).await;
    b.shot("transfer-3-done.png").await;
    // The other pages of this change, for a person to look at.
    let mark_s = mark.to_string();
    for (path, name) in [
        (format!("/companies/{}/edit", companies[2]), "transfer-4-company-edit.png"),
        (format!("/admin/users/{mark_s}/transfer"), "transfer-5-user.png"),
        (format!("/admin/users/{mark_s}/edit"), "transfer-6-user-form.png"),
        (format!("/admin/departments/{sales}"), "transfer-7-department.png"),
    ] {
        b.goto(&format!("{}{path}", app.base)).await;
        b.wait_text("main h1", Duration::from_secs(5), |t| !t.is_empty()).await;
        b.shot(name).await;
    }
    b.close().await;

    assert_eq!(int(&app, "companies", companies[0], "owner_id").await, Some(eve));
    assert_eq!(int(&app, "companies", companies[1], "owner_id").await, Some(eve));
    assert_eq!(int(&app, "companies", companies[2], "owner_id").await, Some(mark), "the unticked one stays");
}

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
