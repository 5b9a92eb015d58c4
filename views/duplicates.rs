//! "Correctly delete duplicate" (§11.1): choosing the original, then what will move.

use maud::{Markup, html};

use crate::crm::duplicates::Plan;
use crate::error::FormErrors;
use crate::items::ItemRef;
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, icon};

fn heading(dup: &ItemRef, sub: &str) -> Markup {
    let what = dup.kind.label().to_lowercase();
    html! {
        div.page-header { div {
            h1.page-title { "Correctly delete the duplicate " (what) " “" (dup.title) "”" }
            p.page-subtitle { (sub) }
        } }
    }
}

/// Step one: the original, found by name or ID (the picker), or typed as an ID.
pub fn choose(cx: &PageCx<'_>, dup: &ItemRef, typed: &str, errs: &FormErrors) -> Markup {
    let info = dup.kind.info();
    let noun = dup.kind.label().to_lowercase();
    let url = format!("{}/duplicate", dup.url());
    page(
        cx,
        "Correctly delete duplicate",
        html! {
            (heading(dup, "Select the original to which the linked objects will be reconnected."))
            div.card { div.card-body.stack {
                (ui::form_errors(errs))
                p.muted { "The duplicate’s deals, requests, files, chat, reminders, tags and industries move to the original, the original’s empty fields are filled from the duplicate, and then the duplicate is deleted. You will see what moves before anything is changed." }
                form.form method="get" action=(url) {
                    (crate::views::picker::Picker::objects("original", "Original", None, format!("{}/pick?field=original", info.path), &noun, errs))
                    (ui::Field::new("original_id", "…or the original’s ID", typed, errs).kind("text").autocomplete("off"))
                    div.form-actions {
                        a.btn.btn-ghost href=(dup.url()) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Next" }
                    }
                }
            } }
        },
    )
}

/// Step two: what will move, what will be filled, and the button.
pub fn confirm(cx: &PageCx<'_>, dup: &ItemRef, orig: &ItemRef, plan: &Plan) -> Markup {
    let what = dup.kind.label().to_lowercase();
    page(
        cx,
        "Correctly delete duplicate",
        html! {
            (heading(dup, "Check what moves to the original, then confirm."))
            div.card { div.card-body.stack {
                p { "The duplicate " a href=(dup.url()) { (dup.title) " (ID" (dup.id) ")" }
                    " will be merged into the original " a href=(orig.url()) { (orig.title) " (ID" (orig.id) ")" } "." }
                h2.card-title { "Moves to the original" }
                @if plan.moves.is_empty() && plan.united.is_empty() {
                    p.muted { "Nothing is linked to the duplicate." }
                } @else {
                    ul.removal.merge-moves {
                        @for (label, n) in &plan.moves { li { strong { (n) } " " (label.to_lowercase()) } }
                        @for (label, n) in &plan.united { li { strong { (n) } " " (label.to_lowercase()) " added" } }
                    }
                }
                h2.card-title { "Empty fields of the original filled from the duplicate" }
                @if plan.fills.is_empty() {
                    p.muted { "None: the original keeps all its values." }
                } @else {
                    dl.kv.merge-fills { @for (label, value) in &plan.fills { dt { (label) } dd { (value) } } }
                }
                p.muted { "Then the duplicate is deleted. Both objects’ history records the merge; the duplicate’s history is kept." }
                form method="post" action=(format!("{}/duplicate", dup.url())) {
                    (ui::csrf(&cx.viewer.csrf))
                    input type="hidden" name="original" value=(orig.id);
                    div.form-actions {
                        a.btn.btn-ghost href=(format!("{}/duplicate", dup.url())) { "Back" }
                        button.btn.btn-danger type="submit" { (icon("trash")) " Move everything and delete the duplicate " (what) }
                    }
                }
            } }
        },
    )
}
