//! Multi-row inserts of many rows, streamed: the sales seed pushes rows one by one and never holds
//! a whole table in memory.

use sea_query::{InsertStatement, Query, SimpleExpr};

use crate::db::{Db, Tx};

/// Bound values per INSERT: under SQLite's 32,766 (PostgreSQL allows 65,535).
const MAX_PARAMS: usize = 30_000;

/// Rows per transaction: a huge one would hold SQLite's write lock for long.
const ROWS_PER_TX: usize = 25_000;

/// Multi-row inserts of many rows: statements of at most `MAX_PARAMS` values, a transaction per
/// `ROWS_PER_TX` rows; with `returning`, the new ids in insertion order.
pub(super) struct Bulk<'a> {
    db: &'a Db,
    base: InsertStatement,
    per_statement: usize,
    returning: bool,
    rows: Vec<Vec<SimpleExpr>>,
    tx: Option<Tx>,
    in_tx: usize,
    ids: Vec<i64>,
}

impl<'a> Bulk<'a> {
    pub fn new(db: &'a Db, table: &'static str, cols: &[&'static str], returning: bool) -> Bulk<'a> {
        let mut base = Query::insert();
        base.into_table(table).columns(cols.iter().copied());
        if returning {
            base.returning_col("id");
        }
        let per_statement = (MAX_PARAMS / cols.len().max(1)).max(1);
        Bulk { db, base, per_statement, returning, rows: Vec::new(), tx: None, in_tx: 0, ids: Vec::new() }
    }

    pub async fn push(&mut self, row: Vec<SimpleExpr>) -> anyhow::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= self.per_statement {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut q = self.base.clone();
        let n = self.rows.len();
        for row in self.rows.drain(..) {
            q.values(row)?;
        }
        let tx = match self.tx.as_mut() {
            Some(tx) => tx,
            None => self.tx.insert(self.db.begin().await?),
        };
        if self.returning {
            self.ids.extend(tx.fetch_all::<(i64,)>(&q).await?.into_iter().map(|(i,)| i));
        } else {
            tx.execute(&q).await?;
        }
        self.in_tx += n;
        if self.in_tx >= ROWS_PER_TX {
            self.commit().await?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), sqlx::Error> {
        self.in_tx = 0;
        match self.tx.take() {
            Some(tx) => tx.commit().await,
            None => Ok(()),
        }
    }

    /// Writes what is left and commits; the ids of every row when `returning`.
    pub async fn finish(mut self) -> anyhow::Result<Vec<i64>> {
        self.flush().await?;
        self.commit().await?;
        Ok(self.ids)
    }
}
