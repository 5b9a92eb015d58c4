//! Income Summary snapshots (§5.1): "Save snapshot", the snapshot page and its rules, the month-end
//! job on several instances and after a restart; and the Excel exports of the Income and Deal
//! summaries. Figures come from `analytics_data` and are worked out by hand in the comments.

use std::time::Duration;

use chrono::{Datelike, Timelike, Utc};
use ferrocrm::analytics::monthly;
use sea_query::{Expr, ExprTrait, Query};

use crate::analytics::{bars, exported};
use crate::analytics_data::{self as data, months, setup};
use crate::helpers::TestApp;
use crate::helpers::app::Options;
use crate::helpers::html::Page;

/// Posts the page's "Save snapshot" form; returns the snapshot's URL.
async fn save(c: &crate::helpers::client::TestClient, page: &str) -> String {
    let p = c.get(page).await;
    assert_eq!(p.status, 200, "{page}: {}", p.body);
    let action = p.attr("#snapshots form[method=post]", "action").expect("a Save snapshot form");
    assert_eq!(p.text("#snapshots form button"), "Save snapshot");
    let r = c.post_form(&action, &[]).await;
    assert_eq!(r.status, 303, "{action}: {}", r.body);
    let to = r.header("location").expect("redirect");
    assert!(to.starts_with("/analytics/income/snapshots/"), "{to}");
    to
}

async fn count_snapshots(app: &TestApp, month: Option<&str>) -> i64 {
    let mut q = Query::select();
    q.expr(Expr::col("id").count()).from("income_snapshots");
    if let Some(m) = month {
        q.and_where(Expr::col("month").eq(m));
    }
    app.db.scalar(&q).await.unwrap().unwrap_or(0)
}

#[tokio::test]
async fn a_snapshot_keeps_the_figures_of_its_time_and_shows_them_without_filters_or_buttons() {
    let (app, f) = setup().await;
    let garry = app.login_as("Garry.Chief").await;
    let page = format!("/analytics/income?owner=all&department={}", f.sales);
    let now = garry.get(&page).await;
    assert_eq!(now.text("#snapshots .snapshot-links"), "Snapshots: Now");
    assert!(now.text("#snapshots").starts_with(&format!("Date: {}", Utc::now().date_naive())));

    let url = save(&garry, &page).await;
    // A later payment changes the report, not the snapshot: 100.00 USD on deal A this month.
    data::payment(&app, f.deal_a, 10_000, "USD", data::month(0), "received", "LATE").await;
    let live = garry.get(&page).await;
    // Sales, every owner: A's 1,100.00 (+ the late 100.00) this month, A's 500.00 last month.
    assert_eq!(bars(&live, "income"), months(&[(11, 1200.0), (10, 500.0)]));
    assert_eq!(live.attrs("#snapshots a", "href"), vec![url.clone()]);
    let hidden = [
        "form.filters",
        "#snapshots",
        "a[download]",
        "a.currency-switch",
        "#report[data-live]",
        "main form[method=post]",
    ];
    for css in hidden {
        assert!(live.exists(css), "{css} on the report (the check below can fail)");
    }

    let s = garry.get(&url).await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert!(s.text("#snapshot-of").starts_with("Snapshot of "), "{}", s.text("#snapshot-of"));
    assert_eq!(s.text("#snapshot-departments"), "Sales");
    assert_eq!(s.text("#snapshot-owner"), "All owners");
    assert_eq!(bars(&s, "income"), months(&[(11, 1100.0), (10, 500.0)]));
    // B's 200 EUR × 1.2 = 240.00 thirteen months ago: the previous period's month of last month.
    assert_eq!(bars(&s, "income-previous"), months(&[(10, 240.0)]));
    assert_eq!(s.text("#received-total"), "1,100.00");
    assert_eq!(s.texts("#forecast-guaranteed tbody tr td.num"), vec!["80.00", "300.00", "0.00"]);
    // Names are escaped as on the live page (rendered again by the views, not stored HTML).
    assert!(s.text("#received tbody tr").contains("Widget <b> - 3pcs"));
    assert_eq!(s.count("#received b"), 0);
    // No filters, no buttons, no live refresh; a way back to the report now.
    for css in hidden {
        assert!(!s.exists(css), "{css} on a snapshot");
    }
    assert_eq!(s.attr(".page-actions a", "href"), Some(format!("/analytics/income?owner=all&department={}", f.sales)));

    // The header lists the four latest snapshots of this scope, newest first.
    let mut urls = vec![url];
    for _ in 0..4 {
        urls.push(save(&garry, &page).await);
    }
    urls.reverse();
    let header = garry.get(&page).await;
    assert_eq!(header.attrs("#snapshots a", "href"), urls[..4].to_vec());
    // Other scopes have their own: every department, all owners — none yet.
    assert_eq!(garry.get("/analytics/income?owner=all").await.count("#snapshots a"), 0);
}

