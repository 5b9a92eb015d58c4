//! Analytics figures (§5.1, §5.2, §5.4, §5.8) on the hand-made data set of `analytics_data`: every
//! number below is worked out by hand from the rows listed there, not taken from the code.

use sea_query::{Expr, ExprTrait, Query};

use crate::analytics_data::{self as data, get, months, setup};
use crate::helpers::TestApp;
use crate::helpers::html::Page;

/// The `<script>` elements under the first match of `css`, template contents included (scraper keeps
/// a template's content in a fragment node that selectors do not enter).
pub fn scripts_under<'a>(p: &'a Page, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let sel = scraper::Selector::parse(css).unwrap();
    let Some(root) = p.html.select(&sel).next() else { return Vec::new() };
    root.descendants().filter_map(scraper::ElementRef::wrap).filter(|e| e.value().name() == "script").collect()
}

/// The ECharts option of chart `id` on the page, from its JSON data block.
pub fn option(p: &Page, id: &str) -> serde_json::Value {
    let blocks = scripts_under(p, &format!("template#chart-{id}-option"));
    assert_eq!(blocks.len(), 1, "no chart {id} in:\n{}", p.body);
    assert_eq!(blocks[0].value().attr("type"), Some("application/json"));
    serde_json::from_str(&blocks[0].text().collect::<String>()).unwrap()
}

