//! Pieces every memo, task and project page shares: badges, people, dates, files, the live region,
//! the side panels, the delete confirmation, and the task/project form fields.

use std::collections::HashMap;

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::views::live::Live;

use crate::error::FormErrors;
use crate::files::{Attachment, human_size};
use crate::items::remove::Removal;
use crate::items::{ItemRef, Panels};
use crate::paths::{self, Sub};
use crate::tasks::model::{Stage, WorkForm, priority_label};
use crate::views::layout::{PageCx, page};
use crate::views::picker::{Picker, ids};
use crate::views::ui::{self, Field, icon};
use crate::views::{chat, reminders};

/// A task's or project's stage as a coloured badge.
pub fn stage_badge(stage: Stage) -> Markup {
    let class = format!("badge stage stage-{}", stage.slug());
    html! { span class=(class) { (stage.label()) } }
}

/// Low / Middle / High.
pub fn priority(p: i16) -> Markup {
    let class = format!("prio prio-{p}");
    html! { span class=(class) title=(format!("Priority: {}", priority_label(p))) { (priority_label(p)) } }
}

/// A date, flagged when it is overdue.
pub fn date(d: Option<NaiveDate>, overdue: bool) -> Markup {
    html! {
        @match d {
            Some(d) => time.overdue[overdue] datetime=(d.to_string()) data-local="date" title=[overdue.then_some("Overdue")] { (d.format("%Y-%m-%d")) },
            None => span.muted { "—" },
        }
    }
}

/// Names of people (from a preloaded map), comma separated.
pub fn people(ids: &[i64], names: &HashMap<i64, String>) -> Markup {
    html! {
        @if ids.is_empty() { span.muted { "—" } }
        @for (i, id) in ids.iter().enumerate() {
            @if i > 0 { ", " }
            span.person { (names.get(id).map(String::as_str).unwrap_or("(former user)")) }
        }
    }
}

/// Names already looked up (lists), comma separated.
pub fn names(list: &[String]) -> Markup {
    html! {
        @if list.is_empty() { span.muted { "—" } }
        @for (i, n) in list.iter().enumerate() { @if i > 0 { ", " } span.person { (n) } }
    }
}

