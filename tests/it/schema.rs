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

/// The task list's visibility test for a user who does not see every task stays a walk of the task
/// index with one indexed look-up per row: every search of `participants` is by user, kind **and**
/// object. (A join in the subtask rule once made SQLite walk all of the user's participations for
/// every task: 0.6 s per page for a sales manager at scale 10.) SQLite's plan, on SQLite in both passes.
#[tokio::test]
async fn the_task_list_visibility_rule_looks_up_participants_by_object() {
    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    let app = crate::helpers::TestApp::with(crate::helpers::app::Options {
        seed_users: true,
        database_url: Some(url),
        ..Default::default()
    })
    .await;
    let Db::Sqlite(pool) = &app.db else { panic!("this test runs on SQLite") };
    let mark = app.state_viewer(app.user_id("Mark.Manager.Sales").await).await;
    let q = ferrocrm::tasks::repo::filtered(&mark, &Default::default()).unwrap();
    let sql = q.to_string(sea_query::SqliteQueryBuilder);
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).fetch_all(pool).await.unwrap();
    let lines: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
    let on_participants: Vec<&&str> = lines.iter().filter(|l| l.contains("participants")).collect();
    assert!(on_participants.len() >= 3, "own, main task's and subtasks' participants: {lines:#?}");
    for l in on_participants {
        assert!(l.contains("object_id=?"), "a participants search not by object: {l}\n{lines:#?}");
    }
}
