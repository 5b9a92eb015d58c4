//! Login and password pages.

use maud::{Markup, html};

use crate::error::FormErrors;
use crate::views::layout::public_page;
use crate::views::ui::{self, Field, icon};

pub struct LoginForm<'a> {
    pub username: &'a str,
    pub next: &'a str,
    pub csrf: &'a str,
    pub errors: &'a FormErrors,
    pub notice: Option<&'a str>,
}

pub fn login(f: &LoginForm<'_>) -> Markup {
    public_page(
        "Log in",
        html! {
            div.auth-brand { (icon("briefcase")) span { "FerroCRM" } }
            h1 { "Log in" }
            @if let Some(n) = f.notice { (ui::flash("info", n)) }
            @if let Some(e) = f.errors.get("_form") { div.form-errors role="alert" { p { (e) } } }
            form.form method="post" action="/login" {
                (ui::csrf(f.csrf))
                input #login-tz type="hidden" name="tz" value="";
                input type="hidden" name="next" value=(f.next);
                (Field::new("username", "Username", f.username, f.errors).required().autocomplete("username"))
                (Field::new("password", "Password", "", f.errors).kind("password").required().autocomplete("current-password"))
                div.form-actions { button.btn.btn-primary.btn-block type="submit" { "Log in" } }
            }
            p.auth-footer.muted { "Forgot your password? Ask your administrator to reset it." }
        },
    )
}

pub fn change_password(csrf: &str, errors: &FormErrors) -> Markup {
    html! {
        div.page-header {
            div { h1.page-title { "Change password" } p.page-subtitle { "Your other sessions will be logged out." } }
        }
        div.card { div.card-body {
            (ui::form_errors(errors))
            form.form method="post" action="/profile/password" {
                (ui::csrf(csrf))
                (Field::new("current", "Current password", "", errors).kind("password").required().autocomplete("current-password"))
                (Field::new("password", "New password", "", errors).kind("password").required().autocomplete("new-password")
                    .help("At least 10 characters. A phrase of a few words is easiest to remember."))
                (Field::new("confirm", "Repeat the new password", "", errors).kind("password").required().autocomplete("new-password"))
                div.form-actions { a.btn.btn-ghost href="/profile" { "Cancel" } button.btn.btn-primary type="submit" { "Change password" } }
            }
        } }
    }
}
