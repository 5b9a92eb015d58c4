//! Schema migrations: written once with sea-query DDL, rendered for SQLite or PostgreSQL.
//!
//! Each migration is a numbered list of statements. The runner applies the pending ones, each in its own
//! transaction, and records them in `schema_migrations`. On PostgreSQL an advisory lock keeps two
//! instances starting at once from racing. Applied migrations are never edited: add a new one.

mod m0001_init;
mod m0002_tasks;
mod m0003_time_zone;
mod m0004_home;
mod m0005_crm;
mod m0006_departments_served;
mod m0007_search;
mod m0008_deal_work;
mod m0009_imports;
mod m0010_search_short;
mod m0011_deal_list;
mod m0013_company_names;
mod m0014_user_transfers;
mod m0015_quality;
mod m0016_payment_department;
mod m0017_item_search;
mod m0018_requests_match;
mod m0019_intake;
mod m0020_mail_accounts;
mod m0021_emails;
mod m0022_request_list;
mod m0023_email_sending;
mod m0024_mail_import;
mod m0025_search_pending;
mod m0027_message_id_set;
mod m0028_task_completion;
mod m0029_task_workflow;
mod m0030_analytics;
mod m0031_task_tags;
mod m0032_income_snapshots;
mod m0033_task_list_order;
mod m0034_paid_deals;
mod m0035_deal_wins;

use sea_query::{
    ColumnDef, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index, IndexCreateStatement,
    IndexDropStatement, InsertStatement, Order, PostgresQueryBuilder, Query, SqliteQueryBuilder, Table,
    TableAlterStatement, TableCreateStatement,
};

use crate::db::{Backend, Db, Tx};

pub use m0005_crm::department_defaults;
pub(crate) use m0005_crm::lead_source_token;
pub use m0015_quality::quality_defaults;

/// One statement of a migration.
pub enum Stmt {
    Table(Box<TableCreateStatement>),
    Index(Box<IndexCreateStatement>),
    /// One change to an existing table (SQLite alters one column per statement).
    Alter(Box<TableAlterStatement>),
    /// Data rows (a dictionary a new installation starts with). Values are bound, not inlined.
    Insert(Box<InsertStatement>),
    /// Rows every department that exists when the migration runs gets, built per department id
    /// (so each copy can carry fresh random tokens).
    EachDepartment(fn(i64) -> Vec<InsertStatement>),
    /// An index replaced by a later migration.
    DropIndex(Box<IndexDropStatement>),
    /// A table whose DDL differs per backend (SQLite's `WITHOUT ROWID`).
    TableFor(fn(Backend) -> TableCreateStatement),
    /// Rows computed by Rust from existing data (an index filled from the rows it covers).
    Run(RunFn),
    /// Plain SQL that differs per backend (triggers and their functions), each run in order.
    Raw {
        sqlite: &'static [&'static str],
        postgres: &'static [&'static str],
    },
}

impl Stmt {
    /// The DDL of a schema statement; `None` for data statements, which are executed with bound values.
    fn render(&self, backend: Backend) -> Option<String> {
        Some(match (self, backend) {
            (Stmt::Table(t), Backend::Sqlite) => t.to_string(SqliteQueryBuilder),
            (Stmt::Table(t), Backend::Postgres) => t.to_string(PostgresQueryBuilder),
            (Stmt::Index(i), Backend::Sqlite) => i.to_string(SqliteQueryBuilder),
            (Stmt::Index(i), Backend::Postgres) => i.to_string(PostgresQueryBuilder),
            (Stmt::Alter(a), Backend::Sqlite) => a.to_string(SqliteQueryBuilder),
            (Stmt::Alter(a), Backend::Postgres) => a.to_string(PostgresQueryBuilder),
            (Stmt::DropIndex(d), Backend::Sqlite) => d.to_string(SqliteQueryBuilder),
            (Stmt::DropIndex(d), Backend::Postgres) => d.to_string(PostgresQueryBuilder),
            (Stmt::TableFor(t), Backend::Sqlite) => t(backend).to_string(SqliteQueryBuilder),
            (Stmt::TableFor(t), Backend::Postgres) => t(backend).to_string(PostgresQueryBuilder),
            (Stmt::Insert(_) | Stmt::EachDepartment(_) | Stmt::Run(_) | Stmt::Raw { .. }, _) => return None,
        })
    }

