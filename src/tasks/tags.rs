//! Tags of tasks and projects (§14.1–14.2). Owns tables `task_tags` (a department's tags, unique
//! case-insensitively by `name_key` = `text::fold(name)`, enforced by a unique index: migration 31)
//! and `item_tags` (which object has which tag).
//!
//! Who sees, offers and sets which tags is `access::task_tag_departments` / `creates_task_tags_in`:
//! a viewer works only with the tags of their departments. An edit replaces the object's tags of the
//! viewer's departments and keeps the others (set by people of other departments, not shown to this
//! viewer). A tag typed into the form is created in the viewer's department — or, when the
//! department has it already in any case or spacing, that one is used: `INSERT … ON CONFLICT DO
//! NOTHING` on the unique index, then the row read back, so two racing forms make one tag.

use std::collections::HashMap;

use sea_query::{Expr, ExprTrait, OnConflict, Order, Query, SimpleExpr};

use crate::access::{self, ItemKind, Viewer};
use crate::db::{self, Db, Tx};
use crate::error::AppResult;

/// At most this many characters in a tag, and this many new tags in one form.
pub const MAX_NAME: usize = 50;
pub const MAX_NEW: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Tag {
    pub id: i64,
    pub name: String,
}

/// The tags `v` may see and use (their departments'), by name: the form's and the filter's choices.
pub async fn choices(db: &Db, v: &Viewer) -> Result<Vec<Tag>, sqlx::Error> {
    let depts = access::task_tag_departments(v);
    if depts.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(
        Query::select()
            .columns(["id", "name"])
            .from("task_tags")
            .and_where(Expr::col("department_id").is_in(depts.iter().copied()))
            .order_by("name_key", Order::Asc)
            .order_by("id", Order::Asc)
            .limit(1000),
    )
    .await
}

/// The tag ids and new tag names of a form, checked against the ids `v` may use (`allowed`).
/// `Err` is the form's message for the `tags` field.
pub fn parse(v: &Viewer, allowed: &[i64], ids: &[String], typed: &str) -> Result<(Vec<i64>, Vec<String>), String> {
    let mut chosen = Vec::new();
    for raw in ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match raw.parse::<i64>() {
            Ok(id) if allowed.contains(&id) => {
                if !chosen.contains(&id) {
                    chosen.push(id);
                }
            }
            _ => return Err("Choose tags from the list (a chosen tag is not one of your department's).".into()),
        }
    }
    let mut names: Vec<String> = Vec::new();
    for name in typed.split(',').map(|n| n.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|n| !n.is_empty()) {
        if name.chars().count() > MAX_NAME {
            return Err(format!("A tag has at most {MAX_NAME} characters: “{name}” is longer."));
        }
        if name.chars().any(char::is_control) {
            return Err("A tag cannot hold control characters.".into());
        }
        if !names.iter().any(|n| crate::text::fold(n) == crate::text::fold(&name)) {
            names.push(name);
        }
    }
    if names.len() > MAX_NEW {
        return Err(format!("Add at most {MAX_NEW} new tags at a time."));
    }
    if !names.is_empty() && access::creates_task_tags_in(v).is_none() {
        return Err("You work in no department, so you cannot add new tags. Choose existing ones.".into());
    }
    Ok((chosen, names))
}

/// The id of tag `name` of department `dept`, created if the department has no tag of that key.
async fn ensure(tx: &mut Tx, dept: i64, name: &str) -> Result<i64, sqlx::Error> {
    let key = crate::text::fold(name);
    tx.execute(
        Query::insert()
            .into_table("task_tags")
            .columns(["department_id", "name", "name_key", "created_at"])
            .values_panic([dept.into(), name.into(), key.as_str().into(), db::now().into()])
            .on_conflict(OnConflict::columns(["department_id", "name_key"]).do_nothing().to_owned()),
    )
    .await?;
    let id: Option<i64> = tx
        .scalar(
            Query::select()
                .column("id")
                .from("task_tags")
                .and_where(Expr::col("department_id").eq(dept))
                .and_where(Expr::col("name_key").eq(key.as_str())),
        )
        .await?;
    id.ok_or(sqlx::Error::RowNotFound)
}

/// Sets the tags of `kind` `id` that `v` works with to `chosen` plus the `typed` names (created
/// in `v`'s department as needed); the object's tags of other departments stay. Returns the names
/// of the tags before and after, of `v`'s departments (for history).
pub async fn set(
    tx: &mut Tx,
    v: &Viewer,
    kind: ItemKind,
    id: i64,
    chosen: &[i64],
    typed: &[String],
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let depts = access::task_tag_departments(v);
    let mut ids = chosen.to_vec();
    if let Some(dept) = access::creates_task_tags_in(v) {
        for name in typed {
            let t = ensure(tx, dept, name).await?;
            if !ids.contains(&t) {
                ids.push(t);
            }
        }
    }
    let before = names_tx(tx, depts, kind, id).await?;
    if depts.is_empty() {
        return Ok((before.clone(), before));
    }
    let mine = Query::select()
        .column("id")
        .from("task_tags")
        .and_where(Expr::col("department_id").is_in(depts.iter().copied()))
        .to_owned();
    tx.execute(
        Query::delete()
            .from_table("item_tags")
            .and_where(Expr::col("object_type").eq(kind.slug()))
            .and_where(Expr::col("object_id").eq(id))
            .and_where(Expr::col("tag_id").in_subquery(mine)),
    )
    .await?;
    if !ids.is_empty() {
        let mut q = Query::insert();
        q.into_table("item_tags").columns(["object_type", "object_id", "tag_id"]);
        for t in &ids {
            q.values_panic([kind.slug().into(), id.into(), (*t).into()]);
        }
        tx.execute(&q).await?;
    }
    let after = names_tx(tx, depts, kind, id).await?;
    Ok((before, after))
}

