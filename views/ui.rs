//! Small building blocks shared by every view: icons, form fields, pagination, empty states, toasts.

use maud::{Markup, html};

use crate::assets;
use crate::error::FormErrors;
use crate::paging::Paged;

/// An icon from the sprite (decorative: hidden from screen readers).
pub fn icon(name: &str) -> Markup {
    let href = format!("{}#{}", assets::url("icons.svg"), name);
    html! { svg.icon aria-hidden="true" focusable="false" { use href=(href) {} } }
}

/// The CSRF token as a hidden field (for forms that may be sent without htmx).
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// A labelled input with its error message.
pub struct Field<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub value: &'a str,
    pub kind: &'a str,
    pub errors: &'a FormErrors,
    pub help: Option<&'a str>,
    pub required: bool,
    pub autocomplete: Option<&'a str>,
}

impl<'a> Field<'a> {
    pub fn new(name: &'static str, label: &'a str, value: &'a str, errors: &'a FormErrors) -> Field<'a> {
        Field { name, label, value, kind: "text", errors, help: None, required: false, autocomplete: None }
    }
    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }
    pub fn help(mut self, help: &'a str) -> Self {
        self.help = Some(help);
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn autocomplete(mut self, a: &'a str) -> Self {
        self.autocomplete = Some(a);
        self
    }
}

impl maud::Render for Field<'_> {
    fn render(&self) -> Markup {
        let err = self.errors.get(self.name);
        let id = format!("f-{}", self.name);
        let err_id = format!("{id}-error");
        html! {
            div.field.has-error[err.is_some()] {
                label for=(id) { (self.label) @if self.required { span.muted { " *" } } }
                input id=(id) name=(self.name) type=(self.kind) value=(self.value) required[self.required]
                    autocomplete=[self.autocomplete] aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| err_id.as_str())];
                @if let Some(h) = self.help { p.help { (h) } }
                @if let Some(e) = err { p.field-error id=(err_id) { (e) } }
            }
        }
    }
}

/// A `<select>` with options (value, label) and its error message.
pub fn select(
    name: &'static str,
    label: &str,
    value: &str,
    options: &[(String, String)],
    errors: &FormErrors,
) -> Markup {
    let err = errors.get(name);
    let id = format!("f-{name}");
    html! {
        div.field.has-error[err.is_some()] {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[err.map(|_| "true")] {
                @for (v, l) in options {
                    option value=(v) selected[v == value] { (l) }
                }
            }
            @if let Some(e) = err { p.field-error { (e) } }
        }
    }
}

/// The summary at the top of a form that failed validation.
pub fn form_errors(errors: &FormErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.form-errors role="alert" {
                strong { "Please correct the highlighted fields." }
                @if let Some(e) = errors.get("_form") { p { (e) } }
            }
        }
    }
}

/// A friendly empty list.
pub fn empty_state(ico: &str, text: &str, action: Option<(&str, &str)>) -> Markup {
    html! {
        div.empty-state {
            (icon(ico))
            p { (text) }
            @if let Some((href, label)) = action { a.btn.btn-primary href=(href) { (label) } }
        }
    }
}

/// "Previous · page X of Y · Next". `href(page)` builds the URL of a page with the current filters.
pub fn pagination<T>(p: &Paged<T>, href: impl Fn(u64) -> String) -> Markup {
    html! {
        @if p.has_prev() || p.has_next() {
            nav.pagination aria-label="Pages" {
                @if p.has_prev() {
                    a.page href=(href(p.page - 1)) rel="prev" { (icon("chevron-left")) "Previous" }
                } @else {
                    span.page.disabled { (icon("chevron-left")) "Previous" }
                }
                span.page-info {
                    "Page " (p.page)
                    @if let (Some(pages), Some(total)) = (p.pages(), p.total) { " of " (pages) " · " (total) " in all" }
                }
                @if p.has_next() {
                    a.page href=(href(p.page + 1)) rel="next" { "Next" (icon("chevron-right")) }
                } @else {
                    span.page.disabled { "Next" (icon("chevron-right")) }
                }
            }
        }
    }
}

/// A toast for htmx responses (errors, confirmations), appended to `#toasts`.
pub fn toast(kind: &str, text: &str) -> Markup {
    let class = format!("toast toast-{kind}");
    html! {
        div class=(class) role="status" {
            span.toast-text { (text) }
            button.toast-close type="button" aria-label="Dismiss" { "×" }
        }
    }
}

/// A flash message at the top of a page.
pub fn flash(kind: &str, text: &str) -> Markup {
    let class = format!("flash flash-{kind}");
    html! { div class=(class) role="status" { span { (text) } } }
}

/// A moment, in the viewer's time zone (`2026-11-25 14:03`). `app.js` rewrites it in the browser's
/// locale format, in the zone on `<body data-tz>` (the viewer's: a chat message pushed to everyone
/// was rendered in its poster's zone), so pages and date inputs read alike; without script this stays.
pub fn datetime(t: &chrono::DateTime<chrono::Utc>) -> Markup {
    let l = crate::time::local(t);
    html! { time datetime=(l.to_rfc3339()) data-local="datetime" { (l.format("%Y-%m-%d %H:%M")) } }
}

/// The viewer's calendar date of a moment (`2026-11-25`), e.g. when a memo was written.
pub fn date_of(t: &chrono::DateTime<chrono::Utc>) -> Markup {
    let l = crate::time::local(t);
    html! { time datetime=(l.date_naive().to_string()) data-local="date" { (l.format("%Y-%m-%d")) } }
}

/// Builds a query string from pairs, skipping empty values.
pub fn query(pairs: &[(&str, String)]) -> String {
    let enc: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect();
    if enc.is_empty() { String::new() } else { format!("?{}", enc.join("&")) }
}
