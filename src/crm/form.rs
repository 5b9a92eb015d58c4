//! A CRM form: the raw text of each field (what the form shows back after an error) and its parse
//! into a record, with every reference checked against what the viewer may choose.

use std::collections::HashMap;

use super::choices;
use super::fields::{Input, RefTo};
use super::repo::{Record, Spec};
use crate::db::Db;
use crate::error::FormErrors;

/// The raw values of a form, by field column.
#[derive(Clone, Debug, Default)]
pub struct Raw(pub HashMap<String, String>);

impl Raw {
    /// From a decoded body (repeated names: the last wins; none of these fields repeats).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Raw {
        Raw(pairs.into_iter().collect())
    }
    /// What an edit form starts from.
    pub fn of(spec: &Spec, r: &Record) -> Raw {
        Raw(spec.fields.iter().zip(&r.values).map(|(f, v)| (f.col.to_string(), f.form_value(v))).collect())
    }
    pub fn get(&self, col: &str) -> &str {
        self.0.get(col).map(String::as_str).unwrap_or("")
    }
}

/// The choices of each reference field a form offers in `department`.
pub type Options = HashMap<&'static str, Vec<(i64, String)>>;

pub async fn options(db: &Db, spec: &Spec, department: i64) -> Result<Options, sqlx::Error> {
    let mut out = Options::new();
    for f in spec.fields {
        if let Input::Ref(to @ (RefTo::Dictionary(_) | RefTo::Global(_))) = f.input {
            out.insert(f.col, choices::options(db, to, department).await?);
        }
    }
    Ok(out)
}

/// Parses `raw` over `base` (a blank record, or the record being edited): every field's value, or
/// every field's message.
pub fn parse(spec: &Spec, raw: &Raw, base: &Record, options: &Options) -> Result<Record, FormErrors> {
    let mut errs = FormErrors::default();
    let mut r = base.clone();
    for f in spec.fields.iter().filter(|f| f.editable) {
        match f.parse(raw.get(f.col)) {
            Ok(v) => {
                let allowed = match (f.input, v.int()) {
                    (Input::Ref(_), Some(id)) => {
                        // Strict: a reference the caller did not offer (objects are checked for
                        // access and put here by the kind's handler) is refused.
                        options.get(f.col).is_some_and(|choices| choices.iter().any(|(c, _)| *c == id))
                    }
                    _ => true,
                };
                if allowed {
                    r.set(spec, f.col, v);
                } else {
                    errs.add(f.col, "Choose one of the listed options.");
                }
            }
            Err(msg) => errs.add(f.col, msg),
        }
    }
    errs.finish(r)
}
