//! Tasks: the list with its filters, the task page (subtasks, team notice, stage buttons), one form.

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
use crate::tasks::model::{Stage, Task, TaskFilter, WorkForm};
use crate::tasks::tags::Tag;
use crate::views::items::{self, Actions, date, names, people, priority, stage_badge};
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::picker::{Picker, ids};
use crate::views::ui::{self, datetime, icon};

/// What the list needs: the page, participants and names of its rows, and the filter it shows.
pub struct Rows<'a> {
    pub page: &'a Paged<Task>,
    /// Names of each row's responsible users.
    pub responsible: &'a HashMap<i64, Vec<String>>,
    pub filter: &'a TaskFilter,
    pub today: NaiveDate,
    /// The tags of each row the viewer may see (one query per page: `tasks::tags::of_many`).
    pub tags: &'a HashMap<i64, Vec<Tag>>,
    /// The viewer (the "Responsible: me" chip).
    pub me: Option<i64>,
}

fn opt(v: &str, label: &str, current: &str) -> Markup {
    html! { option value=(v) selected[v == current] { (label) } }
}

/// The filter bar. `users` names the owner and responsible of the filter (the pickers search the rest);
/// `tags`: the viewer's departments' tags.
fn filters(f: &TaskFilter, users: &[(i64, String)], tags: &[Tag]) -> Markup {
    let no_errs = FormErrors::default();
    html! {
        form.filters #task-filters method="get" action=(paths::list(ItemKind::Task)) hx-get=(paths::list(ItemKind::Task)) hx-target="#task-list" hx-swap="outerHTML"
            hx-push-url="true" hx-trigger="input changed delay:300ms from:find input[type=search], change" {
            // Sent with every filtering: a Responsible left empty then means "any" (`TaskFilter::resolve`).
            input type="hidden" name="filtered" value="1";
            input type="search" name="q" value=(f.q) placeholder="Search tasks" aria-label="Search tasks";
            select name="show" aria-label="Active or all" { (opt("", "Active tasks", &f.show)) (opt("all", "All tasks", &f.show)) }
            select name="stage" aria-label="Stage" {
                (opt("", "Any stage", &f.stage))
                @for s in Stage::ALL { (opt(s.slug(), s.label(), &f.stage)) }
            }
            select name="role" aria-label="My role" {
                (opt("", "Any role of mine", &f.role)) (opt("mine", "I own", &f.role))
                (opt("assigned", "I am responsible", &f.role)) (opt("subscribed", "I subscribed", &f.role))
            }
            (Picker::new("owner", "Owner", users, &ids(std::slice::from_ref(&f.owner)), false, &no_errs).compact("Any owner"))
            (Picker::new("responsible", "Responsible", users, &ids(std::slice::from_ref(&f.responsible)), false, &no_errs)
                .compact("Any responsible"))
            (crate::views::tags::filter(tags, &f.tag))
            select name="sort" aria-label="Sort" {
                (opt("", "By main task", &f.sort)) (opt("id", "Newest first", &f.sort))
                (opt("due", "Due date", &f.sort)) (opt("step", "Next step date", &f.sort))
            }
            button.btn type="submit" { "Filter" }
        }
    }
}

pub fn index(cx: &PageCx<'_>, rows: &Rows<'_>, users: &[(i64, String)], tags: &[Tag]) -> Markup {
    page(
        cx,
        "Tasks",
        html! {
            div.page-header {
                div { h1.page-title { "Tasks" } p.page-subtitle { "Tasks you may see" } }
                div.page-actions {
                    @if !crate::access::task_tag_departments(cx.viewer).is_empty() {
                        a.btn.btn-ghost #task-tags-link href=(crate::tasks::tags_admin::PATH) { "Tags" }
                    }
                    a.btn.btn-primary href=(paths::new(ItemKind::Task)) { (icon("plus")) " New task" }
                }
            }
            (filters(rows.filter, users, tags))
            (list(rows))
        },
    )
}

