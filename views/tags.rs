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

/// The tags page (`tasks::tags_admin`): each tag of the viewer's departments with its use, a
/// rename form and a delete button that asks first. `refusal`: a rename refused, shown on its row
/// with what was typed.
pub fn admin(
    cx: &crate::views::layout::PageCx<'_>,
    rows: &[crate::tasks::tags::Managed],
    refusal: Option<&crate::tasks::tags_admin::Refusal>,
) -> Markup {
    use crate::views::ui;
    let path = crate::tasks::tags_admin::PATH;
    let several = rows.windows(2).any(|w| w[0].department_id != w[1].department_id);
    let used = |t: &crate::tasks::tags::Managed| match (t.tasks, t.projects) {
        (0, 0) => "not used".to_string(),
        (n, 0) => format!("{n} {}", if n == 1 { "task" } else { "tasks" }),
        (0, m) => format!("{m} {}", if m == 1 { "project" } else { "projects" }),
        (n, m) => format!(
            "{n} {}, {m} {}",
            if n == 1 { "task" } else { "tasks" },
            if m == 1 { "project" } else { "projects" }
        ),
    };
    crate::views::layout::page(
        cx,
        "Task tags",
        html! {
            div.page-header {
                div { h1.page-title { "Task tags" }
                    p.page-subtitle { "The tags of your department for tasks and projects. New ones are typed on a task's or project's form." } }
                div.page-actions { a.btn.btn-ghost href=(paths::list(ItemKind::Task)) { "Tasks" } }
            }
            div.card {
                @if rows.is_empty() {
                    div.card-body { (ui::empty_state("copy", "No tags yet: type one on a task's form.", None)) }
                } @else {
                    div.table-wrap { table.table #tag-list {
                        thead { tr {
                            th { "Tag" }
                            @if several { th { "Department" } }
                            th { "Used by" }
                            th { "Rename" }
                            th { span.sr-only { "Delete" } }
                        } }
                        tbody { @for t in rows {
                            @let refused = refusal.filter(|r| r.id == t.id);
                            tr id=(format!("tag-{}", t.id)) {
                                td.name { a href=(paths::list_query(ItemKind::Task, &paths::query(&[("tag", t.id.to_string()), ("responsible", crate::tasks::model::ANY.to_string())]))) title=(format!("Tasks tagged “{}”", t.name)) { (t.name) } }
                                @if several { td { (t.department) } }
                                td.muted { (used(t)) }
                                td {
                                    form.row.tag-rename method="post" action=(format!("{path}/{}", t.id)) {
                                        (ui::csrf(&cx.viewer.csrf))
                                        @let id = format!("tag-{}-name", t.id);
                                        label.sr-only for=(id) { "New name of “" (t.name) "”" }
                                        input id=(id) type="text" name="name" required maxlength=(crate::tasks::tags::MAX_NAME)
                                            value=(refused.map(|r| r.typed.as_str()).unwrap_or(&t.name))
                                            aria-invalid=[refused.map(|_| "true")]
                                            aria-describedby=[refused.map(|_| format!("tag-{}-error", t.id))];
                                        " "
                                        button.btn.btn-sm.btn-ghost type="submit" { "Rename" }
                                        @if let Some(r) = refused { p.field-error id=(format!("tag-{}-error", t.id)) role="alert" { (r.message) } }
                                    }
                                }
                                td {
                                    form.inline method="post" action=(format!("{path}/{}/delete", t.id))
                                        data-confirm=(if t.tasks + t.projects > 0 {
                                            format!("Delete the tag “{}”? It is taken off {}. This cannot be undone.", t.name, used(t))
                                        } else {
                                            format!("Delete the tag “{}”? This cannot be undone.", t.name)
                                        }) {
                                        (ui::csrf(&cx.viewer.csrf))
                                        button.btn.btn-sm.btn-danger type="submit" aria-label=(format!("Delete the tag “{}”", t.name)) { "Delete" }
                                    }
                                }
                            }
                        } }
                    } }
                }
            }
        },
    )
}
