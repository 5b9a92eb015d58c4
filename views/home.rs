//! The home page after login.

use maud::{Markup, html};

use chrono::NaiveDate;

use crate::access::{self, ItemKind, Section};
use crate::memos::model::Memo;
use crate::paging::Paged;
use crate::paths;
use crate::tasks::model::Task;
use crate::views::items::{date, stage_badge};
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, icon};

/// What is waiting for the viewer: active tasks they are responsible for, memos addressed to them.
/// `more` of each says whether its list runs past one page; the panels show the first `SHOWN` items.
pub struct Work<'a> {
    pub tasks: &'a Paged<Task>,
    pub memos: &'a Paged<Memo>,
    pub today: NaiveDate,
}

/// Shown per panel; "all" links to the filtered list.
pub const SHOWN: usize = 8;

fn my_work(w: &Work<'_>) -> Markup {
    html! {
        div.card #my-tasks {
            div.card-header {
                h2.card-title { (icon("clipboard")) " My tasks" }
                a.btn.btn-ghost.btn-sm href=(paths::list_with(ItemKind::Task, &[("role", "assigned"), ("sort", "due")])) { "All" @if w.tasks.more { " (50+)" } }
            }
            @if w.tasks.items.is_empty() {
                div.card-body { p.muted { "No active task of yours. " a href=(paths::new(ItemKind::Task)) { "Create one" } } }
            } @else {
                div.table-wrap { table.table { tbody { @for t in w.tasks.items.iter().take(SHOWN) {
                    tr .team[t.team] {
                        td.name { a href=(paths::item(ItemKind::Task, t.id)) { (t.name) } }
                        td { (stage_badge(t.stage())) }
                        td.date { (date(t.due_date, t.overdue(w.today))) }
                    }
                } } } }
            }
        }
        div.card #my-memos {
            div.card-header {
                h2.card-title { (icon("mail")) " Memos for me" }
                a.btn.btn-ghost.btn-sm href=(paths::list_with(ItemKind::Memo, &[("role", "to-me"), ("stage", "pending")])) { "All" @if w.memos.more { " (50+)" } }
            }
            @if w.memos.items.is_empty() {
                div.card-body { p.muted { "No memo waits for your review." } }
            } @else {
                div.table-wrap { table.table { tbody { @for m in w.memos.items.iter().take(SHOWN) {
                    tr { td.name { a href=(paths::item(ItemKind::Memo, m.id)) { (m.name) } } td.date.text-small { (ui::date_of(&m.created_at)) } }
                } } } }
            }
        }
    }
}

pub fn index(cx: &PageCx<'_>, work: &Work<'_>) -> Markup {
    let v = cx.viewer;
    let roles: Vec<&str> = v.roles.iter().map(|r| r.label()).collect();
    page(
        cx,
        "Home",
        html! {
            div.page-header {
                div {
                    h1.page-title { "Welcome, " (v.display_name) }
                    p.page-subtitle {
                        @if roles.is_empty() { "You have no role yet: ask an administrator to give you one." }
                        @else { "Signed in as " (v.username) " · " (roles.join(", ")) }
                    }
                }
            }
            div.grid-2 {
                (Live::new("my-work", "/", "task-changed memo-changed").delay(LIST_DELAY_MS).div("contents", my_work(work)))
                (Live::new("home-notices", "/", "notice").div("card", html! {
                    div.card-header { h2.card-title { (icon("bell")) " Notifications" } }
                    div.card-body {
                        @if cx.unread == 0 { p.muted { "You are all caught up." } }
                        @else { p { "You have " strong { (cx.unread) } " unread notification" @if cx.unread != 1 { "s" } "." } }
                        a.btn.btn-ghost href="/notifications" { "Open notifications" }
                    }
                }))
                @for s in access::sections(v) {
                    @match s {
                        // The CRM's home card (counters of §3.4) comes with its menu counters.
                        Section::Tasks | Section::Crm => {},
                        Section::Admin => div.card {
                            div.card-header { h2.card-title { (icon("shield")) " Administration" } }
                            div.card-body.stack {
                                p.muted { "Manage user accounts, roles and departments." }
                                div.row {
                                    a.btn.btn-primary href="/admin/users" { (icon("users")) " Users" }
                                    a.btn.btn-ghost href="/admin/departments" { (icon("building")) " Departments" }
                                }
                            }
                        },
                    }
                }
            }
        },
    )
}
