//! Projects: the list with progress bars, the project page with its tasks, one form.

use std::collections::HashMap;

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::access::{Action, ItemKind};
use crate::error::FormErrors;
use crate::files::Attachment;
use crate::items::{ItemRef, Panels};
use crate::paging::Paged;
use crate::participants::{PRole, Parts};
use crate::paths::{self, Start, Sub};
use crate::projects::repo::{Project, ProjectFilter};
use crate::tasks::model::{Stage, Task, WorkForm};
use crate::tasks::tags::Tag;
use crate::views::items::{self, Actions, date, people, priority, stage_badge};
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, datetime, icon};

pub struct Rows<'a> {
    pub page: &'a Paged<Project>,
    /// (tasks, done tasks) per project.
    pub progress: &'a HashMap<i64, (i64, i64)>,
    pub names: &'a HashMap<i64, String>,
    pub filter: &'a ProjectFilter,
    pub today: NaiveDate,
    /// The tags of each row the viewer may see (one query per page).
    pub tags: &'a HashMap<i64, Vec<Tag>>,
}

/// "3 of 8 tasks done" with a bar.
pub fn progress((all, done): (i64, i64)) -> Markup {
    let pct = if all == 0 { 0 } else { done * 100 / all };
    html! {
        div.progress title=(format!("{done} of {all} tasks done")) {
            progress max="100" value=(pct) { (pct) "%" }
            span.text-small.muted { (done) "/" (all) }
        }
    }
}

pub fn index(cx: &PageCx<'_>, rows: &Rows<'_>, tags: &[Tag]) -> Markup {
    let f = rows.filter;
    page(
        cx,
        "Projects",
        html! {
            div.page-header {
                div { h1.page-title { "Projects" } p.page-subtitle { @if f.show == "all" { "All projects you may see" } @else { "Active projects you may see" } } }
                div.page-actions { a.btn.btn-primary href=(paths::new(ItemKind::Project)) { (icon("plus")) " New project" } }
            }
            form.filters method="get" action=(paths::list(ItemKind::Project)) hx-get=(paths::list(ItemKind::Project)) hx-target="#project-list" hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="input changed delay:300ms from:find input[type=search], change" {
                input type="search" name="q" value=(f.q) placeholder="Search projects" aria-label="Search projects";
                select name="show" aria-label="Active or all" {
                    option value="" selected[f.show.is_empty()] { "Active projects" }
                    option value="all" selected[f.show == "all"] { "All projects" }
                }
                (crate::views::tags::filter(tags, &f.tag))
                button.btn type="submit" { "Filter" }
            }
            (list(rows))
        },
    )
}

pub fn list(r: &Rows<'_>) -> Markup {
    let url = paths::list_query(ItemKind::Project, &r.filter.query(r.page.page));
    Live::new("project-list", &url, &crate::events::names::kind_changed(ItemKind::Project)).delay(LIST_DELAY_MS).div("", html! {
            @if r.page.items.is_empty() {
                (ui::empty_state("briefcase", "No projects yet. A project collects the tasks of one goal.", Some((&paths::new(ItemKind::Project), "New project"))))
            } @else {
                div.table-wrap { table.table.projects {
                    thead { tr { th { "Project" } th { "Owner" } th { "Stage" } th { "Progress" } th { "Next step" } th { "Due" } th.num { "ID" } } }
                    tbody { @for p in &r.page.items {
                        tr id=(format!("project-{}", p.id)) .closed[!p.active] {
                            td.name {
                                a href=(paths::item(ItemKind::Project, p.id)) { (p.name) }
                                (crate::views::tags::chips(ItemKind::Project, r.tags.get(&p.id).map(Vec::as_slice).unwrap_or(&[])))
                            }
                            td { (people(&[p.owner_id], r.names)) }
                            td { (stage_badge(p.stage())) }
                            td { (progress(r.progress.get(&p.id).copied().unwrap_or((0, 0)))) }
                            td { (p.next_step) }
                            td.date { (date(p.due_date, p.overdue(r.today))) }
                            td.num.muted { (p.id) }
                        }
                    } }
                } }
                (ui::pagination(r.page, ui::Noun("project", "projects"), |n| paths::list_query(ItemKind::Project, &r.filter.query(n))))
            }
    })
}

pub struct Page<'a> {
    pub item: &'a ItemRef,
    pub project: &'a Project,
    pub tasks: &'a [Task],
    pub task_parts: &'a HashMap<i64, Parts>,
    pub progress: (i64, i64),
    pub names: &'a HashMap<i64, String>,
    pub today: NaiveDate,
    /// The workflow log, newest line first.
    pub workflow: &'a [String],
    /// Its tags of the viewer's departments.
    pub tags: &'a [Tag],
}

