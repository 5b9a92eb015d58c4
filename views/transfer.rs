//! Transfers (§11.2–§11.4): the mass owner change of companies, a user's transfer to another
//! department, and their confirmations.

use maud::{Markup, html};

use crate::error::FormErrors;
use crate::views::layout::{PageCx, page};
use crate::views::ui;

/// The §11.3 warning, as the original words it.
pub const USER_TRANSFER_WARNING: &str = "Attention! Data for filters such as: transaction stages, reasons for closing, tags, etc. will be transferred only if the new department has data with the same name. Also Output, Payment and Product will not be affected.";

/// "Change owner of selected companies": the selection and the sales managers to choose from.
pub fn choose_owner(
    cx: &PageCx<'_>,
    companies: &[(i64, String)],
    owners: &[(String, String)],
    owner: &str,
    errs: &FormErrors,
) -> Markup {
    let mut options = vec![(String::new(), "— Choose a sales manager —".to_string())];
    options.extend(owners.iter().cloned());
    page(
        cx,
        "Change owner of selected companies",
        html! {
            div.page-header { div {
                h1.page-title { "Change owner of selected companies" }
                p.page-subtitle { "The companies and all their contact persons get the new owner and the owner's department." }
            } }
            div.card { div.card-body.stack {
                (ui::form_errors(errs))
                @if companies.is_empty() {
                    (ui::empty_state("building", "No companies are selected. Tick them on the Companies list first.", Some(("/companies", "Back to Companies"))))
                } @else {
                    p { (companies.len()) " selected:" }
                    ul.removal { @for (id, name) in companies { li { a href=(format!("/companies/{id}")) { (name) } } } }
                    form.form method="post" action="/companies/transfer"
                        data-confirm=(format!("Give {} companies and their contact persons to the chosen manager?", companies.len())) {
                        (ui::csrf(&cx.viewer.csrf))
                        @for (id, _) in companies { input type="hidden" name="id" value=(id); }
                        (ui::select("owner_id", "New owner", owner, &options, errs))
                        div.form-actions {
                            a.btn.btn-ghost href="/companies" { "Cancel" }
                            button.btn.btn-primary type="submit" { "Change owner" }
                        }
                    }
                }
            } }
        },
    )
}

/// After a mass owner change.
pub fn owner_changed(cx: &PageCx<'_>, companies: usize, contacts: usize, owner: &str, owner_id: i64) -> Markup {
    page(
        cx,
        "Owner changed",
        html! {
            (ui::flash("success", "Owner changed successfully"))
            div.page-header { div { h1.page-title { "Owner changed" } } }
            div.card { div.card-body.stack {
                p { (companies) " " (if companies == 1 { "company" } else { "companies" }) " and " (contacts) " changed contact "
                    (if contacts == 1 { "person" } else { "persons" }) " now belong to " strong { (owner) } "." }
                div.form-actions {
                    a.btn.btn-primary href=(format!("/companies?owner={owner_id}")) { "Show their companies" }
                    a.btn.btn-ghost href="/companies" { "Back to Companies" }
                }
            } }
        },
    )
}

/// "Transfer of a manager": the department to move a user to, with the §11.3 warning.
pub fn user_transfer(
    cx: &PageCx<'_>,
    user: &crate::users::model::User,
    departments: &[(String, String)],
    chosen: &str,
    errs: &FormErrors,
) -> Markup {
    let mut options = vec![(String::new(), "— Choose a department —".to_string())];
    options.extend(departments.iter().cloned());
    page(
        cx,
        "Transfer of a manager",
        html! {
            div.page-header { div {
                h1.page-title { "Transfer " (user.full_name()) " to another department" }
                p.page-subtitle { "Now in " (user.department_name.as_deref().unwrap_or("no department")) ". Their companies, contact persons, leads, deals and requests move with them." }
            } }
            div.card { div.card-body.stack {
                (ui::form_errors(errs))
                div.flash.flash-warning role="note" { span { (USER_TRANSFER_WARNING) } }
                form.form method="post" action=(format!("/admin/users/{}/transfer", user.id))
                    data-confirm=(format!("Transfer {} and their records to the chosen department?", user.username)) {
                    (ui::csrf(&cx.viewer.csrf))
                    (ui::select("department_id", "New department", chosen, &options, errs))
                    div.form-actions {
                        a.btn.btn-ghost href=(format!("/admin/users/{}", user.id)) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Transfer" }
                    }
                }
            } }
        },
    )
}
