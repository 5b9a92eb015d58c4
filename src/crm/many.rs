//! Many-to-many fields of a CRM row (`fields::Input::Many`): tags (the polymorphic `crm_taggings`)
//! and industries (`company_industries`, `lead_industries`). Their value in a `Record` is the sorted
//! ids as text, so forms, history diffs and pages treat them like any field; this module reads the
//! links of a page of rows in one query per field and writes a row's links in the caller's
//! transaction.

use std::collections::HashMap;

use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};

use super::fields::{Input, ManyTo, ids, ids_val};
use super::repo::{Record, Spec};
use crate::access::ItemKind;
use crate::db::{self, Db, Tx};
use crate::error::FormErrors;

/// The tags field of companies, contact persons, leads and deals.
pub const TAGS: super::fields::Field = super::fields::Field::new("tags", "Tags", Input::Many(ManyTo::Tags));

/// The link table's (object column, dictionary column), with the condition naming the kind.
fn link(m: ManyTo) -> (&'static str, &'static str, &'static str) {
    match m {
        ManyTo::Tags => ("crm_taggings", "object_id", "tag_id"),
        ManyTo::Industries { link, key } => (link, key, "industry_id"),
        ManyTo::Products { link, key } => (link, key, "product_id"),
    }
}

fn links_of(m: ManyTo, kind: ItemKind, objects: impl IntoIterator<Item = i64>) -> SelectStatement {
    let (table, key, other) = link(m);
    let mut q = Query::select();
    q.column(Alias::new(key)).column(Alias::new(other)).from(Alias::new(table));
    q.and_where(Expr::col(Alias::new(key)).is_in(objects));
    if m == ManyTo::Tags {
        q.and_where(Expr::col("object_type").eq(kind.slug()));
    }
    q
}

/// Fills the many-to-many values of `records` (one query per such field, whatever the page size).
pub async fn load(db: &Db, spec: &Spec, records: &mut [Record]) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    for (i, f) in spec.fields.iter().enumerate() {
        let Input::Many(m) = f.input else { continue };
        let mut by_object: HashMap<i64, Vec<i64>> = HashMap::new();
        let objects: Vec<i64> = records.iter().map(|r| r.id).collect();
        for chunk in objects.chunks(500) {
            let rows: Vec<(i64, i64)> = db.fetch_all(&links_of(m, spec.kind, chunk.iter().copied())).await?;
            for (object, other) in rows {
                by_object.entry(object).or_default().push(other);
            }
        }
        for r in records.iter_mut() {
            if r.values.len() < spec.fields.len() {
                r.values.resize(spec.fields.len(), crate::crm::record::Val::Null);
            }
            r.values[i] = ids_val(by_object.remove(&r.id).unwrap_or_default());
        }
    }
    Ok(())
}

/// Writes row `id`'s links so they are `after`'s (`before`: the stored row, None for a new one).
pub async fn write(
    tx: &mut Tx,
    spec: &Spec,
    id: i64,
    before: Option<&Record>,
    after: &Record,
) -> Result<(), sqlx::Error> {
    for f in spec.fields.iter().filter(|f| matches!(f.input, Input::Many(_))) {
        let Input::Many(m) = f.input else { continue };
        let (table, key, other) = link(m);
        let old = before.map(|b| ids(b.get(spec, f.col))).unwrap_or_default();
        let new = ids(after.get(spec, f.col));
        let gone: Vec<i64> = old.iter().copied().filter(|x| !new.contains(x)).collect();
        let added: Vec<i64> = new.iter().copied().filter(|x| !old.contains(x)).collect();
        if !gone.is_empty() {
            let mut q = Query::delete();
            q.from_table(Alias::new(table))
                .and_where(Expr::col(Alias::new(key)).eq(id))
                .and_where(Expr::col(Alias::new(other)).is_in(gone));
            if m == ManyTo::Tags {
                q.and_where(Expr::col("object_type").eq(spec.kind.slug()));
            }
            tx.execute(&q).await?;
        }
        if !added.is_empty() {
            let mut q = Query::insert();
            if m == ManyTo::Tags {
                q.into_table(Alias::new(table)).columns(["object_type", key, other]);
                for t in added {
                    q.values_panic([spec.kind.slug().into(), id.into(), t.into()]);
                }
            } else {
                q.into_table(Alias::new(table)).columns([key, other]);
                for t in added {
                    q.values_panic([id.into(), t.into()]);
                }
            }
            tx.execute(&q).await?;
        }
    }
    Ok(())
}

/// Deletes the tags of a deleted object (industries go with it by foreign key).
pub async fn delete_tags(tx: &mut Tx, kind: ItemKind, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut q = Query::delete();
    q.from_table("crm_taggings")
        .and_where(Expr::col("object_type").eq(kind.slug()))
        .and_where(Expr::col("object_id").is_in(ids.iter().copied()));
    tx.execute(&q).await?;
    Ok(())
}

