//! The deal list of §12.1–12.4 (sort toggle, filters, columns, marks, the counterparty's counter,
//! the bold next step) and memos and tasks made from a deal, on both backends.

use sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};

use crate::helpers::app::Options;
use crate::helpers::html::Page;
use crate::helpers::{TestApp, crm};

async fn insert(app: &TestApp, table: &str, cols: &[(&str, SimpleExpr)]) -> i64 {
    let mut q = Query::insert();
    q.into_table(Alias::new(table))
        .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(cols.iter().map(|(_, v)| v.clone()))
        .returning_col(Alias::new("id"));
    let mut tx = app.db.begin().await.unwrap();
    let id: i64 = tx.scalar(&q).await.unwrap().expect("id");
    tx.commit().await.unwrap();
    id
}

async fn one(app: &TestApp, table: &str, department: i64, cond: SimpleExpr) -> i64 {
    app.db
        .scalar(
            Query::select()
                .column("id")
                .from(Alias::new(table))
                .and_where(Expr::col("department_id").eq(department))
                .and_where(cond)
                .limit(1),
        )
        .await
        .unwrap()
        .expect(table)
}

/// The deals' ids on a list page, in order.
fn ids(p: &Page) -> Vec<i64> {
    assert_eq!(p.status, 200, "{}", p.body);
    p.attrs("#deal-list tbody tr", "id").iter().map(|i| i.trim_start_matches("deal-").parse().unwrap()).collect()
}

/// The tooltips of a row's marks (each also its accessible name).
fn marks(p: &Page, deal: i64) -> Vec<String> {
    let titles = p.attrs(&format!("#deal-{deal} .deal-mark"), "title");
    let labels = p.attrs(&format!("#deal-{deal} .deal-mark"), "aria-label");
    assert_eq!(titles, labels, "every mark's tooltip is its accessible name too");
    titles
}

struct Fixture {
    d: [i64; 5],
    company1: i64,
    lead: i64,
    product: i64,
    success_stage: i64,
    lost_reason: i64,
}

