//! The static permissions of the sales CRM's side parts (§3.1): shipments, currencies, quality
//! events, dictionaries, owner and user transfers, Excel imports. The object rules (§3.2–3.3) stay
//! in `access` (`can`, `scope`); these say which roles reach a part at all.

use super::{Action, Item, Object, Role, Viewer, can};

/// The Shipments list (§3.1 Shipment, §13.6): sales managers (view and change), chiefs and task
/// operators (view), administrators. Rows are deals' line items with a contract shipping date,
/// scoped by their deal's department (`scope(ListKind::Shipments)`): see `shipments_everywhere`;
/// the others see the departments they work in.
pub fn reads_shipments(v: &Viewer) -> bool {
    v.is(Role::Admin) || v.is(Role::SalesManager) || v.is(Role::Chief) || v.is(Role::TaskOperator)
}

/// Sees the shipments of every department: administrators, chiefs, and a task operator (a
/// storekeeper) who works in no department (§3.2 narrows only users who have one).
pub fn shipments_everywhere(v: &Viewer) -> bool {
    v.is(Role::Admin) || v.is(Role::Chief) || (v.is(Role::TaskOperator) && v.departments.is_empty())
}

/// Changing a shipment (its actual shipping date): a sales manager or an administrator who may
/// change its deal (§3.1: only managers have Shipment change; §3.3's object rule through the deal).
pub fn changes_shipment(v: &Viewer, deal: &Item) -> bool {
    (v.is(Role::Admin) || v.is(Role::SalesManager)) && can(v, Action::Edit, &Object::Item(*deal))
}

/// Currencies and their dated exchange rates (§3.1 Currency, §13.7). `List`/`View`: administrators,
/// sales managers and accountants. `Create` (a currency, a dated rate): administrators and
/// accountants, who keep payments and currencies (§3.1's role descriptions). `Edit` (which currency
/// is the state and which the marketing currency): administrators.
pub fn can_currencies(v: &Viewer, action: Action) -> bool {
    let admin = v.is(Role::Admin);
    match action {
        Action::List | Action::View => admin || v.is(Role::SalesManager) || v.is(Role::Accountant),
        Action::Create => admin || v.is(Role::Accountant),
        Action::Edit => admin,
        _ => false,
    }
}

/// Transaction-quality events and signals (§3.1 "TransactionQualityEvent/Signal": managers add,
/// change, delete and view; chiefs view events). The static part only: an event is read with its
/// deal (`can(View)` on the deal) and written by whoever may change the deal's line items
/// (`crm::lines::can_change`), so the deal's object rules (§3.3) apply to its events too.
pub fn can_quality(v: &Viewer, action: Action) -> bool {
    let writer = v.is(Role::Admin) || v.is(Role::SalesManager);
    match action {
        Action::List | Action::View => writer || v.is(Role::Chief),
        Action::Create | Action::Edit | Action::Delete => writer,
        _ => false,
    }
}

/// Who manages a CRM dictionary (`crm::dictionaries`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DictionaryRule {
    /// Deal stages, client types, industries, lead sources, product categories: the original's
    /// admin site only (§16.1), so administrators.
    AdminOnly,
    /// Closing reasons (per department) and cities (global): managers and operators add, change
    /// and delete them (§3.1), in their own departments.
    SalesStaff,
    /// Tags: managers add and change their department's (§3.1, §3.3); only administrators delete.
    Tags,
    /// Transaction-quality signals: managers add, change and delete their department's (§3.1).
    Managers,
}

/// May `v` do `action` on a dictionary of `rule` in `department` (None: a global one, cities)?
/// Administrators: everything, every department.
pub fn can_dictionary(v: &Viewer, rule: DictionaryRule, action: Action, department: Option<i64>) -> bool {
    if v.is(Role::Admin) {
        return matches!(action, Action::List | Action::View | Action::Create | Action::Edit | Action::Delete);
    }
    let here = department.is_none_or(|d| v.works_in(d));
    match rule {
        DictionaryRule::AdminOnly => false,
        DictionaryRule::SalesStaff => {
            (v.is(Role::SalesManager) || v.is(Role::Operator))
                && here
                && matches!(action, Action::List | Action::View | Action::Create | Action::Edit | Action::Delete)
        }
        DictionaryRule::Managers => {
            v.is(Role::SalesManager)
                && here
                && matches!(action, Action::List | Action::View | Action::Create | Action::Edit | Action::Delete)
        }
        DictionaryRule::Tags => {
            v.is(Role::SalesManager)
                && here
                && matches!(action, Action::List | Action::View | Action::Create | Action::Edit)
        }
    }
}

/// May change the owner of many companies at once (§3.3: the "change owner of selected companies"
/// action is the administrators') and transfer users between departments (§11.3).
pub fn may_transfer_owners(v: &Viewer) -> bool {
    v.is(Role::Admin)
}

/// Whose Excel imports `v` sees (their list, reports and progress): `None` for everyone's
/// (administrators), else only `v`'s own. Confirming or cancelling stays the importer's.
pub fn imports_of(v: &Viewer) -> Option<i64> {
    if v.is(Role::Admin) { None } else { Some(v.id) }
}

/// May `v` see the import of `importer` (the rule of `imports_of` for one import).
pub fn sees_import(v: &Viewer, importer: i64) -> bool {
    imports_of(v).is_none_or(|me| me == importer)
}

/// "Import request from ✉" on the Requests list and "Import ✉" on a deal's or request's page
/// (§7.3: managers and superusers): sales managers and administrators.
pub fn imports_mail(v: &Viewer) -> bool {
    v.is(Role::Admin) || v.is(Role::SalesManager)
}

/// Opens the mailbox browser of an account of `owner` with co-owner `co_owner` (§7.3: the accounts
/// the user owns or co-owns). A mailbox is personal: an administrator browses only their own.
pub fn browses_mailbox(v: &Viewer, owner: i64, co_owner: Option<i64>) -> bool {
    imports_mail(v) && (owner == v.id || co_owner == Some(v.id))
}
