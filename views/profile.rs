//! A user's own profile.

use maud::{Markup, html};

use crate::error::FormErrors;
use crate::users::model::User;
use crate::users::repo::Profile;
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, Field, icon};

pub fn show(cx: &PageCx<'_>, u: &User, f: &Profile<'_>, errors: &FormErrors, saved: bool) -> Markup {
    page(
        cx,
        "Profile",
        html! {
            @if saved { (ui::flash("success", "Your profile was saved.")) }
            div.page-header {
                div { h1.page-title { "Profile" } p.page-subtitle { (u.username) " · " (u.department_name.as_deref().unwrap_or("no department")) } }
                div.page-actions { a.btn.btn-ghost href="/profile/password" { (icon("key")) " Change password" } }
            }
            div.card { div.card-body {
                (ui::form_errors(errors))
                form.form method="post" action="/profile" {
                    (ui::csrf(&cx.viewer.csrf))
                    div.field-row {
                        (Field::new("first_name", "First name", f.first_name, errors).autocomplete("given-name"))
                        (Field::new("last_name", "Last name", f.last_name, errors).autocomplete("family-name"))
                    }
                    (Field::new("email", "Email", f.email, errors).kind("email").autocomplete("email"))
                    fieldset.checks {
                        legend { "Email" }
                        label.check {
                            input type="checkbox" name="email_notifications" value="on" checked[f.email_notifications];
                            " Send me an email copy of each notification"
                        }
                    }
                    (time_zone_field(f.time_zone, errors))
                    div.form-actions { button.btn.btn-primary type="submit" { "Save" } }
                }
            } }
            div.card {
                div.card-header { h2.card-title { "Roles" } }
                div.card-body { div.pills { @for r in u.roles.iter() { span.pill { (r.label()) } } @if u.roles.is_empty() { span.muted { "none" } } } }
            }
        },
    )
}

/// The time zone: typed with suggestions from every IANA zone (a `datalist`, searchable as you type).
fn time_zone_field(current: &str, errors: &FormErrors) -> Markup {
    let err = errors.get("time_zone");
    html! {
        div.field.has-error[err.is_some()] {
            label for="f-time_zone" { "Time zone" }
            input #f-time_zone type="text" name="time_zone" value=(current) list="time-zones" autocomplete="off"
                placeholder="Europe/Berlin" aria-describedby="f-time_zone-help" aria-invalid=[err.map(|_| "true")];
            datalist #time-zones { @for z in crate::time::zone_names() { option value=(z) {} } }
            p.field-help #f-time_zone-help { "Times, \"today\" and \"overdue\" follow this zone. Set from your browser at your first login." }
            @if let Some(e) = err { p.field-error #f-time_zone-error { (e) } }
        }
    }
}
