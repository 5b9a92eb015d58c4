//! The request-based reports added to issue 11: the Lead source Summary (§5.5), the Conversion
//! Summary (§5.6), the Requests Summary's "Requests over country" table (§5.4), and their Excel
//! exports. The data: `analytics_data::build` plus the rows of `extra` below (Export made a
//! department that works globally). Every figure is worked out by hand in the comments.

use sea_query::{Expr, ExprTrait, Query, SimpleExpr};

use crate::analytics::{bars, exported, option};
use crate::analytics_data::{self as data, Deal, Fixture, get, month, months, request};
use crate::helpers::{TestApp, spawn_app};

pub struct Extra {
    pub base: Fixture,
    /// The "website form" lead source of Export, and of Sales.
    pub export_form: i64,
    pub sales_form: i64,
}

async fn id_of(app: &TestApp, table: &'static str, conds: &[(&'static str, SimpleExpr)]) -> i64 {
    let mut q = Query::select();
    q.column("id").from(table);
    for (c, v) in conds {
        q.and_where(Expr::col(*c).eq(v.clone()));
    }
    app.db.scalar(&q).await.unwrap().unwrap_or_else(|| panic!("no {table} row"))
}

pub async fn source(app: &TestApp, department: i64, name: &str) -> i64 {
    id_of(app, "lead_sources", &[("department_id", department.into()), ("name", name.into())]).await
}

async fn country(app: &TestApp, name: &str) -> i64 {
    id_of(app, "countries", &[("name", name.into())]).await
}

/// Sets a request's lead source and country.
async fn tag(app: &TestApp, request: i64, source: Option<i64>, country: Option<i64>) {
    let mut q = Query::update();
    q.table("requests")
        .value("lead_source_id", source)
        .value("country_id", country)
        .and_where(Expr::col("id").eq(request));
    app.db.execute(&q).await.unwrap();
    ferrocrm::analytics::cache::figures_moved(&app.state.bus);
}

/// `data::build` and, in Export (now working globally, Eve's), besides its R3 (M-1, primary, no
/// source, no country, deal C lost):
/// - X1: M0, primary, "website form", Germany; deal W1 won (success reason, closed M0).
/// - X2: M-1, subsequent, "website form", Germany; deal W2 open at "closed (successful)" (the
///   success stage without the success reason: won in the summaries, not in the country table).
/// - X3: M-2, primary, "exhibition", France; deal W3 open at "receiving the first payment"
///   (conditional success: won everywhere).
/// - X4: M0, primary, "exhibition", France; no deal.
/// - X5: M0, duplicate, "website form", Germany — never counted.
/// - X6: M0, case, "exhibition", France — never counted.
/// - X7: M-13, primary, "website form", Germany; deal W4 won (closed M-13) — all period only.
/// - X8: M-1, primary, no source, Germany; no deal.
///
/// And in Sales (not global; another department for Export's views): S1, Mark's, M0, primary,
/// Sales' "website form", Germany, no deal.
pub async fn extra(app: &TestApp) -> Extra {
    let f = data::build(app).await;
    let mut q = Query::update();
    q.table("departments").value("works_globally", true).and_where(Expr::col("id").eq(f.export));
    app.db.execute(&q).await.unwrap();
    ferrocrm::analytics::cache::figures_moved(&app.state.bus);
    let (export, eve) = (f.export, f.eve);
    let won = Some("The deal was closed successfully");
    let deal =
        |stage, closed| Deal { department: export, owner: eve, stage, closed, relevant: true, won_after_days: None };
    let w1 = data::deal(app, deal("closed (successful)", Some((won, month(0))))).await;
    let w2 = data::deal(app, deal("closed (successful)", None)).await;
    let w3 = data::deal(app, deal("receiving the first payment", None)).await;
    let w4 = data::deal(app, deal("closed (successful)", Some((won, month(13))))).await;
    let (form, show) = (source(app, export, "website form").await, source(app, export, "exhibition").await);
    let sales_form = source(app, f.sales, "website form").await;
    let (de, fr) = (Some(country(app, "Germany").await), Some(country(app, "France").await));
    let no = (false, false, false);
    // (months back, deal, (subsequent, duplicate, case), source, country)
    type Row = (i32, Option<i64>, (bool, bool, bool), Option<i64>, Option<i64>);
    let rows: [Row; 8] = [
        (0, Some(w1), no, Some(form), de),
        (1, Some(w2), (true, false, false), Some(form), de),
        (2, Some(w3), no, Some(show), fr),
        (0, None, no, Some(show), fr),
        (0, None, (false, true, false), Some(form), de),
        (0, None, (false, false, true), Some(show), fr),
        (13, Some(w4), no, Some(form), de),
        (1, None, no, None, de),
    ];
    for (back, d, flags, src, c) in rows {
        let r = request(app, export, eve, month(back), d, flags, None).await;
        tag(app, r, src, c).await;
    }
    let s1 = request(app, f.sales, f.mark, month(0), None, no, None).await;
    tag(app, s1, Some(sales_form), de).await;
    Extra { base: f, export_form: form, sales_form }
}

