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
    // The tag filter: the department's tags, not another department's; rows with the tag only.
    let offered = list.attrs("select[name=tag] option", "value");
    assert!(offered.contains(&vip.to_string()) && offered.contains(&key.to_string()), "{offered:?}");
    assert!(!offered.contains(&foreign.to_string()));
    assert_eq!(mark.get(&format!("/companies?tag={vip}")).await.count("#company-list tbody tr"), 1);
    assert_eq!(mark.get(&format!("/companies?tag={key}")).await.count("#company-list tbody tr"), 0);
    assert_eq!(mark.get(&format!("/companies?tag={foreign}")).await.count("#company-list tbody tr"), 0);
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

/// A row of `table` (all columns that matter to a test) as text: compared before and after a
/// refused request.
async fn output_row(app: &TestApp, id: i64) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for col in ["product_id", "quantity", "amount_cents", "currency_id", "product_is_shipped", "serial_number"] {
        out.push(app.field("outputs", id, col).await);
    }
    out
}

async fn currency_id(app: &TestApp, code: &str) -> i64 {
    app.db
        .scalar(Query::select().column("id").from("currencies").and_where(Expr::col("name").eq(code)))
        .await
        .unwrap()
        .unwrap()
}

async fn set(app: &TestApp, table: &'static str, id: i64, values: Vec<(&'static str, sea_query::SimpleExpr)>) {
    let mut q = Query::update();
    q.table(table).values(values).and_where(Expr::col("id").eq(id));
    app.db.execute(&q).await.unwrap();
}

