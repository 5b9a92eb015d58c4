//! A deal's transaction-quality events on its page (§12.5 inline, §18 CTQS) and the event's form.

use maud::{Markup, html};

use crate::access::Viewer;
use crate::crm::form::Raw;
use crate::crm::quality::{Section, Signal, colour};
use crate::error::FormErrors;
use crate::items::ItemRef;
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, icon};

/// "−5", "+5", "0".
pub fn weight(w: i64) -> String {
    match w {
        0 => "0".into(),
        w if w < 0 => format!("−{}", -w),
        w => format!("+{w}"),
    }
}

/// The score as the deal list shows it: a link to the deal's events, coloured by §12.3.
pub fn score_link(deal: i64, score: i64) -> Markup {
    html! {
        a.ctqs.(colour(score)) href=(format!("/deals/{deal}#quality"))
            title="Composite Transaction-Quality Score: 100 + the weights of the deal's quality events" { (score) }
    }
}

/// The section below the deal's line items. It lies inside the deal page's live region, which
/// re-fetches on every change of the deal (each event change publishes one).
pub fn section(v: &Viewer, s: &Section) -> Markup {
    let url = s.deal.url();
    html! {
        section.card id="quality" aria-labelledby="quality-title" {
            div.card-header {
                h2.card-title id="quality-title" {
                    "Transaction-quality events"
                    @if !s.events.is_empty() {
                        " " span.ctqs.(colour(s.score())) #deal-ctqs title="Composite Transaction-Quality Score" { "CTQS " (s.score()) }
                    }
                }
                @if s.can_change {
                    a.btn.btn-sm.btn-ghost href=(format!("{url}/quality/new")) { (icon("plus")) " Quality event" }
                }
            }
            div.card-body {
                @if s.events.is_empty() {
                    p.muted { "No quality events yet." }
                } @else {
                    div.table-wrap { table.table.quality-table {
                        thead { tr {
                            th { "Signal" } th.num { "Weight (%)" } th { "Details" } th { "Created" }
                            @if s.can_change { th { span.sr-only { "Actions" } } }
                        } }
                        tbody { @for e in &s.events {
                            tr id=(format!("quality-{}", e.id)) {
                                td { (e.signal) }
                                td.num { (weight(e.weight)) }
                                td.pre-line { (e.details) }
                                td.nowrap { (ui::date_of(&e.created_at)) }
                                @if s.can_change {
                                    td.actions {
                                        a.btn.btn-sm.btn-ghost href=(format!("{url}/quality/{}/edit", e.id)) aria-label=(format!("Edit the quality event {}", e.signal)) { "Edit" }
                                        form.inline method="post" action=(format!("{url}/quality/{}/delete", e.id))
                                            data-confirm=(format!("Remove the quality event “{}” ({} %) from the deal?", e.signal, weight(e.weight))) {
                                            (ui::csrf(&v.csrf))
                                            button.btn.btn-sm.btn-ghost type="submit" aria-label=(format!("Remove the quality event {}", e.signal)) { "Remove" }
                                        }
                                    }
                                }
                            }
                        } }
                    } }
                }
            }
        }
    }
}

/// A quality event's form (new: `event` None). Choosing a signal fills its weight in
/// (`data-fill`, app.js); left empty, the weight is the signal's when saved.
pub fn form(
    cx: &PageCx<'_>,
    it: &ItemRef,
    event: Option<i64>,
    raw: &Raw,
    errs: &FormErrors,
    signals: &[Signal],
) -> Markup {
    let (title, action) = match event {
        None => ("New quality event", format!("{}/quality", it.url())),
        Some(e) => ("Edit quality event", format!("{}/quality/{e}", it.url())),
    };
    let err = |f: &str| errs.get(f).map(str::to_string);
    let (serr, werr, derr) = (err("signal_id"), err("weight"), err("details"));
    page(
        cx,
        title,
        html! {
            div.page-header { div { h1.page-title { (title) } p.page-subtitle { "Deal " a href=(it.url()) { (it.title) } } } }
            div.card { div.card-body {
                (ui::form_errors(errs))
                @if signals.is_empty() {
                    p.muted { "The deal's department has no quality signals. An administrator adds them to the department's dictionaries." }
                }
                form.form method="post" action=(action) {
                    (ui::csrf(&cx.viewer.csrf))
                    div.field.has-error[serr.is_some()] {
                        label for="f-signal_id" { "Signal" span.muted { " *" } }
                        select id="f-signal_id" name="signal_id" required data-fill="f-weight"
                            aria-invalid=[serr.as_ref().map(|_| "true")] aria-describedby=[serr.as_ref().map(|_| "f-signal_id-error")] {
                            option value="" { "—" }
                            @for s in signals {
                                option value=(s.id) data-value=(s.weight) selected[raw.get("signal_id") == s.id.to_string()] {
                                    (s.name) " (" (weight(s.weight)) " %)"
                                }
                            }
                        }
                        @if let Some(e) = &serr { p.field-error id="f-signal_id-error" { (e) } }
                    }
                    div.field.has-error[werr.is_some()] {
                        label for="f-weight" { "Weight (%)" }
                        input id="f-weight" name="weight" type="number" min="-100" max="100" step="1" value=(raw.get("weight"))
                            aria-invalid=[werr.as_ref().map(|_| "true")] aria-describedby="f-weight-help";
                        p.help id="f-weight-help" { "Filled in from the signal; change it for this deal if needed. Left empty, the signal's weight is used." }
                        @if let Some(e) = &werr { p.field-error { (e) } }
                    }
                    div.field.has-error[derr.is_some()] {
                        label for="f-details" { "Details" }
                        textarea id="f-details" name="details" rows="4" maxlength="2000" { (raw.get("details")) }
                        @if let Some(e) = &derr { p.field-error { (e) } }
                    }
                    div.form-actions {
                        a.btn.btn-ghost href=(format!("{}#quality", it.url())) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Save" }
                    }
                }
            } }
        },
    )
}