#[tokio::test]
async fn the_lead_source_summary_shares_each_source_of_all_requests_of_the_period() {
    let app = spawn_app().await;
    let x = extra(&app).await;
    // Export, counted: R3, X1, X2, X3, X4, X8 in the last 365 days (6), and X7 too in all (7); X5
    // (duplicate), X6 (case) and Sales' S1 never. website form: X1, X2 = 2 of 6 = 33.3%; ever X1,
    // X2, X7 = 3 of 7 = 42.9%. exhibition: X3, X4 = 2 (33.3%); 2 of 7 = 28.6%. Not specified: R3,
    // X8 = 2 (33.3%), 2 (28.6%). The other three sources: 0. Most requests first, then by name.
    let p = get(&app, "Eve.Manager.Export", "/analytics/lead-sources").await;
    assert_eq!(p.text("h1"), "Request source statistics");
    assert_eq!(p.text("#requests-by-source .card-title"), "Number of requests for each source");
    assert_eq!(
        p.texts("#requests-by-source tbody tr"),
        vec![
            "exhibition 2 (33.3%) 2 (28.6%)",
            "website form 2 (33.3%) 3 (42.9%)",
            "distributor 0 (0.0%) 0 (0.0%)",
            "website email 0 (0.0%) 0 (0.0%)",
            "website form (iframe) 0 (0.0%) 0 (0.0%)",
            "Not specified 2 (33.3%) 2 (28.6%)",
        ]
    );
    assert_eq!(p.text("#requests-by-source tfoot tr"), "Total requests 6 (100%) 7 (100%)");
    assert_eq!(p.count("#requests-by-source tfoot strong"), 3, "the total row is bold");
    // No source chosen: no chart; no owner filter (the report counts every owner's requests).
    assert_eq!(p.count("div.chart"), 0);
    assert!(!p.exists("select[name=owner]"));
    let choices = p.texts("select[name=source] option");
    assert_eq!(choices[0], "All sources");
    assert_eq!(choices.len(), 6, "{choices:?}");

    // One source chosen: its row, "Not specified" and the total of all requests (the share stays
    // of all requests); its requests by month: X1 in M0, X2 in M-1 (X7 is older, X5 a duplicate).
    let one = get(&app, "Eve.Manager.Export", &format!("/analytics/lead-sources?source={}", x.export_form)).await;
    assert_eq!(
        one.texts("#requests-by-source tbody tr"),
        vec!["website form 2 (33.3%) 3 (42.9%)", "Not specified 2 (33.3%) 2 (28.6%)"]
    );
    assert_eq!(one.text("#requests-by-source tfoot tr"), "Total requests 6 (100%) 7 (100%)");
    assert_eq!(bars(&one, "lead-source-monthly"), months(&[(11, 1.0), (10, 1.0)]));
    let title = &option(&one, "lead-source-monthly")["title"][0];
    assert_eq!(title["text"], "Relevant requests over month");
    assert_eq!(title["subtext"], "website form: 2 requests");
    assert_eq!(one.attr("select[name=source] option[selected]", "value"), Some(x.export_form.to_string()));

    // Another department's source names nothing for Eve: ignored, the whole table; a malformed one is a 400.
    let other = get(&app, "Eve.Manager.Export", &format!("/analytics/lead-sources?source={}", x.sales_form)).await;
    assert_eq!(other.count("#requests-by-source tbody tr"), 6);
    assert_eq!(other.count("div.chart"), 0);
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get("/analytics/lead-sources?source=x").await.status, 400);
    assert_eq!(eve.get(&format!("/analytics/lead-sources?department={}", x.base.sales)).await.status, 403);

    // Mark (Sales): every owner's requests of Sales, Export's never. Last 365 days: R1, R2, R4, R5,
    // R8 (a disqualified lead's request still came from somewhere), R9, S1 = 7; ever + R10 = 8.
    // website form: S1 = 1 of 7 = 14.3%, 1 of 8 = 12.5%; not specified 6 (85.7%), 7 (87.5%).
    let m = get(&app, "Mark.Manager.Sales", "/analytics/lead-sources").await;
    let rows = m.texts("#requests-by-source tbody tr");
    assert_eq!(rows[0], "website form 1 (14.3%) 1 (12.5%)");
    assert_eq!(rows.last().map(String::as_str), Some("Not specified 6 (85.7%) 7 (87.5%)"));
    assert_eq!(m.text("#requests-by-source tfoot tr"), "Total requests 7 (100%) 8 (100%)");

    // Garry, every department: one row per source name. 7 + 6 = 13 in the period, 8 + 7 = 15 ever;
    // website form: S1, X1, X2 = 3 (23.1%), + X7 = 4 (26.7%); not specified 6 + 2 = 8 (61.5%), 7 +
    // 2 = 9 (60.0%).
    let g = get(&app, "Garry.Chief", "/analytics/lead-sources").await;
    let rows = g.texts("#requests-by-source tbody tr");
    assert_eq!(rows[0], "website form 3 (23.1%) 4 (26.7%)");
    assert_eq!(rows[1], "exhibition 2 (15.4%) 2 (13.3%)");
    assert_eq!(rows.len(), 6, "one row per name: {rows:?}");
    assert_eq!(rows[5], "Not specified 8 (61.5%) 9 (60.0%)");
    assert_eq!(g.text("#requests-by-source tfoot tr"), "Total requests 13 (100%) 15 (100%)");
    // Garry choosing Export's "website form" in that view: the name's row and chart, every
    // department's (S1, X1 in M0; X2 in M-1), shown as chosen in the filter.
    let g1 = get(&app, "Garry.Chief", &format!("/analytics/lead-sources?source={}", x.export_form)).await;
    assert_eq!(g1.text("select[name=source] option[selected]"), "website form");
    assert_eq!(g1.texts("#requests-by-source tbody tr")[0], "website form 3 (23.1%) 4 (26.7%)");
    assert_eq!(bars(&g1, "lead-source-monthly"), months(&[(11, 2.0), (10, 1.0)]));
    // Garry choosing Export: Eve's figures.
    let ge = get(&app, "Garry.Chief", &format!("/analytics/lead-sources?department={}", x.base.export)).await;
    assert_eq!(ge.text("#requests-by-source tfoot tr"), "Total requests 6 (100%) 7 (100%)");
}