/// The list (also the fragment the filters and live updates fetch). It refreshes itself, with the
/// same filters, whenever a task the viewer may see changes.
pub fn list(r: &Rows<'_>) -> Markup {
    let url = paths::list_query(ItemKind::Task, &r.filter.query(r.page.page));
    Live::new("task-list", &url, &crate::events::names::kind_changed(ItemKind::Task)).delay(LIST_DELAY_MS).div("", html! {
            // Inside the list, so it follows the filters (the page header does not).
            (summary(r))
            @if r.page.items.is_empty() {
                (ui::empty_state("clipboard", "No tasks match. Change the filters, or create one.", Some((&paths::new(ItemKind::Task), "New task"))))
            } @else {
                div.table-wrap { table.table.tasks {
                    thead { tr {
                        th { "Task" } th { "Responsible" } th { "Stage" } th { "Priority" }
                        (sort_header(r.filter, "step", "Next step", false)) (sort_header(r.filter, "due", "Due", false))
                        (sort_header(r.filter, "id", "ID", true))
                    } }
                    tbody { @for t in &r.page.items { (row(t, r)) } }
                } }
                (ui::pagination(r.page, ui::Noun("task", "tasks"), |p| paths::list_query(ItemKind::Task, &r.filter.query(p))))
            }
    })
}

/// Above the rows: what the list shows, the Responsible default with a way out of it (§14.1), and
/// the toggle between the grouped order and the next-step-date order.
fn summary(r: &Rows<'_>) -> Markup {
    let f = r.filter;
    let mut any = f.clone();
    any.responsible = crate::tasks::model::ANY.to_string();
    let mut toggled = f.clone();
    toggled.sort = if f.sort == "step" { String::new() } else { "step".to_string() };
    let me = r.me.is_some_and(|me| f.responsible == me.to_string());
    html! {
        div.list-summary.row.text-small {
            span.muted { @if f.all() { "All tasks" } @else { "Active tasks" } }
            @if me {
                span.pill.filter-chip #responsible-me-chip { "Responsible: me"
                    a.chip-clear #responsible-clear href=(paths::list_query(ItemKind::Task, &any.query(1))) title="Show every task you may see, whoever is responsible" aria-label="Clear: show every responsible's tasks" { "×" }
                }
            }
            a.btn.btn-sm.btn-ghost #step-order-toggle href=(paths::list_query(ItemKind::Task, &toggled.query(1))) data-order=(if f.sort == "step" { "step" } else { "grouped" }) {
                @if f.sort == "step" { "Group subtasks under main tasks" } @else { "Order by next step date" }
            }
        }
    }
}

/// A column header that sorts the list by that column (keeping the other filters); the current
/// order is marked for screen readers (`aria-sort`) and by an arrow.
fn sort_header(f: &TaskFilter, sort: &str, label: &str, num: bool) -> Markup {
    let current = f.sort == sort;
    let mut to = f.clone();
    to.sort = sort.to_string();
    // Newest first is descending; due and next step dates ascending (soonest first).
    let order = match (current, sort == "id") {
        (false, _) => None,
        (true, true) => Some("descending"),
        (true, false) => Some("ascending"),
    };
    html! {
        th.num[num] aria-sort=[order] {
            a.sort-link.current[current] href=(paths::list_query(ItemKind::Task, &to.query(1))) title=(format!("Sort by {}", label.to_lowercase())) {
                (label) @if current { span aria-hidden="true" { @if sort == "id" { " ↓" } @else { " ↑" } } }
            }
        }
    }
}

fn row(t: &Task, r: &Rows<'_>) -> Markup {
    let overdue = t.overdue(r.today);
    html! {
        tr id=(format!("task-{}", t.id)) .team[t.team] .subtask[t.is_subtask()] .closed[!t.active] {
            td.name {
                @if t.is_subtask() { span.muted title="Subtask" { "↳ " } }
                a href=(paths::item(ItemKind::Task, t.id)) { (t.name) }
                @if t.team { " " span.pill.pill-team title="Several responsible: a team task" { "Team" } }
                (crate::views::tags::chips(ItemKind::Task, r.tags.get(&t.id).map(Vec::as_slice).unwrap_or(&[])))
            }
            td { (names(r.responsible.get(&t.id).map(Vec::as_slice).unwrap_or(&[]))) }
            td { (stage_badge(t.stage())) }
            td { (priority(t.priority)) }
            td { (t.next_step) br; span.text-small { (date(t.next_step_date, false)) } }
            td.date { (date(t.due_date, overdue)) }
            td.num.muted { (t.id) }
        }
    }
}

