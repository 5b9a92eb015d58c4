//! The database: one concrete `Db` enum over SQLite and PostgreSQL, driven by sea-query.
//!
//! Reads take `&Db`, writes take `&mut Tx` (opened in the handler or job, committed before any event is
//! published). Every statement is built with sea-query and bound by `sea-query-sqlx`, so there is no
//! per-backend SQL in the domain code and no string-built SQL anywhere.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{AssertSqlSafe, FromRow, PgConnection, PgPool, SqliteConnection, SqlitePool};

/// Which SQL dialect a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool for one of the two supported backends.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction. Dropping it without `commit` rolls back.
pub enum Tx {
    /// A SQLite transaction and its turn at the database's write gate (`write_turn`).
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>, Option<tokio::sync::OwnedMutexGuard<()>>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// A borrowed connection of either backend: the one place statements are executed.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Rows decodable from both backends (every `#[derive(FromRow)]` struct of plain types is).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// Scalar values decodable from both backends.
pub trait Scalar:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
    + Send
    + Unpin
{
}
impl<T> Scalar for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + Unpin
{
}

/// The current time, rounded to microseconds so that it survives a round trip through PostgreSQL.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl Db {
    /// Opens a pool for `url` (`sqlite://path` or `postgres://…`). A SQLite file and its directory are
    /// created if missing; SQLite runs in WAL mode with foreign keys, a busy timeout and `synchronous=FULL`.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| anyhow::anyhow!("DATABASE_URL must start with sqlite:// or postgres://"))?;
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit acknowledged to a user survives power loss, which is the promise we make.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000")
            // Checkpoints run beside the writers (`Db::checkpoint`, every `CHECKPOINT_EVERY` while
            // serving); a commit runs one itself only past this many WAL pages (40 MiB), a safety
            // net for when nothing else does (the CLI) instead of a 0.1–0.4 s stall every 4 MiB.
            .pragma("wal_autocheckpoint", "10000");
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            // A local file does not drop connections: pinging one before each query only costs a
            // round trip to its worker thread (measured in docs/benchmarks.md).
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction. On SQLite it begins IMMEDIATE so two writers never deadlock on upgrade.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => {
                let turn = write_turn(p).await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn fetch_all<T: Row>(&self, q: &impl SqlxBinder) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Db::Sqlite(p) => Conn::Sqlite(&mut *p.acquire().await?).fetch_all(q).await,
            Db::Postgres(p) => Conn::Postgres(&mut *p.acquire().await?).fetch_all(q).await,
        }
    }

    pub async fn fetch_optional<T: Row>(&self, q: &impl SqlxBinder) -> Result<Option<T>, sqlx::Error> {
        match self {
            Db::Sqlite(p) => Conn::Sqlite(&mut *p.acquire().await?).fetch_optional(q).await,
            Db::Postgres(p) => Conn::Postgres(&mut *p.acquire().await?).fetch_optional(q).await,
        }
    }

    pub async fn scalar<T: Scalar>(&self, q: &impl SqlxBinder) -> Result<Option<T>, sqlx::Error> {
        match self {
            Db::Sqlite(p) => Conn::Sqlite(&mut *p.acquire().await?).scalar(q).await,
            Db::Postgres(p) => Conn::Postgres(&mut *p.acquire().await?).scalar(q).await,
        }
    }

    /// Rows whose columns are known only at run time: column `i` decoded as `tys[i]`.
    pub async fn fetch_values(
        &self,
        q: &impl SqlxBinder,
        tys: &[crate::crm::record::Ty],
    ) -> Result<Vec<Vec<crate::crm::record::Val>>, sqlx::Error> {
        match self {
            Db::Sqlite(p) => Conn::Sqlite(&mut *p.acquire().await?).fetch_values(q, tys).await,
            Db::Postgres(p) => Conn::Postgres(&mut *p.acquire().await?).fetch_values(q, tys).await,
        }
    }

    pub async fn execute(&self, q: &impl SqlxBinder) -> Result<u64, sqlx::Error> {
        match self {
            Db::Sqlite(p) => Conn::Sqlite(&mut *p.acquire().await?).execute(q).await,
            Db::Postgres(p) => Conn::Postgres(&mut *p.acquire().await?).execute(q).await,
        }
    }

    /// Bounds the memory SQLite's page caches take together, for the whole process (`PRAGMA
    /// soft_heap_limit`, in MiB; 0 lifts the bound). Past it, a connection that needs a page reuses
    /// its least recently used one instead of allocating (SQLite's pcache under "memory pressure"),
    /// so a long job that reads many pages (a 30,000-letter mail import) does not grow the process
    /// by every connection's full cache. Nothing on PostgreSQL. Returns the bound in force.
    pub async fn limit_sqlite_heap(&self, mib: u64) -> Result<Option<i64>, sqlx::Error> {
        let Db::Sqlite(p) = self else { return Ok(None) };
        let bytes = mib.saturating_mul(1024 * 1024).min(i64::MAX as u64);
        // A number from the configuration, not user data; a PRAGMA takes no bound parameter.
        let sql = format!("PRAGMA soft_heap_limit = {bytes}");
        let row: (i64,) = sqlx::query_as(AssertSqlSafe(sql)).fetch_one(p).await?;
        Ok(Some(row.0))
    }

    /// A pool of its own on the same database for one busy writer (the web forms' intake): on
    /// SQLite one connection, so its page cache stays warm from one transaction to the next (a
    /// connection drops its cache whenever another connection wrote), and a larger cache; it takes
    /// turns at the same write gate. On PostgreSQL the shared pool.
    pub async fn dedicated(&self) -> Result<Db, sqlx::Error> {
        match self {
            Db::Sqlite(p) => {
                let opts = (*p.connect_options()).clone().pragma("cache_size", "-65536");
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .connect_with(opts)
                    .await?;
                Ok(Db::Sqlite(pool))
            }
            Db::Postgres(_) => Ok(self.clone()),
        }
    }

    /// Copies what the SQLite WAL holds into the database file without waiting for readers or
    /// writers (`PRAGMA wal_checkpoint(PASSIVE)`), so no commit pays for it; nothing on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(p) => sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)").execute(p).await.map(|_| ()),
            Db::Postgres(_) => Ok(()),
        }
    }

    /// Runs a constant statement (no user data), e.g. `SELECT 1` or a PRAGMA.
    pub async fn execute_raw(&self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
    }

    /// Gathers the query planner's statistics of every table (after a bulk load). On SQLite, a
    /// sample of each index (`analysis_limit`): a fraction of a second at scale 10.
    pub async fn analyze(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(p) => sqlx::raw_sql("PRAGMA analysis_limit=1000; ANALYZE;").execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::raw_sql("ANALYZE").execute(p).await.map(|_| ()),
        }
    }

    /// Refreshes the planner's statistics where SQLite finds them missing or stale (`PRAGMA
    /// optimize` checking every table), once the database holds `STATS_FROM` bytes: statistics
    /// of a nearly empty database mislead the planner once it grows, and without any it plans
    /// well on small tables. PostgreSQL's autovacuum keeps its own.
    pub async fn refresh_statistics(&self) -> Result<bool, sqlx::Error> {
        let Db::Sqlite(p) = self else { return Ok(false) };
        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count").fetch_one(p).await?;
        let (size,): (i64,) = sqlx::query_as("PRAGMA page_size").fetch_one(p).await?;
        if pages.saturating_mul(size) < STATS_FROM {
            return Ok(false);
        }
        sqlx::raw_sql("PRAGMA optimize=0x10002").execute(p).await?;
        Ok(true)
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// The write gate of a SQLite file: transactions of this process take turns at it before `BEGIN
/// IMMEDIATE`, in arrival order, and the next one starts as soon as the previous one ends. Without
/// it, concurrent writers waited in SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between
/// tries and is not woken when the lock frees: 32 web-form posts at once made 50–80 a second with
/// a p99 of 3–7 s, though one takes under 10 ms. One gate per file, shared by every pool on it. A
/// turn not given within the busy timeout is skipped (SQLite's own waiting then applies), so a
/// writer that never ends cannot stop the others for longer than it did before.
async fn write_turn(p: &SqlitePool) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static GATES: OnceLock<Mutex<HashMap<std::path::PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = p.connect_options().get_filename().to_path_buf();
    let gate = {
        let mut gates = GATES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        gates.entry(file).or_default().clone()
    };
    tokio::time::timeout(BUSY_TIMEOUT, gate.lock_owned()).await.ok()
}