#[tokio::test]
async fn the_conversion_summary_shares_won_requests_overall_and_per_receipt_month() {
    let app = spawn_app().await;
    let x = extra(&app).await;
    // Export in the last 365 days: R3, X1, X2, X3, X4, X8 = 6 (X5, X6 never; X7 too old). Won: X1
    // (success reason), X2 (success stage), X3 (conditional success) = 3 → 50.0%. Primary: R3, X1,
    // X3, X4, X8 = 5, won X1, X3 = 2 → 40.0%.
    let p = get(&app, "Garry.Chief", &format!("/analytics/conversion?department={}", x.base.export)).await;
    assert_eq!(p.text("h1"), "Conversion of requests into successful deals (for the last 365 days)");
    assert_eq!(p.text("#conversion"), "50.0%");
    assert_eq!(p.text("#primary-conversion"), "40.0%");
    assert_eq!(p.text("#total-requests"), "6");
    assert_eq!(p.text("#primary-requests"), "5");
    // By receipt month: M0 X1, X4 (1 won of 2: 50.0); M-1 R3, X2, X8 (1 of 3: 33.3); M-2 X3 (1 of 1).
    assert_eq!(bars(&p, "conversion-monthly"), months(&[(11, 50.0), (10, 33.3), (9, 100.0)]));
    // Primary: M0 X1, X4 (50.0); M-1 R3, X8 (0 of 2); M-2 X3 (100.0).
    assert_eq!(bars(&p, "conversion-primary-monthly"), months(&[(11, 50.0), (9, 100.0)]));
    let title = &option(&p, "conversion-monthly")["title"][0];
    assert_eq!(title["text"], "Conversion (50.0%)");
    assert_eq!(title["subtext"], "Total requests = 6");
    assert_eq!(option(&p, "conversion-primary-monthly")["title"][0]["subtext"], "Total primary requests = 5");
    // Eve (Export's only manager, her own requests by default): the same figures.
    let eve = get(&app, "Eve.Manager.Export", "/analytics/conversion").await;
    assert_eq!(eve.text("#conversion"), "50.0%");
    assert_eq!(eve.text("#total-requests"), "6");
    // Mark's own: R1 (won), R5 (won), S1 (no deal) primary, R4 subsequent (not won): 2 of 4 =
    // 50.0%; primary 2 of 3 = 66.7%. Helen's R2, R9 join with owner=all: 3 of 6, primary 2 of 4.
    let m = get(&app, "Mark.Manager.Sales", "/analytics/conversion").await;
    assert_eq!((m.text("#conversion"), m.text("#primary-conversion")), ("50.0%".into(), "66.7%".into()));
    assert_eq!(m.text("#total-requests"), "4");
    assert!(m.exists("select[name=owner]") && !m.exists("select[name=department]"));
    let all = get(&app, "Mark.Manager.Sales", "/analytics/conversion?owner=all").await;
    assert_eq!((all.text("#conversion"), all.text("#primary-conversion")), ("50.0%".into(), "50.0%".into()));
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(mark.get(&format!("/analytics/conversion?department={}", x.base.export)).await.status, 403);
}

