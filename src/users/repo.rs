//! Queries on users, roles and departments. Every write records history in the same transaction.

use std::collections::HashMap;

use sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement};

use super::model::{Department, Departments, User, UserFilter, UserInput, UserRoles, Users};
use crate::access::{self, ListKind, Role, Roles, Viewer};
use crate::db::{self, Db, Tx};
use crate::error::{AppError, AppResult};
use crate::history::{self, Actor, Change, Diff};
use crate::paging::{self, Paged};

fn select_users() -> SelectStatement {
    Query::select()
        .columns([
            (Users::Table, Users::Id),
            (Users::Table, Users::Username),
            (Users::Table, Users::Email),
            (Users::Table, Users::FirstName),
            (Users::Table, Users::LastName),
            (Users::Table, Users::IsActive),
            (Users::Table, Users::DepartmentId),
            (Users::Table, Users::EmailNotifications),
            (Users::Table, Users::CreatedAt),
            (Users::Table, Users::LastLoginAt),
            (Users::Table, Users::TimeZone),
        ])
        .expr_as(Expr::col((Departments::Table, Departments::Name)), "department_name")
        .from(Users::Table)
        .join(
            JoinType::LeftJoin,
            Departments::Table,
            Expr::col((Departments::Table, Departments::Id)).equals((Users::Table, Users::DepartmentId)),
        )
        .to_owned()
}

/// Loads the roles of many users in one query (no N+1).
async fn attach_roles(db: &Db, users: &mut [User]) -> Result<(), sqlx::Error> {
    if users.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let rows: Vec<(i64, String)> = db
        .fetch_all(
            Query::select()
                .columns([UserRoles::UserId, UserRoles::Role])
                .from(UserRoles::Table)
                .and_where(Expr::col(UserRoles::UserId).is_in(ids)),
        )
        .await?;
    let mut map: HashMap<i64, Roles> = HashMap::new();
    for (uid, slug) in rows {
        if let Some(r) = Role::from_slug(&slug) {
            map.entry(uid).or_default().insert(r);
        }
    }
    for u in users {
        u.roles = map.get(&u.id).copied().unwrap_or_default();
    }
    Ok(())
}

fn apply_filter(q: &mut SelectStatement, f: &UserFilter) {
    let text = f.q.trim();
    if !text.is_empty() {
        let pat = db::like_pattern(&text.to_lowercase());
        let like = |c: Users| {
            Expr::expr(Func::lower(Expr::col((Users::Table, c))))
                .like(sea_query::LikeExpr::new(pat.clone()).escape('\\'))
        };
        q.and_where(like(Users::Username).or(like(Users::FirstName)).or(like(Users::LastName)).or(like(Users::Email)));
    }
    match f.status.as_str() {
        "all" => {}
        "inactive" => {
            q.and_where(Expr::col((Users::Table, Users::IsActive)).eq(false));
        }
        _ => {
            q.and_where(Expr::col((Users::Table, Users::IsActive)).eq(true));
        }
    }
    if let Ok(d) = f.department.parse::<i64>() {
        q.and_where(Expr::col((Users::Table, Users::DepartmentId)).eq(d));
    }
    if let Some(r) = Role::from_slug(&f.role) {
        q.and_where(
            Expr::col((Users::Table, Users::Id)).in_subquery(
                Query::select()
                    .column(UserRoles::UserId)
                    .from(UserRoles::Table)
                    .and_where(Expr::col(UserRoles::Role).eq(r.slug()))
                    .to_owned(),
            ),
        );
    }
}

/// One page of the user list, as the administrator filters it.
pub async fn list(db: &Db, v: &Viewer, f: &UserFilter) -> AppResult<Paged<User>> {
    let page = paging::page_number(f.page);
    let mut q = select_users();
    access::scope(v, ListKind::Users, &mut q)?;
    apply_filter(&mut q, f);
    let mut count = Query::select();
    count.expr(Expr::col((Users::Table, Users::Id)).count()).from(Users::Table);
    apply_filter(&mut count, f);
    let total: i64 = db.scalar(&count).await?.unwrap_or(0);
    q.order_by((Users::Table, Users::Username), Order::Asc).limit(paging::PER_PAGE).offset(paging::offset(page));
    let mut items: Vec<User> = db.fetch_all(&q).await?;
    attach_roles(db, &mut items).await?;
    Ok(Paged::counted(items, page, total))
}

