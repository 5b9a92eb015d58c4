//! One-click completion from email (§14.1): the notification email to a responsible of a task
//! carries a "Task completed" link (a team task: "Completed") that works without logging in.
//!
//! The link is `/task-done/<task>.<user>.<expires>.<nonce>.<signature>`: HMAC-SHA256 with a key
//! derived from the installation key (`secrets::Cipher::sign`, purpose `task-done.v1`), so it is
//! bound to that user and task, cannot be made up or altered, and expires
//! (`FERROCRM_TASK_LINK_DAYS`, default 14). The row `task_done_links` named by the nonce makes it
//! usable once and remembers the task's stage when it was sent: once the task changed stage, the
//! link is refused.
//!
//! `GET` only shows a confirmation page with one button (mail scanners that follow links change
//! nothing); the `POST` checks everything again, marks the link used and completes the task as that
//! user in one transaction, so history names them. The form is guarded like the login form: the
//! app's CSRF token (the anonymous visitor's double-submit cookie, or the session's) besides the
//! signed token itself. Every refusal changes nothing.

use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};
use sea_query::{Expr, ExprTrait, Query};

use super::complete::{self, Done};
use super::flow::Tasks;
use super::model::{Stage, Task};
use super::repo;
use crate::access::{ItemKind, Viewer};
use crate::app::AppState;
use crate::db::{self, Tx};
use crate::error::AppResult;
use crate::htmx::HxRequest;
use crate::items::flow::{Cx, Outcome};
use crate::items::{self, ItemRef};
use crate::participants::PRole;
use crate::secrets::Cipher;
use crate::views;

/// What the signature is for: a signature made for anything else does not open a link.
const PURPOSE: &str = "task-done.v1";

/// The fields a link carries (all signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub task: i64,
    pub user: i64,
    /// Unix seconds.
    pub expires: i64,
    pub nonce: String,
}

/// The token of a link.
pub fn token(cipher: &Cipher, c: &Claims) -> String {
    let msg = format!("{}.{}.{}.{}", c.task, c.user, c.expires, c.nonce);
    let sig = cipher.sign(PURPOSE, &msg);
    format!("{msg}.{sig}")
}

/// Why a link does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token this server signed (altered, cut, made up), or its task is gone.
    Invalid,
    Expired,
    Used,
    /// The task moved to another stage (or closed) after the email was sent.
    StageChanged,
    /// The user is no longer a responsible of the task (or inactive), or another user is signed in.
    WrongUser,
}

impl Refused {
    pub fn message(self) -> &'static str {
        match self {
            Refused::Invalid => "This link is not valid. Open the task in FerroCRM instead.",
            Refused::Expired => "This link has expired. Open the task in FerroCRM instead.",
            Refused::Used => "This link has already been used.",
            Refused::StageChanged => {
                "The task has changed its stage since this email was sent, so the link no longer works. Open the task in FerroCRM."
            }
            Refused::WrongUser => {
                "This link is not for you: it belongs to another user, who is no longer responsible for the task or is signed out of this browser's account."
            }
        }
    }
    pub fn status(self) -> StatusCode {
        match self {
            Refused::Invalid => StatusCode::NOT_FOUND,
            Refused::Expired | Refused::Used | Refused::StageChanged => StatusCode::GONE,
            Refused::WrongUser => StatusCode::FORBIDDEN,
        }
    }
    pub fn slug(self) -> &'static str {
        match self {
            Refused::Invalid => "invalid",
            Refused::Expired => "expired",
            Refused::Used => "used",
            Refused::StageChanged => "stage-changed",
            Refused::WrongUser => "wrong-user",
        }
    }
}

/// Reads and checks the signature of a token (nothing else).
pub fn parse(cipher: &Cipher, token: &str) -> Result<Claims, Refused> {
    let (msg, sig) = token.rsplit_once('.').ok_or(Refused::Invalid)?;
    if token.len() > 300 || !cipher.verify(PURPOSE, msg, sig) {
        return Err(Refused::Invalid);
    }
    let mut f = msg.split('.');
    let (Some(task), Some(user), Some(expires), Some(nonce), None) = (f.next(), f.next(), f.next(), f.next(), f.next())
    else {
        return Err(Refused::Invalid);
    };
    let num = |s: &str| s.parse::<i64>().map_err(|_| Refused::Invalid);
    Ok(Claims { task: num(task)?, user: num(user)?, expires: num(expires)?, nonce: nonce.to_string() })
}

