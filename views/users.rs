//! Administration of user accounts: list, one form for new and edit, the user page.

use maud::{Markup, html};

use crate::access::Role;
use crate::error::FormErrors;
use crate::paging::Paged;
use crate::users::model::{Department, User, UserFilter, UserForm};
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, Field, datetime, icon};

fn filter_query(f: &UserFilter, page: u64) -> String {
    ui::query(&[
        ("q", f.q.clone()),
        ("role", f.role.clone()),
        ("department", f.department.clone()),
        ("status", f.status.clone()),
        ("page", if page > 1 { page.to_string() } else { String::new() }),
    ])
}

pub fn index(cx: &PageCx<'_>, users: &Paged<User>, f: &UserFilter, departments: &[Department]) -> Markup {
    let mut role_opts = vec![(String::new(), "Any role".to_string())];
    role_opts.extend(Role::ALL.iter().map(|r| (r.slug().to_string(), r.label().to_string())));
    let mut dept_opts = vec![(String::new(), "Any department".to_string())];
    dept_opts.extend(departments.iter().map(|d| (d.id.to_string(), d.name.clone())));
    let status_opts = [("", "Active"), ("inactive", "Deactivated"), ("all", "All")];
    page(
        cx,
        "Users",
        html! {
            div.page-header {
                div { h1.page-title { "Users" } p.page-subtitle { (users.total.unwrap_or(0)) " matching" } }
                div.page-actions { a.btn.btn-primary href="/admin/users/new" { (icon("plus")) " New user" } }
            }
            form.filters method="get" action="/admin/users" hx-get="/admin/users" hx-target="#user-list" hx-select="#user-list"
                hx-swap="outerHTML" hx-push-url="true" hx-trigger="input changed delay:300ms from:find input[type=search], change" {
                input type="search" name="q" value=(f.q) placeholder="Search name, username, email" aria-label="Search users";
                select name="role" aria-label="Role" { @for (v, l) in &role_opts { option value=(v) selected[*v == f.role] { (l) } } }
                select name="department" aria-label="Department" { @for (v, l) in &dept_opts { option value=(v) selected[*v == f.department] { (l) } } }
                select name="status" aria-label="Status" { @for (v, l) in status_opts { option value=(v) selected[v == f.status] { (l) } } }
                button.btn type="submit" { "Filter" }
            }
            (list(users, f))
        },
    )
}

pub fn list(users: &Paged<User>, f: &UserFilter) -> Markup {
    html! {
        div #user-list {
            @if users.items.is_empty() {
                (ui::empty_state("users", "No users match these filters.", None))
            } @else {
                div.table-wrap { table.table {
                    thead { tr { th { "User" } th { "Email" } th { "Department" } th { "Roles" } th { "Last login" } th.actions { span.sr-only { "Actions" } } } }
                    tbody { @for u in &users.items { (row(u)) } }
                } }
                (ui::pagination(users, ui::Noun("user", "users"), |p| format!("/admin/users{}", filter_query(f, p))))
            }
        }
    }
}

pub fn row(u: &User) -> Markup {
    html! {
        tr.inactive[!u.is_active] id=(format!("user-{}", u.id)) {
            td { a href=(format!("/admin/users/{}", u.id)) { strong { (u.full_name()) } } br; span.muted.text-small { (u.username) } }
            td { (u.email) }
            td { (u.department_name.as_deref().unwrap_or("—")) }
            td { div.pills { @for r in u.roles.iter() { span.pill { (r.label()) } } } }
            td { @match &u.last_login_at { Some(t) => (datetime(t)), None => span.muted { "never" } } }
            td.actions {
                @if !u.is_active { span.badge.badge-muted { "Deactivated" } }
                a.btn.btn-ghost.btn-sm href=(format!("/admin/users/{}/edit", u.id)) { (icon("edit")) span.sr-only { "Edit " (u.username) } }
            }
        }
    }
}