/// One user by id (no permission check: callers check `access` first).
pub async fn get(db: &Db, id: i64) -> AppResult<User> {
    let mut q = select_users();
    q.and_where(Expr::col((Users::Table, Users::Id)).eq(id));
    let mut u: Vec<User> = db.fetch_all(&q).await?;
    attach_roles(db, &mut u).await?;
    u.pop().ok_or(AppError::NotFound)
}

/// Login lookup: id, password hash and active flag for a username (case-insensitive).
pub async fn credentials(db: &Db, username: &str) -> Result<Option<(i64, String, bool)>, sqlx::Error> {
    db.fetch_optional(
        Query::select()
            .columns([Users::Id, Users::PasswordHash, Users::IsActive])
            .from(Users::Table)
            .and_where(Expr::expr(Func::lower(Expr::col(Users::Username))).eq(username.trim().to_lowercase())),
    )
    .await
}

pub async fn id_by_username(db: &Db, username: &str) -> Result<Option<i64>, sqlx::Error> {
    db.scalar(
        Query::select()
            .column(Users::Id)
            .from(Users::Table)
            .and_where(Expr::expr(Func::lower(Expr::col(Users::Username))).eq(username.trim().to_lowercase())),
    )
    .await
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    Ok(db.scalar(Query::select().expr(Expr::col(Users::Id).count()).from(Users::Table)).await?.unwrap_or(0))
}

async fn username_taken(tx: &mut Tx, username: &str, except: Option<i64>) -> Result<bool, sqlx::Error> {
    let mut q = Query::select();
    q.column(Users::Id)
        .from(Users::Table)
        .and_where(Expr::expr(Func::lower(Expr::col(Users::Username))).eq(username.to_lowercase()));
    if let Some(id) = except {
        q.and_where(Expr::col(Users::Id).ne(id));
    }
    Ok(tx.scalar::<i64>(&q).await?.is_some())
}

async fn department_name(tx: &mut Tx, id: Option<i64>) -> Result<Option<String>, sqlx::Error> {
    let Some(id) = id else { return Ok(None) };
    tx.scalar(
        Query::select().column(Departments::Name).from(Departments::Table).and_where(Expr::col(Departments::Id).eq(id)),
    )
    .await
}

/// Why a user write was refused, in terms the form can show.
pub enum WriteError {
    UsernameTaken,
    NoSuchDepartment,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        if db::is_unique_violation(&e) { WriteError::UsernameTaken } else { WriteError::Db(e) }
    }
}

async fn set_roles(tx: &mut Tx, id: i64, roles: &[Role]) -> Result<(), sqlx::Error> {
    tx.execute(Query::delete().from_table(UserRoles::Table).and_where(Expr::col(UserRoles::UserId).eq(id))).await?;
    if roles.is_empty() {
        return Ok(());
    }
    let mut ins = Query::insert();
    ins.into_table(UserRoles::Table).columns([UserRoles::UserId, UserRoles::Role]);
    for r in roles {
        ins.values_panic([id.into(), r.slug().into()]);
    }
    tx.execute(&ins).await.map(|_| ())
}

fn roles_text(roles: &[Role]) -> String {
    let mut v: Vec<&str> = roles.iter().map(|r| r.label()).collect();
    v.sort_unstable();
    v.join(", ")
}

