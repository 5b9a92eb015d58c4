//! `ferrocrm seed`: realistic data in every role, stage and shape the Tasks section and the sales CRM
//! have.

use std::collections::{HashMap, HashSet};

use ferrocrm::seed::Size;
use ferrocrm::text::fold;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::{TestApp, app::Options};

async fn count(app: &TestApp, table: &'static str, cond: Option<sea_query::SimpleExpr>) -> i64 {
    let mut q = Query::select();
    q.expr(Expr::col("id").count()).from(table);
    if let Some(c) = cond {
        q.and_where(c);
    }
    app.db.scalar::<i64>(&q).await.unwrap().unwrap_or(0)
}

#[tokio::test]
async fn seed_scale_one_creates_a_lively_demo() {
    let app = TestApp::with(Options::default()).await;
    ferrocrm::cli::seed_demo(&app.db).await.unwrap();
    let stats = ferrocrm::seed::run(&app.db, 1).await.unwrap();
    assert!(stats.tasks > 10_000 && stats.chat_messages == 20_000 && stats.memos == 2_000, "{stats:?}");
    for role in ferrocrm::access::Role::ALL {
        let q = Query::select()
            .expr(Expr::col("user_id").count())
            .from("user_roles")
            .and_where(Expr::col("role").eq(role.slug()))
            .to_owned();
        assert!(app.db.scalar::<i64>(&q).await.unwrap().unwrap_or(0) > 0, "no user with role {role:?}");
    }
    for stage in ["pending", "postponed", "considered"] {
        assert!(count(&app, "memos", Some(Expr::col("stage").eq(stage))).await > 0, "no memo in {stage}");
    }
    assert!(count(&app, "memos", Some(Expr::col("draft").eq(true))).await > 0, "no draft memo");
    assert!(count(&app, "tasks", Some(Expr::col("team").eq(true))).await > 0, "no team task");
    assert!(count(&app, "tasks", Some(Expr::col("parent_id").is_not_null())).await > 0, "no subtask");
    for stage in ["pending", "in_progress", "done", "canceled"] {
        assert!(count(&app, "tasks", Some(Expr::col("stage").eq(stage))).await > 0, "no task in {stage}");
    }
    // The named demo users take part in plenty of work, as the benchmark's logins need.
    let mark = app.user_id("Mark.Manager.Global").await;
    let q = Query::select()
        .expr(Expr::col("object_id").count())
        .from("participants")
        .and_where(Expr::col("user_id").eq(mark))
        .and_where(Expr::col("object_type").eq("task"))
        .to_owned();
    assert!(app.db.scalar::<i64>(&q).await.unwrap().unwrap_or(0) > 100);

    // The sales CRM as big as the scale says, and Mark owns a realistic share of his department's.
    let size = Size::scale(1);
    assert_eq!(
        (stats.companies, stats.contacts, stats.leads, stats.deals, stats.payments),
        (size.companies, size.contacts, size.leads, size.deals, size.payments)
    );
    let q = Query::select().column("id").from("departments").and_where(Expr::col("name").eq("Global sales")).to_owned();
    let global: i64 = app.db.scalar(&q).await.unwrap().unwrap();
    for table in ["companies", "contacts", "deals"] {
        let all = count(&app, table, Some(Expr::col("department_id").eq(global))).await;
        let his =
            count(&app, table, Some(Expr::col("department_id").eq(global).and(Expr::col("owner_id").eq(mark)))).await;
        assert!(all > 1000 && his * 20 >= all && his * 10 <= all, "{table}: Mark owns {his} of {all}");
    }
}

/// A contact's id, department and owner, then its company's department and owner.
type ContactAndCompany = (i64, i64, Option<i64>, i64, Option<i64>);

/// id, department, stage, closing reason, active, ticket; has a win date, a closing date, an amount.
type DealRow = (i64, i64, i64, Option<i64>, bool, String, bool, bool, bool);

async fn pairs<T: ferrocrm::db::Row>(app: &TestApp, q: sea_query::SelectStatement) -> Vec<T> {
    app.db.fetch_all::<T>(&q).await.unwrap()
}

/// The active sales managers of each department: (user id, department id).
async fn sales_managers(app: &TestApp) -> HashSet<(i64, i64)> {
    let q = Query::select()
        .column(("users", "id"))
        .column(("users", "department_id"))
        .from("users")
        .inner_join("user_roles", Expr::col(("user_roles", "user_id")).equals(("users", "id")))
        .and_where(Expr::col(("user_roles", "role")).eq("sales-manager"))
        .and_where(Expr::col(("users", "department_id")).is_not_null())
        .to_owned();
    pairs::<(i64, i64)>(app, q).await.into_iter().collect()
}

