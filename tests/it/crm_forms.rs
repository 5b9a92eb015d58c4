//! Tags and industries on the CRM forms, pages and lists; a deal's line items and payments on its
//! page; currencies and their rates. Both backends.

use sea_query::{Condition, Expr, ExprTrait, Query};

use crate::helpers::app::Options;
use crate::helpers::{TestApp, crm};

/// A tag of `department`, written straight into the table.
async fn tag(app: &TestApp, department: i64, name: &str) -> i64 {
    let now = ferrocrm::db::now();
    let mut q = Query::insert();
    q.into_table("crm_tags")
        .columns(["name", "name_key", "department_id", "created_at", "updated_at"])
        .values_panic([name.into(), ferrocrm::text::fold(name).into(), department.into(), now.into(), now.into()])
        .returning_col("id");
    let mut tx = app.db.begin().await.unwrap();
    let id: i64 = tx.scalar(&q).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    id
}

async fn industry(app: &TestApp, department: i64, name: &str) -> i64 {
    app.db
        .scalar(
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

/// The ids linked to `object` in a link table, sorted.
async fn linked(app: &TestApp, table: &'static str, key: &'static str, other: &'static str, object: i64) -> Vec<i64> {
    let mut q = Query::select();
    q.column(other).from(table).and_where(Expr::col(key).eq(object)).order_by(other, sea_query::Order::Asc);
    let rows: Vec<(i64,)> = app.db.fetch_all(&q).await.unwrap();
    rows.into_iter().map(|(i,)| i).collect()
}

async fn tags_of(app: &TestApp, kind: &str, object: i64) -> Vec<i64> {
    let rows: Vec<(i64,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("tag_id")
                .from("crm_taggings")
                .and_where(Expr::col("object_type").eq(kind))
                .and_where(Expr::col("object_id").eq(object))
                .order_by("tag_id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    rows.into_iter().map(|(i,)| i).collect()
}

fn id_from(location: &str) -> i64 {
    location.rsplit('/').next().unwrap().parse().unwrap()
}

/// A company's tags and industries through its form: saved in their link tables, shown on its page
/// and in the list, changed with a history entry naming them; a tag typed in is made in the
/// department; an id the form did not offer (another department's tag or industry, or none at all)
/// is refused with a message and writes nothing.
#[tokio::test]
async fn company_tags_and_industries_are_saved_shown_and_checked() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let vip = tag(&app, sales, "VIP").await;
    let key = tag(&app, sales, "Key account").await;
    let foreign = tag(&app, export, "Foreign").await;
    let rail = industry(&app, sales, "railway").await;
    let air = industry(&app, sales, "aviation").await;
    let their_rail = industry(&app, export, "railway").await;
    let mark = app.login_as("Mark.Manager.Sales").await;

    // The form offers the department's tags and industries, and only those.
    let form = mark.get("/companies/new").await;
    assert_eq!(form.status, 200);
    let offered = form.attrs("input[name='tags[]']", "value");
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert!(offered.contains(&vip.to_string()) && offered.contains(&key.to_string()));
    assert!(form.exists(&format!("input[name='industries[]'][value='{rail}']")));
    assert!(!form.exists(&format!("input[name='industries[]'][value='{their_rail}']")));
    assert!(form.exists("input[name=tags_new]"));

    // Refused: another department's tag, an unknown one, another department's industry. Nothing is
    // written, and the form comes back with the message and the boxes as they were ticked.
    let base = [("full_name", "Rail & Air Ltd"), ("email", "office@rail.example")];
    for (field, bad) in [("tags[]", foreign), ("tags[]", 999_999), ("industries[]", their_rail)] {
        let mut body: Vec<(&str, String)> = base.iter().map(|(k, v)| (*k, v.to_string())).collect();
        body.push(("tags[]", vip.to_string()));
        body.push((field, bad.to_string()));
        let pairs: Vec<(&str, &str)> = body.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = mark.post_form("/companies", &pairs).await;
        assert_eq!(refused.status, 422, "{field}={bad}");
        let col = field.trim_end_matches("[]");
        assert_eq!(refused.field_error(col).as_deref(), Some("Choose only from the listed options."), "{field}={bad}");
        assert!(
            refused.exists(&format!("input[name='tags[]'][value='{vip}'][checked]")),
            "the ticked box stays ticked"
        );
    }
    let not_a_number = mark.post_form("/companies", &[base[0], base[1], ("tags[]", "1 OR 1=1")]).await;
    assert_eq!(not_a_number.status, 422);
    assert_eq!(app.count("companies", Condition::all()).await, 0, "no company written");
    assert_eq!(app.count("crm_taggings", Condition::all()).await, 0);
    assert_eq!(app.count("company_industries", Condition::all()).await, 0);
    assert_eq!(app.count("crm_tags", Condition::all()).await, 3, "no tag made by a refused form");

    // Saved: two tags (one typed in, new to the department) and two industries.
    let made = mark
        .post_form(
            "/companies",
            &[
                base[0],
                base[1],
                ("tags[]", &vip.to_string()),
                ("industries[]", &rail.to_string()),
                ("industries[]", &air.to_string()),
                ("tags_new", " Exhibition 2026 , vip "),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let url = made.header("location").unwrap();
    let id = id_from(&url);
    let exhibition: i64 = app
        .db
        .scalar(Query::select().column("id").from("crm_tags").and_where(Expr::col("name").eq("Exhibition 2026")))
        .await
        .unwrap()
        .expect("the typed-in tag was made");
    assert_eq!(app.field("crm_tags", exhibition, "department_id").await, Some(sales.to_string()));
    assert_eq!(app.count("crm_tags", Condition::all()).await, 4, "\"vip\" is the existing VIP, not a new tag");
    let mut want = vec![vip, exhibition];
    want.sort_unstable();
    assert_eq!(tags_of(&app, "company", id).await, want);
    let mut inds = vec![rail, air];
    inds.sort_unstable();
    assert_eq!(linked(&app, "company_industries", "company_id", "industry_id", id).await, inds);

    // Shown on the page and in the list (as badges), and ticked in the edit form.
    let page = mark.get(&url).await;
    let badges = page.texts(".kv .badge");
    for name in ["VIP", "Exhibition 2026", "railway", "aviation"] {
        assert!(badges.iter().any(|b| b == name), "{name} in {badges:?}");
    }
    let list = mark.get("/companies").await;
    let row_badges = list.texts(&format!("#company-{id} .badge"));
    assert_eq!(row_badges, ["Exhibition 2026", "VIP"], "the list shows the row's tags");
    let edit = mark.get(&format!("{url}/edit")).await;
    assert!(edit.exists(&format!("input[name='tags[]'][value='{vip}'][checked]")));
    assert!(edit.exists(&format!("input[name='tags[]'][value='{key}']:not([checked])")));

    // Changed: VIP off, Key account on, aviation off; the history names them.
    let saved = mark
        .post_form(
            &url,
            &[
                base[0],
                base[1],
                ("tags[]", &exhibition.to_string()),
                ("tags[]", &key.to_string()),
                ("industries[]", &rail.to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let mut want = vec![key, exhibition];
    want.sort_unstable();
    assert_eq!(tags_of(&app, "company", id).await, want);
    assert_eq!(linked(&app, "company_industries", "company_id", "industry_id", id).await, [rail]);
    let diffs: Vec<(String,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("changes")
                .from("history")
                .and_where(Expr::col("object_type").eq("company"))
                .and_where(Expr::col("object_id").eq(id))
                .and_where(Expr::col("action").eq("update")),
        )
        .await
        .unwrap();
    assert_eq!(diffs.len(), 1);
    let d = &diffs[0].0;
    assert!(d.contains("Exhibition 2026, VIP") && d.contains("Exhibition 2026, Key account"), "{d}");
    assert!(d.contains("aviation, railway") && d.contains("Industries"), "{d}");
    let history = mark.get(&format!("{url}/history")).await;
    assert!(history.body.contains("Exhibition 2026, Key account"), "the history page shows the change");

    // Saving unchanged writes nothing; an edit with another department's tag writes nothing.
    let again = mark
        .post_form(
            &url,
            &[
                base[0],
                base[1],
                ("tags[]", &exhibition.to_string()),
                ("tags[]", &key.to_string()),
                ("industries[]", &rail.to_string()),
            ],
        )
        .await;
    assert_eq!(again.status, 303);
    let updates = Condition::all().add(Expr::col("object_type").eq("company")).add(Expr::col("action").eq("update"));
    assert_eq!(app.count("history", updates.clone()).await, 1);
    let refused =
        mark.post_form(&url, &[base[0], base[1], ("tags[]", &foreign.to_string()), ("full_name", "Renamed")]).await;
    assert_eq!(refused.status, 422);
    assert_eq!(tags_of(&app, "company", id).await, want, "links unchanged");
    assert_eq!(app.field("companies", id, "full_name").await.as_deref(), Some("Rail & Air Ltd"));
    assert_eq!(app.count("history", updates).await, 1);

    // Unticking every box removes every link.
    assert_eq!(mark.post_form(&url, &[base[0], base[1]]).await.status, 303);
    assert!(tags_of(&app, "company", id).await.is_empty());
    assert!(linked(&app, "company_industries", "company_id", "industry_id", id).await.is_empty());

    // A deleted company takes its tag links with it.
    assert_eq!(mark.post_form(&url, &[base[0], base[1], ("tags[]", &vip.to_string())]).await.status, 303);
    let deleted = mark.post_form(&format!("{url}/delete"), &[]).await;
    assert!(deleted.status == 303 || deleted.status == 200, "{}", deleted.status);
    assert_eq!(app.count("crm_taggings", Condition::all()).await, 0);
}

/// Contact persons and deals take tags, leads tags and industries; a contact person's tags are its
/// company's department's, whichever department the form was opened in.
#[tokio::test]
async fn contacts_leads_and_deals_take_their_departments_tags() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let company = made.rows.iter().find(|(k, _)| *k == "company").unwrap().1;
    let deal = made.rows.iter().find(|(k, _)| *k == "deal").unwrap().1;
    let vip = tag(&app, sales, "VIP").await;
    let foreign = tag(&app, export, "Foreign").await;
    let rail = industry(&app, sales, "railway").await;
    let mark = app.login_as("Mark.Manager.Sales").await;

    let contact = mark
        .post_form(
            "/contacts",
            &[
                ("first_name", "Ivan"),
                ("email", "ivan@x.org"),
                ("company_id", &company.to_string()),
                ("tags[]", &vip.to_string()),
            ],
        )
        .await;
    assert_eq!(contact.status, 303, "{}", contact.body);
    let contact_id = id_from(&contact.header("location").unwrap());
    assert_eq!(tags_of(&app, "contact", contact_id).await, [vip]);
    let refused = mark
        .post_form(
            "/contacts",
            &[
                ("first_name", "Olga"),
                ("email", "olga@x.org"),
                ("company_id", &company.to_string()),
                ("tags[]", &foreign.to_string()),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(app.count("contacts", Condition::all().add(Expr::col("first_name").eq("Olga"))).await, 0);

    let lead = mark
        .post_form(
            "/leads",
            &[
                ("first_name", "Lena"),
                ("email", "lena@x.org"),
                ("tags[]", &vip.to_string()),
                ("industries[]", &rail.to_string()),
            ],
        )
        .await;
    assert_eq!(lead.status, 303, "{}", lead.body);
    let lead_id = id_from(&lead.header("location").unwrap());
    assert_eq!(tags_of(&app, "lead", lead_id).await, [vip]);
    assert_eq!(linked(&app, "lead_industries", "lead_id", "industry_id", lead_id).await, [rail]);
    let page = mark.get(&format!("/leads/{lead_id}")).await;
    assert!(page.texts(".kv .badge").contains(&"railway".to_string()));

    // A deal's edit form keeps its other fields and takes a tag; the list and page show it.
    let edit = mark.get(&format!("/deals/{deal}/edit")).await;
    assert_eq!(edit.status, 200);
    let mut body: Vec<(String, String)> = Vec::new();
    for name in ["name", "next_step", "next_step_date", "stage_id", "currency_id"] {
        let v = edit.attr(&format!("[name={name}]"), "value").unwrap_or_default();
        let v = if v.is_empty() {
            edit.attr(&format!("select[name={name}] option[selected]"), "value").unwrap_or_default()
        } else {
            v
        };
        body.push((name.to_string(), v));
    }
    body.push(("active".into(), "on".into()));
    body.push(("relevant".into(), "on".into()));
    body.push(("tags[]".into(), vip.to_string()));
    let pairs: Vec<(&str, &str)> = body.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = mark.post_form(&format!("/deals/{deal}"), &pairs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(tags_of(&app, "deal", deal).await, [vip]);
    let list = mark.get("/deals?owner=all").await;
    assert_eq!(list.texts(&format!("#deal-{deal} .badge")), ["VIP"]);
}