/// Five deals of Mark's in Sales, oldest first:
/// 1 Alpha: company 1, important, next step in 5 days, created in January, paid, no products;
/// 2 Bravo: company 1, new to its owner, next step yesterday (overdue), a late shipment;
/// 3 Charlie: the lead, irrelevant and closed with a lost reason;
/// 4 Delta: company 1, closed successfully at the success stage;
/// 5 Echo: company 2, a partner, last changed by a chief, paid, a product without shipping date.
async fn fixture(app: &TestApp, sales: i64, mark: i64, garry: i64) -> Fixture {
    let now = ferrocrm::db::now();
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| today + chrono::Duration::days(n);
    let currency: i64 = app.db.scalar(Query::select().column("id").from("currencies").limit(1)).await.unwrap().unwrap();
    let default_stage = one(app, "deal_stages", sales, Expr::col("is_default").eq(true)).await;
    let success_stage = one(app, "deal_stages", sales, Expr::col("success_stage").eq(true)).await;
    let success_reason = one(app, "closing_reasons", sales, Expr::col("success_reason").eq(true)).await;
    let lost_reason = one(app, "closing_reasons", sales, Expr::col("success_reason").eq(false)).await;
    let scoped = |mut v: Vec<(&'static str, SimpleExpr)>| {
        v.extend([
            ("department_id", sales.into()),
            ("owner_id", mark.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ]);
        v
    };
    let company = |n: &'static str| {
        scoped(vec![
            ("full_name", n.into()),
            ("name_key", ferrocrm::text::match_key(n).into()),
            ("email", "x@example.com".into()),
            ("token", format!("tok-{n}").into()),
        ])
    };
    let company1 = insert(app, "companies", &company("Acme Pumps")).await;
    let company2 = insert(app, "companies", &company("Bolt Valves")).await;
    let lead = insert(
        app,
        "leads",
        &scoped(vec![
            ("first_name", "Lena".into()),
            ("last_name", "Lead".into()),
            ("first_name_key", "lena".into()),
            ("last_name_key", "lead".into()),
            ("email", "lena@example.com".into()),
            ("token", "tok-lena".into()),
        ]),
    )
    .await;
    let partner = insert(
        app,
        "contacts",
        &scoped(vec![
            ("company_id", company2.into()),
            ("first_name", "Pete".into()),
            ("last_name", "Partner".into()),
            ("first_name_key", "pete".into()),
            ("last_name_key", "partner".into()),
            ("email", "pete@example.com".into()),
            ("token", "tok-pete".into()),
        ]),
    )
    .await;
    let product = insert(app, "products", &scoped(vec![("name", "Pump P-100".into())])).await;
    let mut n = 0;
    let mut deal = |name: &'static str, step: chrono::NaiveDate, extra: Vec<(&'static str, SimpleExpr)>| {
        n += 1;
        let mut cols = scoped(vec![
            ("name", name.into()),
            ("next_step", format!("Call about {name}").into()),
            ("next_step_date", step.into()),
            ("ticket", format!("TK{n:08}").into()),
            ("is_new", false.into()),
        ]);
        cols.extend(extra);
        // A column given twice: the later value wins.
        let mut seen = std::collections::HashMap::new();
        for (c, v) in cols {
            seen.insert(c, v);
        }
        seen.into_iter().collect::<Vec<_>>()
    };
    let january = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap().and_hms_opt(9, 0, 0).unwrap().and_utc();
    let alpha = deal(
        "Alpha",
        day(5),
        vec![
            ("company_id", company1.into()),
            ("important", true.into()),
            ("stage_id", default_stage.into()),
            ("created_at", january.into()),
        ],
    );
    let alpha = insert(app, "deals", &alpha).await;
    let bravo = deal(
        "Bravo",
        day(-1),
        vec![("company_id", company1.into()), ("is_new", true.into()), ("stage_id", default_stage.into())],
    );
    let bravo = insert(app, "deals", &bravo).await;
    let charlie = deal(
        "Charlie",
        day(1),
        vec![
            ("lead_id", lead.into()),
            ("relevant", false.into()),
            ("active", false.into()),
            ("closing_reason_id", lost_reason.into()),
            ("stage_id", default_stage.into()),
        ],
    );
    let charlie = insert(app, "deals", &charlie).await;
    let delta = deal(
        "Delta",
        day(3),
        vec![
            ("company_id", company1.into()),
            ("active", false.into()),
            ("closing_reason_id", success_reason.into()),
            ("stage_id", success_stage.into()),
            ("amount_cents", 100_000i64.into()),
        ],
    );
    let delta = insert(app, "deals", &delta).await;
    let echo = deal(
        "Echo",
        day(2),
        vec![
            ("company_id", company2.into()),
            ("partner_contact_id", partner.into()),
            ("modified_by_id", garry.into()),
            ("stage_id", default_stage.into()),
        ],
    );
    let echo = insert(app, "deals", &echo).await;
    let payment = |deal: i64, status: &'static str| {
        vec![
            ("deal_id", deal.into()),
            ("amount_cents", 5_000i64.into()),
            ("currency_id", currency.into()),
            ("payment_date", today.into()),
            ("status", status.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ]
    };
    insert(app, "payments", &payment(alpha, "received")).await;
    insert(app, "payments", &payment(echo, "received")).await;
    insert(app, "payments", &payment(bravo, "guaranteed")).await;
    let output = |deal: i64, shipping: Option<chrono::NaiveDate>| {
        vec![
            ("deal_id", deal.into()),
            ("product_id", product.into()),
            ("shipping_date", shipping.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ]
    };
    insert(app, "outputs", &output(echo, None)).await;
    insert(app, "outputs", &output(bravo, Some(day(-3)))).await;
    // The rows above were written straight into the tables: index them for word searches (§10).
    ferrocrm::crm::search::rebuild(&app.db).await.unwrap();
    Fixture { d: [alpha, bravo, charlie, delta, echo], company1, lead, product, success_stage, lost_reason }
}