/// Creates a user with roles; writes history. The caller hashes the password.
pub async fn insert(tx: &mut Tx, input: &UserInput, password_hash: &str, actor: &Actor) -> Result<i64, WriteError> {
    if username_taken(tx, &input.username, None).await? {
        return Err(WriteError::UsernameTaken);
    }
    let dept = department_name(tx, input.department_id).await?;
    if input.department_id.is_some() && dept.is_none() {
        return Err(WriteError::NoSuchDepartment);
    }
    let now = db::now();
    let id = tx
        .insert_id(
            Query::insert()
                .into_table(Users::Table)
                .columns([
                    Users::Username,
                    Users::Email,
                    Users::FirstName,
                    Users::LastName,
                    Users::PasswordHash,
                    Users::IsActive,
                    Users::DepartmentId,
                    Users::EmailNotifications,
                    Users::CreatedAt,
                    Users::UpdatedAt,
                ])
                .values_panic([
                    input.username.as_str().into(),
                    input.email.as_str().into(),
                    input.first_name.as_str().into(),
                    input.last_name.as_str().into(),
                    password_hash.into(),
                    true.into(),
                    input.department_id.into(),
                    true.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(Users::Id),
        )
        .await?;
    set_roles(tx, id, &input.roles).await?;
    let mut d = Diff::default();
    d.field("Username", "", &input.username)
        .field("Email", "", &input.email)
        .field("First name", "", &input.first_name)
        .field("Last name", "", &input.last_name)
        .field("Department", "", dept.unwrap_or_default())
        .field("Roles", "", roles_text(&input.roles));
    history::record(tx, actor, "user", id, Change::Create, &format!("Created user {}", input.username), &d).await?;
    Ok(id)
}

/// Updates a user's names, email, department and roles; writes history of what changed.
pub async fn update(tx: &mut Tx, before: &User, input: &UserInput, actor: &Actor) -> Result<Diff, WriteError> {
    if username_taken(tx, &input.username, Some(before.id)).await? {
        return Err(WriteError::UsernameTaken);
    }
    let dept = department_name(tx, input.department_id).await?;
    if input.department_id.is_some() && dept.is_none() {
        return Err(WriteError::NoSuchDepartment);
    }
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([
                (Users::Username, input.username.as_str().into()),
                (Users::Email, input.email.as_str().into()),
                (Users::FirstName, input.first_name.as_str().into()),
                (Users::LastName, input.last_name.as_str().into()),
                (Users::DepartmentId, input.department_id.into()),
                (Users::UpdatedAt, db::now().into()),
            ])
            .and_where(Expr::col(Users::Id).eq(before.id)),
    )
    .await?;
    set_roles(tx, before.id, &input.roles).await?;
    let old_roles: Vec<Role> = before.roles.iter().collect();
    let mut d = Diff::default();
    d.field("Username", &before.username, &input.username)
        .field("Email", &before.email, &input.email)
        .field("First name", &before.first_name, &input.first_name)
        .field("Last name", &before.last_name, &input.last_name)
        .field("Department", before.department_name.clone().unwrap_or_default(), dept.unwrap_or_default())
        .field("Roles", roles_text(&old_roles), roles_text(&input.roles));
    if !d.is_empty() {
        history::record(tx, actor, "user", before.id, Change::Update, &format!("Edited user {}", input.username), &d)
            .await?;
    }
    Ok(d)
}

/// Activates or deactivates an account; writes history.
pub async fn set_active(tx: &mut Tx, user: &User, active: bool, actor: &Actor) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([(Users::IsActive, active.into()), (Users::UpdatedAt, db::now().into())])
            .and_where(Expr::col(Users::Id).eq(user.id)),
    )
    .await?;
    let mut d = Diff::default();
    d.field("Active", yes_no(user.is_active), yes_no(active));
    let what = if active { "Reactivated" } else { "Deactivated" };
    history::record(tx, actor, "user", user.id, Change::Update, &format!("{what} user {}", user.username), &d).await
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Stores a new password hash; history records that it changed (never the value).
pub async fn set_password(tx: &mut Tx, id: i64, hash: &str, actor: &Actor, summary: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([(Users::PasswordHash, hash.into()), (Users::UpdatedAt, db::now().into())])
            .and_where(Expr::col(Users::Id).eq(id)),
    )
    .await?;
    history::record(tx, actor, "user", id, Change::Update, summary, &Diff::default()).await
}

/// The user's own profile fields.
/// What a user may change of their own account.
pub struct Profile<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub email_notifications: bool,
    pub time_zone: &'a str,
}

