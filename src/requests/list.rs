//! The requests list (§13.1): pending requests first, then newest; the filters pending, owner,
//! receipt date, product, subsequent, department, country, city and a counterparty's requests;
//! a page of the app's size with the count route; the menu counter of pending requests (§3.4).

use std::collections::HashMap;

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use serde::Deserialize;

use super::kind::SPEC;
use crate::access::{self, ItemKind, ListKind, Role, Viewer};
use crate::app::AppState;
use crate::crm::list::{self as crm_list, Filter, Owner};
use crate::crm::record::Ty;
use crate::crm::repo::{self, Record};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::htmx::HxRequest;
use crate::paging::{self, Paged, Total};
use crate::views;
use crate::web::{self, Query as Q};

/// The list's query string: the shared CRM filter (search, owner, department, the receipt date as
/// its period, and product, company, lead, country, city as the deal list names them) plus the
/// request's own flags.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RequestFilter {
    #[serde(flatten)]
    pub base: Filter,
    /// "", "yes" (pending), "no" (processed).
    #[serde(default)]
    pub pending: String,
    /// "", "yes" (subsequent), "no" (primary).
    #[serde(default)]
    pub subsequent: String,
}

impl RequestFilter {
    pub fn query(&self, page: u64) -> String {
        let base = self.base.query(page);
        let mut extra = Vec::new();
        for (k, v) in [("pending", &self.pending), ("subsequent", &self.subsequent)] {
            if !v.is_empty() {
                extra.push(format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                ));
            }
        }
        match (base.is_empty(), extra.is_empty()) {
            (_, true) => base,
            (true, false) => format!("?{}", extra.join("&")),
            (false, false) => format!("{base}&{}", extra.join("&")),
        }
    }

    /// §3.2 with one difference: operators (who process the department's incoming requests, most
    /// of which have no owner yet) see everyone's requests unless they choose otherwise.
    pub fn for_viewer(mut self, v: &Viewer) -> RequestFilter {
        if self.base.owner.is_empty() && v.is(Role::Operator) && !v.is(Role::SalesManager) {
            self.base.owner = "all".into();
        }
        self
    }

    /// Filtered by a counterparty: its request counter column is not shown (§13.1).
    pub fn by_counterparty(&self) -> bool {
        !self.base.deal.company.is_empty() || !self.base.deal.lead.is_empty()
    }
}

fn id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