/// The list newest first or by next step date; each filter of §12.4; the columns of §12.2; the
/// marks of §12.3 with their tooltips; the counterparty's counter; the export link keeps the filters.
#[tokio::test]
async fn the_deal_list_sorts_filters_and_marks_its_rows() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let (mark_id, garry_id) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Garry.Chief").await);
    let x = fixture(&app, sales, mark_id, garry_id).await;
    let [alpha, bravo, charlie, delta, echo] = x.d;
    let mark = app.login_as("Mark.Manager.Sales").await;

    // Active deals by default, newest first; the toggle orders them by next step date.
    let list = mark.get("/deals").await;
    assert_eq!(ids(&list), [echo, bravo, alpha]);
    let toggle = list.attr("a[aria-label='Sort by next step date']", "href").expect("the sort toggle");
    assert_eq!(toggle, "/deals?sort=step");
    let by_step = mark.get(&toggle).await;
    assert_eq!(ids(&by_step), [bravo, echo, alpha], "overdue first, then the nearest");
    assert_eq!(by_step.attr("a[aria-label='Sort by creation date']", "href").as_deref(), Some("/deals"));
    // The order is kept by the filters' links: paging, the form.
    assert!(by_step.exists("form.deal-filters input[type=hidden][name=sort][value=step]"));
    assert_eq!(ids(&mark.get("/deals?sort=step&active=all").await), [bravo, charlie, echo, delta, alpha]);

    // Active, important, stage, closing reason (both show closed deals), successful deals.
    assert_eq!(ids(&mark.get("/deals?active=no").await), [delta, charlie]);
    assert_eq!(ids(&mark.get("/deals?active=all").await), [echo, delta, charlie, bravo, alpha]);
    assert_eq!(ids(&mark.get("/deals?important=yes").await), [alpha]);
    assert_eq!(ids(&mark.get(&format!("/deals?stage={}", x.success_stage)).await), [delta]);
    assert_eq!(ids(&mark.get(&format!("/deals?stage={}&active=yes", x.success_stage)).await), [delta]);
    assert_eq!(ids(&mark.get(&format!("/deals?reason={}", x.lost_reason)).await), [charlie]);
    let successful = mark.get("/deals?success=yes").await;
    assert_eq!(ids(&successful), [delta]);
    assert_eq!(list.attr("a[title^='Deals closed with']", "href").as_deref(), Some("/deals?success=yes"));
    // Product, partner, changed by chiefs, relevant, creation date.
    assert_eq!(ids(&mark.get(&format!("/deals?product={}", x.product)).await), [echo, bravo]);
    assert_eq!(ids(&mark.get("/deals?partner=yes").await), [echo]);
    assert_eq!(ids(&mark.get("/deals?partner=no").await), [bravo, alpha]);
    assert_eq!(ids(&mark.get("/deals?chiefs=yes").await), [echo]);
    assert_eq!(ids(&mark.get("/deals?relevant=no&active=all").await), [charlie]);
    assert_eq!(ids(&mark.get("/deals?date=custom&date_before=2026-02-01&active=all").await), [alpha]);
    assert_eq!(ids(&mark.get("/deals?date=custom&date_from=2026-02-01").await), [echo, bravo]);
    // Creation dates are the viewer's days: Alpha (2026-01-10 09:00 UTC) was made on the 9th
    // in Pago Pago (UTC−11), and on the 10th in UTC.
    assert!(ids(&mark.get("/deals?date=custom&date_before=2026-01-10&active=all").await).is_empty());
    app.db
        .execute(
            Query::update()
                .table("users")
                .value("time_zone", "Pacific/Pago_Pago")
                .and_where(Expr::col("username").eq("Mark.Manager.Sales")),
        )
        .await
        .unwrap();
    assert_eq!(ids(&mark.get("/deals?date=custom&date_before=2026-01-10&active=all").await), [alpha]);
    assert!(!ids(&mark.get("/deals?date=custom&date_from=2026-01-10&active=all").await).contains(&alpha));
    app.db
        .execute(
            Query::update()
                .table("users")
                .value("time_zone", "UTC")
                .and_where(Expr::col("username").eq("Mark.Manager.Sales")),
        )
        .await
        .unwrap();
    // An object picker still offers closed deals (a payment may be for one).
    assert!(mark.get("/deals/pick?q=Delta").await.body.contains("Delta"));
    // Nonsense values filter nothing rather than failing.
    assert_eq!(ids(&mark.get("/deals?stage=x&product=%27").await), [echo, bravo, alpha]);
    // A bad creation date is explained (422), not ignored.
    let bad = mark.get("/deals?date=custom&date_from=never").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text("#deal-list .flash").contains("YYYY-MM-DD"), "{}", bad.body);
    assert_eq!(bad.count("#deal-list tbody tr"), 0);
    // "Today": the deals made now, not Alpha (made on 2026-01-10).
    let today = ids(&mark.get("/deals?date=today&active=all").await);
    assert!(today.contains(&echo) && !today.contains(&alpha), "{today:?}");
    // Another manager's view: none of Mark's deals in his department list (Eve is in Export).
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(ids(&eve.get("/deals?owner=all&active=all").await), Vec::<i64>::new());

    // Columns: important deals marked, irrelevant ones greyed and said so, the next step bold
    // while new, an overdue next step red (active deals only), the counterparty links to its
    // deals (active and closed) with its counter.
    let all = mark.get("/deals?active=all").await;
    assert_eq!(all.attr(&format!("#deal-{alpha} td.name mark"), "title").as_deref(), Some("Important deal"));
    assert!(!all.exists(&format!("#deal-{bravo} td.name mark")));
    assert!(all.text(&format!("#deal-{charlie} td.name")).starts_with("(Irrelevant) Charlie"));
    assert!(all.exists(&format!("tr#deal-{charlie}.irrelevant")));
    assert_eq!(all.text(&format!("#deal-{bravo} strong.step-new")), "Call about Bravo");
    assert!(!all.exists(&format!("#deal-{alpha} strong.step-new")));
    assert!(all.exists(&format!("#deal-{bravo} time.overdue")));
    assert!(!all.exists(&format!("#deal-{alpha} time.overdue")));
    let company_link = format!("/deals?company={}&active=all", x.company1);
    assert_eq!(
        all.attr(&format!("#deal-{alpha} a[href='{company_link}']"), "href").as_deref(),
        Some(company_link.as_str())
    );
    assert_eq!(all.text(&format!("#deal-{alpha} .deal-counter")), "(3)");
    assert_eq!(all.text(&format!("#deal-{echo} .deal-counter")), "(1)");
    assert_eq!(all.text(&format!("#deal-{charlie} .deal-counter")), "(1)", "a lead's deals are counted too");
    assert!(all.exists(&format!("#deal-{charlie} a[href='/deals?lead={}&active=all']", x.lead)));
    // A counterparty's deals: active and closed by default, no counter.
    let of_company = mark.get(&company_link).await;
    assert_eq!(ids(&of_company), [delta, bravo, alpha]);
    assert_eq!(ids(&mark.get(&format!("/deals?company={}", x.company1)).await), [delta, bravo, alpha]);
    assert!(!of_company.exists(".deal-counter"));
    // The person column: hidden on a manager's own list, there when an owner is chosen.
    assert!(!list.texts("#deal-list th").iter().any(|t| t == "Person"));
    let everyone = mark.get("/deals?owner=all").await;
    assert!(everyone.texts("#deal-list th").iter().any(|t| t == "Person"));
    assert!(everyone.text(&format!("#deal-{alpha} .person")).contains("Mark"));

    // Marks, with their tooltips.
    assert_eq!(marks(&all, alpha), ["Payment received", "Specify products"]);
    assert_eq!(marks(&all, echo), ["Payment received", "Specify the date of shipment"]);
    assert_eq!(marks(&all, bravo), ["Expired shipment date"], "a guaranteed payment is no received one");
    assert!(marks(&all, delta).is_empty() && marks(&all, charlie).is_empty());
    // An unread chat message: Helen writes in Bravo; Mark (its owner) sees the mark, Helen not.
    let helen = app.login_as("Helen.Head.Sales").await;
    assert_eq!(helen.post_form(&format!("/deals/{bravo}/chat"), &[("body", "Any news?")]).await.status, 303);
    let after_chat = mark.get("/deals").await;
    assert_eq!(marks(&after_chat, bravo), ["Unread chat message", "Expired shipment date"]);
    assert!(marks(&helen.get("/deals?owner=all").await, bravo).iter().all(|m| m != "Unread chat message"));

    // The export link keeps the filters.
    let filtered = mark.get("/deals?important=yes&sort=step").await;
    let export = filtered.attr("a[download]", "href").expect("the export link");
    assert!(export.starts_with("/deals/export?") && export.contains("important=yes"), "{export}");
    let (status, _, bytes) = mark.get_bytes(&export).await;
    assert_eq!(status, 200);
    assert!(!bytes.is_empty());

    // The htmx fragment (a live refresh) is the list alone, with its filters in its URL.
    let fragment = mark.hx_get("/deals?important=yes").await;
    assert!(fragment.is_fragment());
    assert_eq!(ids(&fragment), [alpha]);
    assert_eq!(fragment.attr("#deal-list", "data-live").as_deref(), Some("/deals?important=yes"));
}

