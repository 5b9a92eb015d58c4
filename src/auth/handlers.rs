//! Login, logout and password change.

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::{password, session, throttle};
use crate::access::Viewer;
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::events::DomainEvent;
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::users::repo;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only site-relative targets are followed after login (no open redirect).
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") { next } else { "/" }
}

fn anon_csrf(req: &Request) -> String {
    req.extensions().get::<session::AnonCsrf>().map(|a| a.0.clone()).unwrap_or_default()
}

#[handler]
pub fn login_page(req: &Request, viewer: Option<Viewer>, Query(q): Query<NextQuery>) -> Response {
    if viewer.is_some() {
        return htmx::redirect(HxRequest(false), safe_next(&q.next));
    }
    let notice = (!q.next.is_empty() && q.next != "/").then_some("Please log in to continue.");
    views::auth::login(&views::auth::LoginForm {
        username: "",
        next: &q.next,
        csrf: &anon_csrf(req),
        errors: &FormErrors::default(),
        notice,
    })
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    /// The browser's time zone (filled by app.js): adopted when the user has none yet.
    #[serde(default)]
    tz: String,
}

#[handler]
pub async fn login(req: &Request, state: Data<&AppState>, Form(f): Form<LoginForm>) -> AppResult<Response> {
    let cfg = &state.config;
    let ip = web::client_ip(req);
    let keys = [throttle::account_key(&f.username), throttle::ip_key(&ip)];
    let render = |msg: String, status: StatusCode| {
        let mut errs = FormErrors::default();
        errs.add("_form", msg);
        web::with_status(
            views::auth::login(&views::auth::LoginForm {
                username: &f.username,
                next: &f.next,
                csrf: &anon_csrf(req),
                errors: &errs,
                notice: None,
            }),
            status,
        )
    };
    if let Some(wait) = throttle::wait_for(&state.db, &keys, cfg.login_free_failures, cfg.login_base_delay).await? {
        let secs = web::wait_secs(wait);
        let msg =
            format!("Too many failed attempts. Wait {secs} second{} and try again.", if secs == 1 { "" } else { "s" });
        return Ok(web::too_many_requests(render(msg, StatusCode::TOO_MANY_REQUESTS), wait));
    }
    let found = repo::credentials(&state.db, &f.username).await?;
    let user_id = match &found {
        Some((id, hash, true)) if password::verify(&f.password, hash).await? => Some(*id),
        Some((_, hash, _)) => {
            let _ = password::verify(&f.password, hash).await;
            None
        }
        None => {
            password::verify_dummy(&f.password).await;
            None
        }
    };
    let Some(user_id) = user_id else {
        throttle::record_failure(&state.db, &keys).await?;
        return Ok(render(
            "That username and password do not match an active account.".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    throttle::clear(&state.db, &keys[0]).await?;
    let mut tx = state.db.begin().await?;
    let s = session::create(&mut tx, user_id, &ip, req.header("User-Agent").unwrap_or(""), cfg.session_ttl).await?;
    tx.commit().await?;
    repo::touch_login(&state.db, user_id).await?;
    repo::adopt_time_zone(&state.db, user_id, f.tz.trim()).await?;
    let mut r = htmx::redirect(HxRequest(false), safe_next(&f.next));
    let max_age = cfg.session_ttl.as_secs() as i64;
    for c in [
        session::set_cookie(cfg.session_cookie(), &s.token, cfg.secure_cookies, Some(max_age)),
        session::set_cookie(cfg.csrf_cookie(), "", cfg.secure_cookies, Some(0)),
    ] {
        if let Ok(h) = c.parse() {
            r.headers_mut().append("Set-Cookie", h);
        }
    }
    Ok(r)
}

#[handler]
pub async fn logout(state: Data<&AppState>, viewer: Viewer) -> AppResult<Response> {
    let mut tx = state.db.begin().await?;
    session::delete(&mut tx, &viewer.session_id).await?;
    tx.commit().await?;
    let cfg = &state.config;
    let mut r = htmx::redirect(HxRequest(false), "/login");
    if let Ok(h) = session::set_cookie(cfg.session_cookie(), "", cfg.secure_cookies, Some(0)).parse() {
        r.headers_mut().append("Set-Cookie", h);
    }
    Ok(r)
}

#[handler]
pub async fn password_page(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
    Ok(views::layout::page(&cx, "Change password", views::auth::change_password(&viewer.csrf, &FormErrors::default()))
        .into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

#[handler]
pub async fn change_password(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let (_, hash, _) = repo::credentials(&state.db, &viewer.username).await?.ok_or(AppError::NotFound)?;
    let mut errs = FormErrors::default();
    if !password::verify(&f.current, &hash).await? {
        errs.add("current", "This is not your current password.");
    }
    password::check_new(&f.password, &viewer.username, "password", &mut errs);
    if f.password != f.confirm {
        errs.add("confirm", "The two new passwords differ.");
    }
    if !errs.is_empty() {
        let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
        return Ok(web::invalid(views::layout::page(
            &cx,
            "Change password",
            views::auth::change_password(&viewer.csrf, &errs),
        )));
    }
    let new_hash = password::hash(&f.password).await?;
    set_password_and_notify(
        &state,
        viewer.id,
        &new_hash,
        &Actor::from(&viewer),
        Some(&viewer.session_id),
        "Changed own password",
    )
    .await?;
    let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
    Ok(views::layout::page(
        &cx,
        "Password changed",
        maud::html! {
            (views::ui::flash("success", "Your password was changed. Your other sessions were logged out."))
            a.btn.btn-primary href="/profile" { "Back to profile" }
        },
    )
    .into_response())
}

/// Stores a new password hash, ends the user's other sessions, and queues the "password changed"
/// email, all in one transaction; then closes the user's other live streams.
pub async fn set_password_and_notify(
    state: &AppState,
    user_id: i64,
    hash: &str,
    actor: &Actor,
    keep_session: Option<&str>,
    summary: &str,
) -> AppResult<()> {
    let user = repo::get(&state.db, user_id).await?;
    let mut tx = state.db.begin().await?;
    repo::set_password(&mut tx, user_id, hash, actor, summary).await?;
    session::delete_for_user(&mut tx, user_id, keep_session).await?;
    if !user.email.is_empty() {
        let tz = crate::time::parse_zone(&user.time_zone).unwrap_or(chrono_tz::Tz::UTC);
        let body = format!(
            "Hello {},\n\nthe password of your FerroCRM account \"{}\" was changed on {} by {}.\n\n\
             If this was not you, contact your administrator at once.\n\nLog in: {}/login\n",
            user.full_name(),
            user.username,
            crate::db::now().with_timezone(&tz).format("%Y-%m-%d %H:%M (%Z)"),
            actor.name,
            state.config.base_url,
        );
        crate::outbox::enqueue(&mut tx, &state.config, &user.email, "Your FerroCRM password was changed", &body)
            .await?;
    }
    tx.commit().await?;
    state.wake.notify_one();
    state.bus.publish(DomainEvent::SessionsEnded { user_id, keep_session: keep_session.map(str::to_string) });
    Ok(())
}
