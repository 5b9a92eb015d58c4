//! Access control: the ONE place where permission rules live.
//!
//! - `can(viewer, action, object)` answers for a single object;
//! - `require` turns a "no" into 403 (the caller has already turned "not visible" into 404);
//! - `scope(viewer, kind, query)` puts the same visibility rule into SQL for lists;
//! - `audience(object)` says who may receive live events about an object;
//! - `sections(viewer)` says which navigation sections a user may open.
//!
//! Handlers never test roles themselves. Each later domain adds its object kind here, with rows in the
//! golden table test at the bottom of this file.

use std::collections::BTreeSet;

use sea_query::{Expr, ExprTrait, SelectStatement};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A role, as in Django-CRM's groups. Stored in `user_roles.role` by its `slug`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Chief,
    DepartmentHead,
    Operator,
    SalesManager,
    TaskOperator,
    Accountant,
    CoWorker,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Chief,
        Role::DepartmentHead,
        Role::Operator,
        Role::SalesManager,
        Role::TaskOperator,
        Role::Accountant,
        Role::CoWorker,
    ];

    /// The spelling used on the command line, in forms and in the database.
    pub fn slug(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Chief => "chief",
            Role::DepartmentHead => "department-head",
            Role::Operator => "operator",
            Role::SalesManager => "sales-manager",
            Role::TaskOperator => "task-operator",
            Role::Accountant => "accountant",
            Role::CoWorker => "co-worker",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Chief => "Chief (company manager)",
            Role::DepartmentHead => "Department head",
            Role::Operator => "Operator",
            Role::SalesManager => "Sales manager",
            Role::TaskOperator => "Task operator",
            Role::Accountant => "Accountant",
            Role::CoWorker => "Co-worker",
        }
    }

    pub fn from_slug(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.slug() == s)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of roles (a bitmask: cheap to copy into every request and every SSE filter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles(u16);

impl Roles {
    pub fn of(roles: &[Role]) -> Roles {
        Roles(roles.iter().fold(0, |acc, r| acc | r.bit()))
    }
    pub fn has(self, r: Role) -> bool {
        self.0 & r.bit() != 0
    }
    pub fn insert(&mut self, r: Role) {
        self.0 |= r.bit();
    }
    pub fn intersects(self, other: Roles) -> bool {
        self.0 & other.0 != 0
    }
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.has(*r))
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The logged-in user as every handler, view and live stream sees them.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Roles,
    pub department_id: Option<i64>,
    /// CSRF token of this session, rendered into forms and htmx headers.
    pub csrf: String,
    /// Hash of the session id (the `sessions.id` row).
    pub session_id: String,
}

impl Viewer {
    pub fn is(&self, r: Role) -> bool {
        self.roles.has(r)
    }
}

/// What a user wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    List,
    View,
    Create,
    Edit,
    Delete,
}

/// The objects permission rules are written for. Later domains add their variants here.
#[derive(Clone, Copy, Debug)]
pub enum Object<'a> {
    /// A user account (`id`); administrators manage accounts, everyone may view and edit their own profile.
    User {
        id: i64,
    },
    /// The list of user accounts, or "a new user".
    Users,
    Department {
        id: i64,
    },
    Departments,
    /// The change history of an object, identified by kind and id.
    History {
        kind: &'a str,
        id: i64,
    },
    /// One in-app notification, owned by `user_id`.
    Notification {
        user_id: i64,
    },
}

/// Does `v` have the right to `action` on `obj`?
pub fn can(v: &Viewer, action: Action, obj: &Object<'_>) -> bool {
    let admin = v.is(Role::Admin);
    match *obj {
        Object::Users | Object::Departments | Object::Department { .. } => admin,
        Object::User { id } => match action {
            Action::View | Action::Edit => admin || id == v.id,
            Action::List | Action::Create => admin,
            // Accounts are deactivated, not deleted: history and ownership must keep pointing at them.
            Action::Delete => false,
        },
        Object::History { kind, id } => action == Action::View && (admin || history_visible(v, kind, id)),
        Object::Notification { user_id } => {
            matches!(action, Action::View | Action::Edit | Action::List) && user_id == v.id
        }
    }
}

/// History of users and departments is an administrators' matter; later domains extend this with
/// "whoever may view the object may view its history" (and administrators for deleted objects).
fn history_visible(_v: &Viewer, _kind: &str, _id: i64) -> bool {
    false
}

/// `can`, or 403.
pub fn require(v: &Viewer, action: Action, obj: &Object<'_>) -> Result<(), AppError> {
    if can(v, action, obj) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// The list kinds `scope` knows.
#[derive(Clone, Copy, Debug)]
pub enum ListKind {
    Users,
    Departments,
    Notifications,
}

/// Restricts `q` (whose main table is the list's table) to the rows `v` may see.
/// Returns `Err(Forbidden)` when the viewer may not see the list at all.
pub fn scope(v: &Viewer, kind: ListKind, q: &mut SelectStatement) -> Result<(), AppError> {
    match kind {
        ListKind::Users => require(v, Action::List, &Object::Users),
        ListKind::Departments => require(v, Action::List, &Object::Departments),
        ListKind::Notifications => {
            q.and_where(Expr::col(("notifications", "user_id")).eq(v.id));
            Ok(())
        }
    }
}

/// Who may receive live events about something: explicit users plus everyone holding one of `roles`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    pub users: BTreeSet<i64>,
    pub roles: Roles,
}