#[tokio::test]
async fn seed_fills_the_sales_crm_by_the_rules_of_the_model() {
    let app = TestApp::with(Options::default()).await;
    ferrocrm::cli::seed_demo(&app.db).await.unwrap();
    let size = Size::small();

    let stats = ferrocrm::seed::run_sized(&app.db, size).await.unwrap();

    // Counts are what the size says, and every kind of row is there.
    for (table, want) in [
        ("companies", size.companies),
        ("contacts", size.contacts),
        ("leads", size.leads),
        ("deals", size.deals),
        ("payments", size.payments),
    ] {
        assert_eq!(count(&app, table, None).await, want as i64, "{table}");
    }
    assert_eq!((stats.companies, stats.deals, stats.payments), (size.companies, size.deals, size.payments));
    assert_eq!(count(&app, "outputs", None).await, stats.outputs as i64);
    // Requests (issue 9): many deals came from one (same ticket), and some wait to be verified.
    assert_eq!(count(&app, "requests", None).await, stats.requests as i64);
    assert!(count(&app, "requests", Some(Expr::col("pending").eq(true))).await > 0, "no pending request");
    let linked: i64 = app
        .db
        .scalar(
            Query::select()
                .expr(Expr::col(("deals", "id")).count())
                .from("deals")
                .inner_join("requests", Expr::col(("requests", "id")).equals(("deals", "request_id")))
                .and_where(Expr::col(("requests", "ticket")).equals(("deals", "ticket")))
                .and_where(Expr::col(("requests", "department_id")).equals(("deals", "department_id"))),
        )
        .await
        .unwrap()
        .unwrap_or(0);
    // About a third of the deals came from a request (`seed::sales::requests`).
    assert!(linked * 4 > size.deals as i64, "{linked} of {} deals have their request", size.deals);
    assert!(stats.outputs > 0 && stats.products > 0 && stats.taggings > 0, "{stats:?}");
    assert!(count(&app, "outputs", Some(Expr::col("shipping_date").is_not_null())).await > 0, "no shipment");
    assert!(count(&app, "leads", Some(Expr::col("disqualified").eq(true))).await > 0, "no disqualified lead");
    assert!(count(&app, "leads", Some(Expr::col("contact_id").is_not_null())).await > 0, "no lead of a contact");
    for status in ["received", "guaranteed", "high", "low"] {
        assert!(count(&app, "payments", Some(Expr::col("status").eq(status))).await > 0, "no {status} payment");
    }
    let departments: Vec<(i64, String)> =
        pairs(&app, Query::select().columns(["id", "name"]).from("departments").to_owned()).await;
    let dept_of = |name: &str| departments.iter().find(|d| d.1 == name).map(|d| d.0).unwrap();
    let sales: Vec<i64> = ferrocrm::seed::SALES_DEPARTMENTS.iter().map(|d| dept_of(d)).collect();
    for d in &sales {
        assert!(count(&app, "deals", Some(Expr::col("department_id").eq(*d))).await > 0, "no deal in {d}");
    }

    // Owners are sales managers of the row's department; some rows have none.
    let managers = sales_managers(&app).await;
    for table in ["companies", "contacts", "leads", "deals"] {
        let rows: Vec<(i64, i64, Option<i64>)> =
            pairs(&app, Query::select().columns(["id", "department_id", "owner_id"]).from(table).to_owned()).await;
        for (id, dept, owner) in &rows {
            assert!(sales.contains(dept), "{table} {id} is in department {dept}");
            if let Some(o) = owner {
                assert!(managers.contains(&(*o, *dept)), "{table} {id}: owner {o} is no sales manager of {dept}");
            }
        }
    }
    assert!(count(&app, "companies", Some(Expr::col("owner_id").is_null())).await > 0, "no unowned company");

    // Every contact has its company's department and owner.
    let q = Query::select()
        .column(("contacts", "id"))
        .column(("contacts", "department_id"))
        .column(("contacts", "owner_id"))
        .column(("companies", "department_id"))
        .column(("companies", "owner_id"))
        .from("contacts")
        .inner_join("companies", Expr::col(("companies", "id")).equals(("contacts", "company_id")))
        .to_owned();
    let rows: Vec<ContactAndCompany> = pairs(&app, q).await;
    assert_eq!(rows.len(), size.contacts);
    for (id, dept, owner, company_dept, company_owner) in rows {
        assert_eq!((dept, owner), (company_dept, company_owner), "contact {id}");
    }

    // A deal's stage and closing reason are its department's; closed deals have a reason and a
    // closing date, success-stage deals the success reason and a win date; open deals no reason.
    let stages: HashMap<i64, (i64, bool)> = pairs::<(i64, i64, bool)>(
        &app,
        Query::select().columns(["id", "department_id", "success_stage"]).from("deal_stages").to_owned(),
    )
    .await
    .into_iter()
    .map(|(id, d, s)| (id, (d, s)))
    .collect();
    let reasons: HashMap<i64, (i64, bool)> = pairs::<(i64, i64, bool)>(
        &app,
        Query::select().columns(["id", "department_id", "success_reason"]).from("closing_reasons").to_owned(),
    )
    .await
    .into_iter()
    .map(|(id, d, s)| (id, (d, s)))
    .collect();
    let q = Query::select()
        .columns(["id", "department_id", "stage_id", "closing_reason_id", "active", "ticket"])
        .expr(Expr::col("win_closing_date").is_not_null())
        .expr(Expr::col("closing_date").is_not_null())
        .expr(Expr::col("amount_cents").is_not_null())
        .from("deals")
        .to_owned();
    let deals: Vec<DealRow> = pairs(&app, q).await;
    let (mut open, mut won, mut lost) = (0, 0, 0);
    for (id, dept, stage, reason, active, _, win, closing, amount) in &deals {
        let (stage_dept, success_stage) = stages[stage];
        assert_eq!(stage_dept, *dept, "deal {id}: stage of another department");
        if let Some(r) = reason {
            assert_eq!(reasons[r].0, *dept, "deal {id}: closing reason of another department");
        }
        if *active {
            assert!(reason.is_none() && !success_stage, "open deal {id} is closed");
            open += 1;
        } else {
            assert!(reason.is_some() && *closing, "closed deal {id} without a reason or a date");
        }
        if success_stage {
            assert!(*win && *amount && reasons[&reason.unwrap()].1, "won deal {id}: win date, amount, reason");
            won += 1;
        } else if let Some(r) = reason {
            assert!(!reasons[r].1, "deal {id}: success reason at stage {stage}");
            lost += 1;
        }
    }
    assert!(open > 0 && won > 0 && lost > 0, "open {open}, won {won}, lost {lost}");
    let tickets: HashSet<&str> = deals.iter().map(|d| d.5.as_str()).collect();
    assert_eq!(tickets.len(), deals.len(), "tickets are unique");
    assert!(tickets.iter().all(|t| !t.is_empty() && t.len() <= 16));

    // Payments belong to deals, in the deal's currency; a lost deal keeps received payments only.
    let q = Query::select()
        .column(("payments", "status"))
        .column(("deals", "active"))
        .column(("deals", "closing_reason_id"))
        .expr(Expr::col(("payments", "currency_id")).equals(("deals", "currency_id")))
        .from("payments")
        .inner_join("deals", Expr::col(("deals", "id")).equals(("payments", "deal_id")))
        .to_owned();
    let payments: Vec<(String, bool, Option<i64>, bool)> = pairs(&app, q).await;
    assert_eq!(payments.len(), size.payments, "every payment has its deal");
    for (status, active, reason, same_currency) in payments {
        assert!(same_currency);
        if !active && reason.is_some_and(|r| !reasons[&r].1) {
            assert_eq!(status, "received", "a lost deal keeps received payments only");
        }
    }

    // Every `*_key` column is `text::fold` / `text::match_key` of its field.
    let companies: Vec<(String, String)> =
        pairs(&app, Query::select().columns(["full_name", "name_key"]).from("companies").to_owned()).await;
    for (name, key) in companies {
        assert_eq!(key, ferrocrm::text::match_key(&name), "{name}");
    }
    for table in ["contacts", "leads"] {
        let q = Query::select()
            .columns(["first_name", "last_name", "first_name_key", "last_name_key"])
            .from(table)
            .to_owned();
        let rows: Vec<(String, String, String, String)> = pairs(&app, q).await;
        assert!(!rows.is_empty());
        for (first, last, first_key, last_key) in rows {
            assert_eq!((first_key, last_key), (fold(&first), fold(&last)), "{table}: {first} {last}");
        }
    }
    for table in ["crm_tags", "cities"] {
        let rows: Vec<(String, String)> =
            pairs(&app, Query::select().columns(["name", "name_key"]).from(table).to_owned()).await;
        assert!(!rows.is_empty(), "{table}");
        for (name, key) in rows {
            assert_eq!(key, fold(&name), "{table}: {name}");
        }
    }

    // The CRM is filled once: a second run leaves it as it is.
    ferrocrm::seed::run_sized(&app.db, size).await.unwrap();
    assert_eq!(count(&app, "companies", None).await, size.companies as i64);
    assert_eq!(count(&app, "deals", None).await, size.deals as i64);
}
