//! Currencies and their dated exchange rates (§2.2 Currency and Rate, §13.7). Rates are stored as
//! integers × 10^8 (the original's decimal(13,8)). A dated rate is approximate or official (§18); the
//! newest one also becomes the currency's current rate. One currency is the state currency and one
//! the marketing currency (never both on one). Who does what: `access::can_currencies`.

use chrono::NaiveDate;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Deserialize;

use crate::access::{self, Action, Viewer};
use crate::app::AppState;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::{self, Actor, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::paging::{self, Paged};
use crate::views;
use crate::web::{self, Form, Query as WebQuery};

pub const RATE_TYPES: &[(&str, &str)] = &[("approximate", "Approximate"), ("official", "Official")];

/// A currency with its current rates and its newest dated rate.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Currency {
    pub id: i64,
    pub name: String,
    pub rate_to_state_e8: i64,
    pub rate_to_marketing_e8: i64,
    pub is_state_currency: bool,
    pub is_marketing_currency: bool,
    pub auto_update: bool,
}

/// One dated rate.
#[derive(Clone, Debug)]
pub struct Rate {
    pub id: i64,
    pub date: NaiveDate,
    pub to_state_e8: i64,
    pub to_marketing_e8: i64,
    pub kind: String,
}

/// `1.2`, `0.83000000`, `27,5` → × 10^8; positive, at most 8 decimals, below 100,000 (decimal(13,8)).
pub fn parse_rate(s: &str) -> Result<i64, String> {
    const MSG: &str = "Enter a rate such as 1.2 or 0.83 (a positive number, at most 8 decimals).";
    let t = s.trim().replace(',', ".");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 8
        || whole.len() > 5
    {
        return Err(MSG.into());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| MSG.to_string())? };
    let frac: i64 = format!("{frac:0<8}").parse().map_err(|_| MSG.to_string())?;
    let e8 = whole * 100_000_000 + frac;
    if e8 == 0 { Err(MSG.into()) } else { Ok(e8) }
}

/// × 10^8 → `1.2`, `0.83`, `27.12345678` (at least two decimals).
pub fn show_rate(e8: i64) -> String {
    let whole = e8 / 100_000_000;
    let frac = format!("{:08}", (e8 % 100_000_000).abs());
    let trimmed = frac.trim_end_matches('0');
    let frac = if trimmed.len() < 2 { &frac[..2] } else { trimmed };
    format!("{whole}.{frac}")
}

async fn all(db: &Db) -> Result<Vec<(Currency, Option<Rate>)>, sqlx::Error> {
    let currencies: Vec<Currency> = db
        .fetch_all(
            Query::select()
                .columns([
                    "id",
                    "name",
                    "rate_to_state_e8",
                    "rate_to_marketing_e8",
                    "is_state_currency",
                    "is_marketing_currency",
                    "auto_update",
                ])
                .from("currencies")
                .order_by("name", Order::Asc)
                .limit(500),
        )
        .await?;
    let mut out = Vec::with_capacity(currencies.len());
    // A handful of currencies: one indexed look-up each (ux_currency_rates_day, newest day first).
    for c in currencies {
        let latest = rates(db, c.id, 1, 1).await?.into_iter().next();
        out.push((c, latest));
    }
    Ok(out)
}

async fn one(db: &Db, id: i64) -> AppResult<Currency> {
    db.fetch_optional::<Currency>(
        Query::select()
            .columns([
                "id",
                "name",
                "rate_to_state_e8",
                "rate_to_marketing_e8",
                "is_state_currency",
                "is_marketing_currency",
                "auto_update",
            ])
            .from("currencies")
            .and_where(Expr::col("id").eq(id)),
    )
    .await?
    .ok_or(AppError::NotFound)
}

