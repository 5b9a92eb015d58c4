//! The index's bulk load (`crm::search`): every row of a kind read in id order, its grams gathered,
//! sorted and written in the index's order, a dense gram as one marker row. The seed's rebuild and
//! the migrations that change what the index holds use it.

use std::collections::BTreeSet;

use sea_query::{Expr, ExprTrait, Query};

use super::write::{CHUNK, stored_in};
use super::{COMMON, ITEM_KINDS, code, grams_of, indexed};
use crate::access::ItemKind;
use crate::crm::record::{Ty, Val};
use crate::db::{Db, Tx};

/// Builds the whole index again from the CRM tables and the Tasks section's (the seed's bulk load).
pub async fn rebuild(db: &Db) -> Result<(), sqlx::Error> {
    rebuild_dense(db, DENSE).await
}

/// `rebuild`, with grams held by `dense` rows of a kind or more written as a marker only (tests
/// use a small number to check that searches answer the same with them).
pub async fn rebuild_dense(db: &Db, dense: usize) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    tx.execute(&Query::delete().from_table("search_terms").to_owned()).await?;
    let mut kinds = CRM_KINDS.to_vec();
    kinds.extend(ITEM_KINDS);
    kinds.push(ItemKind::Email);
    fill_kinds(&mut tx, &kinds, dense).await?;
    tx.commit().await
}

/// Builds the index of tasks, memos and projects again (the Tasks section's seed without the CRM's).
pub async fn rebuild_items(db: &Db) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    refill_items(&mut tx).await?;
    tx.commit().await
}

/// Empties the index of tasks, memos and projects and fills it again, in `tx`; the CRM kinds' rows
/// stay (the migration that indexed the Tasks section).
pub async fn refill_items(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let codes: Vec<i16> = ITEM_KINDS.iter().filter_map(|k| code(*k)).collect();
    tx.execute(&Query::delete().from_table("search_terms").and_where(Expr::col("kind").is_in(codes)).to_owned())
        .await?;
    fill_kinds(tx, &ITEM_KINDS, DENSE).await
}

/// Empties the index and fills it again, in `tx` (a migration that changes what it holds).
pub async fn refill(tx: &mut Tx) -> Result<(), sqlx::Error> {
    tx.execute(&Query::delete().from_table("search_terms").to_owned()).await?;
    fill(tx).await
}

/// The sales CRM's kinds in the index.
const CRM_KINDS: [ItemKind; 7] = [
    ItemKind::Company,
    ItemKind::Contact,
    ItemKind::Lead,
    ItemKind::Deal,
    ItemKind::Product,
    ItemKind::Payment,
    ItemKind::Request,
];

/// Index rows gathered in memory before they are sorted and written (16 bytes each: 256 MB). A
/// kind's rows usually fit in one batch, so the kind is written in the index's order.
const FILL_BATCH: usize = 16_000_000;

/// A bulk load writes a gram held by this many rows of a kind or more as one marker row (object id
/// 0) instead of its rows. A search never lists such a gram's rows: with `COMMON` rows or more it is
/// never the rarest trigram of a word, so the word is common or a rarer trigram leads (`hits`).
/// They were more than half of the index's rows at scale 10 ("the", "ing", "www", "@gm"), and half
/// of the seed's time.
const DENSE: usize = COMMON as usize;

/// Indexes every CRM row (into an empty index), in `tx`. The rows of a kind are gathered in large
/// batches and written in the index's order: written a few thousand at a time, each batch touched
/// pages all over the B-tree, and the bulk load's time grew with the square of the row count.
pub async fn fill(tx: &mut Tx) -> Result<(), sqlx::Error> {
    fill_kinds(tx, &CRM_KINDS, DENSE).await
}

/// Indexes every email (kind 11), in `tx`: migration 21 (the emails written before). Not part of
/// `fill`, which migrations older than the email table run.
pub async fn fill_emails(tx: &mut Tx) -> Result<(), sqlx::Error> {
    fill_kinds(tx, &[ItemKind::Email], DENSE).await
}

