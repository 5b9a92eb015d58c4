//! The CRM's dictionaries (§2.2, §13.7, §16.1): each department's deal stages, closing reasons,
//! client types, industries, lead sources, product categories and tags, and the global cities.
//! One descriptor per dictionary (`Dict`: table, fields, who manages it, what uses its rows) and
//! one list / form / delete path for all of them, as the CRM kinds are field lists.
//!
//! Rules: a name is unique in its department, ignoring case ("Such a tag already exists."); a city
//! name or alternative name is unique in its country (§2.2 City.clean). A flag that marks "the"
//! department's default / second-default / success / goods-shipped stage or success reason is
//! exclusive: setting it on one row clears it on the others in the same transaction, and the
//! default stage cannot be unset (deals need one, §12.6). An order number that is taken shifts the
//! rows at and after it (§16.1). A row in use is never deleted: the delete is refused with the
//! number of rows that use it (re-pointing them is a merge, which these lists do not offer).
//! Every change is a history entry of the dictionary row, in the same transaction.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query};
use serde::Deserialize;

use super::record::{Ty, Val};

mod save;
mod table;
use crate::access::{Action, Viewer};
use crate::app::AppState;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::{self, Actor, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::paging::{self, Paged};
use crate::views;
use crate::web::{self, Form, Query as WebQuery};
use save::{check, parse, write};
pub use table::{DField, DICTS, DInput, Dict, Use, dict};

/// One stored row.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: i64,
    pub department: Option<i64>,
    pub name: String,
    pub index: i64,
    /// One per `Dict::fields`.
    pub values: Vec<Val>,
}

impl Row {
    pub fn get(&self, d: &Dict, col: &str) -> Val {
        d.fields.iter().position(|f| f.col == col).and_then(|i| self.values.get(i).cloned()).unwrap_or_default()
    }
}

fn select(d: &Dict) -> (sea_query::SelectStatement, Vec<Ty>) {
    let mut q = Query::select();
    q.from(Alias::new(d.table)).column(Alias::new("id"));
    let mut tys = vec![Ty::Int];
    if d.global {
        q.expr(Expr::val(0i64));
    } else {
        q.column(Alias::new("department_id"));
    }
    tys.push(Ty::Int);
    q.column(Alias::new("name"));
    tys.push(Ty::Text);
    if d.ordered {
        // INTEGER: read as BIGINT, as PostgreSQL would not decode an int4 into an i64.
        q.expr(Expr::col(Alias::new("index_number")).cast_as(Alias::new("BIGINT")));
    } else {
        q.expr(Expr::val(0i64));
    }
    tys.push(Ty::Int);
    for f in d.fields {
        if f.input == DInput::Weight {
            // INTEGER, read as BIGINT like the order.
            q.expr(Expr::col(Alias::new(f.col)).cast_as(Alias::new("BIGINT")));
        } else {
            q.column(Alias::new(f.col));
        }
        tys.push(f.input.ty());
    }
    (q, tys)
}

fn row_of(d: &Dict, mut v: Vec<Val>) -> Row {
    let rest = v.split_off(Ord::min(4, v.len()));
    let int = |i: usize| v.get(i).and_then(Val::int);
    Row {
        id: int(0).unwrap_or(0),
        department: if d.global { None } else { int(1) },
        name: v.get(2).map(|x| x.text().to_string()).unwrap_or_default(),
        index: int(3).unwrap_or(0),
        values: rest,
    }
}

pub async fn get(db: &Db, d: &Dict, id: i64) -> Result<Option<Row>, sqlx::Error> {
    let (mut q, tys) = select(d);
    q.and_where(Expr::col(Alias::new("id")).eq(id));
    Ok(db.fetch_values(&q, &tys).await?.into_iter().next().map(|v| row_of(d, v)))
}

/// The list's filters.
#[derive(Deserialize, Default, Clone, Debug)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub department: Option<u32>,
    /// Cities: a country id, "all", or absent (the department's default country).
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
}

/// What a list page shows and where it is.
pub struct Listing {
    pub department: Option<i64>,
    pub departments: Vec<(i64, String)>,
    pub countries: Vec<(i64, String)>,
    /// The country filter in effect (None: all countries).
    pub country: Option<i64>,
    pub q: String,
    pub rows: Paged<Row>,
    /// Country names of the rows (cities).
    pub country_names: Vec<(i64, String)>,
}

