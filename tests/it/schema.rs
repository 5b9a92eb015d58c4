//! The one schema source renders the same tables, columns, nullability and indexes on both backends.

use std::collections::BTreeSet;

use ferrocrm::db::Db;
use ferrocrm::history::Actor;
use ferrocrm::users::repo;
use sea_query::{Expr, ExprTrait, Order, Query, SimpleExpr};

use crate::helpers::app::{fresh_pg_database, pg_server_url};
use crate::helpers::plan_of;

type Column = (String, String, bool);
type Shape = (BTreeSet<Column>, BTreeSet<String>);

/// (table, column, nullable) and index names of a migrated database (test-only introspection SQL).
async fn shape(db: &Db) -> Shape {
    let (cols, idx): (Vec<Column>, Vec<(String,)>) = match db {
        Db::Sqlite(p) => (
            sqlx::query_as(
                "SELECT m.name, c.name, c.\"notnull\" = 0 AND c.pk = 0 FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(p)
            .await
            .unwrap(),
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'")
                .fetch_all(p)
                .await
                .unwrap(),
        ),
        Db::Postgres(p) => (
            sqlx::query_as(
                "SELECT table_name::text, column_name::text, is_nullable = 'YES' FROM information_schema.columns \
                 WHERE table_schema = 'public'",
            )
            .fetch_all(p)
            .await
            .unwrap(),
            sqlx::query_as(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'",
            )
            .fetch_all(p)
            .await
            .unwrap(),
        ),
    };
    (cols.into_iter().collect(), idx.into_iter().map(|(i,)| i).collect())
}

#[tokio::test]
async fn both_backends_have_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display()), 1).await.unwrap();
    let pg = Db::connect(&fresh_pg_database(&pg_server_url()).await, 1).await.unwrap();
    ferrocrm::migrate(&sqlite).await.unwrap();
    ferrocrm::migrate(&pg).await.unwrap();
    let (s_cols, s_idx) = shape(&sqlite).await;
    let (p_cols, p_idx) = shape(&pg).await;
    assert!(s_cols.len() > 50, "introspection found too little: {s_cols:?}");
    let only_sqlite: Vec<_> = s_cols.difference(&p_cols).collect();
    let only_pg: Vec<_> = p_cols.difference(&s_cols).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "columns differ:\nSQLite only: {only_sqlite:?}\nPostgreSQL only: {only_pg:?}"
    );
    assert_eq!(s_idx, p_idx, "indexes differ");
    // Migrating again is a no-op on both.
    assert!(ferrocrm::migrate(&sqlite).await.unwrap().is_empty());
    assert!(ferrocrm::migrate(&pg).await.unwrap().is_empty());
}

/// The task list's visibility test for a user who does not see every task stays a walk of the task
/// index with one indexed look-up per row: every search of `participants` is by user, kind **and**
/// object. (A join in the subtask rule once made SQLite walk all of the user's participations for
/// every task: 0.6 s per page for a sales manager at scale 10.) SQLite's plan, on SQLite in both passes.
#[tokio::test]
async fn the_task_list_visibility_rule_looks_up_participants_by_object() {
    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    let app = crate::helpers::TestApp::with(crate::helpers::app::Options {
        seed_users: true,
        database_url: Some(url),
        ..Default::default()
    })
    .await;
    let Db::Sqlite(pool) = &app.db else { panic!("this test runs on SQLite") };
    let mark = app.state_viewer(app.user_id("Mark.Manager.Sales").await).await;
    let q = ferrocrm::tasks::repo::filtered(&mark, &Default::default()).unwrap();
    let sql = q.to_string(sea_query::SqliteQueryBuilder);
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).fetch_all(pool).await.unwrap();
    let lines: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
    let on_participants: Vec<&&str> = lines.iter().filter(|l| l.contains("participants")).collect();
    assert!(on_participants.len() >= 3, "own, main task's and subtasks' participants: {lines:#?}");
    for l in on_participants {
        assert!(l.contains("object_id=?"), "a participants search not by object: {l}\n{lines:#?}");
    }
}

