//! Every URL of the app's objects, built in one place: an object's page and the pages and actions
//! under it, its kind's list (with a filter's query string), the new-object form, and the route
//! patterns that serve them. The kind's part of a URL comes from its `kinds::KINDS` descriptor, so a
//! new kind gets its URLs from its row there; nothing here matches on the kind.

use std::fmt::Display;

use crate::access::ItemKind;

/// A page or action under one object's URL: `/tasks/12/edit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sub {
    Edit,
    Stage,
    Chat,
    Reminders,
    History,
    Delete,
    /// A memo's live "View task" button.
    TaskButton,
}

impl Sub {
    fn segment(self) -> &'static str {
        match self {
            Sub::Edit => "edit",
            Sub::Stage => "stage",
            Sub::Chat => "chat",
            Sub::Reminders => "reminders",
            Sub::History => "history",
            Sub::Delete => "delete",
            Sub::TaskButton => "task-button",
        }
    }
}

/// What a new object's form starts from.
#[derive(Clone, Copy, Debug)]
pub enum Start {
    /// A copy of this object of the same kind: `?copy=3`.
    Copy(i64),
    /// A subtask of this task: `?parent=3`.
    Parent(i64),
    /// Made from, or inside, an object of another kind: `?memo=3`, `?project=3` (the kind's slug).
    With(ItemKind, i64),
}

/// The list of a kind: `/tasks`.
pub fn list(kind: ItemKind) -> &'static str {
    kind.info().path
}

/// The list with a query string its filter made (`?show=all&page=2`, or empty).
pub fn list_query(kind: ItemKind, query: &str) -> String {
    format!("{}{query}", list(kind))
}

/// The list filtered by these fields, in this order (empty values are left out): a link written in
/// the code, such as the home page's "All". Only characters a URL reserves are escaped, so the link
/// reads as it was typed (`?role=to-me`).
pub fn list_with(kind: ItemKind, fields: &[(&str, &str)]) -> String {
    let enc: Vec<String> = fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, UNRESERVED_KEPT)))
        .collect();
    if enc.is_empty() { list(kind).to_string() } else { format!("{}?{}", list(kind), enc.join("&")) }
}

/// Escapes all but RFC 3986's unreserved characters.
const UNRESERVED_KEPT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The form for a new object: `/tasks/new`.
pub fn new(kind: ItemKind) -> String {
    format!("{}/new", list(kind))
}

/// The form for a new object filled from another: `/tasks/new?copy=3`.
pub fn new_from(kind: ItemKind, start: Start) -> String {
    let (key, id) = match start {
        Start::Copy(id) => ("copy", id),
        Start::Parent(id) => ("parent", id),
        Start::With(other, id) => (other.slug(), id),
    };
    format!("{}?{key}={id}", new(kind))
}

/// One object's page: `/tasks/12`.
pub fn item(kind: ItemKind, id: i64) -> String {
    at(kind, id)
}

/// The page of the object a form field names by id (a form's way back), or the kind's list when the
/// field names none.
pub fn item_named(kind: ItemKind, field: &str) -> String {
    match field.trim().parse::<i64>() {
        Ok(id) => item(kind, id),
        Err(_) => list(kind).to_string(),
    }
}

/// A page or action under one object: `/tasks/12/edit`.
pub fn sub(kind: ItemKind, id: i64, sub: Sub) -> String {
    format!("{}/{}", at(kind, id), sub.segment())
}

/// The chat messages older than message `before`.
pub fn chat_before(kind: ItemKind, id: i64, before: i64) -> String {
    format!("{}?before={before}", sub(kind, id, Sub::Chat))
}

/// The route pattern of an object's page (`/tasks/:id`), or of a page under it (`/tasks/:id/edit`).
pub fn pattern(kind: ItemKind, sub: Option<Sub>) -> String {
    let page = at(kind, ":id");
    match sub {
        Some(s) => format!("{page}/{}", s.segment()),
        None => page,
    }
}

/// The sub-routes every kind gets from the shared parts its descriptor names (chat, reminders,
/// history) and delete, which every kind has.
pub fn shared_subs(kind: ItemKind) -> Vec<Sub> {
    let parts = kind.info().parts;
    [(parts.chat, Sub::Chat), (parts.reminders, Sub::Reminders), (parts.history, Sub::History), (true, Sub::Delete)]
        .into_iter()
        .filter_map(|(has, s)| has.then_some(s))
        .collect()
}

/// A download of an attachment.
pub fn file(id: i64) -> String {
    format!("/files/{id}")
}

/// Removing an attachment from its object.
pub fn file_delete(id: i64) -> String {
    format!("/files/{id}/delete")
}

/// The viewer's reminders.
pub const REMINDERS: &str = "/reminders";

/// Turning off one of the viewer's reminders.
pub fn reminder_deactivate(id: i64) -> String {
    format!("{REMINDERS}/{id}/deactivate")
}

/// A query string from (name, value) pairs in this order, empty values left out, every character of
/// a value but letters and digits percent-encoded (filters build their lists' URLs with it):
/// `?show=all&page=2`, or "" when nothing is left.
pub fn query(pairs: &[(&str, String)]) -> String {
    let enc: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect();
    if enc.is_empty() { String::new() } else { format!("?{}", enc.join("&")) }
}

fn at(kind: ItemKind, id: impl Display) -> String {
    format!("{}/{id}", list(kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{KINDS, parse_url};

    #[test]
    fn every_kind_builds_its_urls_from_its_descriptor() {
        for k in &KINDS {
            let (kind, p) = (k.kind, k.path);
            assert_eq!(list(kind), p);
            assert_eq!(item(kind, 12), format!("{p}/12"));
            assert_eq!(parse_url(&item(kind, 12)), Some((kind, 12)), "an object's page names it");
            assert_eq!(sub(kind, 12, Sub::Edit), format!("{p}/12/edit"));
            assert_eq!(sub(kind, 12, Sub::TaskButton), format!("{p}/12/task-button"));
            assert_eq!(chat_before(kind, 12, 7), format!("{p}/12/chat?before=7"));
            assert_eq!(new_from(kind, Start::Copy(3)), format!("{p}/new?copy=3"));
            assert_eq!(pattern(kind, Some(Sub::History)), format!("{p}/:id/history"));
            assert_eq!(pattern(kind, None), format!("{p}/:id"));
        }
    }

    #[test]
    fn lists_and_forms_carry_their_query_strings() {
        assert_eq!(new_from(ItemKind::Task, Start::With(ItemKind::Memo, 4)), "/tasks/new?memo=4");
        assert_eq!(new_from(ItemKind::Task, Start::Parent(5)), "/tasks/new?parent=5");
        let home = list_with(ItemKind::Memo, &[("role", "to-me"), ("q", ""), ("stage", "pending")]);
        assert_eq!(home, "/memos?role=to-me&stage=pending");
        assert_eq!(list_with(ItemKind::Task, &[("q", "a&b c")]), "/tasks?q=a%26b%20c");
        assert_eq!(list_query(ItemKind::Project, ""), "/projects");
        assert_eq!(query(&[("q", "a b&c".into())]), "?q=a%20b%26c");
        assert_eq!(query(&[("q", String::new())]), "");
    }
}