/// Indexes every row of `kinds` (not indexed yet), in `tx`, in the order of their codes (each
/// kind's rows then follow the previous kind's in the index).
async fn fill_kinds(tx: &mut Tx, kinds: &[ItemKind], dense: usize) -> Result<(), sqlx::Error> {
    let mut kinds: Vec<(i16, ItemKind)> = kinds.iter().filter_map(|k| Some((code(*k)?, *k))).collect();
    kinds.sort_unstable_by_key(|(k, _)| *k);
    for (k, kind) in kinds {
        let cols = indexed(kind);
        let mut after = 0i64;
        let mut batch = Batch { kind: k, rows: Vec::new(), dense, marked: BTreeSet::new(), written: 0 };
        let started = std::time::Instant::now();
        loop {
            let mut q = Query::select();
            q.column("id")
                .from(kind.info().table)
                .and_where(Expr::col("id").gt(after))
                .order_by("id", sea_query::Order::Asc)
                .limit(5000);
            let mut tys = vec![Ty::Int];
            for c in &cols {
                q.column(*c);
                tys.push(Ty::Text);
            }
            let rows = tx.fetch_values(&q, &tys).await?;
            if rows.is_empty() {
                break;
            }
            for v in &rows {
                let id = v.first().and_then(Val::int).unwrap_or(0);
                after = Ord::max(after, id);
                let grams = grams_of(&v[1..].iter().map(Val::text).collect::<Vec<_>>());
                batch.rows.extend(grams.into_iter().map(|g| (g, id)));
            }
            if batch.rows.len() >= FILL_BATCH {
                batch.write(tx).await?;
            }
        }
        batch.write(tx).await?;
        tracing::debug!(
            kind = k,
            rows = batch.written,
            seconds = started.elapsed().as_secs_f64(),
            "search index: kind filled"
        );
    }
    Ok(())
}

/// A bulk load's rows of one kind not written yet.
struct Batch {
    kind: i16,
    /// (gram, object id).
    rows: Vec<(i64, i64)>,
    dense: usize,
    /// The dense grams whose marker is written.
    marked: BTreeSet<i64>,
    /// Index rows written.
    written: usize,
}

impl Batch {
    /// Writes the rows in the index's order (a dense gram as its marker), and empties the batch.
    async fn write(&mut self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        self.rows.sort_unstable();
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(self.rows.len());
        for run in self.rows.chunk_by(|a, b| a.0 == b.0) {
            let g = run[0].0;
            if run.len() >= self.dense || self.marked.contains(&g) {
                if self.marked.insert(g) {
                    out.push((g, 0));
                }
            } else {
                out.extend_from_slice(run);
            }
        }
        self.rows.clear();
        self.written += out.len();
        write_sorted(tx, self.kind, &out).await
    }
}

/// Writes rows (gram, object id) of kind `k`, in the index's order.
async fn write_sorted(tx: &mut Tx, k: i16, rows: &[(i64, i64)]) -> Result<(), sqlx::Error> {
    // Millions of rows of three integers: written as literals, 5,000 rows a statement (binding
    // them one by one through sea-query and sqlx cost more than the insert).
    for chunk in rows.chunks(5000) {
        use std::fmt::Write as _;
        let mut sql = String::with_capacity(chunk.len() * 32 + 64);
        sql.push_str("INSERT INTO search_terms (kind, gram, object_id) VALUES ");
        for (i, (g, id)) in chunk.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(sql, "{sep}({k},{g},{id})");
        }
        tx.execute_numbers(sql).await?;
    }
    Ok(())
}

/// Indexes up to `max` rows of `kind` written without their index rows (`search_pending`, the web
/// forms' requests and emails), oldest first, in one transaction: their rows sorted and written in
/// multi-row statements, so the rows of a gram shared by many land on its page at once. Rows an
/// edit already indexed in part are skipped (`ON CONFLICT DO NOTHING`). Returns how many it did.
pub async fn index_pending(db: &Db, kind: ItemKind, max: u64) -> Result<usize, sqlx::Error> {
    let Some(k) = code(kind) else { return Ok(0) };
    let table = kind.info().table;
    let mut tx = db.begin().await?;
    let ids: Vec<(i64,)> = tx
        .fetch_all(
            Query::select()
                .column("id")
                .from(table)
                .and_where(Expr::cust("search_pending"))
                .order_by("id", sea_query::Order::Asc)
                .limit(max),
        )
        .await?;
    let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let mut rows: Vec<(i64, i64)> = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        for (id, values) in stored_in(&mut tx, kind, chunk).await? {
            let grams = grams_of(&values.iter().map(String::as_str).collect::<Vec<_>>());
            rows.extend(grams.into_iter().map(|g| (g, id)));
        }
        tx.execute(
            Query::update()
                .table(table)
                .value("search_pending", false)
                .and_where(Expr::col("id").is_in(chunk.iter().copied())),
        )
        .await?;
    }
    rows.sort_unstable();
    for chunk in rows.chunks(CHUNK) {
        let mut q = Query::insert();
        q.into_table("search_terms")
            .columns(["kind", "gram", "object_id"])
            .on_conflict(sea_query::OnConflict::columns(["kind", "gram", "object_id"]).do_nothing().to_owned());
        for (g, id) in chunk {
            q.values_panic([k.into(), (*g).into(), (*id).into()]);
        }
        tx.execute(&q).await?;
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// Indexes every row of the kinds that may wait for their index rows, in batches of `batch`.
pub async fn index_all_pending(db: &Db, batch: u64) -> Result<usize, sqlx::Error> {
    let mut total = 0;
    for kind in [ItemKind::Request, ItemKind::Email] {
        loop {
            let n = index_pending(db, kind, batch).await?;
            total += n;
            if n == 0 {
                break;
            }
        }
    }
    Ok(total)
}