/// How often a serving process checkpoints its SQLite WAL (`Db::checkpoint`).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// How long a SQLite writer waits for the database (the connections' `busy_timeout` too).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite database size from which `Db::refresh_statistics` keeps statistics (64 MiB).
const STATS_FROM: i64 = 64 << 20;

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t, _) => Conn::Sqlite(&mut *t),
            Tx::Postgres(t) => Conn::Postgres(&mut *t),
        }
    }
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
    pub async fn fetch_all<T: Row>(&mut self, q: &impl SqlxBinder) -> Result<Vec<T>, sqlx::Error> {
        self.conn().fetch_all(q).await
    }
    pub async fn fetch_optional<T: Row>(&mut self, q: &impl SqlxBinder) -> Result<Option<T>, sqlx::Error> {
        self.conn().fetch_optional(q).await
    }
    pub async fn scalar<T: Scalar>(&mut self, q: &impl SqlxBinder) -> Result<Option<T>, sqlx::Error> {
        self.conn().scalar(q).await
    }
    pub async fn fetch_values(
        &mut self,
        q: &impl SqlxBinder,
        tys: &[crate::crm::record::Ty],
    ) -> Result<Vec<Vec<crate::crm::record::Val>>, sqlx::Error> {
        self.conn().fetch_values(q, tys).await
    }
    pub async fn execute(&mut self, q: &impl SqlxBinder) -> Result<u64, sqlx::Error> {
        self.conn().execute(q).await
    }
    /// Inserts and returns the new row's id (the statement must end in `.returning_col(Id)`).
    /// Runs a constant statement (no user data) in the transaction, e.g. `SAVEPOINT s`.
    pub async fn execute_constant(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _) => sqlx::raw_sql(sql).execute(&mut **t).await.map(|_| ()),
            Tx::Postgres(t) => sqlx::raw_sql(sql).execute(&mut **t).await.map(|_| ()),
        }
    }
    pub async fn insert_id(&mut self, q: &impl SqlxBinder) -> Result<i64, sqlx::Error> {
        self.conn().scalar::<i64>(q).await?.ok_or(sqlx::Error::RowNotFound)
    }
    /// Runs SQL built only from integers the program computed (a bulk insert of numbers, where
    /// binding millions of parameters one by one would cost more than the insert). Never user text.
    pub async fn execute_numbers(&mut self, sql: String) -> Result<(), sqlx::Error> {
        self.execute_ddl(sql).await
    }
    /// Runs constant SQL (DDL rendered by sea-query from the migration source; never user data).
    pub async fn execute_ddl(&mut self, sql: String) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _) => sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **t).await.map(|_| ()),
            Tx::Postgres(t) => sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **t).await.map(|_| ()),
        }
    }
}