/// The currency's dated rates, newest first: page `page` of `per` rows (+1 to say more follow).
async fn rates(db: &Db, currency: i64, page: u64, per: u64) -> Result<Vec<Rate>, sqlx::Error> {
    let rows: Vec<(i64, NaiveDate, i64, i64, String)> = db
        .fetch_all(
            Query::select()
                .columns(["id", "rate_date", "rate_to_state_e8", "rate_to_marketing_e8", "rate_type"])
                .from("currency_rates")
                .and_where(Expr::col("currency_id").eq(currency))
                .order_by("rate_date", Order::Desc)
                .limit(per)
                .offset((page - 1) * per),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, date, s, m, kind)| Rate { id, date, to_state_e8: s, to_marketing_e8: m, kind })
        .collect())
}

fn require(v: &Viewer, action: Action) -> AppResult<()> {
    if access::can_currencies(v, action) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// `GET /currencies`.
#[handler]
pub async fn index(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    require(&viewer, Action::List)?;
    let list = all(&state.db).await?;
    let cx = web::page_cx(&state, &viewer, views::layout::Nav::Crm(access::ItemKind::Payment), hx).await?;
    Ok(views::currencies::index(&cx, &list, &NewCurrency::default(), &FormErrors::default()).into_response())
}

#[derive(Deserialize, Default, Clone)]
pub struct NewCurrency {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub rate_to_state: String,
    #[serde(default)]
    pub rate_to_marketing: String,
}

/// `POST /currencies`: a new currency (an ISO 4217 code, its current rates).
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(f): Form<NewCurrency>,
) -> AppResult<Response> {
    require(&viewer, Action::Create)?;
    let mut errs = FormErrors::default();
    let code = f.name.trim().to_uppercase();
    if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        errs.add("name", "Enter the currency's three-letter ISO 4217 code, such as CHF.");
    } else if db_has(&state.db, &code).await? {
        errs.add("name", "That currency is already in the list.");
    }
    let to_state = parse_rate(&f.rate_to_state).map_err(|m| errs.add("rate_to_state", m)).ok();
    let to_marketing = parse_rate(&f.rate_to_marketing).map_err(|m| errs.add("rate_to_marketing", m)).ok();
    let (Some(to_state), Some(to_marketing), true) = (to_state, to_marketing, errs.0.is_empty()) else {
        let list = all(&state.db).await?;
        let cx = web::page_cx(&state, &viewer, views::layout::Nav::Crm(access::ItemKind::Payment), hx).await?;
        return Ok(web::invalid(views::currencies::index(&cx, &list, &f, &errs)));
    };
    let mut tx = state.db.begin().await?;
    let id = tx
        .insert_id(
            Query::insert()
                .into_table("currencies")
                .columns(["name", "rate_to_state_e8", "rate_to_marketing_e8", "updated_at"])
                .values_panic([code.clone().into(), to_state.into(), to_marketing.into(), db::now().into()])
                .returning_col("id"),
        )
        .await?;
    let mut d = Diff::default();
    d.field("Rate to the state currency", "", show_rate(to_state));
    d.field("Rate to the marketing currency", "", show_rate(to_marketing));
    history::record(
        &mut tx,
        &Actor::from(&viewer),
        "currency",
        id,
        Change::Create,
        &format!("Added the currency {code}"),
        &d,
    )
    .await?;
    tx.commit().await?;
    crate::analytics::cache::figures_moved(&state.bus);
    Ok(htmx::redirect(hx, &format!("/currencies/{id}")))
}

async fn db_has(db: &Db, code: &str) -> Result<bool, sqlx::Error> {
    Ok(db
        .scalar::<i64>(Query::select().column("id").from("currencies").and_where(Expr::col("name").eq(code)))
        .await?
        .is_some())
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
}

/// The dated-rate form as typed.
#[derive(Deserialize, Default, Clone)]
pub struct RateForm {
    #[serde(default)]
    pub rate_date: String,
    #[serde(default)]
    pub rate_to_state: String,
    #[serde(default)]
    pub rate_to_marketing: String,
    #[serde(default)]
    pub rate_type: String,
}

