//! Currencies with their latest rate, and one currency's dated rates (§13.7).

use maud::{Markup, html};

use crate::access::{Action, can_currencies};
use crate::crm::currencies::{Currency, NewCurrency, RATE_TYPES, Rate, RateForm, show_rate};
use crate::error::FormErrors;
use crate::paging::Paged;
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, Field};

fn marks(c: &Currency) -> Markup {
    html! {
        @if c.is_state_currency { span.badge.badge-info { "State currency" } " " }
        @if c.is_marketing_currency { span.badge.badge-success { "Marketing currency" } }
    }
}

pub fn index(cx: &PageCx<'_>, list: &[(Currency, Option<Rate>)], f: &NewCurrency, errs: &FormErrors) -> Markup {
    let v = cx.viewer;
    let may_add = can_currencies(v, Action::Create);
    let may_mark = can_currencies(v, Action::Edit);
    let state = list.iter().find(|(c, _)| c.is_state_currency).map(|(c, _)| c.name.as_str());
    let marketing = list.iter().find(|(c, _)| c.is_marketing_currency).map(|(c, _)| c.name.as_str());
    page(
        cx,
        "Currencies",
        html! {
            div.page-header {
                div { h1.page-title { "Currencies" }
                    p.page-subtitle { "Rates are to the state currency (" (state.unwrap_or("none")) ") and to the marketing currency (" (marketing.unwrap_or("none")) ")." } }
                div.page-actions { a.btn.btn-ghost href="/payments" { "Payments" } }
            }
            @if state.is_none() || marketing.is_none() {
                div.form-errors role="alert" { "There is no " @if state.is_none() { "state" } @else { "marketing" } " currency: reports cannot convert amounts until an administrator chooses one." }
            }
            div.card { div.table-wrap { table.table #currency-list {
                thead { tr {
                    th { "Currency" } th.num { "Rate to state" } th.num { "Rate to marketing" } th { "Latest dated rate" } th { "" }
                    @if may_mark { th { span.sr-only { "Make it" } } }
                } }
                tbody { @for (c, latest) in list {
                    tr id=(format!("currency-{}", c.id)) {
                        td.name { a href=(format!("/currencies/{}", c.id)) { (c.name) } }
                        td.num { (show_rate(c.rate_to_state_e8)) }
                        td.num { (show_rate(c.rate_to_marketing_e8)) }
                        td { @match latest {
                            Some(r) => { (r.date.format("%Y-%m-%d").to_string()) " · " (show_rate(r.to_state_e8)) " · " span.muted { (r.kind) } },
                            None => span.muted { "none yet" },
                        } }
                        td { (marks(c)) }
                        @if may_mark {
                            td.actions {
                                @if !c.is_state_currency && !c.is_marketing_currency {
                                    form.inline method="post" action=(format!("/currencies/{}/role", c.id)) data-confirm=(format!("Make {} the state currency?", c.name)) {
                                        (ui::csrf(&v.csrf)) input type="hidden" name="role" value="state";
                                        button.btn.btn-sm.btn-ghost type="submit" { "Make state" }
                                    }
                                    form.inline method="post" action=(format!("/currencies/{}/role", c.id)) data-confirm=(format!("Make {} the marketing currency?", c.name)) {
                                        (ui::csrf(&v.csrf)) input type="hidden" name="role" value="marketing";
                                        button.btn.btn-sm.btn-ghost type="submit" { "Make marketing" }
                                    }
                                }
                            }
                        }
                    }
                } }
            } } }
            @if may_add {
                div.card { div.card-header { h2.card-title { "Add a currency" } } div.card-body {
                    (ui::form_errors(errs))
                    form.form method="post" action="/currencies" {
                        (ui::csrf(&v.csrf))
                        div.field-row {
                            (Field::new("name", "ISO code", &f.name, errs).required().help("Three letters, such as CHF."))
                            (Field::new("rate_to_state", "Rate to the state currency", &f.rate_to_state, errs).required())
                            (Field::new("rate_to_marketing", "Rate to the marketing currency", &f.rate_to_marketing, errs).required())
                        }
                        div.form-actions { button.btn.btn-primary type="submit" { "Add" } }
                    }
                } }
            }
        },
    )
}

pub fn show(
    cx: &PageCx<'_>,
    c: &Currency,
    _all: &[Currency],
    rates: &Paged<Rate>,
    f: &RateForm,
    errs: &FormErrors,
) -> Markup {
    let v = cx.viewer;
    let types: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
        .chain(RATE_TYPES.iter().map(|(k, l)| (k.to_string(), l.to_string())))
        .collect();
    page(
        cx,
        &c.name,
        html! {
            div.page-header {
                div { h1.page-title { (c.name) " " (marks(c)) }
                    p.page-subtitle { "Current rate: " (show_rate(c.rate_to_state_e8)) " to the state currency, " (show_rate(c.rate_to_marketing_e8)) " to the marketing currency." } }
                div.page-actions { a.btn.btn-ghost href="/currencies" { "All currencies" } }
            }
            @if can_currencies(v, Action::Create) {
                div.card { div.card-header { h2.card-title { "Add a dated rate" } } div.card-body {
                    (ui::form_errors(errs))
                    form.form method="post" action=(format!("/currencies/{}/rates", c.id)) {
                        (ui::csrf(&v.csrf))
                        div.field-row {
                            (Field::new("rate_date", "Date", &f.rate_date, errs).kind("date").required())
                            (Field::new("rate_to_state", "Rate to the state currency", &f.rate_to_state, errs).required())
                            (Field::new("rate_to_marketing", "Rate to the marketing currency", &f.rate_to_marketing, errs).required())
                            (ui::select("rate_type", "Type", &f.rate_type, &types, errs))
                        }
                        p.help { "A rate for a day that already has one replaces it. The newest dated rate is the currency's current rate." }
                        div.form-actions { button.btn.btn-primary type="submit" { "Save the rate" } }
                    }
                } }
            }
            div.card { div.card-header { h2.card-title { "Dated rates" } }
                @if rates.items.is_empty() {
                    div.card-body { p.muted { "No dated rates yet." } }
                } @else {
                    div.table-wrap { table.table #rate-list {
                        thead { tr { th { "Date" } th.num { "Rate to state" } th.num { "Rate to marketing" } th { "Type" } } }
                        tbody { @for r in &rates.items {
                            tr id=(format!("rate-{}", r.id)) {
                                td { (r.date.format("%Y-%m-%d").to_string()) }
                                td.num { (show_rate(r.to_state_e8)) }
                                td.num { (show_rate(r.to_marketing_e8)) }
                                td { @if r.kind == "official" { span.badge.badge-success { "Official" } } @else { span.badge.badge-muted { "Approximate" } } }
                            }
                        } }
                    } }
                    div.card-body { (ui::pagination_without_total(rates, ui::Noun("rate", "rates"), |n| format!("/currencies/{}?page={n}", c.id))) }
                }
            }
        },
    )
}
