//! The notification centre.

use maud::{Markup, html};

use crate::notifications::Notification;
use crate::paging::Paged;
use crate::views::layout::{PageCx, page};
use crate::views::live::Live;
use crate::views::ui::{self, datetime};

pub fn index(cx: &PageCx<'_>, list: &Paged<Notification>, unread_only: bool) -> Markup {
    let csrf = &cx.viewer.csrf;
    let unread_q = if unread_only { "1".to_string() } else { String::new() };
    let list_url = format!("/notifications{}", ui::query(&[("unread", unread_q), ("page", list.page.to_string())]));
    page(
        cx,
        "Notifications",
        html! {
            div.page-header {
                div { h1.page-title { "Notifications" } p.page-subtitle { (cx.unread) " unread" } }
                div.page-actions {
                    @if unread_only { a.btn.btn-ghost href="/notifications" { "Show all" } }
                    @else { a.btn.btn-ghost href="/notifications?unread=1" { "Unread only" } }
                    @if cx.unread > 0 {
                        form method="post" action="/notifications/read-all" {
                            (ui::csrf(csrf))
                            button.btn.btn-primary type="submit" { (ui::icon("check")) " Mark all as read" }
                        }
                    }
                }
            }
            (Live::new("notification-list", &list_url, crate::events::names::NOTICE).div("", html! {
                @if list.items.is_empty() {
                    (ui::empty_state("bell", if unread_only { "No unread notifications." } else { "No notifications yet." }, None))
                } @else {
                    ul.notifications { @for n in &list.items { (item(n, csrf)) } }
                    (ui::pagination(list, ui::Noun("notification", "notifications"), |p| format!("/notifications{}", ui::query(&[("unread", if unread_only { "1".into() } else { String::new() }), ("page", p.to_string())]))))
                }
            }))
        },
    )
}

pub fn item(n: &Notification, csrf: &str) -> Markup {
    let unread = n.read_at.is_none();
    let href = format!("/notifications/{}/open", n.id);
    html! {
        li.notification.unread[unread] id=(format!("notification-{}", n.id)) {
            div.stack {
                a.notification-title href=(href) { (n.title) }
                @if !n.body.is_empty() { p.notification-body { (n.body) } }
                span.notification-time.muted { (datetime(&n.created_at)) }
            }
            @if unread {
                form method="post" action=(format!("/notifications/{}/read", n.id)) {
                    (ui::csrf(csrf))
                    button.btn.btn-ghost.btn-sm type="submit" { "Mark read" }
                }
            }
        }
    }
}
