//! Reminders: the panel on an item page (the viewer's own reminders there, and a form), and
//! "My reminders".

use maud::{Markup, html};

use crate::error::FormErrors;
use crate::items::ItemRef;
use crate::paging::Paged;
use crate::paths::{self, Sub};
use crate::reminders::{Reminder, ReminderForm};
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, Field, datetime, icon};

fn state_badge(r: &Reminder) -> Markup {
    html! {
        @if r.fired_at.is_some() { span.badge.badge-muted { "Sent" } }
        @else if !r.active { span.badge.badge-muted { "Off" } }
        @else { span.badge.badge-info { "Due " (datetime(&r.remind_at)) } }
    }
}

pub fn panel(it: &ItemRef, csrf: &str, mine: &[Reminder], f: &ReminderForm, errs: &FormErrors) -> Markup {
    html! {
        section.card #reminders aria-label="Reminders" {
            div.card-header { h2.card-title { "My reminders" } }
            div.card-body.stack {
                @if !mine.is_empty() {
                    ul.reminders {
                        @for r in mine { li { (state_badge(r)) " " (r.text) } }
                    }
                }
                details open[!errs.is_empty()] {
                    summary.btn.btn-ghost.btn-sm { (icon("bell")) " Remind me" }
                    form.form method="post" action=(paths::sub(it.kind, it.id, Sub::Reminders))
                        hx-post=(paths::sub(it.kind, it.id, Sub::Reminders)) hx-target="#reminders" hx-swap="outerHTML" {
                        (ui::csrf(csrf))
                        (Field::new("remind_at", "When", &f.remind_at, errs).kind("datetime-local").required())
                        (Field::new("text", "About what?", &f.text, errs).required())
                        div.form-actions { button.btn.btn-primary type="submit" { "Set reminder" } }
                    }
                }
            }
        }
    }
}

pub fn index(cx: &PageCx<'_>, list: &Paged<Reminder>, all: bool) -> Markup {
    page(
        cx,
        "My reminders",
        html! {
            div.page-header {
                div { h1.page-title { "My reminders" } p.page-subtitle { "Set them on a memo, task or project; they arrive as a notification and an email." } }
                div.page-actions {
                    @if all { a.btn.btn-ghost href=(paths::REMINDERS) { "Active only" } } @else { a.btn.btn-ghost href=(format!("{}?show=all", paths::REMINDERS)) { "Show all" } }
                }
            }
            @if list.items.is_empty() {
                (ui::empty_state("bell", "No reminders. Open a memo, task or project and choose “Remind me”.", None))
            } @else {
                div.table-wrap { table.table #reminder-list {
                    thead { tr { th { "When" } th { "About" } th { "Status" } th.actions { span.sr-only { "Actions" } } } }
                    tbody { @for r in &list.items {
                        tr id=(format!("reminder-{}", r.id)) {
                            td { (datetime(&r.remind_at)) }
                            td { a href=(r.url()) { (r.text) } }
                            td { (state_badge(r)) }
                            td.actions {
                                @if r.active && r.fired_at.is_none() {
                                    form.inline method="post" action=(paths::reminder_deactivate(r.id)) {
                                        (ui::csrf(&cx.viewer.csrf))
                                        button.btn.btn-ghost.btn-sm type="submit" { "Deactivate" }
                                    }
                                }
                            }
                        }
                    } }
                } }
                (ui::pagination(list, ui::Noun("reminder", "reminders"), |p| format!("{}{}", paths::REMINDERS, paths::query(&[("show", if all { "all".into() } else { String::new() }), ("page", p.to_string())]))))
            }
        },
    )
}
