//! Schema migrations: written once with sea-query DDL, rendered for SQLite or PostgreSQL.
//!
//! Each migration is a numbered list of statements. The runner applies the pending ones, each in its own
//! transaction, and records them in `schema_migrations`. On PostgreSQL an advisory lock keeps two
//! instances starting at once from racing. Applied migrations are never edited: add a new one.

mod m0001_init;
mod m0002_tasks;
mod m0003_time_zone;
mod m0004_home;

use sea_query::{
    ColumnDef, Index, IndexCreateStatement, IndexDropStatement, PostgresQueryBuilder, Query, SqliteQueryBuilder, Table,
    TableAlterStatement, TableCreateStatement,
};

use crate::db::{Backend, Db};

/// One DDL statement of a migration.
pub enum Stmt {
    Table(Box<TableCreateStatement>),
    Index(Box<IndexCreateStatement>),
    /// One change to an existing table (SQLite alters one column per statement).
    Alter(Box<TableAlterStatement>),
    /// An index replaced by a later migration.
    DropIndex(Box<IndexDropStatement>),
}

impl Stmt {
    fn render(&self, backend: Backend) -> String {
        match (self, backend) {
            (Stmt::Table(t), Backend::Sqlite) => t.to_string(SqliteQueryBuilder),
            (Stmt::Table(t), Backend::Postgres) => t.to_string(PostgresQueryBuilder),
            (Stmt::Index(i), Backend::Sqlite) => i.to_string(SqliteQueryBuilder),
            (Stmt::Index(i), Backend::Postgres) => i.to_string(PostgresQueryBuilder),
            (Stmt::Alter(a), Backend::Sqlite) => a.to_string(SqliteQueryBuilder),
            (Stmt::Alter(a), Backend::Postgres) => a.to_string(PostgresQueryBuilder),
            (Stmt::DropIndex(d), Backend::Sqlite) => d.to_string(SqliteQueryBuilder),
            (Stmt::DropIndex(d), Backend::Postgres) => d.to_string(PostgresQueryBuilder),
        }
    }
}

type Migration = (i64, &'static str, fn() -> Vec<Stmt>);

const MIGRATIONS: &[Migration] = &[
    (1, "init", m0001_init::statements),
    (2, "tasks", m0002_tasks::statements),
    (3, "time_zone", m0003_time_zone::statements),
    (4, "home", m0004_home::statements),
];

/// Applies every pending migration. Returns the versions applied by this call.
pub async fn run(db: &Db) -> anyhow::Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let create = Table::create()
        .table("schema_migrations")
        .if_not_exists()
        .col(ColumnDef::new("version").big_integer().not_null().primary_key())
        .col(ColumnDef::new("name").string().not_null())
        .col(ColumnDef::new("applied_at").timestamp_with_time_zone().not_null())
        .to_owned();
    let backend = tx.backend();
    tx.execute_ddl(Stmt::Table(Box::new(create)).render(backend)).await?;
    if backend == Backend::Postgres {
        // Serialise concurrent starts: the lock is released when this transaction ends.
        tx.execute_ddl("SELECT pg_advisory_xact_lock(727274)".to_string()).await?;
    }
    let done: Vec<(i64,)> =
        tx.fetch_all(&Query::select().column("version").from("schema_migrations").to_owned()).await?;
    let mut applied = Vec::new();
    for (version, name, statements) in MIGRATIONS {
        if done.iter().any(|(v,)| v == version) {
            continue;
        }
        for stmt in statements() {
            tx.execute_ddl(stmt.render(backend)).await?;
        }
        tx.execute(
            &Query::insert()
                .into_table("schema_migrations")
                .columns(["version", "name", "applied_at"])
                .values_panic([(*version).into(), (*name).into(), crate::db::now().into()])
                .to_owned(),
        )
        .await?;
        applied.push(*version);
    }
    tx.commit().await?;
    Ok(applied)
}

/// The number of migrations this binary knows (the schema version it expects).
pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// `id` column: integer primary key, auto-increment on both backends.
fn id() -> ColumnDef {
    ColumnDef::new("id").big_integer().not_null().auto_increment().primary_key().to_owned()
}

fn ts(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().not_null().to_owned()
}

fn ts_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().null().to_owned()
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str]) -> Stmt {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    Stmt::Index(Box::new(i.to_owned()))
}

fn unique_index(name: &'static str, table: &'static str, cols: &[&'static str]) -> Stmt {
    let mut i = Index::create();
    i.name(name).table(table).unique().if_not_exists();
    for c in cols {
        i.col(*c);
    }
    Stmt::Index(Box::new(i.to_owned()))
}
