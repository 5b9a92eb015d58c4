//! Memos: the list (with the live "View task" buttons), the memo page, one form for new/copy/edit.

use std::collections::HashMap;

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::access::{Action, ItemKind};
use crate::error::FormErrors;
use crate::files::Attachment;
use crate::items::{ItemRef, Panels};
use crate::memos::model::{Memo, MemoFilter, MemoForm, MemoStage, PURPOSES, purpose_label};
use crate::paging::Paged;
use crate::participants::PRole;
use crate::paths::{self, Start, Sub};
use crate::tasks::model::Task;
use crate::views::items::{self, Actions, people};
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::picker::Picker;
use crate::views::ui::{self, Field, datetime, icon};

pub struct Rows<'a> {
    pub page: &'a Paged<Memo>,
    pub names: &'a HashMap<i64, String>,
    /// Linked tasks the viewer may see.
    pub tasks: &'a HashMap<i64, Task>,
    pub filter: &'a MemoFilter,
    pub today: NaiveDate,
}

/// The memo's status as a badge: Draft, Pending, Postponed, Considered.
pub fn status_badge(m: &Memo) -> Markup {
    let class = if m.draft { "badge memo-draft".to_string() } else { format!("badge memo-{}", m.stage) };
    html! { span class=(class) { (m.status_label()) } }
}

/// "View task": coloured by the linked task's stage (red when overdue), the status in its tooltip.
/// It re-fetches itself when the memo's live event arrives (the task's stage changed).
pub fn task_button(m: &Memo, task: Option<&Task>, today: NaiveDate) -> Markup {
    let id = format!("memo-{}-task", m.id);
    let (url, on) =
        (paths::sub(ItemKind::Memo, m.id, Sub::TaskButton), crate::events::names::item_changed(ItemKind::Memo, m.id));
    Live::new(&id, &url, &on).span("task-slot", html! {
            @if let Some(t) = task {
                @let overdue = t.overdue(today);
                @let status = if overdue { format!("Task status: {}, overdue", t.stage().label()) } else { format!("Task status: {}", t.stage().label()) };
                @let class = if overdue { "btn btn-sm task-btn task-overdue".to_string() } else { format!("btn btn-sm task-btn task-{}", t.stage) };
                a class=(class) href=(paths::item(ItemKind::Task, t.id)) title=(status) aria-label=(format!("View task ({status})")) data-stage=(t.stage) { "View task" }
            }
    })
}

fn opt(v: &str, label: &str, current: &str) -> Markup {
    html! { option value=(v) selected[v == current] { (label) } }
}

pub fn index(cx: &PageCx<'_>, rows: &Rows<'_>) -> Markup {
    let f = rows.filter;
    page(
        cx,
        "Memos",
        html! {
            div.page-header {
                div { h1.page-title { "Memos" } p.page-subtitle { "Memos you wrote, received or follow" } }
                div.page-actions { a.btn.btn-primary href=(paths::new(ItemKind::Memo)) { (icon("plus")) " Add memo" } }
            }
            form.filters method="get" action=(paths::list(ItemKind::Memo)) hx-get=(paths::list(ItemKind::Memo)) hx-target="#memo-list" hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="input changed delay:300ms from:find input[type=search], change" {
                input type="search" name="q" value=(f.q) placeholder="Search title and description" aria-label="Search memos";
                select name="stage" aria-label="Stage" {
                    (opt("", "Any stage", &f.stage)) (opt("draft", "Draft", &f.stage))
                    @for s in MemoStage::ALL { (opt(s.slug(), s.label(), &f.stage)) }
                }
                select name="role" aria-label="My role" {
                    (opt("", "All I may see", &f.role)) (opt("mine", "Written by me", &f.role))
                    (opt("to-me", "Addressed to me", &f.role)) (opt("subscribed", "I subscribed", &f.role))
                }
                button.btn type="submit" { "Filter" }
            }
            (list(rows))
        },
    )
}

