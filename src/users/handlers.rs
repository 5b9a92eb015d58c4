//! The administrator's user management: list, create, edit, (de)activate, reset password, history.

use maud::html;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

use super::model::{UserFilter, UserForm, UserInput};
use super::repo::{self, WriteError};
use crate::access::{self, Action, Object, Viewer};
use crate::app::AppState;
use crate::auth::{password, session};
use crate::error::{AppError, AppResult, FormErrors};
use crate::events::DomainEvent;
use crate::history::Actor;
use crate::history::handlers::Target;
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(f): Query<UserFilter>,
) -> AppResult<Response> {
    let users = repo::list(&state.db, &viewer, &f).await?;
    if hx.0 {
        return Ok(views::users::list(&users, &f).into_response());
    }
    let departments = repo::departments(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    Ok(views::users::index(&cx, &users, &f, &departments).into_response())
}

#[handler]
pub async fn new(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    access::require(&viewer, Action::Create, &Object::Users)?;
    let departments = repo::departments(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    let form = UserForm { roles: vec!["co-worker".into()], ..Default::default() };
    Ok(views::users::form(&cx, None, &form, &FormErrors::default(), &departments).into_response())
}

/// The departments the form's user serves besides their own; a message joins `result` when the
/// choice is not valid.
async fn served(state: &AppState, f: &UserForm, result: &mut Result<UserInput, FormErrors>) -> AppResult<Vec<i64>> {
    let Ok(input) = result else { return Ok(Vec::new()) };
    let known: Vec<i64> = repo::departments(&state.db).await?.into_iter().map(|d| d.id).collect();
    let mut errs = FormErrors::default();
    let served = f.served_departments(input, &known, &mut errs);
    if !errs.is_empty() {
        *result = Err(errs);
    }
    Ok(served)
}

fn write_errors(e: WriteError) -> AppResult<FormErrors> {
    let mut errs = FormErrors::default();
    match e {
        WriteError::UsernameTaken => errs.add("username", "This username is taken."),
        WriteError::NoSuchDepartment => errs.add("department_id", "This department no longer exists."),
        WriteError::Db(e) => return Err(e.into()),
    }
    Ok(errs)
}

#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(f): Form<UserForm>,
) -> AppResult<Response> {
    access::require(&viewer, Action::Create, &Object::Users)?;
    let mut result = f.validate();
    let served = served(&state, &f, &mut result).await?;
    let generated = f.password.is_empty();
    let pw = if generated { password::generate() } else { f.password.clone() };
    if let Ok(input) = &result {
        let mut errs = FormErrors::default();
        password::check_new(&pw, &input.username, "password", &mut errs);
        if !errs.is_empty() {
            result = Err(errs);
        }
    }
    let errs = match result {
        Ok(input) => {
            let hash = password::hash(&pw).await?;
            let mut tx = state.db.begin().await?;
            match repo::insert(&mut tx, &input, &hash, &Actor::from(&viewer)).await {
                Ok(id) => {
                    repo::set_departments_served(&mut tx, id, &served, &Actor::from(&viewer)).await?;
                    tx.commit().await?;
                    state.people.invalidate();
                    state.bus.publish(DomainEvent::Changed {
                        topic: crate::events::Topic::User,
                        id,
                        audience: access::audience(&Object::User { id }),
                    });
                    let user = repo::get(&state.db, id).await?;
                    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
                    let flash = html! {
                        div.flash.flash-success role="status" { span {
                            "User " strong { (user.username) } " was created. "
                            @if generated { "Their password is " code.secret { (pw) } " — it is shown only this once." }
                        } }
                    };
                    let r = views::users::show(&cx, &user, Some(flash)).into_response();
                    return Ok(htmx::address(r, &format!("/admin/users/{id}")));
                }
                Err(e) => write_errors(e)?,
            }
        }
        Err(errs) => errs,
    };
    let departments = repo::departments(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    Ok(web::invalid(views::users::form(&cx, None, &f, &errs, &departments)))
}

#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    if !access::can(&viewer, Action::View, &Object::User { id }) || !access::can(&viewer, Action::List, &Object::Users)
    {
        return Err(AppError::NotFound);
    }
    let user = repo::get(&state.db, id).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    Ok(views::users::show(&cx, &user, None).into_response())
}

#[handler]
pub async fn edit(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    access::require(&viewer, Action::List, &Object::Users).map_err(|_| AppError::NotFound)?;
    let user = repo::get(&state.db, id).await?;
    let departments = repo::departments(&state.db).await?;
    let mut form = UserForm::from_user(&user);
    form.served = repo::departments_of(&state.db, id)
        .await?
        .into_iter()
        .filter(|d| Some(*d) != user.department_id)
        .map(|d| d.to_string())
        .collect();
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    Ok(views::users::form(&cx, Some(id), &form, &FormErrors::default(), &departments).into_response())
}

#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<UserForm>,
) -> AppResult<Response> {
    access::require(&viewer, Action::List, &Object::Users).map_err(|_| AppError::NotFound)?;
    let before = repo::get(&state.db, id).await?;
    access::require(&viewer, Action::Edit, &Object::User { id })?;
    let mut result = f.validate();
    // An administrator cannot remove their own administrator role (nobody could undo it).
    if let Ok(input) = &result
        && id == viewer.id
        && !input.roles.contains(&access::Role::Admin)
    {
        let mut errs = FormErrors::default();
        errs.add("roles", "You cannot remove your own Administrator role.");
        result = Err(errs);
    }
    let served = served(&state, &f, &mut result).await?;
    let errs = match result {
        Ok(input) => {
            let mut tx = state.db.begin().await?;
            match repo::update(&mut tx, &before, &input, &Actor::from(&viewer)).await {
                Ok(_) => {
                    repo::set_departments_served(&mut tx, id, &served, &Actor::from(&viewer)).await?;
                    tx.commit().await?;
                    state.people.invalidate();
                    state.bus.publish(DomainEvent::Changed {
                        topic: crate::events::Topic::User,
                        id,
                        audience: access::audience(&Object::User { id }),
                    });
                    return Ok(htmx::redirect(hx, &format!("/admin/users/{id}")));
                }
                Err(e) => write_errors(e)?,
            }
        }
        Err(errs) => errs,
    };
    let departments = repo::departments(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    Ok(web::invalid(views::users::form(&cx, Some(id), &f, &errs, &departments)))
}

async fn set_active(state: &AppState, viewer: &Viewer, id: i64, active: bool) -> AppResult<()> {
    access::require(viewer, Action::List, &Object::Users).map_err(|_| AppError::NotFound)?;
    access::require(viewer, Action::Edit, &Object::User { id })?;
    if id == viewer.id {
        return Err(AppError::Conflict("You cannot deactivate your own account.".into()));
    }
    let user = repo::get(&state.db, id).await?;
    if user.is_active == active {
        return Ok(());
    }
    let mut tx = state.db.begin().await?;
    repo::set_active(&mut tx, &user, active, &Actor::from(viewer)).await?;
    if !active {
        session::delete_for_user(&mut tx, id, None).await?;
    }
    tx.commit().await?;
    state.people.invalidate();
    if !active {
        state.bus.publish(DomainEvent::SessionsEnded { user_id: id, keep_session: None });
    }
    state.bus.publish(DomainEvent::Changed {
        topic: crate::events::Topic::User,
        id,
        audience: access::audience(&Object::User { id }),
    });
    Ok(())
}

#[handler]
pub async fn deactivate(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    set_active(&state, &viewer, id, false).await?;
    Ok(htmx::redirect(hx, &format!("/admin/users/{id}")))
}

#[handler]
pub async fn activate(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    set_active(&state, &viewer, id, true).await?;
    Ok(htmx::redirect(hx, &format!("/admin/users/{id}")))
}

#[handler]
pub async fn reset_password(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    access::require(&viewer, Action::List, &Object::Users).map_err(|_| AppError::NotFound)?;
    access::require(&viewer, Action::Edit, &Object::User { id })?;
    let user = repo::get(&state.db, id).await?;
    let pw = password::generate();
    let hash = password::hash(&pw).await?;
    let keep = (id == viewer.id).then_some(viewer.session_id.as_str());
    crate::auth::handlers::set_password_and_notify(
        &state,
        id,
        &hash,
        &Actor::from(&viewer),
        keep,
        "Password reset by an administrator",
    )
    .await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    let flash = html! {
        div.flash.flash-success role="status" { span {
            "The new password of " strong { (user.username) } " is " code.secret { (pw) } " — it is shown only this once. Their sessions were ended."
        } }
    };
    // The address bar shows the user's page, not the POST's URL: F5 then reloads the page (the
    // password is not shown again) instead of answering 405.
    Ok(htmx::address(views::users::show(&cx, &user, Some(flash)).into_response(), &format!("/admin/users/{id}")))
}

/// `?before=<entry id>`: the older page of a history.
#[derive(serde::Deserialize)]
pub struct Before {
    pub before: Option<i64>,
}

#[handler]
pub async fn history(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Query(q): Query<Before>,
) -> AppResult<Response> {
    access::require(&viewer, Action::View, &Object::History { kind: "user", id }).map_err(|_| AppError::NotFound)?;
    let title = match repo::get(&state.db, id).await {
        Ok(u) => format!("user {}", u.username),
        Err(_) => format!("user #{id}"),
    };
    let target = Target { kind: "user", id, title, back: format!("/admin/users/{id}"), nav: Nav::Users };
    crate::history::handlers::render(&state, &viewer, hx, target, q.before).await
}