impl Audience {
    pub fn user(id: i64) -> Audience {
        Audience { users: BTreeSet::from([id]), roles: Roles::default() }
    }
    pub fn includes(&self, v: &Viewer) -> bool {
        self.users.contains(&v.id) || self.roles.intersects(v.roles)
    }
}

/// The audience of live events about `obj`: exactly the users `can(View)` would admit.
pub fn audience(obj: &Object<'_>) -> Audience {
    match *obj {
        Object::User { id } => Audience { users: BTreeSet::from([id]), roles: Roles::of(&[Role::Admin]) },
        Object::Users | Object::Departments | Object::Department { .. } | Object::History { .. } => {
            Audience { users: BTreeSet::new(), roles: Roles::of(&[Role::Admin]) }
        }
        Object::Notification { user_id } => Audience::user(user_id),
    }
}

/// Navigation sections. A section is listed only once it exists in the product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Admin,
}

/// The sections `v` may use, in menu order.
pub fn sections(v: &Viewer) -> Vec<Section> {
    let mut out = Vec::new();
    if v.is(Role::Admin) {
        out.push(Section::Admin);
    }
    out
}

#[cfg(test)]
pub(crate) fn viewer_with(id: i64, roles: &[Role]) -> Viewer {
    Viewer {
        id,
        username: format!("u{id}"),
        display_name: format!("User {id}"),
        roles: Roles::of(roles),
        department_id: None,
        csrf: String::new(),
        session_id: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden table: role × relationship × object × action → allowed. Relationship "self" means the
    /// object belongs to the viewer (id 1); "other" means someone else's (id 2).
    /// Later issues append their rows; a change in any answer must show up here as a diff.
    const GOLDEN: &[(&str, &str, &str, &str, bool)] = &[
        // role, relationship, object, action, allowed
        ("admin", "other", "user", "view", true),
        ("admin", "other", "user", "edit", true),
        ("admin", "other", "user", "delete", false),
        ("admin", "-", "users", "list", true),
        ("admin", "-", "users", "create", true),
        ("admin", "-", "departments", "list", true),
        ("admin", "other", "department", "edit", true),
        ("admin", "other", "history", "view", true),
        ("admin", "other", "notification", "view", false),
        ("admin", "self", "notification", "view", true),
        ("chief", "other", "user", "view", false),
        ("chief", "self", "user", "view", true),
        ("chief", "self", "user", "edit", true),
        ("chief", "-", "users", "list", false),
        ("chief", "-", "departments", "list", false),
        ("chief", "other", "history", "view", false),
        ("chief", "self", "notification", "edit", true),
        ("chief", "other", "notification", "view", false),
    ];

    fn role_set(name: &str) -> Vec<Role> {
        Role::from_slug(name).into_iter().collect()
    }

    fn object(kind: &str, rel: &str) -> Object<'static> {
        let id = if rel == "self" { 1 } else { 2 };
        match kind {
            "user" => Object::User { id },
            "users" => Object::Users,
            "department" => Object::Department { id },
            "departments" => Object::Departments,
            "history" => Object::History { kind: "user", id },
            "notification" => Object::Notification { user_id: id },
            other => unreachable!("unknown object kind {other}"),
        }
    }

    fn action(a: &str) -> Action {
        match a {
            "list" => Action::List,
            "view" => Action::View,
            "create" => Action::Create,
            "edit" => Action::Edit,
            "delete" => Action::Delete,
            other => unreachable!("unknown action {other}"),
        }
    }

    #[test]
    fn golden_table_holds() {
        let mut wrong = Vec::new();
        for &(role, rel, kind, act, allowed) in GOLDEN {
            let v = viewer_with(1, &role_set(role));
            if can(&v, action(act), &object(kind, rel)) != allowed {
                wrong.push(format!("{role} {rel} {kind} {act}: expected {allowed}"));
            }
        }
        assert!(wrong.is_empty(), "golden table mismatches:\n{}", wrong.join("\n"));
    }

    #[test]
    fn every_non_admin_role_is_denied_user_management() {
        for r in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            let v = viewer_with(1, &[r]);
            assert!(!can(&v, Action::List, &Object::Users), "{r:?}");
            assert!(!can(&v, Action::Edit, &Object::User { id: 2 }), "{r:?}");
            assert!(sections(&v).is_empty(), "{r:?}");
        }
    }

    #[test]
    fn audience_matches_view_permission() {
        let objs = [Object::User { id: 2 }, Object::Users, Object::Departments, Object::Notification { user_id: 2 }];
        for r in Role::ALL {
            for id in [1, 2] {
                let v = viewer_with(id, &[r]);
                for o in &objs {
                    let a = if matches!(o, Object::Users | Object::Departments) { Action::List } else { Action::View };
                    assert_eq!(audience(o).includes(&v), can(&v, a, o), "{r:?} {id} {o:?}");
                }
            }
        }
    }

    #[test]
    fn role_slugs_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_slug(r.slug()), Some(r));
        }
    }
}
