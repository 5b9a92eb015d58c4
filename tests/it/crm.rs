//! The sales CRM's object layer: rows read and written through field descriptors, on both backends.

use ferrocrm::access::{Action, ItemKind};
use ferrocrm::crm::company::SPEC;
use ferrocrm::crm::record::Val;
use ferrocrm::crm::repo::{self, Names, Record};
use ferrocrm::history::Actor;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::Options;
use crate::helpers::{TestApp, crm};

fn company(app_department: i64, owner: Option<i64>, name: &str) -> Record {
    let mut r = Record::blank(&SPEC, app_department, owner);
    for (col, raw) in [
        ("full_name", name),
        ("email", "sales@acme.example, ceo@acme.example"),
        ("website", "acme.example"),
        ("was_in_touch", "2026-11-30"),
        ("massmail", "on"),
        ("description", "Line one\nLine two"),
    ] {
        let f = SPEC.fields.iter().find(|f| f.col == col).unwrap();
        r.set(&SPEC, col, f.parse(raw).unwrap());
    }
    r
}

#[tokio::test]
async fn a_company_round_trips_through_its_field_list_with_history_and_keys() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let mark_v = app.state_viewer(mark).await;
    let actor = Actor::from(&mark_v);
    let names = Names::default();

    let new = company(sales, Some(mark), "ACME, Inc.");
    let mut tx = app.db.begin().await.unwrap();
    let id = repo::insert(&mut tx, &SPEC, &new, &[("token", "tok-acme".into())], &actor, &names).await.unwrap();
    tx.commit().await.unwrap();

    let got = repo::get(&app.db, &SPEC, id).await.unwrap().expect("the company");
    assert_eq!(got.values, new.values, "every field reads back as written");
    assert_eq!((got.department_id, got.owner_id), (sales, Some(mark)));
    assert_eq!(got.get(&SPEC, "website"), &Val::Text("https://acme.example".into()));
    assert_eq!(got.get(&SPEC, "disqualified"), &Val::Bool(false));
    assert_eq!(got.get(&SPEC, "type_id"), &Val::Null);
    assert_eq!(app.field("companies", id, "name_key").await.as_deref(), Some("acmeinc"));

    // The shared object layer loads it: title, department, owner; Mark may edit, Eve (Export) may
    // not even see it.
    let it = ferrocrm::items::load_any(&app.db, ItemKind::Company, id).await.unwrap();
    assert_eq!((it.title.as_str(), it.department), ("ACME, Inc.", Some(sales)));
    assert!(it.can(&mark_v, Action::Edit));
    let eve = app.state_viewer(app.user_id("Eve.Manager.Export").await).await;
    assert!(!it.can(&eve, Action::View));

    // An edit writes the changed fields only, with their labels, and the keys follow the name.
    let mut after = got.clone();
    after.set(&SPEC, "full_name", Val::Text("Acme Corporation".into()));
    after.set(&SPEC, "disqualified", Val::Bool(true));
    let mut tx = app.db.begin().await.unwrap();
    let diff = repo::update(&mut tx, &SPEC, &got, &after, &actor, &names).await.unwrap();
    tx.commit().await.unwrap();
    let fields: Vec<(&str, &str, &str)> =
        diff.0.iter().map(|c| (c.field.as_str(), c.old.as_str(), c.new.as_str())).collect();
    assert_eq!(
        fields,
        [("Company name", "ACME, Inc.", "Acme Corporation"), ("Disqualified", "No", "Yes")],
        "only what changed, as people read it"
    );
    assert_eq!(app.field("companies", id, "name_key").await.as_deref(), Some("acmecorporation"));
    let entries: Vec<(String,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("action")
                .from("history")
                .and_where(Expr::col("object_type").eq("company"))
                .and_where(Expr::col("object_id").eq(id))
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(entries.iter().map(|(a,)| a.as_str()).collect::<Vec<_>>(), ["create", "update"]);

    // Saving it unchanged writes nothing.
    let mut tx = app.db.begin().await.unwrap();
    assert!(repo::update(&mut tx, &SPEC, &after, &after.clone(), &actor, &names).await.unwrap().is_empty());
    tx.commit().await.unwrap();
}
