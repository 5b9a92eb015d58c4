//! The report pages: `GET /analytics` (the reports the viewer may open) and one page per report.
//! Each handler: the static rule (`access::can_report`, 403) → the filters resolved to a scope
//! (`Scope::resolve`: 403 for a department not the viewer's, 400 for a malformed value) → the
//! report's aggregate queries → the page (or, for a live refresh, its fragment).

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::scope::{Filter, Scope, currency_names};
use crate::access::{self, Report, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::htmx::HxRequest;
use crate::views;
use crate::views::analytics::Choices;
use crate::views::layout::Nav;
use crate::web::{self, Query as WebQuery};

/// The reports with a page: all eight of §5.
pub const BUILT: [Report; 8] = Report::ALL;

/// `GET /analytics`: the reports the viewer may open (403 when none).
#[handler]
pub async fn index(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    if !access::reads_analytics(&viewer) {
        return Err(AppError::Forbidden);
    }
    let reports: Vec<Report> = BUILT.into_iter().filter(|r| access::can_report(&viewer, *r)).collect();
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(views::analytics::index(&cx, &reports).into_response())
}

/// The steps every report takes before its own queries.
pub(super) async fn prepare<'a>(
    state: &AppState,
    v: &Viewer,
    r: Report,
    f: &'a Filter,
) -> AppResult<(Scope, Choices<'a>)> {
    if !access::can_report(v, r) {
        return Err(AppError::Forbidden);
    }
    let scope = Scope::resolve(v, f, crate::time::today())?;
    let departments = if access::chooses_report_department(v) {
        let all = crate::users::repo::departments(&state.db).await?;
        let allowed = access::report_departments(v);
        all.into_iter().filter(|d| allowed.is_none_or(|a| a.contains(&d.id))).map(|d| (d.id, d.name)).collect()
    } else {
        Vec::new()
    };
    let owners = owners(state, &scope).await?;
    let (sources, source) = if r == Report::LeadSources {
        let chosen = super::lead_sources::chosen(&state.db, &scope, &f.source).await?;
        (super::lead_sources::choices(&state.db, &scope).await?, chosen)
    } else {
        (Vec::new(), None)
    };
    let (marketing, state_currency) = currency_names(&state.db).await?;
    Ok((
        scope.clone(),
        Choices {
            report: r,
            filter: f,
            scope,
            departments,
            owners,
            sources,
            source,
            marketing,
            state: state_currency,
            products: Vec::new(),
            countries: None,
            reasons: Vec::new(),
        },
    ))
}

/// The owner filter's choices: the active sales managers of the report's departments.
async fn owners(state: &AppState, s: &Scope) -> AppResult<Vec<(i64, String)>> {
    let mut q = Query::select();
    q.column(("users", "id"))
        .column(("users", "first_name"))
        .column(("users", "last_name"))
        .from("users")
        .inner_join("user_roles", Expr::col(("user_roles", "user_id")).equals(("users", "id")))
        .and_where(Expr::col(("user_roles", "role")).eq(access::Role::SalesManager.slug()))
        .and_where(Expr::col(("users", "is_active")).eq(true))
        .order_by(("users", "first_name"), Order::Asc)
        .order_by(("users", "last_name"), Order::Asc)
        .limit(500);
    if let Some(ds) = &s.departments {
        q.and_where(Expr::col(("users", "department_id")).is_in(ds.iter().copied()));
    }
    let rows: Vec<(i64, String, String)> = state.db.fetch_all(&q).await?;
    Ok(rows.into_iter().map(|(id, f, l)| (id, format!("{f} {l}").trim().to_string())).collect())
}

fn respond(cx: &views::layout::PageCx<'_>, c: &Choices<'_>, body: maud::Markup) -> Response {
    views::analytics::page(cx, c, body).into_response()
}

/// `GET /analytics/income` (§5.1).
#[handler]
pub async fn income(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(mut f): WebQuery<Filter>,
) -> AppResult<Response> {
    // The table of received payments: this month unless a period is chosen.
    super::snapshots::default_period(&mut f);
    let all = f.rows == "all";
    let described = if all { super::income::Described::All } else { super::income::Described::Shown };
    let (choices, data) = super::snapshots::load_page(&state, &viewer, &f, described).await?;
    let saved = super::snapshots::latest(&state.db, &choices.scope, super::snapshots::LISTED).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    let header = views::analytics_income::snapshots_line(&choices, &saved, &viewer.csrf);
    Ok(respond(&cx, &choices, maud::html! { (header) (views::analytics_income::body(&choices, &data, all)) }))
}

