//! Transaction quality (§2.10, §12.5 "Transaction-quality events", §18 CTQS). A deal's quality
//! events name one of its department's signals (`quality_signals`, a plain per-department
//! dictionary: name, signed weight %, notes) with a weight — the signal's unless typed — and details.
//! The deal's score is 100 + Σ weights (`score`); the deal list shows it for deals with events
//! (`scores`: one grouped query for the page). Events are read with their deal by the roles §3.1
//! lets read them (`access::can_quality`) and added, changed and removed from the deal's page by
//! whoever may change its line items; each change is an entry in the deal's history, written in the
//! same transaction, and a "deal changed" event after commit, which refreshes open deal pages.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::form::Raw;
use crate::access::{self, Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::{self, Actor, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};
use crate::views;
use crate::web::{self, Form};

/// The most events a deal's page lists (a deal has a handful).
pub const LIMIT: u64 = 200;
/// A weight is a signed percentage.
pub const WEIGHT_RANGE: std::ops::RangeInclusive<i64> = -100..=100;
const DETAILS_MAX: usize = 2000;

/// One quality event as the deal's page shows it.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub signal_id: i64,
    pub signal: String,
    pub weight: i64,
    pub details: String,
    pub created_at: DateTime<Utc>,
}

/// A signal the event form offers: id, name, weight.
#[derive(Clone, Debug)]
pub struct Signal {
    pub id: i64,
    pub name: String,
    pub weight: i64,
}

/// The deal page's "Transaction-quality events" section.
pub struct Section {
    pub deal: ItemRef,
    pub events: Vec<Event>,
    /// May add, change and remove events.
    pub can_change: bool,
}

impl Section {
    pub fn score(&self) -> i64 {
        score(self.events.iter().map(|e| e.weight).sum())
    }
}

/// CTQS: 100 + the sum of the event weights.
pub fn score(sum: i64) -> i64 {
    100 + sum
}

/// The colour class of a score (§12.3): ≥95 plain, 85–94 green, 70–84 orange, below 70 red.
pub fn colour(score: i64) -> &'static str {
    match score {
        95.. => "ctqs-normal",
        85..=94 => "ctqs-green",
        70..=84 => "ctqs-orange",
        _ => "ctqs-red",
    }
}

/// May `v` read the quality events of a deal they may view.
pub fn reads(v: &Viewer) -> bool {
    access::can_quality(v, Action::View)
}

/// May `v` add, change and remove the quality events of deal `it`.
pub fn can_change(v: &Viewer, it: &ItemRef) -> bool {
    access::can_quality(v, Action::Create) && super::lines::can_change(v, it)
}

async fn load(db: &Db, deal: i64, event: Option<i64>) -> Result<Vec<Event>, sqlx::Error> {
    let mut q = Query::select();
    q.column(("quality_events", "id"))
        .column(("quality_events", "signal_id"))
        .column(("quality_signals", "name"))
        .column(("quality_events", "weight"))
        .column(("quality_events", "details"))
        .column(("quality_events", "created_at"))
        .from("quality_events")
        .inner_join("quality_signals", Expr::col(("quality_signals", "id")).equals(("quality_events", "signal_id")))
        .and_where(Expr::col(("quality_events", "deal_id")).eq(deal));
    if let Some(e) = event {
        q.and_where(Expr::col(("quality_events", "id")).eq(e));
    }
    q.order_by(("quality_events", "id"), Order::Asc).limit(LIMIT);
    let rows: Vec<(i64, i64, String, i32, String, DateTime<Utc>)> = db.fetch_all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|(id, signal_id, signal, weight, details, created_at)| Event {
            id,
            signal_id,
            signal,
            weight: weight.into(),
            details,
            created_at,
        })
        .collect())
}

/// The deal page's section, or None for a viewer whose roles do not read quality events.
pub async fn for_page(db: &Db, v: &Viewer, it: &ItemRef) -> AppResult<Option<Section>> {
    if !reads(v) {
        return Ok(None);
    }
    let events = load(db, it.id, None).await?;
    Ok(Some(Section { deal: it.clone(), events, can_change: can_change(v, it) }))
}

