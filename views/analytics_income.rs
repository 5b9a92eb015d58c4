//! The Income Summary's body (§5.1): the three charts, the summary lines, the received payments
//! of the chosen period and the three forecast tables.

use chrono::{DateTime, Months, NaiveDate, Utc};
use maud::{Markup, html};

use crate::access::ItemKind;
use crate::analytics::chart::{Bars, units};
use crate::analytics::income::{DealInfo, Income};
use crate::analytics::scope::month_label;
use crate::analytics::snapshots::Snapshot;
use crate::crm::period::Range;
use crate::views::analytics::{Choices, chart};
use crate::views::layout::{self, PageCx};
use crate::views::ui::{csrf as csrf_field, datetime};

/// Hundredths as `1,234.50` (i128 sums, clamped to what a page can show).
pub fn money(cents: i128) -> String {
    crate::crm::fields::money(cents.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// A year's amount a month, rounded half away from zero to the cent.
fn per_month(cents: i128) -> i128 {
    if cents >= 0 { (cents + 6) / 12 } else { (cents - 6) / 12 }
}

fn signed(cents: i128) -> String {
    if cents >= 0 { format!("+{}", money(cents)) } else { money(cents) }
}

/// "Dec 2026" for a whole calendar month, else the range's dates.
fn period_label(r: &Range) -> String {
    match (r.from, r.before) {
        (Some(f), Some(b)) if f.format("%d").to_string() == "01" && f.checked_add_months(Months::new(1)) == Some(b) => {
            month_label(f)
        }
        (Some(f), Some(b)) => format!("from {f} before {b}"),
        (Some(f), None) => format!("from {f}"),
        (None, Some(b)) => format!("before {b}"),
        (None, None) => "all dates".into(),
    }
}

fn deal_cells(id: i64, info: Option<&DealInfo>) -> Markup {
    let empty = DealInfo::default();
    let d = info.unwrap_or(&empty);
    html! {
        td { a href=(crate::paths::item(ItemKind::Deal, id)) { (d.counterparty) } }
        td { (d.products.join(", ")) }
    }
}

/// The line under a table that shows `income::SHOWN` of its `n` rows: how many, and the link to all.
/// `capped`: `n` is the most the table loads (there may be more; its total counts them all).
fn more(c: &Choices<'_>, (n, capped): (usize, bool), limit: usize, anchor: &str, noun: &str) -> Markup {
    let mut all = c.filter.clone();
    all.rows = "all".into();
    let href = format!("/analytics/income{}#{anchor}", all.query(None));
    html! {
        @if n > limit {
            p.muted.table-more {
                "The first " (limit) " of " @if capped { "at least " } (n) " " (noun) " are shown. "
                a href=(href) { "Show " @if capped { "the first " } @else { "all " } (n) } " or export the report to Excel."
            }
        }
    }
}

/// The page's figures; `all`: every table shows every row (else the first `SHOWN`).
pub fn body(c: &Choices<'_>, d: &Income, all: bool) -> Markup {
    let limit = if all { usize::MAX } else { crate::analytics::income::SHOWN };
    let cur = c.currency();
    let months: Vec<String> = d.months.iter().map(|m| month_label(*m)).collect();
    let top = d.monthly.iter().chain(&d.previous_monthly).copied().max().unwrap_or(0);
    // The previous period's bars are the same calendar months a year earlier.
    let previous: Vec<String> =
        d.months.iter().filter_map(|m| m.checked_sub_months(Months::new(12))).map(month_label).collect();
    let bar = |id, title: String, subtitle: Option<String>, values: &[i128], max: Option<i128>| Bars {
        id,
        title,
        subtitle,
        labels: if id == "income-previous" { previous.clone() } else { months.clone() },
        unit: cur.to_string(),
        values: values.iter().map(|v| units(*v)).collect(),
        max: max.map(units),
        horizontal: false,
        counts: false,
    };
    let show = |v: f64| money((v * 100.0).round() as i128);
    let first = d.months.first().copied().unwrap_or(c.scope.today);
    let next: Vec<NaiveDate> = (0..3).filter_map(|i| c.scope.this_month().checked_add_months(Months::new(i))).collect();
    html! {
        dl.report-summary {
            div { dt { "Total won deals" } dd #won-deals { (d.won_deals) } }
            div { dt { "Average won deals a month" } dd #won-per-month { (format!("{:.1}", d.won_deals as f64 / 12.0)) } }
            div { dt { "Average income amount a month" } dd #income-per-month { (money(per_month(d.total))) " " (cur) } }
            div { dt { "Income in the last 365 days" } dd #income-total { (money(d.total)) " " (cur) } }
        }
        div.chart-grid {
            (chart(&bar("income", "Income monthly".into(), Some(format!("total amount for the current period: {} {cur} ({})", money(d.total), signed(d.total - d.previous_total))), &d.monthly, Some(top)), &show))
            (chart(&bar("income-previous", format!("Income monthly in the previous period ({cur})"), None, &d.previous_monthly, Some(top)), &show))
            (chart(&bar("income-rolling", format!("Income averaged over the year ({cur})."), None, &d.rolling, None), &show))
        }
        p.footnote.muted { "Note! The calculations use data for the whole year. But the charts begin on the first of the next month (" (month_label(first)) "). Every payment is converted at the exchange rate of its payment date when one is recorded, else at its currency's current rate." }
        section.card #received {
            div.card-header { h2.card-title { "Payments received (" (period_label(&d.received_range)) ")" } }
            div.table-wrap { table.table {
                thead { tr { th scope="col" { "Counterparty" } th scope="col" { "Products" } th.num scope="col" { "Amount, " (cur) } th scope="col" { "Payment date" } th scope="col" { "Order number" } th scope="col" { "Owner" } } }
                tbody {
                    @for p in d.received.iter().take(limit) {
                        tr {
                            (deal_cells(p.deal_id, d.deals.get(&p.deal_id)))
                            td.num.through-representation[p.through_representation] title=[p.through_representation.then_some("Paid through a representative office")] { (money(p.cents)) }
                            td { (p.date) } td { (p.order_number) }
                            td { (d.deals.get(&p.deal_id).map(|i| i.owners.join(", ")).unwrap_or_default()) }
                        }
                    }
                    @if d.received.is_empty() { tr { td colspan="6" .muted { "No payment received in this period." } } }
                }
                tfoot { tr { th scope="row" colspan="2" { "Total amount" } td.num #received-total { (money(d.received_total)) } td colspan="3" {} } }
            } }
            @let capped = d.received.len() as u64 >= crate::analytics::income::RECEIVED_ROWS;
            (more(c, (d.received.len(), capped), limit, "received", "payments"))
            @if capped && all {
                p.muted { "The first " (crate::analytics::income::RECEIVED_ROWS) " payments are listed; the total counts them all." }
            }
        }
        @for (i, f) in d.forecasts.iter().enumerate() {
            section.card.forecast id=(format!("forecast-{}", crate::analytics::income::FORECASTS[i].0)) {
                div.card-header { h2.card-title { (f.title) } }
                div.table-wrap { table.table {
                    thead { tr {
                        th scope="col" { "Counterparty" } th scope="col" { "Products" }
                        @for (j, m) in next.iter().enumerate() { th.num scope="col" { (month_label(*m)) @if j == 0 { " (and overdue)" } } }
                        th scope="col" { "Order numbers" } th scope="col" { "Owner" }
                    } }
                    tbody {
                        @for r in f.rows.iter().take(limit) {
                            tr {
                                (deal_cells(r.deal_id, d.deals.get(&r.deal_id)))
                                @for m in r.months { td.num { (money(m)) } }
                                td { (r.order_numbers.join(", ")) }
                                td { (d.deals.get(&r.deal_id).map(|i| i.owners.join(", ")).unwrap_or_default()) }
                            }
                        }
                        @if f.rows.is_empty() { tr { td colspan="7" .muted { "None." } } }
                    }
                    tfoot { tr.totals {
                        th scope="row" colspan="2" { "Total, " (cur) }
                        @for t in f.totals { td.num { (money(t)) } }
                        td.num.grand-total colspan="2" { "Grand total: " (money(f.totals.iter().sum())) }
                    } }
                } }
                (more(c, (f.rows.len(), false), limit, &format!("forecast-{}", crate::analytics::income::FORECASTS[i].0), "deals"))
            }
        }
        p.footnote.muted { "The forecast's months are calendar months of this year and the next: unlike Django-CRM, which matched them on the month number only (so a payment due next January also counted in this January), the year counts, and each payment is converted at its dated rate when there is one rather than always at the current rate." }
    }
}

/// The report's header line (§5.1): "Date: … Snapshots: Now, <the latest snapshots of this scope>",
/// and the "Save snapshot" button (a POST with the page's filters).
pub fn snapshots_line(c: &Choices<'_>, saved: &[(i64, DateTime<Utc>)], csrf: &str) -> Markup {
    html! {
        div.snapshots #snapshots {
            span { "Date: " (c.scope.today) }
            span.snapshot-links {
                " Snapshots: " strong aria-current="page" { "Now" }
                @for (id, at) in saved { ", " a href=(format!("/analytics/income/snapshots/{id}")) { (datetime(at)) } }
            }
            form method="post" action=(format!("/analytics/income/snapshots{}", c.filter.query(None))) {
                (csrf_field(csrf))
                button.btn.btn-ghost type="submit" title="Keep the report's figures as they are now" { "Save snapshot" }
            }
        }
    }
}

/// `GET /analytics/income/snapshots/:id`: the saved figures rendered with today's views, marked
/// "Snapshot of <date>", without filters, buttons or live refresh.
pub fn snapshot(cx: &PageCx<'_>, c: &Choices<'_>, s: &Snapshot, owner: Option<&str>) -> Markup {
    let departments: Vec<&str> = c.departments.iter().map(|(_, n)| n.as_str()).collect();
    let mut now = vec![("owner", s.stored.owner.map(|o| o.to_string()).unwrap_or_else(|| "all".into()))];
    if let Some([d]) = s.stored.departments.as_deref() {
        now.push(("department", d.to_string()));
    }
    layout::page(
        cx,
        "Income Summary",
        html! {
            div.page-header {
                div {
                    h1.page-title { "Income Summary" }
                    p.page-subtitle #snapshot-of { "Snapshot of " (datetime(&s.taken_at)) }
                }
                div.page-actions {
                    a.btn.btn-ghost href=(format!("/analytics/income{}", crate::paths::query(&now))) { "Now" }
                }
            }
            dl.report-summary.snapshot-scope {
                div { dt { "Departments" } dd #snapshot-departments {
                    @if s.stored.departments.is_none() { "All departments" } @else { (departments.join(", ")) }
                } }
                div { dt { "Owner" } dd #snapshot-owner { (owner.unwrap_or("All owners")) } }
                @if let Some(m) = &s.month { div { dt { "Monthly snapshot" } dd { (m) } } }
            }
            div #report.report.snapshot { (body(c, &s.stored.income, true)) }
        },
    )
}
