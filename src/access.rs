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
use crate::participants::{self, PRole};

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
    pub fn remove(&mut self, r: Role) {
        self.0 &= !r.bit();
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
    /// Every department the user works in: their own first, then the others an operator serves
    /// (`user_departments`). The CRM shows a user these departments' rows (§3.2).
    pub departments: Vec<i64>,
    /// CSRF token of this session, rendered into forms and htmx headers.
    pub csrf: String,
    /// Hash of the session id (the `sessions.id` row).
    pub session_id: String,
    /// Where the user lives: every time is shown and typed in this zone (`crate::time`).
    pub tz: chrono_tz::Tz,
}

impl Viewer {
    pub fn is(&self, r: Role) -> bool {
        self.roles.has(r)
    }
    /// Works in department `d`.
    pub fn works_in(&self, d: i64) -> bool {
        self.departments.contains(&d)
    }
    /// An operator of several departments (§3.1: the original's "superoperators").
    pub fn is_superoperator(&self) -> bool {
        self.is(Role::Operator) && self.departments.len() > 1
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
    /// Move a memo through its stages, or set a task's/project's stage.
    ChangeStage,
    /// Post in the object's chat.
    Chat,
    /// Create a subtask under a task.
    CreateSubtask,
    /// Create a task or project from a memo.
    CreateFromMemo,
    /// Change who is responsible for a task or project, and its co-owner (§3.3: owner, co-owner,
    /// task operator, administrator; a chief or the single responsible may edit the rest).
    AssignPeople,
    /// "Completed" (§14.1): a responsible marks their part of a task done — the task itself when
    /// they are its only responsible, a done subtask of their own in a team task.
    Complete,
}

/// The kinds of object the shared parts (access, chat, files, history, reminders, live events) work
/// on: the three of the Tasks section, then the sales CRM's. Their descriptors are `kinds::KINDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ItemKind {
    Memo,
    Task,
    Project,
    Company,
    Contact,
    Lead,
    Deal,
    Payment,
    Product,
    /// A customer inquiry (§2.2 Request, §6): web form, email or phone; processed into a deal.
    Request,
    /// A letter in the CRM (§2.2 CrmEmail, §7): composed here, or received or imported.
    Email,
}

impl ItemKind {
    /// Memos, tasks and projects: visibility through participants. The others are the sales CRM's,
    /// scoped by department and owned through their own columns.
    pub fn is_tasks_section(self) -> bool {
        matches!(self, ItemKind::Memo | ItemKind::Task | ItemKind::Project)
    }
    pub fn slug(self) -> &'static str {
        self.info().slug
    }
    pub fn from_slug(s: &str) -> Option<ItemKind> {
        crate::kinds::by_slug(s)
    }
    pub fn label(self) -> &'static str {
        self.info().label
    }
}

/// A viewer's relationships to an object: a set of participant roles. For the CRM's kinds only
/// owner and co-owner (their `owner_id` / `co_owner_id` columns; a payment's are its deal's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rel(u8);

impl Rel {
    pub fn of(roles: &[PRole]) -> Rel {
        let mut r = Rel::default();
        for x in roles {
            r.insert(*x);
        }
        r
    }
    pub fn insert(&mut self, r: PRole) {
        self.0 |= 1 << (r as u8);
    }
    pub fn has(self, r: PRole) -> bool {
        self.0 & (1 << (r as u8)) != 0
    }
    /// Takes part in any role.
    pub fn any(self) -> bool {
        self.0 != 0
    }
}

/// What the rules need to know about one object and the viewer's place in it.
#[derive(Clone, Copy, Debug)]
pub struct Item {
    pub kind: ItemKind,
    pub rel: Rel,
    /// The CRM's kinds: the department the object belongs to (a payment: its deal's). A new object
    /// (Action::Create): the department it is made in.
    pub department: Option<i64>,
    /// A memo saved as a draft.
    pub draft: bool,
    /// A memo that was considered: its content is final. An email that was received or imported
    /// (`incoming`, or an IMAP `uid`): read-only (§3.3).
    pub locked: bool,
    /// A task with several responsible users.
    pub team: bool,
    /// A subtask (it cannot have subtasks of its own).
    pub subtask: bool,
    /// The viewer takes part in the task's main task or in one of its subtasks (inventory §3.3:
    /// "participants can see subtasks of other participants"). Emails: the viewer owns or co-owns
    /// the email's deal (§3.3: such a manager may edit an email he does not own).
    pub related: bool,
}

