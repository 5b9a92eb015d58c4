//! The kinds of object the generic features work on, described once. A descriptor names a kind's
//! table, the slug it is stored under in the shared tables (participants, attachments, chat, history,
//! reminders), its URL, its labels, and which shared parts its pages have. Loading with access,
//! chat, files, reminders, history, search, live events and delete read this table instead of
//! matching on the kind; a new kind is one more row (and its own fields and rules).

use crate::access::ItemKind;

/// One kind of object.
#[derive(Debug)]
pub struct Kind {
    pub kind: ItemKind,
    /// Stored in `object_type` columns and used in event names: `task`.
    pub slug: &'static str,
    /// Its table: `tasks`.
    pub table: &'static str,
    /// Its list's path; an object is at `<path>/<id>`: `/tasks`.
    pub path: &'static str,
    /// "Task", "Tasks".
    pub label: &'static str,
    pub plural: &'static str,
    /// Its title (of links, notices and search results): an SQL expression over its columns that
    /// both backends read the same (no user input in it).
    pub title_sql: &'static str,
    /// How the viewer relates to a row (access rules, live audience).
    pub ownership: Ownership,
    /// Carries a ticket (§1.5) that emails and requests refer to.
    pub ticket: bool,
    /// Shared parts its page has.
    pub parts: Parts,
}

/// Where a kind keeps who owns a row and which department it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// The Tasks section: rows of `participants` (owner, co-owner, recipient, responsible, subscriber).
    Participants,
    /// The sales CRM: the row's `department_id` and `owner_id`, and `co_owner_id` when it has one.
    Columns { co_owner: bool },
    /// Through another row: a payment is its deal's (department, owner, co-owner), via `column`.
    Through { kind: ItemKind, column: &'static str },
}

/// Which shared parts a kind's page has.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    pub chat: bool,
    pub files: bool,
    pub history: bool,
    pub reminders: bool,
    /// Moves through stages with their own buttons (not only through its edit form).
    pub stages: bool,
}

const TASKS_SECTION: Parts = Parts { chat: true, files: true, history: true, reminders: true, stages: true };
/// Companies, contacts, leads: everything but stage buttons.
const COUNTERPARTY: Parts = Parts { stages: false, ..TASKS_SECTION };
const HISTORY_ONLY: Parts = Parts { chat: false, files: false, history: true, reminders: false, stages: false };

/// A person's name: first, middle and last, the empty ones left out.
const PERSON_NAME: &str =
    "TRIM(first_name || COALESCE(' ' || NULLIF(middle_name, ''), '') || COALESCE(' ' || NULLIF(last_name, ''), ''))";