/// Whether a statement is kept prepared in the connection's cache (sqlx keeps 100 a connection).
/// A statement with many bound values is a batch (rows of a multi-row INSERT, an IN list of ids)
/// whose text differs with the batch's size: caching each shape filled every connection's cache
/// with large one-off programs, and the mail import grew by ~1.5 KB a letter for it. The pages'
/// own queries bind a few values and stay cached.
fn cached(v: &sea_query_sqlx::SqlxValues) -> bool {
    v.0.0.len() <= CACHED_BINDS
}

/// Most bound values of a statement that is cached (see `cached`).
const CACHED_BINDS: usize = 24;

impl Conn<'_> {
    pub async fn fetch_all<T: Row>(self, q: &impl SqlxBinder) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                let (sql, v) = q.build_sqlx(SqliteQueryBuilder);
                let k = cached(&v);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v).persistent(k).fetch_all(c).await
            }
            Conn::Postgres(c) => {
                let (sql, v) = q.build_sqlx(PostgresQueryBuilder);
                let k = cached(&v);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v).persistent(k).fetch_all(c).await
            }
        }
    }
    pub async fn fetch_optional<T: Row>(self, q: &impl SqlxBinder) -> Result<Option<T>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                let (sql, v) = q.build_sqlx(SqliteQueryBuilder);
                let k = cached(&v);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v).persistent(k).fetch_optional(c).await
            }
            Conn::Postgres(c) => {
                let (sql, v) = q.build_sqlx(PostgresQueryBuilder);
                let k = cached(&v);
                sqlx::query_as_with::<_, T, _>(AssertSqlSafe(sql), v).persistent(k).fetch_optional(c).await
            }
        }
    }
    pub async fn scalar<T: Scalar>(self, q: &impl SqlxBinder) -> Result<Option<T>, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                let (sql, v) = q.build_sqlx(SqliteQueryBuilder);
                let k = cached(&v);
                sqlx::query_scalar_with::<_, T, _>(AssertSqlSafe(sql), v).persistent(k).fetch_optional(c).await
            }
            Conn::Postgres(c) => {
                let (sql, v) = q.build_sqlx(PostgresQueryBuilder);
                let k = cached(&v);
                sqlx::query_scalar_with::<_, T, _>(AssertSqlSafe(sql), v).persistent(k).fetch_optional(c).await
            }
        }
    }
    pub async fn fetch_values(
        self,
        q: &impl SqlxBinder,
        tys: &[crate::crm::record::Ty],
    ) -> Result<Vec<Vec<crate::crm::record::Val>>, sqlx::Error> {
        use crate::crm::record::decode_all;
        match self {
            Conn::Sqlite(c) => {
                let (sql, v) = q.build_sqlx(SqliteQueryBuilder);
                let k = cached(&v);
                decode_all(&sqlx::query_with(AssertSqlSafe(sql), v).persistent(k).fetch_all(c).await?, tys)
            }
            Conn::Postgres(c) => {
                let (sql, v) = q.build_sqlx(PostgresQueryBuilder);
                let k = cached(&v);
                decode_all(&sqlx::query_with(AssertSqlSafe(sql), v).persistent(k).fetch_all(c).await?, tys)
            }
        }
    }
    pub async fn execute(self, q: &impl SqlxBinder) -> Result<u64, sqlx::Error> {
        match self {
            Conn::Sqlite(c) => {
                let (sql, v) = q.build_sqlx(SqliteQueryBuilder);
                let k = cached(&v);
                Ok(sqlx::query_with(AssertSqlSafe(sql), v).persistent(k).execute(c).await?.rows_affected())
            }
            Conn::Postgres(c) => {
                let (sql, v) = q.build_sqlx(PostgresQueryBuilder);
                let k = cached(&v);
                Ok(sqlx::query_with(AssertSqlSafe(sql), v).persistent(k).execute(c).await?.rows_affected())
            }
        }
    }
}

/// True when `e` is a unique-constraint violation (same meaning on both backends).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// True when `e` is a foreign-key violation: a row still referred to (same meaning on both backends).
/// SQLite reports it without its extended code unless asked, so its message is checked as well.
pub fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation
                || d.code().is_some_and(|c| c == "787" || c == "23503")
                || d.message().contains("FOREIGN KEY constraint failed")
        }
        _ => false,
    }
}

/// Escapes `%`, `_` and `\` so user text is matched literally by `LIKE … ESCAPE '\'`.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(super::like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
