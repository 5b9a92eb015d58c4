//! The one schema source renders the same tables, columns, nullability and indexes on both backends.

use std::collections::BTreeSet;

use ferrocrm::db::Db;

use crate::helpers::app::{fresh_pg_database, pg_server_url};

type Column = (String, String, bool);
type Shape = (BTreeSet<Column>, BTreeSet<String>);

/// (table, column, nullable) and index names of a migrated database (test-only introspection SQL).
async fn shape(db: &Db) -> Shape {
    let (cols, idx): (Vec<Column>, Vec<(String,)>) = match db {
        Db::Sqlite(p) => (
            sqlx::query_as(
                "SELECT m.name, c.name, c.\"notnull\" = 0 AND c.pk = 0 FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(p)
            .await
            .unwrap(),
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'")
                .fetch_all(p)
                .await
                .unwrap(),
        ),
        Db::Postgres(p) => (
            sqlx::query_as(
                "SELECT table_name::text, column_name::text, is_nullable = 'YES' FROM information_schema.columns \
                 WHERE table_schema = 'public'",
            )
            .fetch_all(p)
            .await
            .unwrap(),
            sqlx::query_as(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'",
            )
            .fetch_all(p)
            .await
            .unwrap(),
        ),
    };
    (cols.into_iter().collect(), idx.into_iter().map(|(i,)| i).collect())
}

#[tokio::test]
async fn both_backends_have_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display()), 1).await.unwrap();
    let pg = Db::connect(&fresh_pg_database(&pg_server_url()).await, 1).await.unwrap();
    ferrocrm::migrate(&sqlite).await.unwrap();
    ferrocrm::migrate(&pg).await.unwrap();
    let (s_cols, s_idx) = shape(&sqlite).await;
    let (p_cols, p_idx) = shape(&pg).await;
    assert!(s_cols.len() > 50, "introspection found too little: {s_cols:?}");
    let only_sqlite: Vec<_> = s_cols.difference(&p_cols).collect();
    let only_pg: Vec<_> = p_cols.difference(&s_cols).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "columns differ:\nSQLite only: {only_sqlite:?}\nPostgreSQL only: {only_pg:?}"
    );
    assert_eq!(s_idx, p_idx, "indexes differ");
    // Migrating again is a no-op on both.
    assert!(ferrocrm::migrate(&sqlite).await.unwrap().is_empty());
    assert!(ferrocrm::migrate(&pg).await.unwrap().is_empty());
}
