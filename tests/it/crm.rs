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

/// The company pages over HTTP, as each role meets them: who may list, create, see, change; the
/// form's messages; the default "mine" list of a manager; search by ID; nothing changes on a refusal.
#[tokio::test]
async fn companies_are_listed_created_and_edited_by_the_rules_of_each_role() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;

    let empty = mark.get("/companies").await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(empty.exists(".empty-state"), "an empty list says so");
    assert!(empty.exists("a[href='/companies/new']"));

    // The form: required fields and bad values get messages, and nothing is written.
    let form = mark.get("/companies/new").await;
    assert_eq!(form.status, 200);
    assert!(form.exists("input[name=full_name][required]") && form.exists("select[name=type_id]"));
    let bad = mark.post_form("/companies", &[("full_name", ""), ("email", "nope"), ("website", "javascript:x")]).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.field_error("full_name").as_deref(), Some("This field is required."));
    assert!(bad.field_error("email").unwrap_or_default().contains("\"nope\""));
    assert!(bad.field_error("website").is_some());
    assert_eq!(bad.attr("input[name=email]", "value").as_deref(), Some("nope"), "what was typed comes back");
    let foreign_type =
        mark.post_form("/companies", &[("full_name", "X"), ("email", "x@x.org"), ("type_id", "999999")]).await;
    assert_eq!(foreign_type.status, 422, "a dictionary row of no department of his is refused");
    assert_eq!(app.count("companies", sea_query::Condition::all()).await, 0);

    let made = mark
        .post_form(
            "/companies",
            &[("full_name", "Bolt & Nut Ltd"), ("email", "office@bolt.example"), ("massmail", "on")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let url = made.header("location").unwrap();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let page = mark.get(&url).await;
    assert_eq!(page.text("h1.page-title"), "Bolt & Nut Ltd");
    assert!(page.exists(&format!("a[href='/companies/{id}/edit']")));
    assert_eq!(app.field("companies", id, "department_id").await.as_deref(), Some(sales.to_string().as_str()));

    // Everyone in the department sees it; a manager's list shows his own by default.
    let helen = app.login_as("Helen.Head.Sales").await;
    assert_eq!(helen.get(&url).await.status, 200);
    assert_eq!(helen.get("/companies").await.count("#company-list tbody tr"), 0, "Helen's own: none");
    assert_eq!(helen.get("/companies?owner=all").await.count("#company-list tbody tr"), 1);
    assert!(!helen.get(&url).await.exists(&format!("a[href='/companies/{id}/edit']")), "not hers");
    assert_eq!(helen.post_form(&url, &[("full_name", "Hijacked"), ("email", "h@h.org")]).await.status, 403);
    assert_eq!(helen.get(&format!("/companies?owner=all&q=ID%20{id}")).await.count("#company-list tbody tr"), 1);
    assert_eq!(helen.get("/companies?owner=all&q=nut%20ltd").await.count("#company-list tbody tr"), 1);
    assert_eq!(helen.get("/companies?owner=all&q=zzz").await.count("#company-list tbody tr"), 0);

    // Another department's manager does not even learn it exists; a co-worker has no CRM at all.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get(&url).await.status, 404);
    assert_eq!(eve.get("/companies?owner=all").await.count("#company-list tbody tr"), 0);
    let carl = app.login_as("Carl.CoWorker").await;
    assert_eq!(carl.get("/companies").await.status, 403);
    assert!(!carl.get("/").await.exists("a[href='/companies']"), "no Sales menu for a co-worker");

    // A chief sees every department's companies, read-only.
    let garry = app.login_as("Garry.Chief").await;
    assert!(garry.get("/").await.exists("a[href='/companies']"));
    assert_eq!(garry.get("/companies").await.count("#company-list tbody tr"), 1, "a chief's list is everyone's");
    assert_eq!(garry.post_form(&url, &[("full_name", "Chief's"), ("email", "c@c.org")]).await.status, 403);
    assert_eq!(garry.get("/companies/new").await.status, 403);

    // The operator of the department may change it; the change is in its history.
    let olga = app.login_as("Olga.Operator.Sales").await;
    let saved = olga.post_form(&url, &[("full_name", "Bolt & Nut Ltd."), ("email", "office@bolt.example")]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(app.field("companies", id, "full_name").await.as_deref(), Some("Bolt & Nut Ltd."));
    let history = mark.get(&format!("{url}/history")).await;
    assert_eq!(history.status, 200);
    assert!(history.body.contains("Bolt &amp; Nut Ltd."), "the rename is in the history");
    assert!(history.body.contains("Mailing list recipient"), "unticking the box is recorded too");
}

/// In Chromium: a manager creates a company through the form (a validation error first) and lands
/// on its page with the whole shell; a colleague with the department's list open sees it appear
/// without reloading.
#[tokio::test]
async fn in_the_browser_a_new_company_shows_on_a_colleagues_open_list() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;
    const WAIT: Duration = Duration::from_secs(5);

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let (mark, helen) = Browser::pair().await;
    helen.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    helen.goto(&format!("{}/companies?owner=all", app.base)).await;
    helen.wait_live().await;
    assert!(helen.text("#company-list").await.contains("No companies"), "the list starts empty");

    mark.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    mark.goto(&format!("{}/companies", app.base)).await;
    mark.click("a[href='/companies/new']").await;
    mark.wait_text("main h1", WAIT, |t| t == "New company").await;
    mark.type_into("#f-full_name", "Quartz Optics").await;
    mark.type_into("#f-email", "sales@quartz").await;
    mark.click("form.form button[type=submit]").await;
    mark.wait_text("#f-email-error", WAIT, |t| t.contains("not an email address")).await;
    mark.shot("company-form-error.png").await;
    mark.type_into("#f-email", ".example").await;
    mark.click("form.form button[type=submit]").await;
    mark.wait_text("main h1", WAIT, |t| t == "Quartz Optics").await;
    let shell = mark
        .js("return [document.querySelectorAll('header.topbar').length, document.querySelectorAll('nav.sidebar').length, document.querySelectorAll('#chat').length]")
        .await;
    assert_eq!(shell, serde_json::json!([1, 1, 1]), "the company page has its shell and its chat");
    mark.shot("company-page.png").await;

    helen.wait_text("#company-list", WAIT, |t| t.contains("Quartz Optics")).await;
    helen.shot("company-list.png").await;
    mark.close().await;
    helen.close().await;
}

/// A contact person belongs to its company: it takes the company's department and owner, whoever
/// types it in; the company picker offers only companies the viewer may see, and the form refuses
/// any other id.
#[tokio::test]
async fn a_contact_takes_its_companys_owner_and_department_and_only_visible_companies_can_be_chosen() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let helen_id = app.user_id("Helen.Head.Sales").await;
    let made = crm::spread(&app, &[sales, export], &[Some(helen_id)], None).await;
    let companies: Vec<i64> = made.rows.iter().filter(|(k, _)| *k == "company").map(|(_, id)| *id).collect();
    let (ours, theirs) = (companies[0], companies[1]);
    let our_name = app.field("companies", ours, "full_name").await.unwrap();

    let mark = app.login_as("Mark.Manager.Sales").await;
    let offered = mark.get("/companies/pick?field=company_id&q=company").await;
    assert_eq!(offered.status, 200);
    let ids: Vec<String> = offered.attrs("li.picker-option", "data-id");
    assert_eq!(ids, [ours.to_string()], "only the company of his department is offered");

    let foreign = mark
        .post_form("/contacts", &[("first_name", "Ivan"), ("email", "ivan@x.org"), ("company_id", &theirs.to_string())])
        .await;
    assert_eq!(foreign.status, 422);
    assert!(foreign.field_error("company_id").is_some());
    let missing = mark.post_form("/contacts", &[("first_name", "Ivan"), ("email", "ivan@x.org")]).await;
    assert_eq!(missing.field_error("company_id").as_deref(), Some("This field is required."));

    let made = mark
        .post_form(
            "/contacts",
            &[
                ("first_name", "Ivan"),
                ("last_name", "Petrov"),
                ("email", "ivan@x.org"),
                ("company_id", &ours.to_string()),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let url = made.header("location").unwrap();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(app.field("contacts", id, "owner_id").await, Some(helen_id.to_string()), "the company's owner");
    assert_eq!(app.field("contacts", id, "department_id").await, Some(sales.to_string()));
    assert_eq!(app.field("contacts", id, "last_name_key").await.as_deref(), Some("petrov"));
    let page = mark.get(&url).await;
    assert_eq!(page.text("h1.page-title"), "Ivan Petrov");
    assert!(page.body.contains(&our_name), "the page names the company");
    // Helen owns it now; Mark, who typed it in, does not, so he may no longer change it.
    assert_eq!(
        mark.post_form(&url, &[("first_name", "X"), ("email", "x@x.org"), ("company_id", &ours.to_string())])
            .await
            .status,
        403
    );
    let helen = app.login_as("Helen.Head.Sales").await;
    let edit = helen.get(&format!("{url}/edit")).await;
    assert_eq!(
        edit.attr("input[type=hidden][name=company_id]", "value"),
        Some(ours.to_string()),
        "the chosen company is a chip"
    );
}

async fn id_of(app: &TestApp, table: &'static str, department: i64, name: &str) -> i64 {
    app.db
        .scalar(
            Query::select()
                .column("id")
                .from(table)
                .and_where(Expr::col("department_id").eq(department))
                .and_where(Expr::col("name").eq(name)),
        )
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{table} {name}"))
}

/// Deals through their pages, with the save rules of §12.6: the default stage, the move to the
/// second, the ticket, the owner's save taking the "new" mark off, closing (a success needs an
/// amount), and a chief who may change only his few fields.
#[tokio::test]
async fn a_deal_moves_through_its_stages_and_closes_by_the_rules() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let company = made.rows.iter().find(|(k, _)| *k == "company").unwrap().1.to_string();
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let mark = app.login_as("Mark.Manager.Sales").await;

    let bad = mark.post_form("/deals", &[("name", "Pumps"), ("next_step", ""), ("next_step_date", "2020-01-01")]).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.field_error("next_step").as_deref(), Some("This field is required."));
    let past =
        mark.post_form("/deals", &[("name", "Pumps"), ("next_step", "Call"), ("next_step_date", "2020-01-01")]).await;
    assert_eq!(past.field_error("next_step_date").as_deref(), Some("Date should not be in the past."));

    let made = mark
        .post_form(
            "/deals",
            &[("name", "Pumps"), ("next_step", "Call"), ("next_step_date", &tomorrow), ("company_id", &company)],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let url = made.header("location").unwrap();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let request = id_of(&app, "deal_stages", sales, "request").await;
    assert_eq!(app.field("deals", id, "stage_id").await, Some(request.to_string()), "the default stage");
    assert_eq!(app.field("deals", id, "ticket").await.map(|t| t.len()), Some(10));
    assert!(app.flag("deals", id, "is_new").await);
    let page = mark.get(&url).await;
    assert!(page.body.contains("request") && page.body.contains("Company "), "stage and company are named");

    // The owner saves it again: the second stage, and no longer new.
    let form = [
        ("name", "Pumps"),
        ("next_step", "Call"),
        ("next_step_date", tomorrow.as_str()),
        ("active", "on"),
        ("relevant", "on"),
    ];
    assert_eq!(mark.post_form(&url, &form).await.status, 303);
    let analysis = id_of(&app, "deal_stages", sales, "analysis of request").await;
    assert_eq!(app.field("deals", id, "stage_id").await, Some(analysis.to_string()));
    assert!(!app.flag("deals", id, "is_new").await);

    // Closing as a success needs an amount; with one, the deal is won and closed.
    let success = id_of(&app, "closing_reasons", sales, "The deal was closed successfully").await.to_string();
    let mut closing = form.to_vec();
    closing.push(("closing_reason_id", &success));
    let refused = mark.post_form(&url, &closing).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.field_error("amount_cents").as_deref(), Some("Specify the deal amount."));
    closing.push(("amount_cents", "1,500.00"));
    assert_eq!(mark.post_form(&url, &closing).await.status, 303);
    let won = id_of(&app, "deal_stages", sales, "closed (successful)").await;
    assert_eq!(app.field("deals", id, "stage_id").await, Some(won.to_string()));
    assert!(!app.flag("deals", id, "active").await);
    assert_eq!(app.field("deals", id, "amount_cents").await.as_deref(), Some("150000"));
    assert!(app.field("deals", id, "win_closing_date").await.is_some());

    // A chief changes what is his to change; the rest stays as the owner left it.
    let garry = app.login_as("Garry.Chief").await;
    let edit = garry.get(&format!("{url}/edit")).await;
    assert_eq!(edit.status, 200);
    assert!(edit.exists("input[name=important]") && !edit.exists("input[name=name]"), "only the chief's fields");
    let saved = garry
        .post_form(
            &url,
            &[
                ("name", "Renamed by the chief"),
                ("important", "on"),
                ("next_step", "Visit"),
                ("next_step_date", &tomorrow),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(app.field("deals", id, "name").await.as_deref(), Some("Pumps"));
    assert!(app.flag("deals", id, "important").await);
    assert_eq!(
        app.field("deals", id, "next_step").await.as_deref(),
        Some("Visit (Garry.Chief)"),
        "signed: not the owner"
    );
    assert_eq!(app.field("deals", id, "amount_cents").await.as_deref(), Some("150000"), "the amount stays");
}

/// In Chromium, two users on the deal board: a card dragged by one to another stage moves on the
/// other's screen in under a second, and the stage is saved with its log line; the keyboard path
/// (the card's Move form) does the same.
#[tokio::test]
async fn on_the_live_deal_board_a_card_dragged_by_one_user_moves_on_the_others_screen() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id), Some(mark_id)], None).await;
    let deals: Vec<i64> = made.rows.iter().filter(|(k, _)| *k == "deal").map(|(_, id)| *id).collect();
    let offer = id_of(&app, "deal_stages", sales, "price offer").await;
    let agreement = id_of(&app, "deal_stages", sales, "agreement").await;

    let (mark, helen) = Browser::pair().await;
    helen.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    helen.goto(&format!("{}/deals/board?owner=all", app.base)).await;
    helen.wait_live().await;
    let card = format!("#deal-card-{}", deals[0]);
    let in_column =
        |stage: i64| format!("return !!document.querySelector('.board-column[data-stage=\"{stage}\"] {card}')");
    assert_eq!(helen.js(&in_column(offer)).await, false, "not in 'price offer' yet");
    assert!(
        !helen.js(&format!("return document.querySelector('{card}').draggable")).await.as_bool().unwrap(),
        "Helen may not move Mark's deal"
    );

    mark.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    mark.goto(&format!("{}/deals/board", app.base)).await;
    mark.wait_live().await;
    mark.shot("deal-board-before.png").await;
    // A drag as the browser reports it: dragstart on the card, dragover and drop on the column.
    mark.js(&format!(
        "const card = document.querySelector('{card}'); const col = document.querySelector('.board-column[data-stage=\"{offer}\"]');\
         const dt = new DataTransfer();\
         card.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, dataTransfer: dt}}));\
         col.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: dt}}));\
         col.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: dt}}));\
         card.dispatchEvent(new DragEvent('dragend', {{bubbles: true, dataTransfer: dt}})); return true;"
    ))
    .await;
    let started = std::time::Instant::now();
    while helen.js(&in_column(offer)).await != true {
        assert!(started.elapsed() < Duration::from_secs(1), "the card did not move on Helen's board within a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.field("deals", deals[0], "stage_id").await, Some(offer.to_string()));
    assert!(app.field("deals", deals[0], "stages_dates").await.unwrap().contains("price offer"));
    helen.shot("deal-board.png").await;

    // The keyboard path: the card's own ▶ button (to the next stage).
    let other = format!("#deal-card-{}", deals[1]);
    let request = id_of(&app, "deal_stages", sales, "request").await;
    let analysis = id_of(&app, "deal_stages", sales, "analysis of request").await;
    assert_eq!(app.field("deals", deals[1], "stage_id").await, Some(request.to_string()), "it starts elsewhere");
    mark.click(&format!("{other} form.card-move button[value='{analysis}']")).await;
    let started = std::time::Instant::now();
    while helen
        .js(&format!("return !!document.querySelector('.board-column[data-stage=\"{analysis}\"] {other}')"))
        .await
        != true
    {
        assert!(started.elapsed() < Duration::from_secs(2), "the ▶ button's change did not reach Helen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.field("deals", deals[1], "stage_id").await, Some(analysis.to_string()));
    let _ = agreement;
    mark.close().await;
    helen.close().await;
}

/// Lead conversion (§13.4): refused until the lead has what a company and contact need; then a
/// company, a contact person and a deal, in one step, the lead's chat moved to the contact and the
/// lead gone. In Chromium the Convert button lands on the new deal's page.
#[tokio::test]
async fn a_lead_converted_through_its_page_lands_on_the_new_deals_page() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let made = mark
        .post_form("/leads", &[("first_name", "Olaf"), ("last_name", "Berg"), ("email", "olaf@berg.example")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let url = made.header("location").unwrap();
    let lead: i64 = url.rsplit('/').next().unwrap().parse().unwrap();

    // Without a company name and email it cannot be converted yet.
    let page = mark.get(&format!("{url}/convert")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("please fill in these fields") && page.body.contains("Company email"));
    let refused = mark
        .post_form(&format!("{url}/convert"), &[("name", "X"), ("next_step", "Y"), ("next_step_date", "2099-01-01")])
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(app.count("companies", sea_query::Condition::all()).await, 0, "nothing was made");

    let edit = [
        ("first_name", "Olaf"),
        ("last_name", "Berg"),
        ("email", "olaf@berg.example"),
        ("company_name", "Berg Maritime"),
        ("company_email", "info@berg.example"),
        ("company_phone", "+47 555 0100"),
    ];
    assert_eq!(mark.post_form(&url, &edit).await.status, 303);
    assert_eq!(mark.post_form(&format!("{url}/chat"), &[("body", "Met at the fair")]).await.status, 303);

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    b.goto(&format!("{}{url}", app.base)).await;
    b.click(&format!("a[href='{url}/convert']")).await;
    b.wait_text("main h1", Duration::from_secs(5), |t| t.starts_with("Convert the lead")).await;
    assert!(b.text("main").await.contains("a new company Berg Maritime"));
    b.click("form.form button[type=submit]").await;
    b.wait_text("main h1", Duration::from_secs(5), |t| t.contains("Berg Maritime")).await;
    let path = b.js("return location.pathname").await;
    let path = path.as_str().unwrap().to_string();
    assert!(path.starts_with("/deals/"), "landed on {path}");
    b.shot("lead-converted-deal.png").await;
    b.close().await;

    let deal: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    let company = app.field("deals", deal, "company_id").await.unwrap();
    let contact: i64 = app.field("deals", deal, "contact_id").await.unwrap().parse().unwrap();
    assert_eq!(app.field("companies", company.parse().unwrap(), "full_name").await.as_deref(), Some("Berg Maritime"));
    assert_eq!(app.field("companies", company.parse().unwrap(), "email").await.as_deref(), Some("info@berg.example"));
    assert_eq!(app.field("contacts", contact, "company_id").await, Some(company.clone()));
    assert_eq!(app.field("contacts", contact, "department_id").await, Some(sales.to_string()));
    assert_eq!(app.field("leads", lead, "id").await, None, "the lead is gone");
    let moved = app
        .count(
            "chat_messages",
            sea_query::Condition::all()
                .add(Expr::col("object_type").eq("contact"))
                .add(Expr::col("object_id").eq(contact)),
        )
        .await;
    assert_eq!(moved, 1, "the lead's chat went to the contact person");
    assert_eq!(mark.get(&url).await.status, 404);
}

/// Payments are their deal's (§3.3): the deal's owner adds and changes them, colleagues of the
/// department see them, accountants see and change every department's but add none; products are
/// the department's, with no owner.
#[tokio::test]
async fn payments_follow_their_deal_and_products_their_department() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let eve_id = app.user_id("Eve.Manager.Export").await;
    let made = crm::spread(&app, &[sales, export], &[Some(mark_id)], None).await;
    let deals: Vec<i64> = made.rows.iter().filter(|(k, _)| *k == "deal").map(|(_, id)| *id).collect();
    let (ours, theirs) = (deals[0].to_string(), deals[1].to_string());
    let currency: i64 = app.db.scalar(Query::select().column("id").from("currencies").limit(1)).await.unwrap().unwrap();
    let currency = currency.to_string();
    let _ = eve_id;

    let mark = app.login_as("Mark.Manager.Sales").await;
    let form = |deal: &str| {
        vec![
            ("deal_id", deal.to_string()),
            ("amount_cents", "250.00".to_string()),
            ("currency_id", currency.clone()),
            ("payment_date", "2026-12-01".to_string()),
            ("status", "received".to_string()),
        ]
    };
    async fn post(
        c: &crate::helpers::client::TestClient,
        path: String,
        f: Vec<(&'static str, String)>,
    ) -> crate::helpers::html::Page {
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post_form(&path, &refs).await
    }
    let made = post(&mark, "/payments".into(), form(&ours)).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let url = made.header("location").unwrap();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(app.field("payments", id, "amount_cents").await.as_deref(), Some("25000"));
    let refused = post(&mark, "/payments".into(), form(&theirs)).await;
    assert_eq!(refused.status, 422, "another department's deal is not offered");
    assert!(refused.field_error("deal_id").is_some());

    // Helen, same department, not the deal's owner: sees it, may not add or change.
    let helen = app.login_as("Helen.Head.Sales").await;
    assert_eq!(helen.get(&url).await.status, 200);
    let hers = post(&helen, "/payments".into(), form(&ours)).await;
    assert_eq!(hers.status, 422);
    assert_eq!(hers.field_error("deal_id").as_deref(), Some("You may not add payments there."));
    assert_eq!(post(&helen, url.clone(), form(&ours)).await.status, 403);

    // The accountant: every department's payments, may change them, may not add.
    let anna = app.login_as("Anna.Accountant").await;
    assert_eq!(
        anna.get("/payments").await.count("#payment-list tbody tr"),
        3,
        "both departments' (two from the fixture)"
    );
    assert_eq!(anna.get("/payments/new").await.status, 403);
    let mut changed = form(&ours);
    changed[1].1 = "300.00".into();
    assert_eq!(post(&anna, url.clone(), changed).await.status, 303);
    assert_eq!(app.field("payments", id, "amount_cents").await.as_deref(), Some("30000"));
    assert_eq!(anna.get("/companies").await.status, 403, "no companies for an accountant");
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get(&url).await.status, 404);

    // Products: the department's; no owner filter hides them from a colleague.
    let p = mark.post_form("/products", &[("name", "Valve DN50"), ("kind", "goods"), ("price_cents", "12.50")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let list = helen.get("/products").await;
    assert_eq!(
        list.count("#product-list tbody tr"),
        2,
        "the department's products (one from the fixture), whoever added them"
    );
    assert!(list.body.contains("Valve DN50"));
    assert!(!list.exists("select[name=owner]"));
    let theirs = eve.get("/products").await;
    assert_eq!(theirs.count("#product-list tbody tr"), 1, "Export's own product only");
    assert!(!theirs.body.contains("Valve DN50"));
}

/// The export of a list (§9.1): the list's filters hold, the original's columns come in order,
/// references are names, and no cell is ever a formula, whatever a user typed.
#[tokio::test]
async fn a_list_exports_to_excel_with_its_filters_and_no_cell_is_a_formula() {
    use std::io::Read;

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let hostile =
        ["=HYPERLINK(\"http://evil.example\",\"Click\")", "+1+2", "-3+4", "@SUM(A1:A2)", "\tTabbed", "Plain & simple"];
    for name in hostile {
        let p =
            mark.post_form("/companies", &[("full_name", name), ("email", "x@x.org"), ("description", "=1+1")]).await;
        assert_eq!(p.status, 303, "{name}: {}", p.body);
    }
    let helen = app.login_as("Helen.Head.Sales").await;
    assert_eq!(helen.post_form("/companies", &[("full_name", "Helen's own"), ("email", "h@x.org")]).await.status, 303);

    let list = mark.get("/companies").await;
    let link = list.attr("a[href^='/companies/export']", "href").expect("an export link");
    let (status, headers, bytes) = mark.get_bytes(&link).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().contains("spreadsheetml"));
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"Companies_Mark.Manager.Sales_")
    );

    let table = ferrocrm::excel::read_sheet(&bytes, &Default::default()).unwrap();
    assert_eq!(table.headers[..4], ["full_name", "website", "phone", "city_name"]);
    assert!(table.headers.contains(&"owner".to_string()) && table.headers.contains(&"department".to_string()));
    let names: Vec<String> = table.rows.iter().map(|r| r.get(0).to_text()).collect();
    assert_eq!(names, hostile.map(|h| h.trim().to_string()), "Mark's own, in order; not Helen's (the list's filter)");
    for r in &table.rows {
        for (i, v) in r.cells.iter().enumerate() {
            if let ferrocrm::excel::Value::Text(t) = v {
                assert!(!t.is_empty(), "row {} column {i}", r.number);
            }
        }
    }
    let owner = table.headers.iter().position(|h| h == "owner").unwrap();
    assert_eq!(table.rows[0].get(owner).to_text(), "Mark.Manager.Sales");
    let department = table.headers.iter().position(|h| h == "department").unwrap();
    assert_eq!(table.rows[0].get(department).to_text(), "Sales");

    // No cell of the sheet is a formula: the sheet's XML has no <f> element at all.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut xml).unwrap();
    assert!(!xml.contains("<f>") && !xml.contains("<f "), "a formula cell in the export");
    assert!(xml.contains("HYPERLINK") || zip.by_name("xl/sharedStrings.xml").is_ok(), "the text is there, as text");

    // Everyone's: both; another department's manager gets none of them.
    let (_, _, all) = mark.get_bytes("/companies/export?owner=all").await;
    assert_eq!(ferrocrm::excel::read_sheet(&all, &Default::default()).unwrap().rows.len(), 7);
    let eve = app.login_as("Eve.Manager.Export").await;
    let (_, _, none) = eve.get_bytes("/companies/export?owner=all").await;
    assert_eq!(ferrocrm::excel::read_sheet(&none, &Default::default()).unwrap().rows.len(), 0);
}

/// The menu's counters (§3.4): a user's active tasks and deals with the overdue part in red, the
/// memos waiting for them; filled after the page loads and again, live, when one of them changes.
#[tokio::test]
async fn the_menu_counts_tasks_memos_and_deals_and_follows_changes_live() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id), Some(mark_id)], None).await;
    // One of his two deals is overdue.
    let deal = made.rows.iter().find(|(k, _)| *k == "deal").unwrap().1;
    app.db
        .execute(
            Query::update()
                .table("deals")
                .value("next_step_date", chrono::Utc::now().date_naive() - chrono::Days::new(3))
                .and_where(Expr::col("id").eq(deal)),
        )
        .await
        .unwrap();
    let mark = app.login_as("Mark.Manager.Sales").await;
    let counts = mark.hx_get("/nav/counts").await;
    assert_eq!(counts.status, 200);
    assert_eq!(counts.texts("#nav-count-deals .badge"), ["1", "2"], "overdue in red, then all");
    assert!(counts.exists("#nav-count-deals .badge-danger"));
    assert_eq!(counts.texts("#nav-count-tasks .badge"), Vec::<String>::new(), "no tasks yet");
    let carl = app.login_as("Carl.CoWorker").await;
    assert!(!carl.hx_get("/nav/counts").await.exists("#nav-count-deals"), "no Deals entry, no deals counter");

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    b.goto(&format!("{}/companies", app.base)).await;
    b.wait_text("#nav-count-deals", Duration::from_secs(5), |t| t.contains('2')).await;
    // Helen gives Mark a task: his Tasks counter shows it without a reload.
    let helen = app.login_as("Helen.Head.Sales").await;
    crate::helpers::items::task(&app, &helen, "Call the plant", &["Mark.Manager.Sales"], &[], &[]).await;
    b.wait_text("#nav-count-tasks", Duration::from_secs(5), |t| t.trim() == "1").await;
    b.shot("menu-counters.png").await;
    b.close().await;
}

