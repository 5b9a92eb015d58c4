//! Error pages.

use maud::{Markup, html};

use crate::views::layout::error_shell;

pub fn page(status: u16, title: &str, message: &str, request_id: Option<&str>) -> Markup {
    error_shell(
        title,
        html! {
            div.error-page {
                p.error-code { (status) }
                h1 { (title) }
                p { (message) }
                @if let Some(id) = request_id { p.muted.text-small { "Reference: " code { (id) } } }
                div.error-actions {
                    a.btn.btn-primary href="/" { "Go to the home page" }
                }
            }
        },
    )
}