/// What the task page shows.
pub struct Page<'a> {
    pub item: &'a ItemRef,
    pub task: &'a Task,
    pub subtasks: &'a [Task],
    pub sub_parts: &'a HashMap<i64, Parts>,
    pub names: &'a HashMap<i64, String>,
    pub parent: Option<(i64, String)>,
    pub project: Option<(i64, String)>,
    pub memo: Option<(i64, String)>,
    pub today: NaiveDate,
    /// The deal it was made from, if the viewer may view it.
    pub deal: Option<(i64, String)>,
    /// "Completed" was refused: the viewer was sent here, to their active subtask.
    pub refused: bool,
    /// A subtask of a team task, for its responsible: whether it hides the main task (§14.1).
    pub hide_main: Option<bool>,
    /// The workflow log, newest line first.
    pub workflow: &'a [String],
    /// Its tags of the viewer's departments.
    pub tags: &'a [Tag],
}

/// The workflow log of a task or project (`tasks::workflow`): dated lines, newest first.
pub fn workflow(lines: &[String]) -> Markup {
    html! {
        @if !lines.is_empty() {
            div.card #workflow {
                div.card-header { h2.card-title { "Workflow" } }
                div.card-body { ul.workflow.text-small { @for l in lines { li { (l) } } } }
            }
        }
    }
}

/// The "Hide main task" switch of a team task's subtask, for its responsible.
fn hide_main_form(p: &Page<'_>, hidden: bool, csrf: &str) -> Markup {
    html! {
        form.inline #hide-main-form method="post" action=(format!("/tasks/{}/hide-main", p.task.id)) {
            (ui::csrf(csrf))
            @if hidden {
                input type="hidden" name="hide" value="0";
                span.muted.text-small { "The main task is hidden from your active tasks while this subtask is closed. " }
                button.btn.btn-sm.btn-ghost type="submit" { "Show the main task" }
            } @else {
                input type="hidden" name="hide" value="1";
                button.btn.btn-sm.btn-ghost type="submit"
                    title="Hide the main task when this subtask is closed. You will also not receive notifications about other executors' subtasks." {
                    "Hide main task"
                }
            }
        }
    }
}

impl Page<'_> {
    /// "Completed" for the viewer: a responsible, the task offers it, and their part is not done
    /// yet (a team task: no done subtask of theirs).
    fn completes(&self, v: &crate::access::Viewer) -> bool {
        let mine_done = self.subtasks.iter().any(|s| {
            s.stage() == Stage::Done
                && self.sub_parts.get(&s.id).is_some_and(|p| p.users(PRole::Responsible).contains(&v.id))
        });
        self.item.can(v, Action::Complete)
            && crate::tasks::complete::offers(self.task, !self.subtasks.is_empty())
            && !(self.task.team && mine_done)
    }
}

/// The "Completed" button (§14.1): the task done, or a team member's part done.
fn completed_button(p: &Page<'_>, csrf: &str) -> Markup {
    let title = if p.task.team {
        "Mark your part as done: a done subtask of yours is created."
    } else {
        "Mark the task as completed and save."
    };
    html! {
        form.inline #completed-form method="post" action=(format!("/tasks/{}/completed", p.task.id)) {
            (ui::csrf(csrf))
            button.btn.btn-sm.btn-primary type="submit" title=(title) { (icon("check")) " Completed" }
        }
    }
}

fn stage_buttons(p: &Page<'_>, csrf: &str) -> Markup {
    let current = p.task.stage();
    html! {
        form.stage-buttons method="post" action=(paths::sub(ItemKind::Task, p.task.id, Sub::Stage)) {
            (ui::csrf(csrf))
            span.muted.text-small { "Set stage:" }
            @for s in Stage::ALL.into_iter().filter(|s| *s != current) {
                button.btn.btn-sm type="submit" name="stage" value=(s.slug()) .btn-primary[s == Stage::Done] { (s.label()) }
            }
        }
    }
}

