//! Reading and writing a CRM row through its kind's field list: one `get`, `insert` and `update`
//! for every kind, each write in the caller's transaction with its history entry (the diff names
//! the fields by their labels and shows values as people read them).

use std::collections::HashMap;

use sea_query::{Expr, ExprTrait, Query, SimpleExpr};

use super::fields::{Field, RefTo};
use super::record::{Ty, Val};
use crate::access::ItemKind;
use crate::db::{self, Db, Tx};
use crate::history::{self, Actor, Change, Diff};
use crate::kinds::Ownership;

/// A kind's stored shape: its table (from `kinds::KINDS`), its editable fields, and the columns
/// derived from them on every write (`*_key` look-up columns).
pub struct Spec {
    pub kind: ItemKind,
    pub fields: &'static [Field],
    /// The fields that make its title, joined by spaces (a company's name; a person's first,
    /// middle and last name).
    pub title: &'static [&'static str],
    /// Columns computed from the values before a write: (column, function of the spec and record).
    pub derived: &'static [(&'static str, Derive)],
    /// The fields the list shows, after the title (the first field).
    pub list: &'static [&'static str],
    /// The columns a search looks in (§10), all text.
    pub search: &'static [&'static str],
    /// The Excel export's columns, in order (§9.1): field columns by name (`country` is
    /// `country_id`'s name), `owner` (username), `department`, `industry`. Empty: no export.
    pub export: &'static [&'static str],
    /// The reference field whose object gives the row its department and owner (a contact person
    /// belongs to its company's, §2.2).
    pub inherit: Option<&'static str>,
    /// Has the form's double-submit `token` column (counterparties).
    pub token: bool,
    /// Rows belong to someone (the owner filter and column); products do not (§2.2: no owner).
    pub owned: bool,
    /// Save rules over the department's stages and closing reasons (deals, §12.6).
    pub rules: Option<Rules>,
    /// The fields a chief may change when being a chief is their only right to edit (§3.3: most of
    /// a deal's fields are read-only for chiefs). None: a chief edits like anyone allowed.
    pub chief_fields: Option<&'static [&'static str]>,
    /// What a saved edit changes elsewhere, in the same transaction (a company's contact persons
    /// follow its owner and department, §11.2). None: nothing.
    pub after_save: Option<super::transfer::AfterSave>,
    /// A note beside the owner field of the edit form ("" for none).
    pub owner_note: &'static str,
}

/// A column computed from a row's values (`Spec::derived`).
pub type Derive = fn(&Spec, &Record) -> Val;

/// A kind's save rules: the department's dictionaries, who saves, the stored row (None: new), the
/// row as it will be saved (the rules may change it), and the messages.
pub type Rules =
    fn(&super::deal::Dicts, &super::deal::Save<'_>, Option<&Record>, &mut Record, &mut crate::error::FormErrors);

impl Spec {
    pub fn field(&self, col: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.col == col)
    }
    /// A row's title as its list and page show it ("Payment 12" for a kind without a title field).
    pub fn title_of(&self, r: &Record) -> String {
        let parts: Vec<&str> = self.title.iter().map(|c| r.get(self, c).text()).filter(|t| !t.is_empty()).collect();
        if parts.is_empty() { format!("{} {}", self.kind.label(), r.id) } else { parts.join(" ") }
    }
}

/// One row: the values of its kind's fields, in the order of `Spec::fields`, plus the scoping
/// columns every CRM row has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub id: i64,
    pub values: Vec<Val>,
    pub department_id: i64,
    pub owner_id: Option<i64>,
}

impl Record {
    /// A new row of `spec`'s kind: each field's default, or unset (as stored: "" and false, not NULL).
    pub fn blank(spec: &Spec, department_id: i64, owner_id: Option<i64>) -> Record {
        let values = spec.fields.iter().map(|f| f.stored(&f.parse(f.default).unwrap_or_default())).collect();
        Record { id: 0, values, department_id, owner_id }
    }
    /// The value of field `col` (Null when the kind has no such field).
    pub fn get<'a>(&'a self, spec: &Spec, col: &str) -> &'a Val {
        static NULL: Val = Val::Null;
        spec.fields.iter().position(|f| f.col == col).and_then(|i| self.values.get(i)).unwrap_or(&NULL)
    }
    pub fn set(&mut self, spec: &Spec, col: &str, v: Val) {
        if let Some(i) = spec.fields.iter().position(|f| f.col == col) {
            if self.values.len() < spec.fields.len() {
                self.values.resize(spec.fields.len(), Val::Null);
            }
            self.values[i] = v;
        }
    }
}

fn table(spec: &Spec) -> &'static str {
    spec.kind.info().table
}