pub fn show(cx: &PageCx<'_>, p: &Page<'_>, panels: &Panels) -> Markup {
    let v = cx.viewer;
    let (it, pr) = (p.item, p.project);
    let acts = Actions { edit: it.can(v, Action::Edit), delete: it.can(v, Action::Delete), copy: None };
    let parts = &it.parts;
    page(
        cx,
        &pr.name,
        html! {
            div.item-layout {
                (items::live_region(it, html! {
                    div.page-header {
                        div { h1.page-title { (pr.name) } p.page-subtitle { "Project · ID " (pr.id) } }
                        div.page-actions { (items::actions(it, &acts)) }
                    }
                    div.stack {
                        div.card { div.card-body.stack {
                            @if it.can(v, Action::ChangeStage) {
                                form.stage-buttons method="post" action=(paths::sub(ItemKind::Project, pr.id, Sub::Stage)) {
                                    (ui::csrf(&v.csrf))
                                    span.muted.text-small { "Set stage:" }
                                    @for s in Stage::ALL.into_iter().filter(|s| *s != pr.stage()) {
                                        button.btn.btn-sm type="submit" name="stage" value=(s.slug()) .btn-primary[s == Stage::Done] { (s.label()) }
                                    }
                                }
                            }
                            @if !pr.description.is_empty() { div.description { (pr.description) } }
                            dl.kv {
                                dt { "Stage" } dd { (stage_badge(pr.stage())) }
                                dt { "Progress" } dd { (progress(p.progress)) }
                                dt { "Priority" } dd { (priority(pr.priority)) }
                                dt { "Next step" } dd { (pr.next_step) " " span.muted { (date(pr.next_step_date, false)) } }
                                dt { "Due date" } dd { (date(pr.due_date, pr.overdue(p.today))) }
                                dt { "Owner" } dd { (people(&parts.users(PRole::Owner), p.names)) }
                                dt { "Co-owner" } dd { (people(&parts.users(PRole::CoOwner), p.names)) }
                                dt { "Responsible" } dd { (people(&parts.users(PRole::Responsible), p.names)) }
                                dt { "Subscribers" } dd { (people(&parts.users(PRole::Subscriber), p.names)) }
                                dt { "Tags" } dd #project-tags { @if p.tags.is_empty() { span.muted { "—" } } (crate::views::tags::chips(ItemKind::Project, p.tags)) }
                                dt { "Created" } dd { (datetime(&pr.created_at)) }
                            }
                        } }
                        (crate::views::tasks::workflow(p.workflow))
                        div.card #project-tasks {
                            div.card-header {
                                h2.card-title { "Tasks" }
                                @if it.can(v, Action::CreateSubtask) {
                                    a.btn.btn-ghost.btn-sm href=(paths::new_from(ItemKind::Task, Start::With(ItemKind::Project, pr.id))) { (icon("plus")) " Task" }
                                }
                            }
                            @if p.tasks.is_empty() {
                                div.card-body { p.muted { "No tasks in this project yet." } }
                            } @else {
                                div.table-wrap { table.table { tbody { @for t in p.tasks {
                                    tr id=(format!("task-{}", t.id)) .team[t.team] .closed[!t.active] {
                                        td { @if t.parent_id.is_some() { span.muted { "↳ " } } a href=(paths::item(ItemKind::Task, t.id)) { (t.name) } }
                                        td { (people(&p.task_parts.get(&t.id).map(|x| x.users(PRole::Responsible)).unwrap_or_default(), p.names)) }
                                        td { (stage_badge(t.stage())) }
                                        td.date { (date(t.due_date, t.overdue(p.today))) }
                                    }
                                } } } }
                            }
                        }
                    }
                }))
                aside.item-side.stack { (items::side_panels(it, panels, &v.csrf)) }
            }
        },
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    New,
    Edit(i64),
}

pub fn form(
    cx: &PageCx<'_>,
    mode: Mode,
    f: &WorkForm,
    errs: &FormErrors,
    users: &[(i64, String)],
    memo_files: &[Attachment],
    tags: (&[Tag], bool),
) -> Markup {
    let list = paths::list(ItemKind::Project).to_string();
    let (title, action, back) = match mode {
        Mode::New if !f.memo_id.is_empty() => {
            ("New project from a memo", list, paths::item_named(ItemKind::Memo, &f.memo_id))
        }
        Mode::New => ("New project", list.clone(), list),
        Mode::Edit(id) => ("Edit project", paths::item(ItemKind::Project, id), paths::item(ItemKind::Project, id)),
    };
    page(
        cx,
        title,
        html! {
            div.page-header { div { h1.page-title { (title) } } }
            div.card { div.card-body {
                (ui::form_errors(errs))
                form.form method="post" action=(action) enctype="multipart/form-data" {
                    (ui::csrf(&cx.viewer.csrf))
                    input type="hidden" name="memo_id" value=(f.memo_id);
                    (items::work_fields(f, errs, users, false))
                    (crate::views::tags::field(tags.0, &f.tags, &f.new_tags, tags.1, errs))
                    (items::file_inputs(memo_files, &f.memo_files, &f.held))
                    div.form-actions {
                        a.btn.btn-ghost href=(back) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Save" }
                    }
                }
            } }
        },
    )
}