#[tokio::test]
async fn a_snapshot_is_seen_only_by_viewers_who_may_see_its_departments() {
    let (app, f) = setup().await;
    let garry = app.login_as("Garry.Chief").await;
    let export = save(&garry, &format!("/analytics/income?owner=all&department={}", f.export)).await;
    let everything = save(&garry, "/analytics/income?owner=all").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    // Mark's page opens on his own deals (department Sales): so does his snapshot.
    let own = save(&mark, "/analytics/income").await;
    let own_page = mark.get(&own).await;
    assert_eq!(own_page.text("#snapshot-owner"), "Mark Manager");
    // Mark's A only: 1,100.00 this month, 500.00 last month.
    assert_eq!(bars(&own_page, "income"), months(&[(11, 1100.0), (10, 500.0)]));

    // (user, [export, everything, Mark's own]): 200, 404 (not theirs: as missing), 403 (no report).
    let expected: &[(&str, [u16; 3])] = &[
        ("Garry.Chief", [200, 200, 200]),
        ("Adam.Admin", [200, 200, 200]),
        ("Anna.Accountant", [200, 200, 200]),
        ("Mark.Manager.Sales", [404, 404, 200]),
        ("Helen.Head.Sales", [404, 404, 200]),
        ("Eve.Manager.Export", [200, 404, 404]),
        ("Olga.Operator.Sales", [403, 403, 403]),
        ("Carl.CoWorker", [403, 403, 403]),
    ];
    for (user, codes) in expected {
        let c = app.login_as(user).await;
        for (url, want) in [&export, &everything, &own].into_iter().zip(codes) {
            let p = c.get(url).await;
            assert_eq!(p.status.as_u16(), *want, "{user} {url}");
            if *want == 200 {
                assert!(p.exists("#snapshot-of"), "{user} {url}");
            } else {
                assert!(!p.body.contains("Snapshot of"), "{user} {url}: nothing of the snapshot shows");
            }
        }
        assert_eq!(
            c.get("/analytics/income/snapshots/999999").await.status.as_u16(),
            if codes[0] == 403 { 403 } else { 404 }
        );
    }
    // Saving follows the page's rules: another department is refused, an operator too; nothing is
    // stored.
    let before = count_snapshots(&app, None).await;
    let other = mark.post_form(&format!("/analytics/income/snapshots?department={}", f.export), &[]).await;
    assert_eq!(other.status, 403);
    let olga = app.login_as("Olga.Operator.Sales").await;
    assert_eq!(olga.post_form("/analytics/income/snapshots", &[]).await.status, 403);
    assert_eq!(mark.post_form("/analytics/income/snapshots?owner=x", &[]).await.status, 400);
    assert_eq!(count_snapshots(&app, None).await, before);
    // Mark's header lists his own snapshot, never Garry's of other scopes.
    assert_eq!(mark.get("/analytics/income").await.attrs("#snapshots a", "href"), vec![own]);
}