fn yes_no(s: &str) -> Option<bool> {
    match s {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The shared filter's rows (scope, search, owner, department) narrowed by the request filters.
/// An id or ticket search ignores the filters (never the scope).
pub async fn filtered(db: &Db, v: &Viewer, f: &RequestFilter, q: SelectStatement) -> AppResult<SelectStatement> {
    let mut q = crm_list::filtered(db, v, &SPEC, &f.base, q).await?;
    if matches!(
        crate::crm::search::parse(&f.base.q, ItemKind::Request),
        crate::crm::search::Search::Id(_) | crate::crm::search::Search::Ticket(_)
    ) {
        return Ok(q);
    }
    let t = "requests";
    if let Some(p) = yes_no(&f.pending) {
        q.and_where(Expr::col((t, "pending")).eq(p));
    }
    if let Some(s) = yes_no(&f.subsequent) {
        q.and_where(Expr::col((t, "subsequent")).eq(s));
    }
    let d = &f.base.deal;
    if let Some(p) = id(&d.product) {
        let with = Query::select()
            .column("request_id")
            .from("request_products")
            .and_where(Expr::col("product_id").eq(p))
            .to_owned();
        q.and_where(Expr::col((t, "id")).in_subquery(with));
    }
    for (col, value) in
        [("company_id", &d.company), ("lead_id", &d.lead), ("country_id", &d.country), ("city_id", &d.city)]
    {
        if let Some(x) = id(value) {
            q.and_where(Expr::col((t, col)).eq(x));
        }
    }
    let range = f.base.period.range(crate::time::today()).map_err(AppError::BadRequest)?;
    crate::crm::period::DateFilter::narrow_date(range, (t, "receipt_date"), &mut q);
    Ok(q)
}

/// The columns the list shows.
const SHOWN: &[&str] = &[
    "request_for",
    "duplicate",
    "is_case",
    "receipt_date",
    "first_name",
    "middle_name",
    "last_name",
    "company_name",
    "company_id",
    "lead_id",
    "co_owner_id",
    "subsequent",
    "pending",
    "products",
    "ticket",
    "country_id",
    "city_name",
];

/// One page: pending first, then newest.
pub async fn page(db: &Db, v: &Viewer, f: &RequestFilter) -> AppResult<Paged<Record>> {
    let page = paging::page_number(f.base.page);
    let (q, tys) = page_query(db, v, f).await?;
    let mut rows: Vec<Record> = db.fetch_values(&q, &tys).await?.into_iter().map(repo::record_of).collect();
    crate::crm::many::load(db, &SPEC, &mut rows).await?;
    Ok(Paged::window(rows, page))
}

/// The statement that reads a page (and its columns' types): what `page` runs and the query-plan
/// test explains. `ix_requests_department_pending` walked backwards for one department,
/// `ix_requests_pending` for every department (migration 22).
pub async fn page_query(db: &Db, v: &Viewer, f: &RequestFilter) -> AppResult<(SelectStatement, Vec<Ty>)> {
    let (q, tys) = repo::select_only(&SPEC, SHOWN);
    let mut q = filtered(db, v, f, q).await?;
    q.order_by(("requests", "pending"), Order::Desc)
        .order_by(("requests", "id"), Order::Desc)
        .limit(paging::WINDOW)
        .offset(paging::offset(paging::page_number(f.base.page)));
    Ok((q, tys))
}

/// How many requests the filter finds (bounded).
pub async fn total(db: &Db, v: &Viewer, f: &RequestFilter) -> AppResult<Total> {
    let q = Query::select().column(("requests", "id")).from("requests").to_owned();
    let q = filtered(db, v, f, q).await?;
    Ok(paging::bounded_count(db, q).await?)
}

/// "(N)": how many requests each company and lead of the page has that the viewer may see (one
/// grouped query each).
pub async fn counters(db: &Db, v: &Viewer, rows: &[Record]) -> AppResult<(HashMap<i64, i64>, HashMap<i64, i64>)> {
    let mut out = (HashMap::new(), HashMap::new());
    for (col, into) in [("company_id", &mut out.0), ("lead_id", &mut out.1)] {
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.get(&SPEC, col).int()).collect();
        if ids.is_empty() {
            continue;
        }
        let mut q = Query::select();
        q.column(("requests", col))
            .expr(Func::count(Expr::col(("requests", "id"))))
            .from("requests")
            .and_where(Expr::col(("requests", col)).is_in(ids))
            .group_by_col(("requests", Alias::new(col)));
        access::scope_as_filter(v, ListKind::Crm(ItemKind::Request), &mut q)?;
        let found: Vec<(i64, i64)> = db.fetch_all(&q).await?;
        into.extend(found);
    }
    Ok(out)
}

/// Everything the list's view needs.
pub struct ListData {
    pub filter: RequestFilter,
    pub page: Paged<Record>,
    pub names: crate::crm::repo::Names,
    pub counters: (HashMap<i64, i64>, HashMap<i64, i64>),
    pub departments: Vec<(i64, String)>,
    pub products: Vec<(i64, String)>,
    /// Every country; the cities of the chosen country.
    pub countries: Vec<(i64, String)>,
    pub cities: Vec<(i64, String)>,
    pub can_create: bool,
    /// The person column (hidden for plain managers looking at their own requests, §13.1).
    pub person: bool,
}

async fn data(state: &AppState, v: &Viewer, f: RequestFilter) -> AppResult<ListData> {
    let f = f.for_viewer(v);
    let page = page(&state.db, v, &f).await?;
    let names = crate::crm::choices::names(&state.db, &SPEC, &page.items.iter().collect::<Vec<_>>()).await?;
    let counters = counters(&state.db, v, &page.items).await?;
    let departments = crate::crm::handlers::department_filter(state, v, &SPEC).await?;
    let can_create = crate::crm::handlers::can_create(state, v, &SPEC).await?;
    // The product filter offers the products of the viewer's departments (or the chosen one).
    let mut products = Vec::new();
    let shown_departments: Vec<i64> = match id(&f.base.department) {
        Some(d) => vec![d],
        None => v.departments.clone(),
    };
    for d in shown_departments.iter().take(5) {
        let m = crate::crm::fields::ManyTo::Products { link: "request_products", key: "request_id" };
        products.extend(crate::crm::many::options(&state.db, m, *d).await?);
    }
    let plain_manager = v.is(Role::SalesManager) && !v.is(Role::Chief);
    let person = !(plain_manager && f.base.owner(v) == Owner::Mine && f.base.owner.is_empty());
    let countries = crate::crm::choices::options(&state.db, crate::crm::fields::RefTo::Global("countries"), 0).await?;
    let cities = match id(&f.base.deal.country) {
        Some(c) => {
            state
                .db
                .fetch_all(
                    Query::select()
                        .columns(["id", "name"])
                        .from("cities")
                        .and_where(Expr::col("country_id").eq(c))
                        .order_by("name", Order::Asc)
                        .limit(500),
                )
                .await?
        }
        None => Vec::new(),
    };
    Ok(ListData { filter: f, page, names, counters, departments, products, countries, cities, can_create, person })
}

/// `GET /requests`.
#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Q(f): Q<RequestFilter>,
) -> AppResult<Response> {
    let d = data(&state, &viewer, f).await?;
    if hx.0 {
        return Ok(views::requests::list(&viewer, &d).into_response());
    }
    let cx = web::page_cx(&state, &viewer, views::layout::Nav::Crm(ItemKind::Request), hx).await?;
    Ok(views::requests::index(&cx, &d).into_response())
}