    async fn apply(self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        if let Some(ddl) = self.render(tx.backend()) {
            return tx.execute_ddl(ddl).await;
        }
        match self {
            Stmt::Insert(q) => tx.execute(&*q).await.map(|_| ()),
            Stmt::EachDepartment(rows) => {
                let ids: Vec<(i64,)> = tx
                    .fetch_all(&Query::select().column("id").from("departments").order_by("id", Order::Asc).to_owned())
                    .await?;
                for (id,) in ids {
                    for q in rows(id) {
                        tx.execute(&q).await?;
                    }
                }
                Ok(())
            }
            Stmt::Run(run) => run(tx).await,
            Stmt::Raw { sqlite, postgres } => {
                let sql = match tx.backend() {
                    Backend::Sqlite => sqlite,
                    Backend::Postgres => postgres,
                };
                for s in sql {
                    tx.execute_ddl((*s).to_string()).await?;
                }
                Ok(())
            }
            Stmt::Table(_) | Stmt::Index(_) | Stmt::Alter(_) | Stmt::DropIndex(_) | Stmt::TableFor(_) => Ok(()),
        }
    }
}

type Migration = (i64, &'static str, fn() -> Vec<Stmt>);

/// A `Stmt::Run` step: Rust work inside the migration's transaction.
pub type RunFn = for<'a> fn(&'a mut Tx) -> std::pin::Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>>;

const MIGRATIONS: &[Migration] = &[
    (1, "init", m0001_init::statements),
    (2, "tasks", m0002_tasks::statements),
    (3, "time_zone", m0003_time_zone::statements),
    (4, "home", m0004_home::statements),
    (5, "crm", m0005_crm::statements),
    (6, "departments_served", m0006_departments_served::statements),
    (7, "search", m0007_search::statements),
    (8, "deal_work", m0008_deal_work::statements),
    (9, "imports", m0009_imports::statements),
    (10, "search_short", m0010_search_short::statements),
    (11, "deal_list", m0011_deal_list::statements),
    (13, "company_names", m0013_company_names::statements),
    (14, "user_transfers", m0014_user_transfers::statements),
    (15, "quality", m0015_quality::statements),
    (16, "payment_department", m0016_payment_department::statements),
    (17, "item_search", m0017_item_search::statements),
    (18, "requests_match", m0018_requests_match::statements),
    (19, "intake", m0019_intake::statements),
    (20, "mail_accounts", m0020_mail_accounts::statements),
    (21, "emails", m0021_emails::statements),
    (22, "request_list", m0022_request_list::statements),
    (23, "email_sending", m0023_email_sending::statements),
    (24, "mail_import", m0024_mail_import::statements),
    (25, "search_pending", m0025_search_pending::statements),
    (27, "message_id_set", m0027_message_id_set::statements),
    (28, "task_completion", m0028_task_completion::statements),
    (29, "task_workflow", m0029_task_workflow::statements),
    (30, "analytics", m0030_analytics::statements),
    (31, "task_tags", m0031_task_tags::statements),
    (32, "income_snapshots", m0032_income_snapshots::statements),
    (33, "task_list_order", m0033_task_list_order::statements),
    (34, "paid_deals", m0034_paid_deals::statements),
    (35, "deal_wins", m0035_deal_wins::statements),
];

/// Applies every pending migration. Returns the versions applied by this call.
pub async fn run(db: &Db) -> anyhow::Result<Vec<i64>> {
    run_to(db, i64::MAX).await
}

/// Applies the pending migrations up to version `last` (tests build older schemas with it).
pub async fn run_to(db: &Db, last: i64) -> anyhow::Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let create = Table::create()
        .table("schema_migrations")
        .if_not_exists()
        .col(ColumnDef::new("version").big_integer().not_null().primary_key())
        .col(ColumnDef::new("name").string().not_null())
        .col(ColumnDef::new("applied_at").timestamp_with_time_zone().not_null())
        .to_owned();
    let backend = tx.backend();
    Stmt::Table(Box::new(create)).apply(&mut tx).await?;
    if backend == Backend::Postgres {
        // Serialise concurrent starts: the lock is released when this transaction ends.
        tx.execute_ddl("SELECT pg_advisory_xact_lock(727274)".to_string()).await?;
    }
    let done: Vec<(i64,)> =
        tx.fetch_all(&Query::select().column("version").from("schema_migrations").to_owned()).await?;
    let mut applied = Vec::new();
    for (version, name, statements) in MIGRATIONS {
        if *version > last || done.iter().any(|(v,)| v == version) {
            continue;
        }
        for stmt in statements() {
            stmt.apply(&mut tx).await?;
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

fn table(t: &mut TableCreateStatement) -> Stmt {
    Stmt::Table(Box::new(t.to_owned()))
}

/// A foreign key from `from.col` to `to.id`, with what a delete of the referenced row does.
fn fk(from: &'static str, col: &'static str, to: &'static str, action: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from, col).to(to, "id").on_delete(action).to_owned()
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
