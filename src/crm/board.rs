//! The live deal board: a department's active deals in columns by stage. A card moves to another
//! stage through `POST /deals/:id/stage` — the same permission check (`Action::ChangeStage`) and the
//! same save rules (stage log, win date) as the deal's form — by dragging it or with its keyboard
//! form; everyone with the board open sees it move (the board is a live region on `deal-changed`).

use chrono::NaiveDate;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Deserialize;

use super::deal::{self, Dicts};
use super::list::{self, Filter};
use super::record::Val;
use super::repo;
use crate::access::{self, Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query as QueryString};

/// The most cards the board loads (the newest); the list has the rest.
pub const LIMIT: u64 = 500;
/// The most cards a column shows (the newest); its header says how many more there are.
pub const PER_COLUMN: usize = 40;

/// One card.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Card {
    pub id: i64,
    pub name: String,
    pub stage_id: i64,
    pub next_step: String,
    pub next_step_date: NaiveDate,
    pub owner_id: Option<i64>,
    pub co_owner_id: Option<i64>,
    pub department_id: i64,
    pub amount_cents: Option<i64>,
    pub important: bool,
    pub is_new: bool,
}

impl Card {
    /// What the access rules need to know of this deal.
    pub fn access_item(&self, v: &Viewer) -> access::Item {
        access::Item::owned(v, ItemKind::Deal, self.owner_id, self.co_owner_id, self.department_id)
    }
    pub fn can(&self, v: &Viewer, action: Action) -> bool {
        access::can(v, action, &access::Object::Item(self.access_item(v)))
    }
}

/// What the board shows: the department's stages, each with its cards.
pub struct Board {
    pub department: i64,
    pub departments: Vec<(i64, String)>,
    pub dicts: Dicts,
    pub cards: Vec<Card>,
    /// More active deals than `LIMIT`.
    pub more: bool,
    pub names: std::collections::HashMap<i64, String>,
    pub filter: Filter,
}

/// `GET /deals/board?department=…&owner=…`.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    QueryString(f): QueryString<Filter>,
) -> AppResult<Response> {
    if !access::reads_crm(&viewer, ItemKind::Deal) {
        return Err(AppError::Forbidden);
    }
    let all = crate::users::repo::departments(&state.db).await?;
    let departments: Vec<(i64, String)> = all
        .into_iter()
        .filter(|d| viewer.works_in(d.id) || access::crm_sees_all_departments(&viewer, ItemKind::Deal))
        .map(|d| (d.id, d.name))
        .collect();
    let department = match f.department.parse::<i64>() {
        Ok(d) if departments.iter().any(|(id, _)| *id == d) => d,
        Ok(_) => return Err(AppError::NotFound),
        Err(_) => match viewer.department_id.filter(|d| departments.iter().any(|(id, _)| id == d)) {
            Some(d) => d,
            // Without a department of their own (a chief): the first department with deals.
            None => {
                let with_deals: Option<i64> = state
                    .db
                    .scalar(
                        Query::select()
                            .column("department_id")
                            .from("deals")
                            .order_by("department_id", Order::Asc)
                            .limit(1),
                    )
                    .await?;
                with_deals
                    .filter(|d| departments.iter().any(|(id, _)| id == d))
                    .or_else(|| departments.first().map(|(id, _)| *id))
                    .ok_or(AppError::NotFound)?
            }
        },
    };
    let filter = Filter { department: department.to_string(), page: None, ..f };
    let mut q = Query::select();
    q.columns([
        "id",
        "name",
        "stage_id",
        "next_step",
        "next_step_date",
        "owner_id",
        "co_owner_id",
        "department_id",
        "amount_cents",
        "important",
        "is_new",
    ])
    .from("deals");
    let mut q = list::filtered(&state.db, &viewer, &deal::SPEC, &filter, q).await?;
    q.and_where(Expr::col(("deals", "active")).eq(true)).order_by(("deals", "id"), Order::Desc).limit(LIMIT + 1);
    let mut cards: Vec<Card> = state.db.fetch_all(&q).await?;
    let more = cards.len() as u64 > LIMIT;
    cards.truncate(LIMIT as usize);
    let mut people: Vec<i64> = cards.iter().filter_map(|c| c.owner_id).collect();
    people.sort_unstable();
    people.dedup();
    let names = crate::users::repo::names(&state.db, &people).await?;
    let board =
        Board { department, departments, dicts: Dicts::load(&state.db, department).await?, cards, more, names, filter };
    if hx.0 {
        return Ok(views::crm::board(&viewer, &board).into_response());
    }
    let cx = web::page_cx(&state, &viewer, Nav::Crm(ItemKind::Deal), hx).await?;
    Ok(views::crm::board_page(&cx, &board).into_response())
}

/// A card's move: `stage` from its ◀ / ▶ buttons, `to` set by a drag and drop.
#[derive(Deserialize)]
pub struct StageForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    to: String,
}

/// `POST /deals/:id/stage`: moves a deal to another stage of its department.
#[handler]
pub async fn set_stage(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<StageForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Deal, id, Action::ChangeStage).await?;
    let spec = &deal::SPEC;
    let before = repo::get(&state.db, spec, id).await?.ok_or(AppError::NotFound)?;
    let dicts = Dicts::load(&state.db, before.department_id).await?;
    let wanted = if f.stage.trim().is_empty() { &f.to } else { &f.stage };
    let stage = wanted
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|s| dicts.stages.iter().any(|x| x.id == *s))
        .ok_or_else(|| AppError::BadRequest("Choose one of the department's stages.".into()))?;
    if before.get(spec, "stage_id").int() != Some(stage) {
        let mut after = before.clone();
        after.set(spec, "stage_id", Val::Int(stage));
        let who = deal::Save {
            user_id: viewer.id,
            username: &viewer.username,
            today: crate::time::today(),
            now: crate::db::now(),
        };
        let mut errs = crate::error::FormErrors::default();
        deal::apply(&dicts, &who, Some(&before), &mut after, &mut errs);
        if let Some((_, msg)) = errs.0.first() {
            return Err(AppError::Conflict(format!("The deal cannot move: {msg}")));
        }
        let names = super::choices::names(&state.db, spec, &[&before, &after]).await?;
        let mut tx = state.db.begin().await?;
        repo::update(&mut tx, spec, &before, &after, &Actor::from(&viewer), &names).await?;
        tx.commit().await?;
        items::publish_changed(&state.bus, &it);
    }
    if hx.0 {
        // The board moves the card itself; its live region confirms from the server.
        return Ok(Response::builder().status(poem::http::StatusCode::NO_CONTENT).finish());
    }
    Ok(htmx::redirect(hx, &format!("/deals/board?department={}", before.department_id)))
}