/// The month a run now saves: last month, or this one from 23:00 UTC on its last day.
fn expected_month() -> String {
    let now = Utc::now();
    let last_day = data::month(-1).pred_opt().unwrap();
    let m = if now.date_naive() == last_day && now.hour() >= 23 { data::month(0) } else { data::month(1) };
    format!("{:04}-{:02}", m.year(), m.month())
}

async fn the_job(app: &TestApp) -> ferrocrm::jobs::Job {
    let jobs = ferrocrm::jobs::by_kind(&app.db, monthly::JOB).await.unwrap();
    assert_eq!(jobs.len(), 1, "one job row, whatever the number of instances: {jobs:?}");
    jobs.into_iter().next().unwrap()
}

/// Waits (up to 30 s) until `done` holds.
async fn wait_for<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_month_end_job_saves_one_snapshot_per_sales_department_once_across_instances_and_restarts() {
    let (app, f) = setup().await;
    // The app was down at the last three month ends: the job (as a first start three months ago
    // scheduled it) is due since the end of M-3.
    let long_ago = data::month(3).and_hms_opt(12, 0, 0).unwrap().and_utc();
    let mut tx = app.db.begin().await.unwrap();
    monthly::schedule(&mut tx, long_ago).await.unwrap();
    tx.commit().await.unwrap();
    let due = the_job(&app).await.run_at;
    assert_eq!(due.date_naive(), data::month(2).pred_opt().unwrap(), "the last day of M-3");
    assert_eq!(due.hour(), 23);

    // Two instances start on the same database, both with workers: each makes sure of the job and
    // tries to claim it; one runs it, once.
    let opts = || Options { database_url: Some(app.database_url.clone()), workers: true, ..Default::default() };
    let b = TestApp::with(opts()).await;
    let c = TestApp::with(opts()).await;
    wait_for("the job to run and move to the next month end", || async {
        let j = the_job(&app).await;
        j.status == "queued" && j.run_at > Utc::now()
    })
    .await;
    let next = the_job(&app).await.run_at;
    assert_eq!(next, monthly::next_due(Utc::now()));
    // One catch-up, for the latest month end passed: one snapshot for each department with sales
    // managers (Sales: Mark, Helen; Export: Eve; not Bookkeeping, whose only member is Anna).
    let month = expected_month();
    assert_eq!(count_snapshots(&app, None).await, 2, "one run, not one per missed month or per instance");
    assert_eq!(count_snapshots(&app, Some(&month)).await, 2);
    let rows: Vec<(Option<i64>, Option<i64>)> = app
        .db
        .fetch_all(
            Query::select()
                .columns(["department_id", "owner_id"])
                .from("income_snapshots")
                .order_by("department_id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    let mut want = vec![(Some(f.sales), None), (Some(f.export), None)];
    want.sort();
    assert_eq!(rows, want);

    // Counted as of that month end (when it is last month's): Sales got A's 500.00 last month, and
    // A's 1,100.00 of this month is not in it; B's 240.00 of M-13 is the previous period's last bar.
    if month == format!("{:04}-{:02}", data::month(1).year(), data::month(1).month()) {
        let id: i64 = app
            .db
            .scalar(
                Query::select().column("id").from("income_snapshots").and_where(Expr::col("department_id").eq(f.sales)),
            )
            .await
            .unwrap()
            .unwrap();
        let p: Page = app.login_as("Garry.Chief").await.get(&format!("/analytics/income/snapshots/{id}")).await;
        assert_eq!(bars(&p, "income"), months(&[(11, 500.0)]));
        assert_eq!(bars(&p, "income-previous"), months(&[(11, 240.0)]));
        assert_eq!(p.text("#received-total"), "500.00");
        // Mark sees his department's monthly snapshot; Eve does not.
        assert_eq!(
            app.login_as("Mark.Manager.Sales").await.get(&format!("/analytics/income/snapshots/{id}")).await.status,
            200
        );
        assert_eq!(
            app.login_as("Eve.Manager.Export").await.get(&format!("/analytics/income/snapshots/{id}")).await.status,
            404
        );
        // The chief's page of Sales, all owners, lists it.
        let header =
            app.login_as("Garry.Chief").await.get(&format!("/analytics/income?owner=all&department={}", f.sales)).await;
        assert_eq!(header.attrs("#snapshots a", "href"), vec![format!("/analytics/income/snapshots/{id}")]);
    }

    // Both instances taking the same month at once (a lease that ran out, a second scheduler):
    // the unique key keeps one snapshot per department and month.
    let (x, y) = tokio::join!(monthly::take(&b.db, due), monthly::take(&c.db, due));
    assert_eq!(x.unwrap() + y.unwrap(), 2, "M-3's month: one of them saves each department");
    let m3 = format!("{:04}-{:02}", data::month(3).year(), data::month(3).month());
    assert_eq!(count_snapshots(&app, Some(&m3)).await, 2);
    let (x, y) = tokio::join!(monthly::take(&b.db, due), monthly::take(&c.db, due));
    assert_eq!((x.unwrap(), y.unwrap()), (0, 0));
    assert_eq!(count_snapshots(&app, None).await, 4);

    // A restart before the next month end runs nothing: once the new instance's worker ran the
    // maintenance job (made due now: the positive control), the month job is where it was.
    let d = TestApp::with(opts()).await;
    let mut tx = d.db.begin().await.unwrap();
    assert!(ferrocrm::jobs::run_now(&mut tx, ferrocrm::jobs::worker::MAINTENANCE).await.unwrap());
    tx.commit().await.unwrap();
    d.state.wake.notify_one();
    wait_for("the maintenance job to run", || async {
        let m = ferrocrm::jobs::by_kind(&d.db, ferrocrm::jobs::worker::MAINTENANCE).await.unwrap();
        m.iter().all(|j| j.status == "queued" && j.run_at > Utc::now() + chrono::Duration::minutes(30))
    })
    .await;
    assert_eq!(the_job(&app).await.run_at, next);
    assert_eq!(count_snapshots(&app, None).await, 4);
}

#[tokio::test]
async fn the_income_summary_exports_every_table_of_the_page() {
    let (app, f) = setup().await;
    let page = app.login_as("Garry.Chief").await.get("/analytics/income").await;
    assert_eq!(page.attr("a[download]", "href").as_deref(), Some("/analytics/income/export?date=month"));
    let path = "/analytics/income/export?owner=all";
    let m0 = data::month(0).to_string();
    // This month's received payments (A's 1,000 EUR at the dated 1.10 = 1,100.00 USD; C's 700.00),
    // then the total: 1,800.
    let received = exported(&app, "Garry.Chief", path, "Payments received").await;
    assert_eq!(
        received[0],
        "counterparty | products | amount, usd | payment date | order number | owner | through a representative office"
    );
    assert_eq!(received.len(), 4, "{received:?}");
    assert!(
        received[1].contains("| Widget <b> - 3pcs | 1100 | ")
            && received[1].contains(&m0)
            && received[1].contains("| ORD-1 | Mark Manager |"),
        "{received:?}"
    );
    assert!(received[2].contains("| 700 | ") && received[2].contains("Eve"), "{received:?}");
    assert_eq!(received[3], "Total amount |  | 1800 |  |  |  | ");
    // Guaranteed: B's 80.00 overdue in this month, 300.00 next month; high: C's 60.00 the month
    // after next; low: none, only the totals.
    let label = |d: chrono::NaiveDate| d.format("%b %Y").to_string().to_lowercase();
    let g = exported(&app, "Garry.Chief", path, "Guaranteed income").await;
    assert_eq!(
        g[0],
        format!(
            "counterparty | products | {} (and overdue) | {} | {} | order numbers | owner",
            label(data::month(0)),
            label(data::month(-1)),
            label(data::month(-2))
        )
    );
    assert!(g[1].ends_with("| 80 | 300 | 0 | G-1, G-2 | Helen Head"), "{g:?}");
    assert_eq!(g[2], "Total, USD |  | 80 | 300 | 0 | Grand total: 380.00 | ");
    let h = exported(&app, "Garry.Chief", path, "High probability income").await;
    assert!(h[1].contains("| 0 | 0 | 60 |"), "{h:?}");
    let l = exported(&app, "Garry.Chief", path, "Low probability income").await;
    assert_eq!(l[1..], ["Total, USD |  | 0 | 0 | 0 | Grand total: 0.00 | ".to_string()]);
    // The charts' months: this month 1,800, last month 500; the previous period's M-13 240; the
    // rolling year ending this month 2,300.
    let m = exported(&app, "Garry.Chief", path, "Income monthly").await;
    assert_eq!(m.len(), 13);
    assert_eq!(
        m[12],
        format!("{} | 1800 | {} | 0 | 2300", data::month(0).format("%b %Y"), data::month(12).format("%b %Y"))
    );
    assert_eq!(
        m[11],
        format!("{} | 500 | {} | 240 | 500", data::month(1).format("%b %Y"), data::month(13).format("%b %Y"))
    );
    // Mark's own, Eve's own: each only their scope; the state currency in its name.
    let mark = exported(&app, "Mark.Manager.Sales", "/analytics/income/export", "Payments received").await;
    assert_eq!(mark.len(), 3, "{mark:?}");
    assert!(mark[1].contains("| 1100 |"));
    let eve =
        exported(&app, "Eve.Manager.Export", "/analytics/income/export?currency=state", "Payments received").await;
    assert!(eve[0].contains("amount, eur"), "{eve:?}");
    assert_eq!(eve[2], "Total amount |  | 581 |  |  |  | ", "700 USD × 0.83");
    // The report's rules: an operator may not export it; a department not the viewer's is refused.
    let olga = app.login_as("Olga.Operator.Sales").await;
    assert_eq!(olga.get_bytes("/analytics/income/export").await.0, 403);
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(mark.get_bytes(&format!("/analytics/income/export?department={}", f.export)).await.0, 403);
}

#[tokio::test]
async fn the_deal_summary_exports_its_figures_and_monthly_series() {
    let (app, _f) = setup().await;
    let page = app.login_as("Mark.Manager.Sales").await.get("/analytics/deals").await;
    assert_eq!(page.attr("a[download]", "href").as_deref(), Some("/analytics/deals/export"));
    // As on the page (tests/it/analytics.rs): 6 deals, 5 relevant, 2 won, 15.5 days on average.
    assert_eq!(
        exported(&app, "Garry.Chief", "/analytics/deals/export?owner=all", "Deal Summary").await,
        vec![
            "figure | value",
            "Total deals | 6",
            "Relevant deals | 5",
            "Closed successfully (primary) | 2",
            "Average days to close successfully (primary) | 15.5",
        ]
    );
    let m = exported(&app, "Garry.Chief", "/analytics/deals/export?owner=all", "Deals monthly").await;
    assert_eq!(m[0], "month | total deals | irrelevant deals | relevant deals | won deals");
    assert_eq!(m.len(), 13);
    // By request month: this month A and D (D irrelevant), last month B, C and H, M-2 G; won by
    // closing month: A this month, G last month.
    let row = |back: i32, rest: &str| format!("{} | {rest}", data::month(back).format("%b %Y"));
    assert_eq!(m[12], row(0, "2 | 1 | 1 | 1"));
    assert_eq!(m[11], row(1, "3 | 0 | 3 | 1"));
    assert_eq!(m[10], row(2, "1 | 0 | 1 | 0"));
    assert_eq!(m[1], row(11, "0 | 0 | 0 | 0"));
    // Mark's own: A, D, G.
    let own = exported(&app, "Mark.Manager.Sales", "/analytics/deals/export", "Deal Summary").await;
    assert_eq!(own[1], "Total deals | 3");
    let anna = app.login_as("Anna.Accountant").await;
    assert_eq!(anna.get_bytes("/analytics/deals/export").await.0, 403);
}
