//! Departments: list with member counts, one inline form to add, rename and delete.

use maud::{Markup, html};

use crate::error::FormErrors;
use crate::users::model::Department;
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, Field, icon};

pub fn index(cx: &PageCx<'_>, departments: &[Department], new_name: &str, errors: &FormErrors) -> Markup {
    let csrf = &cx.viewer.csrf;
    page(
        cx,
        "Departments",
        html! {
            div.page-header { div { h1.page-title { "Departments" } p.page-subtitle { "Users belong to one department; department heads lead them." } } }
            div.card {
                div.card-body {
                    form.form method="post" action="/admin/departments" {
                        (ui::csrf(csrf))
                        div.field-row {
                            (Field::new("name", "New department", new_name, errors).required())
                        }
                        div.form-actions { button.btn.btn-primary type="submit" { (icon("plus")) " Add department" } }
                    }
                }
            }
            @if departments.is_empty() {
                (ui::empty_state("building", "No departments yet. Add the first one above.", None))
            } @else {
                div.table-wrap { table.table {
                    thead { tr { th { "Name" } th.num { "Members" } th.actions { span.sr-only { "Actions" } } } }
                    tbody { @for d in departments {
                        tr id=(format!("department-{}", d.id)) {
                            td { a href=(format!("/admin/departments/{}", d.id)) { (d.name) } }
                            td.num { a href=(format!("/admin/users?department={}", d.id)) { (d.members) } }
                            td.actions { a.btn.btn-ghost.btn-sm href=(format!("/admin/departments/{}", d.id)) { (icon("edit")) span.sr-only { "Edit " (d.name) } } }
                        }
                    } }
                } }
            }
        },
    )
}

pub fn show(cx: &PageCx<'_>, d: &Department, name: &str, errors: &FormErrors, flash: Option<&str>) -> Markup {
    let csrf = &cx.viewer.csrf;
    page(
        cx,
        &d.name,
        html! {
            @if let Some(f) = flash { (ui::flash("success", f)) }
            div.page-header {
                div { h1.page-title { (d.name) } p.page-subtitle { (d.members) " member" @if d.members != 1 { "s" } } }
                div.page-actions { a.btn.btn-ghost href=(format!("/admin/departments/{}/history", d.id)) { (icon("history")) " History" } }
            }
            div.grid-2 {
                div.card { div.card-header { h2.card-title { "Rename" } } div.card-body {
                    form.form method="post" action=(format!("/admin/departments/{}", d.id)) {
                        (ui::csrf(csrf))
                        (Field::new("name", "Name", name, errors).required())
                        div.form-actions { a.btn.btn-ghost href="/admin/departments" { "Cancel" } button.btn.btn-primary type="submit" { "Save" } }
                    }
                } }
                div.card { div.card-header { h2.card-title { "Copy" } } div.card-body.stack {
                    p.muted { "Makes “" (d.name) " (copy)” with the same settings, deal stages, closing reasons, client types, industries, product categories, products and lead sources. The copied lead sources get new web-form tokens (in Django-CRM a copy kept the same ones, so one form token named two departments). Users and sales records are not copied." }
                    form method="post" action=(format!("/admin/departments/{}/copy", d.id)) {
                        (ui::csrf(csrf))
                        button.btn type="submit" { "Copy department" }
                    }
                } }
                div.card { div.card-header { h2.card-title { "Delete" } } div.card-body.stack {
                    p.muted { "Its " (d.members) " member(s) keep their accounts and become members of no department." }
                    form method="post" action=(format!("/admin/departments/{}/delete", d.id))
                        data-confirm=(format!("Delete the department {}? Its members keep their accounts.", d.name)) {
                        (ui::csrf(csrf))
                        button.btn.btn-danger type="submit" { (icon("trash")) " Delete department" }
                    }
                } }
            }
        },
    )
}