fn details(p: &Page<'_>) -> Markup {
    let t = p.task;
    let parts = &p.item.parts;
    html! {
        dl.kv {
            dt { "Stage" } dd { (stage_badge(t.stage())) @if let Some(c) = t.closing_date { span.muted.text-small { " closed " (c) } } }
            dt { "Priority" } dd { (priority(t.priority)) }
            dt { "Next step" } dd { (t.next_step) " " span.muted { (date(t.next_step_date, false)) } }
            dt { "Due date" } dd { (date(t.due_date, t.overdue(p.today))) }
            dt { "Owner" } dd { (people(&parts.users(PRole::Owner), p.names)) }
            dt { "Co-owner" } dd { (people(&parts.users(PRole::CoOwner), p.names)) }
            dt { "Responsible" } dd { (people(&parts.users(PRole::Responsible), p.names)) }
            dt { "Subscribers" } dd { (people(&parts.users(PRole::Subscriber), p.names)) }
            @if let Some((id, name)) = &p.parent { dt { "Main task" } dd { a href=(paths::item(ItemKind::Task, *id)) { (name) } } }
            @if let Some((id, name)) = &p.project { dt { "Project" } dd { a href=(paths::item(ItemKind::Project, *id)) { (name) } } }
            @if let Some((id, name)) = &p.memo { dt { "From the memo" } dd { a href=(paths::item(ItemKind::Memo, *id)) { (name) } } }
            dt { "Tags" } dd #task-tags { @if p.tags.is_empty() { span.muted { "—" } } (crate::views::tags::chips(ItemKind::Task, p.tags)) }
            dt { "Created" } dd { (datetime(&t.created_at)) }
        }
    }
}

fn subtasks(p: &Page<'_>) -> Markup {
    let done = p.subtasks.iter().filter(|s| s.stage() == Stage::Done).count();
    html! {
        @if !p.subtasks.is_empty() {
            div.card #subtasks {
                div.card-header { h2.card-title { "Subtasks" } span.muted.text-small { (done) " of " (p.subtasks.len()) " done" } }
                div.table-wrap { table.table {
                    tbody { @for s in p.subtasks {
                        tr id=(format!("task-{}", s.id)) .closed[!s.active] {
                            td { a href=(paths::item(ItemKind::Task, s.id)) { (s.name) } }
                            td { (people(&p.sub_parts.get(&s.id).map(|x| x.users(PRole::Responsible)).unwrap_or_default(), p.names)) }
                            td { (stage_badge(s.stage())) }
                            td.date { (date(s.due_date, s.overdue(p.today))) }
                        }
                    } }
                } }
            }
        }
    }
}

pub fn show(cx: &PageCx<'_>, p: &Page<'_>, panels: &Panels) -> Markup {
    let v = cx.viewer;
    let it = p.item;
    let t = p.task;
    let responsible_here = it.parts.users(PRole::Responsible).contains(&v.id);
    let acts = Actions {
        edit: it.can(v, Action::Edit),
        delete: it.can(v, Action::Delete),
        copy: (!t.is_subtask()).then(|| paths::new_from(ItemKind::Task, Start::Copy(t.id))),
    };
    page(
        cx,
        &t.name,
        html! {
            div.item-layout {
                (items::live_region(it, html! {
                    div.page-header {
                        div {
                            h1.page-title { (t.name) @if t.team { " " span.pill.pill-team { "Team task" } } }
                            p.page-subtitle { @if t.is_subtask() { "Subtask" } @else { "Task" } " · ID " (t.id) }
                        }
                        div.page-actions {
                            @if let Some((deal, name)) = &p.deal {
                                a.btn.btn-ghost.view-deal href=(paths::item(ItemKind::Deal, *deal)) title=(format!("The deal “{name}”")) { "View deal" }
                            }
                            (items::actions(it, &acts))
                        }
                    }
                    @if p.refused {
                        div.flash.flash-error #completed-refused role="alert" {
                            span { "The task cannot be marked as completed because you have an active subtask." }
                        }
                    }
                    @if t.team && responsible_here && t.active {
                        div.flash.flash-info.team-notice role="note" {
                            span { "This is a team task. Please create a subtask for yourself for work. "
                                "Or press the button when you have done your job; "
                                "the task is done by itself when every responsible's part is done." }
                            @if p.completes(v) { (completed_button(p, &v.csrf)) }
                        }
                    }
                    div.stack {
                        div.card {
                            div.card-body.stack {
                                @if !t.team && p.completes(v) { (completed_button(p, &v.csrf)) }
                                @if let Some(h) = p.hide_main { (hide_main_form(p, h, &v.csrf)) }
                                @if it.can(v, Action::ChangeStage) { (stage_buttons(p, &v.csrf)) }
                                @if !t.description.is_empty() { div.description { (t.description) } }
                                (details(p))
                            }
                        }
                        (subtasks(p))
                        (workflow(p.workflow))
                        @if it.can(v, Action::CreateSubtask) {
                            div.row { a.btn.btn-ghost href=(paths::new_from(ItemKind::Task, Start::Parent(t.id))) { (icon("plus")) " Subtask" } }
                        }
                    }
                }))
                aside.item-side.stack { (items::side_panels(it, panels, &v.csrf)) }
            }
        },
    )
}

