//! Mail accounts in the database: list (scoped), one account (404 outside the viewer's scope),
//! insert, update and delete, each keeping exactly one main account per user in its transaction.

use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};

use super::model::{AccountInput, MailAccount, PASSWORD_PURPOSE, PasswordChange};
use crate::access::{self, Action, ListKind, Object, Viewer};
use crate::db::{self, Backend, Db, Tx};
use crate::error::{AppError, AppResult};
use crate::history::{self, Actor, Change, Diff};
use crate::paging::{self, Paged};
use crate::secrets::Cipher;

/// History kind of an account.
pub const KIND: &str = "mail_account";

const COLUMNS: &[&str] = &[
    "id",
    "owner_id",
    "co_owner_id",
    "department_id",
    "name",
    "email",
    "from_name",
    "smtp_host",
    "smtp_port",
    "smtp_tls",
    "smtp_login",
    "password",
    "imap_host",
    "imap_port",
    "imap_tls",
    "imap_login",
    "main",
    "do_import",
    "sent_folder",
    "spam_folder",
    "trash_folder",
    "created_at",
    "updated_at",
];

fn select() -> SelectStatement {
    let mut q = Query::select();
    for c in COLUMNS {
        q.column(("mail_accounts", *c));
    }
    q.expr_as(
        Expr::cust("COALESCE(NULLIF(TRIM(users.first_name || ' ' || users.last_name), ''), users.username)"),
        Alias::new("owner_name"),
    )
    .expr_as(Expr::col(("departments", "name")), Alias::new("department_name"))
    .from("mail_accounts")
    .join(JoinType::InnerJoin, "users", Expr::col(("users", "id")).equals(("mail_accounts", "owner_id")))
    .join(
        JoinType::LeftJoin,
        "departments",
        Expr::col(("departments", "id")).equals(("mail_accounts", "department_id")),
    );
    q
}

/// One page of the accounts the viewer may see, main first, then in the order they were added;
/// `owner` narrows an administrator's list to one user's accounts.
pub async fn list(db: &Db, v: &Viewer, owner: Option<i64>, page: Option<u32>) -> AppResult<Paged<MailAccount>> {
    let page = paging::page_number(page);
    let mut q = select();
    access::scope(v, ListKind::MailAccounts, &mut q)?;
    let mut count = Query::select();
    count.expr(Expr::col(("mail_accounts", "id")).count()).from("mail_accounts");
    access::scope(v, ListKind::MailAccounts, &mut count)?;
    if let Some(o) = owner {
        q.and_where(Expr::col(("mail_accounts", "owner_id")).eq(o));
        count.and_where(Expr::col(("mail_accounts", "owner_id")).eq(o));
    }
    let total: i64 = db.scalar(&count).await?.unwrap_or(0);
    q.order_by(("users", "username"), Order::Asc)
        .order_by(("mail_accounts", "main"), Order::Desc)
        .order_by(("mail_accounts", "id"), Order::Asc)
        .limit(paging::PER_PAGE)
        .offset(paging::offset(page));
    let items: Vec<MailAccount> = db.fetch_all(&q).await?;
    Ok(Paged::counted(items, page, total))
}

/// Account `id` if the viewer may do `action` on it; 404 when it is not theirs to see.
pub async fn get(db: &Db, v: &Viewer, id: i64, action: Action) -> AppResult<MailAccount> {
    let mut q = select();
    q.and_where(Expr::col(("mail_accounts", "id")).eq(id));
    let a: MailAccount = db.fetch_optional(&q).await?.ok_or(AppError::NotFound)?;
    if !access::can(v, Action::View, &Object::MailAccount { owner: a.owner_id }) {
        return Err(AppError::NotFound);
    }
    access::require(v, action, &Object::MailAccount { owner: a.owner_id })?;
    Ok(a)
}

/// Account `id` for the background import (no viewer: the job acts for the account's owner).
pub async fn by_id(db: &Db, id: i64) -> Result<Option<MailAccount>, sqlx::Error> {
    let mut q = select();
    q.and_where(Expr::col(("mail_accounts", "id")).eq(id));
    db.fetch_optional(&q).await
}

/// The users whose accounts exist (the administrator's owner filter), by name.
pub async fn owners(db: &Db) -> Result<Vec<(i64, String)>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .distinct()
            .column(("users", "id"))
            .expr(Expr::cust("COALESCE(NULLIF(TRIM(users.first_name || ' ' || users.last_name), ''), users.username)"))
            .column(("users", "username"))
            .from("mail_accounts")
            .join(JoinType::InnerJoin, "users", Expr::col(("users", "id")).equals(("mail_accounts", "owner_id")))
            .order_by(("users", "username"), Order::Asc),
    )
    .await
    .map(|rows: Vec<(i64, String, String)>| rows.into_iter().map(|(id, name, _)| (id, name)).collect())
}