pub async fn update_profile(tx: &mut Tx, before: &User, p: &Profile<'_>, actor: &Actor) -> Result<Diff, sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .values([
                (Users::FirstName, p.first_name.into()),
                (Users::LastName, p.last_name.into()),
                (Users::Email, p.email.into()),
                (Users::EmailNotifications, p.email_notifications.into()),
                (Users::TimeZone, p.time_zone.into()),
                (Users::UpdatedAt, db::now().into()),
            ])
            .and_where(Expr::col(Users::Id).eq(before.id)),
    )
    .await?;
    let mut d = Diff::default();
    d.field("First name", &before.first_name, p.first_name)
        .field("Last name", &before.last_name, p.last_name)
        .field("Email", &before.email, p.email)
        .field("Email copies of notifications", yes_no(before.email_notifications), yes_no(p.email_notifications))
        .field("Time zone", &before.time_zone, p.time_zone);
    if !d.is_empty() {
        history::record(tx, actor, "user", before.id, Change::Update, "Edited own profile", &d).await?;
    }
    Ok(d)
}

/// At login: the browser's time zone becomes the user's, unless they already have one.
pub async fn adopt_time_zone(db: &Db, id: i64, tz: &str) -> Result<(), sqlx::Error> {
    if crate::time::parse_zone(tz).is_none() {
        return Ok(());
    }
    db.execute(
        Query::update()
            .table(Users::Table)
            .value(Users::TimeZone, tz)
            .and_where(Expr::col(Users::Id).eq(id))
            .and_where(Expr::col(Users::TimeZone).eq("")),
    )
    .await
    .map(|_| ())
}

pub async fn touch_login(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    db.execute(
        Query::update().table(Users::Table).value(Users::LastLoginAt, db::now()).and_where(Expr::col(Users::Id).eq(id)),
    )
    .await
    .map(|_| ())
}

/// Every department with its member count, by name.
pub async fn departments(db: &Db) -> Result<Vec<Department>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([
                (Departments::Table, Departments::Id),
                (Departments::Table, Departments::Name),
                (Departments::Table, Departments::CreatedAt),
            ])
            .expr_as(Expr::col((Users::Table, Users::Id)).count(), Alias::new("members"))
            .from(Departments::Table)
            .join(
                JoinType::LeftJoin,
                Users::Table,
                Expr::col((Users::Table, Users::DepartmentId)).equals((Departments::Table, Departments::Id)),
            )
            .group_by_columns([
                (Departments::Table, Departments::Id),
                (Departments::Table, Departments::Name),
                (Departments::Table, Departments::CreatedAt),
            ])
            .order_by((Departments::Table, Departments::Name), Order::Asc),
    )
    .await
}

pub async fn department(db: &Db, id: i64) -> AppResult<Department> {
    departments(db).await?.into_iter().find(|d| d.id == id).ok_or(AppError::NotFound)
}

/// The id of the department called `name` (case-insensitive), creating it if needed.
pub async fn department_by_name_or_create(tx: &mut Tx, name: &str, actor: &Actor) -> Result<i64, sqlx::Error> {
    let found: Option<i64> = tx
        .scalar(
            Query::select()
                .column(Departments::Id)
                .from(Departments::Table)
                .and_where(Expr::expr(Func::lower(Expr::col(Departments::Name))).eq(name.trim().to_lowercase())),
        )
        .await?;
    match found {
        Some(id) => Ok(id),
        None => insert_department(tx, name, actor).await,
    }
}

pub async fn insert_department(tx: &mut Tx, name: &str, actor: &Actor) -> Result<i64, sqlx::Error> {
    let id = tx
        .insert_id(
            Query::insert()
                .into_table(Departments::Table)
                .columns([Departments::Name, Departments::CreatedAt])
                .values_panic([name.trim().into(), db::now().into()])
                .returning_col(Departments::Id),
        )
        .await?;
    // Its deal stages, closing reasons, client types, industries, lead sources and quality signals (§16.3).
    for q in crate::migrations::department_defaults(id).into_iter().chain(crate::migrations::quality_defaults(id)) {
        tx.execute(&q).await?;
    }
    let mut d = Diff::default();
    d.field("Name", "", name.trim());
    history::record(tx, actor, "department", id, Change::Create, &format!("Created department {}", name.trim()), &d)
        .await?;
    Ok(id)
}