/// New or edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    New,
    Edit(i64),
}

/// Choices the form offers.
pub struct FormCx<'a> {
    pub mode: Mode,
    pub users: &'a [(i64, String)],
    pub projects: &'a [(i64, String)],
    pub memo_files: &'a [Attachment],
    pub parent_name: Option<&'a str>,
    /// The viewer's departments' tags, and whether they may add new ones.
    pub tags: &'a [Tag],
    pub can_tag: bool,
}

/// The one task form, for new tasks, subtasks, tasks from a memo, copies and edits.
pub fn form(cx: &PageCx<'_>, fc: &FormCx<'_>, f: &WorkForm, errs: &FormErrors) -> Markup {
    let list = paths::list(ItemKind::Task).to_string();
    let (title, action, back) = match fc.mode {
        Mode::New if fc.parent_name.is_some() => ("New subtask", list, paths::item_named(ItemKind::Task, &f.parent_id)),
        Mode::New if !f.memo_id.is_empty() => {
            ("New task from a memo", list, paths::item_named(ItemKind::Memo, &f.memo_id))
        }
        Mode::New => ("New task", list.clone(), list),
        Mode::Edit(id) => ("Edit task", paths::item(ItemKind::Task, id), paths::item(ItemKind::Task, id)),
    };
    let mut projects = vec![(String::new(), "— No project —".to_string())];
    projects.extend(fc.projects.iter().map(|(id, n)| (id.to_string(), n.clone())));
    if !f.project_id.is_empty() && !projects.iter().any(|(id, _)| *id == f.project_id) {
        projects.push((f.project_id.clone(), format!("Project #{}", f.project_id)));
    }
    page(
        cx,
        title,
        html! {
            div.page-header { div {
                h1.page-title { (title) }
                @if let Some(p) = fc.parent_name { p.page-subtitle { "Part of the task “" (p) "”" } }
            } }
            div.card { div.card-body {
                (ui::form_errors(errs))
                form.form method="post" action=(action) enctype="multipart/form-data" {
                    (ui::csrf(&cx.viewer.csrf))
                    input type="hidden" name="parent_id" value=(f.parent_id);
                    input type="hidden" name="memo_id" value=(f.memo_id);
                    @if !f.deal_id.is_empty() {
                        input type="hidden" name="deal_id" value=(f.deal_id);
                        p.muted { "For the deal " a href=(format!("/deals/{}", f.deal_id)) { "#" (f.deal_id) } ": the task will show a “View deal” button." }
                        @if let Some(e) = errs.get("deal_id") { p.field-error { (e) } }
                    }
                    (items::work_fields(f, errs, fc.users, fc.parent_name.is_some() || (matches!(fc.mode, Mode::Edit(_)) && !f.parent_id.is_empty())))
                    @if fc.parent_name.is_none() {
                        (ui::select("project_id", "Project", &f.project_id, &projects, errs))
                    } @else {
                        input type="hidden" name="project_id" value=(f.project_id);
                    }
                    (crate::views::tags::field(fc.tags, &f.tags, &f.new_tags, fc.can_tag, errs))
                    @if let Mode::Edit(_) = fc.mode { input type="hidden" name="stage" value=(f.stage); }
                    (items::file_inputs(fc.memo_files, &f.memo_files, &f.held))
                    div.form-actions {
                        a.btn.btn-ghost href=(back) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Save" }
                    }
                }
            } }
        },
    )
}
