//! From a read worksheet to a plan: each row converted by the §9.3 rules into the record it would
//! create, or skipped with its row number and the reason. Every look-up is scoped to what the importer
//! may see and use; nothing is written here.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Query};
use serde::{Deserialize, Serialize};

use crate::access::{self, Action, ItemKind, ListKind, Object, Viewer};
use crate::crm::choices;
use crate::crm::fields::{Field, Input, RefTo};
use crate::crm::record::Val;
use crate::crm::repo::{Record, Spec};
use crate::db::Db;
use crate::error::AppResult;
use crate::excel::{Table, Value};

/// A row left out, and why (shown in the preview and the report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    pub row: u32,
    pub reason: String,
}

/// A row to create, as stored between the preview and the job: each field's form value (what a
/// form would post: ids for references), the department, the owner and the industries.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Planned {
    pub v: Vec<String>,
    pub d: i64,
    pub o: Option<i64>,
    #[serde(default)]
    pub i: Vec<i64>,
}

impl Planned {
    fn of(spec: &Spec, r: &Record, industries: Vec<i64>) -> Planned {
        Planned {
            v: spec.fields.iter().zip(&r.values).map(|(f, v)| f.form_value(v)).collect(),
            d: r.department_id,
            o: r.owner_id,
            i: industries,
        }
    }

    /// The record again, through the same parse a form goes through.
    pub fn record(&self, spec: &Spec) -> Record {
        let values = spec
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let raw = self.v.get(i).map(String::as_str).unwrap_or("");
                f.stored(&f.parse(raw).unwrap_or(Val::Null))
            })
            .collect();
        Record { id: 0, values, department_id: self.d, owner_id: self.o }
    }
}

pub struct Plan {
    /// (row number, row).
    pub rows: Vec<(u32, Planned)>,
    pub skipped: Vec<Skip>,
    pub departments: BTreeSet<i64>,
}

/// The key that says a row already exists (§9.3): a company's (full name, country), a person's
/// (first name, email).
pub fn key(spec: &Spec, r: &Record) -> (String, String) {
    match spec.kind {
        ItemKind::Company => {
            (r.get(spec, "full_name").text().to_string(), r.get(spec, "country_id").int().unwrap_or(0).to_string())
        }
        _ => (r.get(spec, "first_name").text().to_string(), r.get(spec, "email").text().to_string()),
    }
}

pub fn exists_reason(spec: &Spec, r: &Record) -> String {
    match spec.kind {
        ItemKind::Company => format!("Already exists: {}", spec.title_of(r)),
        _ => format!("Already exists: {} <{}>", spec.title_of(r), r.get(spec, "email").text()),
    }
}

/// The rows matching these keys' first parts, in `scope` (or in `departments` when there is no
/// viewer: the job's re-check): their keys.
pub async fn existing(
    db: &Db,
    spec: &Spec,
    firsts: &[String],
    viewer: Option<&Viewer>,
    departments: &[i64],
) -> AppResult<HashSet<(String, String)>> {
    let t = spec.kind.info().table;
    let mut out = HashSet::new();
    for chunk in firsts.chunks(400) {
        let mut q = Query::select();
        q.from(t);
        match spec.kind {
            // Unique together in the whole database (§2.2), whoever may see the other row.
            ItemKind::Company => {
                q.column((t, "full_name"))
                    .expr(Expr::col((t, "country_id")))
                    .and_where(Expr::col((t, "full_name")).is_in(chunk.iter().cloned()));
            }
            _ => {
                let keys: Vec<String> = chunk.iter().map(|s| crate::text::fold(s)).collect();
                q.column((t, "first_name"))
                    .column((t, "email"))
                    .and_where(Expr::col((t, "first_name_key")).is_in(keys));
                match viewer {
                    Some(v) => access::scope(v, ListKind::Crm(spec.kind), &mut q)?,
                    None => {
                        q.and_where(Expr::col((t, "department_id")).is_in(departments.iter().copied()));
                    }
                }
            }
        }
        if spec.kind == ItemKind::Company {
            let rows: Vec<(String, Option<i64>)> = db.fetch_all(&q).await?;
            out.extend(rows.into_iter().map(|(n, c)| (n, c.unwrap_or(0).to_string())));
        } else {
            let rows: Vec<(String, String)> = db.fetch_all(&q).await?;
            out.extend(rows);
        }
    }
    Ok(out)
}

