//! The pages of the one-click completion link of a task's email (`tasks::links`): the confirmation
//! with its one button, the result, and each refusal. Shown without login, so they name only the
//! task and the user the link was sent to.

use maud::{Markup, html};

use crate::views::layout::public_page;
use crate::views::ui::{self, icon};

/// What the confirmation page shows.
pub struct Confirm<'a> {
    pub token: &'a str,
    pub csrf: &'a str,
    pub task: &'a str,
    pub team: bool,
    /// The name of the user the link was sent to.
    pub user: &'a str,
}

fn brand() -> Markup {
    html! { div.auth-brand { (icon("briefcase")) span { "FerroCRM" } } }
}

/// `GET /task-done/:token`: one button; nothing changes until it is pressed.
pub fn confirm(c: &Confirm<'_>) -> Markup {
    let (title, button) = if c.team {
        ("Your part of the team task is done?", "Completed")
    } else {
        ("Mark the task as completed?", "Task completed")
    };
    public_page(
        title,
        html! {
            (brand())
            h1 { (title) }
            p.task-link-task { strong { (c.task) } }
            p.muted {
                @if c.team {
                    "A done subtask for " (c.user) " will record your part; the team task is done when every responsible's part is."
                } @else {
                    "The task will be marked as done by " (c.user) "."
                }
            }
            form.form #task-done-form method="post" action=(format!("/task-done/{}", c.token)) {
                (ui::csrf(c.csrf))
                div.form-actions { button.btn.btn-primary.btn-block type="submit" { (button) } }
            }
        },
    )
}

/// After the button: "CRM: The task is closed" (the original's words).
pub fn done(task: &str, team: bool) -> Markup {
    public_page(
        "The task is closed",
        html! {
            (brand())
            h1 #task-done-result { @if team { "Your part is done" } @else { "The task is closed" } }
            p.task-link-task { strong { (task) } }
            p.muted { "Thank you. You can close this page." }
        },
    )
}

/// A refused link (`slug` names the reason for tests and styles).
pub fn refused(slug: &str, message: &str) -> Markup {
    public_page(
        "The link does not work",
        html! {
            (brand())
            h1 { "The link does not work" }
            div.flash.flash-error #task-link-refused role="alert" data-reason=(slug) { span { (message) } }
            p { a href="/tasks" { "Open your tasks" } }
        },
    )
}

/// The member of a team task still has an active subtask of their own.
pub fn active_subtask(url: &str) -> Markup {
    public_page(
        "The task cannot be marked as completed",
        html! {
            (brand())
            h1 { "Not yet" }
            div.flash.flash-error #task-link-refused role="alert" data-reason="active-subtask" {
                span { "The task cannot be marked as completed because you have an active subtask." }
            }
            p { a #active-subtask href=(url) { "Open your subtask" } }
        },
    )
}
