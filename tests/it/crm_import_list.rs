//! The list of past imports (the viewer's own; administrators' all), newest first, paginated, and
//! the periodic cleanup of previews never confirmed (after a day, with their rows).

use ferrocrm::excel::Cell;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::{Options, TestApp};
use crate::helpers::client::TestClient;
use crate::helpers::crm;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn workbook(names: &[&str]) -> Vec<u8> {
    let rows: Vec<Vec<Cell>> = names
        .iter()
        .map(|n| vec![Cell::Text(n.to_string()), Cell::Text(format!("{}@x.org", n.to_lowercase()))])
        .collect();
    ferrocrm::excel::write_sheet("Sheet1", &["full_name", "email"], chrono_tz::Tz::UTC, rows).unwrap()
}

/// Uploads a workbook as `file`; returns the import's id.
async fn upload(c: &TestClient, file: &str, names: &[&str]) -> i64 {
    let p = c.post_multipart("/companies/import", &[], &[("file", file, XLSX, workbook(names))]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    p.header("location").unwrap().strip_prefix("/imports/").unwrap().parse().unwrap()
}

async fn run_jobs(app: &TestApp) {
    while ferrocrm::jobs::run_once(&app.state).await.unwrap() {}
}

async fn count(app: &TestApp, table: &'static str, import: i64, col: &'static str) -> i64 {
    app.db
        .scalar(Query::select().expr(Expr::cust("COUNT(*)")).from(table).and_where(Expr::col(col).eq(import)))
        .await
        .unwrap()
        .unwrap_or(0)
}

#[tokio::test]
async fn the_imports_list_shows_the_viewers_imports_and_an_administrator_everyones() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let admin = app.login_as("Adam.Admin").await;

    let empty = mark.get("/imports").await;
    assert_eq!(empty.status, 200);
    assert!(empty.exists(".empty-state"), "{}", empty.body);

    let first = upload(&mark, "first.xlsx", &["Alpha", "Beta"]).await;
    assert_eq!(mark.post_form(&format!("/imports/{first}/confirm"), &[]).await.status, 303);
    run_jobs(&app).await;
    let second = upload(&mark, "second.xlsx", &["Gamma"]).await;
    let hers = upload(&helen, "hers.xlsx", &["Delta"]).await;

    let list = mark.get("/imports").await;
    assert_eq!(list.status, 200);
    let links = list.attrs(".imports-list tbody td a", "href");
    assert_eq!(links, [format!("/imports/{second}"), format!("/imports/{first}")], "own, newest first");
    assert_eq!(list.texts(".imports-list .import-status"), ["Preview, not imported", "Done"], "statuses");
    let rows = list.texts(".imports-list tbody tr");
    assert!(rows[1].contains("first.xlsx") && rows[1].contains("2"), "{rows:?}");
    // The import form links to the list.
    assert!(mark.get("/companies/import").await.exists("a[href='/imports']"));

    let all = admin.get("/imports").await;
    let links = all.attrs(".imports-list tbody td a", "href");
    assert_eq!(
        links,
        [format!("/imports/{hers}"), format!("/imports/{second}"), format!("/imports/{first}")],
        "an administrator sees everyone's"
    );
    assert!(all.text(".imports-list").contains("Helen.Head.Sales"));
    // The administrator reads Mark's report but may not import or cancel his preview.
    let report = admin.get(&format!("/imports/{first}")).await;
    assert_eq!(report.status, 200);
    assert!(report.text(".import-result").contains("2 companies created"), "{}", report.body);
    let preview = admin.get(&format!("/imports/{second}")).await;
    assert_eq!(preview.status, 200);
    assert!(!preview.exists("form[action$='/confirm']"));
    assert_eq!(admin.post_form(&format!("/imports/{second}/confirm"), &[]).await.status, 404);
    assert_eq!(admin.post_form(&format!("/imports/{second}/cancel"), &[]).await.status, 404);
    // Others' imports are not found for anyone else.
    assert_eq!(helen.get(&format!("/imports/{first}")).await.status, 404);
    assert_eq!(helen.get(&format!("/imports/{first}/progress")).await.status, 404);
    assert_eq!(helen.get("/imports").await.attrs(".imports-list tbody td a", "href"), [format!("/imports/{hers}")]);

    // Paginated: 50 a page.
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let now = ferrocrm::db::now();
    let mut q = Query::insert();
    q.into_table("imports").columns([
        "user_id",
        "kind",
        "file_name",
        "status",
        "total_rows",
        "to_create",
        "next_idx",
        "created",
        "departments",
        "report",
        "created_at",
        "updated_at",
    ]);
    for i in 0..55 {
        q.values_panic([
            mark_id.into(),
            "company".into(),
            format!("old-{i}.xlsx").into(),
            "done".into(),
            1.into(),
            1.into(),
            1.into(),
            1.into(),
            "".into(),
            "[]".into(),
            now.into(),
            now.into(),
        ]);
    }
    app.db.execute(&q).await.unwrap();
    let p1 = mark.get("/imports").await;
    assert_eq!(p1.count(".imports-list tbody tr"), 50);
    assert!(p1.exists("a[rel=next][href='/imports?page=2']"));
    let p2 = mark.get("/imports?page=2").await;
    assert_eq!(p2.count(".imports-list tbody tr"), 57 - 50);
    assert_eq!(p2.attrs(".imports-list tbody td a", "href").last().unwrap(), &format!("/imports/{first}"));
}