/// Stores a link for `user` on task `task` (now at `stage`), expiring at `expires`; returns its token.
pub async fn issue_at(
    tx: &mut Tx,
    cipher: &Cipher,
    task: i64,
    user: i64,
    stage: Stage,
    expires: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let c = Claims { task, user, expires: expires.timestamp(), nonce: crate::auth::session::random_token() };
    tx.execute(
        Query::insert()
            .into_table("task_done_links")
            .columns(["nonce", "task_id", "user_id", "stage", "expires_at", "created_at"])
            .values_panic([
                c.nonce.as_str().into(),
                task.into(),
                user.into(),
                stage.slug().into(),
                expires.into(),
                db::now().into(),
            ]),
    )
    .await?;
    Ok(token(cipher, &c))
}

/// The lines the email of each responsible in `users` (who get email copies) carries: the
/// one-click link, when the task offers "Completed" (`complete::offers`).
pub async fn email_lines(
    tx: &mut Tx,
    state: &AppState,
    t: &Task,
    users: &[i64],
) -> Result<std::collections::HashMap<i64, String>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    if !complete::offers(t, complete::subtask_count(tx, t.id).await? > 0) {
        return Ok(out);
    }
    let ttl = chrono::Duration::from_std(state.config.task_link_ttl).unwrap_or(chrono::Duration::days(14));
    let expires = db::now() + ttl;
    let label = if t.team { "Completed" } else { "Task completed" };
    for u in users {
        if !crate::notifications::wants_email(tx, *u).await? {
            continue;
        }
        let token = issue_at(tx, &state.mail.cipher, t.id, *u, t.stage(), expires).await?;
        let line = format!(
            "{label} (one click, no login; it opens a page to confirm; the link works once, until {}): {}/task-done/{token}",
            expires.format("%Y-%m-%d"),
            state.config.base_url
        );
        out.insert(*u, line);
    }
    Ok(out)
}