/// Every kind, in the order of `ItemKind` (Tasks section first, then the sales CRM).
pub const KINDS: [Kind; 11] = [
    Kind {
        kind: ItemKind::Memo,
        slug: "memo",
        table: "memos",
        path: "/memos",
        label: "Memo",
        plural: "Memos",
        title_sql: "name",
        ownership: Ownership::Participants,
        ticket: false,
        parts: TASKS_SECTION,
    },
    Kind {
        kind: ItemKind::Task,
        slug: "task",
        table: "tasks",
        path: "/tasks",
        label: "Task",
        plural: "Tasks",
        title_sql: "name",
        ownership: Ownership::Participants,
        ticket: false,
        parts: TASKS_SECTION,
    },
    Kind {
        kind: ItemKind::Project,
        slug: "project",
        table: "projects",
        path: "/projects",
        label: "Project",
        plural: "Projects",
        title_sql: "name",
        ownership: Ownership::Participants,
        ticket: false,
        parts: TASKS_SECTION,
    },
    Kind {
        kind: ItemKind::Company,
        slug: "company",
        table: "companies",
        path: "/companies",
        label: "Company",
        plural: "Companies",
        title_sql: "full_name",
        ownership: Ownership::Columns { co_owner: false },
        ticket: false,
        parts: COUNTERPARTY,
    },
    Kind {
        kind: ItemKind::Contact,
        slug: "contact",
        table: "contacts",
        path: "/contacts",
        label: "Contact person",
        plural: "Contact persons",
        title_sql: PERSON_NAME,
        ownership: Ownership::Columns { co_owner: false },
        ticket: false,
        parts: COUNTERPARTY,
    },
    Kind {
        kind: ItemKind::Lead,
        slug: "lead",
        table: "leads",
        path: "/leads",
        label: "Lead",
        plural: "Leads",
        title_sql: PERSON_NAME,
        ownership: Ownership::Columns { co_owner: false },
        ticket: false,
        parts: COUNTERPARTY,
    },
    Kind {
        kind: ItemKind::Deal,
        slug: "deal",
        table: "deals",
        path: "/deals",
        label: "Deal",
        plural: "Deals",
        title_sql: "name",
        ownership: Ownership::Columns { co_owner: true },
        ticket: true,
        parts: TASKS_SECTION,
    },
    Kind {
        kind: ItemKind::Payment,
        slug: "payment",
        table: "payments",
        path: "/payments",
        label: "Payment",
        plural: "Payments",
        title_sql: "'Payment ' || CAST(payments.id AS TEXT)",
        ownership: Ownership::Through { kind: ItemKind::Deal, column: "deal_id" },
        ticket: false,
        parts: HISTORY_ONLY,
    },
    Kind {
        kind: ItemKind::Product,
        slug: "product",
        table: "products",
        path: "/products",
        label: "Product",
        plural: "Products",
        title_sql: "name",
        ownership: Ownership::Columns { co_owner: false },
        ticket: false,
        parts: Parts { files: true, ..HISTORY_ONLY },
    },
    Kind {
        kind: ItemKind::Request,
        slug: "request",
        table: "requests",
        path: "/requests",
        label: "Request",
        plural: "Requests",
        title_sql: "request_for",
        ownership: Ownership::Columns { co_owner: true },
        ticket: true,
        // The original's request page has files, chat (every CRM object's), history and reminders.
        parts: COUNTERPARTY,
    },
    Kind {
        kind: ItemKind::Email,
        slug: "email",
        table: "crm_emails",
        path: "/emails",
        label: "Email",
        plural: "Emails",
        title_sql: "CASE WHEN crm_emails.subject = '' THEN 'No subject' ELSE crm_emails.subject END",
        ownership: Ownership::Columns { co_owner: false },
        // Carries its deal's or request's ticket; it is not the thread's origin.
        ticket: false,
        // §7.1: files (attachments) and history; no chat, reminders or stages.
        parts: Parts { files: true, ..HISTORY_ONLY },
    },
];

impl ItemKind {
    /// This kind's descriptor.
    pub fn info(self) -> &'static Kind {
        // KINDS is in the order of the enum (a test checks it).
        &KINDS[self as usize]
    }
}

/// The kind stored under `slug` (`task`).
pub fn by_slug(slug: &str) -> Option<ItemKind> {
    KINDS.iter().find(|k| k.slug == slug).map(|k| k.kind)
}

/// The kind whose list is at `/<segment>` (`tasks`).
pub fn by_path_segment(segment: &str) -> Option<ItemKind> {
    KINDS.iter().find(|k| k.path.strip_prefix('/') == Some(segment)).map(|k| k.kind)
}

/// The object a page URL names (`/tasks/12?x#y` → task 12), if it names one: nothing after the id.
pub fn parse_url(url: &str) -> Option<(ItemKind, i64)> {
    let mut segs = url.split(['?', '#']).next()?.trim_start_matches('/').split('/');
    let kind = by_path_segment(segs.next()?)?;
    let id = segs.next()?.parse().ok()?;
    segs.next().is_none().then_some((kind, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_finds_its_descriptor_and_round_trips_through_slug_path_and_url() {
        for k in &KINDS {
            assert_eq!(k.kind.info().kind, k.kind, "KINDS is in the enum's order");
            assert_eq!(by_slug(k.slug), Some(k.kind));
            assert_eq!(k.kind.slug(), k.slug);
            assert_eq!(parse_url(&format!("{}/42", k.path)), Some((k.kind, 42)));
            assert_eq!(parse_url(&format!("{}/42?page=2#chat", k.path)), Some((k.kind, 42)));
            assert_eq!(parse_url(&format!("{}/42/edit", k.path)), None);
            assert_eq!(parse_url(k.path), None);
        }
        let slugs: std::collections::BTreeSet<_> = KINDS.iter().map(|k| k.slug).collect();
        assert_eq!(slugs.len(), KINDS.len(), "slugs are unique");
        assert_eq!(by_slug("requests"), None);
        assert_eq!(parse_url("/admin/users/3"), None);
    }
}
