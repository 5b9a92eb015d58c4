//! The Shipments list (§13.6, `crm::shipments`) and the actual-shipping-date form.

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::access::{ItemKind, Viewer};
use crate::crm::fields::money;
use crate::crm::shipments::{PATH, Shipment, ShipmentFilter, ShipmentPage};
use crate::error::FormErrors;
use crate::views::items::date;
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, icon};

pub struct Shipments<'a> {
    pub page: &'a ShipmentPage,
    pub filter: &'a ShipmentFilter,
    pub today: NaiveDate,
    /// The date filter's message (the list is then empty, status 422).
    pub error: Option<&'a str>,
    pub edit: Option<i64>,
}

pub fn index(cx: &PageCx<'_>, s: &Shipments<'_>, departments: &[(i64, String)], products: &[(i64, String)]) -> Markup {
    let f = s.filter;
    let v = cx.viewer;
    let mine = f.mine(v);
    page(
        cx,
        "Shipments",
        html! {
            div.page-header {
                div {
                    h1.page-title { "Shipments" }
                    p.page-subtitle { "Deal line items with a shipment date as per contract." }
                }
            }
            form.filters method="get" action=(PATH) hx-get=(PATH) hx-target="#shipment-list" hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="change, submit" {
                select name="owner" aria-label="Owner" {
                    option value="mine" selected[mine] { "My deals" }
                    option value="all" selected[!mine] { "Everyone's" }
                }
                @if !departments.is_empty() {
                    select name="department" aria-label="Department" {
                        option value="" { "All departments" }
                        @for (id, name) in departments {
                            option value=(id) selected[f.department == id.to_string()] { (name) }
                        }
                    }
                }
                select name="shipped" aria-label="Shipped" {
                    option value="" { "Shipped or not" }
                    option value="yes" selected[f.shipped == "yes"] { "Shipped" }
                    option value="no" selected[f.shipped == "no"] { "Not shipped" }
                }
                @if !products.is_empty() {
                    select name="product" aria-label="Product" {
                        option value="" { "Any product" }
                        @for (id, name) in products {
                            option value=(id) selected[f.product == id.to_string()] { (name) }
                        }
                    }
                }
                (crate::views::period::date_filter(&f.period, "Actual shipping date"))
                button.btn type="submit" { "Filter" }
            }
            (list(v, s))
        },
    )
}

fn next_payment(n: &Option<(i64, String, NaiveDate)>) -> Markup {
    html! {
        @match n {
            Some((cents, cur, d)) => { span.nowrap { (money(*cents)) " " (cur) } br; span.muted.text-small { (date(Some(*d), false)) } },
            None => span.muted { "—" },
        }
    }
}

/// The list: a live region that follows deal changes (a shipment changes its deal).
pub fn list(v: &Viewer, s: &Shipments<'_>) -> Markup {
    let p = s.page;
    let url = format!("{PATH}{}", s.filter.query(p.page.page));
    let on = crate::events::names::kind_changed(ItemKind::Deal);
    Live::new("shipment-list", &url, &on).delay(LIST_DELAY_MS).div("", html! {
        @if let Some(msg) = s.error { (ui::flash("error", msg)) }
        @if p.page.items.is_empty() {
            @if s.error.is_none() { (ui::empty_state("truck", "No shipments here: line items with a contract shipment date appear here.", None)) }
        } @else {
            div.table-wrap { table.table.crm-table #shipments {
                thead { tr {
                    th { "Product" } th.num { "Pcs" } th { "To contract" } th { "Actual date" }
                    th { span.sr-only { "Shipped" } } th.num { "Paid" } th { "Next payment" } th { "Order number" }
                    th { "Deal" } th { "Counterparty" } th { "Person" } th.num { "ID" }
                } }
                tbody { @for row in &p.page.items {
                    @let m = p.money.get(&row.deal_id).cloned().unwrap_or_default();
                    @let late = row.shipping_date < s.today && !row.product_is_shipped;
                    tr id=(format!("shipment-{}", row.id)) {
                        td.name { (row.product) }
                        td.num { (row.quantity) }
                        td.nowrap { (date(Some(row.shipping_date), late)) }
                        td.nowrap { (actual(v, row, p.can_change.get(&row.id).copied().unwrap_or(false))) }
                        td {
                            @if row.product_is_shipped {
                                span.deal-mark.green title="Shipped" { (icon("truck")) span.sr-only { "Shipped" } }
                            } @else {
                                span.deal-mark.grey title="Not shipped yet" { (icon("truck")) span.sr-only { "Not shipped yet" } }
                            }
                        }
                        td.num.nowrap { @match m.paid_percent { Some(pc) => { (pc) " %" }, None => span.muted title="No deal amount" { "—" } } }
                        td { (next_payment(&m.next)) }
                        td { @match &m.order_number { Some(o) => (o), None => span.muted { "—" } } }
                        td {
                            @if p.can_view_deal.get(&row.id).copied().unwrap_or(false) {
                                a href=(format!("/deals/{}", row.deal_id)) { (row.deal_name) }
                            } @else {
                                (row.deal_name)
                            }
                        }
                        td.counterparty {
                            @match &row.company { Some(c) => span.company { (c) }, None => span.muted { "—" } }
                            @if let Some(c) = &row.country { br; span.country.muted.text-small { (c) } }
                        }
                        td { @match row.person() { Some(n) => span.person { (n) }, None => span.muted { "—" } } }
                        td.num.muted { (row.id) }
                    }
                } }
            } }
            (ui::pagination(&p.page, ui::Noun("shipment", "shipments"), |n| format!("{PATH}{}", s.filter.query(n))))
        }
    })
}

/// The actual date, with a small form to set it when the viewer may.
fn actual(v: &Viewer, row: &Shipment, can_change: bool) -> Markup {
    let value = row.actual_shipping_date.map(|d| d.to_string()).unwrap_or_default();
    html! {
        @if can_change {
            form.inline.ship-form method="post" action=(format!("{PATH}/{}", row.id)) {
                (ui::csrf(&v.csrf))
                input type="text" name="actual_shipping_date" value=(value) placeholder="YYYY-MM-DD" size="10" maxlength="10"
                    inputmode="numeric" aria-label=(format!("Actual shipping date of {} × {}", row.product, row.quantity));
                button.btn.btn-sm type="submit" { "Save" }
            }
        } @else {
            (date(row.actual_shipping_date, false))
        }
    }
}

/// The form on a page of its own (and again with the message after a bad date).
pub fn edit_page(cx: &PageCx<'_>, s: &Shipment, value: &str, errors: &FormErrors) -> Markup {
    page(
        cx,
        "Shipment",
        html! {
            div.page-header {
                div {
                    h1.page-title { "Shipment: " (s.product) " × " (s.quantity) }
                    p.page-subtitle { "Deal “" (s.deal_name) "” · contract date " (s.shipping_date.format("%Y-%m-%d")) }
                }
            }
            div.card { div.card-body {
                form.form method="post" action=(format!("{PATH}/{}", s.id)) {
                    (ui::csrf(&cx.viewer.csrf))
                    (ui::form_errors(errors))
                    (ui::Field::new("actual_shipping_date", "Actual shipping date", value, errors)
                        .help("YYYY-MM-DD. Setting it marks the product as shipped and moves the deal to its department's “goods shipped” stage; leave it empty if not shipped."))
                    div.form-actions {
                        button.btn.btn-primary type="submit" { "Save" }
                        a.btn.btn-ghost href=(PATH) { "Cancel" }
                    }
                }
            } }
        },
    )
}