pub async fn rename_department(tx: &mut Tx, before: &Department, name: &str, actor: &Actor) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Departments::Table)
            .value(Departments::Name, name.trim())
            .and_where(Expr::col(Departments::Id).eq(before.id)),
    )
    .await?;
    let mut d = Diff::default();
    d.field("Name", &before.name, name.trim());
    history::record(
        tx,
        actor,
        "department",
        before.id,
        Change::Update,
        &format!("Renamed department to {}", name.trim()),
        &d,
    )
    .await
}

/// Deletes a department; its members keep their accounts, without a department.
pub async fn delete_department(tx: &mut Tx, before: &Department, actor: &Actor) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Users::Table)
            .value(Users::DepartmentId, Option::<i64>::None)
            .and_where(Expr::col(Users::DepartmentId).eq(before.id)),
    )
    .await?;
    tx.execute(Query::delete().from_table(Departments::Table).and_where(Expr::col(Departments::Id).eq(before.id)))
        .await?;
    let mut d = Diff::default();
    d.field("Name", &before.name, "");
    history::record(
        tx,
        actor,
        "department",
        before.id,
        Change::Delete,
        &format!("Deleted department {}", before.name),
        &d,
    )
    .await
}

/// A user as a choice in a form (recipient, responsible, subscribers).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Choice {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub department_id: Option<i64>,
}

impl Choice {
    /// "First Last", or the username when the account has no name.
    pub fn name(&self) -> String {
        let n = format!("{} {}", self.first_name, self.last_name);
        let n = n.trim();
        if n.is_empty() { self.username.clone() } else { n.to_string() }
    }
    /// "First Last (username)": unambiguous, for pickers.
    pub fn label(&self) -> String {
        let n = format!("{} {}", self.first_name, self.last_name);
        let n = n.trim();
        if n.is_empty() { self.username.clone() } else { format!("{n} ({})", self.username) }
    }
}

/// Every active user, by name: the people a form may pick.
pub async fn choices(db: &Db) -> Result<Vec<Choice>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([Users::Id, Users::Username, Users::FirstName, Users::LastName, Users::DepartmentId])
            .from(Users::Table)
            .and_where(Expr::col(Users::IsActive).eq(true))
            .order_by(Users::FirstName, Order::Asc)
            .order_by(Users::LastName, Order::Asc),
    )
    .await
}

/// Every active user as (id, label), for pickers and validation.
pub async fn choice_list(db: &Db) -> Result<Vec<(i64, String)>, sqlx::Error> {
    Ok(choices(db).await?.into_iter().map(|c| (c.id, c.label())).collect())
}

/// Active users whose first name, last name or username contains every word of `q` (any case), by
/// name, at most `limit`; only those in `among` when it is given (a picker restricted to a team).
pub async fn search(db: &Db, q: &str, among: Option<&[i64]>, limit: u64) -> Result<Vec<Choice>, sqlx::Error> {
    let mut s = Query::select();
    s.columns([Users::Id, Users::Username, Users::FirstName, Users::LastName, Users::DepartmentId])
        .from(Users::Table)
        .and_where(Expr::col(Users::IsActive).eq(true))
        .order_by(Users::FirstName, Order::Asc)
        .order_by(Users::LastName, Order::Asc)
        .order_by(Users::Id, Order::Asc)
        .limit(limit);
    for word in q.split_whitespace().take(4) {
        let pat = db::like_pattern(&word.to_lowercase());
        let like =
            |c: Users| Expr::expr(Func::lower(Expr::col(c))).like(sea_query::LikeExpr::new(pat.clone()).escape('\\'));
        s.and_where(like(Users::FirstName).or(like(Users::LastName)).or(like(Users::Username)));
    }
    if let Some(ids) = among {
        s.and_where(Expr::col(Users::Id).is_in(ids.iter().copied()));
    }
    db.fetch_all(&s).await
}

