//! Transfers (§11.2–§11.4): the mass owner change of companies, a user's transfer to another
//! department, and their confirmations.

use maud::{Markup, html};

use crate::error::FormErrors;
use crate::events::{Topic, names as ev};
use crate::users::transfer_job::Transfer;
use crate::views::layout::{PageCx, page};
use crate::views::live::Live;
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

/// A user transfer's page: its live progress, then its result.
pub fn transfer_page(cx: &PageCx<'_>, t: &Transfer, user: &crate::users::model::User) -> Markup {
    page(
        cx,
        "Transfer of a manager",
        html! {
            div.page-header {
                div {
                    h1.page-title { "Transfer of " (user.full_name()) " to " (t.to_name) }
                    p.page-subtitle { "From " (if t.from_name.is_empty() { "no department" } else { t.from_name.as_str() }) ", started by " (t.actor_name) "." }
                }
                div.page-actions { a.btn.btn-ghost href=(format!("/admin/users/{}", user.id)) { "Back to the user" } }
            }
            (transfer_progress(t, user))
        },
    )
}

/// The live part: the progress bar while the job runs, the result when it is done.
pub fn transfer_progress(t: &Transfer, user: &crate::users::model::User) -> Markup {
    let id = format!("transfer-{}-progress", t.id);
    let url = format!("/admin/transfers/{}/progress", t.id);
    let on = ev::changed_one(Topic::Transfer, t.id);
    let total = t.total.max(t.moved);
    Live::new(&id, &url, &on).div(
        "card transfer-progress",
        html! { div.card-body.stack {
            @if t.done() {
                (ui::flash("success", "User transferred successfully"))
                p.transfer-result role="status" {
                    (user.full_name()) " is in " strong { (t.to_name) } "; "
                    (ui::grouped(t.moved as u64)) " of their " (if t.moved == 1 { "record" } else { "records" }) " moved with them."
                }
            } @else {
                p role="status" {
                    @if t.status == "queued" { "Waiting to start… " } @else { "Moving records… " }
                    (ui::grouped(t.moved as u64)) " of " (ui::grouped(total as u64)) " records moved."
                }
                div.progress {
                    progress value=(t.moved) max=(total.max(1)) aria-label="Transfer progress" {}
                    span { (if total > 0 { t.moved * 100 / total } else { 100 }) " %" }
                }
                p.muted.text-small {
                    (user.full_name()) " already works in " (t.to_name) ". Each record moves whole (with its stages, tags and history); those not moved yet are still in the old department. You may leave this page: you get a notification when it is done."
                }
            }
        } },
    )
}
