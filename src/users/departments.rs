//! The administrator's department management.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::handlers::Before;
use super::repo;
use crate::access::{self, Action, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::Actor;
use crate::history::handlers::Target;
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

fn validate(name: &str) -> FormErrors {
    let mut errs = FormErrors::default();
    let n = name.trim();
    if n.is_empty() {
        errs.add("name", "Enter a name.");
    } else if n.chars().count() > 100 {
        errs.add("name", "Use at most 100 characters.");
    }
    errs
}

fn require_admin(v: &Viewer) -> AppResult<()> {
    access::require(v, Action::List, &Object::Departments).map_err(|_| AppError::NotFound)
}

#[handler]
pub async fn index(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    require_admin(&viewer)?;
    let list = repo::departments(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Departments, hx).await?;
    Ok(views::departments::index(&cx, &list, "", &FormErrors::default()).into_response())
}

#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(f): Form<NameForm>,
) -> AppResult<Response> {
    require_admin(&viewer)?;
    let mut errs = validate(&f.name);
    if errs.is_empty() {
        let mut tx = state.db.begin().await?;
        match repo::insert_department(&mut tx, &f.name, &Actor::from(&viewer)).await {
            Ok(_) => {
                tx.commit().await?;
                return Ok(htmx::redirect(hx, "/admin/departments"));
            }
            Err(e) if crate::db::is_unique_violation(&e) => errs.add("name", "A department with this name exists."),
            Err(e) => return Err(e.into()),
        }
    }
    let list = repo::departments(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Departments, hx).await?;
    Ok(web::invalid(views::departments::index(&cx, &list, &f.name, &errs)))
}

#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    require_admin(&viewer)?;
    let d = repo::department(&state.db, id).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Departments, hx).await?;
    Ok(views::departments::show(&cx, &d, &d.name, &FormErrors::default(), None).into_response())
}

#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> AppResult<Response> {
    require_admin(&viewer)?;
    let d = repo::department(&state.db, id).await?;
    access::require(&viewer, Action::Edit, &Object::Department { id })?;
    let mut errs = validate(&f.name);
    if errs.is_empty() {
        let mut tx = state.db.begin().await?;
        match repo::rename_department(&mut tx, &d, &f.name, &Actor::from(&viewer)).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(htmx::redirect(hx, "/admin/departments"));
            }
            Err(e) if crate::db::is_unique_violation(&e) => errs.add("name", "A department with this name exists."),
            Err(e) => return Err(e.into()),
        }
    }
    let cx = web::page_cx(&state, &viewer, Nav::Departments, hx).await?;
    Ok(web::invalid(views::departments::show(&cx, &d, &f.name, &errs, None)))
}

#[handler]
pub async fn delete(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    require_admin(&viewer)?;
    let d = repo::department(&state.db, id).await?;
    access::require(&viewer, Action::Delete, &Object::Department { id })?;
    let mut tx = state.db.begin().await?;
    match repo::delete_department(&mut tx, &d, &Actor::from(&viewer)).await {
        Ok(()) => {}
        // Its companies, deals or other sales records still point at it: nothing is deleted.
        Err(e) if crate::db::is_foreign_key_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "The department “{}” still holds companies, deals or other sales records. Move them to another department first.",
                d.name
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(htmx::redirect(hx, "/admin/departments"))
}

#[handler]
pub async fn history(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Query(q): Query<Before>,
) -> AppResult<Response> {
    access::require(&viewer, Action::View, &Object::History { kind: "department", id })
        .map_err(|_| AppError::NotFound)?;
    let title = match repo::department(&state.db, id).await {
        Ok(d) => format!("department {}", d.name),
        Err(_) => format!("deleted department #{id}"),
    };
    let target = Target { kind: "department", id, title, back: "/admin/departments".into(), nav: Nav::Departments };
    crate::history::handlers::render(&state, &viewer, hx, target, q.before).await
}