/// Active user ids (whom a form may pick) and the names of those plus `extra` (for history lines).
pub async fn pickable(db: &Db, extra: &[i64]) -> Result<(Vec<i64>, HashMap<i64, String>), sqlx::Error> {
    let users = choices(db).await?;
    let ids: Vec<i64> = users.iter().map(|c| c.id).collect();
    let mut names: HashMap<i64, String> = users.into_iter().map(|c| (c.id, c.name())).collect();
    let missing: Vec<i64> = extra.iter().copied().filter(|i| !names.contains_key(i)).collect();
    names.extend(self::names(db, &missing).await?);
    Ok((ids, names))
}

/// Display names ("First Last") of the given users, in one query.
pub async fn names(db: &Db, ids: &[i64]) -> Result<HashMap<i64, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Choice> = db
        .fetch_all(
            Query::select()
                .columns([Users::Id, Users::Username, Users::FirstName, Users::LastName, Users::DepartmentId])
                .from(Users::Table)
                .and_where(Expr::col(Users::Id).is_in(ids.iter().copied())),
        )
        .await?;
    Ok(rows.into_iter().map(|c| (c.id, c.name())).collect())
}

/// The head of a department (the first active department head in it, by id), if any.
pub async fn department_head(db: &Db, department_id: i64) -> Result<Option<i64>, sqlx::Error> {
    db.scalar(
        Query::select()
            .column((Users::Table, Users::Id))
            .from(Users::Table)
            .inner_join(
                UserRoles::Table,
                Expr::col((UserRoles::Table, UserRoles::UserId)).equals((Users::Table, Users::Id)),
            )
            .and_where(Expr::col((Users::Table, Users::DepartmentId)).eq(department_id))
            .and_where(Expr::col((Users::Table, Users::IsActive)).eq(true))
            .and_where(Expr::col((UserRoles::Table, UserRoles::Role)).eq(Role::DepartmentHead.slug()))
            .order_by((Users::Table, Users::Id), Order::Asc)
            .limit(1),
    )
    .await
}

/// Every department user `id` works in: their own first, then the others they serve (§3.2), as the
/// session gives `Viewer::departments`.
pub async fn departments_of(db: &Db, id: i64) -> Result<Vec<i64>, sqlx::Error> {
    let own: Option<i64> = db
        .scalar::<Option<i64>>(
            Query::select().column(Users::DepartmentId).from(Users::Table).and_where(Expr::col(Users::Id).eq(id)),
        )
        .await?
        .flatten();
    let others: Vec<(i64,)> = db
        .fetch_all(
            Query::select()
                .column("department_id")
                .from("user_departments")
                .and_where(Expr::col("user_id").eq(id))
                .order_by("department_id", Order::Asc),
        )
        .await?;
    let mut out: Vec<i64> = own.into_iter().collect();
    out.extend(others.into_iter().map(|(d,)| d).filter(|d| Some(*d) != own));
    Ok(out)
}

/// Sets the departments user `id` serves besides their own (an operator of several departments is a
/// superoperator), with a history entry when they change.
pub async fn set_departments_served(
    tx: &mut Tx,
    id: i64,
    departments: &[i64],
    actor: &Actor,
) -> Result<(), sqlx::Error> {
    let before: Vec<(i64,)> = tx
        .fetch_all(
            Query::select()
                .column("department_id")
                .from("user_departments")
                .and_where(Expr::col("user_id").eq(id))
                .order_by("department_id", Order::Asc),
        )
        .await?;
    let before: Vec<i64> = before.into_iter().map(|(d,)| d).collect();
    let mut after: Vec<i64> = departments.to_vec();
    after.sort_unstable();
    after.dedup();
    if before == after {
        return Ok(());
    }
    tx.execute(Query::delete().from_table("user_departments").and_where(Expr::col("user_id").eq(id))).await?;
    if !after.is_empty() {
        let mut q = Query::insert();
        q.into_table("user_departments").columns(["user_id", "department_id"]);
        for d in &after {
            q.values_panic([id.into(), (*d).into()]);
        }
        tx.execute(&q).await?;
    }
    let list = |v: &[i64]| v.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
    let mut d = Diff::default();
    d.field("Also serves departments", list(&before), list(&after));
    history::record(tx, actor, "user", id, Change::Update, "Changed the departments served", &d).await
}