pub fn list(r: &Rows<'_>) -> Markup {
    let url = paths::list_query(ItemKind::Memo, &r.filter.query(r.page.page));
    Live::new("memo-list", &url, &crate::events::names::kind_changed(ItemKind::Memo)).delay(LIST_DELAY_MS).div("", html! {
            @if r.page.items.is_empty() {
                (ui::empty_state("mail", "No memos here. Write one to a colleague or to yourself.", Some((&paths::new(ItemKind::Memo), "Add memo"))))
            } @else {
                div.table-wrap { table.table.memos {
                    thead { tr { th { "Memo" } th { "Status" } th { "From" } th { "To" } th { "Purpose" } th { "Created" } th { "Task" } th.actions { span.sr-only { "Copy" } } } }
                    tbody { @for m in &r.page.items { (row(m, r)) } }
                } }
                (ui::pagination(r.page, ui::Noun("memo", "memos"), |p| paths::list_query(ItemKind::Memo, &r.filter.query(p))))
            }
    })
}

fn row(m: &Memo, r: &Rows<'_>) -> Markup {
    html! {
        tr id=(format!("memo-{}", m.id)) .draft[m.draft] {
            td.name { a href=(paths::item(ItemKind::Memo, m.id)) { (m.name) } }
            td { (status_badge(m)) }
            td { (people(&[m.owner_id], r.names)) }
            td { (people(&[m.recipient_id], r.names)) }
            td.muted { (purpose_label(m.purpose.as_deref().unwrap_or(""))) }
            td.date.text-small { (ui::date_of(&m.created_at)) }
            td { (task_button(m, m.task_id.and_then(|t| r.tasks.get(&t)), r.today)) }
            td.actions { a.btn.btn-ghost.btn-sm href=(paths::new_from(ItemKind::Memo, Start::Copy(m.id))) title="Copy into a new memo" { (icon("copy")) span.sr-only { "Copy " (m.name) } } }
        }
    }
}

pub struct Page<'a> {
    pub item: &'a ItemRef,
    pub memo: &'a Memo,
    pub names: &'a HashMap<i64, String>,
    pub task: Option<&'a Task>,
    pub project: Option<(i64, String)>,
    pub today: NaiveDate,
    /// The deal it was made from, if the viewer may view it.
    pub deal: Option<(i64, String)>,
}

fn stage_controls(m: &Memo, csrf: &str) -> Markup {
    html! {
        form.stage-buttons method="post" action=(paths::sub(ItemKind::Memo, m.id, Sub::Stage)) {
            (ui::csrf(csrf))
            span.muted.text-small { "Review:" }
            @if m.stage() != MemoStage::Pending { button.btn.btn-sm type="submit" name="stage" value="pending" { "Back to pending" } }
            @if m.stage() != MemoStage::Postponed { button.btn.btn-sm type="submit" name="stage" value="postponed" { "Postpone" } }
            button.btn.btn-sm.btn-primary type="submit" name="stage" value="considered"
                data-confirm="Mark the memo as considered? Its author can no longer change it." { "Considered" }
        }
    }
}

pub fn show(cx: &PageCx<'_>, p: &Page<'_>, panels: &Panels) -> Markup {
    let v = cx.viewer;
    let (it, m) = (p.item, p.memo);
    let acts = Actions {
        edit: it.can(v, Action::Edit),
        delete: it.can(v, Action::Delete),
        copy: Some(paths::new_from(ItemKind::Memo, Start::Copy(m.id))),
    };
    page(
        cx,
        &m.name,
        html! {
            div.item-layout {
                (items::live_region(it, html! {
                    div.page-header {
                        div {
                            h1.page-title { (m.name) " " (status_badge(m)) }
                            p.page-subtitle { "Memo · ID " (m.id) @if m.locked() { " · " (icon("lock")) " locked after review" } }
                        }
                        div.page-actions {
                            @if let Some((deal, name)) = &p.deal {
                                a.btn.btn-ghost.view-deal href=(paths::item(ItemKind::Deal, *deal)) title=(format!("The deal “{name}”")) { "View deal" }
                            }
                            (items::actions(it, &acts))
                        }
                    }
                    @if m.draft { div.flash.flash-info role="note" { span { "A draft: only you (and administrators) can see it, and nobody has been notified. Edit it and untick Draft to send it." } } }
                    div.stack {
                        div.card { div.card-body.stack {
                            @if it.can(v, Action::ChangeStage) { (stage_controls(m, &v.csrf)) }
                            @if !m.description.is_empty() { div.description { (m.description) } }
                            dl.kv {
                                dt { "From" } dd { (people(&it.parts.users(PRole::Owner), p.names)) }
                                dt { "Recipient" } dd { (people(&it.parts.users(PRole::Recipient), p.names)) }
                                dt { "Purpose" } dd { @match m.purpose.as_deref() { Some(pp) => (purpose_label(pp)), None => span.muted { "—" } } }
                                dt { "Subscribers" } dd { (people(&it.parts.users(PRole::Subscriber), p.names)) }
                                dt { "Created" } dd { (datetime(&m.created_at)) }
                                @if let Some(r) = &m.reviewed_at { dt { "Considered" } dd { (datetime(r)) } }
                            }
                        } }
                        div.row {
                            @if let Some(t) = p.task {
                                (task_button(m, Some(t), p.today))
                            } @else if m.task_id.is_none() && it.can(v, Action::CreateFromMemo) {
                                a.btn.btn-primary href=(paths::new_from(ItemKind::Task, Start::With(ItemKind::Memo, m.id))) { (icon("plus")) " Create task" }
                            }
                            @if let Some((pid, name)) = &p.project {
                                a.btn.btn-ghost href=(paths::item(ItemKind::Project, *pid)) { (icon("briefcase")) " View project “" (name) "”" }
                            } @else if m.project_id.is_none() && it.can(v, Action::CreateFromMemo) {
                                a.btn.btn-ghost href=(paths::new_from(ItemKind::Project, Start::With(ItemKind::Memo, m.id))) { (icon("plus")) " Create project" }
                            }
                        }
                    }
                }))
                aside.item-side.stack { (items::side_panels(it, panels, &v.csrf)) }
            }
        },
    )
}