/// The CTQS of those of `deals` that have events: one grouped query (the deal list's page).
pub async fn scores(db: &Db, deals: Vec<i64>) -> Result<HashMap<i64, i64>, sqlx::Error> {
    if deals.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i64)> = db
        .fetch_all(
            Query::select()
                .column("deal_id")
                .expr(Expr::cust("CAST(SUM(weight) AS BIGINT)"))
                .from("quality_events")
                .and_where(Expr::col("deal_id").is_in(deals))
                .group_by_col("deal_id"),
        )
        .await?;
    Ok(rows.into_iter().map(|(d, sum)| (d, score(sum))).collect())
}

/// The signals an event of a deal in `department` may name: the department's, and the one it has
/// (a deal moved to another department keeps its events).
pub async fn signals(db: &Db, department: i64, kept: Option<i64>) -> Result<Vec<Signal>, sqlx::Error> {
    let mut q = Query::select();
    q.columns(["id", "name", "weight"]).from("quality_signals");
    let own = Expr::col("department_id").eq(department);
    match kept {
        Some(k) => q.and_where(own.or(Expr::col("id").eq(k))),
        None => q.and_where(own),
    };
    q.order_by("index_number", Order::Asc).order_by("id", Order::Asc).limit(1000);
    let rows: Vec<(i64, String, i32)> = db.fetch_all(&q).await?;
    Ok(rows.into_iter().map(|(id, name, weight)| Signal { id, name, weight: weight.into() }).collect())
}

/// An event's typed values.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Input {
    signal_id: i64,
    weight: i64,
    details: String,
}

/// Checks the form: a listed signal, a whole weight in −100…100 (empty: the signal's), details of
/// a sensible length.
fn parse(raw: &Raw, signals: &[Signal]) -> Result<Input, FormErrors> {
    let mut errs = FormErrors::default();
    let signal = match raw.get("signal_id").trim() {
        "" => {
            errs.add("signal_id", "Choose a signal.");
            None
        }
        s => match s.parse::<i64>().ok().and_then(|id| signals.iter().find(|x| x.id == id)) {
            Some(x) => Some(x),
            None => {
                errs.add("signal_id", "Choose one of the listed options.");
                None
            }
        },
    };
    let weight = match raw.get("weight").trim().replace('−', "-").trim_end_matches('%').trim() {
        "" => signal.map(|s| s.weight),
        w => match w.trim_start_matches('+').parse::<i64>() {
            Ok(n) if WEIGHT_RANGE.contains(&n) => Some(n),
            Ok(_) => {
                errs.add("weight", "Enter a weight between -100 and 100.");
                None
            }
            Err(_) => {
                errs.add("weight", format!("\"{w}\" is not a whole number."));
                None
            }
        },
    };
    let details = raw.get("details").trim().to_string();
    if details.chars().count() > DETAILS_MAX {
        errs.add("details", format!("At most {DETAILS_MAX} characters."));
    }
    match (signal, weight) {
        (Some(s), Some(w)) => errs.finish(Input { signal_id: s.id, weight: w, details }),
        _ => {
            if errs.is_empty() {
                errs.add("weight", "Enter a weight.");
            }
            Err(errs)
        }
    }
}

/// "Late response (−10 %)".
fn describe(signal: &str, weight: i64) -> String {
    format!("{signal} ({weight:+} %)")
}

fn name_of(signals: &[Signal], id: i64) -> String {
    signals.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default()
}

fn diff(before: Option<&Event>, after: Option<(&Input, &str)>) -> Diff {
    let mut d = Diff::default();
    d.field("Signal", before.map(|e| e.signal.as_str()).unwrap_or(""), after.map(|a| a.1).unwrap_or(""));
    d.field(
        "Weight (%)",
        before.map(|e| e.weight.to_string()).unwrap_or_default(),
        after.map(|a| a.0.weight.to_string()).unwrap_or_default(),
    );
    d.field(
        "Details",
        before.map(|e| e.details.as_str()).unwrap_or(""),
        after.map(|a| a.0.details.as_str()).unwrap_or(""),
    );
    d
}