impl Listing {
    /// The URL of this list with another page (filters kept).
    pub fn href(&self, d: &Dict, page: u64) -> String {
        let mut parts = Vec::new();
        if let Some(dep) = self.department {
            parts.push(format!("department={dep}"));
        }
        if d.global {
            parts.push(format!("country={}", self.country.map_or("all".to_string(), |c| c.to_string())));
        }
        if !self.q.is_empty() {
            parts.push(format!(
                "q={}",
                percent_encoding::utf8_percent_encode(&self.q, percent_encoding::NON_ALPHANUMERIC)
            ));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() { d.url() } else { format!("{}?{}", d.url(), parts.join("&")) }
    }
}

/// The departments whose dictionaries `v` may list: every department for administrators, else
/// their own.
async fn departments(db: &Db, v: &Viewer, d: &Dict) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let all: Vec<(i64, String)> =
        db.fetch_all(Query::select().columns(["id", "name"]).from("departments").order_by("name", Order::Asc)).await?;
    Ok(all.into_iter().filter(|(id, _)| d.can(v, Action::List, Some(*id))).collect())
}

async fn countries(db: &Db) -> Result<Vec<(i64, String)>, sqlx::Error> {
    db.fetch_all(Query::select().columns(["id", "name"]).from("countries").order_by("name", Order::Asc)).await
}

/// The department a request is about: the asked one if `v` may list it, else their own, else the
/// first they may.
fn pick_department(v: &Viewer, asked: Option<u32>, allowed: &[(i64, String)]) -> AppResult<i64> {
    let ok = |id: i64| allowed.iter().any(|(a, _)| *a == id);
    if let Some(a) = asked {
        let a = i64::from(a);
        return if ok(a) { Ok(a) } else { Err(AppError::NotFound) };
    }
    if let Some(own) = v.department_id.filter(|d| ok(*d)) {
        return Ok(own);
    }
    allowed.first().map(|(id, _)| *id).ok_or(AppError::Forbidden)
}