/// §12.2: the next step is bold while the deal is new to its owner; a chief's save leaves it so,
/// the owner's save takes it off.
#[tokio::test]
async fn a_new_deals_next_step_is_bold_until_its_owner_saves_it() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let (mark_id, garry_id) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Garry.Chief").await);
    let x = fixture(&app, sales, mark_id, garry_id).await;
    let bravo = x.d[1];
    let mark = app.login_as("Mark.Manager.Sales").await;
    let url = format!("/deals/{bravo}");
    let bold = |p: &Page| p.exists(&format!("#deal-{bravo} strong.step-new"));
    assert!(bold(&mark.get("/deals").await));

    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let garry = app.login_as("Garry.Chief").await;
    let saved =
        garry.post_form(&url, &[("important", "on"), ("next_step", "Visit"), ("next_step_date", &tomorrow)]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(bold(&mark.get("/deals").await), "a chief's save is not the owner's");

    let form = [
        ("name", "Bravo"),
        ("next_step", "Send the offer"),
        ("next_step_date", tomorrow.as_str()),
        ("active", "on"),
        ("relevant", "on"),
    ];
    let saved = mark.post_form(&url, &form).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list = mark.get("/deals").await;
    assert!(!bold(&list), "the owner saved it");
    assert!(list.text(&format!("#deal-{bravo}")).contains("Send the offer"));
}

