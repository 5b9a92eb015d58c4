//! Tags of tasks and projects (`tasks::tags`): the form's field, the chips on pages and list rows,
//! and the lists' filter. Only the viewer's departments' tags ever reach these functions.

use maud::{Markup, html};

use crate::access::ItemKind;
use crate::error::FormErrors;
use crate::paths;
use crate::tasks::tags::Tag;

/// The form's Tags: a box per tag of the viewer's departments, and a text field for new ones
/// (`can_create`: the viewer works in a department).
pub fn field(choices: &[Tag], chosen: &[String], new_tags: &str, can_create: bool, errs: &FormErrors) -> Markup {
    let err = errs.get("tags");
    let open = err.is_some() || !chosen.is_empty() || !new_tags.is_empty();
    html! {
        details.tags-field #f-tags-field open[open] {
            summary { "Tags" @if !chosen.is_empty() { span.muted.text-small { " · " (chosen.len()) " chosen" } } }
            fieldset.checks #f-tags .has-error[err.is_some()] {
                legend { "Tags of your department" }
                @if choices.is_empty() { p.muted.text-small.help { "No tags yet." } }
                @for t in choices {
                    label.check {
                        input type="checkbox" name="tags" value=(t.id) checked[chosen.contains(&t.id.to_string())];
                        " " (t.name)
                    }
                }
                @if can_create {
                    div.field {
                        label for="f-new_tags" { "New tags" }
                        input #f-new_tags type="text" name="new_tags" value=(new_tags) maxlength="600"
                            placeholder="Comma separated, e.g. Urgent, Exhibition" aria-describedby="f-new_tags-help";
                        p.help #f-new_tags-help { "A tag your department has already (in any case) is reused, not doubled." }
                    }
                }
                @if let Some(e) = err { p.field-error #f-tags-error role="alert" { (e) } }
            }
        }
    }
}

/// A row's or page's tags, each a link to the list filtered by it.
pub fn chips(kind: ItemKind, tags: &[Tag]) -> Markup {
    html! {
        @if !tags.is_empty() {
            span.pills.tags {
                @for t in tags {
                    a.pill.pill-tag href=(paths::list_query(kind, &paths::query(&[("tag", t.id.to_string())]))) title=(format!("Show the ones tagged “{}”", t.name)) { (t.name) }
                }
            }
        }
    }
}

/// The lists' tag filter (a select of the viewer's departments' tags).
pub fn filter(choices: &[Tag], current: &str) -> Markup {
    html! {
        select name="tag" #tag-filter aria-label="Tag" {
            option value="" selected[current.is_empty()] { "Any tag" }
            @for t in choices {
                option value=(t.id) selected[current == t.id.to_string()] { (t.name) }
            }
            // A tag of the URL that is not the viewer's: shown as what it is, it matches nothing.
            @if !current.is_empty() && !choices.iter().any(|t| current == t.id.to_string()) {
                option value=(current) selected { "Unknown tag" }
            }
        }
    }
}