/// The rows a many-to-many field offers in `department`: its tags by name, its industries in their
/// order.
pub async fn options(db: &Db, m: ManyTo, department: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    match m {
        ManyTo::Tags => {
            db.fetch_all(
                Query::select()
                    .columns(["id", "name"])
                    .from("crm_tags")
                    .and_where(Expr::col("department_id").eq(department))
                    .order_by("name_key", Order::Asc),
            )
            .await
        }
        ManyTo::Industries { .. } => super::choices::options(db, m.to(), department).await,
        // Products have no order number: by name.
        ManyTo::Products { .. } => {
            db.fetch_all(
                Query::select()
                    .columns(["id", "name"])
                    .from("products")
                    .and_where(Expr::col("department_id").eq(department))
                    .order_by("name", Order::Asc)
                    .order_by("id", Order::Asc),
            )
            .await
        }
    }
}

/// Every many-to-many id of `r` is one of its department's rows (a row whose department came from
/// another, a contact person's company, is checked against that department's).
pub async fn check(db: &Db, spec: &Spec, r: &Record) -> Result<Result<(), FormErrors>, sqlx::Error> {
    let mut errs = FormErrors::default();
    for f in spec.fields {
        let Input::Many(m) = f.input else { continue };
        let chosen = ids(r.get(spec, f.col));
        if chosen.is_empty() {
            continue;
        }
        let offered = options(db, m, r.department_id).await?;
        if chosen.iter().any(|id| !offered.iter().any(|(o, _)| o == id)) {
            errs.add(f.col, "Choose only from the listed options (this department's).");
        }
    }
    Ok(errs.finish(()))
}

/// The most tags a form may add at once, and the longest name.
const NEW_TAGS_MAX: usize = 20;
const TAG_NAME_MAX: usize = 100;

/// The names typed into a form's "new tags" box: comma-separated, trimmed, each once.
pub fn new_tag_names(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let n = name.chars().count();
        if n > TAG_NAME_MAX {
            return Err(format!(
                "A tag has at most {TAG_NAME_MAX} characters (\"{}…\" has {n}).",
                name.chars().take(20).collect::<String>()
            ));
        }
        if !out.iter().any(|o| crate::text::fold(o) == crate::text::fold(name)) {
            out.push(name.to_string());
        }
    }
    if out.len() > NEW_TAGS_MAX {
        return Err(format!("At most {NEW_TAGS_MAX} new tags at once."));
    }
    Ok(out)
}

/// The department's tags named `names`, made if missing (§2.2: unique per department, ignoring
/// case): their ids and names.
pub async fn ensure_tags(
    tx: &mut Tx,
    department: i64,
    names: &[String],
    actor_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut out = Vec::new();
    for name in names {
        let key = crate::text::fold(name);
        let found: Option<(i64, String)> = tx
            .fetch_optional(
                Query::select()
                    .columns(["id", "name"])
                    .from("crm_tags")
                    .and_where(Expr::col("department_id").eq(department))
                    .and_where(Expr::col("name_key").eq(key.clone())),
            )
            .await?;
        let tag = match found {
            Some(t) => t,
            None => {
                let now = db::now();
                let mut q = Query::insert();
                q.into_table("crm_tags")
                    .columns([
                        "name",
                        "name_key",
                        "department_id",
                        "owner_id",
                        "modified_by_id",
                        "created_at",
                        "updated_at",
                    ])
                    .values_panic([
                        name.clone().into(),
                        key.into(),
                        department.into(),
                        actor_id.into(),
                        actor_id.into(),
                        now.into(),
                        now.into(),
                    ])
                    .returning_col("id");
                (tx.insert_id(&q).await?, name.clone())
            }
        };
        out.push(tag);
    }
    Ok(out)
}

/// The "new tags" box of `raw` for a kind with tags: checked names, or the message for the box.
pub fn new_tags_of(spec: &Spec, raw: &super::form::Raw) -> Result<Vec<String>, FormErrors> {
    if spec.field(TAGS.col).is_none() {
        return Ok(Vec::new());
    }
    new_tag_names(raw.get("tags_new")).map_err(|msg| {
        let mut errs = FormErrors::default();
        errs.add("tags_new", msg);
        errs
    })
}

/// Makes the typed-in tags in `r`'s department (or finds them) inside `tx`, and adds them to
/// `r`'s tags and to `names` (for the history entry).
pub async fn add_new_tags(
    tx: &mut Tx,
    spec: &Spec,
    typed: &[String],
    r: &mut Record,
    names: &mut super::repo::Names,
    actor_id: i64,
) -> Result<(), sqlx::Error> {
    if typed.is_empty() {
        return Ok(());
    }
    let made = ensure_tags(tx, r.department_id, typed, actor_id).await?;
    let mut all = ids(r.get(spec, TAGS.col));
    for (id, name) in made {
        all.push(id);
        names.0.insert((ManyTo::Tags.to(), id), name);
    }
    r.set(spec, TAGS.col, ids_val(all));
    Ok(())
}

/// The tags a list's tag filter offers `v`: those of the departments whose rows they see (every
/// department's for who sees them all), by name; at most 300.
pub async fn filter_tags(
    db: &Db,
    v: &crate::access::Viewer,
    kind: ItemKind,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut q = Query::select();
    q.columns(["id", "name"]).from("crm_tags");
    if !crate::access::crm_sees_all_departments(v, kind) {
        q.and_where(Expr::col("department_id").is_in(v.departments.iter().copied()));
    }
    q.order_by("name_key", Order::Asc).limit(300);
    db.fetch_all(&q).await
}