#[tokio::test]
async fn the_requests_summary_counts_a_global_departments_requests_by_country() {
    let app = spawn_app().await;
    let x = extra(&app).await;
    // Export: Germany X1 (won), X2 (success stage only: not won here), X8 (no deal) in the last
    // 365 days = 3, 1 won = 33.3%; ever + X7 (won) = 4, 2 won = 50.0%. France X3 (conditional
    // success: won), X4 = 2, 50.0% both. No country: R3 (lost) = 1, 0.0%. X5, X6 and Sales' S1
    // (Germany) never count.
    let rows = vec![
        "Germany 3 (conversion 33.3%) 4 (conversion 50.0%)",
        "France 2 (conversion 50.0%) 2 (conversion 50.0%)",
        "Not specified 1 (conversion 0.0%) 1 (conversion 0.0%)",
    ];
    let p = get(&app, "Garry.Chief", &format!("/analytics/requests?department={}", x.base.export)).await;
    assert_eq!(p.text("#requests-over-country .card-title"), "Requests over country");
    assert_eq!(p.texts("#requests-over-country tbody tr"), rows);
    assert!(!p.text("#country-note").contains("that work globally are counted"));
    // The summary above keeps its own "won": X2 counts there (subsequent 1 of 1).
    assert_eq!(p.text("#subsequent-conversion"), "100.0%");
    assert_eq!(p.text("#total-requests"), "6");
    let eve = get(&app, "Eve.Manager.Export", "/analytics/requests").await;
    assert_eq!(eve.texts("#requests-over-country tbody tr"), rows);
    // Every department: Sales does not work globally, so only Export's requests are counted (S1
    // not in Germany's 3), and the footnote names the department counted.
    let all = get(&app, "Garry.Chief", "/analytics/requests").await;
    assert_eq!(all.texts("#requests-over-country tbody tr"), rows);
    assert!(
        all.text("#country-note").contains("that work globally are counted here: Export."),
        "{}",
        all.text("#country-note")
    );
    // A department that does not work globally has no such table.
    let mark = get(&app, "Mark.Manager.Sales", "/analytics/requests?owner=all").await;
    assert!(!mark.exists("#requests-over-country"));
    let sales = get(&app, "Garry.Chief", &format!("/analytics/requests?department={}", x.base.sales)).await;
    assert!(!sales.exists("#requests-over-country"));
}

