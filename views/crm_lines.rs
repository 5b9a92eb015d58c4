//! A deal's line items and payments on its page (§12.5 inlines), and the line item's form.

use maud::{Markup, html};

use crate::access::{ItemKind, Viewer};
use crate::crm::fields::{RefTo, money};
use crate::crm::form::{Options, Raw};
use crate::crm::lines::{Lines, OUTPUT_FIELDS, currency};
use crate::crm::money::PAYMENT_STATUS;
use crate::error::FormErrors;
use crate::items::ItemRef;
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, icon};

fn amount(cents: Option<i64>, cur: &str) -> Markup {
    html! { @match cents { Some(c) => span.amount { (money(c)) " " (cur) }, None => span.muted { "—" } } }
}

/// The section below a deal's fields: its line items, then its payments with Paid and Expected.
/// A live region of its own that follows payments (a payment saved on its own page); the deal's
/// changes (line items too) refresh the whole page region around it.
pub fn section(v: &Viewer, l: &Lines) -> Markup {
    let it = &l.deal;
    let url = it.url();
    let on = format!(
        "{} {}",
        crate::events::names::kind_changed(ItemKind::Payment),
        crate::events::names::item_changed(ItemKind::Deal, it.id)
    );
    let name = |to, id| l.names.of(to, id);
    let today = crate::time::today();
    let deal_cur = currency(&l.names, l.currency_id);
    let _ = v;
    Live::new("deal-lines", &url, &on).delay(LIST_DELAY_MS).div("stack deal-lines", html! {
        section.card id="lines" aria-labelledby="lines-title" {
            div.card-header {
                h2.card-title id="lines-title" { "Line items" }
                @if l.can_change {
                    a.btn.btn-sm.btn-ghost href=(format!("{url}/outputs/new")) { (icon("plus")) " Line item" }
                }
            }
            div.card-body {
                @if l.lines.is_empty() {
                    p.muted { "No line items yet." }
                } @else {
                    div.table-wrap { table.table {
                        thead { tr {
                            th { "Product" } th.num { "Qty" } th.num { "Amount" } th { "Shipment" }
                            @if l.can_change { th { span.sr-only { "Actions" } } }
                        } }
                        tbody { @for line in &l.lines {
                            @let f = |c: &str| OUTPUT_FIELDS.iter().find(|f| f.col == c).map(|f| f.show(line.get(c), &name)).unwrap_or_default();
                            @let late = line.get("shipping_date").date().is_some_and(|d| d < today) && !line.get("product_is_shipped").flag();
                            tr id=(format!("line-{}", line.id)) {
                                td {
                                    a href=(format!("/products/{}", line.get("product_id").int().unwrap_or(0))) { (f("product_id")) }
                                    @if !line.get("serial_number").is_empty() { br; span.muted.text-small { "S/N " (f("serial_number")) } }
                                }
                                td.num { (f("quantity")) }
                                td.num { (amount(line.get("amount_cents").int(), &currency(&l.names, line.get("currency_id").int()))) }
                                td {
                                    span.muted.text-small { "Contract " } (crate::views::items::date(line.get("shipping_date").date(), late))
                                    br;
                                    @if line.get("product_is_shipped").flag() {
                                        span.badge.badge-success { "Shipped" } " " (crate::views::items::date(line.get("actual_shipping_date").date(), false))
                                    } @else {
                                        span.badge.badge-muted { "Not shipped" }
                                    }
                                }
                                @if l.can_change {
                                    td.actions {
                                        a.btn.btn-sm.btn-ghost href=(format!("{url}/outputs/{}/edit", line.id)) aria-label=(format!("Edit the line item {}", f("product_id"))) { "Edit" }
                                        form.inline method="post" action=(format!("{url}/outputs/{}/delete", line.id))
                                            data-confirm=(format!("Remove the line item {} × {} from the deal?", f("product_id"), f("quantity"))) {
                                            (ui::csrf(&v.csrf))
                                            button.btn.btn-sm.btn-ghost type="submit" aria-label=(format!("Remove the line item {}", f("product_id"))) { "Remove" }
                                        }
                                    }
                                }
                            }
                        } }
                    } }
                }
            }
        }
        @if let Some(payments) = &l.payments {
            section.card id="payments" aria-labelledby="payments-title" {
                div.card-header {
                    h2.card-title id="payments-title" { "Payments" }
                    @if l.can_pay {
                        a.btn.btn-sm.btn-ghost href=(format!("/payments/new?deal_id={}", it.id)) { (icon("plus")) " Payment" }
                    }
                }
                div.card-body {
                    dl.kv.deal-figures {
                        dt { "Amount" } dd #deal-amount { (amount(l.amount_cents, &deal_cur)) }
                        dt { "Paid" } dd #deal-paid { (amount(Some(l.paid()), &deal_cur)) }
                        dt { "Expected" } dd #deal-expected { (amount(l.expected(), &deal_cur)) }
                    }
                    @if l.other_currencies() {
                        p.muted.text-small { "Received payments in another currency than the deal's are not in Paid." }
                    }
                    @if payments.is_empty() {
                        p.muted { "No payments yet." }
                    } @else {
                        div.table-wrap { table.table {
                            thead { tr { th { "Date" } th.num { "Amount" } th { "Status" } th { "Invoice" } } }
                            tbody { @for p in payments {
                                @let status = PAYMENT_STATUS.iter().find(|(s, _)| *s == p.status).map_or(p.status.as_str(), |(_, label)| label);
                                tr id=(format!("payment-{}", p.id)) {
                                    td { a href=(format!("/payments/{}", p.id)) { (p.date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()) } }
                                    td.num { (amount(Some(p.amount_cents), &l.names.of(RefTo::Global("currencies"), p.currency_id).unwrap_or_default())) }
                                    td { span.badge.badge-success[p.status == "received"] { (status) } }
                                    td { (p.invoice) }
                                }
                            } }
                        } }
                    }
                }
            }
        }
    })
}

/// A line item's form (new: `line` None).
pub fn form(
    cx: &PageCx<'_>,
    it: &ItemRef,
    line: Option<i64>,
    raw: &Raw,
    errs: &FormErrors,
    options: &Options,
) -> Markup {
    let (title, action) = match line {
        None => ("New line item".to_string(), format!("{}/outputs", it.url())),
        Some(l) => ("Edit line item".to_string(), format!("{}/outputs/{l}", it.url())),
    };
    let products: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(options.get("product_id").into_iter().flatten().map(|(id, n)| (id.to_string(), n.clone())))
        .collect();
    page(
        cx,
        &title,
        html! {
            div.page-header { div { h1.page-title { (title) } p.page-subtitle { "Deal " a href=(it.url()) { (it.title) } } } }
            div.card { div.card-body {
                (ui::form_errors(errs))
                form.form method="post" action=(action) {
                    (ui::csrf(&cx.viewer.csrf))
                    @if products.len() == 1 {
                        p.muted { "The department has no product on sale yet. " a href="/products/new" { "Add a product" } " first." }
                    }
                    @for f in &OUTPUT_FIELDS {
                        @if f.col == "product_id" {
                            (ui::select("product_id", f.label, raw.get(f.col), &products, errs))
                        } @else {
                            (super::crm::input(f, raw, errs, options))
                        }
                    }
                    div.form-actions {
                        a.btn.btn-ghost href=(format!("{}#lines", it.url())) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Save" }
                    }
                }
            } }
        },
    )
}
