//! The import's bookkeeping (`mail_import_folders`, `mail_import_failures`, the account's last
//! connection error): what a run starts from, what it adds, and the completeness report the
//! account page shows.

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};

use crate::db::{self, Db, Tx};

/// One folder's state and counts. seen = filed + every skipped + failed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Folder {
    pub id: i64,
    pub account_id: i64,
    pub role: String,
    pub folder: String,
    pub uidvalidity: Option<i64>,
    pub last_uid: i64,
    pub seen: i64,
    pub filed: i64,
    pub skipped_own: i64,
    pub skipped_no_ticket: i64,
    pub skipped_unknown_ticket: i64,
    pub skipped_duplicate: i64,
    pub failed: i64,
    pub rescans: i64,
    pub last_error: String,
    pub last_run_at: Option<DateTime<Utc>>,
}

impl Folder {
    pub fn skipped(&self) -> i64 {
        self.skipped_own + self.skipped_no_ticket + self.skipped_unknown_ticket + self.skipped_duplicate
    }
}

/// A message that could not be filed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Failure {
    pub folder: String,
    pub uidvalidity: Option<i64>,
    pub uid: i64,
    pub message_id: String,
    pub subject: String,
    pub error: String,
    pub created_at: DateTime<Utc>,
}

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Filed,
    /// Sent by the CRM itself.
    Own,
    NoTicket,
    /// A ticket no deal or request has.
    UnknownTicket,
    /// Already in the CRM (same Message-ID for this account or this deal/request).
    Duplicate,
    Failed,
}

impl Verdict {
    fn column(self) -> &'static str {
        match self {
            Verdict::Filed => "filed",
            Verdict::Own => "skipped_own",
            Verdict::NoTicket => "skipped_no_ticket",
            Verdict::UnknownTicket => "skipped_unknown_ticket",
            Verdict::Duplicate => "skipped_duplicate",
            Verdict::Failed => "failed",
        }
    }
}

const COLS: [&str; 16] = [
    "id",
    "account_id",
    "role",
    "folder",
    "uidvalidity",
    "last_uid",
    "seen",
    "filed",
    "skipped_own",
    "skipped_no_ticket",
    "skipped_unknown_ticket",
    "skipped_duplicate",
    "failed",
    "rescans",
    "last_error",
    "last_run_at",
];

/// The folder's row, made when missing.
pub async fn folder(db: &Db, account: i64, role: &str, name: &str) -> Result<Folder, sqlx::Error> {
    let mut tx = db.begin().await?;
    tx.execute(
        Query::insert()
            .into_table("mail_import_folders")
            .columns(["account_id", "role", "folder", "updated_at"])
            .values_panic([account.into(), role.into(), name.into(), db::now().into()])
            .on_conflict(OnConflict::columns(["account_id", "folder"]).do_nothing().to_owned()),
    )
    .await?;
    let f = tx
        .fetch_optional(
            Query::select()
                .columns(COLS)
                .from("mail_import_folders")
                .and_where(Expr::col("account_id").eq(account))
                .and_where(Expr::col("folder").eq(name)),
        )
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok(f)
}

/// Every folder of an account (the report), INBOX first.
pub async fn folders(db: &Db, account: i64) -> Result<Vec<Folder>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns(COLS)
            .from("mail_import_folders")
            .and_where(Expr::col("account_id").eq(account))
            .order_by("role", Order::Asc)
            .order_by("id", Order::Asc),
    )
    .await
}

/// The latest failures of an account.
pub async fn failures(db: &Db, account: i64, limit: u64) -> Result<Vec<Failure>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns(["folder", "uidvalidity", "uid", "message_id", "subject", "error", "created_at"])
            .from("mail_import_failures")
            .and_where(Expr::col("account_id").eq(account))
            .order_by("id", Order::Desc)
            .limit(limit),
    )
    .await
}

/// A new UIDVALIDITY: the folder is scanned again from its first UID (duplicates are recognised
/// by Message-ID), and the change is counted.
pub async fn restart(db: &Db, f: &Folder, uidvalidity: i64) -> Result<(), sqlx::Error> {
    let rescan = f.uidvalidity.is_some();
    db.execute(
        Query::update()
            .table("mail_import_folders")
            .value("uidvalidity", uidvalidity)
            .value("last_uid", 0)
            .value("rescans", Expr::col("rescans").add(i64::from(rescan)))
            .value("updated_at", db::now())
            .and_where(Expr::col("id").eq(f.id)),
    )
    .await
    .map(|_| ())
}

/// Counts `n` messages under `verdict` and moves the folder's mark to `uid`, inside `tx` (the same
/// transaction as the filing, so the counts never disagree with the emails).
pub async fn count(tx: &mut Tx, folder_id: i64, verdict: Verdict, n: i64, uid: i64) -> Result<(), sqlx::Error> {
    let col = verdict.column();
    tx.execute(
        Query::update()
            .table("mail_import_folders")
            .value("seen", Expr::col("seen").add(n))
            .value(col, Expr::col(col).add(n))
            .value("last_uid", Expr::case(Expr::col("last_uid").lt(uid), uid).finally(Expr::col("last_uid")))
            .value("updated_at", db::now())
            .and_where(Expr::col("id").eq(folder_id)),
    )
    .await
    .map(|_| ())
}

/// Records a message that could not be filed (and counts it).
pub async fn fail(
    db: &Db,
    f: &Folder,
    uid: i64,
    message_id: &str,
    subject: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    fail_in(&mut tx, f, uid, message_id, subject, error).await?;
    tx.commit().await
}

/// `fail` inside `tx` (a batch's transaction).
pub async fn fail_in(
    tx: &mut Tx,
    f: &Folder,
    uid: i64,
    message_id: &str,
    subject: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table("mail_import_failures")
            .columns(["account_id", "folder", "uidvalidity", "uid", "message_id", "subject", "error", "created_at"])
            .values_panic([
                f.account_id.into(),
                f.folder.as_str().into(),
                f.uidvalidity.into(),
                uid.into(),
                super::parse::clean(message_id, 1000).into(),
                super::parse::clean(subject, 250).into(),
                super::parse::clean(error, 2000).into(),
                db::now().into(),
            ]),
    )
    .await?;
    count(tx, f.id, Verdict::Failed, 1, uid).await
}

/// The end of a folder's run: when, and what went wrong with the folder as a whole (empty: nothing).
pub async fn ran(db: &Db, folder_id: i64, error: &str) -> Result<(), sqlx::Error> {
    db.execute(
        Query::update()
            .table("mail_import_folders")
            .value("last_run_at", db::now())
            .value("last_error", super::parse::clean(error, 2000))
            .value("updated_at", db::now())
            .and_where(Expr::col("id").eq(folder_id)),
    )
    .await
    .map(|_| ())
}

/// The end of an account's run: when, and why it could not reach the mailbox (empty: it could).
pub async fn account_ran(db: &Db, account: i64, error: &str) -> Result<(), sqlx::Error> {
    db.execute(
        Query::update()
            .table("mail_accounts")
            .value("import_ran_at", db::now())
            .value("import_error", super::parse::clean(error, 2000))
            .and_where(Expr::col("id").eq(account)),
    )
    .await
    .map(|_| ())
}

/// The account's last run and its connection error.
pub async fn account_state(db: &Db, account: i64) -> Result<Option<(Option<DateTime<Utc>>, String)>, sqlx::Error> {
    db.fetch_optional(
        Query::select()
            .columns(["import_ran_at", "import_error"])
            .from("mail_accounts")
            .and_where(Expr::col("id").eq(account)),
    )
    .await
}