impl Item {
    /// A CRM row as the rules see it from its owner, co-owner and department (a deal on the board
    /// or the Shipments list, read without its participants).
    pub fn owned(v: &Viewer, kind: ItemKind, owner: Option<i64>, co_owner: Option<i64>, department: i64) -> Item {
        let mut rel = Rel::default();
        if owner == Some(v.id) {
            rel.insert(crate::participants::PRole::Owner);
        }
        if co_owner == Some(v.id) {
            rel.insert(crate::participants::PRole::CoOwner);
        }
        Item {
            kind,
            rel,
            department: Some(department),
            draft: false,
            locked: false,
            team: false,
            subtask: false,
            related: false,
        }
    }
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
    /// A memo, task or project.
    Item(Item),
    /// A reminder, owned by `owner`.
    Reminder {
        owner: i64,
    },
    /// A mail account (SMTP/IMAP settings and password) of `owner`; `MailAccount { owner: v.id }`
    /// asks about the viewer's own (the list, a new one).
    MailAccount {
        owner: i64,
    },
    /// An email signature of user `owner` (`Signatures` with the viewer's own id: their list).
    Signature {
        owner: i64,
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
            _ => false,
        },
        Object::History { kind, id } => action == Action::View && (admin || history_visible(v, kind, id)),
        Object::Notification { user_id } => {
            matches!(action, Action::View | Action::Edit | Action::List) && user_id == v.id
        }
        Object::Reminder { owner } => {
            matches!(action, Action::View | Action::Edit | Action::Delete | Action::List) && owner == v.id
        }
        Object::Item(item) => can_item(v, action, &item),
        // §3.3 "Email accounts: view only own (superuser all)": the owner manages their accounts,
        // administrators everyone's. The co-owner does not see them (they hold a password); it may
        // only run the account's import (`runs_mail_import`).
        Object::MailAccount { owner } => {
            matches!(action, Action::List | Action::View | Action::Create | Action::Edit | Action::Delete)
                && (owner == v.id || admin)
        }
        // §3.1 Signature: who writes emails (sales managers, operators; administrators) keeps
        // signatures, each person only their own, administrators included.
        Object::Signature { owner } => {
            owner == v.id && (admin || v.is(Role::SalesManager) || v.is(Role::Operator)) && action != Action::Chat
        }
    }
}

/// Picks another user as a mail account's owner, and filters the accounts list by owner.
pub fn manages_all_mail_accounts(v: &Viewer) -> bool {
    v.is(Role::Admin)
}

/// May start the IMAP import of an account owned by `owner` with co-owner `co_owner` (§7.2: the
/// owner or the co-owner; administrators too).
pub fn runs_mail_import(v: &Viewer, owner: i64, co_owner: Option<i64>) -> bool {
    owner == v.id || co_owner == Some(v.id) || v.is(Role::Admin)
}

/// Sees every memo, task and project that is not somebody else's draft.
fn sees_all_items(v: &Viewer) -> bool {
    v.is(Role::Chief) || v.is(Role::TaskOperator) || v.is(Role::Admin)
}

/// The rules of the object's section.
fn can_item(v: &Viewer, action: Action, it: &Item) -> bool {
    if it.kind.is_tasks_section() { can_task_item(v, action, it) } else { can_crm(v, action, it) }
}

/// Works with `kind` at all (the static permissions of §3.1: the lists a role opens).
/// Companies, contacts, leads, products and deals: sales managers, operators, chiefs. Payments: sales
/// managers, chiefs, accountants. Administrators: everything.
pub fn reads_crm(v: &Viewer, kind: ItemKind) -> bool {
    let role = |r| v.is(r);
    role(Role::Admin)
        || match kind {
            ItemKind::Company | ItemKind::Contact | ItemKind::Lead | ItemKind::Product | ItemKind::Deal => {
                role(Role::SalesManager) || role(Role::Operator) || role(Role::Chief)
            }
            ItemKind::Payment => role(Role::SalesManager) || role(Role::Chief) || role(Role::Accountant),
            // §3.1: managers add, change, view; operators everything; chiefs view.
            ItemKind::Request => role(Role::SalesManager) || role(Role::Operator) || role(Role::Chief),
            // §3.1 CrmEmail: managers and operators everything, chiefs view.
            ItemKind::Email => role(Role::SalesManager) || role(Role::Operator) || role(Role::Chief),
            ItemKind::Memo | ItemKind::Task | ItemKind::Project => false,
        }
}