/// The column of `table` that feeds field `f` (§9.1 names: `country` for `country_id`).
fn column_of(table: &Table, spec: &Spec, f: &Field) -> Option<usize> {
    let name = spec.export.iter().find(|n| **n == f.col || f.col.strip_suffix("_id") == Some(**n))?;
    table.column(name)
}

/// Trimmed, line breaks removed (one-line fields) or kept (descriptions).
fn text_of(v: &Value, long: bool) -> String {
    let t = v.to_text();
    if long {
        t.trim().to_string()
    } else {
        t.split(['\n', '\r']).map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    }
}

/// A date cell, or a date typed as text; anything else is no date (§9.3: invalid → empty).
fn date_of(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Date(d) => Some(*d),
        Value::DateTime(t) => Some(t.date()),
        Value::Text(s) => {
            let s = s.trim();
            ["%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .or_else(|| s.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()))
        }
        _ => None,
    }
}

fn flag_of(v: &Value) -> Option<bool> {
    match v {
        Value::Empty => None,
        Value::Bool(b) => Some(*b),
        Value::Int(n) => Some(*n != 0),
        Value::Float(x) => Some(*x != 0.0),
        Value::Text(s) => Some(matches!(s.trim().to_lowercase().as_str(), "true" | "yes" | "1" | "on" | "y" | "x")),
        _ => None,
    }
}

/// A visible company: (id, owner, country, department).
type Company = (i64, Option<i64>, Option<i64>, i64);
/// A company row as read: its name, then `Company`.
type CompanyRow = (String, i64, Option<i64>, Option<i64>, i64);

/// What the planner needs to know once per import.
struct Lookups {
    countries: HashMap<String, i64>,
    /// (dictionary table, department) → name → id.
    dictionaries: HashMap<(&'static str, i64), HashMap<String, i64>>,
    /// department → industry name → id.
    industries: HashMap<i64, HashMap<String, i64>>,
    users: HashMap<String, i64>,
    departments: HashMap<String, i64>,
    /// Visible companies by exact name: (id, owner, country, department).
    companies: HashMap<String, Vec<Company>>,
}

impl Lookups {
    async fn dictionary(&mut self, db: &Db, table: &'static str, department: i64) -> AppResult<&HashMap<String, i64>> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.dictionaries.entry((table, department)) {
            let rows = choices::options(db, RefTo::Dictionary(table), department).await?;
            e.insert(rows.into_iter().map(|(id, n)| (n, id)).collect());
        }
        Ok(&self.dictionaries[&(table, department)])
    }

    async fn industries(&mut self, db: &Db, department: i64) -> AppResult<&HashMap<String, i64>> {
        if let std::collections::hash_map::Entry::Vacant(e) = self.industries.entry(department) {
            let rows: Vec<(i64, String)> = db
                .fetch_all(
                    Query::select()
                        .columns(["id", "name"])
                        .from("industries")
                        .and_where(Expr::col("department_id").eq(department)),
                )
                .await?;
            e.insert(rows.into_iter().map(|(id, n)| (n, id)).collect());
        }
        Ok(&self.industries[&department])
    }
}

fn distinct_texts(table: &Table, col: Option<usize>) -> Vec<String> {
    let Some(c) = col else { return Vec::new() };
    let set: BTreeSet<String> = table.rows.iter().map(|r| text_of(r.get(c), false)).filter(|s| !s.is_empty()).collect();
    set.into_iter().collect()
}

