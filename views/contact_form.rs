//! The public web form (`/contact-form/{token}/`), its thank-you page, the lead source page's
//! "Web form" panel (both snippets and a live preview) and the administrators' spam lists.

use maud::{DOCTYPE, Markup, html};

use crate::assets;
use crate::error::FormErrors;
use crate::paging::Paged;
use crate::requests::intake::config::Captcha;
use crate::requests::intake::fields::{self, Posted};
use crate::views::layout::{PageCx, page as app_page};
use crate::views::ui::{self, Field, icon};

pub struct FormView<'a> {
    pub action: String,
    pub source: &'a str,
    pub fill: String,
    pub captcha: Option<&'a Captcha>,
    /// Shown on the lead source page: the button does nothing.
    pub preview: bool,
}

fn shell(title: &str, captcha: Option<&Captcha>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) }
                link rel="stylesheet" href=(assets::url("app.css"));
                @if let Some(c) = captcha {
                    script src=(crate::requests::intake::captcha::script(c)) async defer {}
                }
            }
            body.contact-form { main.contact-card { (body) } }
        }
    }
}

/// The form, with `p`'s values and `errs`' messages after a failed post.
pub fn page(v: &FormView<'_>, p: &Posted, errs: &FormErrors) -> Markup {
    shell(
        "Contact us",
        v.captcha,
        html! {
            h1 { "Contact us" }
            @if v.preview { p.flash #contact-form-preview { "Preview of the " (v.source) " form: sending is off here." } }
            (ui::form_errors(errs))
            form.form #contact-form method="post" action=(v.action) {
                @for (name, label, kind, auto) in fields::FORM {
                    (Field::new(name, label, p.get(name), errs).kind(kind).required().autocomplete(auto))
                }
                div.field.has-error[errs.get("message").is_some()] {
                    label for="f-message" { "Message" }
                    textarea #f-message name="message" rows="5" maxlength=(fields::MAX_MESSAGE) { (p.message) }
                    @if let Some(e) = errs.get("message") { p.field-error { (e) } }
                }
                div.intake-hp aria-hidden="true" {
                    label for="f-hp" { "Leave this empty" }
                    input #f-hp type="text" name=(fields::HONEYPOT) tabindex="-1" autocomplete="off";
                }
                input type="hidden" name=(fields::FILL) value=(v.fill);
                @if let Some(c) = v.captcha {
                    div class=(crate::requests::intake::captcha::widget_class(c)) data-sitekey=(c.site_key) {}
                }
                div.form-actions { button.btn.btn-primary type="submit" disabled[v.preview] { "Send" } }
            }
        },
    )
}

/// §6.3's thank-you text ("Dear {name}, thanks for your request!").
pub fn thanks_text(name: &str) -> String {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let name: String = name.chars().take(200).collect();
    if name.is_empty() { "Thanks for your request!".into() } else { format!("Dear {name}, thanks for your request!") }
}

pub fn thanks(message: &str) -> Markup {
    shell("Thank you", None, html! { h1 { "Thank you" } p #contact-form-thanks { (message) } })
}

pub fn message_page(title: &str, message: &str) -> Markup {
    shell(title, None, html! { h1 { (title) } p #contact-form-message { (message) } })
}

/// The lead source page's "Web form" panel: the hosted form's iframe snippet and the embed script
/// snippet (the CRM's public URL, never the request's Host), a live preview, and links to the spam
/// lists for administrators.
pub fn embed_panel(base_url: &str, token: &str, origins: &[String], admin: bool) -> Markup {
    let form_url = format!("{base_url}/contact-form/{token}/");
    let iframe = format!(
        "<iframe src=\"{form_url}\" title=\"Contact form\" width=\"480\" height=\"720\" style=\"border:0\"></iframe>"
    );
    let script = format!("<script src=\"{form_url}embed.js\" async></script>");
    let api = format!(
        "POST {base_url}/add-request/\nleadsource_token={token}&name=…&email=…&phone=…&company=…&subject=…&message=…"
    );
    html! {
        div.card #web-form { div.card-header { h2.card-title { "Web form" } } div.card-body {
            @if origins.is_empty() {
                p.muted #web-form-origins { "No website may embed this form yet: add its address under " strong { "Allowed origins" } " below (for example https://www.example.com)." }
            } @else {
                p #web-form-origins { "Websites that may embed this form: " @for (i, o) in origins.iter().enumerate() { @if i > 0 { ", " } code { (o) } } }
            }
            div.field {
                label for="snippet-script" { "Embed script: renders the form in place on your page" }
                textarea #snippet-script readonly rows="2" { (script) }
            }
            div.field {
                label for="snippet-iframe" { "Or an iframe with the CRM-hosted form" }
                textarea #snippet-iframe readonly rows="3" { (iframe) }
            }
            div.field {
                label for="snippet-api" { "Or post from your server (Django-CRM's API)" }
                textarea #snippet-api readonly rows="2" { (api) }
                p.help { "405 for another method, 409 for invalid fields, 401 for an unknown token, 200 when received." }
            }
            h3 { "Preview" }
            iframe.web-form-preview #web-form-preview src=(format!("/contact-form/{token}/?preview=1")) title="Preview of the web form" {}
            @if admin {
                p.help { "Spam filters and matching for every web form: " (intake_lists(&ADMIN_LISTS.map(|(u, t)| (u.to_string(), t.to_string())), "")) }
            }
        } }
    }
}

/// One of the administrators' intake lists (stop phrases, banned company names, public email
/// domains): a page of it, searched, with an add form.
pub struct SpamList<'a> {
    pub title: &'a str,
    pub about: &'a str,
    pub url: &'a str,
    /// The lists linked from the page, (URL, title), this one among them: the three under
    /// `/admin/`, the operators' two under `/requests/`.
    pub lists: &'a [(String, String)],
    pub label: &'a str,
    pub help: &'a str,
    /// (singular, plural) for the page counts.
    pub noun: (&'static str, &'static str),
    /// (id, text, last occurrence)
    pub rows: &'a Paged<(i64, String, Option<chrono::DateTime<chrono::Utc>>)>,
    /// The search in effect ("" for none).
    pub q: &'a str,
    pub stamped: bool,
}

impl SpamList<'_> {
    fn href(&self, page: u64) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!(
                "q={}",
                percent_encoding::utf8_percent_encode(self.q, percent_encoding::NON_ALPHANUMERIC)
            ));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() { self.url.to_string() } else { format!("{}?{}", self.url, parts.join("&")) }
    }
}

