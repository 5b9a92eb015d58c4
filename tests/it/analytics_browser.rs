//! The Income Summary in a real browser under the app's CSP: every chart draws on a non-empty
//! canvas with the vendored ECharts, the console stays clean, and a payment recorded in another
//! session updates the open page without a reload.

use std::time::{Duration, Instant};

use sea_query::ExprTrait;

use crate::analytics_data::{self as data};
use crate::helpers::browser::Browser;
use crate::helpers::spawn_app;

/// Painted (non-transparent) pixels of the canvas inside `#chart-<id>`.
const PAINTED: &str = "var c = document.querySelector('div.chart[data-chart-name=' + arguments[0] + '] canvas'); if (!c) return 0; \
    var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0; \
    for (var i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;";

/// axe-core's serious and critical findings on the page shown (as the crawler checks its pages).
async fn axe(b: &Browser, page: &str) {
    const AXE: &str = include_str!("../assets/axe.min.js");
    const RUN: &str = "var done = arguments[arguments.length - 1]; \
        axe.run(document, { resultTypes: ['violations'] }).then(function (r) { \
          done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; }) \
            .map(function (v) { return v.id + ': ' + v.nodes.map(function (n) { return n.target.join(' '); }).join('; '); })); \
        }).catch(function (e) { done(['axe failed: ' + e]); });";
    if b.js("return typeof window.axe !== 'undefined'").await != serde_json::json!(true) {
        b.client.execute(AXE, vec![]).await.expect("inject axe-core");
    }
    let found = b.client.execute_async(RUN, vec![]).await.expect("run axe-core");
    assert_eq!(found, serde_json::json!([]), "{page}: axe-core findings");
}