/// §12.5 and the Tasks section: from a deal's page a manager makes a memo or a task linked to the
/// deal; its page shows "View deal" (to those who may view the deal); the deal page lists the
/// memos and tasks each viewer may see; a deal one may not see cannot be linked.
#[tokio::test]
async fn memos_and_tasks_made_from_a_deal_link_back_to_it_and_are_listed_on_its_page() {
    use crate::helpers::items::create;
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let (mark_id, garry_id) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Garry.Chief").await);
    let x = fixture(&app, sales, mark_id, garry_id).await;
    let alpha = x.d[0];
    let deal_url = format!("/deals/{alpha}");
    let work = format!("#deal-{alpha}-work");
    let (helen_id, eve_id) = (app.uid("Helen.Head.Sales").await, app.uid("Eve.Manager.Export").await);
    let mark = app.login_as("Mark.Manager.Sales").await;

    let page = mark.get(&deal_url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.text(&format!("{work} p.muted")), "No memos or tasks about this deal yet.");
    assert!(page.exists(&format!("{work} a[href='/memos/new?deal={alpha}']")), "Office memo +");
    assert!(page.exists(&format!("{work} a[href='/tasks/new?deal={alpha}']")), "Task +");
    assert_eq!(page.attr(&work, "data-live").as_deref(), Some(format!("/deals/{alpha}/work").as_str()));

    // The memo form carries the deal; the memo made from it shows "View deal".
    let form = mark.get(&format!("/memos/new?deal={alpha}")).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.attr("input[name=deal_id]", "value"), Some(alpha.to_string()));
    let memo = create(
        &mark,
        "/memos",
        &[
            ("name", "Discount for Alpha?"),
            ("recipient_id", &helen_id),
            ("subscribers", &eve_id),
            ("deal_id", &alpha.to_string()),
        ],
    )
    .await;
    let memo_page = mark.get(&format!("/memos/{memo}")).await;
    assert_eq!(memo_page.attr("a.view-deal", "href").as_deref(), Some(deal_url.as_str()));
    assert_eq!(memo_page.text("a.view-deal"), "View deal");
    let helen = app.login_as("Helen.Head.Sales").await;
    assert!(helen.get(&format!("/memos/{memo}")).await.exists("a.view-deal"), "the recipient may view the deal");
    let eve = app.login_as("Eve.Manager.Export").await;
    let eve_memo = eve.get(&format!("/memos/{memo}")).await;
    assert_eq!(eve_memo.status, 200, "a subscriber sees the memo");
    assert!(!eve_memo.exists("a.view-deal"), "…but not a button to a deal of another department");

    // A task from the deal.
    let task = create(
        &mark,
        "/tasks",
        &[("name", "Prepare the Alpha offer"), ("responsible", &mark_id.to_string()), ("deal_id", &alpha.to_string())],
    )
    .await;
    assert_eq!(
        mark.get(&format!("/tasks/{task}")).await.attr("a.view-deal", "href").as_deref(),
        Some(deal_url.as_str())
    );

    // The deal page lists them; a memo Mark is not in is not listed for him, but is for its people.
    let hidden = create(
        &helen,
        "/memos",
        &[
            ("name", "Between Helen and Garry"),
            ("recipient_id", &garry_id.to_string()),
            ("deal_id", &alpha.to_string()),
        ],
    )
    .await;
    let page = mark.get(&deal_url).await;
    assert_eq!(page.texts(&format!("{work} ul.deal-memos a")), ["Discount for Alpha?"]);
    assert_eq!(page.texts(&format!("{work} ul.deal-tasks a")), ["Prepare the Alpha offer"]);
    let helens = helen.get(&format!("{deal_url}/work")).await;
    assert!(helens.is_fragment());
    assert_eq!(helens.texts(&format!("{work} ul.deal-memos a")), ["Between Helen and Garry", "Discount for Alpha?"]);
    assert_eq!(helens.attr(&format!("{work} ul.deal-memos a"), "href"), Some(format!("/memos/{hidden}")));
    // The panel follows the deal's access rules: Eve may not open it.
    assert_eq!(eve.get(&format!("{deal_url}/work")).await.status, 404);

    // A deal one may not see cannot be linked: the form says so and nothing is written.
    let memos_before = app.count("memos", sea_query::Condition::all()).await;
    let refused = eve
        .post_form("/memos", &[("name", "Sneaky"), ("recipient_id", &helen_id), ("deal_id", &alpha.to_string())])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("That deal does not exist or is not yours to see."));
    let refused_task =
        eve.post_form("/tasks", &[("name", "Sneaky task"), ("responsible", &eve_id), ("deal_id", "999999")]).await;
    assert_eq!(refused_task.status, 422);
    assert_eq!(app.count("memos", sea_query::Condition::all()).await, memos_before);
    assert_eq!(eve.get(&format!("/memos/new?deal={alpha}")).await.status, 404);
    // The deal's history tells what was made from it.
    let history = mark.get(&format!("{deal_url}/history")).await;
    assert!(history.body.contains("Memo “Discount for Alpha?” made from this deal"), "{}", history.body);
}