async fn names_tx(tx: &mut Tx, depts: &[i64], kind: ItemKind, id: i64) -> Result<Vec<String>, sqlx::Error> {
    if depts.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i64, String)> = tx.fetch_all(&of_query(depts, kind, &[id])).await?;
    Ok(rows.into_iter().map(|(_, _, n)| n).collect())
}

/// `(object id, tag id, name)` of the tags of `ids` in `depts`, by name.
fn of_query(depts: &[i64], kind: ItemKind, ids: &[i64]) -> sea_query::SelectStatement {
    Query::select()
        .column(("item_tags", "object_id"))
        .column(("task_tags", "id"))
        .column(("task_tags", "name"))
        .from("item_tags")
        .inner_join("task_tags", Expr::col(("task_tags", "id")).equals(("item_tags", "tag_id")))
        .and_where(Expr::col(("item_tags", "object_type")).eq(kind.slug()))
        .and_where(Expr::col(("item_tags", "object_id")).is_in(ids.iter().copied()))
        .and_where(Expr::col(("task_tags", "department_id")).is_in(depts.iter().copied()))
        .order_by(("task_tags", "name_key"), Order::Asc)
        .to_owned()
}

/// The tags `v` may see of each of `ids` (a list page's rows, or one object), in one query.
pub async fn of_many(db: &Db, v: &Viewer, kind: ItemKind, ids: &[i64]) -> Result<HashMap<i64, Vec<Tag>>, sqlx::Error> {
    let depts = access::task_tag_departments(v);
    let mut out: HashMap<i64, Vec<Tag>> = HashMap::new();
    if depts.is_empty() || ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, i64, String)> = db.fetch_all(&of_query(depts, kind, ids)).await?;
    for (object, id, name) in rows {
        out.entry(object).or_default().push(Tag { id, name });
    }
    Ok(out)
}

/// The tags `v` may see of one object.
pub async fn of(db: &Db, v: &Viewer, kind: ItemKind, id: i64) -> Result<Vec<Tag>, sqlx::Error> {
    Ok(of_many(db, v, kind, &[id]).await?.remove(&id).unwrap_or_default())
}

/// The lists' tag filter: `id` is one of the rows that have tag `tag`, which must be of one of
/// `v`'s departments (another department's tag matches nothing). Read from `ix_item_tags_tag`.
pub fn filter(v: &Viewer, kind: ItemKind, id_col: (&'static str, &'static str), tag: i64) -> SimpleExpr {
    let depts = access::task_tag_departments(v);
    if depts.is_empty() {
        return Expr::val(false);
    }
    let mine = Query::select()
        .column("id")
        .from("task_tags")
        .and_where(Expr::col("id").eq(tag))
        .and_where(Expr::col("department_id").is_in(depts.iter().copied()))
        .to_owned();
    let tagged = Query::select()
        .column(("item_tags", "object_id"))
        .from("item_tags")
        .and_where(Expr::col(("item_tags", "tag_id")).in_subquery(mine))
        .and_where(Expr::col(("item_tags", "object_type")).eq(kind.slug()))
        .to_owned();
    Expr::col(id_col).in_subquery(tagged)
}

/// Forgets the tags of deleted objects.
pub async fn delete_for(tx: &mut Tx, kind: ItemKind, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() || !matches!(kind, ItemKind::Task | ItemKind::Project) {
        return Ok(());
    }
    tx.execute(
        Query::delete()
            .from_table("item_tags")
            .and_where(Expr::col("object_type").eq(kind.slug()))
            .and_where(Expr::col("object_id").is_in(ids.iter().copied())),
    )
    .await?;
    Ok(())
}

/// The ids `v` may choose (the form's check).
pub async fn allowed(db: &Db, v: &Viewer) -> AppResult<Vec<i64>> {
    Ok(choices(db, v).await?.into_iter().map(|t| t.id).collect())
}

/// A tag on the tags page: its department and how many tasks and projects carry it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Managed {
    pub id: i64,
    pub name: String,
    pub department_id: i64,
    pub department: String,
    pub tasks: i64,
    pub projects: i64,
}