async fn show_page(
    state: &AppState,
    viewer: &Viewer,
    hx: HxRequest,
    id: i64,
    page: u64,
    form: &RateForm,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let c = one(&state.db, id).await?;
    let list = Paged::window(rates(&state.db, id, page, paging::PER_PAGE + 1).await?, page);
    let others = all(&state.db).await?.into_iter().map(|(c, _)| c).collect::<Vec<_>>();
    let cx = web::page_cx(state, viewer, views::layout::Nav::Crm(access::ItemKind::Payment), hx).await?;
    Ok(views::currencies::show(&cx, &c, &others, &list, form, errs))
}

/// `GET /currencies/:id`.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    WebQuery(q): WebQuery<PageQuery>,
) -> AppResult<Response> {
    require(&viewer, Action::View)?;
    let form = RateForm { rate_date: crate::time::today().format("%Y-%m-%d").to_string(), ..RateForm::default() };
    let page = paging::page_number(q.page);
    Ok(show_page(&state, &viewer, hx, id, page, &form, &FormErrors::default()).await?.into_response())
}

/// `POST /currencies/:id/rates`: a dated rate (replacing that day's, if any); the newest dated rate is
/// also the currency's current rate.
#[handler]
pub async fn add_rate(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<RateForm>,
) -> AppResult<Response> {
    require(&viewer, Action::Create)?;
    let c = one(&state.db, id).await?;
    let mut errs = FormErrors::default();
    let date = NaiveDate::parse_from_str(f.rate_date.trim(), "%Y-%m-%d")
        .map_err(|_| errs.add("rate_date", "Enter a date as YYYY-MM-DD."))
        .ok();
    let to_state = parse_rate(&f.rate_to_state).map_err(|m| errs.add("rate_to_state", m)).ok();
    let to_marketing = parse_rate(&f.rate_to_marketing).map_err(|m| errs.add("rate_to_marketing", m)).ok();
    let kind = RATE_TYPES.iter().find(|(k, _)| *k == f.rate_type.trim()).map(|(k, _)| *k);
    if kind.is_none() {
        errs.add("rate_type", "Choose approximate or official.");
    }
    if c.is_state_currency && to_state.is_some_and(|r| r != 100_000_000) {
        errs.add("rate_to_state", "The state currency's rate to itself is 1.");
    }
    if c.is_marketing_currency && to_marketing.is_some_and(|r| r != 100_000_000) {
        errs.add("rate_to_marketing", "The marketing currency's rate to itself is 1.");
    }
    let (Some(date), Some(to_state), Some(to_marketing), Some(kind), true) =
        (date, to_state, to_marketing, kind, errs.0.is_empty())
    else {
        return Ok(web::invalid(show_page(&state, &viewer, hx, id, 1, &f, &errs).await?));
    };
    let mut tx = state.db.begin().await?;
    let existing: Option<(i64, i64, i64, String)> = tx
        .fetch_optional(
            Query::select()
                .columns(["id", "rate_to_state_e8", "rate_to_marketing_e8", "rate_type"])
                .from("currency_rates")
                .and_where(Expr::col("currency_id").eq(id))
                .and_where(Expr::col("rate_date").eq(date)),
        )
        .await?;
    let mut d = Diff::default();
    let day = date.format("%Y-%m-%d").to_string();
    match &existing {
        Some((rid, s, m, k)) => {
            tx.execute(
                Query::update()
                    .table("currency_rates")
                    .values([
                        ("rate_to_state_e8", to_state.into()),
                        ("rate_to_marketing_e8", to_marketing.into()),
                        ("rate_type", kind.into()),
                    ])
                    .and_where(Expr::col("id").eq(*rid)),
            )
            .await?;
            d.field(&format!("Rate to the state currency on {day}"), show_rate(*s), show_rate(to_state));
            d.field(&format!("Rate to the marketing currency on {day}"), show_rate(*m), show_rate(to_marketing));
            d.field(&format!("Rate type on {day}"), k, kind);
        }
        None => {
            tx.execute(
                Query::insert()
                    .into_table("currency_rates")
                    .columns(["currency_id", "rate_date", "rate_to_state_e8", "rate_to_marketing_e8", "rate_type"])
                    .values_panic([id.into(), date.into(), to_state.into(), to_marketing.into(), kind.into()]),
            )
            .await?;
            d.field(&format!("Rate to the state currency on {day}"), "", show_rate(to_state));
            d.field(&format!("Rate to the marketing currency on {day}"), "", show_rate(to_marketing));
            d.field(&format!("Rate type on {day}"), "", kind);
        }
    }
    // The newest dated rate is the current one.
    let newest: Option<NaiveDate> = tx
        .scalar(
            Query::select()
                .expr(Expr::col("rate_date").max())
                .from("currency_rates")
                .and_where(Expr::col("currency_id").eq(id)),
        )
        .await?;
    if newest == Some(date) {
        tx.execute(
            Query::update()
                .table("currencies")
                .values([
                    ("rate_to_state_e8", to_state.into()),
                    ("rate_to_marketing_e8", to_marketing.into()),
                    ("updated_at", db::now().into()),
                ])
                .and_where(Expr::col("id").eq(id)),
        )
        .await?;
    }
    let summary =
        format!("{} rate of {} for {day}", if existing.is_some() { "Changed the" } else { "Added a" }, c.name);
    history::record(&mut tx, &Actor::from(&viewer), "currency", id, Change::Update, &summary, &d).await?;
    tx.commit().await?;
    crate::analytics::cache::figures_moved(&state.bus);
    Ok(htmx::redirect(hx, &format!("/currencies/{id}")))
}