/// `GET /analytics/funnel` (§5.2).
#[handler]
pub async fn funnel(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let (scope, choices) = prepare(&state, &viewer, Report::Funnel, &f).await?;
    let data = state.figures.get(&(Report::Funnel, &scope), super::funnel::load(&state.db, &scope)).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(respond(&cx, &choices, views::analytics::funnel(&data)))
}

/// `GET /analytics/deals` (§5.8).
#[handler]
pub async fn deals(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let (scope, choices) = prepare(&state, &viewer, Report::Deals, &f).await?;
    let data = state.figures.get(&(Report::Deals, &scope), super::deals::load(&state.db, &scope)).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(respond(&cx, &choices, views::analytics::deals(&data)))
}

/// `GET /analytics/requests` (§5.4).
#[handler]
pub async fn requests(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let (scope, choices) = prepare(&state, &viewer, Report::Requests, &f).await?;
    let data = state.figures.get(&(Report::Requests, &scope), super::requests::load(&state.db, &scope)).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(respond(&cx, &choices, views::analytics_requests::requests(&data)))
}

/// `GET /analytics/lead-sources` (§5.5).
#[handler]
pub async fn lead_sources(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let (scope, choices) = prepare(&state, &viewer, Report::LeadSources, &f).await?;
    let chosen = choices.source.clone();
    let data = state
        .figures
        .get(&(Report::LeadSources, &scope, &chosen), super::lead_sources::load(&state.db, &scope, chosen.clone()))
        .await?;
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(respond(&cx, &choices, views::analytics_requests::lead_sources(&data)))
}

/// `GET /analytics/conversion` (§5.6).
#[handler]
pub async fn conversion(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let (scope, choices) = prepare(&state, &viewer, Report::Conversion, &f).await?;
    let data = state.figures.get(&(Report::Conversion, &scope), super::conversion::load(&state.db, &scope)).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(respond(&cx, &choices, views::analytics_requests::conversion(&data)))
}

/// `GET /analytics/sales` (§5.3): the sold products, a page of `sales::PER_PAGE` rows (`?page=`).
#[handler]
pub async fn sales(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let (scope, mut choices) = prepare(&state, &viewer, Report::Sales, &f).await?;
    // The product is checked against the viewer's departments before the cache is asked; the rest
    // depends on the scope and the filters alone.
    let product = super::sales::product(&state.db, &viewer, &f.product).await?;
    let page = crate::paging::page_number(f.page);
    let currency = choices.currency().to_string();
    let key = (Report::Sales, &scope, &product, &f.period, f.country.trim(), page, &currency);
    let (r, products, data) = &*state
        .figures
        .get(&key, async {
            let r = super::sales::resolve(&state.db, &scope, product.clone(), &f).await?;
            let products = super::sales::product_choices(&state.db, &scope).await?;
            let data = super::sales::load(&state.db, &scope, &r, super::sales::Rows::Page(page), &currency).await?;
            Ok((r, products, data))
        })
        .await?;
    choices.products = with_chosen(products.clone(), &r.product);
    choices.countries = r.countries.clone();
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(respond(&cx, &choices, views::analytics_sales::sales(&choices, data)))
}

/// `GET /analytics/closing-reasons` (§5.7).
#[handler]
pub async fn closing_reasons(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let (scope, mut choices) = prepare(&state, &viewer, Report::ClosingReasons, &f).await?;
    let product = super::sales::product(&state.db, &viewer, &f.product).await?;
    let reason = super::closing::reason(&state.db, &viewer, &f.reason).await?;
    let key = (Report::ClosingReasons, &scope, &product, &reason, f.reason.trim());
    let (products, reasons, data) = &*state
        .figures
        .get(&key, async {
            let products = super::closing::product_choices(&state.db, &scope).await?;
            let reasons = super::closing::reason_choices(&state.db, &scope, (&f.reason, reason.as_deref())).await?;
            let data = super::closing::load(&state.db, &scope, product.clone(), reason.clone()).await?;
            Ok((products, reasons, data))
        })
        .await?;
    choices.products = with_chosen(products.clone(), &product);
    choices.reasons = reasons.clone();
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    let heading = match &data.product {
        Some(p) => format!("{} - {p}", views::analytics::title(Report::ClosingReasons)),
        None => views::analytics::title(Report::ClosingReasons).to_string(),
    };
    let body = views::analytics_sales::closing_reasons(data);
    Ok(views::analytics::page_titled(&cx, &choices, &heading, body).into_response())
}

/// The product filter's choices with the chosen product among them (so the filter shows it, though
/// the scope has no such line).
fn with_chosen(mut choices: Vec<(i64, String)>, chosen: &Option<(i64, String)>) -> Vec<(i64, String)> {
    if let Some(p) = chosen
        && !choices.iter().any(|c| c.0 == p.0)
    {
        choices.insert(0, p.clone());
    }
    choices
}
