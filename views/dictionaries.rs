//! The CRM's dictionaries: the index of those the viewer manages, one dictionary's list with its
//! add form, and a row's edit form with what uses it, its history and delete (`crm::dictionaries`).

use maud::{Markup, html};

use crate::access::Action;
use crate::crm::dictionaries::{DField, DInput, Dict, Listing, Row, Typed, counted};
use crate::crm::record::Val;
use crate::error::FormErrors;
use crate::history::Entry;
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, Field, icon};

pub fn index(cx: &PageCx<'_>, dicts: &[&Dict]) -> Markup {
    page(
        cx,
        "Dictionaries",
        html! {
            div.page-header {
                div { h1.page-title { "Dictionaries" }
                    p.page-subtitle { "The lists the CRM's forms offer: each department has its own, cities are shared." } }
            }
            div.card { div.table-wrap { table.table #dictionary-index {
                thead { tr { th { "Dictionary" } th { "What it is" } } }
                tbody { @for d in dicts {
                    tr { td.name { a href=(d.url()) { (d.title) } } td { (d.about) } }
                } }
            } } }
        },
    )
}

fn flag_marks(d: &Dict, r: &Row) -> Markup {
    html! {
        @for (f, v) in d.fields.iter().zip(&r.values) {
            @if f.input == DInput::Flag && *v == Val::Bool(true) { span.badge.badge-info { (f.label) } " " }
        }
    }
}

/// The columns a list shows besides the name and the order: text fields (not long text) and the
/// country.
fn shown(d: &Dict) -> Vec<&DField> {
    d.fields
        .iter()
        .filter(|f| {
            matches!(f.input, DInput::Text(_) | DInput::Email | DInput::Token | DInput::Country | DInput::Weight)
        })
        .collect()
}

fn input(f: &DField, form: &Typed, errs: &FormErrors, countries: &[(i64, String)]) -> Markup {
    let value = form.get(f.col);
    let help = (!f.help.is_empty()).then_some(f.help);
    match f.input {
        DInput::Text(_) | DInput::Email => {
            let mut field =
                Field::new(f.col, f.label, value, errs).kind(if f.input == DInput::Email { "email" } else { "text" });
            if let Some(h) = help {
                field = field.help(h);
            }
            html! { (field) }
        }
        DInput::LongText | DInput::Origins => {
            let err = errs.get(f.col);
            let id = format!("f-{}", f.col);
            html! {
                div.field.has-error[err.is_some()] {
                    label for=(id) { (f.label) }
                    textarea id=(id) name=(f.col) rows="2" { (value) }
                    @if let Some(h) = help { p.help { (h) } }
                    @if let Some(e) = err { p.field-error { (e) } }
                }
            }
        }
        DInput::Flag => {
            let err = errs.get(f.col);
            let err_id = format!("f-{}-error", f.col);
            html! {
                div.field.has-error[err.is_some()] {
                    label.check { input type="checkbox" name=(f.col) value="on" checked[value == "on"] aria-describedby=[err.map(|_| err_id.as_str())]; " " (f.label) }
                    @if let Some(h) = help { p.help { (h) } }
                    @if let Some(e) = err { p.field-error id=(err_id) { (e) } }
                }
            }
        }
        DInput::Token => html! {},
        DInput::Weight => {
            let mut field = Field::new(f.col, f.label, value, errs).kind("number");
            if let Some(h) = help {
                field = field.help(h);
            }
            html! { (field) }
        }
        DInput::Country => {
            let opts: Vec<(String, String)> = std::iter::once((String::new(), "—".to_string()))
                .chain(countries.iter().map(|(id, n)| (id.to_string(), n.clone())))
                .collect();
            ui::select(f.col, f.label, value, &opts, errs)
        }
    }
}

