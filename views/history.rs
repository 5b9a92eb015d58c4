//! The History view of an object: who changed which field, from what, to what, when.

use maud::{Markup, html};

use crate::history::Entry;
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, datetime};

pub fn index(cx: &PageCx<'_>, title: &str, back: &str, entries: &[Entry], more: Option<String>) -> Markup {
    page(
        cx,
        &format!("History of {title}"),
        html! {
            div.page-header {
                div { h1.page-title { "History" } p.page-subtitle { (title) } }
                div.page-actions { a.btn.btn-ghost href=(back) { "Back" } }
            }
            @if entries.is_empty() {
                (ui::empty_state("history", "No changes recorded yet.", None))
            } @else {
                ol.history { @for e in entries { (entry(e)) } }
                @if let Some(href) = more { nav.pagination { a.page href=(href) { "Older changes" } } }
            }
        },
    )
}

fn badge_class(action: &str) -> &'static str {
    match action {
        "create" => "badge badge-success",
        "delete" => "badge badge-danger",
        _ => "badge badge-info",
    }
}

pub fn entry(e: &Entry) -> Markup {
    let fields = e.fields();
    html! {
        li.history-item {
            div.history-meta {
                span class=(badge_class(&e.action)) { (e.action) }
                strong { (e.actor_name) }
                span.muted { (e.summary) }
                span.muted.text-small { (datetime(&e.at)) }
            }
            @if !fields.is_empty() {
                div.table-wrap { table.diff {
                    thead { tr { th { "Field" } th { "Before" } th { "After" } } }
                    tbody { @for f in &fields {
                        tr { td.field { (f.field) } td.old { @if !f.old.is_empty() { del { (value(&f.old)) } } } td.new { @if !f.new.is_empty() { ins { (value(&f.new)) } } } }
                    } }
                } }
            }
        }
    }
}

/// The text a CRM diff stores for a moment (`crm::fields::Field::form_value` of a `Stamp`, such as a
/// deal's win time): "2026-11-25 14:03 UTC".
const STAMP: &str = "%Y-%m-%d %H:%M UTC";

/// A diff value as the reader sees it: a stored moment in the reader's zone (the entry was written
/// in UTC, whoever saved it and wherever they were), anything else as it was recorded.
fn value(s: &str) -> Markup {
    match chrono::NaiveDateTime::parse_from_str(s, STAMP) {
        Ok(t) => datetime(&t.and_utc()),
        Err(_) => html! { (s) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_moment_is_shown_as_a_time_and_other_text_as_written() {
        let m = value("2026-11-25 14:03 UTC").into_string();
        assert!(m.starts_with("<time datetime=\"2026-11-25T14:03:00"), "{m}");
        assert_eq!(value("2026-11-25").into_string(), "2026-11-25");
        assert_eq!(value("at 2026-11-25 14:03 UTC!").into_string(), "at 2026-11-25 14:03 UTC!");
        assert_eq!(value("<b>").into_string(), "&lt;b&gt;");
    }
}