/// §3.2/§10: a search of companies looks in every department. Whoever reads companies but sees only
/// their own departments' rows is shown, for a matching company of another department, its name,
/// department and owner only: no link, no page, no field more (`can(View)` still denies it, so its
/// page, chat, files and events stay closed). The one addition to what `scope` lets a list show.
pub fn crm_search_crosses_departments(v: &Viewer, kind: ItemKind) -> bool {
    kind == ItemKind::Company && reads_crm(v, kind) && !crm_sees_all_departments(v, kind)
}

/// Sees `kind`'s rows of every department (§3.2: superusers, chiefs; accountants for payments).
/// Everyone else who reads the kind sees the rows of the departments they work in.
pub fn crm_sees_all_departments(v: &Viewer, kind: ItemKind) -> bool {
    v.is(Role::Admin) || v.is(Role::Chief) || (kind == ItemKind::Payment && v.is(Role::Accountant))
}

/// The sales CRM's rules (§3.1 static permissions, §3.2 department scoping, §3.3 object rules).
/// Visible: the kind is the viewer's (`reads_crm`) and the row is in a department they work in,
/// or they see every department. Changing a company, contact, lead or deal: its owner or
/// co-owner, an operator of its department, a superoperator, a chief (deals only: chiefs have
/// view-only rights on the rest, and edit a deal's few fields open to them) or an administrator.
fn can_crm(v: &Viewer, action: Action, it: &Item) -> bool {
    use ItemKind::*;
    let admin = v.is(Role::Admin);
    let chief = v.is(Role::Chief);
    let manager = v.is(Role::SalesManager);
    let operator = v.is(Role::Operator);
    let here = it.department.is_some_and(|d| v.works_in(d));
    if !(reads_crm(v, it.kind) && (here || crm_sees_all_departments(v, it.kind))) {
        return false;
    }
    // What the kind does not have, nobody does (a payment has no chat, only deals have stages).
    let parts = it.kind.info().parts;
    if (action == Action::Chat && !parts.chat) || (action == Action::ChangeStage && !parts.stages) {
        return false;
    }
    // §3.3: a received or imported email is what its sender wrote; nobody changes it (it may
    // still be deleted by whoever may delete it).
    if it.kind == Email && it.locked && action == Action::Edit {
        return false;
    }
    if admin {
        return true;
    }
    let mine = it.rel.has(PRole::Owner) || it.rel.has(PRole::CoOwner);
    // §3.3 (clarify_permission): the object rule for change and delete.
    let object_rule = mine || chief || v.is_superoperator() || (operator && here);
    match (it.kind, action) {
        (_, Action::View | Action::List | Action::Chat) => true,
        (Company | Contact | Lead, Action::Create) => manager || operator,
        (Company | Contact | Lead, Action::Edit | Action::Delete) => (manager || operator) && object_rule,
        // Products have no owner: the department's managers and operators keep them.
        (Product, Action::Create | Action::Edit | Action::Delete) => (manager || operator) && here,
        // The original adds deals only from requests; managers also start one from a company,
        // contact or lead (issue 8), operators when they process a request.
        (Deal, Action::Create) => manager || operator,
        (Deal, Action::Edit) => (manager || operator || chief) && object_rule,
        // A chief's deal fields are read-only but for importance, next step, reminders and
        // co-owner (§3.3): the stage and closing reason among the read-only ones.
        (Deal, Action::ChangeStage) => (manager || operator) && object_rule,
        (Deal, Action::Delete) => (manager || operator) && object_rule,
        // Payments (§3.3): a manager adds and changes the payments of deals they own or co-own;
        // accountants change any (their static rights are change and view).
        (Payment, Action::Create | Action::Delete) => manager && mine,
        (Payment, Action::Edit) => (manager && mine) || v.is(Role::Accountant),
        // Requests (§3.1): managers add, change and view but never delete; operators all four;
        // chiefs only view (being a chief counts in the object rule of §3.3 only for a chief who
        // is also a manager or an operator, as in the original).
        (Request, Action::Create) => manager || operator,
        (Request, Action::Edit) => (manager || operator) && object_rule,
        (Request, Action::Delete) => operator && object_rule,
        // Emails (§3.1, §3.3): managers and operators under the object rule; a manager who owns or
        // co-owns the email's deal too (the original's quirk that this also opened received
        // emails is not kept: `locked` above).
        (Email, Action::Create) => manager || operator,
        (Email, Action::Edit | Action::Delete) => (manager || operator) && (object_rule || (manager && it.related)),
        _ => false,
    }
}