/// `extras` with, for every user of `users` who is an active responsible of task `task` (when it is
/// still open), the one-click link line of their email copy. Every notification about a task goes
/// through this (`items::notify_each_with`, `items::notify`, a reminder), so each email to a
/// responsible carries the link; users already in `extras` keep their line.
pub async fn lines_for(
    tx: &mut Tx,
    state: &AppState,
    task: i64,
    users: &[i64],
    extras: &std::collections::HashMap<i64, String>,
) -> AppResult<std::collections::HashMap<i64, String>> {
    let mut out = extras.clone();
    let Some(t) = repo::get_tx(tx, task).await?.filter(|t| t.active) else { return Ok(out) };
    let parts = crate::participants::of_tx(tx, ItemKind::Task, task).await?;
    let resp = parts.users(PRole::Responsible);
    let need: Vec<i64> = users.iter().copied().filter(|u| resp.contains(u) && !out.contains_key(u)).collect();
    if !need.is_empty() {
        out.extend(email_lines(tx, state, &t, &need).await?);
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    task_id: i64,
    user_id: i64,
    stage: String,
    used_at: Option<DateTime<Utc>>,
}

/// A link that passed every check: its row, its task and the user it acts for.
struct Valid {
    claims: Claims,
    row_id: i64,
    item: ItemRef,
    task: Task,
}

/// Every check of a link, without changing anything.
async fn check(state: &AppState, signed_in: Option<&Viewer>, token: &str) -> AppResult<Result<Valid, Refused>> {
    let claims = match parse(&state.mail.cipher, token) {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    if claims.expires < db::now().timestamp() {
        return Ok(Err(Refused::Expired));
    }
    let row: Option<LinkRow> = state
        .db
        .fetch_optional(
            &Query::select()
                .columns(["id", "task_id", "user_id", "stage", "used_at"])
                .from("task_done_links")
                .and_where(Expr::col("nonce").eq(claims.nonce.as_str()))
                .to_owned(),
        )
        .await?;
    let Some(row) = row.filter(|r| r.task_id == claims.task && r.user_id == claims.user) else {
        return Ok(Err(Refused::Invalid));
    };
    if row.used_at.is_some() {
        return Ok(Err(Refused::Used));
    }
    let Some(task) = repo::get(&state.db, claims.task).await? else { return Ok(Err(Refused::Invalid)) };
    if task.stage != row.stage || !task.active {
        return Ok(Err(Refused::StageChanged));
    }
    if signed_in.is_some_and(|v| v.id != claims.user) {
        return Ok(Err(Refused::WrongUser));
    }
    let item = items::load_any(&state.db, ItemKind::Task, claims.task).await?;
    let active = crate::users::repo::get(&state.db, claims.user).await.map(|u| u.is_active).unwrap_or(false);
    if !active || !item.parts.users(PRole::Responsible).contains(&claims.user) {
        return Ok(Err(Refused::WrongUser));
    }
    Ok(Ok(Valid { claims, row_id: row.id, item, task }))
}

/// The CSRF token the confirmation form carries: the session's, or the anonymous visitor's cookie.
fn csrf_of(req: &Request, v: Option<&Viewer>) -> String {
    match v {
        Some(v) => v.csrf.clone(),
        None => req.extensions().get::<crate::auth::session::AnonCsrf>().map(|a| a.0.clone()).unwrap_or_default(),
    }
}

fn refused(r: Refused) -> Response {
    views::task_links::refused(r.slug(), r.message()).with_status(r.status()).into_response()
}

/// `GET /task-done/:token`: the confirmation page (changes nothing).
#[handler]
pub async fn confirm(
    state: Data<&AppState>,
    req: &Request,
    viewer: Option<Viewer>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let v = match check(&state, viewer.as_ref(), &token).await? {
        Ok(v) => v,
        Err(r) => return Ok(refused(r)),
    };
    let who = crate::users::repo::names(&state.db, &[v.claims.user]).await?;
    let page = views::task_links::Confirm {
        token: &token,
        csrf: &csrf_of(req, viewer.as_ref()),
        task: &v.task.name,
        team: v.task.team,
        user: who.get(&v.claims.user).map(String::as_str).unwrap_or_default(),
    };
    Ok(views::task_links::confirm(&page).into_response())
}

/// `POST /task-done/:token`: completes the task as the link's user.
#[handler]
pub async fn apply(state: Data<&AppState>, viewer: Option<Viewer>, Path(token): Path<String>) -> AppResult<Response> {
    let v = match check(&state, viewer.as_ref(), &token).await? {
        Ok(v) => v,
        Err(r) => return Ok(refused(r)),
    };
    let actor = crate::auth::session::viewer_of(&state.db, v.claims.user).await?;
    let names = complete::names_for(&state, &v.task, actor.id).await?;
    let cx = Cx::new(&state, &actor, HxRequest(false));
    let mut out = Outcome::default();
    let mut tx = state.db.begin().await?;
    // Once: the first of two racing posts sets `used_at`; the other changes no row.
    let marked = tx
        .execute(
            Query::update()
                .table("task_done_links")
                .value("used_at", db::now())
                .and_where(Expr::col("id").eq(v.row_id))
                .and_where(Expr::col("used_at").is_null()),
        )
        .await?;
    if marked != 1 {
        return Ok(refused(Refused::Used));
    }
    // The stage again, in the transaction: it may have moved since `check`.
    let task = repo::get_tx(&mut tx, v.task.id).await?;
    let Some(task) = task.filter(|t| t.stage == v.task.stage && t.active) else {
        return Ok(refused(Refused::StageChanged));
    };
    let done = complete::complete_in(&mut tx, &cx, &v.item, &task, &names, true, &mut out).await?;
    if let Done::ActiveSubtask(sub) = done {
        drop(tx); // rolls back: the link stays usable once the subtask is done
        return Ok(views::task_links::active_subtask(&complete::active_subtask_url(sub))
            .with_status(StatusCode::CONFLICT)
            .into_response());
    }
    tx.commit().await?;
    crate::items::flow::publish::<Tasks>(&state, &v.item, done == Done::Task, &out).await?;
    Ok(views::task_links::done(&task.name, matches!(done, Done::Subtask(_))).into_response())
}