/// The plan for `table`: `allowed` are the departments the importer may create this kind in (the
/// first is where a row without a usable department goes).
pub async fn plan(
    db: &Db,
    v: &Viewer,
    spec: &'static Spec,
    table: &Table,
    allowed: &[(i64, String)],
) -> AppResult<Plan> {
    let default_department = v
        .department_id
        .filter(|d| allowed.iter().any(|(a, _)| a == d))
        .or_else(|| allowed.first().map(|(d, _)| *d))
        .ok_or(crate::error::AppError::Forbidden)?;
    let owner_col = table.column("owner");
    let department_col = table.column("department");
    let industry_col = if spec.export.contains(&"industry") { table.column("industry") } else { None };
    let company_col = if spec.kind == ItemKind::Contact { table.column("company") } else { None };

    let mut look = Lookups {
        countries: choices::options(db, RefTo::Global("countries"), 0)
            .await?
            .into_iter()
            .map(|(id, n)| (n, id))
            .collect(),
        dictionaries: HashMap::new(),
        industries: HashMap::new(),
        users: HashMap::new(),
        departments: allowed.iter().map(|(id, n)| (n.clone(), *id)).collect(),
        companies: HashMap::new(),
    };
    for chunk in distinct_texts(table, owner_col).chunks(400) {
        let rows: Vec<(i64, String)> = db
            .fetch_all(
                Query::select()
                    .columns(["id", "username"])
                    .from("users")
                    .and_where(Expr::col("is_active").eq(true))
                    .and_where(Expr::col("username").is_in(chunk.iter().cloned())),
            )
            .await?;
        look.users.extend(rows.into_iter().map(|(id, u)| (u, id)));
    }
    for chunk in distinct_texts(table, company_col).chunks(400) {
        let mut q = Query::select();
        q.column(("companies", "full_name"))
            .column(("companies", "id"))
            .column(("companies", "owner_id"))
            .column(("companies", "country_id"))
            .column(("companies", "department_id"))
            .from("companies")
            .and_where(Expr::col(("companies", "full_name")).is_in(chunk.iter().cloned()));
        access::scope(v, ListKind::Crm(ItemKind::Company), &mut q)?;
        let rows: Vec<CompanyRow> = db.fetch_all(&q).await?;
        for (name, id, owner, country, department) in rows {
            look.companies.entry(name).or_default().push((id, owner, country, department));
        }
    }

    let mut rows: Vec<(u32, Record, Vec<i64>)> = Vec::new();
    let mut skipped = Vec::new();
    'rows: for row in &table.rows {
        let n = row.number;
        let mut skip = |reason: String| skipped.push(Skip { row: n, reason });
        // Owner: a username (§9.3), empty → the importer.
        let owner = match owner_col.map(|c| text_of(row.get(c), false)).filter(|s| !s.is_empty()) {
            None => v.id,
            Some(u) => match look.users.get(&u) {
                Some(id) => *id,
                None => {
                    skip(format!("Owner not found: no active user has the username “{u}”."));
                    continue;
                }
            },
        };
        // Department: by name, if the importer may use it; otherwise theirs.
        let department = department_col
            .map(|c| text_of(row.get(c), false))
            .and_then(|name| look.departments.get(&name).copied())
            .unwrap_or(default_department);
        let mut r = Record::blank(spec, department, Some(owner));
        for f in spec.fields.iter().filter(|f| f.editable) {
            let Some(c) = column_of(table, spec, f) else { continue };
            let cell = row.get(c);
            let value = match f.input {
                Input::Ref(RefTo::Global("countries")) => {
                    look.countries.get(&text_of(cell, false)).map_or(Val::Null, |id| Val::Int(*id))
                }
                Input::Ref(RefTo::Dictionary(t)) => {
                    let name = text_of(cell, false);
                    look.dictionary(db, t, department).await?.get(&name).map_or(Val::Null, |id| Val::Int(*id))
                }
                Input::Ref(_) => continue, // companies: below; cities, contacts: not imported
                Input::Date => date_of(cell).map_or(Val::Null, Val::Date),
                Input::Flag => match flag_of(cell) {
                    Some(b) => Val::Bool(b),
                    None => continue, // the field's default
                },
                Input::Choice(options) => {
                    let t = text_of(cell, false);
                    if t.is_empty() {
                        // A column that is there but empty: no choice (the default is for a
                        // sheet without the column).
                        r.set(spec, f.col, f.stored(&Val::Null));
                        continue;
                    }
                    match options
                        .iter()
                        .find(|(slug, label)| slug.eq_ignore_ascii_case(&t) || label.eq_ignore_ascii_case(&t))
                    {
                        Some((slug, _)) => Val::Text(slug.to_string()),
                        None => {
                            skip(format!("{}: “{t}” is not one of the choices.", f.label));
                            continue 'rows;
                        }
                    }
                }
                _ => {
                    let t = text_of(cell, f.input == Input::LongText);
                    match f.parse(&t) {
                        Ok(v) => f.stored(&v),
                        Err(msg) => {
                            let reason = match f.input {
                                Input::Emails { .. } if t.is_empty() => "Invalid email address: (empty)".to_string(),
                                Input::Emails { .. } => format!("Invalid email address: {t}"),
                                _ => format!("{}: {msg}", f.label),
                            };
                            skip(reason);
                            continue 'rows;
                        }
                    }
                }
            };
            r.set(spec, f.col, value);
        }
        // Required fields whose column is missing altogether.
        for f in spec.fields.iter().filter(|f| f.editable && f.required && f.input.ty() == crate::crm::record::Ty::Text)
        {
            if r.get(spec, f.col).text().is_empty() {
                let reason = match f.input {
                    Input::Emails { .. } => "Invalid email address: (empty)".to_string(),
                    _ => format!("{}: This field is required.", f.label),
                };
                skip(reason);
                continue 'rows;
            }
        }
        // §6.5, as a form's save: the honorific written back, a whole name in "first_name" split.
        if let Err(errs) = crate::crm::person::tidy_names(spec, &mut r) {
            skip(format!("First name: {}", errs.get("first_name").unwrap_or("Invalid value")));
            continue;
        }
        // A contact person's company: exact name, the same owner, else the same country, else the
        // only one of that name the importer sees. It gives the row its department and owner.
        if spec.kind == ItemKind::Contact {
            let name = company_col.map(|c| text_of(row.get(c), false)).unwrap_or_default();
            let found = look.companies.get(&name).and_then(|cs| {
                let country = r.get(spec, "country_id").int();
                cs.iter()
                    .find(|c| c.1 == Some(owner))
                    .or_else(|| cs.iter().find(|c| country.is_some() && c.2 == country))
                    .or_else(|| if cs.len() == 1 { cs.first() } else { None })
            });
            let Some(&(company, company_owner, _, company_department)) = found else {
                skip(format!(
                    "Error with: {} — Company was not assigned{}",
                    spec.title_of(&r),
                    if name.is_empty() { String::new() } else { format!(" (“{name}” not found)") }
                ));
                continue;
            };
            let rel = if company_owner == Some(v.id) {
                access::Rel::of(&[crate::participants::PRole::Owner])
            } else {
                access::Rel::default()
            };
            let item =
                access::Item { rel, ..crate::crm::handlers::prospective_item(ItemKind::Contact, company_department) };
            if !access::can(v, Action::Create, &Object::Item(item)) {
                skip(format!(
                    "Error with: {} — you may not add contact persons to the company {name}.",
                    spec.title_of(&r)
                ));
                continue;
            }
            r.set(spec, "company_id", Val::Int(company));
            r.department_id = company_department;
            r.owner_id = company_owner;
        }
        let industries = match industry_col {
            Some(c) => {
                let names = text_of(row.get(c), false);
                let known = look.industries(db, r.department_id).await?;
                let mut ids: Vec<i64> = names.split(',').filter_map(|n| known.get(n.trim()).copied()).collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            }
            None => Vec::new(),
        };
        rows.push((n, r, industries));
    }

    // Already there (§9.3), or twice in the file: the first one counts.
    let firsts: Vec<String> =
        rows.iter().map(|(_, r, _)| key(spec, r).0).collect::<BTreeSet<_>>().into_iter().collect();
    let there = existing(db, spec, &firsts, Some(v), &[]).await?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut departments = BTreeSet::new();
    for (n, r, industries) in rows {
        let k = key(spec, &r);
        if there.contains(&k) || !seen.insert(k) {
            skipped.push(Skip { row: n, reason: exists_reason(spec, &r) });
            continue;
        }
        departments.insert(r.department_id);
        out.push((n, Planned::of(spec, &r, industries)));
    }
    skipped.sort_by_key(|s| s.row);
    Ok(Plan { rows: out, skipped, departments })
}
