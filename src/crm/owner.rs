//! The owner and department fields of a CRM edit form (§11.2): who a row may be given to, and
//! what choosing them changes before the save (the department follows the new owner, dictionary
//! references follow by name). What the save then carries to other rows is the kind's
//! `Spec::after_save`.

use super::form::Raw;
use super::repo::{Record, Spec};
use super::transfer::{self, OwnerChoice, Remap};
use crate::access::{Role, Viewer};
use crate::app::AppState;
use crate::error::{AppResult, FormErrors};

/// Who may own a sales row chosen on its form: sales managers and operators (§3.1).
pub const OWNER_ROLES: [Role; 2] = [Role::SalesManager, Role::Operator];

/// Rows of the kind have an owner the form may change (a contact person's is its company's).
pub fn applies(spec: &Spec) -> bool {
    spec.owned && spec.inherit.is_none()
}

/// The owner field as the form shows it.
pub struct OwnerField {
    /// The chosen owner's id ("" for none).
    pub value: String,
    /// (id, label) of every owner the viewer may choose; the current owner first when not among them.
    pub choices: Vec<(String, String)>,
    pub note: &'static str,
}

/// The owners `v` may give a row to: active managers and operators of the departments `v` may put
/// rows of the kind in.
async fn choices(state: &AppState, v: &Viewer, spec: &Spec) -> AppResult<(Vec<i64>, Vec<OwnerChoice>)> {
    let departments: Vec<i64> =
        super::handlers::creatable_departments(state, v, spec.kind).await?.into_iter().map(|(d, _)| d).collect();
    let owners = transfer::owner_choices(&state.db, &OWNER_ROLES, &departments).await?;
    Ok((departments, owners))
}

/// The owner field of an edit of `kept`, showing `raw`'s choice.
pub async fn field(
    state: &AppState,
    v: &Viewer,
    spec: &Spec,
    raw: &Raw,
    kept: &Record,
) -> AppResult<Option<OwnerField>> {
    if !applies(spec) {
        return Ok(None);
    }
    let (_, owners) = choices(state, v, spec).await?;
    let mut list: Vec<(String, String)> = Vec::new();
    if let Some(current) = kept.owner_id
        && !owners.iter().any(|o| o.id == current)
    {
        let name = crate::users::repo::names(&state.db, &[current]).await?.remove(&current).unwrap_or_default();
        list.push((current.to_string(), format!("{name} (current owner)")));
    }
    if kept.owner_id.is_none() {
        list.push((String::new(), "— No owner —".into()));
    }
    list.extend(owners.iter().map(|o| (o.id.to_string(), o.label())));
    let value = match raw.0.get("owner_id") {
        Some(v) => v.clone(),
        None => kept.owner_id.map(|o| o.to_string()).unwrap_or_default(),
    };
    Ok(Some(OwnerField { value, choices: list, note: spec.owner_note }))
}

/// An edit's owner and department over `r` (parsed from `raw` over `before`): a new owner must be
/// one the form offered, and the row moves to their department; without a new owner, a department
/// the viewer may put rows in may be chosen alone. Dictionary references follow by name.
pub async fn apply(
    state: &AppState,
    v: &Viewer,
    spec: &Spec,
    raw: &Raw,
    before: &Record,
    r: &mut Record,
) -> AppResult<Result<(), FormErrors>> {
    if !applies(spec) {
        return Ok(Ok(()));
    }
    let mut errs = FormErrors::default();
    let mut to = before.department_id;
    let asked = raw.get("owner_id").trim();
    let keep = asked.is_empty() || asked.parse::<i64>().ok() == before.owner_id;
    let (departments, owners) = if keep && raw.get("department_id").trim() == before.department_id.to_string() {
        (Vec::new(), Vec::new())
    } else {
        choices(state, v, spec).await?
    };
    if !keep {
        match asked.parse::<i64>().ok().and_then(|id| owners.iter().find(|o| o.id == id)) {
            Some(o) => {
                r.owner_id = Some(o.id);
                to = o.department_id;
            }
            None => errs.add("owner_id", "Choose one of the listed options."),
        }
    } else if let Ok(d) = raw.get("department_id").trim().parse::<i64>()
        && d != before.department_id
    {
        if departments.contains(&d) {
            to = d;
        } else {
            errs.add("department_id", "Choose one of the listed options.");
        }
    }
    if !errs.is_empty() {
        return Ok(Err(errs));
    }
    if to != r.department_id {
        Remap::to(&state.db, to).await?.apply(spec, r);
    }
    Ok(Ok(()))
}
