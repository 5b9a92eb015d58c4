//! The import's routes: the upload form, the upload (→ preview), the preview/progress/report page,
//! its live progress fragment, confirm and cancel.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::{Import, importable, plan};
use crate::access::{self, Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::crm::handlers::{CrmKind, departments_for_new, prospective, prospective_item};
use crate::crm::repo::{Record, Spec};
use crate::error::{AppError, AppResult};
use crate::excel::Limits;
use crate::files::Uploaded;
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::web;

/// How many rows to create the preview lists (the counts cover all).
pub const PREVIEW_ROWS: usize = 100;

/// The departments `v` may import `spec`'s rows into (403 when none; 404 for other kinds).
async fn allowed(state: &AppState, v: &Viewer, spec: &Spec) -> AppResult<Vec<(i64, String)>> {
    if !importable(spec.kind) {
        return Err(AppError::NotFound);
    }
    if !access::reads_crm(v, spec.kind) {
        return Err(AppError::Forbidden);
    }
    let ds: Vec<(i64, String)> = departments_for_new(state, v)
        .await?
        .into_iter()
        .filter(|(d, _)| access::can(v, Action::Create, &prospective(spec.kind, *d)))
        .collect();
    if ds.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(ds)
}

/// The viewer's own import `id` (anyone else's is not found).
async fn own(state: &AppState, v: &Viewer, id: i64) -> AppResult<(Import, &'static Spec)> {
    let (imp, spec) = visible(state, v, id).await?;
    if imp.user_id != v.id {
        return Err(AppError::NotFound);
    }
    Ok((imp, spec))
}

/// Import `id` if the viewer may see it (`access::sees_import`: theirs; administrators all).
async fn visible(state: &AppState, v: &Viewer, id: i64) -> AppResult<(Import, &'static Spec)> {
    let imp =
        super::get(&state.db, id).await?.filter(|i| access::sees_import(v, i.user_id)).ok_or(AppError::NotFound)?;
    let spec = imp.spec().ok_or(AppError::NotFound)?;
    Ok((imp, spec))
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    page: Option<u32>,
}

/// `GET /imports`: the past imports the viewer may see, newest first.
#[handler]
pub async fn list(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    web::Query(q): web::Query<ListQuery>,
) -> AppResult<Response> {
    let page = crate::paging::page_number(q.page);
    let rows = crate::paging::Paged::window(super::list(&state.db, &viewer, page).await?, page);
    let cx = web::page_cx(&state, &viewer, Nav::Home, hx).await?;
    Ok(views::crm_import::list(&cx, &rows, crate::access::imports_of(&viewer).is_none()).into_response())
}

async fn form_page(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    spec: &'static Spec,
    error: Option<&str>,
) -> AppResult<maud::Markup> {
    let cx = web::page_cx(state, v, Nav::Crm(spec.kind), hx).await?;
    Ok(views::crm_import::form(&cx, spec, error, &Limits::default()))
}

/// `GET /<kind>/import`.
#[handler]
pub async fn form(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, kind: CrmKind) -> AppResult<Response> {
    allowed(&state, &viewer, kind.0).await?;
    Ok(form_page(&state, &viewer, hx, kind.0, None).await?.into_response())
}

/// No form fields besides the file (and the CSRF token).
#[derive(serde::Deserialize, Default)]
pub struct NoFields {}

/// `POST /<kind>/import`: reads and checks the workbook, stores the plan, shows the preview.
#[handler]
pub async fn upload(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    up: Uploaded<NoFields>,
) -> AppResult<Response> {
    let spec = kind.0;
    let allowed = allowed(&state, &viewer, spec).await?;
    let limits = Limits::default();
    let (st, v): (&AppState, &Viewer) = (&state, &viewer);
    let refuse = |msg: String| async move { form_page(st, v, hx, spec, Some(&msg)).await.map(web::invalid) };
    let Some(file) = up.files.first() else {
        return refuse("Choose an Excel file (.xlsx) to import.".into()).await;
    };
    if file.size > limits.max_bytes as u64 {
        return refuse(crate::excel::ExcelError::TooLarge { max_bytes: limits.max_bytes }.to_string()).await;
    }
    let bytes =
        tokio::fs::read(file.path()).await.map_err(|e| AppError::Other(anyhow::anyhow!("reading an upload: {e}")))?;
    let read = tokio::task::spawn_blocking(move || crate::excel::read_sheet(&bytes, &limits))
        .await
        .map_err(|e| AppError::Other(anyhow::anyhow!("import thread: {e}")))?;
    let table = match read {
        Ok(t) => t,
        Err(crate::excel::ExcelError::Write(e)) => return Err(AppError::Other(anyhow::anyhow!(e))),
        Err(e) => {
            if let crate::excel::ExcelError::Damaged(detail) = &e {
                tracing::info!(detail, "an uploaded workbook could not be read");
            }
            return refuse(e.to_string()).await;
        }
    };
    let required = spec.title[0];
    if table.column(required).is_none() {
        return refuse(format!(
            "The sheet “{}” has no column “{required}”. Its first row must name the columns, as listed below (an exported list has them).",
            table.sheet.chars().take(60).collect::<String>()
        ))
        .await;
    }
    if table.rows.is_empty() {
        return refuse(format!(
            "The sheet “{}” has no rows below its header.",
            table.sheet.chars().take(60).collect::<String>()
        ))
        .await;
    }
    let p = plan::plan(&state.db, &viewer, spec, &table, &allowed).await?;
    let id = super::store(&state.db, viewer.id, spec, &file.name, table.rows.len(), &p).await?;
    Ok(htmx::redirect(hx, &format!("/imports/{id}")))
}

/// The first rows the import will create, as records (for the preview).
async fn first_rows(state: &AppState, imp: &Import, spec: &Spec) -> AppResult<Vec<(u32, Record)>> {
    let rows: Vec<(i64, String)> = state
        .db
        .fetch_all(
            Query::select()
                .columns(["row_number", "data"])
                .from("import_rows")
                .and_where(Expr::col("import_id").eq(imp.id))
                .order_by("idx", Order::Asc)
                .limit(PREVIEW_ROWS as u64),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(n, data)| serde_json::from_str::<plan::Planned>(&data).ok().map(|p| (n as u32, p.record(spec))))
        .collect())
}