/// In Chromium: the deal page's list of memos and tasks follows a memo another user makes for the
/// deal, without a reload.
#[tokio::test]
async fn in_the_browser_a_memo_made_for_a_deal_appears_on_its_open_page() {
    use std::time::Duration;

    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;
    use crate::helpers::items::create;
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let (mark_id, garry_id) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Garry.Chief").await);
    let x = fixture(&app, sales, mark_id, garry_id).await;
    let alpha = x.d[0];
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    b.goto(&format!("{}/deals/{alpha}", app.base)).await;
    b.wait_live().await;
    b.js("window.__notReloaded = true; return true").await;
    b.shot("deal-page-before.png").await;

    let helen = app.login_as("Helen.Head.Sales").await;
    create(
        &helen,
        "/memos",
        &[("name", "Alpha needs a visit"), ("recipient_id", &mark_id.to_string()), ("deal_id", &alpha.to_string())],
    )
    .await;
    b.wait_text(&format!("#deal-{alpha}-work ul.deal-memos"), Duration::from_secs(5), |t| {
        t.contains("Alpha needs a visit")
    })
    .await;
    assert_eq!(b.js("return window.__notReloaded === true").await, serde_json::Value::Bool(true), "the page reloaded");
    b.shot("deal-page-after.png").await;
    // The list page too, as a person sees it.
    b.goto(&format!("{}/deals?owner=all", app.base)).await;
    b.shot("deal-list.png").await;
    b.close().await;
}

