//! A fingerprint of the whole database, to prove that a refused request changed nothing: per table, the
//! row count and a hash of every row's every column. (Test-only introspection SQL, per backend.)

use std::collections::BTreeMap;

use ferrocrm::db::Db;
use sha2::{Digest, Sha256};

/// Tables that record the requests themselves (sessions touched, failed logins), not user data.
const BOOKKEEPING: &[&str] = &["login_throttle", "sessions"];

async fn tables(db: &Db) -> Vec<String> {
    let rows: Vec<(String,)> = match db {
        Db::Sqlite(p) => {
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                .fetch_all(p)
                .await
                .expect("list tables")
        }
        Db::Postgres(p) => sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
            .fetch_all(p)
            .await
            .expect("list tables"),
    };
    rows.into_iter().map(|(t,)| t).filter(|t| !BOOKKEEPING.contains(&t.as_str())).collect()
}

/// Every row of a table as one line of text, sorted.
async fn rows(db: &Db, table: &str) -> Vec<String> {
    let rows: Vec<(String,)> = match db {
        Db::Sqlite(p) => {
            let cols: Vec<(String,)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{table}')")))
                    .fetch_all(p)
                    .await
                    .expect("columns");
            let expr = cols.iter().map(|(c,)| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || '|' || ");
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {expr} FROM \"{table}\" ORDER BY 1")))
                .fetch_all(p)
                .await
                .expect("rows")
        }
        Db::Postgres(p) => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT t::text FROM \"{table}\" t ORDER BY 1")))
            .fetch_all(p)
            .await
            .expect("rows"),
    };
    rows.into_iter().map(|(r,)| r).collect()
}

/// Per table: (row count, SHA-256 of all rows). Taken before and after a denied request, the two
/// must be equal.
pub async fn snapshot(db: &Db) -> BTreeMap<String, (usize, String)> {
    let mut out = BTreeMap::new();
    for t in tables(db).await {
        let r = rows(db, &t).await;
        let mut h = Sha256::new();
        for line in &r {
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        out.insert(t, (r.len(), hex::encode(h.finalize())));
    }
    out
}
