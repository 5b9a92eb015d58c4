//! Income Summary snapshots (§5.1 "Save snapshot", §2.6). Owns table `income_snapshots`.
//!
//! A snapshot stores the report's **figures** (`income::Income` as JSON, with the scope they were
//! counted for), not its HTML: the snapshot page renders them again with today's views, so every
//! name in it goes through maud's escaping as on the live page, and a stored row can never carry
//! markup into a page (Django-CRM stored and re-served the rendered page). The page hides the
//! filters and buttons and says "Snapshot of <date>".
//!
//! Who sees a snapshot is the report's rule (`access::can_see_income_snapshot`): a viewer who may
//! open the Income Summary, and only for departments whose data their reports count; any other
//! snapshot is answered as missing (404).

use chrono::{DateTime, NaiveDate, Utc};
use poem::web::{Data, Path, Redirect};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use serde::{Deserialize, Serialize};

use super::income::Income;
use super::scope::{Currency, Filter, Scope};
use crate::access::{self, Report, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::htmx::HxRequest;
use crate::views;
use crate::views::analytics::Choices;
use crate::views::layout::Nav;
use crate::web::{self, Query as WebQuery};

/// How many earlier snapshots the report's header links to.
pub const LISTED: u64 = 4;

/// What a snapshot keeps: the figures and the scope they were counted for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    /// `None`: every department.
    pub departments: Option<Vec<i64>>,
    /// `None`: all owners.
    pub owner: Option<i64>,
    /// "marketing" or "state", and that currency's name then.
    pub currency: String,
    pub currency_name: String,
    /// The report's "today" (its windows and forecast months count from it).
    pub today: NaiveDate,
    pub income: Income,
}

impl Stored {
    /// The scope the figures were counted for, as the views read it.
    pub fn scope(&self) -> Scope {
        let currency = if self.currency == "state" { Currency::State } else { Currency::Marketing };
        Scope { departments: self.departments.clone(), owner: self.owner, currency, today: self.today }
    }
}

/// A saved snapshot.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    /// `YYYY-MM` for the monthly automatic snapshots.
    pub month: Option<String>,
    pub stored: Stored,
}

/// The `departments` column: "all", "none", or the sorted ids ("3,5"): the header lists the
/// snapshots of the page's own departments by it.
pub fn departments_key(d: Option<&[i64]>) -> String {
    match d {
        None => "all".into(),
        Some([]) => "none".into(),
        Some(ids) => {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        }
    }
}

/// Saves `stored`; `month` marks a monthly snapshot, of which a department has one per month
/// (`None` is returned when it exists already, whoever saved it).
pub async fn insert(
    db: &Db,
    stored: &Stored,
    taken_by: Option<i64>,
    taken_at: DateTime<Utc>,
    month: Option<&str>,
) -> AppResult<Option<i64>> {
    let data = serde_json::to_string(stored).map_err(|e| AppError::Other(e.into()))?;
    let single = match stored.departments.as_deref() {
        Some([d]) => Some(*d),
        _ => None,
    };
    let mut q = Query::insert();
    q.into_table("income_snapshots")
        .columns(["department_id", "departments", "owner_id", "currency", "month", "data", "taken_by", "taken_at"])
        .values_panic([
            single.into(),
            departments_key(stored.departments.as_deref()).into(),
            stored.owner.into(),
            stored.currency.clone().into(),
            month.map(str::to_string).into(),
            data.into(),
            taken_by.into(),
            taken_at.into(),
        ])
        .on_conflict(OnConflict::columns(["department_id", "month"]).do_nothing().to_owned())
        .returning_col("id");
    let mut tx = db.begin().await?;
    let id: Option<i64> = tx.scalar(&q).await?;
    tx.commit().await?;
    Ok(id)
}

/// The latest snapshots of exactly this scope (departments and owner), newest first.
pub async fn latest(db: &Db, s: &Scope, n: u64) -> AppResult<Vec<(i64, DateTime<Utc>)>> {
    let mut q = Query::select();
    q.column("id")
        .column("taken_at")
        .from("income_snapshots")
        .and_where(Expr::col("departments").eq(departments_key(s.departments.as_deref())))
        .order_by("taken_at", Order::Desc)
        .order_by("id", Order::Desc)
        .limit(n);
    match s.owner {
        Some(o) => q.and_where(Expr::col("owner_id").eq(o)),
        None => q.and_where(Expr::col("owner_id").is_null()),
    };
    Ok(db.fetch_all(&q).await?)
}

