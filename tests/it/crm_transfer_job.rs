//! A user's transfer to another department (§11.3) as a durable background job: thousands of rows
//! move in batches with live progress and a notification; a transfer stopped after one batch (a
//! crash) is finished by a new instance on the same database, each row moved once; only
//! administrators; bad input and a second transfer while one runs change nothing.

use std::time::{Duration, Instant};

use ferrocrm::users::transfer_job::{self, Step};
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::Options;
use crate::helpers::snapshot::snapshot;
use crate::helpers::{TestApp, crm};

/// `n` companies owned by `owner` in department `d`, each with a contact person when `contacts`.
/// Written straight into the tables, 500 a statement.
async fn many(app: &TestApp, d: i64, owner: i64, n: usize, contacts: bool, tag: &str) -> Vec<i64> {
    let now = ferrocrm::db::now();
    let mut ids = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut q = Query::insert();
        q.into_table("companies").columns([
            "full_name",
            "name_key",
            "email",
            "token",
            "department_id",
            "owner_id",
            "created_at",
            "updated_at",
        ]);
        for i in chunk {
            let name = format!("{tag} firm {i:05}");
            q.values_panic([
                name.clone().into(),
                ferrocrm::text::match_key(&name).into(),
                format!("{tag}{i}@example.com").into(),
                format!("tok-{tag}-c{i}").into(),
                d.into(),
                owner.into(),
                now.into(),
                now.into(),
            ]);
        }
        app.db.execute(&q).await.unwrap();
    }
    let rows: Vec<(i64,)> = app
        .db
        .fetch_all(
            Query::select()
                .column("id")
                .from("companies")
                .and_where(Expr::col("token").like(format!("tok-{tag}-c%")))
                .order_by("id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    ids.extend(rows.into_iter().map(|(i,)| i));
    if contacts {
        for (k, chunk) in ids.chunks(500).enumerate() {
            let mut q = Query::insert();
            q.into_table("contacts").columns([
                "first_name",
                "last_name",
                "first_name_key",
                "last_name_key",
                "email",
                "token",
                "company_id",
                "department_id",
                "owner_id",
                "created_at",
                "updated_at",
            ]);
            for (j, c) in chunk.iter().enumerate() {
                let i = k * 500 + j;
                q.values_panic([
                    "Anna".into(),
                    format!("{tag} {i}").into(),
                    "anna".into(),
                    ferrocrm::text::match_key(&format!("{tag} {i}")).into(),
                    format!("anna.{tag}{i}@example.com").into(),
                    format!("tok-{tag}-p{i}").into(),
                    (*c).into(),
                    d.into(),
                    owner.into(),
                    now.into(),
                    now.into(),
                ]);
            }
            app.db.execute(&q).await.unwrap();
        }
    }
    ids
}

async fn count(app: &TestApp, table: &'static str, cond: sea_query::Condition) -> i64 {
    app.db.scalar(Query::select().expr(Expr::cust("COUNT(*)")).from(table).cond_where(cond)).await.unwrap().unwrap_or(0)
}

/// The user's rows of `table` in department `d`.
async fn owned_in(app: &TestApp, table: &'static str, owner: i64, d: i64) -> i64 {
    count(
        app,
        table,
        sea_query::Condition::all().add(Expr::col("owner_id").eq(owner)).add(Expr::col("department_id").eq(d)),
    )
    .await
}

/// History entries written by `actor` about objects of `kind`, and about how many distinct objects.
async fn history_by(app: &TestApp, kind: &str, actor: i64) -> (i64, i64) {
    let all = count(
        app,
        "history",
        sea_query::Condition::all().add(Expr::col("object_type").eq(kind)).add(Expr::col("actor_id").eq(actor)),
    )
    .await;
    let distinct: i64 = app
        .db
        .scalar(
            Query::select()
                .expr(Expr::cust("COUNT(DISTINCT object_id)"))
                .from("history")
                .and_where(Expr::col("object_type").eq(kind))
                .and_where(Expr::col("actor_id").eq(actor)),
        )
        .await
        .unwrap()
        .unwrap_or(0);
    (all, distinct)
}

fn transfer_id(location: &str) -> i64 {
    location.strip_prefix("/admin/transfers/").and_then(|i| i.parse().ok()).unwrap_or_else(|| panic!("{location}"))
}

/// 3,000+ rows: the request answers at once with the transfer's page, the job moves them in
/// batches, the page's live region hears every batch, and the administrator is notified.
#[tokio::test]
async fn a_user_owning_thousands_of_rows_is_transferred_by_the_job_with_live_progress() {
    let app = TestApp::with(Options { seed_users: true, workers: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let admin_id = app.user_id("Adam.Admin").await;
    let companies = many(&app, sales, mark, 1_500, true, "big").await;
    crm::spread(&app, &[sales], &[Some(mark)], None).await;
    // `spread` gives him a company, contact person, lead, deal and request.
    let total = 1_500 * 2 + 5;
    let admin = app.login_as("Adam.Admin").await;
    let mut sse = admin.sse().await;

    let started =
        admin.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", &export.to_string())]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let at = started.header("location").unwrap();
    let id = transfer_id(&at);
    let page = admin.get(&at).await;
    assert_eq!(page.status, 200);
    let region = format!("#transfer-{id}-progress");
    assert_eq!(page.attr(&region, "data-live").as_deref(), Some(format!("{at}/progress").as_str()));
    let name = format!("transfer-{id}-changed");
    assert!(page.attr(&region, "data-live-on").unwrap().contains(&name));

    // Only administrators see it.
    let helen = app.login_as("Helen.Head.Sales").await;
    assert_eq!(helen.get(&at).await.status, 404);
    assert_eq!(helen.get(&format!("{at}/progress")).await.status, 404);

    let mut events = 0;
    loop {
        sse.expect(&name, Duration::from_secs(120)).await;
        events += 1;
        let now = admin.hx_get(&format!("{at}/progress")).await;
        if now.exists(".transfer-result") {
            assert!(now.text(".transfer-result").contains(&format!("{} of their records moved", group(total))));
            break;
        }
        assert!(now.exists(&format!("{region} progress")), "{}", now.body);
    }
    // The rest of the progress events, up to a marker published after the end.
    app.state.bus.publish(crate::helpers::sse::control(admin_id));
    let rest = sse.collect_until(crate::helpers::sse::CONTROL, Duration::from_secs(30)).await;
    events += rest.iter().filter(|e| e.event == name).count() as i64;
    let t = transfer_job::get(&app.db, id).await.unwrap().unwrap();
    assert_eq!(events, t.batches, "one progress event per batch and one at the end");
    assert!(t.batches >= 10, "1,501 companies and contacts in batches of 500, a lead, a deal: {}", t.batches);
    for table in ["companies", "contacts"] {
        assert_eq!(owned_in(&app, table, mark, sales).await, 0, "{table}");
    }
    assert_eq!(owned_in(&app, "companies", mark, export).await, 1_501);
    assert_eq!(owned_in(&app, "contacts", mark, export).await, 1_501);
    for table in ["leads", "deals"] {
        assert_eq!(owned_in(&app, table, mark, export).await, 1, "{table}");
    }
    // Every row once: one history entry each.
    assert_eq!(history_by(&app, "company", admin_id).await, (1_501, 1_501));
    assert_eq!(history_by(&app, "contact", admin_id).await, (1_501, 1_501));
    let t = transfer_job::get(&app.db, id).await.unwrap().unwrap();
    assert_eq!((t.status.as_str(), t.moved, t.total), ("done", total as i64, total as i64));
    assert!(companies.len() == 1_500);
    let bell = admin.get("/notifications").await;
    assert!(bell.body.contains("User transferred successfully: Mark Manager is in Export"), "{}", bell.body);
}

fn group(n: usize) -> String {
    ferrocrm::views::ui::grouped(n as u64)
}

/// A transfer stopped after one batch (its worker gone, its job's lease still held) is finished by
/// a new instance on the same database once the lease runs out, and every row moves exactly once.
#[tokio::test]
async fn a_transfer_interrupted_after_one_batch_is_finished_by_a_new_instance() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let admin_id = app.user_id("Adam.Admin").await;
    // Sales' "reseller" type has a same-name partner in Export: the moved rows point at it.
    let reseller = |d: i64| {
        Query::select()
            .column("id")
            .from("client_types")
            .and_where(Expr::col("department_id").eq(d))
            .and_where(Expr::col("name").eq("reseller"))
            .to_owned()
    };
    let sales_reseller: i64 = app.db.scalar(&reseller(sales)).await.unwrap().unwrap();
    let export_reseller: i64 = app.db.scalar(&reseller(export)).await.unwrap().unwrap();
    many(&app, sales, mark, 1_200, false, "cut").await;
    app.db
        .execute(
            Query::update()
                .table("companies")
                .value("type_id", sales_reseller)
                .and_where(Expr::col("owner_id").eq(mark)),
        )
        .await
        .unwrap();
    let admin = app.login_as("Adam.Admin").await;
    let export_s = export.to_string();

    let started = admin.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", &export_s)]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let id = transfer_id(&started.header("location").unwrap());

    // A second transfer of the same user while this one runs: refused, nothing changed.
    let before = snapshot(&app.db).await;
    let again =
        admin.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", &sales.to_string())]).await;
    assert_eq!(again.status, 422);
    assert!(again.text(".form-errors").contains("still running"), "{}", again.body);
    assert_eq!(snapshot(&app.db).await, before);

    // The worker claims the job, writes one batch, and dies.
    let job = ferrocrm::jobs::claim(&app.db).await.unwrap().expect("the transfer's job");
    assert_eq!(job.kind, transfer_job::JOB);
    assert_eq!(transfer_job::step(&app.state, id).await.unwrap(), Step::Moved(transfer_job::BATCH as i64));
    // What a reader sees at the batch boundary: 500 rows whole in Export, the rest as they were.
    assert_eq!(owned_in(&app, "companies", mark, export).await, 500);
    assert_eq!(owned_in(&app, "companies", mark, sales).await, 700);
    let cond = |d: i64, ty: i64| {
        sea_query::Condition::all()
            .add(Expr::col("owner_id").eq(mark))
            .add(Expr::col("department_id").eq(d))
            .add(Expr::col("type_id").eq(ty))
    };
    assert_eq!(count(&app, "companies", cond(export, export_reseller)).await, 500, "moved rows are remapped");
    assert_eq!(count(&app, "companies", cond(sales, sales_reseller)).await, 700, "the others untouched");
    assert_eq!(history_by(&app, "company", admin_id).await, (500, 500));
    let t = transfer_job::get(&app.db, id).await.unwrap().unwrap();
    assert_eq!((t.status.as_str(), t.moved, t.total), ("running", 500, 1_200));
    let progress = admin.hx_get(&format!("/admin/transfers/{id}/progress")).await;
    assert!(progress.text("[role=status]").contains("500 of 1,200 records moved"), "{}", progress.body);

    // A new instance on the same database; the dead worker's lease runs out.
    let second =
        TestApp::with(Options { database_url: Some(app.database_url.clone()), workers: true, ..Default::default() })
            .await;
    second
        .db
        .execute(
            Query::update()
                .table("jobs")
                .value("locked_until", ferrocrm::db::now() - chrono::Duration::seconds(1))
                .and_where(Expr::col("id").eq(job.id)),
        )
        .await
        .unwrap();
    second.state.wake.notify_one();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let t = transfer_job::get(&second.db, id).await.unwrap().unwrap();
        if t.status == "done" {
            assert_eq!(t.moved, 1_200);
            break;
        }
        assert!(Instant::now() < deadline, "the transfer did not finish: {t:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(owned_in(&app, "companies", mark, export).await, 1_200);
    assert_eq!(count(&app, "companies", cond(export, export_reseller)).await, 1_200);
    assert_eq!(history_by(&app, "company", admin_id).await, (1_200, 1_200), "each row moved once");
    // The worker marks the job done in its own transaction after the transfer's last batch
    // committed: wait for it (bounded) rather than read it at once.
    loop {
        let j = ferrocrm::jobs::get(&app.db, job.id).await.unwrap().unwrap();
        if j.status == "done" {
            break;
        }
        assert!(Instant::now() < deadline, "the job was not marked done: {j:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Running it again changes nothing. The second instance's worker keeps running its recurring
    // jobs (maintenance, clean-ups) meanwhile, so their rows are left out; the transfer's own job
    // row must not change.
    let data = |mut s: std::collections::BTreeMap<String, (usize, String)>| {
        s.remove("jobs");
        s
    };
    let job_row = || async { format!("{:?}", ferrocrm::jobs::get(&app.db, job.id).await.unwrap()) };
    let (before, job_before) = (data(snapshot(&app.db).await), job_row().await);
    assert_eq!(transfer_job::step(&app.state, id).await.unwrap(), Step::Finished);
    assert_eq!(data(snapshot(&app.db).await), before);
    assert_eq!(job_row().await, job_before);
    let page = admin.get(&format!("/admin/transfers/{id}")).await;
    assert_eq!(page.text(".flash-success"), "User transferred successfully");
}

/// Two runs of the same transfer at once (a lease that ran out under a slow worker) never move a
/// row twice: one of them finds the batch taken.
#[tokio::test]
async fn two_runs_of_one_transfer_at_once_move_each_row_once() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let admin_id = app.user_id("Adam.Admin").await;
    many(&app, sales, mark, 1_100, false, "twice").await;
    let admin = app.login_as("Adam.Admin").await;
    let started =
        admin.post_form(&format!("/admin/users/{mark}/transfer"), &[("department_id", &export.to_string())]).await;
    let id = transfer_id(&started.header("location").unwrap());
    let payload = format!("{{\"id\":{id}}}");
    let (a, b) = tokio::join!(transfer_job::run(&app.state, &payload), transfer_job::run(&app.state, &payload));
    a.unwrap();
    b.unwrap();
    assert_eq!(owned_in(&app, "companies", mark, export).await, 1_100);
    assert_eq!(history_by(&app, "company", admin_id).await, (1_100, 1_100));
    let t = transfer_job::get(&app.db, id).await.unwrap().unwrap();
    assert_eq!((t.status.as_str(), t.moved), ("done", 1_100));
}