fn used_by(kind: ItemKind) -> SimpleExpr {
    SimpleExpr::SubQuery(
        None,
        Box::new(sea_query::SubQueryStatement::SelectStatement(
            Query::select()
                .expr(Expr::col(("item_tags", "object_id")).count())
                .from("item_tags")
                .and_where(Expr::col(("item_tags", "tag_id")).equals(("task_tags", "id")))
                .and_where(Expr::col(("item_tags", "object_type")).eq(kind.slug()))
                .to_owned(),
        )),
    )
}

/// The tags `v` may rename and delete (`access::manages_task_tags_of`: their departments'), by
/// department and name, with their use.
pub async fn managed(db: &Db, v: &Viewer) -> Result<Vec<Managed>, sqlx::Error> {
    let depts: Vec<i64> =
        access::task_tag_departments(v).iter().copied().filter(|d| access::manages_task_tags_of(v, *d)).collect();
    if depts.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(
        Query::select()
            .column(("task_tags", "id"))
            .column(("task_tags", "name"))
            .column(("task_tags", "department_id"))
            .expr_as(Expr::col(("departments", "name")), "department")
            .expr_as(used_by(ItemKind::Task), "tasks")
            .expr_as(used_by(ItemKind::Project), "projects")
            .from("task_tags")
            .inner_join("departments", Expr::col(("departments", "id")).equals(("task_tags", "department_id")))
            .and_where(Expr::col(("task_tags", "department_id")).is_in(depts))
            .order_by(("departments", "name"), Order::Asc)
            .order_by(("task_tags", "name_key"), Order::Asc)
            .order_by(("task_tags", "id"), Order::Asc)
            .limit(1000),
    )
    .await
}

/// Tag `id` as `v` may manage it, read in the write transaction: `NotFound` for a tag that does
/// not exist or is another department's (its existence is not told), `Forbidden` for one `v`
/// sees but may not change.
async fn load_managed(tx: &mut Tx, v: &Viewer, id: i64) -> AppResult<(String, i64)> {
    let row: Option<(String, i64)> = tx
        .fetch_optional(
            Query::select().columns(["name", "department_id"]).from("task_tags").and_where(Expr::col("id").eq(id)),
        )
        .await?;
    let (name, dept) = row.ok_or(crate::error::AppError::NotFound)?;
    if !access::task_tag_departments(v).contains(&dept) {
        return Err(crate::error::AppError::NotFound);
    }
    if !access::manages_task_tags_of(v, dept) {
        return Err(crate::error::AppError::Forbidden);
    }
    Ok((name, dept))
}

/// A tag name as typed (inner spaces made one), or the form's message.
pub fn clean_name(raw: &str) -> Result<String, String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("Please specify a name.".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("A tag has at most {MAX_NAME} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("A tag cannot hold control characters.".into());
    }
    Ok(name)
}

/// What renaming a tag came to.
pub enum Renamed {
    /// Saved: (old name, new name).
    Done(String, String),
    /// The form's message: the name is not valid or the department has that tag already.
    Refused(String),
}

pub const TAKEN: &str = "Such a tag already exists in this department.";

/// Renames tag `id` to `raw`. The department's other tags keep their names: a name that folds to
/// one of them is refused (the unique index `ux_task_tags_name` decides a race the same way).
pub async fn rename(tx: &mut Tx, v: &Viewer, id: i64, raw: &str) -> AppResult<Renamed> {
    let (old, dept) = load_managed(tx, v, id).await?;
    let name = match clean_name(raw) {
        Ok(n) => n,
        Err(e) => return Ok(Renamed::Refused(e)),
    };
    let key = crate::text::fold(&name);
    let other: Option<i64> = tx
        .scalar(
            Query::select()
                .column("id")
                .from("task_tags")
                .and_where(Expr::col("department_id").eq(dept))
                .and_where(Expr::col("name_key").eq(key.as_str()))
                .and_where(Expr::col("id").ne(id)),
        )
        .await?;
    if other.is_some() {
        return Ok(Renamed::Refused(TAKEN.into()));
    }
    let saved = tx
        .execute(
            Query::update()
                .table("task_tags")
                .values([("name", name.as_str().into()), ("name_key", key.as_str().into())])
                .and_where(Expr::col("id").eq(id)),
        )
        .await;
    match saved {
        Ok(_) => Ok(Renamed::Done(old, name)),
        Err(e) if db::is_unique_violation(&e) => Ok(Renamed::Refused(TAKEN.into())),
        Err(e) => Err(e.into()),
    }
}

/// Deletes tag `id`: first taken off every task and project that has it, then the tag, in the
/// caller's transaction (all or nothing). Returns its name and how many objects lost it.
pub async fn delete(tx: &mut Tx, v: &Viewer, id: i64) -> AppResult<(String, u64)> {
    let (name, _) = load_managed(tx, v, id).await?;
    let untagged = tx.execute(Query::delete().from_table("item_tags").and_where(Expr::col("tag_id").eq(id))).await?;
    tx.execute(Query::delete().from_table("task_tags").and_where(Expr::col("id").eq(id))).await?;
    Ok((name, untagged))
}