/// The one memo form. `shared`: the memo was sent already, so it can no longer become a draft.
pub fn form(
    cx: &PageCx<'_>,
    id: Option<i64>,
    f: &MemoForm,
    errs: &FormErrors,
    users: &[(i64, String)],
    files: &[Attachment],
    shared: bool,
) -> Markup {
    let (title, action, back) = match id {
        Some(id) => ("Edit memo", paths::item(ItemKind::Memo, id), paths::item(ItemKind::Memo, id)),
        None => ("New memo", paths::list(ItemKind::Memo).to_string(), paths::list(ItemKind::Memo).to_string()),
    };
    let mut purposes = vec![(String::new(), "— none —".to_string())];
    purposes.extend(PURPOSES.iter().map(|(s, l)| (s.to_string(), l.to_string())));
    let recipient: Vec<i64> = f.recipient_id.parse::<i64>().ok().into_iter().collect();
    let subs: Vec<i64> = f.subscribers.iter().filter_map(|s| s.parse().ok()).collect();
    page(
        cx,
        title,
        html! {
            div.page-header { div { h1.page-title { (title) } p.page-subtitle { "To a manager, a colleague, or yourself: to inform, or to get a decision." } } }
            div.card { div.card-body {
                (ui::form_errors(errs))
                form.form method="post" action=(action) enctype="multipart/form-data" {
                    (ui::csrf(&cx.viewer.csrf))
                    @if !f.deal_id.is_empty() {
                        input type="hidden" name="deal_id" value=(f.deal_id);
                        p.muted { "About the deal " a href=(format!("/deals/{}", f.deal_id)) { "#" (f.deal_id) } ": the memo will show a “View deal” button." }
                        @if let Some(e) = errs.get("deal_id") { p.field-error { (e) } }
                    }
                    (Field::new("name", "Memo title", &f.name, errs).required())
                    @if !shared {
                        label.check { input type="checkbox" name="draft" value="on" checked[f.is_draft()]; " Draft — only you can see it; nobody is notified" }
                    }
                    div.field-row {
                        (Picker::new("recipient_id", "Recipient", users, &recipient, false, errs).required())
                        (ui::select("purpose", "Purpose", &f.purpose, &purposes, errs))
                    }
                    div.field.has-error[errs.get("description").is_some()] {
                        label for="f-description" { "Description" }
                        textarea #f-description name="description" rows="8" { (f.description) }
                        @if let Some(e) = errs.get("description") { p.field-error #f-description-error { (e) } }
                    }
                    (Picker::new("subscribers", "Subscribers", users, &subs, true, errs))
                    @if !files.is_empty() {
                        div.field { span.label { "Attached" } (items::attachments(files, false, &cx.viewer.csrf)) }
                    }
                    (items::file_inputs(&[], &[], &f.held))
                    div.form-actions {
                        a.btn.btn-ghost href=(back) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Save" }
                    }
                }
            } }
        },
    )
}