/// The deal, loaded for changing its events (404 unseen, 403 seen but not changeable).
async fn deal_for_change(state: &AppState, v: &Viewer, deal: i64) -> AppResult<ItemRef> {
    let it = items::load(&state.db, v, ItemKind::Deal, deal, Action::Edit).await?;
    if !can_change(v, &it) {
        return Err(AppError::Forbidden);
    }
    Ok(it)
}

/// The event form as it is shown: the deal, the event (None: a new one), what was typed, the
/// messages, the signals offered.
struct Shown<'a> {
    it: &'a ItemRef,
    event: Option<i64>,
    raw: &'a Raw,
    errs: &'a FormErrors,
    signals: &'a [Signal],
}

async fn render(state: &AppState, v: &Viewer, hx: HxRequest, s: Shown<'_>) -> AppResult<maud::Markup> {
    let cx = web::page_cx(state, v, views::layout::Nav::Crm(ItemKind::Deal), hx).await?;
    Ok(views::crm_quality::form(&cx, s.it, s.event, s.raw, s.errs, s.signals))
}

async fn stored(db: &Db, deal: i64, event: i64) -> AppResult<Event> {
    load(db, deal, Some(event)).await?.into_iter().next().ok_or(AppError::NotFound)
}

fn raw_of(e: &Event) -> Raw {
    Raw(HashMap::from([
        ("signal_id".to_string(), e.signal_id.to_string()),
        ("weight".to_string(), e.weight.to_string()),
        ("details".to_string(), e.details.clone()),
    ]))
}

/// `GET /deals/:id/quality/new`.
#[handler]
pub async fn new(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(deal): Path<i64>) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let signals = signals(&state.db, it.department.unwrap_or(0), None).await?;
    let raw = Raw(HashMap::new());
    Ok(render(
        &state,
        &viewer,
        hx,
        Shown { it: &it, event: None, raw: &raw, errs: &FormErrors::default(), signals: &signals },
    )
    .await?
    .into_response())
}

/// `POST /deals/:id/quality`.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(deal): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let raw = Raw::from_pairs(pairs);
    let signals = signals(&state.db, it.department.unwrap_or(0), None).await?;
    let input = match parse(&raw, &signals) {
        Ok(i) => i,
        Err(errs) => {
            return Ok(web::invalid(
                render(&state, &viewer, hx, Shown { it: &it, event: None, raw: &raw, errs: &errs, signals: &signals })
                    .await?,
            ));
        }
    };
    let name = name_of(&signals, input.signal_id);
    let now = crate::db::now();
    let mut tx = state.db.begin().await?;
    tx.insert_id(
        Query::insert()
            .into_table("quality_events")
            .columns(["deal_id", "signal_id", "weight", "details", "created_at", "updated_at"])
            .values_panic([
                deal.into(),
                input.signal_id.into(),
                i32::try_from(input.weight).unwrap_or(0).into(),
                input.details.clone().into(),
                now.into(),
                now.into(),
            ])
            .returning_col("id"),
    )
    .await?;
    let d = diff(None, Some((&input, &name)));
    let summary = format!("Added the quality event {}", describe(&name, input.weight));
    history::record(&mut tx, &Actor::from(&viewer), "deal", deal, Change::Update, &summary, &d).await?;
    tx.commit().await?;
    items::publish_changed(&state.bus, &it);
    Ok(htmx::redirect(hx, &format!("{}#quality", it.url())))
}