/// The one form for new and edit users. `id` is `None` for a new user.
pub fn form(cx: &PageCx<'_>, id: Option<i64>, f: &UserForm, errors: &FormErrors, departments: &[Department]) -> Markup {
    let (title, action) = match id {
        Some(id) => ("Edit user".to_string(), format!("/admin/users/{id}")),
        None => ("New user".to_string(), "/admin/users".to_string()),
    };
    let mut dept_opts = vec![(String::new(), "— No department —".to_string())];
    dept_opts.extend(departments.iter().map(|d| (d.id.to_string(), d.name.clone())));
    let role_err = errors.get("roles");
    page(
        cx,
        &title,
        html! {
            div.page-header { div { h1.page-title { (title) } } }
            div.card { div.card-body {
                (ui::form_errors(errors))
                form.form method="post" action=(action) {
                    (ui::csrf(&cx.viewer.csrf))
                    div.field-row {
                        (Field::new("username", "Username", &f.username, errors).required().autocomplete("off")
                            .help("Used to log in. Letters, digits and . _ - @ +"))
                        (Field::new("email", "Email", &f.email, errors).kind("email").help("Notifications are sent here."))
                    }
                    div.field-row {
                        (Field::new("first_name", "First name", &f.first_name, errors))
                        (Field::new("last_name", "Last name", &f.last_name, errors))
                    }
                    (ui::select("department_id", "Department", &f.department_id, &dept_opts, errors))
                    fieldset.checks.has-error[role_err.is_some()] {
                        legend { "Roles" }
                        @for r in Role::ALL {
                            label.check {
                                input type="checkbox" name="roles" value=(r.slug()) checked[f.has_role(r)];
                                " " (r.label())
                            }
                        }
                        @if let Some(e) = role_err { p.field-error { (e) } }
                    }
                    @let served_err = errors.get("served");
                    @if !departments.is_empty() {
                        fieldset.checks.has-error[served_err.is_some()] {
                            legend { "Also serves departments (operators)" }
                            p.help { "An operator who serves several departments (a superoperator) sees and handles their requests and sales records. Leave empty for everyone else." }
                            @for d in departments {
                                label.check {
                                    input type="checkbox" name="served" value=(d.id) checked[f.served.contains(&d.id.to_string())];
                                    " " (d.name)
                                }
                            }
                            @if let Some(e) = served_err { p.field-error { (e) } }
                        }
                    }
                    @if id.is_none() {
                        (Field::new("password", "Initial password", "", errors).kind("password").autocomplete("new-password")
                            .help("Leave empty to generate one; it is shown once after saving."))
                    }
                    div.form-actions {
                        a.btn.btn-ghost href=(id.map(|i| format!("/admin/users/{i}")).unwrap_or_else(|| "/admin/users".into())) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Save" }
                    }
                }
            } }
        },
    )
}

/// The user page, with account actions. `flash` shows a one-time message (e.g. a generated password).
pub fn show(cx: &PageCx<'_>, u: &User, flash: Option<Markup>) -> Markup {
    let csrf = &cx.viewer.csrf;
    let self_view = u.id == cx.viewer.id;
    page(
        cx,
        &u.full_name(),
        html! {
            @if let Some(f) = flash { (f) }
            div.page-header {
                div {
                    h1.page-title { (u.full_name()) @if !u.is_active { " " span.badge.badge-muted { "Deactivated" } } }
                    p.page-subtitle { (u.username) }
                }
                div.page-actions {
                    a.btn.btn-ghost href=(format!("/admin/users/{}/history", u.id)) { (icon("history")) " History" }
                    a.btn.btn-ghost href=(format!("/admin/users/{}/transfer", u.id)) { "Transfer of a manager" }
                    a.btn.btn-primary href=(format!("/admin/users/{}/edit", u.id)) { (icon("edit")) " Edit" }
                }
            }
            div.grid-2 {
                div.card {
                    div.card-header { h2.card-title { "Account" } }
                    div.card-body {
                        dl.kv {
                            dt { "Email" } dd { @if u.email.is_empty() { span.muted { "none" } } @else { (u.email) } }
                            dt { "Department" } dd { (u.department_name.as_deref().unwrap_or("—")) }
                            dt { "Roles" } dd { div.pills { @for r in u.roles.iter() { span.pill { (r.label()) } } @if u.roles.is_empty() { span.muted { "none" } } } }
                            dt { "Created" } dd { (datetime(&u.created_at)) }
                            dt { "Last login" } dd { @match &u.last_login_at { Some(t) => (datetime(t)), None => span.muted { "never" } } }
                        }
                    }
                }
                div.card {
                    div.card-header { h2.card-title { "Access" } }
                    div.card-body.stack {
                        form method="post" action=(format!("/admin/users/{}/password", u.id))
                            data-confirm=(format!("Reset the password of {}? They will be logged out everywhere.", u.username)) {
                            (ui::csrf(csrf))
                            p.muted { "Generates a new password, shown once, and ends all of the user's sessions." }
                            button.btn type="submit" { (icon("key")) " Reset password" }
                        }
                        @if !self_view {
                            form method="post" action=(format!("/admin/users/{}/{}", u.id, if u.is_active { "deactivate" } else { "activate" }))
                                data-confirm=[u.is_active.then(|| format!("Deactivate {}? They are logged out at once and can no longer log in.", u.username))] {
                                (ui::csrf(csrf))
                                @if u.is_active {
                                    p.muted { "A deactivated user cannot log in; their records stay." }
                                    button.btn.btn-danger type="submit" { (icon("lock")) " Deactivate" }
                                } @else {
                                    button.btn.btn-primary type="submit" { (icon("check")) " Reactivate" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