/// The administrators' intake lists (`requests::intake::admin`), linked from the web form's panel.
const ADMIN_LISTS: [(&str, &str); 3] = [
    ("/admin/stop-phrases", "Stop phrases"),
    ("/admin/banned-company-names", "Banned company names"),
    ("/admin/public-email-domains", "Public email domains"),
];

/// Links between the intake lists (the one at `current` is plain text).
fn intake_lists(lists: &[(String, String)], current: &str) -> Markup {
    html! {
        @for (i, (url, name)) in lists.iter().enumerate() {
            @if i > 0 { " · " }
            @if *url == current { strong aria-current="page" { (name) } } @else { a href=(url) { (name) } }
        }
    }
}

pub fn spam_list(cx: &PageCx<'_>, l: &SpamList<'_>, value: &str, errs: &FormErrors) -> Markup {
    let plural = l.noun.1;
    app_page(
        cx,
        l.title,
        html! {
            div.page-header { div { h1.page-title { (l.title) } p.page-subtitle { (l.about) } } }
            p.help #intake-lists { (intake_lists(l.lists, l.url)) }
            div.card #spam-add { div.card-header { h2.card-title { "Add" } } div.card-body {
                (ui::form_errors(errs))
                form.form method="post" action=(l.url) {
                    (ui::csrf(&cx.viewer.csrf))
                    (Field::new("text", l.label, value, errs).required().help(l.help))
                    div.form-actions { button.btn.btn-primary type="submit" { (icon("plus")) " Add" } }
                }
            } }
            form.filters method="get" action=(l.url) {
                input type="search" name="q" value=(l.q) placeholder=(format!("Search {plural}")) aria-label=(format!("Search {plural}"));
                button.btn.btn-ghost type="submit" { (icon("search")) " Show" }
            }
            div.card {
                @if l.rows.items.is_empty() {
                    div.card-body { (ui::empty_state("copy", &if l.q.is_empty() { "Nothing listed yet.".to_string() } else { format!("No {plural} match \u{201c}{}\u{201d}.", l.q) }, None)) }
                } @else {
                    div.table-wrap { table.table #spam-list {
                        thead { tr { th { (l.label) } @if l.stamped { th { "Last occurrence" } } th.actions { span.sr-only { "Actions" } } } }
                        tbody { @for (id, text, last) in &l.rows.items {
                            tr id=(format!("spam-row-{id}")) {
                                td { (text) }
                                @if l.stamped { td { @match last { Some(t) => (ui::datetime(t)), None => span.muted { "never" } } } }
                                td.actions { form.inline method="post" action=(format!("{}/{id}/delete", l.url))
                                    data-confirm=(format!("Remove \u{201c}{text}\u{201d}?")) {
                                    (ui::csrf(&cx.viewer.csrf))
                                    button.btn.btn-ghost.btn-sm type="submit" aria-label=(format!("Remove {text}")) { (icon("trash")) " Remove" }
                                } }
                            }
                        } }
                    } }
                    div.card-body { (ui::pagination_without_total(l.rows, ui::Noun(l.noun.0, plural), |n| l.href(n))) }
                }
            }
        },
    )
}