/// `GET /imports/:id`: the preview, then the progress, then the report.
#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let (imp, spec) = visible(&state, &viewer, id).await?;
    let rows = if imp.status == "preview" { first_rows(&state, &imp, spec).await? } else { Vec::new() };
    let refs: Vec<&Record> = rows.iter().map(|(_, r)| r).collect();
    let names = crate::crm::choices::names(&state.db, spec, &refs).await?;
    let departments: Vec<(i64, String)> =
        crate::users::repo::departments(&state.db).await?.into_iter().map(|d| (d.id, d.name)).collect();
    let cx = web::page_cx(&state, &viewer, Nav::Crm(spec.kind), hx).await?;
    let p = views::crm_import::Preview { import: &imp, spec, rows: &rows, names: &names, departments: &departments };
    Ok(views::crm_import::page(&cx, &p).into_response())
}

/// `GET /imports/:id/progress`: the live progress region.
#[handler]
pub async fn progress(state: Data<&AppState>, viewer: Viewer, Path(id): Path<i64>) -> AppResult<maud::Markup> {
    let (imp, spec) = visible(&state, &viewer, id).await?;
    Ok(views::crm_import::progress(&imp, spec))
}

/// `POST /imports/:id/confirm`: queues the job (once; a second confirm changes nothing).
#[handler]
pub async fn confirm(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (imp, spec) = own(&state, &viewer, id).await?;
    if imp.status == "preview" {
        // The rights are checked again: they may have changed since the upload.
        let allowed = allowed(&state, &viewer, spec).await?;
        for d in imp.department_ids() {
            let mine = access::Item {
                rel: access::Rel::of(&[crate::participants::PRole::Owner]),
                ..prospective_item(spec.kind, d)
            };
            let ok = allowed.iter().any(|(a, _)| *a == d)
                || (spec.kind == ItemKind::Contact
                    && access::can(&viewer, Action::Create, &access::Object::Item(mine)));
            if !ok {
                return Err(AppError::Forbidden);
            }
        }
        let mut tx = state.db.begin().await?;
        let n = tx
            .execute(
                Query::update()
                    .table("imports")
                    .values([("status", "queued".into()), ("updated_at", crate::db::now().into())])
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("status").eq("preview")),
            )
            .await?;
        if n == 1 {
            let key = format!("import:{id}");
            crate::jobs::enqueue(
                &mut tx,
                super::JOB,
                &serde_json::json!({ "id": id }),
                crate::db::now(),
                Some(&key),
                5,
            )
            .await?;
        }
        tx.commit().await?;
        state.wake.notify_one();
        state.bus.publish(super::progress_event(&imp));
    }
    Ok(htmx::redirect(hx, &imp.url()))
}

/// `POST /imports/:id/cancel`: drops a preview (nothing was written).
#[handler]
pub async fn cancel(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let (imp, spec) = own(&state, &viewer, id).await?;
    if imp.status != "preview" {
        return Err(AppError::Conflict("This import has started; it cannot be cancelled.".into()));
    }
    let mut tx = state.db.begin().await?;
    tx.execute(Query::delete().from_table("import_rows").and_where(Expr::col("import_id").eq(id))).await?;
    tx.execute(
        Query::delete()
            .from_table("imports")
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("status").eq("preview")),
    )
    .await?;
    tx.commit().await?;
    Ok(htmx::redirect(hx, spec.kind.info().path))
}
