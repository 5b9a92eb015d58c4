//! Server-side sessions and the request layer that turns a session cookie into a `Viewer`.

use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use poem::http::header;
use poem::{Endpoint, FromRequest, IntoResponse, Request, RequestBody, Response};
use sea_query::{Expr, ExprTrait, Iden, JoinType, Query};
use sha2::{Digest, Sha256};

use crate::access::{Role, Roles, Viewer};
use crate::app::AppState;
use crate::db::{self, Db, Tx};
use crate::error::AppError;
use crate::users::model::{UserRoles, Users};

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    Id,
    UserId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Ip,
    UserAgent,
}

/// 256 random bits as 64 hex characters.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What is stored for a session token: only its hash, so a database leak gives no live sessions.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A freshly created session: the cookie value to hand to the browser and its CSRF token.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// Creates a session for `user_id` (always a new id: login never reuses a pre-login identifier).
pub async fn create(
    tx: &mut Tx,
    user_id: i64,
    ip: &str,
    user_agent: &str,
    ttl: std::time::Duration,
) -> Result<NewSession, sqlx::Error> {
    let token = random_token();
    let csrf = random_token();
    let now = db::now();
    let expires = now + ChronoDuration::from_std(ttl).unwrap_or(ChronoDuration::days(14));
    let ua: String = user_agent.chars().take(300).collect();
    tx.execute(
        Query::insert()
            .into_table(Sessions::Table)
            .columns([
                Sessions::Id,
                Sessions::UserId,
                Sessions::CsrfToken,
                Sessions::CreatedAt,
                Sessions::LastSeenAt,
                Sessions::ExpiresAt,
                Sessions::Ip,
                Sessions::UserAgent,
            ])
            .values_panic([
                hash_token(&token).into(),
                user_id.into(),
                csrf.clone().into(),
                now.into(),
                now.into(),
                expires.into(),
                ip.chars().take(64).collect::<String>().into(),
                ua.into(),
            ]),
    )
    .await?;
    Ok(NewSession { token, csrf })
}

/// Ends one session (logout).
pub async fn delete(tx: &mut Tx, session_id: &str) -> Result<(), sqlx::Error> {
    tx.execute(Query::delete().from_table(Sessions::Table).and_where(Expr::col(Sessions::Id).eq(session_id)))
        .await
        .map(|_| ())
}

/// Ends every session of a user except `keep` (the session that asked, on a password change).
pub async fn delete_for_user(tx: &mut Tx, user_id: i64, keep: Option<&str>) -> Result<u64, sqlx::Error> {
    let mut q = Query::delete();
    q.from_table(Sessions::Table).and_where(Expr::col(Sessions::UserId).eq(user_id));
    if let Some(k) = keep {
        q.and_where(Expr::col(Sessions::Id).ne(k));
    }
    tx.execute(&q).await
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: String,
    csrf_token: String,
    last_seen_at: DateTime<Utc>,
    user_id: i64,
    username: String,
    first_name: String,
    last_name: String,
    department_id: Option<i64>,
    time_zone: String,
    role: Option<String>,
    /// One of the other departments the user serves (`user_departments`).
    served: Option<i64>,
}

/// Loads the viewer behind a session cookie value, if the session is live and the user active.
/// One query (session, user and roles joined); the expiry slides forward at most once a minute.
pub async fn load(db: &Db, token: &str, ttl: std::time::Duration) -> Result<Option<Viewer>, sqlx::Error> {
    load_by_id(db, &hash_token(token), ttl).await
}

/// Loads the viewer of the session stored as `id` (the token's hash, `Viewer::session_id`), if it
/// is live and its user active: what a sealed `emails::inline` image link names.
pub async fn load_by_id(db: &Db, id: &str, ttl: std::time::Duration) -> Result<Option<Viewer>, sqlx::Error> {
    let id = id.to_string();
    let now = db::now();
    let rows: Vec<SessionRow> = db
        .fetch_all(
            Query::select()
                .expr_as(Expr::col((Sessions::Table, Sessions::Id)), "session_id")
                .column((Sessions::Table, Sessions::CsrfToken))
                .column((Sessions::Table, Sessions::LastSeenAt))
                .expr_as(Expr::col((Users::Table, Users::Id)), "user_id")
                .columns([
                    (Users::Table, Users::Username),
                    (Users::Table, Users::FirstName),
                    (Users::Table, Users::LastName),
                    (Users::Table, Users::DepartmentId),
                    (Users::Table, Users::TimeZone),
                ])
                .column((UserRoles::Table, UserRoles::Role))
                .expr_as(Expr::col(("user_departments", "department_id")), "served")
                .from(Sessions::Table)
                .inner_join(
                    Users::Table,
                    Expr::col((Users::Table, Users::Id)).equals((Sessions::Table, Sessions::UserId)),
                )
                .join(
                    JoinType::LeftJoin,
                    UserRoles::Table,
                    Expr::col((UserRoles::Table, UserRoles::UserId)).equals((Users::Table, Users::Id)),
                )
                // Rows: roles × other departments served, a handful at most.
                .join(
                    JoinType::LeftJoin,
                    "user_departments",
                    Expr::col(("user_departments", "user_id")).equals((Users::Table, Users::Id)),
                )
                .and_where(Expr::col((Sessions::Table, Sessions::Id)).eq(id.as_str()))
                .and_where(Expr::col((Sessions::Table, Sessions::ExpiresAt)).gt(now))
                .and_where(Expr::col((Users::Table, Users::IsActive)).eq(true)),
        )
        .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let mut roles = Roles::default();
    for r in rows.iter().filter_map(|r| r.role.as_deref()).filter_map(Role::from_slug) {
        roles.insert(r);
    }
    let mut departments: Vec<i64> = first.department_id.into_iter().collect();
    for d in rows.iter().filter_map(|r| r.served) {
        if !departments.contains(&d) {
            departments.push(d);
        }
    }
    if now - first.last_seen_at > ChronoDuration::minutes(1) {
        let expires = now + ChronoDuration::from_std(ttl).unwrap_or(ChronoDuration::days(14));
        db.execute(
            Query::update()
                .table(Sessions::Table)
                .values([(Sessions::LastSeenAt, now.into()), (Sessions::ExpiresAt, expires.into())])
                .and_where(Expr::col(Sessions::Id).eq(id.as_str())),
        )
        .await?;
    }
    let name = format!("{} {}", first.first_name, first.last_name).trim().to_string();
    Ok(Some(Viewer {
        id: first.user_id,
        username: first.username.clone(),
        display_name: if name.is_empty() { first.username.clone() } else { name },
        roles,
        department_id: first.department_id,
        departments,
        csrf: first.csrf_token.clone(),
        session_id: first.session_id.clone(),
        tz: crate::time::parse_zone(&first.time_zone).unwrap_or(chrono_tz::Tz::UTC),
    }))
}