fn fields(d: &Dict, form: &Typed, errs: &FormErrors, countries: &[(i64, String)]) -> Markup {
    html! {
        div.field-row {
            (Field::new("name", "Name", form.get("name"), errs).required())
            @if d.ordered {
                (Field::new("index_number", "Order", form.get("index_number"), errs).kind("number").help("Empty: last. A taken number moves the others down."))
            }
            @for f in d.fields.iter().filter(|f| !matches!(f.input, DInput::Flag | DInput::LongText | DInput::Origins)) { (input(f, form, errs, countries)) }
        }
        @for f in d.fields.iter().filter(|f| matches!(f.input, DInput::LongText | DInput::Origins)) { (input(f, form, errs, countries)) }
        @if d.fields.iter().any(|f| f.input == DInput::Flag) {
            div.field-row { @for f in d.fields.iter().filter(|f| f.input == DInput::Flag) { (input(f, form, errs, countries)) } }
        }
    }
}

fn show_value(f: &DField, v: &Val, countries: &[(i64, String)]) -> String {
    match (f.input, v) {
        (DInput::Weight, Val::Int(w)) => crate::views::crm_quality::weight(*w),
        (DInput::Country, Val::Int(c)) => {
            countries.iter().find(|(i, _)| i == c).map(|(_, n)| n.clone()).unwrap_or_default()
        }
        (_, v) => v.text().to_string(),
    }
}

