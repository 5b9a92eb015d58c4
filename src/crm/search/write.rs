//! The index's writes for single rows (`crm::search`): a new row's grams, the grams a change gained
//! and lost, a deleted row's grams, in the transaction that changes the row.

use std::collections::BTreeSet;

use sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};

use super::{code, grams_of, indexed};
use crate::access::ItemKind;
use crate::crm::record::{Ty, Val};
use crate::crm::repo::{Record, Spec};
use crate::db::Tx;

fn record_grams(spec: &Spec, r: &Record) -> BTreeSet<i64> {
    let cols = indexed(spec.kind);
    grams_of(&cols.iter().map(|c| r.get(spec, c).text()).collect::<Vec<_>>())
}

/// Rows per INSERT statement (3 values each: well under both backends' bind limits).
pub(super) const CHUNK: usize = 300;

async fn add(tx: &mut Tx, kind: i16, id: i64, grams: impl Iterator<Item = i64>) -> Result<(), sqlx::Error> {
    let grams: Vec<i64> = grams.collect();
    for chunk in grams.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table("search_terms").columns(["kind", "gram", "object_id"]);
        for g in chunk {
            q.values_panic([kind.into(), (*g).into(), id.into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

async fn remove(tx: &mut Tx, kind: i16, id: i64, grams: impl Iterator<Item = i64>) -> Result<(), sqlx::Error> {
    let grams: Vec<i64> = grams.collect();
    for chunk in grams.chunks(CHUNK) {
        tx.execute(
            Query::delete()
                .from_table("search_terms")
                .and_where(Expr::col("kind").eq(kind))
                .and_where(Expr::col("gram").is_in(chunk.iter().copied()))
                .and_where(Expr::col("object_id").eq(id)),
        )
        .await?;
    }
    Ok(())
}

/// Indexes a new row (in its insert's transaction).
pub async fn index_new(tx: &mut Tx, spec: &Spec, id: i64, r: &Record) -> Result<(), sqlx::Error> {
    let Some(k) = code(spec.kind) else { return Ok(()) };
    add(tx, k, id, record_grams(spec, r).into_iter()).await
}

/// Indexes a new task, memo or project from the values of its `item_cols` (in its insert's
/// transaction).
pub async fn index_text(tx: &mut Tx, kind: ItemKind, id: i64, values: &[&str]) -> Result<(), sqlx::Error> {
    let Some(k) = code(kind) else { return Ok(()) };
    add(tx, k, id, grams_of(values).into_iter()).await
}

/// Re-indexes a changed task, memo or project: `before` and `after` are the values of its
/// `item_cols`.
pub async fn reindex_text(
    tx: &mut Tx,
    kind: ItemKind,
    id: i64,
    before: &[&str],
    after: &[&str],
) -> Result<(), sqlx::Error> {
    let Some(k) = code(kind) else { return Ok(()) };
    let (old, new) = (grams_of(before), grams_of(after));
    remove(tx, k, id, old.difference(&new).copied()).await?;
    add(tx, k, id, new.difference(&old).copied()).await
}

/// Indexes many new rows (an import's batch) in multi-row statements.
pub async fn index_many(tx: &mut Tx, spec: &Spec, rows: &[(i64, &Record)]) -> Result<(), sqlx::Error> {
    let Some(k) = code(spec.kind) else { return Ok(()) };
    let terms: Vec<(i64, i64)> =
        rows.iter().flat_map(|(id, r)| record_grams(spec, r).into_iter().map(move |g| (g, *id))).collect();
    for chunk in terms.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table("search_terms").columns(["kind", "gram", "object_id"]);
        for (g, id) in chunk {
            q.values_panic([k.into(), (*g).into(), (*id).into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Re-indexes a changed row: drops the trigrams it lost, adds the ones it gained.
pub async fn index_change(tx: &mut Tx, spec: &Spec, before: &Record, after: &Record) -> Result<(), sqlx::Error> {
    let Some(k) = code(spec.kind) else { return Ok(()) };
    let (old, new) = (record_grams(spec, before), record_grams(spec, after));
    remove(tx, k, before.id, old.difference(&new).copied()).await?;
    add(tx, k, before.id, new.difference(&old).copied()).await
}

/// The indexed text of some rows of `kind`, read in `tx`: (id, values).
async fn stored(tx: &mut Tx, kind: ItemKind, col: &str, value: i64) -> Result<Vec<(i64, Vec<String>)>, sqlx::Error> {
    stored_where(tx, kind, Expr::col(Alias::new(col)).eq(value)).await
}

/// The indexed text of the rows `ids` of `kind`.
pub(super) async fn stored_in(
    tx: &mut Tx,
    kind: ItemKind,
    ids: &[i64],
) -> Result<Vec<(i64, Vec<String>)>, sqlx::Error> {
    stored_where(tx, kind, Expr::col("id").is_in(ids.iter().copied())).await
}

async fn stored_where(tx: &mut Tx, kind: ItemKind, cond: SimpleExpr) -> Result<Vec<(i64, Vec<String>)>, sqlx::Error> {
    let cols = indexed(kind);
    let mut q = Query::select();
    q.column("id").from(kind.info().table).and_where(cond);
    let mut tys = vec![Ty::Int];
    for c in &cols {
        q.column(*c);
        tys.push(Ty::Text);
    }
    let rows = tx.fetch_values(&q, &tys).await?;
    Ok(rows
        .into_iter()
        .map(|mut v| {
            let id = v.first().and_then(Val::int).unwrap_or(0);
            (id, v.drain(1..).map(|x| x.text().to_string()).collect())
        })
        .collect())
}

/// Indexes the rows of `kind` whose `col` is `value`, made in `tx` by a bulk statement (a copied
/// department's products); they must not be indexed yet.
pub async fn index_where(tx: &mut Tx, kind: ItemKind, col: &str, value: i64) -> Result<(), sqlx::Error> {
    let Some(k) = code(kind) else { return Ok(()) };
    for (id, values) in stored(tx, kind, col, value).await? {
        let grams = grams_of(&values.iter().map(String::as_str).collect::<Vec<_>>());
        add(tx, k, id, grams.into_iter()).await?;
    }
    Ok(())
}

/// Removes the index rows of one row of `kind` (not of the rows that go with it), before a bulk
/// statement changes its text; `index_where` adds them back afterwards.
pub async fn unindex_row(tx: &mut Tx, kind: ItemKind, id: i64) -> Result<(), sqlx::Error> {
    let Some(k) = code(kind) else { return Ok(()) };
    for (rid, values) in stored(tx, kind, "id", id).await? {
        let grams = grams_of(&values.iter().map(String::as_str).collect::<Vec<_>>());
        remove(tx, k, rid, grams.into_iter()).await?;
    }
    Ok(())
}

/// Before `(kind, id)` is deleted: removes its index rows and those of the rows the delete takes
/// with it (a company's contact persons, a deal's payments).
pub async fn unindex(tx: &mut Tx, kind: ItemKind, id: i64) -> Result<(), sqlx::Error> {
    let Some(k) = code(kind) else { return Ok(()) };
    let mut gone = vec![(kind, k, stored(tx, kind, "id", id).await?)];
    let child = match kind {
        ItemKind::Company => Some((ItemKind::Contact, "company_id")),
        ItemKind::Deal => Some((ItemKind::Payment, "deal_id")),
        _ => None,
    };
    if let Some((ck, col)) = child
        && let Some(c) = code(ck)
    {
        gone.push((ck, c, stored(tx, ck, col, id).await?));
    }
    for (_, k, rows) in gone {
        for (rid, values) in rows {
            let grams = grams_of(&values.iter().map(String::as_str).collect::<Vec<_>>());
            remove(tx, k, rid, grams.into_iter()).await?;
        }
    }
    Ok(())
}
