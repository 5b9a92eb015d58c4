//! `GET /analytics/:report/export`: every table of a report, with the page's filters, as one Excel
//! workbook (one sheet per table, `excel::write_book`: text never becomes a formula). The same
//! steps as the page (`handlers::prepare`: the static rule, 403; the scope) run first, so an
//! export never holds what the viewer's page would not show.

use poem::http::header;
use poem::web::{Data, Path};
use poem::{Response, handler};

use super::scope::Filter;
use crate::access::{Report, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::excel::Sheet;
use crate::web::Query as WebQuery;

/// The reports whose page offers "Export to Excel" (each has an arm in `sheets`).
pub const EXPORTS: &[Report] = &Report::ALL;

/// The report's tables for `f`, as sheets. A report without tables to export answers 404.
async fn sheets(state: &AppState, viewer: &Viewer, report: Report, f: Filter) -> AppResult<Vec<Sheet>> {
    // Each report's arm: `handlers::prepare` (the page's rule and scope), its `load`, its `sheets`.
    match report {
        Report::Funnel => {
            let (scope, _) = super::handlers::prepare(state, viewer, report, &f).await?;
            Ok(super::funnel::sheets(&super::funnel::load(&state.db, &scope).await?))
        }
        Report::Requests => {
            let (scope, _) = super::handlers::prepare(state, viewer, report, &f).await?;
            Ok(super::requests::sheets(&super::requests::load(&state.db, &scope).await?))
        }
        Report::LeadSources => {
            let (scope, choices) = super::handlers::prepare(state, viewer, report, &f).await?;
            Ok(super::lead_sources::sheets(&super::lead_sources::load(&state.db, &scope, choices.source).await?))
        }
        Report::Conversion => {
            let (scope, _) = super::handlers::prepare(state, viewer, report, &f).await?;
            Ok(super::conversion::sheets(&super::conversion::load(&state.db, &scope).await?))
        }
        Report::Income => {
            let mut f = f;
            super::snapshots::default_period(&mut f);
            let (c, data) = super::snapshots::load_page(state, viewer, &f, super::income::Described::All).await?;
            Ok(super::income::sheets(&data, c.currency()))
        }
        Report::Deals => {
            let (scope, _) = super::handlers::prepare(state, viewer, report, &f).await?;
            Ok(super::deals::sheets(&super::deals::load(&state.db, &scope).await?))
        }
        Report::Sales => {
            let (scope, choices) = super::handlers::prepare(state, viewer, report, &f).await?;
            let product = super::sales::product(&state.db, viewer, &f.product).await?;
            let r = super::sales::resolve(&state.db, &scope, product, &f).await?;
            let rows = super::sales::Rows::All;
            Ok(super::sales::sheets(&super::sales::load(&state.db, &scope, &r, rows, choices.currency()).await?))
        }
        Report::ClosingReasons => {
            let (scope, _) = super::handlers::prepare(state, viewer, report, &f).await?;
            let product = super::sales::product(&state.db, viewer, &f.product).await?;
            let reason = super::closing::reason(&state.db, viewer, &f.reason).await?;
            Ok(super::closing::sheets(&super::closing::load(&state.db, &scope, product, reason).await?))
        }
    }
}

#[handler]
pub async fn export(
    state: Data<&AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    WebQuery(f): WebQuery<Filter>,
) -> AppResult<Response> {
    let report = Report::from_slug(&slug).ok_or(AppError::NotFound)?;
    let tables = sheets(&state, &viewer, report, f).await?;
    let zone = viewer.tz;
    let bytes = tokio::task::spawn_blocking(move || crate::excel::write_book(tables, zone))
        .await
        .map_err(|e| AppError::Other(anyhow::anyhow!("export thread: {e}")))??;
    let file = format!("{}_{}.xlsx", report.label().replace(' ', "_"), crate::time::today());
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\""))
        .body(bytes))
}