/// The Tasks-section rules. Participants in any role, chiefs, task operators and administrators see
/// an object; a draft memo only its owner and administrators. Task operators may edit other users'
/// objects. A considered memo is locked: no edit, no delete, no stage change (but chat and "create a
/// task from it" stay open to the recipient).
fn can_task_item(v: &Viewer, action: Action, it: &Item) -> bool {
    let admin = v.is(Role::Admin);
    let operator = v.is(Role::TaskOperator);
    let r = it.rel;
    let chief = v.is(Role::Chief);
    let visible = if it.draft { r.has(PRole::Owner) || admin } else { r.any() || it.related || sees_all_items(v) };
    if !visible {
        return false;
    }
    let owners = r.has(PRole::Owner) || r.has(PRole::CoOwner);
    // Tasks and projects (§3.3): owner, co-owner, chief, task operator, administrator, or the single
    // responsible of a task or project that has exactly one.
    let changes = owners || chief || operator || admin || (r.has(PRole::Responsible) && !it.team);
    match (it.kind, action) {
        (_, Action::View | Action::List | Action::Create) => true,
        (_, Action::Chat) => !it.draft,
        (ItemKind::Memo, Action::Edit) => !it.locked && (r.has(PRole::Owner) || chief || operator || admin),
        (ItemKind::Memo, Action::Delete) => (!it.locked && r.has(PRole::Owner)) || operator || admin,
        (ItemKind::Memo, Action::ChangeStage) => {
            !it.draft && !it.locked && (r.has(PRole::Recipient) || chief || operator || admin)
        }
        (ItemKind::Memo, Action::CreateFromMemo) => !it.draft && (r.has(PRole::Recipient) || operator || admin),
        (ItemKind::Memo, Action::CreateSubtask | Action::AssignPeople) => false,
        (_, Action::Edit | Action::ChangeStage) => changes,
        (_, Action::Delete) => owners || chief || operator || admin,
        (_, Action::AssignPeople) => owners || operator || admin,
        (ItemKind::Task, Action::CreateSubtask) => !it.subtask && (changes || r.has(PRole::Responsible)),
        (ItemKind::Project, Action::CreateSubtask) => changes || r.has(PRole::Responsible),
        // Only one's own part: being a chief or an owner does not complete someone else's work.
        (ItemKind::Task, Action::Complete) => r.has(PRole::Responsible),
        (_, Action::Complete) => false,
        (_, Action::CreateFromMemo) => false,
        (_, Action::CreateSubtask) => false,
    }
}

/// History of users and departments is an administrators' matter; later domains extend this with
/// "whoever may view the object may view its history" (and administrators for deleted objects).
fn history_visible(_v: &Viewer, _kind: &str, _id: i64) -> bool {
    false
}

/// The administrators' area (every `/admin/...` route, any method). Anyone else gets 404, the answer
/// of a page that does not exist: the area does not reveal itself, and nothing in it runs.
pub fn require_admin_area(v: &Viewer) -> Result<(), AppError> {
    if v.is(Role::Admin) { Ok(()) } else { Err(AppError::NotFound) }
}

/// Keeps the intake lists operators share with administrators (inventory §3: PublicEmailDomain and
/// StopPhrase, operators add, change, delete, view; "also on the CRM site for operators"): the stop
/// phrases and public email domains at `/requests/…`. Administrators; operators. Banned company
/// names stay in the administrators' area (`require_admin_area`).
pub fn manages_intake_lists(v: &Viewer) -> bool {
    v.is(Role::Admin) || v.is(Role::Operator)
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
    Memos,
    Tasks,
    Projects,
    /// Projects the viewer may add tasks to (the SQL form of `CreateSubtask` on a project).
    ProjectsToAddTasks,
    Reminders,
    /// A sales CRM kind's list (companies, contacts, leads, deals, payments, products).
    Crm(ItemKind),
    /// Line items with a contract shipping date (§13.6), joined to their deal as `deals`.
    Shipments,
    /// Mail accounts: the viewer's own; an administrator's list shows everyone's.
    MailAccounts,
}