pub async fn get(db: &Db, id: i64) -> AppResult<Option<Snapshot>> {
    let row: Option<(i64, DateTime<Utc>, Option<String>, String)> = db
        .fetch_optional(
            Query::select()
                .columns(["id", "taken_at", "month", "data"])
                .from("income_snapshots")
                .and_where(Expr::col("id").eq(id)),
        )
        .await?;
    let Some((id, taken_at, month, data)) = row else { return Ok(None) };
    let stored: Stored = serde_json::from_str(&data)
        .map_err(|e| AppError::Other(anyhow::anyhow!("income snapshot {id} does not read back: {e}")))?;
    Ok(Some(Snapshot { id, taken_at, month, stored }))
}

/// The Income Summary's figures for the page's filter (the received payments of this month unless a
/// period is chosen): what the page shows and what "Save snapshot" keeps.
pub(super) async fn load_page<'a>(
    state: &AppState,
    viewer: &Viewer,
    f: &'a Filter,
    described: super::income::Described,
) -> AppResult<(Choices<'a>, std::sync::Arc<Income>)> {
    let (scope, choices) = super::handlers::prepare(state, viewer, Report::Income, f).await?;
    let range = f.period.range(scope.today).map_err(AppError::BadRequest)?;
    let key = (Report::Income, &scope, &range, described);
    let data = state.figures.get(&key, super::income::load(&state.db, &scope, range, described)).await?;
    Ok((choices, data))
}

/// The report's table of received payments shows this month unless a period is chosen.
pub fn default_period(f: &mut Filter) {
    if f.period == crate::crm::period::DateFilter::default() {
        f.period.date = "month".into();
    }
}

/// `POST /analytics/income/snapshots?<the page's filter>`: saves the report as it is now for the
/// page's filters (the same rule and scope as the page), then shows the snapshot.
#[handler]
pub async fn create(state: Data<&AppState>, viewer: Viewer, WebQuery(mut f): WebQuery<Filter>) -> AppResult<Response> {
    default_period(&mut f);
    let (c, income) = load_page(&state, &viewer, &f, super::income::Described::All).await?;
    let currency = match c.scope.currency {
        Currency::Marketing => "marketing",
        Currency::State => "state",
    };
    let stored = Stored {
        departments: c.scope.departments.clone(),
        owner: c.scope.owner,
        currency: currency.into(),
        currency_name: c.currency().to_string(),
        today: c.scope.today,
        income: std::sync::Arc::unwrap_or_clone(income),
    };
    let id = insert(&state.db, &stored, Some(viewer.id), crate::db::now(), None)
        .await?
        .ok_or_else(|| AppError::Other(anyhow::anyhow!("a manual snapshot was refused as a duplicate")))?;
    Ok(Redirect::see_other(format!("/analytics/income/snapshots/{id}")).into_response())
}

/// `GET /analytics/income/snapshots/:id`: the saved figures in today's views, without filters,
/// buttons or live refresh.
#[handler]
pub async fn show(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    if !access::can_report(&viewer, Report::Income) {
        return Err(AppError::Forbidden);
    }
    let s = get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !access::can_see_income_snapshot(&viewer, s.stored.departments.as_deref()) {
        return Err(AppError::NotFound);
    }
    let names = crate::users::repo::departments(&state.db).await?;
    let departments: Vec<(i64, String)> = match &s.stored.departments {
        None => Vec::new(),
        Some(ids) => names.into_iter().filter(|d| ids.contains(&d.id)).map(|d| (d.id, d.name)).collect(),
    };
    let owner = match s.stored.owner {
        Some(o) => crate::users::repo::get(&state.db, o).await.map(|u| u.full_name()).ok(),
        None => None,
    };
    let filter = Filter::default();
    let name = Some(s.stored.currency_name.clone());
    let choices = Choices {
        report: Report::Income,
        filter: &filter,
        scope: s.stored.scope(),
        departments,
        owners: Vec::new(),
        sources: Vec::new(),
        source: None,
        products: Vec::new(),
        countries: None,
        reasons: Vec::new(),
        marketing: name.clone(),
        state: name,
    };
    let cx = web::page_cx(&state, &viewer, Nav::Analytics, hx).await?;
    Ok(views::analytics_income::snapshot(&cx, &choices, &s, owner.as_deref()).into_response())
}