/// The query that reads a kind's rows as records: id, department, owner, then every field. A kind
/// owned through another row (a payment, through its deal) takes that row's department and owner.
pub fn select(spec: &Spec) -> (sea_query::SelectStatement, Vec<Ty>) {
    let t = table(spec);
    let mut q = Query::select();
    q.column((t, "id"));
    match spec.kind.info().ownership {
        Ownership::Through { kind, column } => {
            let via = kind.info().table;
            q.column((via, "department_id")).column((via, "owner_id"));
            q.inner_join(via, Expr::col((via, "id")).equals((t, column)));
        }
        _ => {
            q.column((t, "department_id")).column((t, "owner_id"));
        }
    }
    let mut tys = vec![Ty::Int, Ty::Int, Ty::Int];
    for f in spec.fields {
        if f.in_row() {
            q.column((t, f.col));
        } else {
            // A many-to-many field keeps its place; `many::load` fills it.
            q.expr(Expr::cust("''"));
        }
        tys.push(f.input.ty());
    }
    q.from(t);
    (q, tys)
}

/// `select` for a list that shows only some of the kind's fields: the others' id and text columns
/// are read as typed NULLs (the row keeps its shape; no long texts decoded, no names looked up for
/// references the list does not show).
pub fn select_only(spec: &Spec, keep: &[&str]) -> (sea_query::SelectStatement, Vec<Ty>) {
    let (mut q, tys) = select(spec);
    let t = table(spec);
    q.clear_selects();
    q.column((t, "id"));
    match spec.kind.info().ownership {
        Ownership::Through { kind, .. } => {
            let via = kind.info().table;
            q.column((via, "department_id")).column((via, "owner_id"));
        }
        _ => {
            q.column((t, "department_id")).column((t, "owner_id"));
        }
    }
    for f in spec.fields {
        match (f.in_row(), keep.contains(&f.col), f.input.ty()) {
            (false, _, _) => q.expr(Expr::cust("''")),
            (true, false, Ty::Int) => q.expr(Expr::cust("CAST(NULL AS BIGINT)")),
            (true, false, Ty::Text) => q.expr(Expr::cust("CAST(NULL AS TEXT)")),
            _ => q.column((t, f.col)),
        };
    }
    (q, tys)
}

/// A row of `select` as a record.
pub fn record_of(mut vals: Vec<Val>) -> Record {
    let values = vals.split_off(Ord::min(3, vals.len()));
    let int = |i: usize| vals.get(i).and_then(Val::int);
    Record { id: int(0).unwrap_or(0), department_id: int(1).unwrap_or(0), owner_id: int(2), values }
}

/// The kind's row `id`, if it exists (callers check access through `items::load` first).
pub async fn get(db: &Db, spec: &Spec, id: i64) -> Result<Option<Record>, sqlx::Error> {
    let (mut q, tys) = select(spec);
    q.and_where(Expr::col((table(spec), "id")).eq(id));
    let mut found: Vec<Record> = db.fetch_values(&q, &tys).await?.into_iter().take(1).map(record_of).collect();
    super::many::load(db, spec, &mut found).await?;
    Ok(found.pop())
}