impl ListKind {
    /// The list of objects of `kind`.
    pub fn of(kind: ItemKind) -> ListKind {
        match kind {
            ItemKind::Memo => ListKind::Memos,
            ItemKind::Task => ListKind::Tasks,
            ItemKind::Project => ListKind::Projects,
            k => ListKind::Crm(k),
        }
    }
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
        ListKind::Reminders => {
            q.and_where(Expr::col(("reminders", "owner_id")).eq(v.id));
            Ok(())
        }
        ListKind::MailAccounts => {
            if !manages_all_mail_accounts(v) {
                q.and_where(Expr::col(("mail_accounts", "owner_id")).eq(v.id));
            }
            Ok(())
        }
        ListKind::Memos => {
            // Drafts: their owner and administrators only (the same rule as `can_item`).
            if !v.is(Role::Admin) {
                q.and_where(Expr::col(("memos", "draft")).eq(false).or(Expr::col(("memos", "owner_id")).eq(v.id)));
            }
            if !sees_all_items(v) {
                q.and_where(participants::involving(ItemKind::Memo, ("memos", "id"), v.id, &[]));
            }
            Ok(())
        }
        ListKind::Tasks => {
            if !sees_all_items(v) {
                q.and_where(
                    participants::involving(ItemKind::Task, ("tasks", "id"), v.id, &[])
                        .or(participants::family_involving(v.id)),
                );
            }
            Ok(())
        }
        ListKind::Projects => {
            if !sees_all_items(v) {
                q.and_where(participants::involving(ItemKind::Project, ("projects", "id"), v.id, &[]));
            }
            Ok(())
        }
        ListKind::Crm(kind) => {
            // The visibility test of `can_crm`, in SQL: the same two helpers decide.
            if !reads_crm(v, kind) {
                return Err(AppError::Forbidden);
            }
            if !crm_sees_all_departments(v, kind) {
                q.and_where(crm_in_departments(kind, &v.departments, false));
            }
            Ok(())
        }
        ListKind::Shipments => {
            if !reads_shipments(v) {
                return Err(AppError::Forbidden);
            }
            if !shipments_everywhere(v) {
                q.and_where(crm_in_departments(ItemKind::Deal, &v.departments, false));
            }
            Ok(())
        }
        ListKind::ProjectsToAddTasks => {
            if !(v.is(Role::TaskOperator) || v.is(Role::Admin)) {
                let roles = [PRole::Owner, PRole::CoOwner, PRole::Responsible];
                q.and_where(participants::involving(ItemKind::Project, ("projects", "id"), v.id, &roles));
            }
            Ok(())
        }
    }
}

/// `scope` for a query that another condition narrows far better than the department does (a
/// page's 50 companies' deals): the same rule, written so that SQLite's planner does not pick the
/// department's index for it (`department_id + 0`, which PostgreSQL reads the same way).
pub fn scope_as_filter(v: &Viewer, list: ListKind, q: &mut sea_query::SelectStatement) -> Result<(), AppError> {
    match list {
        ListKind::Crm(kind) => {
            if !reads_crm(v, kind) {
                return Err(AppError::Forbidden);
            }
            if !crm_sees_all_departments(v, kind) {
                q.and_where(crm_in_departments(kind, &v.departments, true));
            }
            Ok(())
        }
        _ => scope(v, list, q),
    }
}

/// "The row belongs to one of `departments`", for the list of `kind` (a payment's department is
/// its deal's, copied onto it by the database: migration 16).
/// `filter_only`: as `department_id + 0`, which no index serves (see `scope_as_filter`).
fn crm_in_departments(kind: ItemKind, departments: &[i64], filter_only: bool) -> sea_query::SimpleExpr {
    let table = kind.info().table;
    if departments.is_empty() {
        return Expr::val(false);
    }
    let ids = departments.iter().copied();
    if filter_only {
        Expr::col((table, "department_id")).add(0).is_in(ids)
    } else {
        Expr::col((table, "department_id")).is_in(ids)
    }
}