/// Serialises changes to one user's accounts (PostgreSQL: a row lock on the user; SQLite's
/// `BEGIN IMMEDIATE` already lets one writer in at a time).
async fn lock_owner(tx: &mut Tx, owner: i64) -> Result<(), sqlx::Error> {
    if tx.backend() == Backend::Postgres {
        let _: Vec<(i64,)> = tx
            .fetch_all(Query::select().column("id").from("users").and_where(Expr::col("id").eq(owner)).lock_exclusive())
            .await?;
    }
    Ok(())
}

async fn count_of(tx: &mut Tx, owner: i64, main_only: bool) -> Result<i64, sqlx::Error> {
    let mut q = Query::select();
    q.expr(Expr::col("id").count()).from("mail_accounts").and_where(Expr::col("owner_id").eq(owner));
    if main_only {
        q.and_where(Expr::col("main").eq(true));
    }
    Ok(tx.scalar(&q).await?.unwrap_or(0))
}

async fn unset_main(tx: &mut Tx, owner: i64, except: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table("mail_accounts")
            .value("main", false)
            .and_where(Expr::col("owner_id").eq(owner))
            .and_where(Expr::col("main").eq(true))
            .and_where(Expr::col("id").ne(except)),
    )
    .await
    .map(|_| ())
}

/// After a change to `owner`'s accounts: if none is main, the oldest becomes main.
async fn ensure_main(tx: &mut Tx, owner: i64) -> Result<(), sqlx::Error> {
    if count_of(tx, owner, true).await? == 0 {
        let first: Option<i64> = tx
            .scalar(
                Query::select()
                    .column("id")
                    .from("mail_accounts")
                    .and_where(Expr::col("owner_id").eq(owner))
                    .order_by("id", Order::Asc)
                    .limit(1),
            )
            .await?;
        if let Some(id) = first {
            tx.execute(Query::update().table("mail_accounts").value("main", true).and_where(Expr::col("id").eq(id)))
                .await?;
        }
    }
    Ok(())
}

async fn department_of(tx: &mut Tx, user: i64) -> Result<Option<i64>, sqlx::Error> {
    let d: Option<Option<i64>> =
        tx.scalar(Query::select().column("department_id").from("users").and_where(Expr::col("id").eq(user))).await?;
    Ok(d.flatten())
}

fn sealed(cipher: &Cipher, p: &PasswordChange, old: &str) -> AppResult<String> {
    Ok(match p {
        PasswordChange::Keep => old.to_string(),
        PasswordChange::Clear => String::new(),
        PasswordChange::Set(plain) => cipher.seal(PASSWORD_PURPOSE, plain)?,
    })
}

fn values(
    a: &AccountInput,
    owner: i64,
    department: Option<i64>,
    password: String,
) -> Vec<(&'static str, sea_query::Value)> {
    vec![
        ("owner_id", owner.into()),
        ("co_owner_id", a.co_owner_id.into()),
        ("department_id", department.into()),
        ("name", a.name.clone().into()),
        ("email", a.email.clone().into()),
        ("from_name", a.from_name.clone().into()),
        ("smtp_host", a.smtp_host.clone().into()),
        ("smtp_port", a.smtp_port.into()),
        ("smtp_tls", a.smtp_tls.slug().into()),
        ("smtp_login", a.smtp_login.clone().into()),
        ("password", password.into()),
        ("imap_host", a.imap_host.clone().into()),
        ("imap_port", a.imap_port.into()),
        ("imap_tls", a.imap_tls.slug().into()),
        ("imap_login", a.imap_login.clone().into()),
        ("do_import", a.do_import.into()),
        ("sent_folder", a.sent_folder.clone().into()),
        ("spam_folder", a.spam_folder.clone().into()),
        ("trash_folder", a.trash_folder.clone().into()),
        ("updated_at", db::now().into()),
    ]
}

/// A unique-index refusal of a second main account (a race the owner lock should prevent) is a 409.
fn raced(e: sqlx::Error) -> AppError {
    if db::is_unique_violation(&e) {
        AppError::Conflict(
            "Another change to these mail accounts was saved at the same moment. Please try again.".into(),
        )
    } else {
        e.into()
    }
}