/// §12.4's company industry, country and city filters: the same mechanics as the others (kept by
/// the sort toggle, the export link and the live list's URL; the export holds them); the country
/// filter appears once the viewer's deals span more than one country, and offers only those.
#[tokio::test]
async fn the_deal_list_filters_by_company_industry_country_and_city() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let (mark_id, garry_id) = (app.user_id("Mark.Manager.Sales").await, app.user_id("Garry.Chief").await);
    let x = fixture(&app, sales, mark_id, garry_id).await;
    let [alpha, bravo, _charlie, delta, echo] = x.d;
    let set = |table: &'static str, id: i64, col: &'static str, v: SimpleExpr| {
        let db = app.db.clone();
        async move {
            db.execute(
                Query::update().table(Alias::new(table)).value(Alias::new(col), v).and_where(Expr::col("id").eq(id)),
            )
            .await
            .unwrap();
        }
    };
    let countries: Vec<(i64, String)> = app
        .db
        .fetch_all(
            Query::select().columns(["id", "name"]).from("countries").order_by("id", sea_query::Order::Asc).limit(3),
        )
        .await
        .unwrap();
    let [(first, first_name), (second, second_name), (third, _)] = <[_; 3]>::try_from(countries).unwrap();
    let city = insert(
        &app,
        "cities",
        &[
            ("name", "Harbour Town".into()),
            ("name_key", "harbourtown".into()),
            ("alternative_names", "".into()),
            ("country_id", first.into()),
        ],
    )
    .await;
    let industry = insert(
        &app,
        "industries",
        &[("department_id", sales.into()), ("name", "Water utilities".into()), ("index_number", 1i64.into())],
    )
    .await;
    app.db
        .execute(
            Query::insert()
                .into_table("company_industries")
                .columns(["company_id", "industry_id"])
                .values_panic([x.company1.into(), industry.into()]),
        )
        .await
        .unwrap();
    let mark = app.login_as("Mark.Manager.Sales").await;

    // One country among Mark's deals: no country filter; the city and industry filters are there.
    set("deals", alpha, "country_id", first.into()).await;
    set("deals", alpha, "city_id", city.into()).await;
    let list = mark.get("/deals").await;
    assert!(!list.exists("select[name=country]"), "one country: nothing to choose");
    assert!(list.texts("select[name=city] option").contains(&"Harbour Town".to_string()));
    assert!(list.texts("select[name=industry] option").contains(&"Water utilities".to_string()));
    // Two: the filter offers those two, not every country.
    set("deals", echo, "country_id", second.into()).await;
    let list = mark.get("/deals").await;
    let offered = list.texts("select[name=country] option");
    let mut expected = vec![first_name.clone(), second_name.clone()];
    expected.sort();
    assert_eq!(offered, [vec!["Any country".to_string()], expected].concat(), "those two, by name");

    // The filters.
    assert_eq!(ids(&mark.get(&format!("/deals?country={first}")).await), [alpha]);
    assert_eq!(ids(&mark.get(&format!("/deals?country={second}")).await), [echo]);
    assert!(ids(&mark.get(&format!("/deals?country={third}")).await).is_empty());
    assert_eq!(ids(&mark.get(&format!("/deals?city={city}")).await), [alpha]);
    assert_eq!(ids(&mark.get(&format!("/deals?industry={industry}")).await), [bravo, alpha]);
    assert_eq!(ids(&mark.get(&format!("/deals?industry={industry}&active=all")).await), [delta, bravo, alpha]);
    assert_eq!(ids(&mark.get(&format!("/deals?industry={industry}&country={first}")).await), [alpha]);
    // Nonsense filters nothing; another department's manager finds none of them.
    assert_eq!(ids(&mark.get("/deals?country=x&city=%27&industry=").await), [echo, bravo, alpha]);
    let eve = app.login_as("Eve.Manager.Export").await;
    assert!(ids(&eve.get(&format!("/deals?owner=all&country={first}")).await).is_empty());
    assert!(!eve.get("/deals?owner=all").await.body.contains("Harbour Town"), "no city of deals Eve cannot see");

    // Kept by the sort toggle, the form, the export link and the live list's URL.
    let q = format!("industry={industry}&country={first}&city={city}");
    let page = mark.get(&format!("/deals?{q}")).await;
    assert_eq!(ids(&page), [alpha]);
    let toggle = page.attr("a[aria-label='Sort by next step date']", "href").unwrap();
    assert_eq!(toggle, format!("/deals?{q}&sort=step"));
    assert_eq!(ids(&mark.get(&toggle).await), [alpha]);
    assert_eq!(page.attr("select[name=country] option[selected]", "value"), Some(first.to_string()));
    assert_eq!(page.attr("select[name=city] option[selected]", "value"), Some(city.to_string()));
    assert_eq!(page.attr("select[name=industry] option[selected]", "value"), Some(industry.to_string()));
    assert_eq!(page.attr("#deal-list", "data-live"), Some(format!("/deals?{q}")));
    let export = page.attr("a[download]", "href").unwrap();
    assert_eq!(export, format!("/deals/export?{q}"));
    let (status, _, bytes) = mark.get_bytes(&export).await;
    assert_eq!(status, 200);
    let sheet = ferrocrm::excel::read_sheet(&bytes, &Default::default()).unwrap();
    let name = sheet.headers.iter().position(|h| h == "name").expect("a name column");
    let names: Vec<String> = sheet.rows.iter().map(|r| r.get(name).to_text()).collect();
    assert_eq!(names, ["Alpha"]);
}