#[derive(Deserialize, Default)]
pub struct RoleForm {
    #[serde(default)]
    pub role: String,
}

/// `POST /currencies/:id/role`: makes the currency the state or the marketing currency (the other
/// currencies lose that mark in the same transaction).
#[handler]
pub async fn set_role(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    require(&viewer, Action::Edit)?;
    let c = one(&state.db, id).await?;
    let (col, other, label) = match f.role.as_str() {
        "state" => ("is_state_currency", c.is_marketing_currency, "state"),
        "marketing" => ("is_marketing_currency", c.is_state_currency, "marketing"),
        _ => return Err(AppError::BadRequest("Choose the state or the marketing currency.".into())),
    };
    if other {
        return Err(AppError::Conflict(format!(
            "{} cannot be both the state and the marketing currency: make another currency the {} one first.",
            c.name,
            if label == "state" { "marketing" } else { "state" }
        )));
    }
    let mut tx = state.db.begin().await?;
    let before: Option<String> =
        tx.scalar(Query::select().column("name").from("currencies").and_where(Expr::col(col).eq(true))).await?;
    if before.as_deref() != Some(c.name.as_str()) {
        tx.execute(Query::update().table("currencies").value(col, false).and_where(Expr::col(col).eq(true))).await?;
        tx.execute(Query::update().table("currencies").value(col, true).and_where(Expr::col("id").eq(id))).await?;
        let mut d = Diff::default();
        d.field(&format!("The {label} currency"), before.unwrap_or_default(), &c.name);
        history::record(
            &mut tx,
            &Actor::from(&viewer),
            "currency",
            id,
            Change::Update,
            &format!("{} is the {label} currency", c.name),
            &d,
        )
        .await?;
    }
    tx.commit().await?;
    crate::analytics::cache::figures_moved(&state.bus);
    Ok(htmx::redirect(hx, "/currencies"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_to_e8_and_print_back() {
        assert_eq!(parse_rate("1.2"), Ok(120_000_000));
        assert_eq!(parse_rate("0,83"), Ok(83_000_000));
        assert_eq!(parse_rate("27.12345678"), Ok(2_712_345_678));
        for bad in ["", "0", "-1", "1.123456789", "abc", "100000", "1e3"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(show_rate(120_000_000), "1.20");
        assert_eq!(show_rate(83_000_000), "0.83");
        assert_eq!(show_rate(2_712_345_678), "27.12345678");
    }
}
