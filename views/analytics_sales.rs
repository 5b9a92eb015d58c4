//! The Sales Report's body (§5.3: the chart of the amount per product, the "Sold products" table
//! with its own pages) and the Closing reason Summary's (§5.7).

use maud::{Markup, html};

use crate::access::ItemKind;
use crate::analytics::chart::{Bars, units};
use crate::analytics::closing::{ClosingReasons, percent};
use crate::analytics::sales::{PER_PAGE, Sales};
use crate::analytics::scope::month_label;
use crate::views::analytics::{Choices, chart, count};
use crate::views::analytics_income::money;
use crate::views::ui::{grouped, icon};

/// The Sales Report.
pub fn sales(c: &Choices<'_>, d: &Sales) -> Markup {
    let cur = d.currency.as_str();
    let bars = Bars {
        id: "sales-products",
        title: format!("Amount per product (top {})", d.top.len()),
        subtitle: None,
        labels: d.top.iter().map(|t| t.0.clone()).collect(),
        unit: cur.to_string(),
        values: d.top.iter().map(|t| units(t.1)).collect(),
        max: None,
        horizontal: true,
        counts: false,
    };
    let show = |v: f64| money((v * 100.0).round() as i128);
    let page_url = |n: u64| {
        let f = crate::analytics::Filter { page: u32::try_from(n).ok(), ..c.filter.clone() };
        format!("/analytics/sales{}", f.query(None))
    };
    let pages = d.pages();
    html! {
        @if !d.top.is_empty() { (chart(&bars, &show)) }
        section.card #sold {
            div.card-header { h2.card-title { "Sold products" } }
            div.table-wrap { table.table {
                thead { tr {
                    th scope="col" { "Product" } th.num scope="col" { "Quantity" }
                    th.num scope="col" { "Unit price, " (cur) } th.num scope="col" { "Amount, " (cur) }
                    th scope="col" { "Counterparty" } th scope="col" { "Owner" }
                    th scope="col" { "Order number" } th scope="col" { "Payment date" }
                } }
                tbody {
                    @for r in &d.rows {
                        @let info = d.deals.get(&r.deal_id);
                        tr {
                            td { a href=(format!("{}#lines", crate::paths::item(ItemKind::Deal, r.deal_id))) { (r.product) } }
                            td.num { (r.quantity) " pcs" }
                            td.num { @match r.unit_price() { Some(p) => (money(p)), None => span.muted { "—" } } }
                            td.num { @match r.amount { Some(a) => (money(a)), None => span.muted { "—" } } }
                            td { (info.map(|i| i.counterparty.as_str()).unwrap_or("")) }
                            td { (info.map(|i| i.owners.join(", ")).unwrap_or_default()) }
                            td { (r.order_number) }
                            td { (r.date) }
                        }
                    }
                    @if d.rows.is_empty() { tr { td colspan="8" .muted { "No product sold with these filters." } } }
                }
                tfoot { tr.totals {
                    th scope="row" { "Total amount" }
                    td.num #sold-quantity { (d.total_quantity) " pcs" }
                    td {}
                    td.num #sold-total { (money(d.total_amount)) " " (cur) }
                    td colspan="4" {}
                } }
            } }
            @if pages > 1 {
                nav.pagination aria-label="Pages of sold products" {
                    @if d.page > 1 {
                        a.page href=(page_url(d.page - 1)) rel="prev" { (icon("chevron-left")) "Previous" }
                    } @else {
                        span.page.disabled { (icon("chevron-left")) "Previous" }
                    }
                    span.page-info { "Page " (d.page) " of " (grouped(pages)) " · " (grouped(d.total_rows.max(0) as u64)) " products sold" }
                    @if d.page < pages {
                        a.page href=(page_url(d.page + 1)) rel="next" { "Next" (icon("chevron-right")) }
                    } @else {
                        span.page.disabled { "Next" (icon("chevron-right")) }
                    }
                }
            } @else if d.total_rows > 0 {
                p.list-count { (grouped(d.total_rows as u64)) " products sold" }
            }
        }
        p.footnote.muted {
            "One row per product line of a deal that received payment, " (PER_PAGE) " rows a page. "
            "Each deal counts once, on the date of its latest received payment, in every view: Django-CRM did so only when all departments were shown, and in one department's view listed a deal in every period in which one of its payments was received. "
            "A line's amount is converted at its currency's rate on the deal's first received payment date (else at the current rate); the order number is that payment's. "
            "Lines without an amount have no price and add nothing to the total."
        }
    }
}

/// The Closing reason Summary.
pub fn closing_reasons(d: &ClosingReasons) -> Markup {
    let months: Vec<String> = d.months.iter().map(|m| month_label(*m)).collect();
    html! {
        ul.reason-summary #reasons {
            li.total-row { (d.total) " (100%) - total requests" }
            @for (reason, n) in &d.rows {
                li { (n) " (" (percent(*n, d.total)) ") - " (reason) }
            }
        }
        @if let (Some(m), Some(reason)) = (&d.monthly, &d.reason) {
            (chart(&Bars {
                id: "closing-monthly",
                title: "Closing reason over month".into(),
                subtitle: Some(reason.clone()),
                labels: months.clone(),
                unit: "deals".into(),
                values: m.iter().map(|v| *v as f64).collect(),
                max: None,
                horizontal: false,
                counts: true,
            }, &count))
        }
        section.card #countries {
            div.card-header { h2.card-title {
                "Requests over country"
                @if d.reason.is_some() { " (last 365 days)" } @else { " (all the time)" }
            } }
            div.table-wrap { table.table {
                thead { tr { th scope="col" { "Country" } th.num scope="col" { "Deals" } } }
                tbody {
                    @for (country, n) in &d.countries { tr { th scope="row" { (country) } td.num { (n) } } }
                    @if d.countries.is_empty() { tr { td colspan="2" .muted { "No closed deal." } } }
                }
            } }
        }
        p.footnote.muted {
            "Deals closed (no longer active) and relevant, of all time"
            @if d.product.is_some() { ", with a line of the chosen product (each deal once)" }
            ". Closing reasons of the same name in several departments are one row; deals closed without a reason have their own row, so the rows add up to the total. "
            "With a reason chosen, the chart counts its deals by the receipt month of their request (deals made without a request are not counted), and the country list the same deals over the last 365 days; Django-CRM took the deals created in the last 365 days for the list. "
            "Note! The calculations use data for the whole year. But the charts begin on the first of the next month."
        }
    }
}