/// `GET /requests/total?<filters>`.
#[handler]
pub async fn count(state: Data<&AppState>, viewer: Viewer, Q(f): Q<RequestFilter>) -> AppResult<maud::Markup> {
    let f = f.for_viewer(&viewer);
    let key = format!("request{}", f.query(1));
    let n = state.totals.get(viewer.id, key, total(&state.db, &viewer, &f)).await?;
    Ok(views::ui::page_info(paging::page_number(f.base.page), Some(n), views::ui::Noun("request", "requests")))
}

/// §3.4: the pending requests the menu counts for `v` (all; the older ones, received before
/// today, are the red part). Managers count the requests they own or co-own; operators those of
/// their departments owned by an operator or by nobody; chiefs and administrators every pending
/// request they may see.
pub async fn pending_count(db: &Db, v: &Viewer, today: chrono::NaiveDate) -> AppResult<crate::counters::Count> {
    if !access::reads_crm(v, ItemKind::Request) {
        return Ok(crate::counters::Count::default());
    }
    let base = |older: bool| -> AppResult<SelectStatement> {
        let mut q = Query::select();
        q.expr(Expr::val(1)).from("requests").and_where(Expr::col(("requests", "pending")).eq(true));
        access::scope(v, ListKind::Crm(ItemKind::Request), &mut q)?;
        if v.is(Role::Operator) && !v.is(Role::Admin) {
            let operators = Query::select()
                .column("user_id")
                .from("user_roles")
                .and_where(Expr::col("role").eq(Role::Operator.slug()))
                .to_owned();
            q.and_where(
                Expr::col(("requests", "owner_id"))
                    .is_null()
                    .or(Expr::col(("requests", "owner_id")).in_subquery(operators)),
            );
        } else if v.is(Role::SalesManager) && !v.is(Role::Admin) && !v.is(Role::Chief) {
            q.and_where(
                Expr::col(("requests", "owner_id")).eq(v.id).or(Expr::col(("requests", "co_owner_id")).eq(v.id)),
            );
        }
        if older {
            q.and_where(Expr::col(("requests", "receipt_date")).lt(today));
        }
        Ok(q)
    };
    Ok(crate::counters::Count {
        all: crate::counters::bounded(db, base(false)?).await?,
        overdue: crate::counters::bounded(db, base(true)?).await?,
    })
}