/// A deal's line items from its page: the owner adds, changes and removes them (each in the deal's
/// history); bad values get messages; a colleague who may not change the deal, a chief and another
/// department's manager are refused and change nothing.
#[tokio::test]
async fn deal_line_items_are_added_changed_and_removed_by_whoever_may_change_the_deal() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales, export], &[Some(mark_id)], None).await;
    let of = |kind: &str, nth: usize| made.rows.iter().filter(|(k, _)| *k == kind).nth(nth).unwrap().1;
    let (deal, product, their_product) = (of("deal", 0), of("product", 0), of("product", 1));
    let usd = currency_id(&app, "USD").await;
    let (p, u) = (product.to_string(), usd.to_string());
    let product_name = app.field("products", product, "name").await.unwrap();
    let mark = app.login_as("Mark.Manager.Sales").await;
    let url = format!("/deals/{deal}");

    let page = mark.get(&url).await;
    assert_eq!(page.status, 200);
    assert!(page.text("#lines").contains("No line items yet."));
    assert!(page.exists(&format!("a[href='{url}/outputs/new']")));
    let form = mark.get(&format!("{url}/outputs/new")).await;
    assert_eq!(form.status, 200);
    assert_eq!(
        form.attrs("select[name=product_id] option", "value"),
        ["".to_string(), p.clone()],
        "his department's products"
    );

    // Refused with messages, nothing written: an amount without its currency, another
    // department's product, a quantity of nought.
    let no_currency = mark
        .post_form(&format!("{url}/outputs"), &[("product_id", &p), ("quantity", "2"), ("amount_cents", "10")])
        .await;
    assert_eq!(no_currency.status, 422);
    assert_eq!(no_currency.field_error("currency_id").as_deref(), Some("Choose the currency of the amount."));
    let foreign = mark
        .post_form(&format!("{url}/outputs"), &[("product_id", &their_product.to_string()), ("quantity", "1")])
        .await;
    assert_eq!(foreign.status, 422);
    assert!(foreign.field_error("product_id").is_some());
    let zero = mark.post_form(&format!("{url}/outputs"), &[("product_id", &p), ("quantity", "0")]).await;
    assert_eq!(zero.status, 422);
    assert!(zero.field_error("quantity").is_some());
    assert_eq!(app.count("outputs", Condition::all()).await, 0);

    let added = mark
        .post_form(
            &format!("{url}/outputs"),
            &[
                ("product_id", &p),
                ("quantity", "3"),
                ("amount_cents", "1,200.50"),
                ("currency_id", &u),
                ("shipping_date", "2026-12-20"),
                ("serial_number", "SN-1"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let line: i64 = app
        .db
        .scalar(Query::select().column("id").from("outputs").and_where(Expr::col("deal_id").eq(deal)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.field("outputs", line, "amount_cents").await.as_deref(), Some("120050"));
    let page = mark.get(&url).await;
    let row = page.text(&format!("#line-{line}"));
    assert!(row.contains(&product_name) && row.contains("1,200.50 USD") && row.contains("SN-1"), "{row}");
    let history = mark.get(&format!("{url}/history")).await;
    assert!(history.body.contains(&format!("Added the line item {product_name} × 3")), "the deal's history says so");

    // Refused: Helen (a manager of the department, not the deal's), Garry (a chief: he sees the
    // line items, no buttons), Eve (another department: the deal does not exist for her).
    let before = output_row(&app, line).await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let garry = app.login_as("Garry.Chief").await;
    let eve = app.login_as("Eve.Manager.Export").await;
    for (who, client, status) in [("Helen", &helen, 403), ("Garry", &garry, 403), ("Eve", &eve, 404)] {
        let change = client.post_form(&format!("{url}/outputs/{line}"), &[("product_id", &p), ("quantity", "9")]).await;
        assert_eq!(change.status, status, "{who} changes");
        let add = client.post_form(&format!("{url}/outputs"), &[("product_id", &p), ("quantity", "9")]).await;
        assert_eq!(add.status, status, "{who} adds");
        let remove = client.post_form(&format!("{url}/outputs/{line}/delete"), &[]).await;
        assert_eq!(remove.status, status, "{who} removes");
        assert_eq!(client.get(&format!("{url}/outputs/{line}/edit")).await.status, status, "{who}'s edit form");
    }
    assert_eq!(output_row(&app, line).await, before, "nothing changed");
    assert_eq!(app.count("outputs", Condition::all()).await, 1);
    let chiefs = garry.get(&url).await;
    assert!(chiefs.text(&format!("#line-{line}")).contains(&product_name), "a chief sees the line items");
    assert!(
        !chiefs.exists(&format!("a[href='{url}/outputs/new']"))
            && !chiefs.exists(&format!("form[action='{url}/outputs/{line}/delete']"))
    );

    // Changed: shipped, five of them; the edit form shows the stored values first.
    let edit = mark.get(&format!("{url}/outputs/{line}/edit")).await;
    assert_eq!(edit.attr("input[name=serial_number]", "value").as_deref(), Some("SN-1"));
    let changed = mark
        .post_form(
            &format!("{url}/outputs/{line}"),
            &[
                ("product_id", &p),
                ("quantity", "5"),
                ("amount_cents", "1200.50"),
                ("currency_id", &u),
                ("product_is_shipped", "on"),
                ("serial_number", "SN-1"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(app.field("outputs", line, "quantity").await.as_deref(), Some("5"));
    assert!(app.flag("outputs", line, "product_is_shipped").await);
    assert_eq!(app.field("outputs", line, "shipping_date").await, None, "the contract date left empty is cleared");

    // Removed, after the page asked to confirm.
    let page = mark.get(&url).await;
    assert!(page.attr(&format!("form[action='{url}/outputs/{line}/delete']"), "data-confirm").is_some());
    assert_eq!(mark.post_form(&format!("{url}/outputs/{line}/delete"), &[]).await.status, 303);
    assert_eq!(app.count("outputs", Condition::all()).await, 0);
    let history = mark.get(&format!("{url}/history")).await;
    assert!(history.body.contains(&format!("Removed the line item {product_name} × 5")));
}

/// The deal's page lists its payments with Paid (received, in the deal's currency) and Expected
/// (amount − paid), and a "Payment" button that opens the form with the deal chosen; an operator,
/// who does not work with payments, sees none of it.
#[tokio::test]
async fn the_deal_page_shows_its_payments_with_paid_and_expected() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let of = |kind: &str| made.rows.iter().find(|(k, _)| *k == kind).unwrap().1;
    let (deal, first_payment) = (of("deal"), of("payment"));
    let (usd, eur) = (currency_id(&app, "USD").await, currency_id(&app, "EUR").await);
    // The deal: 500.00 USD; payments: 100.00 received (the fixture's), 30.00 received, 50.00
    // guaranteed (not paid yet), 70.00 EUR received (another currency).
    set(&app, "deals", deal, vec![("amount_cents", 50_000i64.into()), ("currency_id", usd.into())]).await;
    set(&app, "payments", first_payment, vec![("currency_id", usd.into())]).await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let deal_s = deal.to_string();
    for (amount, currency, status) in [("30", usd, "received"), ("50", usd, "guaranteed"), ("70", eur, "received")] {
        let made = mark
            .post_form(
                "/payments",
                &[
                    ("deal_id", &deal_s),
                    ("amount_cents", amount),
                    ("currency_id", &currency.to_string()),
                    ("payment_date", "2026-11-30"),
                    ("status", status),
                ],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
    }

    let page = mark.get(&format!("/deals/{deal}")).await;
    assert_eq!(page.text("#deal-amount"), "500.00 USD");
    assert_eq!(page.text("#deal-paid"), "130.00 USD");
    assert_eq!(page.text("#deal-expected"), "370.00 USD");
    assert_eq!(page.count("#payments tbody tr"), 4);
    assert!(page.text("#payments").contains("another currency"), "the EUR payment is said to be left out");
    let add = page.attr("#payments a[href^='/payments/new']", "href").expect("a Payment button");
    let form = mark.get(&add).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.attr("input[type=hidden][name=deal_id]", "value"), Some(deal_s.clone()), "the deal is chosen");

    let olga = app.login_as("Olga.Operator.Sales").await;
    let hers = olga.get(&format!("/deals/{deal}")).await;
    assert_eq!(hers.status, 200);
    assert!(
        hers.exists("#lines") && !hers.exists("#payments") && !hers.exists("#deal-paid"),
        "no payments for an operator"
    );
    let garry = app.login_as("Garry.Chief").await;
    let chiefs = garry.get(&format!("/deals/{deal}")).await;
    assert_eq!(chiefs.text("#deal-paid"), "130.00 USD", "a chief reads payments");
    assert!(!chiefs.exists("#payments a[href^='/payments/new']"), "…and adds none");
}

/// Currencies and rates (§13.7): managers and accountants read them; accountants and
/// administrators add a currency and dated rates (the newest becomes the current rate; a bad value
/// gets a message and writes nothing); only administrators choose the state and the marketing
/// currency, never both on one; everyone else is refused and nothing changes.
#[tokio::test]
async fn currencies_and_dated_rates_follow_their_permissions() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let (usd, eur) = (currency_id(&app, "USD").await, currency_id(&app, "EUR").await);
    let anna = app.login_as("Anna.Accountant").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let adam = app.login_as("Adam.Admin").await;

    let list = anna.get("/currencies").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.text(&format!("#currency-{eur}")).contains("State currency"));
    assert!(list.text(&format!("#currency-{usd}")).contains("Marketing currency"));
    assert!(list.exists("form[action='/currencies']"), "an accountant adds currencies");
    let marks_list = mark.get("/currencies").await;
    assert_eq!(marks_list.status, 200);
    assert!(!marks_list.exists("form[action='/currencies']"), "a manager only reads");
    assert!(!mark.get(&format!("/currencies/{usd}")).await.exists(&format!("form[action='/currencies/{usd}/rates']")));
    for who in ["Olga.Operator.Sales", "Garry.Chief", "Carl.CoWorker"] {
        let c = app.login_as(who).await;
        assert_eq!(c.get("/currencies").await.status, 403, "{who}");
        assert_eq!(c.get(&format!("/currencies/{usd}")).await.status, 403, "{who}");
    }

    // Refused: a manager adding a rate, a bad rate, a bad date. Nothing is written.
    let rate =
        [("rate_date", "2026-12-01"), ("rate_to_state", "0.85"), ("rate_to_marketing", "1"), ("rate_type", "official")];
    assert_eq!(mark.post_form(&format!("/currencies/{usd}/rates"), &rate).await.status, 403);
    let bad = anna
        .post_form(
            &format!("/currencies/{usd}/rates"),
            &[
                ("rate_date", "01.12.2026"),
                ("rate_to_state", "-1"),
                ("rate_to_marketing", "1"),
                ("rate_type", "official"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.field_error("rate_to_state").is_some() && bad.field_error("rate_date").is_some());
    let to_itself = anna
        .post_form(
            &format!("/currencies/{usd}/rates"),
            &[
                ("rate_date", "2026-12-01"),
                ("rate_to_state", "0.85"),
                ("rate_to_marketing", "1.1"),
                ("rate_type", "official"),
            ],
        )
        .await;
    assert_eq!(to_itself.status, 422, "the marketing currency's rate to itself is 1");
    assert_eq!(app.count("currency_rates", Condition::all()).await, 0);
    assert_eq!(app.field("currencies", usd, "rate_to_state_e8").await.as_deref(), Some("83000000"));

    // Added by the accountant: dated, and the current rate; an older day does not change it.
    assert_eq!(anna.post_form(&format!("/currencies/{usd}/rates"), &rate).await.status, 303);
    assert_eq!(app.field("currencies", usd, "rate_to_state_e8").await.as_deref(), Some("85000000"));
    let older = [
        ("rate_date", "2026-11-01"),
        ("rate_to_state", "0.8"),
        ("rate_to_marketing", "1"),
        ("rate_type", "approximate"),
    ];
    assert_eq!(anna.post_form(&format!("/currencies/{usd}/rates"), &older).await.status, 303);
    assert_eq!(app.field("currencies", usd, "rate_to_state_e8").await.as_deref(), Some("85000000"));
    let page = mark.get(&format!("/currencies/{usd}")).await;
    assert_eq!(page.count("#rate-list tbody tr"), 2);
    assert!(page.texts("#rate-list tbody tr").first().unwrap().contains("2026-12-01"), "newest first");
    assert!(
        mark.get("/currencies").await.text(&format!("#currency-{usd}")).contains("2026-12-01"),
        "the list shows the latest"
    );
    // The same day again replaces it.
    let again =
        [("rate_date", "2026-12-01"), ("rate_to_state", "0.86"), ("rate_to_marketing", "1"), ("rate_type", "official")];
    assert_eq!(anna.post_form(&format!("/currencies/{usd}/rates"), &again).await.status, 303);
    assert_eq!(app.count("currency_rates", Condition::all()).await, 2);
    assert_eq!(app.field("currencies", usd, "rate_to_state_e8").await.as_deref(), Some("86000000"));
    assert_eq!(app.count("history", Condition::all().add(Expr::col("object_type").eq("currency"))).await, 3);

    // A new currency; the administrator makes it the state currency (EUR stops being it).
    assert_eq!(
        anna.post_form("/currencies", &[("name", "usd"), ("rate_to_state", "1"), ("rate_to_marketing", "1")])
            .await
            .status,
        422
    );
    let chf = anna
        .post_form("/currencies", &[("name", "chf"), ("rate_to_state", "1.07"), ("rate_to_marketing", "1.25")])
        .await;
    assert_eq!(chf.status, 303, "{}", chf.body);
    let chf = id_from(&chf.header("location").unwrap());
    assert_eq!(app.field("currencies", chf, "name").await.as_deref(), Some("CHF"));
    assert_eq!(anna.post_form(&format!("/currencies/{chf}/role"), &[("role", "state")]).await.status, 403);
    assert!(app.flag("currencies", eur, "is_state_currency").await);
    assert_eq!(
        adam.post_form(&format!("/currencies/{usd}/role"), &[("role", "state")]).await.status,
        409,
        "not both on one"
    );
    assert_eq!(adam.post_form(&format!("/currencies/{chf}/role"), &[("role", "state")]).await.status, 303);
    assert!(app.flag("currencies", chf, "is_state_currency").await);
    assert!(!app.flag("currencies", eur, "is_state_currency").await);
    assert!(app.flag("currencies", usd, "is_marketing_currency").await);
}

/// In Chromium: the deal page's Paid figure follows a payment saved elsewhere without reloading;
/// the company form's tag boxes and "new tags" box save, and the page shows the tags.
#[tokio::test]
async fn in_the_browser_the_deal_page_follows_payments_and_a_company_takes_tags() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;
    const WAIT: Duration = Duration::from_secs(5);

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark_id)], None).await;
    let of = |kind: &str| made.rows.iter().find(|(k, _)| *k == kind).unwrap().1;
    let (deal, product, payment) = (of("deal"), of("product"), of("payment"));
    let usd = currency_id(&app, "USD").await;
    set(&app, "deals", deal, vec![("amount_cents", 50_000i64.into()), ("currency_id", usd.into())]).await;
    set(&app, "payments", payment, vec![("currency_id", usd.into())]).await;
    let vip = tag(&app, sales, "VIP").await;
    tag(&app, sales, "Key account").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let line = mark
        .post_form(
            &format!("/deals/{deal}/outputs"),
            &[
                ("product_id", &product.to_string()),
                ("quantity", "2"),
                ("amount_cents", "250"),
                ("currency_id", &usd.to_string()),
                ("shipping_date", "2026-12-20"),
            ],
        )
        .await;
    assert_eq!(line.status, 303);

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    b.goto(&format!("{}/deals/{deal}", app.base)).await;
    b.wait_live().await;
    assert_eq!(b.text("#deal-paid").await.trim(), "100.00 USD");
    b.shot("deal-page.png").await;
    let paid = mark
        .post_form(
            "/payments",
            &[
                ("deal_id", &deal.to_string()),
                ("amount_cents", "30"),
                ("currency_id", &usd.to_string()),
                ("payment_date", "2026-12-01"),
                ("status", "received"),
            ],
        )
        .await;
    assert_eq!(paid.status, 303);
    b.wait_text("#deal-paid", WAIT, |t| t.contains("130.00 USD")).await;
    assert!(b.text("#deal-expected").await.contains("370.00 USD"));
    b.js("document.getElementById('lines').scrollIntoView(); return 1").await;
    b.shot("deal-page-paid.png").await;

    b.goto(&format!("{}/companies/new", app.base)).await;
    b.type_into("#f-full_name", "Fair Trade Ltd").await;
    b.type_into("#f-email", "office@fair.example").await;
    b.click(&format!("input[name='tags[]'][value='{vip}']")).await;
    b.type_into("#f-tags_new", "Exhibition 2026").await;
    b.js("document.getElementById('f-industries').scrollIntoView(); return 1").await;
    b.shot("company-form.png").await;
    b.js("document.getElementById('f-tags').scrollIntoView(); return 1").await;
    b.shot("company-form-tags.png").await;
    b.click("form.form button[type=submit]").await;
    b.wait_text("main h1", WAIT, |t| t == "Fair Trade Ltd").await;
    let tags = b.text(".kv .pills").await;
    assert!(tags.contains("VIP") && tags.contains("Exhibition 2026"), "{tags}");
    b.shot("company-page-tags.png").await;
    b.close().await;
}
