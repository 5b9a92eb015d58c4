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
    /// Its name column (the title of links, notices and search results).
    pub title_column: &'static str,
    /// Shared parts its page has.
    pub parts: Parts,
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

/// Every kind, in menu order.
pub const KINDS: [Kind; 3] = [
    Kind {
        kind: ItemKind::Memo,
        slug: "memo",
        table: "memos",
        path: "/memos",
        label: "Memo",
        plural: "Memos",
        title_column: "name",
        parts: TASKS_SECTION,
    },
    Kind {
        kind: ItemKind::Task,
        slug: "task",
        table: "tasks",
        path: "/tasks",
        label: "Task",
        plural: "Tasks",
        title_column: "name",
        parts: TASKS_SECTION,
    },
    Kind {
        kind: ItemKind::Project,
        slug: "project",
        table: "projects",
        path: "/projects",
        label: "Project",
        plural: "Projects",
        title_column: "name",
        parts: TASKS_SECTION,
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
        assert_eq!(by_slug("deal"), None);
        assert_eq!(parse_url("/admin/users/3"), None);
    }
}
