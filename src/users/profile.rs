//! A user's own profile: names, email, email copies of notifications, time zone.

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::model::valid_email;
use super::repo;
use crate::access::{self, Action, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppResult, FormErrors};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

#[derive(Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

#[handler]
pub async fn show(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(q): Query<Saved>,
) -> AppResult<Response> {
    let u = repo::get(&state.db, viewer.id).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
    let f = repo::Profile {
        first_name: &u.first_name,
        last_name: &u.last_name,
        email: &u.email,
        email_notifications: u.email_notifications,
        time_zone: &u.time_zone,
    };
    Ok(views::profile::show(&cx, &u, &f, &FormErrors::default(), q.saved.is_some()).into_response())
}

#[derive(Deserialize)]
pub struct ProfileInput {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_notifications: Option<String>,
    #[serde(default)]
    time_zone: String,
}

#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(f): Form<ProfileInput>,
) -> AppResult<Response> {
    access::require(&viewer, Action::Edit, &Object::User { id: viewer.id })?;
    let before = repo::get(&state.db, viewer.id).await?;
    let mut errs = FormErrors::default();
    let (first, last, email) = (f.first_name.trim(), f.last_name.trim(), f.email.trim());
    if first.chars().count() > 150 {
        errs.add("first_name", "Use at most 150 characters.");
    }
    if last.chars().count() > 150 {
        errs.add("last_name", "Use at most 150 characters.");
    }
    if !email.is_empty() && !valid_email(email) {
        errs.add("email", "Enter a valid email address, like name@example.com.");
    }
    let notify = f.email_notifications.is_some();
    let tz = f.time_zone.trim();
    if !tz.is_empty() && crate::time::parse_zone(tz).is_none() {
        errs.add("time_zone", "Choose a time zone from the list, like Europe/Berlin.");
    }
    let p = repo::Profile { first_name: first, last_name: last, email, email_notifications: notify, time_zone: tz };
    if !errs.is_empty() {
        let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
        return Ok(web::invalid(views::profile::show(&cx, &before, &p, &errs, false)));
    }
    let mut tx = state.db.begin().await?;
    repo::update_profile(&mut tx, &before, &p, &Actor::from(&viewer)).await?;
    tx.commit().await?;
    state.people.invalidate();
    Ok(htmx::redirect(hx, "/profile?saved=1"))
}
