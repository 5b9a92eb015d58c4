//! The administrators' spam lists (inventory §2.7: StopPhrase, BannedCompanyName):
//! `/admin/stop-phrases` and `/admin/banned-company-names`, each a list with an add form and a
//! remove button. Under `/admin/`, so everyone else gets 404 before a handler runs.

use poem::web::{Data, Path};
use poem::{IntoResponse, Request, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use crate::access::Viewer;
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::htmx::HxRequest;
use crate::views::contact_form::{SpamList, spam_list};
use crate::views::layout::Nav;
use crate::web::{self, Form};

struct List {
    url: &'static str,
    table: &'static str,
    col: &'static str,
    key: &'static str,
    max: usize,
    title: &'static str,
    about: &'static str,
    label: &'static str,
    stamped: bool,
}

const STOP: List = List {
    url: "/admin/stop-phrases",
    table: "stop_phrases",
    col: "phrase",
    key: "phrase_key",
    max: 100,
    title: "Stop phrases",
    about: "A web-form request whose subject or message contains one of these is dropped (the visitor is thanked as usual).",
    label: "Phrase",
    stamped: true,
};

const BANNED: List = List {
    url: "/admin/banned-company-names",
    table: "banned_company_names",
    col: "name",
    key: "name_key",
    max: 50,
    title: "Banned company names",
    about: "A web-form request whose company contains one of these is dropped (the API still answers 200).",
    label: "Company name",
    stamped: false,
};

fn list_of(req: &Request) -> &'static List {
    if req.uri().path().starts_with(STOP.url) { &STOP } else { &BANNED }
}

async fn render(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    l: &List,
    value: &str,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let mut q = Query::select();
    q.columns(["id", l.col]).from(l.table).order_by(l.key, Order::Asc).limit(1000);
    let rows: Vec<(i64, String, Option<chrono::DateTime<chrono::Utc>>)> = if l.stamped {
        state.db.fetch_all(q.column("last_occurrence_at")).await?
    } else {
        let r: Vec<(i64, String)> = state.db.fetch_all(&q).await?;
        r.into_iter().map(|(id, t)| (id, t, None)).collect()
    };
    let cx = web::page_cx(state, v, Nav::Dictionaries, hx).await?;
    let view = SpamList {
        title: l.title,
        about: l.about,
        url: l.url,
        label: l.label,
        max: l.max,
        rows: &rows,
        stamped: l.stamped,
    };
    Ok(spam_list(&cx, &view, value, errs))
}

/// `GET /admin/stop-phrases`, `GET /admin/banned-company-names`.
#[handler]
pub async fn index(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, req: &Request) -> AppResult<Response> {
    crate::access::require_admin_area(&viewer)?;
    Ok(render(&state, &viewer, hx, list_of(req), "", &FormErrors::default()).await?.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Added {
    text: String,
}

/// `POST` to a list: adds an entry (422 with the message when empty, too long or already listed).
#[handler]
pub async fn add(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    req: &Request,
    Form(f): Form<Added>,
) -> AppResult<Response> {
    crate::access::require_admin_area(&viewer)?;
    let l = list_of(req);
    let text = f.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut errs = FormErrors::default();
    if text.is_empty() {
        errs.add("text", "This field is required.");
    } else if text.chars().count() > l.max {
        errs.add("text", format!("At most {} characters.", l.max));
    }
    if errs.is_empty() {
        let mut tx = state.db.begin().await?;
        let insert = Query::insert()
            .into_table(l.table)
            .columns([l.col, l.key, "created_at"])
            .values_panic([text.clone().into(), super::spam::key(&text).into(), crate::db::now().into()])
            .to_owned();
        match tx.execute(&insert).await {
            Ok(_) => {
                tx.commit().await?;
                return Ok(crate::htmx::redirect(hx, l.url));
            }
            Err(e) if crate::db::is_unique_violation(&e) => errs.add("text", "This is listed already."),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(web::invalid(render(&state, &viewer, hx, l, &text, &errs).await?))
}

/// `POST …/:id/delete`.
#[handler]
pub async fn remove(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    req: &Request,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    crate::access::require_admin_area(&viewer)?;
    let l = list_of(req);
    let n = state.db.execute(&Query::delete().from_table(l.table).and_where(Expr::col("id").eq(id)).to_owned()).await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(crate::htmx::redirect(hx, l.url))
}