/// A fresh, empty database of this pass's backend (PostgreSQL when TEST_DATABASE_URL is set).
async fn fresh_db(dir: &tempfile::TempDir) -> Db {
    let url = match crate::helpers::app::pg_admin_url() {
        Some(admin) => fresh_pg_database(&admin).await,
        None => format!("sqlite://{}", dir.path().join("t.db").display()),
    };
    Db::connect(&url, 2).await.unwrap()
}

/// Inserts one row (test data, bound values) and returns its id.
async fn insert(db: &Db, table: &'static str, cols: &[(&'static str, SimpleExpr)]) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let id = tx
        .insert_id(
            Query::insert()
                .into_table(table)
                .columns(cols.iter().map(|c| c.0))
                .values_panic(cols.iter().map(|c| c.1.clone()))
                .returning_col("id"),
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

async fn delete(db: &Db, table: &'static str, id: i64) -> Result<u64, sqlx::Error> {
    db.execute(Query::delete().from_table(table).and_where(Expr::col("id").eq(id))).await
}

async fn count(db: &Db, table: &'static str, department: Option<i64>) -> i64 {
    let mut q = Query::select();
    q.expr(Expr::col("id").count()).from(table);
    if let Some(d) = department {
        q.and_where(Expr::col("department_id").eq(d));
    }
    db.scalar(&q).await.unwrap().unwrap()
}

#[derive(sqlx::FromRow, Debug, PartialEq)]
struct Stage {
    name: String,
    index_number: i32,
    is_default: bool,
    second_default: bool,
    conditional_success_stage: bool,
    goods_shipped: bool,
    success_stage: bool,
}

/// §16.3: a database with the Tasks section's data (schema version 3, or 4 once that lands) is
/// upgraded with the CRM; each existing department gets its own dictionaries, a department made
/// afterwards too, every copy with its own web-form tokens; countries and currencies are there once.
#[tokio::test]
async fn the_crm_migration_upgrades_a_tasks_database_and_every_department_gets_its_dictionaries() {
    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let db = fresh_db(&dir).await;
    let before = ferrocrm::migrations::run_to(&db, 4).await.unwrap();
    assert!(before.starts_with(&[1, 2, 3]) && !before.contains(&5), "{before:?}");
    let now = ferrocrm::db::now();
    let global =
        insert(&db, "departments", &[("name", "Global sales".into()), ("created_at", now.into())]).await.unwrap();
    let local =
        insert(&db, "departments", &[("name", "Local sales".into()), ("created_at", now.into())]).await.unwrap();
    let user = insert(
        &db,
        "users",
        &[
            ("username", "Mark".into()),
            ("password_hash", "x".into()),
            ("department_id", global.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
    .unwrap();
    let task = [("name", "Call back".into()), ("stage", "pending".into()), ("owner_id", user.into())];
    insert(&db, "tasks", &[&task[..], &[("created_at", now.into()), ("updated_at", now.into())]].concat())
        .await
        .unwrap();

    assert_eq!(
        ferrocrm::migrate(&db).await.unwrap(),
        vec![
            5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 29, 30, 31, 32, 33, 34,
            35
        ]
    );

    let mut tx = db.begin().await.unwrap();
    let later = repo::insert_department(&mut tx, "Export", &Actor::system("test")).await.unwrap();
    tx.commit().await.unwrap();
    let flags = |name: &str, i, d, s2, c, g, s| Stage {
        name: name.into(),
        index_number: i,
        is_default: d,
        second_default: s2,
        conditional_success_stage: c,
        goods_shipped: g,
        success_stage: s,
    };
    for dept in [global, local, later] {
        let stages: Vec<Stage> = db
            .fetch_all(
                Query::select()
                    .columns([
                        "name",
                        "index_number",
                        "is_default",
                        "second_default",
                        "conditional_success_stage",
                        "goods_shipped",
                        "success_stage",
                    ])
                    .from("deal_stages")
                    .and_where(Expr::col("department_id").eq(dept))
                    .order_by("index_number", Order::Asc),
            )
            .await
            .unwrap();
        assert_eq!(stages.len(), 11);
        assert_eq!(stages[0], flags("request", 1, true, false, false, false, false));
        assert_eq!(stages[1], flags("analysis of request", 2, false, true, false, false, false));
        assert_eq!(stages[8], flags("receiving the first payment", 9, false, false, true, false, false));
        assert_eq!(stages[9], flags("shipment", 10, false, false, false, true, false));
        assert_eq!(stages[10], flags("closed (successful)", 11, false, false, false, false, true));
        let plain = stages[2..8].iter().all(|s| {
            !(s.is_default || s.second_default || s.conditional_success_stage || s.goods_shipped || s.success_stage)
        });
        assert!(plain, "{stages:#?}");
        let success: Vec<(String, i32)> = db
            .fetch_all(
                Query::select()
                    .columns(["name", "index_number"])
                    .from("closing_reasons")
                    .and_where(Expr::col("department_id").eq(dept))
                    .and_where(Expr::col("success_reason").eq(true)),
            )
            .await
            .unwrap();
        assert_eq!(success, [("The deal was closed successfully".to_string(), 3)]);
        assert_eq!(count(&db, "closing_reasons", Some(dept)).await, 5);
        assert_eq!(count(&db, "client_types", Some(dept)).await, 5);
        assert_eq!(count(&db, "industries", Some(dept)).await, 10);
        assert_eq!(count(&db, "lead_sources", Some(dept)).await, 5);
    }
    let tokens: Vec<(String,)> = db.fetch_all(Query::select().column("token").from("lead_sources")).await.unwrap();
    let distinct: BTreeSet<&str> = tokens.iter().map(|t| t.0.as_str()).collect();
    assert_eq!((tokens.len(), distinct.len()), (15, 15), "a token per lead source of each department");
    assert!(tokens.iter().all(|t| t.0.len() == 36 && t.0.as_bytes()[14] == b'4'), "{tokens:?}");

    let currencies: Vec<(String, i64, i64, bool, bool)> = db
        .fetch_all(
            Query::select()
                .columns([
                    "name",
                    "rate_to_state_e8",
                    "rate_to_marketing_e8",
                    "is_state_currency",
                    "is_marketing_currency",
                ])
                .from("currencies")
                .order_by("name", Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(
        currencies,
        [("EUR".into(), 100_000_000, 120_000_000, true, false), ("USD".into(), 83_000_000, 100_000_000, false, true)]
    );
    assert_eq!(count(&db, "countries", None).await, 198);
    let turkiye: Option<String> = db
        .scalar(
            Query::select().column("alternative_names").from("countries").and_where(Expr::col("name").eq("Turkiye")),
        )
        .await
        .unwrap();
    assert!(turkiye.unwrap().split(", ").any(|n| n == "Turkey"));
    // The Tasks section's data is untouched; the new department columns are there.
    assert_eq!(count(&db, "tasks", None).await, 1);
    let works_globally: Option<bool> = db
        .scalar(Query::select().column("works_globally").from("departments").and_where(Expr::col("id").eq(global)))
        .await
        .unwrap();
    assert_eq!(works_globally, Some(false));
}

/// The foreign-key actions chosen in m0005: a deal keeps its counterparty (RESTRICT), a deal's
/// payments and line items go with it, a company's contact persons go with it, an empty
/// department goes with its dictionaries but one that holds companies stays; at most one default
/// stage per department.
#[tokio::test]
async fn crm_deletes_keep_what_deals_need_and_cascade_what_belongs() {
    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let db = fresh_db(&dir).await;
    ferrocrm::migrate(&db).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let sales = repo::insert_department(&mut tx, "Sales", &Actor::system("test")).await.unwrap();
    let empty = repo::insert_department(&mut tx, "Empty", &Actor::system("test")).await.unwrap();
    tx.commit().await.unwrap();
    let now = ferrocrm::db::now();
    let today = now.date_naive();
    let scoped = |extra: &[(&'static str, SimpleExpr)]| -> Vec<(&'static str, SimpleExpr)> {
        [extra, &[("department_id", sales.into()), ("created_at", now.into()), ("updated_at", now.into())]].concat()
    };
    let counterparty = |token: &'static str| [("email", SimpleExpr::from("a@example.com")), ("token", token.into())];
    let acme = insert(
        &db,
        "companies",
        &scoped(&[&[("full_name", "ACME".into()), ("name_key", "acme".into())][..], &counterparty("c1")].concat()),
    )
    .await
    .unwrap();
    let contact = insert(
        &db,
        "contacts",
        &scoped(&[&[("company_id", acme.into()), ("first_name", "Ann".into())][..], &counterparty("p1")].concat()),
    )
    .await
    .unwrap();
    let stage: i64 = db
        .scalar(
            Query::select()
                .column("id")
                .from("deal_stages")
                .and_where(Expr::col("department_id").eq(sales))
                .and_where(Expr::col("is_default").eq(true)),
        )
        .await
        .unwrap()
        .unwrap();
    let deal = insert(
        &db,
        "deals",
        &scoped(&[
            ("name", "Pumps".into()),
            ("next_step", "Call".into()),
            ("next_step_date", today.into()),
            ("stage_id", stage.into()),
            ("ticket", "t1".into()),
            ("company_id", acme.into()),
            ("contact_id", contact.into()),
        ]),
    )
    .await
    .unwrap();
    let usd: i64 = db
        .scalar(Query::select().column("id").from("currencies").and_where(Expr::col("name").eq("USD")))
        .await
        .unwrap()
        .unwrap();
    let payment = [("deal_id", deal.into()), ("amount_cents", 12_345i64.into()), ("currency_id", usd.into())];
    let dated = [("payment_date", today.into()), ("created_at", now.into()), ("updated_at", now.into())];
    insert(&db, "payments", &[&payment[..], &dated].concat()).await.unwrap();

    assert!(delete(&db, "companies", acme).await.is_err(), "a company with a deal stays");
    assert!(delete(&db, "contacts", contact).await.is_err(), "a deal's contact stays");
    assert!(delete(&db, "deal_stages", stage).await.is_err(), "a stage in use stays");
    assert!(delete(&db, "departments", sales).await.is_err(), "a department with companies stays");
    let second_default = insert(
        &db,
        "deal_stages",
        &[("department_id", sales.into()), ("name", "another".into()), ("is_default", true.into())],
    )
    .await;
    assert!(second_default.is_err_and(|e| ferrocrm::db::is_unique_violation(&e)), "one default stage");

    delete(&db, "deals", deal).await.unwrap();
    assert_eq!(count(&db, "payments", None).await, 0, "a deal's payments go with it");
    delete(&db, "companies", acme).await.unwrap();
    assert_eq!(count(&db, "contacts", None).await, 0, "a company's contact persons go with it");
    delete(&db, "departments", empty).await.unwrap();
    assert_eq!(count(&db, "deal_stages", Some(empty)).await, 0, "dictionaries go with their department");
    assert_eq!(count(&db, "deal_stages", Some(sales)).await, 11);
}

/// The CRM lists' usual queries are answered by the index made for them, in display order (no
/// sort of the whole department). SQLite's plan, on SQLite in both passes.
#[tokio::test]
async fn the_crm_lists_walk_their_indexes() {
    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("plan.db").display()), 1).await.unwrap();
    ferrocrm::migrate(&db).await.unwrap();
    let Db::Sqlite(pool) = &db else { panic!("SQLite") };
    let cases = [
        ("SELECT id FROM companies WHERE department_id = 1 ORDER BY id DESC LIMIT 50", "ix_companies_department"),
        (
            "SELECT id FROM companies WHERE department_id = 1 AND country_id = 2 ORDER BY id DESC LIMIT 50",
            "ix_companies_department_country",
        ),
        ("SELECT id FROM companies WHERE owner_id = 1 ORDER BY id DESC LIMIT 50", "ix_companies_owner"),
        ("SELECT id FROM contacts WHERE company_id = 1", "ix_contacts_company"),
        ("SELECT id FROM contacts WHERE first_name_key = 'ann' AND last_name_key = 'lee'", "ix_contacts_name"),
        ("SELECT id FROM leads WHERE department_id = 1 ORDER BY id DESC LIMIT 50", "ix_leads_department"),
        (
            "SELECT id FROM deals WHERE department_id = 1 AND active = TRUE ORDER BY id DESC LIMIT 50",
            "ix_deals_department_active",
        ),
        (
            "SELECT id FROM deals WHERE department_id = 1 AND active = TRUE ORDER BY next_step_date LIMIT 50",
            "ix_deals_department_step",
        ),
        // The deal list's sort toggle as `crm::list` orders it (ties by id, the index's last column).
        (
            "SELECT id FROM deals WHERE department_id = 1 AND active = TRUE ORDER BY next_step_date, id LIMIT 50",
            "ix_deals_department_step",
        ),
        // The deal page's memos and tasks (migration 8).
        ("SELECT id FROM memos WHERE deal_id = 1 ORDER BY id DESC LIMIT 11", "ix_memos_deal"),
        ("SELECT id FROM tasks WHERE deal_id = 1 ORDER BY id DESC LIMIT 11", "ix_tasks_deal"),
        ("SELECT id FROM deals WHERE owner_id = 1 AND active = TRUE ORDER BY id DESC LIMIT 50", "ix_deals_owner"),
        ("SELECT id FROM deals WHERE stage_id = 3 ORDER BY id DESC LIMIT 50", "ix_deals_stage"),
        ("SELECT id FROM deals WHERE ticket = 'abc'", "ux_deals_ticket"),
        ("SELECT id FROM payments ORDER BY payment_date DESC LIMIT 50", "ix_payments_date"),
        ("SELECT id FROM payments WHERE deal_id = 1", "ix_payments_deal"),
        (
            "SELECT id FROM outputs WHERE shipping_date IS NOT NULL ORDER BY shipping_date LIMIT 50",
            "ix_outputs_shipping_date",
        ),
        ("SELECT object_id FROM crm_taggings WHERE tag_id = 1 AND object_type = 'deal'", "ix_crm_taggings_tag"),
    ];
    for (sql, index) in cases {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).fetch_all(pool).await.unwrap();
        let lines: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
        let uses = |l: &&str| l.split_whitespace().collect::<Vec<_>>().windows(2).any(|w| w == ["INDEX", index]);
        assert!(lines.iter().any(uses), "{sql}: {lines:#?}");
        assert!(!lines.iter().any(|l| l.contains("TEMP B-TREE")), "{sql} sorts: {lines:#?}");
    }
}

/// The deal list's pages as `crm::list` builds them (issue 8): a chief's list by next step date,
/// the important deals in either order, the country, city and industry filters, and a manager's
/// own deals, each read from an index in display order — no sort of every active deal. SQLite's
/// `EXPLAIN QUERY PLAN` (the plan SQLite chooses), or PostgreSQL's `EXPLAIN` with sequential
/// scans, bitmap scans and sorts switched off (its costs of an empty table make a scan and a sort
/// cheapest; switched off, a Sort still shows when no index gives the order; left on where a sort
/// of a bounded set is the plan), on this pass's
/// backend; values bound as the app binds them.
#[tokio::test]
async fn the_deal_list_orders_and_filters_walk_their_indexes() {
    use ferrocrm::access::{Role, Roles, Viewer};
    use ferrocrm::crm::deal_list::DealFilter;
    use ferrocrm::crm::list::Filter;

    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let db = fresh_db(&dir).await;
    ferrocrm::migrate(&db).await.unwrap();
    let viewer = |roles: &[Role], departments: &[i64]| Viewer {
        id: 7,
        username: "u".into(),
        display_name: "U".into(),
        roles: Roles::of(roles),
        department_id: departments.first().copied(),
        departments: departments.to_vec(),
        csrf: String::new(),
        session_id: String::new(),
        tz: chrono_tz::UTC,
    };
    let chief = viewer(&[Role::Chief], &[]);
    let manager = viewer(&[Role::SalesManager], &[1]);
    let deal = |owner: &str, set: fn(&mut DealFilter)| {
        let mut d = DealFilter::default();
        set(&mut d);
        Filter { owner: owner.into(), deal: d, ..Filter::default() }
    };
    let important_by_step = |d: &mut DealFilter| {
        d.active = "all".into();
        d.important = "yes".into();
        d.sort = "step".into();
    };
    let on_pg = matches!(db, Db::Postgres(_));
    // (who, filter, the indexes one of which must serve it, may it sort?)
    let cases: Vec<(&str, &Viewer, Filter, &[&str], bool)> = vec![
        ("chief by step", &chief, deal("", |d| d.sort = "step".into()), &["ix_deals_active_step"], false),
        ("chief important by step", &chief, deal("all", important_by_step), &["ix_deals_important_step"], false),
        (
            "chief important, active",
            &chief,
            deal("all", |d| d.important = "yes".into()),
            &["ix_deals_important", "ix_deals_department_active", "ix_deals_active_step"],
            false,
        ),
        (
            "manager important by step",
            &manager,
            deal("all", important_by_step),
            &["ix_deals_important_step", "ix_deals_department_step"],
            false,
        ),
        // A manager's department: newest first from the index; a chief's: the country's deals, sorted.
        ("manager by country", &manager, deal("all", |d| d.country = "3".into()), &["ix_deals_country"], false),
        ("manager by city", &manager, deal("all", |d| d.city = "5".into()), &["ix_deals_city"], false),
        ("chief by country", &chief, deal("", |d| d.country = "3".into()), &["ix_deals_country"], true),
        // A manager's own deals: the owner's and the co-owner's index ranges, merged newest first
        // by SQLite (MERGE (UNION ALL)); PostgreSQL reads the same two ranges and sorts their ids
        // (bounded by the viewer's own deals).
        ("manager's own", &manager, deal("", |_| {}), &["ix_deals_owner"], on_pg),
        (
            "manager's own (co-owner)",
            &manager,
            deal("", |_| {}),
            &["ix_deals_co_owner_active", "ix_deals_co_owner"],
            on_pg,
        ),
        // The industry's companies' deals: bounded by them, sorted (a few hundred rows at most).
        (
            "chief by industry",
            &chief,
            deal("", |d| d.industry = "2".into()),
            &["ix_deals_company", "ix_company_industries_industry"],
            true,
        ),
    ];
    for (name, v, f, indexes, may_sort) in cases {
        let (q, _) = ferrocrm::crm::list::page_query(&db, v, &ferrocrm::crm::deal::SPEC, &f, None).await.unwrap();
        let lines = plan_of(&db, &q, may_sort).await;
        let words =
            |l: &String| l.split(|c: char| !c.is_alphanumeric() && c != '_').map(str::to_owned).collect::<Vec<_>>();
        assert!(
            lines.iter().any(|l| words(l).iter().any(|w| indexes.contains(&w.as_str()))),
            "{name}: none of {indexes:?} in the plan:\n{lines:#?}"
        );
        let sorts = lines.iter().any(|l| {
            l.contains("TEMP B-TREE FOR ORDER BY") || l.trim_start().starts_with("Sort") || l.contains("->  Sort")
        });
        assert!(may_sort || !sorts, "{name} sorts:\n{lines:#?}");
    }
}

/// The payments list as `crm::list` builds it (issue 8): a manager's department-scoped list
/// (`owner=all`, and the chief's or accountant's department filter) is one range of
/// `ix_payments_department_date` walked newest payment date first — no sort of the department's
/// payments; the chief's whole list walks `ix_payments_date`. On this pass's backend.
#[tokio::test]
async fn the_payments_list_walks_the_department_date_index_without_a_sort() {
    use ferrocrm::access::{Role, Viewer};
    use ferrocrm::crm::list::Filter;

    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let db = fresh_db(&dir).await;
    ferrocrm::migrate(&db).await.unwrap();
    let manager = plan_viewer(&[Role::SalesManager], &[1]);
    let chief = plan_viewer(&[Role::Chief], &[]);
    let accountant = plan_viewer(&[Role::Accountant], &[]);
    let f = |owner: &str, department: &str| Filter {
        owner: owner.into(),
        department: department.into(),
        ..Filter::default()
    };
    // (who, filter, index, may PostgreSQL sort the ties of one date?) `ix_payments_date` holds the
    // date alone: SQLite's index entries end with the row id (the rowid), PostgreSQL's do not, so
    // it sorts each date's few payments by id (an Incremental Sort), never the whole list.
    let cases: Vec<(&str, &Viewer, Filter, &str, bool)> = vec![
        ("manager, everyone's", &manager, f("all", ""), "ix_payments_department_date", false),
        ("manager, page 2", &manager, Filter { page: Some(2), ..f("all", "") }, "ix_payments_department_date", false),
        ("chief, one department", &chief, f("all", "1"), "ix_payments_department_date", false),
        ("accountant, one department", &accountant, f("", "1"), "ix_payments_department_date", false),
        ("chief, every department", &chief, f("all", ""), "ix_payments_date", true),
    ];
    for (name, v, f, index, ties) in cases {
        let (q, _) = ferrocrm::crm::list::page_query(&db, v, &ferrocrm::crm::money::PAYMENT, &f, None).await.unwrap();
        let lines = plan_of(&db, &q, false).await;
        assert!(uses_index(&lines, index), "{name}: {index} not in the plan:\n{lines:#?}");
        assert!(!sorts(&lines, ties), "{name} sorts:\n{lines:#?}");
    }
}

/// The requests list as `requests::list` builds it (issue 9): pending first, then newest, walks
/// `ix_requests_department_pending` backwards for one department and `ix_requests_pending`
/// (migration 22) for a viewer of every department — no sort of the requests. On this pass's backend.
#[tokio::test]
async fn the_requests_list_walks_a_pending_index_without_a_sort() {
    use ferrocrm::access::Role;
    use ferrocrm::crm::list::Filter;
    use ferrocrm::requests::list::RequestFilter;

    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let db = fresh_db(&dir).await;
    ferrocrm::migrate(&db).await.unwrap();
    let manager = plan_viewer(&[Role::Operator], &[1]);
    let chief = plan_viewer(&[Role::Chief], &[]);
    let f = |department: &str, pending: &str| RequestFilter {
        base: Filter { owner: "all".into(), department: department.into(), ..Filter::default() },
        pending: pending.into(),
        ..RequestFilter::default()
    };
    let cases = [
        ("operator, the department's", &manager, f("", ""), "ix_requests_department_pending"),
        ("operator, pending", &manager, f("", "yes"), "ix_requests_department_pending"),
        ("chief, every department", &chief, f("", ""), "ix_requests_pending"),
        ("chief, pending", &chief, f("", "yes"), "ix_requests_pending"),
        ("chief, one department", &chief, f("1", ""), "ix_requests_department_pending"),
    ];
    for (name, v, f, index) in cases {
        let (q, _) = ferrocrm::requests::list::page_query(&db, v, &f).await.unwrap();
        let lines = plan_of(&db, &q, false).await;
        assert!(uses_index(&lines, index), "{name}: {index} not in the plan:\n{lines:#?}");
        assert!(!sorts(&lines, false), "{name} sorts:\n{lines:#?}");
    }
}

/// A viewer of the query-plan tests (no user row is read).
fn plan_viewer(roles: &[ferrocrm::access::Role], departments: &[i64]) -> ferrocrm::access::Viewer {
    ferrocrm::access::Viewer {
        id: 7,
        username: "u".into(),
        display_name: "U".into(),
        roles: ferrocrm::access::Roles::of(roles),
        department_id: departments.first().copied(),
        departments: departments.to_vec(),
        csrf: String::new(),
        session_id: String::new(),
        tz: chrono_tz::UTC,
    }
}

/// Whether a plan names `index` (as a whole word).
fn uses_index(lines: &[String], index: &str) -> bool {
    lines.iter().any(|l| l.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == index))
}

/// Whether a plan has a node that sorts: SQLite's temp B-tree (for the whole order, or for its right
/// part: the ties), PostgreSQL's Sort (or Incremental Sort: the ties of a presorted key, allowed
/// when `ties`).
fn sorts(lines: &[String], ties: bool) -> bool {
    lines.iter().any(|l| {
        let node = l.trim_start().trim_start_matches("->").trim_start();
        l.contains("TEMP B-TREE FOR ORDER BY")
            || node.starts_with("Sort  (")
            || (!ties && (l.contains("TEMP B-TREE FOR RIGHT PART OF ORDER BY") || node.starts_with("Incremental Sort")))
    })
}