pub fn list(cx: &PageCx<'_>, d: &Dict, l: &Listing, form: &Typed, errs: &FormErrors) -> Markup {
    let v = cx.viewer;
    let may_add = d.can(v, Action::Create, l.department);
    let cols = shown(d);
    let dep_name = l.departments.iter().find(|(id, _)| Some(*id) == l.department).map(|(_, n)| n.as_str());
    page(
        cx,
        d.title,
        html! {
            div.page-header {
                div { h1.page-title { (d.title) @if let Some(n) = dep_name { span.muted { " · " (n) } } }
                    p.page-subtitle { (d.about) } }
                div.page-actions { a.btn.btn-ghost href="/dictionaries" { "All dictionaries" } }
            }
            // A plain GET form: the filters are the URL, each change reloads the page (boosted).
            form.filters method="get" action=(d.url()) {
                @if !d.global && l.departments.len() > 1 {
                    select name="department" aria-label="Department" {
                        @for (id, name) in &l.departments {
                            option value=(id) selected[Some(*id) == l.department] { (name) }
                        }
                    }
                } @else if let Some(dep) = l.department {
                    input type="hidden" name="department" value=(dep);
                }
                @if d.global {
                    select name="country" aria-label="Country" {
                        option value="all" selected[l.country.is_none()] { "All countries" }
                        @for (id, name) in &l.countries {
                            option value=(id) selected[l.country == Some(*id)] { (name) }
                        }
                    }
                }
                input type="search" name="q" value=(l.q) placeholder=(format!("Search {}", d.title.to_lowercase())) aria-label=(format!("Search {}", d.title.to_lowercase()));
                button.btn.btn-ghost type="submit" { (icon("search")) " Show" }
            }
            div.card {
                @if l.rows.items.is_empty() {
                    div.card-body { (ui::empty_state("copy", &if l.q.is_empty() { format!("No {} yet.", d.title.to_lowercase()) } else { format!("No {} match \u{201c}{}\u{201d}.", d.title.to_lowercase(), l.q) }, None)) }
                } @else {
                    div.table-wrap { table.table #dictionary-list {
                        thead { tr {
                            @if d.ordered { th.num { "Order" } }
                            th { "Name" }
                            @for f in &cols { th { (f.label) } }
                            @if d.global { th { "Alternative names" } }
                            @if d.fields.iter().any(|f| f.input == DInput::Flag) { th { "Role" } }
                        } }
                        tbody { @for r in &l.rows.items {
                            tr id=(format!("dictionary-row-{}", r.id)) {
                                @if d.ordered { td.num { (r.index) } }
                                td.name { a href=(format!("{}/{}", d.url(), r.id)) { (r.name) } }
                                @for f in &cols {
                                    td { @if f.input == DInput::Token { code { (show_value(f, &r.get(d, f.col), &l.country_names)) } } @else { (show_value(f, &r.get(d, f.col), &l.country_names)) } }
                                }
                                @if d.global { td.muted { (r.get(d, "alternative_names").text()) } }
                                @if d.fields.iter().any(|f| f.input == DInput::Flag) { td { (flag_marks(d, r)) } }
                            }
                        } }
                    } }
                    div.card-body { (ui::pagination_without_total(&l.rows, ui::Noun(d.noun, d.plural), |n| l.href(d, n))) }
                }
            }
            @if may_add {
                div.card #dictionary-add { div.card-header { h2.card-title { "Add a " (d.noun) } } div.card-body {
                    (ui::form_errors(errs))
                    form.form method="post" action=(d.url()) {
                        (ui::csrf(&v.csrf))
                        @if let Some(dep) = l.department { input type="hidden" name="department_id" value=(dep); }
                        (fields(d, form, errs, &l.countries))
                        div.form-actions { button.btn.btn-primary type="submit" { (icon("plus")) " Add" } }
                    }
                } }
            }
        },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn edit(
    cx: &PageCx<'_>,
    d: &Dict,
    r: &Row,
    department: &str,
    countries: &[(i64, String)],
    used: &[(&str, i64)],
    history: &[Entry],
    form: &Typed,
    errs: &FormErrors,
    extra: Markup,
) -> Markup {
    let v = cx.viewer;
    let may_edit = d.can(v, Action::Edit, r.department);
    let may_delete = d.can(v, Action::Delete, r.department);
    let back = match (r.department, d.global) {
        (Some(dep), _) => format!("{}?department={dep}", d.url()),
        (None, true) => match r.get(d, "country_id").int() {
            Some(c) => format!("{}?country={c}", d.url()),
            None => d.url(),
        },
        _ => d.url(),
    };
    page(
        cx,
        &r.name,
        html! {
            div.page-header {
                div { h1.page-title { (r.name) " " (flag_marks(d, r)) }
                    p.page-subtitle { (d.title) @if !department.is_empty() { " · " (department) } } }
                div.page-actions { a.btn.btn-ghost href=(back) { "All " (d.title.to_lowercase()) } }
            }
            @for f in d.fields.iter().filter(|f| f.input == DInput::Token) {
                div.card { div.card-body {
                    p { strong { (f.label) ": " } code #lead-source-token { (r.get(d, f.col).text()) } }
                    p.help { (f.help) }
                } }
            }
            (extra)
            div.card { div.card-header { h2.card-title { "Used by" } } div.card-body {
                @if used.is_empty() { p.muted #dictionary-usage { "Nothing uses this " (d.noun) " yet." } }
                @else { p #dictionary-usage { (counted(used)) } }
            } }
            @if may_edit {
                div.card { div.card-header { h2.card-title { "Change" } } div.card-body {
                    (ui::form_errors(errs))
                    form.form method="post" action=(format!("{}/{}", d.url(), r.id)) {
                        (ui::csrf(&v.csrf))
                        (fields(d, form, errs, countries))
                        div.form-actions { button.btn.btn-primary type="submit" { "Save" } }
                    }
                } }
            }
            @if may_delete {
                div.card #dictionary-delete { div.card-body {
                    @if let Some(f) = d.fields.iter().enumerate().find(|(i, f)| f.kept && r.values.get(*i) == Some(&Val::Bool(true))).map(|(_, f)| f) {
                        p.muted { "This is the department's " (f.label.to_lowercase()) " " (d.noun) ", so it cannot be deleted: mark another one first." }
                    } @else if used.is_empty() {
                        form.inline method="post" action=(format!("{}/{}/delete", d.url(), r.id))
                            data-confirm=(format!("Delete the {} \u{201c}{}\u{201d}? This cannot be undone.", d.noun, r.name)) {
                            (ui::csrf(&v.csrf))
                            button.btn.btn-danger type="submit" { (icon("trash")) " Delete" }
                        }
                    } @else {
                        p.muted { "This " (d.noun) " is in use (" (counted(used)) "), so it cannot be deleted. Change those first, or rename it." }
                    }
                } }
            }
            @if !history.is_empty() {
                div.card { div.card-header { h2.card-title { "History" } }
                    ul.history-list { @for e in history { (crate::views::history::entry(e)) } }
                }
            }
        },
    )
}