#[tokio::test]
async fn the_request_reports_export_the_tables_of_their_pages() {
    let app = spawn_app().await;
    let x = extra(&app).await;
    let export = x.base.export;
    // The Requests Summary: the figures of the test above, one sheet per table.
    let q = format!("?department={export}");
    let page = get(&app, "Garry.Chief", &format!("/analytics/requests{q}")).await;
    assert_eq!(page.attr("a[download]", "href"), Some(format!("/analytics/requests/export{q}")));
    let path = format!("/analytics/requests/export{q}");
    assert_eq!(
        exported(&app, "Garry.Chief", &path, "Summary").await,
        vec![
            "figure | value",
            "Total requests | 6",
            "Primary requests | 5",
            "Conversion of primary requests into successful deals (%) | 40",
            "Subsequent requests | 1",
            "Conversion of subsequent requests (%) | 100",
        ]
    );
    let monthly = exported(&app, "Garry.Chief", &path, "Requests by month").await;
    assert_eq!(monthly.len(), 13);
    assert_eq!(monthly[0], "month | requests | relevant requests");
    let label = |back| month(back).format("%b %Y").to_string();
    // M0: X1, X4 (X1's deal relevant); M-1: R3, X2, X8 (C and W2 relevant); M-2: X3.
    assert_eq!(monthly[12], format!("{} | 2 | 1", label(0)));
    assert_eq!(monthly[11], format!("{} | 3 | 2", label(1)));
    assert_eq!(monthly[10], format!("{} | 1 | 1", label(2)));
    assert_eq!(
        exported(&app, "Garry.Chief", &path, "Requests over country").await,
        vec![
            "country | for last 365 days | conversion, last 365 days (%) | for all period | conversion, all period (%)",
            "Germany | 3 | 33.3 | 4 | 50",
            "France | 2 | 50 | 2 | 50",
            "Not specified | 1 | 0 | 1 | 0",
        ]
    );
    // The Lead source Summary with Export's "website form" chosen (Eve's view).
    let q = format!("?source={}", x.export_form);
    let path = format!("/analytics/lead-sources/export{q}");
    assert_eq!(
        exported(&app, "Eve.Manager.Export", &path, "Requests for each source").await,
        vec![
            "source | for last 365 days | share, last 365 days (%) | for all period | share, all period (%)",
            "website form | 2 | 33.3 | 3 | 42.9",
            "Not specified | 2 | 33.3 | 2 | 28.6",
            "Total requests | 6 | 100 | 7 | 100",
        ]
    );
    let over = exported(&app, "Eve.Manager.Export", &path, "Requests over month").await;
    assert_eq!((over[12].clone(), over[11].clone()), (format!("{} | 1", label(0)), format!("{} | 1", label(1))));
    // The Conversion Summary, Eve's.
    let path = "/analytics/conversion/export";
    assert_eq!(
        exported(&app, "Eve.Manager.Export", path, "Summary").await,
        vec![
            "figure | value",
            "Conversion (%) | 50",
            "Conversion of primary requests (%) | 40",
            "Total requests | 6",
            "Total primary requests | 5",
        ]
    );
    let by_month = exported(&app, "Eve.Manager.Export", path, "Conversion by month").await;
    assert_eq!(
        by_month[0],
        "month | requests | won | conversion (%) | primary requests | primary won | conversion of primary requests (%)"
    );
    assert_eq!(by_month[11], format!("{} | 3 | 1 | 33.3 | 2 | 0 | 0", label(1)));
    // Mark's export never holds Export's rows; an accountant may not export these reports.
    let mark = exported(&app, "Mark.Manager.Sales", "/analytics/lead-sources/export", "Requests for each source").await;
    assert_eq!(mark.last().map(String::as_str), Some("Total requests | 7 | 100 | 8 | 100"));
    let anna = app.login_as("Anna.Accountant").await;
    for r in ["requests", "lead-sources", "conversion"] {
        assert_eq!(anna.get_bytes(&format!("/analytics/{r}/export")).await.0, 403, "{r}");
    }
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get_bytes(&format!("/analytics/requests/export?department={}", x.base.sales)).await.0, 403);
}