/// Adds an account for `owner`. The user's first account is main; a new main one takes the
/// mark from the previous, in the same transaction.
pub async fn insert(tx: &mut Tx, cipher: &Cipher, a: &AccountInput, owner: i64, actor: &Actor) -> AppResult<i64> {
    lock_owner(tx, owner).await?;
    let main = a.main || count_of(tx, owner, false).await? == 0;
    if main {
        unset_main(tx, owner, 0).await?;
    }
    let department = department_of(tx, owner).await?;
    let mut vals = values(a, owner, department, sealed(cipher, &a.password, "")?);
    vals.push(("main", main.into()));
    vals.push(("created_at", db::now().into()));
    let (cols, vs): (Vec<_>, Vec<_>) = vals.into_iter().map(|(c, v)| (c, sea_query::Expr::from(v))).unzip();
    let id = tx
        .insert_id(Query::insert().into_table("mail_accounts").columns(cols).values_panic(vs).returning_col("id"))
        .await
        .map_err(raced)?;
    history::record(tx, actor, KIND, id, Change::Create, &format!("Mail account {} added", a.email), &Diff::default())
        .await?;
    Ok(id)
}

/// Saves `before` as `a`. An account stops being main only when another becomes main: a main
/// account posted without the mark stays main (the form says so).
pub async fn update(
    tx: &mut Tx,
    cipher: &Cipher,
    before: &MailAccount,
    a: &AccountInput,
    owner: i64,
    actor: &Actor,
) -> AppResult<()> {
    lock_owner(tx, owner).await?;
    if owner != before.owner_id {
        lock_owner(tx, before.owner_id).await?;
    }
    let moved = owner != before.owner_id;
    // Moving to another user: main there only when asked for or when it is their first.
    let main = if moved { a.main || count_of(tx, owner, false).await? == 0 } else { a.main || before.main };
    if main {
        unset_main(tx, owner, before.id).await?;
    }
    let department = if moved { department_of(tx, owner).await? } else { before.department_id };
    let mut vals = values(a, owner, department, sealed(cipher, &a.password, &before.password)?);
    vals.push(("main", main.into()));
    let vals = vals.into_iter().map(|(c, v)| (c, sea_query::Expr::from(v)));
    tx.execute(Query::update().table("mail_accounts").values(vals).and_where(Expr::col("id").eq(before.id)))
        .await
        .map_err(raced)?;
    if moved {
        ensure_main(tx, before.owner_id).await?;
    }
    let mut d = Diff::default();
    d.field("Name", &before.name, &a.name)
        .field("Email", &before.email, &a.email)
        .field(
            "SMTP server",
            format!("{}:{}", before.smtp_host, before.smtp_port),
            format!("{}:{}", a.smtp_host, a.smtp_port),
        )
        .field(
            "IMAP server",
            format!("{}:{}", before.imap_host, before.imap_port),
            format!("{}:{}", a.imap_host, a.imap_port),
        )
        .field("Main", before.main, main)
        .field("Import", before.do_import, a.do_import);
    // The password's change is recorded, never its value.
    match a.password {
        PasswordChange::Set(_) => {
            d.field("Password", "", "changed");
        }
        PasswordChange::Clear if before.has_password() => {
            d.field("Password", "", "removed");
        }
        _ => {}
    }
    history::record(tx, actor, KIND, before.id, Change::Update, "Mail account changed", &d).await?;
    Ok(())
}

/// Deletes an account; if it was the main one, the owner's oldest other account becomes main.
pub async fn delete(tx: &mut Tx, a: &MailAccount, actor: &Actor) -> AppResult<()> {
    lock_owner(tx, a.owner_id).await?;
    tx.execute(Query::delete().from_table("mail_accounts").and_where(Expr::col("id").eq(a.id))).await?;
    ensure_main(tx, a.owner_id).await?;
    history::record(
        tx,
        actor,
        KIND,
        a.id,
        Change::Delete,
        &format!("Mail account {} deleted", a.email),
        &Diff::default(),
    )
    .await?;
    Ok(())
}

/// At start-up: says in the log how many stored passwords another key sealed (a restored database
/// without its key file, or a changed `FERROCRM_SECRET_KEY`). They stay stored; their accounts say
/// what to do when used.
pub async fn warn_of_other_keys(db: &Db, cipher: &Cipher) -> Result<(), sqlx::Error> {
    let sealed: Vec<(String,)> = db
        .fetch_all(Query::select().column("password").from("mail_accounts").and_where(Expr::col("password").ne("")))
        .await?;
    let other = sealed.iter().filter(|(p,)| Cipher::id_of(p) != Some(cipher.key_id())).count();
    if other > 0 {
        tracing::warn!(
            count = other,
            key = cipher.key_id(),
            source = %cipher.source,
            "stored mail account passwords were saved with another secret key: restore that key, or re-enter them"
        );
    }
    Ok(())
}
