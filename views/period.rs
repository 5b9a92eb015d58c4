//! The extended date filter's controls (§13.9, `crm::period`), reused by every list that filters by
//! a date, and the payments list's extra filters and total line (§13.5).

use maud::{Markup, html};

use crate::crm::payments::Sum;
use crate::crm::period::{DateFilter, PERIODS};
use crate::views::ui;

/// The period select and the custom "from … before …" dates, for a list's filter form. `what`
/// names the date ("Payment date").
pub fn date_filter(f: &DateFilter, what: &str) -> Markup {
    let custom = f.date == "custom" || (f.date.is_empty() && !(f.date_from.is_empty() && f.date_before.is_empty()));
    html! {
        span.date-filter role="group" aria-label=(what) {
            select name="date" aria-label=(what) title=(what) {
                @for (key, label) in PERIODS {
                    option value=(key) selected[f.date == *key || (custom && *key == "custom")] {
                        @if key.is_empty() { (what) ": " (label) } @else { (label) }
                    }
                }
            }
            label.date-filter-custom {
                span.muted { "from" }
                input type="text" inputmode="numeric" name="date_from" value=[custom.then_some(f.date_from.as_str())]
                    placeholder="YYYY-MM-DD" size="10" maxlength="10" aria-label=(format!("{what} from (YYYY-MM-DD)"));
            }
            label.date-filter-custom {
                span.muted { "before" }
                input type="text" inputmode="numeric" name="date_before" value=[custom.then_some(f.date_before.as_str())]
                    placeholder="YYYY-MM-DD" size="10" maxlength="10" aria-label=(format!("{what} before (YYYY-MM-DD)"));
            }
        }
    }
}

/// The payments list's status and payment-date filters.
pub fn payment_filters(f: &crate::crm::list::Filter) -> Markup {
    html! {
        select name="status" aria-label="Status" {
            option value="" { "Any status" }
            @for (key, label) in crate::crm::money::PAYMENT_STATUS {
                option value=(key) selected[f.status == *key] { (label) }
            }
        }
        (date_filter(&f.period, "Payment date"))
    }
}

/// A payment's counterparty, products and person cells.
pub fn payment_cells(company: Option<&str>, products: &[String], people: &[String]) -> Vec<Markup> {
    let none = html! { span.muted { "—" } };
    vec![
        company.map(|c| html! { (c) }).unwrap_or_else(|| none.clone()),
        if products.is_empty() {
            none.clone()
        } else {
            html! { @for (i, p) in products.iter().enumerate() { @if i > 0 { br; } span.nowrap { (p) } } }
        },
        if people.is_empty() {
            none
        } else {
            html! { @for (i, p) in people.iter().enumerate() { @if i > 0 { br; } span.person { (p) } } }
        },
    ]
}

fn amount(a: &crate::crm::payments::Amount) -> Markup {
    let m = |c: i128| crate::crm::fields::money(i64::try_from(c).unwrap_or(i64::MAX));
    html! { strong { (m(a.cents)) } " (" (m(a.with_vat)) ") " (a.currency) }
}

/// The total line's place while it is asked for from `url` (`crm::payments::sum_line`), which
/// replaces it.
pub fn payment_sum_pending(url: &str) -> Markup {
    html! {
        p #payments-sum.list-summary.muted hx-get=(url) hx-trigger="load" hx-target="this" hx-swap="outerHTML"
            aria-live="polite" aria-busy="true" { "Adding up the payments…" }
    }
}

/// "Total sum: <marketing> (<with VAT>) <currency> | <state> (<with VAT>) <currency> | <rate
/// type>", or the date filter's message.
pub fn payment_sum(sum: Option<&Sum>, error: Option<&str>) -> Markup {
    html! {
        @if let Some(msg) = error {
            div #payments-sum { (ui::flash("error", msg)) }
        } @else if let Some(s) = sum {
            p #payments-sum.list-summary title=(format!("Amounts without VAT, and in brackets with {} % VAT", s.vat_percent)) {
                "Total sum: "
                @if let Some(m) = &s.marketing { (amount(m)) } @else { span.muted { "no marketing currency" } }
                " | "
                @if let Some(st) = &s.state { (amount(st)) } @else { span.muted { "no state currency" } }
                " | " span.rate-type { (s.rate_type()) }
            }
        }
    }
}
