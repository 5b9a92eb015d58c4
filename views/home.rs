//! The home page after login.

use maud::{Markup, html};

use crate::access::{self, Section};
use crate::views::layout::{PageCx, page};
use crate::views::ui::icon;

pub fn index(cx: &PageCx<'_>) -> Markup {
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
                div.card {
                    div.card-header { h2.card-title { (icon("bell")) " Notifications" } }
                    div.card-body {
                        @if cx.unread == 0 { p.muted { "You are all caught up." } }
                        @else { p { "You have " strong { (cx.unread) } " unread notification" @if cx.unread != 1 { "s" } "." } }
                        a.btn.btn-ghost href="/notifications" { "Open notifications" }
                    }
                }
                @for s in access::sections(v) {
                    @match s {
                        Section::Tasks => {},
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