/// The chart's bar values.
pub fn bars(p: &Page, id: &str) -> Vec<f64> {
    option(p, id)["series"][0]["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

#[tokio::test]
async fn income_summary_converts_each_payment_at_its_dated_rate_and_forecasts_by_calendar_month() {
    let (app, f) = setup().await;
    let p = get(&app, "Garry.Chief", "/analytics/income").await;
    // Received, marketing currency (USD): A 1,000 EUR on M0 at the dated 1.10 = 1,100 + C 700 USD
    // on M0 = 1,800 in this month; A 500 USD on M-1; B 200 EUR × 1.2 = 240 on M-13.
    assert_eq!(bars(&p, "income"), months(&[(11, 1800.0), (10, 500.0)]));
    assert_eq!(bars(&p, "income-previous"), months(&[(10, 240.0)]));
    // Month labels carry the year: the previous period's last bar is this month a year ago.
    let label = |d: chrono::NaiveDate| d.format("%b %Y").to_string();
    assert_eq!(option(&p, "income")["xAxis"]["data"][11], label(data::month(0)));
    assert_eq!(option(&p, "income-previous")["xAxis"]["data"][11], label(data::month(12)));
    assert_eq!(option(&p, "income")["xAxis"]["data"][0], label(data::month(11)));
    // Rolling twelve months ending with each month: M-13's 240 is in the windows of the first
    // ten bars (M-11 … M-2), M-1 adds 500, this month 1,800.
    let mut rolling = vec![240.0; 10];
    rolling.extend([500.0, 2300.0]);
    assert_eq!(bars(&p, "income-rolling"), rolling);
    // The last 365 days: 1,800 + 500 = 2,300; the 365 days before: 240 → +2,060.
    assert_eq!(p.text("#income-total"), "2,300.00 USD");
    let title = &option(&p, "income")["title"][0];
    assert_eq!(title["text"], "Income monthly");
    assert_eq!(title["subtext"], "total amount for the current period: 2,300.00 USD (+2,060.00)");
    // Both monthly charts share one scale: the larger month of the two periods (1,800), rounded up
    // to a round top (2,000) so the axis's own ticks reach it.
    assert_eq!(option(&p, "income")["yAxis"]["max"], 2000.0);
    assert_eq!(option(&p, "income-previous")["yAxis"]["max"], 2000.0);
    // 2,300 / 12 = 191.666… → 191.67; won deals A and G (F was won 13 months ago): 2, 2 / 12 = 0.2.
    assert_eq!(p.text("#income-per-month"), "191.67 USD");
    assert_eq!(p.text("#won-deals"), "2");
    assert_eq!(p.text("#won-per-month"), "0.2");

    // This month's received payments: A's 1,100.00 and C's 700.00.
    let rows = p.texts("#received tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].contains("Widget <b> - 3pcs") && rows[0].contains("1,100.00") && rows[0].contains("ORD-1"),
        "{rows:?}"
    );
    assert!(rows[0].contains("Mark"), "{rows:?}");
    assert!(rows[1].contains("700.00") && rows[1].contains("Eve"), "{rows:?}");
    assert_eq!(
        p.attrs("#received tbody tr td a", "href"),
        vec![format!("/deals/{}", f.deal_a), format!("/deals/{}", f.deal_c)]
    );
    assert_eq!(p.text("#received-total"), "1,800.00");

    // Guaranteed: deal B, 80.00 overdue since M-11 in the current month (not next month, whose
    // number it shares), 300.00 next month; high: deal C, 50 EUR × 1.2 = 60.00 the month after next.
    let cells = |css: &str| p.texts(css);
    assert_eq!(cells("#forecast-guaranteed tbody tr td.num"), vec!["80.00", "300.00", "0.00"]);
    assert_eq!(p.attr("#forecast-guaranteed tbody tr td a", "href"), Some(format!("/deals/{}", f.deal_b)));
    assert!(p.text("#forecast-guaranteed tbody tr").contains("G-1, G-2"));
    assert_eq!(cells("#forecast-guaranteed tfoot td.num"), vec!["80.00", "300.00", "0.00", "Grand total: 380.00"]);
    assert_eq!(cells("#forecast-high tbody tr td.num"), vec!["0.00", "0.00", "60.00"]);
    assert_eq!(p.text("#forecast-low tbody"), "None.");

    // The state currency (EUR): A's 1,000 EUR at the dated state rate 1.00 + C's 700 USD × 0.83 =
    // 581.00 → 1,581.00; A's 500 USD × 0.83 = 415.00; B's 200 EUR.
    assert_eq!(p.text("a.currency-switch"), "USD > EUR");
    let s = get(&app, "Garry.Chief", "/analytics/income?currency=state").await;
    assert_eq!(bars(&s, "income"), months(&[(11, 1581.0), (10, 415.0)]));
    assert_eq!(bars(&s, "income-previous"), months(&[(10, 200.0)]));
    assert_eq!(s.text("#received-total"), "1,581.00");
    assert_eq!(s.text("a.currency-switch"), "EUR > USD");
}

#[tokio::test]
async fn income_summary_counts_only_the_viewers_departments_and_owner() {
    let (app, f) = setup().await;
    // Mark opens on his own deals: A (1,100 + 500), the won deals A and G; no forecast (B is Helen's).
    let own = get(&app, "Mark.Manager.Sales", "/analytics/income").await;
    assert_eq!(bars(&own, "income"), months(&[(11, 1100.0), (10, 500.0)]));
    assert_eq!(bars(&own, "income-previous"), months(&[]));
    assert_eq!(own.text("#won-deals"), "2");
    assert_eq!(own.text("#forecast-guaranteed tbody"), "None.");
    // All owners of his department: B's 240 and B's forecast join; Export's C never does.
    let all = get(&app, "Mark.Manager.Sales", "/analytics/income?owner=all").await;
    assert_eq!(bars(&all, "income"), months(&[(11, 1100.0), (10, 500.0)]));
    assert_eq!(bars(&all, "income-previous"), months(&[(10, 240.0)]));
    assert_eq!(all.texts("#forecast-guaranteed tbody tr td.num"), vec!["80.00", "300.00", "0.00"]);
    assert_eq!(all.text("#forecast-high tbody"), "None.");
    assert!(!all.exists("select[name=department]"), "a manager of one department does not choose one");
    // Another department is refused, not shown empty.
    let mark = app.login_as("Mark.Manager.Sales").await;
    assert_eq!(mark.get(&format!("/analytics/income?department={}", f.export)).await.status, 403);
    assert_eq!(mark.get("/analytics/income?department=x").await.status, 400);
    assert_eq!(mark.get("/analytics/income?currency=yen").await.status, 400);
    // Eve: Export's C only.
    let eve = get(&app, "Eve.Manager.Export", "/analytics/income").await;
    assert_eq!(bars(&eve, "income"), months(&[(11, 700.0)]));
    // Accountants see every department (and no other report); chiefs choose one.
    let anna = get(&app, "Anna.Accountant", "/analytics/income").await;
    assert_eq!(bars(&anna, "income"), months(&[(11, 1800.0), (10, 500.0)]));
    let export = get(&app, "Garry.Chief", &format!("/analytics/income?department={}", f.export)).await;
    assert_eq!(bars(&export, "income"), months(&[(11, 700.0)]));
    assert_eq!(export.texts("#forecast-high tbody tr td.num"), vec!["0.00", "0.00", "60.00"]);
    assert_eq!(export.text("#forecast-guaranteed tbody"), "None.");
    // A chosen period for the table of received payments: M-1 holds A's 500.
    let from = data::month(1);
    let before = data::month(0);
    let p =
        get(&app, "Garry.Chief", &format!("/analytics/income?date=custom&date_from={from}&date_before={before}")).await;
    assert_eq!(p.text("#received-total"), "500.00");
    assert_eq!(p.count("#received tbody tr"), 1);
    let _ = (f.sales, f.mark, f.helen, f.eve);
}

#[tokio::test]
async fn the_sales_funnel_counts_closed_relevant_deals_by_the_stage_they_ended_at() {
    let (app, _f) = setup().await;
    // Closed, relevant, in the last 365 days: C and E at "price offer", A and G at "closed
    // (successful)" (D is irrelevant, F too old, B and H open). 4 deals: 2 of 4 lost at price
    // offer (50%), the 2 left all end at the last stage (100%, shown as 0).
    let p = get(&app, "Garry.Chief", "/analytics/funnel").await;
    assert_eq!(
        p.texts(".funnel-table tbody tr"),
        vec!["Total closed deals 4", "price offer 2 -50% 4", "closed (successful) 2 -0% 2"]
    );
    let o = option(&p, "funnel");
    assert_eq!(o["yAxis"]["data"], serde_json::json!(["price offer", "closed (successful)"]));
    assert_eq!(bars(&p, "funnel"), vec![4.0, 2.0]);
    // Mark's own: E at price offer (1 of 3 = 33%), A and G.
    let m = get(&app, "Mark.Manager.Sales", "/analytics/funnel").await;
    assert_eq!(
        m.texts(".funnel-table tbody tr"),
        vec!["Total closed deals 3", "price offer 1 -33% 3", "closed (successful) 2 -0% 2"]
    );
}

/// A report's sheet from `/analytics/<report>/export`, as text rows (header first).
pub async fn exported(app: &TestApp, user: &str, path: &str, sheet: &str) -> Vec<String> {
    let c = app.login_as(user).await;
    let (status, headers, bytes) = c.get_bytes(path).await;
    assert_eq!(status, 200, "{user} {path}");
    let disposition = headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(disposition.starts_with("attachment;") && disposition.contains(".xlsx"), "{disposition}");
    let t = ferrocrm::excel::read_named_sheet(&bytes, sheet, &Default::default()).expect("the sheet");
    let mut out = vec![t.headers.join(" | ")];
    out.extend(t.rows.iter().map(|r| (0..t.headers.len()).map(|i| r.get(i).to_text()).collect::<Vec<_>>().join(" | ")));
    out
}

#[tokio::test]
async fn the_sales_funnel_exports_the_rows_of_the_page_for_the_viewers_scope_only() {
    let (app, _f) = setup().await;
    let page = get(&app, "Mark.Manager.Sales", "/analytics/funnel").await;
    assert_eq!(
        page.attr("a[download][href^='/analytics/funnel/export']", "href").as_deref(),
        Some("/analytics/funnel/export")
    );
    // The same figures as the page test above: Garry all 4 deals, Mark his own 3.
    assert_eq!(
        exported(&app, "Garry.Chief", "/analytics/funnel/export?owner=all", "Sales funnel").await,
        vec![
            "stage | deals ended here | lost at this stage (%) | still open before it",
            "Total closed deals | 4 |  | ",
            "price offer | 2 | 50 | 4",
            "closed (successful) | 2 | 0 | 2",
        ]
    );
    assert_eq!(
        exported(&app, "Mark.Manager.Sales", "/analytics/funnel/export", "Sales funnel").await[2],
        "price offer | 1 | 33.3 | 3"
    );
    // The page's rules: an accountant may not open the funnel, nor export it; no such report is 404.
    let anna = app.login_as("Anna.Accountant").await;
    assert_eq!(anna.get_bytes("/analytics/funnel/export").await.0, 403);
    assert_eq!(anna.get_bytes("/analytics/nonsense/export").await.0, 404);
}

#[tokio::test]
async fn the_deal_summary_counts_deals_by_their_requests_month_and_wins_by_closing_month() {
    let (app, f) = setup().await;
    // Deals whose request arrived in the last 365 days: A, D (M0), B, C, H (M-1), G (M-2) = 6; D is
    // irrelevant. Won: A (M0, 10 days), G (M-1, 21 days): average 15.5.
    let p = get(&app, "Garry.Chief", "/analytics/deals").await;
    assert_eq!(p.text("#total-deals"), "6");
    assert_eq!(p.text("#relevant-deals"), "5");
    assert_eq!(p.text("#won-deals"), "2");
    assert_eq!(p.text("#average-days"), "15.5");
    assert_eq!(bars(&p, "deals-total"), months(&[(11, 2.0), (10, 3.0), (9, 1.0)]));
    assert_eq!(bars(&p, "deals-relevant"), months(&[(11, 1.0), (10, 3.0), (9, 1.0)]));
    assert_eq!(bars(&p, "deals-irrelevant"), months(&[(11, 1.0)]));
    assert_eq!(bars(&p, "deals-won"), months(&[(11, 1.0), (10, 1.0)]));
    assert_eq!(option(&p, "deals-total")["title"][0]["text"], "Total deals (6)");
    // One scale for the three charts: the largest month (3), rounded up to 5.
    assert_eq!(option(&p, "deals-irrelevant")["yAxis"]["max"], 5.0, "one scale for the three charts");
    assert_eq!(option(&p, "deals-total")["yAxis"]["max"], 5.0);
    // Mark's own: A, D, G; relevant A, G; won A, G.
    let m = get(&app, "Mark.Manager.Sales", "/analytics/deals").await;
    assert_eq!(
        (m.text("#total-deals"), m.text("#relevant-deals"), m.text("#won-deals")),
        ("3".into(), "2".into(), "2".into())
    );
    assert_eq!(m.text("#average-days"), "15.5");

    // The first of the last 365 days (a year ago today) is before the first bar: a deal whose request
    // arrived then and that was won then, 30 days after its creation, counts in the totals (7 deals,
    // 6 relevant, 3 won, (10 + 21 + 30) / 3 = 20.3 days) and in no bar.
    let first_day = chrono::Utc::now().date_naive() - chrono::Months::new(12);
    let won = Some("The deal was closed successfully");
    let (sales, helen) = (f.sales, f.helen);
    let edge = data::Deal {
        department: sales,
        owner: helen,
        stage: "closed (successful)",
        closed: Some((won, first_day)),
        relevant: true,
        won_after_days: Some(30),
    };
    let d = data::deal(&app, edge).await;
    data::request(&app, sales, helen, first_day, Some(d), (false, false, false), None).await;
    let p = get(&app, "Garry.Chief", "/analytics/deals").await;
    assert_eq!(
        (p.text("#total-deals"), p.text("#relevant-deals"), p.text("#won-deals"), p.text("#average-days")),
        ("7".into(), "6".into(), "3".into(), "20.3".into())
    );
    assert_eq!(bars(&p, "deals-total"), months(&[(11, 2.0), (10, 3.0), (9, 1.0)]));
    assert_eq!(bars(&p, "deals-won"), months(&[(11, 1.0), (10, 1.0)]));
}

#[tokio::test]
async fn the_requests_summary_skips_duplicates_cases_and_disqualified_leads() {
    let (app, _f) = setup().await;
    // R1 (won via A), R2 (B open), R3 (C lost), R5 (won via G): 4 primary, 2 won = 50.0%;
    // R4 (D), R9 (H at a conditional-success stage: won): 2 subsequent, 1 won = 50.0%.
    let p = get(&app, "Garry.Chief", "/analytics/requests").await;
    assert_eq!(p.text("#total-requests"), "6");
    assert_eq!(p.text("#primary-requests"), "4");
    assert_eq!(p.text("#primary-conversion"), "50.0%");
    assert_eq!(p.text("#subsequent-requests"), "2");
    assert_eq!(p.text("#subsequent-conversion"), "50.0%");
    assert_eq!(bars(&p, "requests-monthly"), months(&[(11, 2.0), (10, 3.0), (9, 1.0)]));
    assert_eq!(bars(&p, "requests-relevant"), months(&[(11, 1.0), (10, 3.0), (9, 1.0)]));
    assert_eq!(option(&p, "requests-monthly")["title"][0]["text"], "Requests by month (average monthly value 0.5)");
    // Mark's own: R1, R5 primary (both won), R4 subsequent (not won).
    let m = get(&app, "Mark.Manager.Sales", "/analytics/requests").await;
    assert_eq!(m.text("#total-requests"), "3");
    assert_eq!(m.text("#primary-conversion"), "100.0%");
    assert_eq!(m.text("#subsequent-conversion"), "0.0%");
}

#[tokio::test]
async fn a_stage_name_cannot_close_the_chart_data_block() {
    let (app, f) = setup().await;
    let evil = "</script><script src=/x.js></script><!--";
    let mut q = Query::update();
    q.table("deal_stages")
        .value("name", evil)
        .and_where(Expr::col("department_id").eq(f.sales))
        .and_where(Expr::col("name").eq("price offer"));
    app.db.execute(&q).await.unwrap();
    ferrocrm::analytics::cache::figures_moved(&app.state.bus);
    let p = get(&app, "Mark.Manager.Sales", "/analytics/funnel").await;
    // The one script in the report is the data block; the name reads back from it unchanged.
    assert_eq!(scripts_under(&p, "#report").len(), 1, "{}", p.body);
    assert_eq!(p.count("script[src='/x.js']"), 0);
    assert_eq!(option(&p, "funnel")["yAxis"]["data"][0], evil);
    assert!(p.texts(".funnel-table tbody tr").iter().any(|r| r.starts_with(evil)));
}

#[tokio::test]
async fn the_income_tables_show_their_first_50_rows_and_every_row_on_request() {
    let (app, f) = setup().await;
    // 55 more received payments of 1.00 USD on M0 (deal B): 57 this month with A's and C's.
    for _ in 0..55 {
        data::payment(&app, f.deal_b, 100, "USD", data::month(0), "received", "").await;
    }
    let p = get(&app, "Garry.Chief", "/analytics/income").await;
    assert_eq!(p.count("#received tbody tr"), 50);
    assert_eq!(
        p.text("#received .table-more"),
        "The first 50 of 57 payments are shown. Show all 57 or export the report to Excel."
    );
    // The total counts every payment: 1,800.00 + 55 × 1.00.
    assert_eq!(p.text("#received-total"), "1,855.00");
    assert!(!p.exists(".forecast .table-more"), "the forecasts have fewer rows than that");
    let href = p.attr("#received .table-more a", "href").expect("Show all");
    assert!(href.starts_with("/analytics/income?") && href.contains("rows=all"), "{href}");
    let all = get(&app, "Garry.Chief", &href).await;
    assert_eq!(all.count("#received tbody tr"), 57);
    assert!(!all.exists("#received .table-more"));
    // Every row names its deal (the counterparty is loaded for the rows beyond the first 50 too).
    let deals = all.texts("#received tbody tr td:first-child");
    assert!(deals.iter().all(|d| !d.trim().is_empty()), "{deals:?}");
    assert_eq!(all.text("#received-total"), "1,855.00");
    // The live refresh keeps "all".
    assert!(all.attr("#report", "data-live").is_some_and(|u| u.contains("rows=all")));
}
