//! The people picker: a combobox that searches `GET /people` as the user types, with the chosen
//! people as chips. Each chip carries a hidden `<input name=… value=ID>`, so a form posts exactly
//! what a `<select>` of users posted; without JavaScript the chosen chips are still sent.
//! Behaviour lives in `assets/picker.js`.

use maud::{Markup, Render, html};

use crate::error::FormErrors;
use crate::users::repo::Choice;

/// One picker. `name` is both the form field and the `field` the endpoint is asked for.
pub struct Picker<'a> {
    pub name: &'static str,
    pub label: &'a str,
    /// The chosen people (id, label), in order.
    pub chosen: Vec<(i64, String)>,
    pub multiple: bool,
    pub errors: &'a FormErrors,
    /// The main task of a subtask: its responsible are the only people offered.
    pub parent: Option<&'a str>,
    /// A filter bar: the label is for screen readers only, and there is no help line.
    pub compact: bool,
    pub placeholder: Option<&'a str>,
    /// Marked with * like other required fields (the server checks it).
    pub required: bool,
    /// Where it searches, when not people (`/companies/pick?field=company_id`), and what it finds.
    pub source: Option<(String, &'a str)>,
}

impl<'a> Picker<'a> {
    /// A picker whose chosen people are `ids`, labelled from `users` (the active users; anyone else
    /// is left out, as a `<select>` of active users left them out).
    pub fn new(
        name: &'static str,
        label: &'a str,
        users: &[(i64, String)],
        ids: &[i64],
        multiple: bool,
        errors: &'a FormErrors,
    ) -> Picker<'a> {
        let chosen = ids.iter().filter_map(|id| users.iter().find(|(u, _)| u == id).cloned()).collect();
        Picker {
            name,
            label,
            chosen,
            multiple,
            errors,
            parent: None,
            compact: false,
            placeholder: None,
            required: false,
            source: None,
        }
    }
    /// A picker of other things than people: `chosen` (id, label), searched at `src`, `noun` in its
    /// help ("company").
    pub fn objects(
        name: &'static str,
        label: &'a str,
        chosen: Option<(i64, String)>,
        src: String,
        noun: &'a str,
        errors: &'a FormErrors,
    ) -> Picker<'a> {
        Picker {
            chosen: chosen.into_iter().collect(),
            source: Some((src, noun)),
            ..Picker::new(name, label, &[], &[], false, errors)
        }
    }
    pub fn parent(mut self, parent: Option<&'a str>) -> Self {
        self.parent = parent.filter(|p| !p.is_empty());
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn compact(mut self, placeholder: &'a str) -> Self {
        self.compact = true;
        self.placeholder = Some(placeholder);
        self
    }
}

/// Ids from form strings (unparsable ones dropped).
pub fn ids(raw: &[String]) -> Vec<i64> {
    raw.iter().filter_map(|s| s.trim().parse().ok()).collect()
}

impl Render for Picker<'_> {
    fn render(&self) -> Markup {
        let name = self.name;
        let id = format!("f-{name}");
        let err = self.errors.get(name);
        let help_id = format!("{id}-help");
        let err_id = format!("{id}-error");
        let described = match (self.compact, err.is_some()) {
            (true, false) => None,
            (true, true) => Some(err_id.clone()),
            (false, false) => Some(help_id.clone()),
            (false, true) => Some(format!("{help_id} {err_id}")),
        };
        let mut src = match &self.source {
            Some((src, _)) => src.clone(),
            None => format!("/people?field={name}"),
        };
        if let Some(p) = self.parent {
            src.push_str(&format!("&parent={}", p.trim()));
        }
        let noun = self.source.as_ref().map_or("person", |(_, n)| *n);
        let placeholder =
            self.placeholder.unwrap_or(if self.multiple { "Type a name to add…" } else { "Type a name…" });
        html! {
            div.field.picker-field.compact[self.compact].has-error[err.is_some()] {
                label.sr-only[self.compact] id=(format!("{id}-label")) for=(id) {
                    (self.label) @if self.required { span.muted { " *" } }
                }
                div.picker id=(format!("{id}-picker")) data-name=(name) data-src=(src) data-multiple=(if self.multiple { "true" } else { "false" }) {
                    ul.picker-chips aria-label=(format!("{}: chosen", self.label)) {
                        @for (uid, label) in &self.chosen { (chip(name, *uid, label)) }
                    }
                    input.picker-input id=(id) type="text" role="combobox" autocomplete="off" spellcheck="false"
                        aria-autocomplete="list" aria-expanded="false" aria-controls=(format!("{id}-list"))
                        placeholder=(placeholder) aria-invalid=[err.map(|_| "true")] aria-describedby=[described];
                    ul.picker-list id=(format!("{id}-list")) role="listbox" aria-labelledby=(format!("{id}-label")) hidden {}
                    span.sr-only.picker-status aria-live="polite" {}
                }
                @if !self.compact {
                    p.help id=(help_id) {
                        @if self.multiple { "Type to search. Enter adds the highlighted " (noun) "; Backspace removes the last one." }
                        @else { "Type to search. Enter chooses the highlighted " (noun) "." }
                    }
                }
                @if let Some(e) = err { p.field-error id=(err_id) { (e) } }
            }
        }
    }
}

/// A chosen person (the same markup `picker.js` builds).
fn chip(name: &str, id: i64, label: &str) -> Markup {
    html! {
        li.chip {
            span.chip-label title=(label) { (label) }
            input type="hidden" name=(name) value=(id);
            button.chip-remove type="button" aria-label=(format!("Remove {label}")) { "×" }
        }
    }
}

/// The options an object picker's search answers with: (id, name, a detail such as the city).
pub fn object_options(found: &[(i64, String, String)], noun: &str) -> Markup {
    html! {
        @for (id, name, detail) in found {
            li.picker-option role="option" aria-selected="false" data-id=(id) data-label=(name) {
                span.picker-name { (name) }
                @if !detail.is_empty() { " " span.picker-username { (detail) } }
            }
        }
        @if found.is_empty() { li.picker-empty role="presentation" { "No " (noun) " matches." } }
    }
}

/// The options `GET /people` answers with (the picker puts them into its listbox).
pub fn options(people: &[Choice]) -> Markup {
    html! {
        @for p in people {
            li.picker-option role="option" aria-selected="false" data-id=(p.id) data-label=(p.label()) {
                span.picker-name { (p.name()) }
                " "
                span.picker-username { (p.username) }
            }
        }
        @if people.is_empty() { li.picker-empty role="presentation" { "No one matches." } }
    }
}