/// `GET /deals/:id/quality/:event/edit`.
#[handler]
pub async fn edit(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((deal, event)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let e = stored(&state.db, deal, event).await?;
    let signals = signals(&state.db, it.department.unwrap_or(0), Some(e.signal_id)).await?;
    Ok(render(
        &state,
        &viewer,
        hx,
        Shown { it: &it, event: Some(event), raw: &raw_of(&e), errs: &FormErrors::default(), signals: &signals },
    )
    .await?
    .into_response())
}

/// `POST /deals/:id/quality/:event`.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((deal, event)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let before = stored(&state.db, deal, event).await?;
    let raw = Raw::from_pairs(pairs);
    let signals = signals(&state.db, it.department.unwrap_or(0), Some(before.signal_id)).await?;
    let after = match parse(&raw, &signals) {
        Ok(i) => i,
        Err(errs) => {
            return Ok(web::invalid(
                render(
                    &state,
                    &viewer,
                    hx,
                    Shown { it: &it, event: Some(event), raw: &raw, errs: &errs, signals: &signals },
                )
                .await?,
            ));
        }
    };
    let name = name_of(&signals, after.signal_id);
    let d = diff(Some(&before), Some((&after, &name)));
    if !d.is_empty() {
        let mut tx = state.db.begin().await?;
        tx.execute(
            Query::update()
                .table("quality_events")
                .value("signal_id", after.signal_id)
                .value("weight", i32::try_from(after.weight).unwrap_or(0))
                .value("details", after.details.clone())
                .value("updated_at", crate::db::now())
                .and_where(Expr::col("id").eq(event))
                .and_where(Expr::col("deal_id").eq(deal)),
        )
        .await?;
        let summary = format!("Changed the quality event {}", describe(&name, after.weight));
        history::record(&mut tx, &Actor::from(&viewer), "deal", deal, Change::Update, &summary, &d).await?;
        tx.commit().await?;
        items::publish_changed(&state.bus, &it);
    }
    Ok(htmx::redirect(hx, &format!("{}#quality", it.url())))
}

/// `POST /deals/:id/quality/:event/delete`.
#[handler]
pub async fn delete(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((deal, event)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let it = deal_for_change(&state, &viewer, deal).await?;
    let before = stored(&state.db, deal, event).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(
        Query::delete()
            .from_table("quality_events")
            .and_where(Expr::col("id").eq(event))
            .and_where(Expr::col("deal_id").eq(deal)),
    )
    .await?;
    let d = diff(Some(&before), None);
    let summary = format!("Removed the quality event {}", describe(&before.signal, before.weight));
    history::record(&mut tx, &Actor::from(&viewer), "deal", deal, Change::Update, &summary, &d).await?;
    tx.commit().await?;
    items::publish_changed(&state.bus, &it);
    Ok(htmx::redirect(hx, &format!("{}#quality", it.url())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sigs() -> Vec<Signal> {
        vec![Signal { id: 7, name: "Late response".into(), weight: -10 }]
    }

    fn raw(pairs: &[(&str, &str)]) -> Raw {
        Raw(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn an_empty_weight_takes_the_signals_and_a_typed_one_wins() {
        let s = sigs();
        assert_eq!(parse(&raw(&[("signal_id", "7"), ("weight", "")]), &s).map(|i| i.weight), Ok(-10));
        assert_eq!(parse(&raw(&[("signal_id", "7"), ("weight", "+3")]), &s).map(|i| i.weight), Ok(3));
        assert_eq!(parse(&raw(&[("signal_id", "7"), ("weight", "−4 %")]), &s).map(|i| i.weight), Ok(-4));
        assert!(parse(&raw(&[("signal_id", "7"), ("weight", "101")]), &s).is_err());
        assert!(parse(&raw(&[("signal_id", "7"), ("weight", "1.5")]), &s).is_err());
        assert!(parse(&raw(&[("signal_id", "8")]), &s).unwrap_err().get("signal_id").is_some());
        assert!(parse(&raw(&[]), &s).unwrap_err().get("signal_id").is_some());
    }

    #[test]
    fn scores_take_their_colours_at_the_bounds() {
        assert_eq!(
            [95, 94, 85, 84, 70, 69].map(colour),
            ["ctqs-normal", "ctqs-green", "ctqs-green", "ctqs-orange", "ctqs-orange", "ctqs-red"]
        );
        assert_eq!(score(-15), 85);
    }
}