async fn listing(state: &AppState, v: &Viewer, d: &Dict, lq: &ListQuery) -> AppResult<Listing> {
    let db = &state.db;
    let page = paging::page_number(lq.page);
    let q = lq.q.clone().unwrap_or_default().trim().to_string();
    let (sel, tys) = select(d);
    let mut sel = sel;
    let mut departments_list = Vec::new();
    let mut department = None;
    let mut country = None;
    let mut all_countries = Vec::new();
    if d.global {
        if !d.can(v, Action::List, None) {
            return Err(AppError::Forbidden);
        }
        all_countries = countries(db).await?;
        country = match lq.country.as_deref().map(str::trim) {
            Some("all") => None,
            Some(c) if !c.is_empty() => Some(
                c.parse::<i64>()
                    .ok()
                    .filter(|c| all_countries.iter().any(|(i, _)| i == c))
                    .ok_or_else(|| AppError::BadRequest("Choose a country from the list.".into()))?,
            ),
            // Default: the viewer's department's default country (§13.7).
            _ => match v.department_id {
                Some(dep) => {
                    db.scalar::<i64>(
                        Query::select()
                            .column("default_country_id")
                            .from("departments")
                            .and_where(Expr::col("id").eq(dep))
                            .and_where(Expr::col("default_country_id").is_not_null()),
                    )
                    .await?
                }
                None => None,
            },
        };
        if let Some(c) = country {
            sel.and_where(Expr::col(Alias::new("country_id")).eq(c));
        }
    } else {
        departments_list = departments(db, v, d).await?;
        let dep = pick_department(v, lq.department, &departments_list)?;
        department = Some(dep);
        sel.and_where(Expr::col(Alias::new("department_id")).eq(dep));
    }
    if !q.is_empty() {
        let pattern = db::like_pattern(&q.to_lowercase());
        let lower = |col: &'static str| {
            Expr::expr(sea_query::Func::lower(Expr::col(Alias::new(col))))
                .like(sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        let mut c = Cond::any().add(lower("name"));
        if d.global {
            c = c.add(lower("alternative_names"));
        }
        sel.cond_where(c);
    }
    // Dictionaries are read in their order (`index_number`), tags and cities by name: each a
    // department's or country's handful of rows; the unique (department, name) / (country,
    // name_key) indexes narrow them.
    if d.ordered {
        sel.order_by(Alias::new("index_number"), Order::Asc);
    } else if d.keyed {
        sel.order_by(Alias::new("name_key"), Order::Asc);
    }
    sel.order_by(Alias::new("id"), Order::Asc).limit(paging::PER_PAGE + 1).offset(paging::offset(page));
    let rows: Vec<Row> = db.fetch_values(&sel, &tys).await?.into_iter().map(|r| row_of(d, r)).collect();
    let rows = Paged::window(rows, page);
    let country_names = if d.global { all_countries.clone() } else { Vec::new() };
    Ok(Listing { department, departments: departments_list, countries: all_countries, country, q, rows, country_names })
}

/// `GET /dictionaries`: the dictionaries `v` may manage.
#[handler]
pub async fn home(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    let mine: Vec<&'static Dict> = DICTS.iter().filter(|d| any(&viewer, d)).collect();
    if mine.is_empty() {
        return Err(AppError::Forbidden);
    }
    let cx = web::page_cx(&state, &viewer, views::layout::Nav::Dictionaries, hx).await?;
    Ok(views::dictionaries::index(&cx, &mine).into_response())
}

/// May `v` list this dictionary in some department?
pub fn any(v: &Viewer, d: &Dict) -> bool {
    if d.global || v.is(crate::access::Role::Admin) {
        d.can(v, Action::List, None)
    } else {
        v.departments.iter().any(|dep| d.can(v, Action::List, Some(*dep)))
    }
}

/// Any dictionary at all (the menu entry).
pub fn manages_any(v: &Viewer) -> bool {
    DICTS.iter().any(|d| any(v, d))
}

/// The form as typed.
#[derive(Clone, Debug, Default)]
pub struct Typed(pub std::collections::HashMap<String, String>);

impl Typed {
    pub fn get(&self, col: &str) -> &str {
        self.0.get(col).map(String::as_str).unwrap_or("")
    }
    fn of(d: &Dict, r: &Row) -> Typed {
        let mut m = std::collections::HashMap::new();
        m.insert("name".to_string(), r.name.clone());
        m.insert("index_number".to_string(), r.index.to_string());
        for (f, v) in d.fields.iter().zip(&r.values) {
            let s = match v {
                Val::Bool(true) => "on".to_string(),
                Val::Bool(false) | Val::Null => String::new(),
                Val::Int(i) => i.to_string(),
                other => other.text().to_string(),
            };
            m.insert(f.col.to_string(), s);
        }
        Typed(m)
    }
}

async fn list_page(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    d: &'static Dict,
    lq: &ListQuery,
    form: &Typed,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let l = listing(state, v, d, lq).await?;
    let cx = web::page_cx(state, v, views::layout::Nav::Dictionaries, hx).await?;
    Ok(views::dictionaries::list(&cx, d, &l, form, errs))
}

/// `GET /dictionaries/:dict`.
#[handler]
pub async fn list(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(slug): Path<String>,
    WebQuery(lq): WebQuery<ListQuery>,
) -> AppResult<Response> {
    let d = dict(&slug)?;
    let l = listing(&state, &viewer, d, &lq).await?;
    // The add form starts at the list's country (by default the department's default country).
    let mut form = Typed::default();
    if let Some(c) = l.country {
        form.0.insert("country_id".into(), c.to_string());
    }
    let cx = web::page_cx(&state, &viewer, views::layout::Nav::Dictionaries, hx).await?;
    Ok(views::dictionaries::list(&cx, d, &l, &form, &FormErrors::default()).into_response())
}

/// The history object type of a dictionary's rows: its table's name ("deal_stages").
pub fn history_kind(d: &Dict) -> String {
    d.table.to_string()
}

fn typed(pairs: Vec<(String, String)>) -> Typed {
    Typed(pairs.into_iter().filter(|(k, _)| k != "csrf_token").collect())
}

/// `POST /dictionaries/:dict`: a new row.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let d = dict(&slug)?;
    let raw = typed(pairs);
    let department = if d.global {
        None
    } else {
        Some(
            raw.get("department_id")
                .trim()
                .parse::<i64>()
                .map_err(|_| AppError::BadRequest("Which department?".into()))?,
        )
    };
    if !d.can(&viewer, Action::Create, department) {
        return Err(if d.can(&viewer, Action::List, department) { AppError::Forbidden } else { AppError::NotFound });
    }
    let lq = ListQuery {
        department: department.and_then(|x| u32::try_from(x).ok()),
        country: d.global.then(|| raw.get("country_id").to_string()),
        ..ListQuery::default()
    };
    let mut errs = FormErrors::default();
    let c = parse(d, &raw, None, &mut errs);
    check(&state.db, d, department, &c, None, &mut errs).await?;
    if !errs.is_empty() {
        return Ok(web::invalid(list_page(&state, &viewer, hx, d, &lq, &raw, &errs).await?));
    }
    let names = if d.global { countries(&state.db).await? } else { Vec::new() };
    let mut tx = state.db.begin().await?;
    let res = write(&mut tx, d, department, None, &c, &Actor::from(&viewer), &names).await;
    match res {
        Ok(_) => {
            tx.commit().await?;
            crate::analytics::cache::figures_moved(&state.bus);
        }
        Err(e) if db::is_unique_violation(&e) => {
            drop(tx);
            // Another save of the same name won the race.
            errs.add("name", d.taken());
            return Ok(web::invalid(list_page(&state, &viewer, hx, d, &lq, &raw, &errs).await?));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(htmx::redirect(hx, &lq_href(d, department, c.values.first().and_then(Val::int).filter(|_| d.global))))
}

fn lq_href(d: &Dict, department: Option<i64>, country: Option<i64>) -> String {
    match (department, country) {
        (Some(dep), _) => format!("{}?department={dep}", d.url()),
        (None, Some(c)) => format!("{}?country={c}", d.url()),
        (None, None) => d.url(),
    }
}

/// The rows that use `row`: (what, how many), only those with any.
pub async fn usage(db: &Db, d: &Dict, id: i64) -> Result<Vec<(&'static str, i64)>, sqlx::Error> {
    let mut out = Vec::new();
    for (table, col, label) in d.uses {
        let mut q = Query::select();
        q.expr(Expr::col(Alias::new(*col)).count())
            .from(Alias::new(*table))
            .and_where(Expr::col(Alias::new(*col)).eq(id));
        let n: i64 = db.scalar(&q).await?.unwrap_or(0);
        if n > 0 {
            out.push((*label, n));
        }
    }
    Ok(out)
}

async fn load(db: &Db, v: &Viewer, d: &Dict, id: i64, action: Action) -> AppResult<Row> {
    let row = get(db, d, id).await?.ok_or(AppError::NotFound)?;
    if !d.can(v, Action::View, row.department) {
        return Err(AppError::NotFound);
    }
    if !d.can(v, action, row.department) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

/// The recent history entries of a dictionary row.
pub async fn recent_history(db: &Db, d: &Dict, id: i64) -> AppResult<Vec<history::Entry>> {
    Ok(history::list(db, &history_kind(d), id, None, 20).await?)
}

async fn edit_page(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    d: &'static Dict,
    row: &Row,
    form: &Typed,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let used = usage(&state.db, d, row.id).await?;
    let countries = if d.global { countries(&state.db).await? } else { Vec::new() };
    let department = match row.department {
        Some(dep) => state
            .db
            .scalar::<String>(Query::select().column("name").from("departments").and_where(Expr::col("id").eq(dep)))
            .await?
            .unwrap_or_default(),
        None => String::new(),
    };
    let hist = recent_history(&state.db, d, row.id).await?;
    let cx = web::page_cx(state, v, views::layout::Nav::Dictionaries, hx).await?;
    // A lead source's web form: its snippets and a live preview (`requests::intake`).
    let extra = if d.table == "lead_sources" {
        let saved = |col: &str| row.get(d, col).text().to_string();
        let origins = crate::requests::intake::parse_origins(&saved("allowed_origins")).unwrap_or_default();
        let admin = v.is(crate::access::Role::Admin);
        views::contact_form::embed_panel(&state.config.base_url, &saved("token"), &origins, admin)
    } else {
        maud::html! {}
    };
    Ok(views::dictionaries::edit(&cx, d, row, &department, &countries, &used, &hist, form, errs, extra))
}

/// `GET /dictionaries/:dict/:id`.
#[handler]
pub async fn edit(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let d = dict(&slug)?;
    let row = load(&state.db, &viewer, d, id, Action::View).await?;
    Ok(edit_page(&state, &viewer, hx, d, &row, &Typed::of(d, &row), &FormErrors::default()).await?.into_response())
}

/// `POST /dictionaries/:dict/:id`.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let d = dict(&slug)?;
    let row = load(&state.db, &viewer, d, id, Action::Edit).await?;
    let raw = typed(pairs);
    let mut errs = FormErrors::default();
    let c = parse(d, &raw, Some(&row), &mut errs);
    check(&state.db, d, row.department, &c, Some(&row), &mut errs).await?;
    if !errs.is_empty() {
        return Ok(web::invalid(edit_page(&state, &viewer, hx, d, &row, &raw, &errs).await?));
    }
    let names = if d.global { countries(&state.db).await? } else { Vec::new() };
    let mut tx = state.db.begin().await?;
    match write(&mut tx, d, row.department, Some(&row), &c, &Actor::from(&viewer), &names).await {
        Ok(_) => {
            tx.commit().await?;
            crate::analytics::cache::figures_moved(&state.bus);
        }
        Err(e) if db::is_unique_violation(&e) => {
            drop(tx);
            errs.add("name", d.taken());
            return Ok(web::invalid(edit_page(&state, &viewer, hx, d, &row, &raw, &errs).await?));
        }
        Err(e) => return Err(e.into()),
    }
    let country = if d.global { c.values.first().and_then(Val::int) } else { None };
    Ok(htmx::redirect(hx, &lq_href(d, row.department, country)))
}

/// "3 deals, 1 lead".
pub fn counted(used: &[(&str, i64)]) -> String {
    used.iter().map(|(what, n)| format!("{n} {what}")).collect::<Vec<_>>().join(", ")
}

/// `POST /dictionaries/:dict/:id/delete`: refused while any row uses it.
#[handler]
pub async fn delete(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let d = dict(&slug)?;
    let row = load(&state.db, &viewer, d, id, Action::Delete).await?;
    let mut tx = state.db.begin().await?;
    // Counted inside the write transaction: a row made to use it meanwhile waits (SQLite) or, on
    // PostgreSQL, meets the foreign key (RESTRICT) or the count below.
    let mut used = Vec::new();
    for (table, col, label) in d.uses {
        let mut q = Query::select();
        q.expr(Expr::col(Alias::new(*col)).count())
            .from(Alias::new(*table))
            .and_where(Expr::col(Alias::new(*col)).eq(id));
        let n: i64 = tx.scalar(&q).await?.unwrap_or(0);
        if n > 0 {
            used.push((*label, n));
        }
    }
    if !used.is_empty() {
        return Err(AppError::Conflict(format!(
            "The {} \"{}\" is in use ({}), so it cannot be deleted. Change those first, or rename it.",
            d.noun,
            row.name,
            counted(&used)
        )));
    }
    if d.fields.iter().enumerate().any(|(i, f)| f.kept && row.values.get(i) == Some(&Val::Bool(true))) {
        return Err(AppError::Conflict(format!(
            "\"{}\" is the department's default {}: make another one the default first.",
            row.name, d.noun
        )));
    }
    tx.execute(Query::delete().from_table(Alias::new(d.table)).and_where(Expr::col("id").eq(id))).await?;
    history::record(
        &mut tx,
        &Actor::from(&viewer),
        &history_kind(d),
        id,
        Change::Delete,
        &format!("Deleted the {} {}", d.noun, row.name),
        &Diff::default(),
    )
    .await?;
    tx.commit().await?;
    crate::analytics::cache::figures_moved(&state.bus);
    let country = if d.global { row.get(d, "country_id").int() } else { None };
    Ok(htmx::redirect(hx, &lq_href(d, row.department, country)))
}