#[tokio::test]
async fn previews_never_confirmed_are_removed_by_the_cleanup_job_after_a_day() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let old = upload(&mark, "old.xlsx", &["Alpha", "Beta", "Gamma"]).await;
    let fresh = upload(&mark, "fresh.xlsx", &["Delta"]).await;
    let confirmed = upload(&mark, "confirmed.xlsx", &["Epsilon"]).await;
    assert_eq!(mark.post_form(&format!("/imports/{confirmed}/confirm"), &[]).await.status, 303);
    run_jobs(&app).await;
    assert_eq!(count(&app, "import_rows", old, "import_id").await, 3);
    // Move the clock: the old preview and the confirmed import are 25 hours old, the fresh one 23.
    let ago = |h: i64| ferrocrm::db::now() - chrono::Duration::hours(h);
    for (id, h) in [(old, 25), (confirmed, 25), (fresh, 23)] {
        app.db
            .execute(Query::update().table("imports").value("created_at", ago(h)).and_where(Expr::col("id").eq(id)))
            .await
            .unwrap();
    }

    ferrocrm::jobs::worker::schedule_recurring(&app.state).await.unwrap();
    run_jobs(&app).await;

    assert_eq!(count(&app, "imports", old, "id").await, 0, "the old preview is gone");
    assert_eq!(count(&app, "import_rows", old, "import_id").await, 0, "with its rows");
    assert_eq!(mark.get(&format!("/imports/{old}")).await.status, 404);
    assert_eq!(count(&app, "imports", fresh, "id").await, 1, "a preview younger than a day stays");
    assert_eq!(count(&app, "import_rows", fresh, "import_id").await, 1);
    assert_eq!(count(&app, "imports", confirmed, "id").await, 1, "a confirmed import stays");
    let jobs = ferrocrm::jobs::by_kind(&app.db, ferrocrm::crm::import::CLEANUP_JOB).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "queued", "recurring: rescheduled");
    assert!(jobs[0].run_at > ferrocrm::db::now() + chrono::Duration::minutes(50));

    // A day later the fresh one goes too; scheduling again adds no second job.
    app.db
        .execute(Query::update().table("imports").value("created_at", ago(25)).and_where(Expr::col("id").eq(fresh)))
        .await
        .unwrap();
    app.db
        .execute(
            Query::update()
                .table("jobs")
                .value("run_at", ferrocrm::db::now())
                .and_where(Expr::col("kind").eq(ferrocrm::crm::import::CLEANUP_JOB)),
        )
        .await
        .unwrap();
    ferrocrm::jobs::worker::schedule_recurring(&app.state).await.unwrap();
    run_jobs(&app).await;
    assert_eq!(count(&app, "imports", fresh, "id").await, 0);
    assert_eq!(ferrocrm::jobs::by_kind(&app.db, ferrocrm::crm::import::CLEANUP_JOB).await.unwrap().len(), 1);
}
