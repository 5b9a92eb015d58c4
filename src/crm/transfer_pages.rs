//! The administrators' mass owner change of companies (§11.2): the rows chosen on the Companies
//! list → a page choosing among active sales managers → one transaction.

use poem::web::Data;
use poem::{IntoResponse, Response, handler};

use super::repo::{self, Record};
use super::transfer::{self, OwnerChoice};
use crate::access::{self, ItemKind, ListKind, Role, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::Actor;
use crate::htmx::HxRequest;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

/// The company ids a request names (`id`, repeated), without repeats; 400 on anything else.
fn selected(pairs: &[(String, String)]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::new();
    for (k, v) in pairs.iter().filter(|(k, _)| k == "id") {
        let id = v.trim().parse::<i64>().map_err(|_| AppError::BadRequest(format!("{k}: not a company id.")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > transfer::MAX_BATCH {
        return Err(AppError::BadRequest(format!(
            "At most {} companies can change owner at once; select fewer.",
            transfer::MAX_BATCH
        )));
    }
    Ok(ids)
}

/// The companies of `ids` the viewer may see, through the list's scope; 404 if any is not.
async fn visible(state: &AppState, v: &Viewer, ids: &[i64]) -> AppResult<Vec<Record>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let spec = &super::company::SPEC;
    let (mut q, tys) = repo::select(spec);
    access::scope(v, ListKind::Crm(ItemKind::Company), &mut q)?;
    q.and_where(sea_query::ExprTrait::is_in(sea_query::Expr::col(("companies", "id")), ids.iter().copied()));
    let rows: Vec<Record> = state.db.fetch_values(&q, &tys).await?.into_iter().map(repo::record_of).collect();
    if rows.len() != ids.len() {
        return Err(AppError::NotFound);
    }
    Ok(rows)
}

/// Active sales managers of every department: whom companies may go to.
async fn managers(state: &AppState) -> AppResult<Vec<OwnerChoice>> {
    let all: Vec<i64> = crate::users::repo::departments(&state.db).await?.into_iter().map(|d| d.id).collect();
    Ok(transfer::owner_choices(&state.db, &[Role::SalesManager], &all).await?)
}

fn require(v: &Viewer) -> AppResult<()> {
    if access::may_transfer_owners(v) { Ok(()) } else { Err(AppError::Forbidden) }
}

async fn render(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    companies: &[Record],
    owner: &str,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let spec = &super::company::SPEC;
    let owners: Vec<(String, String)> = managers(state).await?.iter().map(|o| (o.id.to_string(), o.label())).collect();
    let chosen: Vec<(i64, String)> = companies.iter().map(|r| (r.id, spec.title_of(r))).collect();
    let cx = web::page_cx(state, v, Nav::Crm(ItemKind::Company), hx).await?;
    Ok(views::transfer::choose_owner(&cx, &chosen, &owners, owner, errs))
}

/// `GET /companies/transfer?id=…&id=…`.
#[handler]
pub async fn choose(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(pairs): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    require(&viewer)?;
    let companies = visible(&state, &viewer, &selected(&pairs)?).await?;
    Ok(render(&state, &viewer, hx, &companies, "", &FormErrors::default()).await?.into_response())
}

/// `POST /companies/transfer`: `id` (repeated) and `owner_id`.
#[handler]
pub async fn change_owner(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    require(&viewer)?;
    let companies = visible(&state, &viewer, &selected(&pairs)?).await?;
    let asked = pairs.iter().find(|(k, _)| k == "owner_id").map(|(_, v)| v.trim()).unwrap_or_default();
    let owners = managers(&state).await?;
    let mut errs = FormErrors::default();
    if companies.is_empty() {
        errs.add("id", "Select at least one company on the list.");
    }
    let owner = asked.parse::<i64>().ok().and_then(|id| owners.into_iter().find(|o| o.id == id));
    if owner.is_none() {
        errs.add("owner_id", "Choose one of the listed sales managers.");
    }
    let Some(owner) = owner.filter(|_| errs.is_empty()) else {
        return Ok(web::invalid(render(&state, &viewer, hx, &companies, asked, &errs).await?));
    };
    let ids: Vec<i64> = companies.iter().map(|r| r.id).collect();
    let mut tx = state.db.begin().await?;
    let moved = transfer::transfer_companies(&state.db, &mut tx, &ids, &owner, &Actor::from(&viewer)).await?;
    tx.commit().await?;
    transfer::publish(&state.bus, &moved);
    let contacts = moved.iter().filter(|m| m.kind == ItemKind::Contact).count();
    let cx = web::page_cx(&state, &viewer, Nav::Crm(ItemKind::Company), hx).await?;
    let page = views::transfer::owner_changed(&cx, ids.len(), contacts, &owner.label(), owner.id);
    Ok(crate::htmx::address(page.into_response(), "/companies"))
}