/// A company its deals still point at cannot be deleted: a clear 409, and nothing is gone; without
/// deals it goes, with its contact persons.
#[tokio::test]
async fn a_company_with_deals_is_not_deleted_and_the_answer_says_why() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let company = made.rows.iter().find(|(k, _)| *k == "company").unwrap().1;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let refused = mark.post_form(&format!("/companies/{company}/delete"), &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("cannot be deleted while other records refer to it"));
    assert_eq!(app.field("companies", company, "id").await, Some(company.to_string()), "still there");

    let lone = mark.post_form("/companies", &[("full_name", "Lone Ltd"), ("email", "l@l.org")]).await;
    let url = lone.header("location").unwrap();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(mark.post_form(&format!("{url}/delete"), &[]).await.status, 303);
    assert_eq!(app.field("companies", id, "id").await, None);
}

/// A department that still holds sales records is not deleted: a clear 409, and it stays.
#[tokio::test]
async fn a_department_with_sales_records_is_not_deleted() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    crm::spread(&app, &[sales], &[None], None).await;
    let admin = app.login_as("Adam.Admin").await;
    let refused = admin.post_form(&format!("/admin/departments/{sales}/delete"), &[]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("still holds companies, deals or other sales records"));
    assert_eq!(app.field("departments", sales, "id").await, Some(sales.to_string()));
}
