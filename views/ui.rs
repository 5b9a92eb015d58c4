//! Small building blocks shared by every view: icons, form fields, pagination, empty states, toasts.

use maud::{Markup, html};

use crate::assets;
use crate::error::FormErrors;
use crate::paging::{Paged, Total};

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
                @if let Some(label) = errors.get(crate::error::EXISTS) {
                    p.exists { "Such an object already exists - "
                        @match errors.get(crate::error::EXISTS_LINK) { Some(href) => a href=(href) { (label) }, None => (label) } }
                }
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

/// What a list counts, for its totals ("1 task", "976 tasks").
#[derive(Clone, Copy, Debug)]
pub struct Noun(pub &'static str, pub &'static str);

/// A count with thousands grouped: 10400 → "10,400".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "976 tasks", "1 task", "more than 1,000 tasks".
pub fn total_text(total: Total, noun: Noun) -> String {
    match total {
        Total::Exact(1) => format!("1 {}", noun.0),
        Total::Exact(n) => format!("{} {}", grouped(n), noun.1),
        Total::MoreThan(n) => format!("more than {} {}", grouped(n), noun.1),
    }
}

/// "Page X of Y · N tasks" (or "Page X · more than 1,000 tasks"); "Page X" while the total is unknown.
pub fn page_info(page: u64, total: Option<Total>, noun: Noun) -> Markup {
    html! {
        span.page-info {
            "Page " (page)
            @if let Some(t) = total {
                @if let Some(pages) = t.pages() { " of " (grouped(pages)) }
                " · " (total_text(t, noun))
            }
        }
    }
}

/// "Previous · Page X of Y · N tasks · Next", or "N tasks" alone when one page holds them all.
/// `href(page)` builds the URL of a page with the current filters. A windowed list (no total yet)
/// asks for its total after the page is shown, from `<list path>/total?<filters>` (see
/// `paging::Totals`).
pub fn pagination<T>(p: &Paged<T>, noun: Noun, href: impl Fn(u64) -> String) -> Markup {
    paginate(p, noun, href, true)
}

/// The same for a list that has no `/total` route (short lists: a dictionary, a currency's
/// rates, the imports): "Page X" without asking for the count.
pub fn pagination_without_total<T>(p: &Paged<T>, noun: Noun, href: impl Fn(u64) -> String) -> Markup {
    paginate(p, noun, href, false)
}

fn paginate<T>(p: &Paged<T>, noun: Noun, href: impl Fn(u64) -> String, ask_total: bool) -> Markup {
    let known = p.known_total();
    html! {
        @if p.has_prev() || p.has_next() {
            nav.pagination aria-label="Pages" {
                @if p.has_prev() {
                    a.page href=(href(p.page - 1)) rel="prev" { (icon("chevron-left")) "Previous" }
                } @else {
                    span.page.disabled { (icon("chevron-left")) "Previous" }
                }
                @if known.is_some() || !ask_total {
                    (page_info(p.page, known, noun))
                } @else {
                    span.page-info hx-get=(total_url(&href(p.page))) hx-trigger="load" hx-target="this"
                        hx-swap="outerHTML" aria-live="polite" { "Page " (p.page) }
                }
                @if p.has_next() {
                    a.page href=(href(p.page + 1)) rel="next" { "Next" (icon("chevron-right")) }
                } @else {
                    span.page.disabled { "Next" (icon("chevron-right")) }
                }
            }
        } @else if let Some(t) = known.filter(|t| *t != Total::Exact(0)) {
            p.list-count { (total_text(t, noun)) }
        }
    }
}

/// `/tasks?show=all&page=2` → `/tasks/total?show=all&page=2`.
fn total_url(page_url: &str) -> String {
    match page_url.split_once('?') {
        Some((path, query)) => format!("{path}/total?{query}"),
        None => format!("{page_url}/total"),
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

/// Builds a query string from pairs, skipping empty values (one builder for every URL: `paths`).
pub use crate::paths::query;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands_and_say_more_than_past_the_cap() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(10_400), "10,400");
        assert_eq!(grouped(1_234_567), "1,234,567");
        let n = Noun("task", "tasks");
        assert_eq!(total_text(Total::Exact(1), n), "1 task");
        assert_eq!(total_text(Total::Exact(976), n), "976 tasks");
        assert_eq!(total_text(Total::MoreThan(1000), n), "more than 1,000 tasks");
    }

    #[test]
    fn the_total_is_asked_of_the_list_path_with_the_same_filters() {
        assert_eq!(total_url("/tasks?show=all&page=2"), "/tasks/total?show=all&page=2");
        assert_eq!(total_url("/memos"), "/memos/total");
    }
}
