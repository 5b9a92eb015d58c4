//! Who opens which report (§3.1) and whose data it counts (§3.2), over HTTP for every seeded
//! user. The expected answers are written out by hand here; `src/access_golden_analytics.txt` pins
//! the same rules per role for `access::can_report` (a unit test).

use crate::analytics::bars;
use crate::analytics_data::{self as data};
use crate::helpers::spawn_app;

const REPORTS: [&str; 8] = [
    "/analytics/income",
    "/analytics/funnel",
    "/analytics/deals",
    "/analytics/requests",
    "/analytics/lead-sources",
    "/analytics/conversion",
    "/analytics/sales",
    "/analytics/closing-reasons",
];

#[tokio::test]
async fn each_role_opens_only_its_reports() {
    let app = spawn_app().await;
    data::build(&app).await;
    // (user, /analytics, [income, funnel, deals, requests, lead sources, conversion, sales, closing reasons]) — 200 or 403.
    let expected: &[(&str, u16, [u16; 8])] = &[
        ("Adam.Admin", 200, [200; 8]),
        ("Garry.Chief", 200, [200; 8]),
        ("Helen.Head.Sales", 200, [200; 8]),
        ("Mark.Manager.Sales", 200, [200; 8]),
        ("Eve.Manager.Export", 200, [200; 8]),
        // Accountants: the Income Summary only (§3.1: none of the seven others).
        ("Anna.Accountant", 200, [200, 403, 403, 403, 403, 403, 403, 403]),
        ("Olga.Operator.Sales", 403, [403; 8]),
        ("Tina.TaskOperator", 403, [403; 8]),
        ("Carl.CoWorker", 403, [403; 8]),
    ];
    for (user, index, reports) in expected {
        let c = app.login_as(user).await;
        let home = c.get("/").await;
        assert_eq!(home.exists("nav.sidebar a[href='/analytics']"), *index == 200, "{user}: the Analytics menu entry");
        let p = c.get("/analytics").await;
        assert_eq!(p.status.as_u16(), *index, "{user} /analytics");
        for (path, want) in REPORTS.iter().zip(reports) {
            let p = c.get(path).await;
            assert_eq!(p.status.as_u16(), *want, "{user} {path}");
            if *index == 200 {
                let listed = c.get("/analytics").await.exists(&format!("ul.report-list a[href='{path}']"));
                assert_eq!(listed, *want == 200, "{user}: {path} listed");
            }
        }
    }
}

#[tokio::test]
async fn reports_count_only_the_viewers_departments() {
    let app = spawn_app().await;
    let f = data::build(&app).await;
    // Everyone's deals of the department (owner=all): Mark and Helen never see Export's payment
    // (700.00 on M0) nor its request; Eve sees only it; chiefs and administrators see both.
    let cases: &[(&str, f64, &str)] = &[
        ("Mark.Manager.Sales", 1100.0, "5"),
        ("Helen.Head.Sales", 1100.0, "5"),
        ("Eve.Manager.Export", 700.0, "1"),
        ("Garry.Chief", 1800.0, "6"),
        ("Adam.Admin", 1800.0, "6"),
    ];
    for (user, this_month, requests) in cases {
        let c = app.login_as(user).await;
        let p = c.get("/analytics/income?owner=all").await;
        assert_eq!(bars(&p, "income")[11], *this_month, "{user}");
        let r = c.get("/analytics/requests?owner=all").await;
        assert_eq!(r.text("#total-requests"), *requests, "{user}");
    }
    // A department outside the viewer's: 403 for managers, whatever the report.
    let mark = app.login_as("Mark.Manager.Sales").await;
    for path in REPORTS {
        assert_eq!(mark.get(&format!("{path}?department={}", f.export)).await.status, 403, "{path}");
        assert_eq!(mark.get(&format!("{path}?department={}", f.sales)).await.status, 200, "{path}");
    }
    // Chiefs get the department filter, with every department.
    let chief = app.login_as("Garry.Chief").await.get("/analytics/funnel").await;
    let options = chief.attrs("select[name=department] option", "value");
    assert!(options.contains(&f.sales.to_string()) && options.contains(&f.export.to_string()), "{options:?}");
}