/// Who may receive live events about something: explicit users plus everyone holding one of `roles`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    pub users: BTreeSet<i64>,
    pub roles: Roles,
    /// Everyone holding one of these roles who works in this department (the CRM's rows).
    #[serde(default)]
    pub department: Option<(i64, Roles)>,
}

impl Audience {
    pub fn user(id: i64) -> Audience {
        Audience { users: BTreeSet::from([id]), ..Audience::default() }
    }
    /// Everyone holding one of `roles`.
    pub fn roles(roles: &[Role]) -> Audience {
        Audience { roles: Roles::of(roles), ..Audience::default() }
    }
    pub fn includes(&self, v: &Viewer) -> bool {
        self.users.contains(&v.id)
            || self.roles.intersects(v.roles)
            || self.department.is_some_and(|(d, roles)| v.works_in(d) && roles.intersects(v.roles))
    }
}

/// The audience of live events about `obj`: exactly the users `can(View)` would admit.
pub fn audience(obj: &Object<'_>) -> Audience {
    match *obj {
        Object::User { id } => Audience { users: BTreeSet::from([id]), ..Audience::roles(&[Role::Admin]) },
        Object::Users | Object::Departments | Object::Department { .. } | Object::History { .. } => {
            Audience::roles(&[Role::Admin])
        }
        Object::Notification { user_id } => Audience::user(user_id),
        Object::Reminder { owner } | Object::Signature { owner } => Audience::user(owner),
        Object::MailAccount { owner } => Audience { users: BTreeSet::from([owner]), ..Audience::roles(&[Role::Admin]) },
        // Items need their participant list: use `item_audience`.
        Object::Item(_) => Audience::roles(&[Role::Admin]),
    }
}

/// Who may receive live events about a CRM object of `kind` in `department`: exactly whom `can_crm`
/// lets view it (the readers of the kind who see every department, and the others who work in it).
pub fn crm_audience(kind: ItemKind, department: i64) -> Audience {
    let readers: Vec<Role> = Role::ALL.into_iter().filter(|r| reads_crm(&role_probe(*r, department), kind)).collect();
    let (everywhere, local): (Vec<Role>, Vec<Role>) =
        readers.into_iter().partition(|r| crm_sees_all_departments(&role_probe(*r, department), kind));
    Audience {
        users: BTreeSet::new(),
        roles: Roles::of(&everywhere),
        department: Some((department, Roles::of(&local))),
    }
}

/// A viewer holding only `role`, working in `department` (to ask the rules about a role).
fn role_probe(role: Role, department: i64) -> Viewer {
    Viewer {
        id: 0,
        username: String::new(),
        display_name: String::new(),
        roles: Roles::of(&[role]),
        department_id: Some(department),
        departments: vec![department],
        csrf: String::new(),
        session_id: String::new(),
        tz: chrono_tz::Tz::UTC,
    }
}

/// Who may receive live events about a memo, task or project: its participants, plus chiefs, task
/// operators and administrators; for a draft only its owner and administrators (as `can_item`).
pub fn item_audience(parts: &participants::Parts, draft: bool) -> Audience {
    if draft {
        return Audience { users: parts.users(PRole::Owner).into_iter().collect(), ..Audience::roles(&[Role::Admin]) };
    }
    Audience { users: parts.everyone(), ..Audience::roles(&[Role::Chief, Role::TaskOperator, Role::Admin]) }
}

/// Navigation sections. A section is listed only once it exists in the product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Tasks,
    /// The sales CRM: its lists the viewer reads (`reads_crm`).
    Crm,
    Admin,
}

/// The sections `v` may use, in menu order.
pub fn sections(v: &Viewer) -> Vec<Section> {
    // Everyone works with memos, tasks and projects (Django-CRM's "co-workers": every user).
    let mut out = vec![Section::Tasks];
    if crate::kinds::KINDS.iter().any(|k| !k.kind.is_tasks_section() && reads_crm(v, k.kind)) || reads_shipments(v) {
        out.push(Section::Crm);
    }
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
        departments: Vec::new(),
        csrf: String::new(),
        session_id: String::new(),
        tz: chrono_tz::Tz::UTC,
    }
}

#[path = "access_sales.rs"]
mod sales;
pub use sales::*;

#[path = "access_analytics.rs"]
mod analytics;
pub use analytics::*;
#[path = "access_tasks.rs"]
mod tasks_rules;
pub use tasks_rules::*;

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