/// The `Viewer` of an active user without a session (no CSRF token): for an action a signed link
/// does on their behalf (`tasks::links`), so rules and history see that user.
pub async fn viewer_of(db: &Db, user: i64) -> crate::error::AppResult<Viewer> {
    let u = crate::users::repo::get(db, user).await?;
    if !u.is_active {
        return Err(crate::error::AppError::Forbidden);
    }
    Ok(Viewer {
        id: u.id,
        username: u.username.clone(),
        display_name: u.full_name(),
        roles: u.roles,
        department_id: u.department_id,
        departments: crate::users::repo::departments_of(db, user).await?,
        csrf: String::new(),
        session_id: String::new(),
        tz: crate::time::parse_zone(&u.time_zone).unwrap_or(chrono_tz::Tz::UTC),
    })
}

/// Deletes expired sessions (run by the maintenance job).
pub async fn purge_expired(db: &Db) -> Result<u64, sqlx::Error> {
    db.execute(Query::delete().from_table(Sessions::Table).and_where(Expr::col(Sessions::ExpiresAt).lte(db::now())))
        .await
}

/// The value of cookie `name` in the request, if any.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers().get_all(header::COOKIE).iter().filter_map(|h| h.to_str().ok()).find_map(|h| {
        h.split(';').find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.trim_matches('"').to_string())
        })
    })
}

/// The CSRF token an anonymous visitor (login page) carries in a cookie (double-submit).
#[derive(Clone)]
pub struct AnonCsrf(pub String);

/// Request layer: resolves the session cookie into a `Viewer` request extension, and gives anonymous
/// visitors a CSRF cookie. Never fails the request: no session simply means anonymous.
pub async fn layer<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let state = req.data::<AppState>().cloned();
    let Some(state) = state else { return ep.call(req).await.map(IntoResponse::into_response) };
    let cfg = &state.config;
    let mut viewer = None;
    if let Some(token) = cookie(&req, cfg.session_cookie()).filter(|t| t.len() == 64) {
        match load(&state.db, &token, cfg.session_ttl).await {
            Ok(v) => viewer = v,
            Err(e) => return Err(AppError::from(e).into()),
        }
    }
    let mut new_anon = None;
    let tz = viewer.as_ref().map(|v| v.tz).unwrap_or(chrono_tz::Tz::UTC);
    if let Some(v) = viewer {
        req.extensions_mut().insert(v);
    } else {
        let token = match cookie(&req, cfg.csrf_cookie()).filter(|t| t.len() == 64) {
            Some(t) => t,
            None => {
                let t = random_token();
                new_anon = Some(t.clone());
                t
            }
        };
        req.extensions_mut().insert(AnonCsrf(token));
    }
    // Everything this request shows is in the viewer's time zone (`crate::time`).
    let mut resp = crate::time::in_zone(tz, ep.call(req)).await?.into_response();
    if let Some(t) = new_anon
        && !resp.headers().contains_key(header::SET_COOKIE)
    {
        let c = set_cookie(cfg.csrf_cookie(), &t, cfg.secure_cookies, None);
        if let Ok(h) = c.parse() {
            resp.headers_mut().append(header::SET_COOKIE, h);
        }
    }
    Ok(resp)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when configured.
/// `max_age` `Some(0)` deletes the cookie; `None` makes it a browser-session cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    c
}

impl<'a> FromRequest<'a> for Viewer {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        req.extensions().get::<Viewer>().cloned().ok_or_else(|| AppError::Unauthenticated.into())
    }
}