/// The files of an item, with download links and (for editors) a remove button each.
pub fn attachments(files: &[Attachment], can_remove: bool, csrf: &str) -> Markup {
    html! {
        @if files.is_empty() { p.muted.text-small { "No files." } }
        @else {
            ul.files {
                @for f in files {
                    li.file {
                        a href=(f.url()) download hx-boost="false" { (icon("clipboard")) " " (f.name) }
                        span.muted.text-small { " " (human_size(f.size)) }
                        @if can_remove {
                            form.inline method="post" action=(paths::file_delete(f.id)) data-confirm=(format!("Remove the file {}?", f.name)) {
                                (ui::csrf(csrf))
                                button.btn.btn-ghost.btn-sm.btn-danger type="submit" { (icon("x")) span.sr-only { "Remove " (f.name) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The item's own fields as a live region: `#<kind>-<id>-live` re-fetches the item's page when the
/// item changes and keeps its own part (see `views::live`).
pub fn live_region(it: &ItemRef, body: Markup) -> Markup {
    let id = format!("{}-{}-live", it.kind.slug(), it.id);
    let on = crate::events::names::item_changed(it.kind, it.id);
    Live::new(&id, &it.url(), &on).div("", body)
}

/// Files, reminders and chat: the panels beside every item's own fields.
pub fn side_panels(it: &ItemRef, p: &Panels, csrf: &str) -> Markup {
    // Only the parts the kind has (a payment has no chat).
    let parts = it.kind.info().parts;
    html! {
        // Follows the item: who may remove a file changes with its stage (a considered memo is locked).
        @if parts.files {
            (Live::new("files", &it.url(), &crate::events::names::item_changed(it.kind, it.id)).div("card", html! {
                div.card-header { h2.card-title { "Attachments" } }
                div.card-body { (attachments(&p.files, p.can_edit, csrf)) }
            }))
        }
        @if parts.reminders { (reminders::panel(it, csrf, &p.reminders, &Default::default(), &FormErrors::default())) }
        @if parts.chat { (chat::panel(it, csrf, &p.messages, &p.message_files, p.more_messages, p.can_chat)) }
    }
}

/// Edit, copy, history, delete buttons of an item page.
pub struct Actions {
    pub edit: bool,
    pub delete: bool,
    pub copy: Option<String>,
}

pub fn actions(it: &ItemRef, a: &Actions) -> Markup {
    html! {
        @if a.edit { a.btn.btn-primary href=(paths::sub(it.kind, it.id, Sub::Edit)) { (icon("edit")) " Edit" } }
        @if let Some(href) = &a.copy { a.btn.btn-ghost href=(href) title="Open a new form filled from this one" { (icon("copy")) " Copy" } }
        a.btn.btn-ghost href=(paths::sub(it.kind, it.id, Sub::History)) { (icon("history")) " History" }
        @if a.delete { a.btn.btn-ghost.btn-danger href=(paths::sub(it.kind, it.id, Sub::Delete)) { (icon("trash")) " Delete" } }
    }
}

/// "Delete this task?" with everything that goes with it.
pub fn delete_page(cx: &PageCx<'_>, it: &ItemRef, r: &Removal) -> Markup {
    let what = it.kind.label().to_lowercase();
    page(
        cx,
        &format!("Delete {what}"),
        html! {
            div.page-header { div { h1.page-title { "Delete the " (what) " “" (it.title) "”?" } p.page-subtitle { "This cannot be undone. Its history is kept." } } }
            div.card { div.card-body.stack {
                p { "Deleting it also removes:" }
                ul.removal {
                    @if !r.subtasks.is_empty() {
                        li { strong { (r.subtasks.len()) " subtask" @if r.subtasks.len() != 1 { "s" } } ": "
                            @for (i, (_, name)) in r.subtasks.iter().enumerate() { @if i > 0 { ", " } (name) } }
                    }
                    li { strong { (r.messages) } " chat message" @if r.messages != 1 { "s" } }
                    li { strong { (r.reminders) } " reminder" @if r.reminders != 1 { "s" } }
                    li { strong { (r.files.len()) } " link" @if r.files.len() != 1 { "s" } " to files"
                        @if !r.files.is_empty() { ": " (r.files.join(", ")) }
                        span.muted { " (a file is deleted when nothing links it any more)" } }
                }
                @if r.detached_tasks > 0 { p.muted { "Its " (r.detached_tasks) " task(s) stay, outside any project." } }
                @if r.linked_memos > 0 { p.muted { (r.linked_memos) " memo(s) will no longer link to it." } }
                form method="post" action=(paths::sub(it.kind, it.id, Sub::Delete)) {
                    (ui::csrf(&cx.viewer.csrf))
                    div.form-actions {
                        a.btn.btn-ghost href=(it.url()) { "Cancel" }
                        button.btn.btn-danger type="submit" { (icon("trash")) " Delete the " (what) }
                    }
                }
            } }
        },
    )
}

/// Fields a task and a project form share. `users` are (id, label) of active users (the chosen
/// people's names; the pickers search the rest). A subtask has one responsible, one of its main
/// task's, and gets its main task's owner as co-owner, so `subtask` narrows both.
pub fn work_fields(f: &WorkForm, errs: &FormErrors, users: &[(i64, String)], subtask: bool) -> Markup {
    let co_owner: Vec<i64> = f.co_owner_id.parse::<i64>().ok().into_iter().collect();
    let prio = [("1", "Low"), ("2", "Middle"), ("3", "High")].map(|(v, l)| (v.to_string(), l.to_string()));
    let parent = subtask.then_some(f.parent_id.as_str());
    html! {
        (Field::new("name", "Name", &f.name, errs).required())
        div.field.has-error[errs.get("description").is_some()] {
            label for="f-description" { "Description" }
            textarea #f-description name="description" rows="5" { (f.description) }
            @if let Some(e) = errs.get("description") { p.field-error #f-description-error { (e) } }
        }
        div.field-row {
            (Field::new("next_step", "Next step", &f.next_step, errs))
            (Field::new("next_step_date", "Next step date", &f.next_step_date, errs).kind("date"))
        }
        div.field-row {
            (Field::new("due_date", "Due date", &f.due_date, errs).kind("date"))
            (ui::select("priority", "Priority", if f.priority.is_empty() { "2" } else { &f.priority }, &prio, errs))
        }
        div.field-row {
            (Picker::new("responsible", "Responsible", users, &ids(&f.responsible), !subtask, errs).parent(parent))
            (Picker::new("subscribers", "Subscribers", users, &ids(&f.subscribers), true, errs))
        }
        @if !subtask { (Picker::new("co_owner_id", "Co-owner", users, &co_owner, false, errs)) }
    }
}

/// The "Attachments" inputs of a form: new uploads, and (from a memo) which of its files to link.
pub fn file_inputs(memo_files: &[Attachment], chosen: &[String], held: &[crate::files::Held]) -> Markup {
    html! {
        div.field {
            label for="f-files" { "Attachments" }
            @if !held.is_empty() {
                fieldset.checks.held-files {
                    legend { "Chosen before (kept; untick to leave out)" }
                    @for h in held {
                        label.check {
                            input type="checkbox" name=(crate::files::upload::HELD_FIELD) value=(h.token) checked;
                            " " (h.name) " · " span.muted { (crate::files::human_size(h.size as i64)) }
                        }
                    }
                }
            }
            input #f-files type="file" name="files" multiple;
        }
        @if !memo_files.is_empty() {
            fieldset.checks {
                legend { "Files of the memo (linked, not copied)" }
                @for a in memo_files {
                    label.check {
                        input type="checkbox" name="memo_files" value=(a.id) checked[chosen.contains(&a.id.to_string())];
                        " " (a.name)
                    }
                }
            }
        }
    }
}
