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
    /// From a decoded body (repeated names: the last wins), except the boxes of a many-to-many
    /// field, named `col[]`: their values are joined with commas under `col` ("3,7").
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Raw {
        let mut out: HashMap<String, String> = HashMap::new();
        let mut many: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            match k.strip_suffix("[]") {
                Some(col) => many.entry(col.to_string()).or_default().push(v),
                None => {
                    out.insert(k, v);
                }
            }
        }
        for (col, vals) in many {
            out.insert(col, vals.join(","));
        }
        Raw(out)
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
        if let Input::Many(m) = f.input {
            out.insert(f.col, super::many::options(db, m, department).await?);
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
                let offered = |id: i64| options.get(f.col).is_some_and(|choices| choices.iter().any(|(c, _)| *c == id));
                let allowed = match (f.input, v.int()) {
                    // Strict: a reference the caller did not offer (objects are checked for
                    // access and put here by the kind's handler) is refused.
                    (Input::Ref(_), Some(id)) => offered(id),
                    (Input::Many(_), _) => super::fields::ids(&v).into_iter().all(offered),
                    _ => true,
                };
                if allowed {
                    r.set(spec, f.col, v);
                } else {
                    let msg = match f.input {
                        Input::Many(_) => "Choose only from the listed options.",
                        _ => "Choose one of the listed options.",
                    };
                    errs.add(f.col, msg);
                }
            }
            Err(msg) => errs.add(f.col, msg),
        }
    }
    errs.finish(r)
}