#[tokio::test]
async fn income_charts_draw_under_the_csp_and_follow_a_new_payment_live() {
    let app = spawn_app().await;
    // The analytics data with the extra requests of the request-based reports (lead sources,
    // countries of Export, which works globally); no extra payment, so the income is the same.
    let f = crate::analytics_sources::extra(&app).await.base;
    let b = Browser::start().await;
    b.login(&app.base, "Garry.Chief", crate::helpers::app::PASSWORD).await;
    b.goto(&format!("{}/analytics/income", app.base)).await;
    let start = Instant::now();
    loop {
        let drawn = b.js("return document.querySelectorAll('div.chart canvas').length").await;
        if drawn == serde_json::json!(3) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the charts were not drawn: {drawn}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in ["income", "income-previous", "income-rolling"] {
        let painted = b.js(&PAINTED.replace("arguments[0]", &format!("'{id}'"))).await;
        assert!(painted.as_u64().unwrap_or(0) > 1000, "chart {id} painted {painted} pixels");
    }
    // The screen readers' tables carry the charts' titles.
    let captions = b.js("return Array.from(document.querySelectorAll('table.sr-only caption')).length").await;
    assert_eq!(captions, serde_json::json!(3));
    b.shot("analytics-income.png").await;
    axe(&b, "income").await;
    b.js("window.scrollTo(0, 760); return 0").await;
    b.shot("analytics-income-tables.png").await;
    b.js("window.scrollTo(0, 0); return 0").await;
    let errors: Vec<String> = b.console().await.into_iter().filter(|l| l.starts_with("SEVERE")).collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    assert_eq!(b.text("#income-total").await, "2,300.00 USD");

    // Another session (Mark, the deal's owner) records 150.00 USD received today on deal A.
    b.wait_live().await;
    data::pay_150(&app, &f).await;
    b.wait_text("#income-total", Duration::from_secs(20), |t| t == "2,450.00 USD").await;
    // Redrawn after the refresh, still without errors.
    let start = Instant::now();
    while b.js("return document.querySelectorAll('div.chart canvas').length").await != serde_json::json!(3) {
        if start.elapsed() > Duration::from_secs(10) {
            let state = b.js("return [document.querySelectorAll('div.chart').length, document.querySelectorAll('div.chart canvas').length, document.querySelectorAll('template.chart-data').length, !!window.echarts, document.querySelector('#report').outerHTML.length]").await;
            panic!("the refreshed charts were not drawn: {state} {:?}", b.console().await);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let errors: Vec<String> = b.console().await.into_iter().filter(|l| l.starts_with("SEVERE")).collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // Boosted navigation (htmx swaps the body) to another report draws its four charts too.
    b.click("a[href='/analytics']").await;
    b.wait_text("h1", Duration::from_secs(10), |t| t == "Analytics").await;
    b.click("ul.report-list a[href='/analytics/deals']").await;
    b.wait_text("h1", Duration::from_secs(10), |t| t == "Deal Summary for last 365 days").await;
    let start = Instant::now();
    while b.js("return document.querySelectorAll('div.chart canvas').length").await != serde_json::json!(4) {
        assert!(start.elapsed() < Duration::from_secs(10), "the deal summary's charts were not drawn");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let painted = b.js(&PAINTED.replace("arguments[0]", "'deals-total'")).await;
    assert!(painted.as_u64().unwrap_or(0) > 1000, "deals-total painted {painted} pixels");
    b.shot("analytics-deals.png").await;
    axe(&b, "deals").await;
    // The other reports' charts: the funnel's one, the requests summary's two, the conversion
    // summary's two, the lead source summary's one (with a source chosen).
    let source = crate::analytics_sources::source(&app, f.export, "website form").await;
    let lead_sources = format!("/analytics/lead-sources?source={source}");
    for (path, charts, shot) in [
        ("/analytics/funnel", 1, "analytics-funnel.png"),
        ("/analytics/requests", 2, "analytics-requests.png"),
        ("/analytics/conversion", 2, "analytics-conversion.png"),
        (lead_sources.as_str(), 1, "analytics-lead-sources.png"),
    ] {
        b.goto(&format!("{}{path}", app.base)).await;
        let start = Instant::now();
        while b.js("return document.querySelectorAll('div.chart canvas').length").await != serde_json::json!(charts) {
            assert!(start.elapsed() < Duration::from_secs(10), "{path}: the charts were not drawn");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if path != "/analytics/funnel" && path != "/analytics/requests" {
            for id in b.js("return Array.from(document.querySelectorAll('div.chart')).map(function (e) { return e.dataset.chartName; })").await.as_array().cloned().unwrap_or_default() {
                let id = id.as_str().unwrap_or_default().to_string();
                let painted = b.js(&PAINTED.replace("arguments[0]", &format!("'{id}'"))).await;
                assert!(painted.as_u64().unwrap_or(0) > 1000, "{path}: chart {id} painted {painted} pixels");
            }
        }
        b.shot(shot).await;
        if path == "/analytics/requests" {
            b.js("window.scrollTo(0, 700); return 0").await;
            b.shot("analytics-requests-countries.png").await;
        }
        axe(&b, path).await;
    }
    // The Sales Report's chart of the amount per product (deal A's line gets an amount) and the
    // Closing reason Summary's monthly chart of one reason (A and G, won).
    let usd = data::currency(&app, "USD").await;
    let mut q = sea_query::Query::update();
    q.table("outputs")
        .value("amount_cents", 3_000i64)
        .value("currency_id", usd)
        .and_where(sea_query::Expr::col("deal_id").eq(f.deal_a));
    app.db.execute(&q).await.unwrap();
    ferrocrm::analytics::cache::figures_moved(&app.state.bus);
    let won = data::reason(&app, f.sales, "The deal was closed successfully").await;
    for (path, id, shot) in [
        ("/analytics/sales".to_string(), "sales-products", "analytics-sales.png"),
        (format!("/analytics/closing-reasons?reason={won}"), "closing-monthly", "analytics-closing-reasons.png"),
    ] {
        b.goto(&format!("{}{path}", app.base)).await;
        let start = Instant::now();
        while b.js("return document.querySelectorAll('div.chart canvas').length").await != serde_json::json!(1) {
            assert!(start.elapsed() < Duration::from_secs(10), "{path}: the chart was not drawn");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let painted = b.js(&PAINTED.replace("arguments[0]", &format!("'{id}'"))).await;
        assert!(painted.as_u64().unwrap_or(0) > 1000, "{id} painted {painted} pixels");
        b.shot(shot).await;
        axe(&b, &path).await;
    }
    let errors: Vec<String> = b.console().await.into_iter().filter(|l| l.starts_with("SEVERE")).collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    b.close().await;
}

/// Waits until `n` charts are drawn on the page.
async fn charts_drawn(b: &Browser, n: usize, what: &str) {
    let start = Instant::now();
    while b.js("return document.querySelectorAll('div.chart canvas').length").await != serde_json::json!(n) {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}: the charts were not drawn");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_saved_snapshot_draws_its_charts_and_every_chart_can_be_saved_as_an_image() {
    let app = spawn_app().await;
    data::build(&app).await;
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&format!("{}/analytics/income", app.base)).await;
    charts_drawn(&b, 3, "income").await;
    // Each drawn chart (the option ECharts holds) has its title, both axes named, a tooltip and
    // the "save as image" tool.
    const PARTS: &str = "return Array.from(document.querySelectorAll('div.chart')).map(function (d) { \
        var o = echarts.getInstanceByDom(d).getOption(); \
        return [d.dataset.chartName, o.title[0].text, o.xAxis[0].name, o.yAxis[0].name, o.tooltip[0].trigger, \
                o.toolbox[0].feature.saveAsImage.name]; });";
    assert_eq!(
        b.js(PARTS).await,
        serde_json::json!([
            ["income", "Income monthly", "Month", "USD", "axis", "income"],
            [
                "income-previous",
                "Income monthly in the previous period (USD)",
                "Month",
                "USD",
                "axis",
                "income-previous"
            ],
            ["income-rolling", "Income averaged over the year (USD).", "Month", "USD", "axis", "income-rolling"],
        ])
    );
    b.click("#snapshots button[type=submit]").await;
    b.wait_text("#snapshot-of", Duration::from_secs(20), |t| t.starts_with("Snapshot of")).await;
    charts_drawn(&b, 3, "the snapshot").await;
    let painted = b.js(&PAINTED.replace("arguments[0]", "'income'")).await;
    assert!(painted.as_u64().unwrap_or(0) > 1000, "the snapshot's income chart painted {painted} pixels");
    assert_eq!(b.text("#income-total").await, "1,600.00 USD", "Mark's own: 1,100 + 500");
    b.shot("analytics-income-snapshot.png").await;
    axe(&b, "snapshot").await;
    // Back to the report: the header links the snapshot.
    b.click(".page-actions a").await;
    b.wait_text("#snapshots", Duration::from_secs(20), |t| t.contains("Now,")).await;
    charts_drawn(&b, 3, "income again").await;
    b.shot("analytics-income-header.png").await;
    let errors: Vec<String> = b.console().await.into_iter().filter(|l| l.starts_with("SEVERE")).collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    b.close().await;
}
