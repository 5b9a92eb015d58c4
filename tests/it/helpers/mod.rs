//! Test helpers: the app (`spawn_app`), a logged-in HTTP client, HTML pages queried with CSS
//! selectors, an SSE reader, a real SMTP server, and a real browser.

#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod client;
pub mod crm;
pub mod html;
pub mod imap;
pub mod items;
pub mod smtp;
pub mod snapshot;
pub mod sse;
pub mod tls;

pub use app::{TestApp, spawn_app};

/// The plan of `q` on this pass's backend, as the query-plan tests read it: SQLite's `EXPLAIN QUERY PLAN`, or PostgreSQL's `EXPLAIN` with sequential and bitmap
/// scans (and, unless `may_sort`, sorts) switched off.
pub async fn plan_of(db: &ferrocrm::db::Db, q: &sea_query::SelectStatement, may_sort: bool) -> Vec<String> {
    use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
    use sea_query_sqlx::SqlxBinder;
    match db {
        ferrocrm::db::Db::Sqlite(pool) => {
            let (sql, values) = q.build_sqlx(SqliteQueryBuilder);
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as_with(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")), values)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            plan.into_iter().map(|r| r.3).collect()
        }
        ferrocrm::db::Db::Postgres(pool) => {
            let (sql, values) = q.build_sqlx(PostgresQueryBuilder);
            let mut c = pool.acquire().await.unwrap();
            sqlx::query("SET enable_seqscan = off").execute(&mut *c).await.unwrap();
            sqlx::query("SET enable_bitmapscan = off").execute(&mut *c).await.unwrap();
            if !may_sort {
                sqlx::query("SET enable_sort = off").execute(&mut *c).await.unwrap();
            }
            let plan: Vec<(String,)> = sqlx::query_as_with(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")), values)
                .fetch_all(&mut *c)
                .await
                .unwrap();
            sqlx::query("RESET ALL").execute(&mut *c).await.unwrap();
            plan.into_iter().map(|r| r.0).collect()
        }
    }
}