/// The columns and values a write sets: every field, the derived columns, the scoping columns.
fn assignments(spec: &Spec, r: &Record, actor: &Actor) -> Vec<(&'static str, SimpleExpr)> {
    let mut out: Vec<(&'static str, SimpleExpr)> = spec
        .fields
        .iter()
        .zip(r.values.iter().chain(std::iter::repeat(&Val::Null)))
        .filter(|(f, _)| f.in_row())
        .map(|(f, v)| (f.col, f.stored(v).bind(f.input.ty()).into()))
        .collect();
    for (col, derive) in spec.derived {
        out.push((col, derive(spec, r).bind(Ty::Text).into()));
    }
    // A kind owned through another row keeps no department or owner of its own.
    if !matches!(spec.kind.info().ownership, Ownership::Through { .. }) {
        out.push(("department_id", r.department_id.into()));
        out.push(("owner_id", r.owner_id.into()));
        out.push(("modified_by_id", actor.id.into()));
    }
    out.push(("updated_at", db::now().into()));
    out
}

/// Inserts `r` (its `id` is ignored) with `extra` columns a form does not edit (the
/// double-submit `token`, a deal's ticket…) and records "created". Returns the new id.
pub async fn insert(
    tx: &mut Tx,
    spec: &Spec,
    r: &Record,
    extra: &[(&'static str, SimpleExpr)],
    actor: &Actor,
    names: &Names,
) -> Result<i64, sqlx::Error> {
    let mut cols = assignments(spec, r, actor);
    cols.push(("created_at", db::now().into()));
    cols.extend(extra.iter().cloned());
    let mut q = Query::insert();
    q.into_table(table(spec))
        .columns(cols.iter().map(|(c, _)| *c))
        .values_panic(cols.into_iter().map(|(_, v)| v))
        .returning_col("id");
    let id = tx.insert_id(&q).await?;
    super::many::write(tx, spec, id, None, r).await?;
    crate::requests::keys::write(tx, spec, id, r).await?;
    super::search::index_new(tx, spec, id, r).await?;
    let diff = diff(spec, &Record::default(), r, names);
    let label = spec.kind.label().to_lowercase();
    let title = spec.title_of(r);
    history::record(tx, actor, spec.kind.slug(), id, Change::Create, &format!("Created the {label} {title}"), &diff)
        .await?;
    Ok(id)
}

/// `insert` for many rows of one kind (a bulk import), each with its `extra` columns, which must
/// include a unique `token`: the new ids are matched to the rows by it (the order of `RETURNING`
/// rows is unspecified). Multi-row statements of at most ~15,000 bound values, history rows in the
/// same transaction. Returns the ids in the order of `rows`.
pub async fn insert_many(
    tx: &mut Tx,
    spec: &Spec,
    rows: &[(Record, String)],
    actor: &Actor,
    names: &Names,
) -> Result<Vec<i64>, sqlx::Error> {
    let per = Ord::max(1, 15_000 / (spec.fields.len() + spec.derived.len() + 8));
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(per) {
        let mut q = Query::insert();
        q.into_table(table(spec));
        for (i, (r, token)) in chunk.iter().enumerate() {
            let mut cols = assignments(spec, r, actor);
            cols.push(("created_at", db::now().into()));
            cols.push(("token", token.clone().into()));
            if i == 0 {
                q.columns(cols.iter().map(|(c, _)| *c));
            }
            q.values_panic(cols.into_iter().map(|(_, v)| v));
        }
        q.returning(Query::returning().columns(["id", "token"]));
        let made: Vec<(i64, String)> = tx.fetch_all(&q).await?;
        let by_token: HashMap<String, i64> = made.into_iter().map(|(id, t)| (t, id)).collect();
        let label = spec.kind.label().to_lowercase();
        let mut entries = Vec::with_capacity(chunk.len());
        let mut made = Vec::with_capacity(chunk.len());
        for (r, token) in chunk {
            let id = *by_token.get(token).ok_or_else(|| sqlx::Error::Protocol("a new row's id is missing".into()))?;
            let diff = diff(spec, &Record::default(), r, names);
            entries.push((id, format!("Created the {label} {}", spec.title_of(r)), diff));
            made.push((id, r));
            ids.push(id);
        }
        history::record_many(tx, actor, spec.kind.slug(), Change::Create, &entries).await?;
        crate::requests::keys::write_many(tx, spec, &made).await?;
        super::search::index_many(tx, spec, &made).await?;
    }
    Ok(ids)
}

/// Writes `after` over `before` and records what changed; nothing when nothing did. Returns the diff.
pub async fn update(
    tx: &mut Tx,
    spec: &Spec,
    before: &Record,
    after: &Record,
    actor: &Actor,
    names: &Names,
) -> Result<Diff, sqlx::Error> {
    let d = diff(spec, before, after, names);
    if d.is_empty() {
        return Ok(d);
    }
    let mut q = Query::update();
    q.table(table(spec)).values(assignments(spec, after, actor)).and_where(Expr::col("id").eq(before.id));
    tx.execute(&q).await?;
    super::many::write(tx, spec, before.id, Some(before), after).await?;
    crate::requests::keys::write(tx, spec, before.id, after).await?;
    super::search::index_change(tx, spec, before, after).await?;
    history::record(tx, actor, spec.kind.slug(), before.id, Change::Update, "Changed", &d).await?;
    Ok(d)
}

/// Names of referenced rows, for history and pages: (what, id) → name.
#[derive(Debug, Default)]
pub struct Names(pub HashMap<(RefTo, i64), String>);

impl Names {
    pub fn of(&self, to: RefTo, id: i64) -> Option<String> {
        self.0.get(&(to, id)).cloned()
    }
}

/// The changed fields between two records, as people read them; the owner too.
pub fn diff(spec: &Spec, before: &Record, after: &Record, names: &Names) -> Diff {
    let mut d = Diff::default();
    let name = |to, id| names.of(to, id);
    for (i, f) in spec.fields.iter().enumerate() {
        let (a, b) = (before.values.get(i).unwrap_or(&Val::Null), after.values.get(i).unwrap_or(&Val::Null));
        if a != b {
            d.field(f.label, f.show(a, &name), f.show(b, &name));
        }
    }
    if before.owner_id != after.owner_id {
        let show = |o: Option<i64>| o.and_then(|u| names.of(RefTo::User, u)).unwrap_or_default();
        d.field("Owner", show(before.owner_id), show(after.owner_id));
    }
    // A new row's department is not a change (`before` is then blank).
    if before.id != 0 && before.department_id != after.department_id {
        let show = |id: i64| names.of(RefTo::Global("departments"), id).unwrap_or_else(|| id.to_string());
        d.field("Department", show(before.department_id), show(after.department_id));
    }
    d
}
