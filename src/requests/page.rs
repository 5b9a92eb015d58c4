//! Processing a request (§6.7): the new form (also filled from another request: "Copy"), saves,
//! Create deal (§6.8), Close / Activate for cases, and the page's panel with its warnings. One save
//! path for all of them (`save`): the generic CRM checks (`crm::handlers::checked`: fields,
//! references the viewer may choose, owner and department), then the request's rules, then one
//! transaction (matching while pending, the counterparty when it leaves pending, the city, the row
//! with its history, what it carries to linked rows, the deal, the notifications), then the events.

use maud::Markup;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Query};
use serde::Deserialize;

use super::kind::{self, SPEC, flag, int, set_flag, set_int, set_text, text};
use crate::access::{self, Action, ItemKind, Role, Viewer};
use crate::app::AppState;
use crate::crm::form::Raw;
use crate::crm::handlers::{self as crm, Shown};
use crate::crm::record::Val;
use crate::crm::repo::{self, Record};
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items::{self, ItemRef};
use crate::views;
use crate::web::{self, Form};

/// What a save is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    Save,
    /// "Create deal": the request is processed and gets its deal.
    CreateDeal,
    /// A case is closed (processed) or opened again.
    Close,
    Activate,
}

const OWNER_NOTICE: &str = "You received the request";
const CO_OWNER_NOTICE: &str = "You are the co-owner of the request";
const DEAL_OWNER_NOTICE: &str = "You received the deal";
const DEAL_CO_OWNER_NOTICE: &str = "You are the co-owner of the deal";

/// The new form's query: the department, or the request to copy (§6.1).
#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub copy: String,
}

/// The fields "Copy" fills (§6.1; not the ticket, the flags of its processing, the deal or the
/// receipt date).
const COPIED: &[&str] = &[
    "request_for",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "phone",
    "website",
    "lead_source_id",
    "company_name",
    "lead_id",
    "contact_id",
    "company_id",
    "country_id",
    "city_name",
    "description",
    "translation",
    "remark",
    "co_owner_id",
    "verification_required",
    "products",
];

/// A new request in `department`, as the form starts it: received today, pending.
fn blank(department: i64, owner: i64) -> Record {
    let mut r = Record::blank(&SPEC, department, Some(owner));
    r.set(&SPEC, "receipt_date", Val::Date(crate::time::today()));
    r
}

/// `GET /requests/new` (`?copy=<id>`: filled from a request the viewer may see).
#[handler]
pub async fn new(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    web::Query(q): web::Query<NewQuery>,
) -> AppResult<Response> {
    let source = match q.copy.trim().parse::<i64>() {
        Ok(id) => {
            items::load(&state.db, &viewer, ItemKind::Request, id, Action::View).await?;
            Some(kind::get(&state.db, id).await?.ok_or(AppError::NotFound)?)
        }
        Err(_) => None,
    };
    // A copy stays in its department when the viewer may add requests there.
    let asked = match (&source, q.department.is_empty()) {
        (Some(s), true) => s.department_id.to_string(),
        _ => q.department.clone(),
    };
    let department = match crm::new_department(&state, &viewer, &SPEC, &asked).await {
        Err(AppError::Forbidden) if source.is_some() => crm::new_department(&state, &viewer, &SPEC, "").await?,
        other => other?,
    };
    let mut raw = Raw::of(&SPEC, &blank(department, viewer.id));
    if let Some(s) = &source {
        let from = Raw::of(&SPEC, s);
        for col in COPIED {
            raw.0.insert(col.to_string(), from.get(col).to_string());
        }
        if s.department_id != department {
            // Another department's lead source and products are not this one's.
            raw.0.insert("lead_source_id".into(), String::new());
            raw.0.insert("products".into(), String::new());
        }
    }
    let errs = FormErrors::default();
    let shown = Shown { mode: views::crm::Mode::New, department, raw: &raw, kept: None, errs: &errs };
    Ok(crm::render_form(&state, &viewer, hx, &SPEC, shown).await?.into_response())
}

/// `POST /requests`.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    save(&state, &viewer, hx, None, Raw::from_pairs(pairs), Intent::Save).await
}

/// `POST /requests/:id`.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Request, id, Action::Edit).await?;
    let before = kind::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    save(&state, &viewer, hx, Some((it, before)), Raw::from_pairs(pairs), Intent::Save).await
}

/// A button of the page: the stored request saved again with an intent.
async fn act(state: &AppState, viewer: &Viewer, hx: HxRequest, id: i64, intent: Intent) -> AppResult<Response> {
    let it = items::load(&state.db, viewer, ItemKind::Request, id, Action::Edit).await?;
    let before = kind::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    match intent {
        Intent::Close | Intent::Activate if !flag(&before, "is_case") => {
            return Err(AppError::Conflict("Only a case (Case/Incident) is closed and activated.".into()));
        }
        Intent::CreateDeal
            if !access::can(viewer, Action::Create, &crm::prospective(ItemKind::Deal, before.department_id)) =>
        {
            return Err(AppError::Forbidden);
        }
        _ => {}
    }
    let mut raw = Raw::of(&SPEC, &before);
    raw.0.insert("department_id".into(), before.department_id.to_string());
    save(state, viewer, hx, Some((it, before)), raw, intent).await
}

/// `POST /requests/:id/deal`: "Create deal".
#[handler]
pub async fn create_deal(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    act(&state, &viewer, hx, id, Intent::CreateDeal).await
}

/// `POST /requests/:id/close`: a case is processed.
#[handler]
pub async fn close(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    act(&state, &viewer, hx, id, Intent::Close).await
}

/// `POST /requests/:id/activate`: a closed case is pending again.
#[handler]
pub async fn activate(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    act(&state, &viewer, hx, id, Intent::Activate).await
}

async fn contact_company(db: &Db, contact: Option<i64>) -> Result<Option<i64>, sqlx::Error> {
    let Some(c) = contact else { return Ok(None) };
    Ok(db
        .scalar::<Option<i64>>(Query::select().column("company_id").from("contacts").and_where(Expr::col("id").eq(c)))
        .await?
        .flatten())
}

/// The form again with `errs` (422).
async fn invalid(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    before: Option<&Record>,
    department: i64,
    raw: &Raw,
    errs: &FormErrors,
) -> AppResult<Response> {
    let mode = match before {
        Some(b) => views::crm::Mode::Edit(b.id),
        None => views::crm::Mode::New,
    };
    let shown = Shown { mode, department, raw, kept: before, errs };
    Ok(web::invalid(crm::render_form(state, v, hx, &SPEC, shown).await?))
}

/// The one save path (see the module comment).
async fn save(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    stored: Option<(ItemRef, Record)>,
    raw: Raw,
    intent: Intent,
) -> AppResult<Response> {
    let before = stored.as_ref().map(|(_, b)| b);
    let department = match before {
        Some(b) => b.department_id,
        None => crm::new_department(state, v, &SPEC, raw.get("department_id")).await?,
    };
    let base = match before {
        Some(b) => b.clone(),
        None => blank(department, v.id),
    };
    let mut r = match crm::checked(state, v, &SPEC, &raw, &base, before).await? {
        Ok(r) => r,
        Err(errs) => return invalid(state, v, hx, before, department, &raw, &errs).await,
    };
    if before.is_none() {
        set_text(&mut r, "ticket", &crate::crm::deal::new_ticket());
        set_flag(&mut r, "pending", true);
        // §6.7: a manager's own request came through his own contacts.
        set_flag(&mut r, "subsequent", v.is(Role::SalesManager));
    }
    match intent {
        Intent::CreateDeal | Intent::Close => set_flag(&mut r, "pending", false),
        Intent::Activate => set_flag(&mut r, "pending", true),
        Intent::Save => {
            if flag(&r, "duplicate") && before.is_none_or(|b| !flag(b, "duplicate")) {
                set_flag(&mut r, "pending", false);
            }
        }
    }
    let mut errs = FormErrors::default();
    kind::validate(&r, contact_company(&state.db, int(&r, "contact_id")).await?, &mut errs);
    if !errs.is_empty() {
        return invalid(state, v, hx, before, r.department_id, &raw, &errs).await;
    }
    let actor = Actor::from(v);
    let mut tx = state.db.begin().await?;
    if intent == Intent::CreateDeal {
        let problems = super::deal::check(&mut tx, &r).await?;
        if !problems.is_empty() {
            drop(tx);
            let mut errs = FormErrors::default();
            for (col, m) in problems {
                errs.add(col, m);
            }
            return invalid(state, v, hx, before, r.department_id, &raw, &errs).await;
        }
    }
    let changed = |col: &str, r: &Record| before.is_none_or(|b| b.get(&SPEC, col) != r.get(&SPEC, col));
    let (contact_changed, lead_changed) = (changed("contact_id", &r), changed("lead_id", &r));
    copy_from_links(&mut tx, &mut r, contact_changed, lead_changed).await?;
    if flag(&r, "pending") {
        let mut inquiry = kind::to_inquiry(&r);
        super::matching::auto_link(&mut tx, &mut inquiry).await?;
        kind::from_inquiry(&mut r, &inquiry);
        if let Some(c) = int(&r, "contact_id") {
            let company = company_of(&mut tx, c).await?.or(int(&r, "company_id"));
            set_int(&mut r, "company_id", company);
        }
    } else {
        if r.owner_id.is_none() {
            r.owner_id = Some(v.id);
        }
        if int(&r, "contact_id").is_none() && int(&r, "lead_id").is_none() {
            let mut inquiry = kind::to_inquiry(&r);
            super::matching::get_or_create_counterparty(&mut tx, &mut inquiry, &actor).await?;
            kind::from_inquiry(&mut r, &inquiry);
        }
        if int(&r, "company_id").is_none()
            && let Some(c) = int(&r, "contact_id")
        {
            set_int(&mut r, "company_id", company_of(&mut tx, c).await?);
        }
        if let Some(co) = int(&r, "company_id") {
            copy_from_company(&mut tx, &mut r, co).await?;
        }
    }
    // §6.6: a typed city name of the request's country becomes its city.
    if let Some(country) = int(&r, "country_id")
        && (changed("city_name", &r) || changed("country_id", &r))
    {
        let name = text(&r, "city_name").trim().trim_end_matches(['.', ',']).to_string();
        let city = if name.is_empty() { None } else { super::cities::resolve_city(&mut tx, country, &name).await? };
        set_int(&mut r, "city_id", city);
    }
    let mut names = crate::crm::choices::names(&state.db, &SPEC, &[&r]).await?;
    if let Some(b) = before {
        names.0.extend(crate::crm::choices::names(&state.db, &SPEC, &[b]).await?.0);
    }
    let (id, mut moved) = match before {
        None => (repo::insert(&mut tx, &SPEC, &r, &[], &actor, &names).await?, Vec::new()),
        Some(b) => {
            let diff = repo::update(&mut tx, &SPEC, b, &r, &actor, &names).await?;
            let moved =
                if diff.is_empty() { Vec::new() } else { kind::after_save(&state.db, &mut tx, b, &r, &actor).await? };
            (b.id, moved)
        }
    };
    r.id = id;
    let mut notified: Vec<i64> = Vec::new();
    let mut deal_made = None;
    if intent == Intent::CreateDeal && int(&r, "deal_id").is_none() {
        let (deal, made) =
            super::deal::get_or_create(&mut tx, &r, &actor, v.id, v.department_id, crate::time::today()).await?;
        let mut after = r.clone();
        set_int(&mut after, "deal_id", Some(deal));
        let deal_names = crate::crm::choices::names(&state.db, &SPEC, &[&after]).await?;
        repo::update(&mut tx, &SPEC, &r, &after, &actor, &deal_names).await?;
        r = after;
        if made {
            deal_made = Some(deal);
        }
        let d = items::load_tx(&mut tx, ItemKind::Deal, deal).await?;
        notified.extend(notify_owners(&mut tx, state, &d, &r, v.id, DEAL_OWNER_NOTICE, DEAL_CO_OWNER_NOTICE).await?);
    }
    // §4.2: a manager's new request, or a pending request given to someone, is announced to them.
    let owner_changed =
        before.is_some_and(|b| b.owner_id != r.owner_id || int(b, "co_owner_id") != int(&r, "co_owner_id"));
    if (before.is_none() && v.is(Role::SalesManager)) || (flag(&r, "pending") && owner_changed) {
        let it = items::load_tx(&mut tx, ItemKind::Request, id).await?;
        notified.extend(notify_owners(&mut tx, state, &it, &r, v.id, OWNER_NOTICE, CO_OWNER_NOTICE).await?);
    }
    // The owner of a request with a deal changed: the deal's owners hear of it (§4.2).
    if let (Some(b), Some(deal)) = (before, int(&r, "deal_id"))
        && b.owner_id != r.owner_id
        && deal_made.is_none()
        && intent == Intent::Save
    {
        let d = items::load_tx(&mut tx, ItemKind::Deal, deal).await?;
        notified.extend(notify_owners(&mut tx, state, &d, &r, v.id, DEAL_OWNER_NOTICE, DEAL_CO_OWNER_NOTICE).await?);
    }
    tx.commit().await?;
    let it = items::load_any(&state.db, ItemKind::Request, id).await?;
    items::publish_changed(&state.bus, &it);
    if let Some((old, _)) = &stored
        && old.department != it.department
    {
        items::publish_changed(&state.bus, old);
    }
    if let Some(deal) = int(&r, "deal_id").filter(|_| intent == Intent::CreateDeal) {
        let d = items::load_any(&state.db, ItemKind::Deal, deal).await?;
        items::publish_changed(&state.bus, &d);
    }
    moved.dedup_by_key(|m| (m.kind, m.id));
    crate::crm::transfer::publish(&state.bus, &moved);
    notified.sort_unstable();
    notified.dedup();
    items::publish_notices(&state.bus, &notified);
    Ok(htmx::redirect(hx, &it.url()))
}

async fn company_of(tx: &mut Tx, contact: i64) -> Result<Option<i64>, sqlx::Error> {
    Ok(tx
        .scalar::<Option<i64>>(
            Query::select().column("company_id").from("contacts").and_where(Expr::col("id").eq(contact)),
        )
        .await?
        .flatten())
}

/// Fills an empty text field of `r` with `value`.
fn fill(r: &mut Record, col: &str, value: &str) {
    if text(r, col).trim().is_empty() && !value.is_empty() {
        set_text(r, col, value);
    }
}

/// §6.7: choosing a contact person copies their empty names, email and phone, and their company's
/// name, country and website; choosing a lead copies its names, email, phone, country and company
/// name.
async fn copy_from_links(
    tx: &mut Tx,
    r: &mut Record,
    contact_changed: bool,
    lead_changed: bool,
) -> Result<(), sqlx::Error> {
    type Person = (String, String, String, String, Option<i64>);
    if contact_changed && let Some(c) = int(r, "contact_id") {
        let p: Option<Person> = tx
            .fetch_optional(
                Query::select()
                    .columns(["first_name", "last_name", "email", "phone"])
                    .column("company_id")
                    .from("contacts")
                    .and_where(Expr::col("id").eq(c)),
            )
            .await?;
        if let Some((first, last, email, phone, company)) = p {
            fill(r, "first_name", &first);
            fill(r, "last_name", &last);
            fill(r, "email", &email);
            fill(r, "phone", &phone);
            if let Some(co) = company {
                let c: Option<(String, Option<i64>, String)> = tx
                    .fetch_optional(
                        Query::select()
                            .columns(["full_name", "country_id", "website"])
                            .from("companies")
                            .and_where(Expr::col("id").eq(co)),
                    )
                    .await?;
                if let Some((name, country, website)) = c {
                    fill(r, "company_name", &name);
                    fill(r, "website", &website);
                    if int(r, "country_id").is_none() {
                        set_int(r, "country_id", country);
                    }
                }
            }
        }
    } else if lead_changed && let Some(l) = int(r, "lead_id") {
        let p: Option<(String, String, String, String, Option<i64>, String)> = tx
            .fetch_optional(
                Query::select()
                    .columns(["first_name", "last_name", "email", "phone", "country_id", "company_name"])
                    .from("leads")
                    .and_where(Expr::col("id").eq(l)),
            )
            .await?;
        if let Some((first, last, email, phone, country, company)) = p {
            fill(r, "first_name", &first);
            fill(r, "last_name", &last);
            fill(r, "email", &email);
            fill(r, "phone", &phone);
            fill(r, "company_name", &company);
            if int(r, "country_id").is_none() {
                set_int(r, "country_id", country);
            }
        }
    }
    Ok(())
}

/// A processed request takes its company's name, country and city where it has none.
async fn copy_from_company(tx: &mut Tx, r: &mut Record, company: i64) -> Result<(), sqlx::Error> {
    let c: Option<(String, Option<i64>, Option<i64>)> = tx
        .fetch_optional(
            Query::select()
                .columns(["full_name", "country_id", "city_id"])
                .from("companies")
                .and_where(Expr::col("id").eq(company)),
        )
        .await?;
    if let Some((name, country, city)) = c {
        fill(r, "company_name", &name);
        if int(r, "country_id").is_none() {
            set_int(r, "country_id", country);
        }
        if int(r, "city_id").is_none() {
            set_int(r, "city_id", city);
        }
    }
    Ok(())
}

/// Notifies `r`'s owner and co-owner about `item` (a request or its deal), except `actor`.
async fn notify_owners(
    tx: &mut Tx,
    state: &AppState,
    item: &ItemRef,
    r: &Record,
    actor: i64,
    owner_title: &str,
    co_title: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut out = Vec::new();
    let url = item.url();
    for (user, title) in [(r.owner_id, owner_title), (int(r, "co_owner_id"), co_title)] {
        let Some(u) = user.filter(|u| *u != actor && !out.contains(u)) else { continue };
        let n = crate::notifications::Notice {
            user_id: u,
            title,
            body: &item.title,
            url: &url,
            object: Some((item.kind.slug(), item.id)),
        };
        crate::notifications::send(tx, &state.config, &n).await?;
        out.push(u);
    }
    Ok(out)
}

/// The request page's processing panel: its state, warnings (§6.4 "Found the counterparty assigned
/// to …", §6.7 "Specify products", "Country not specified in request") and buttons.
pub async fn panel(state: &AppState, v: &Viewer, it: &ItemRef, r: &Record) -> AppResult<Markup> {
    let mut warnings: Vec<(&'static str, String)> = Vec::new();
    let owners: Vec<Option<i64>> = {
        let mut out = Vec::new();
        for (table, col) in [("contacts", "contact_id"), ("companies", "company_id"), ("leads", "lead_id")] {
            if let Some(id) = int(r, col) {
                let o: Option<Option<i64>> = state
                    .db
                    .scalar::<Option<i64>>(
                        Query::select().column("owner_id").from(table).and_where(Expr::col("id").eq(id)),
                    )
                    .await?;
                out.push(o.flatten());
            }
        }
        out
    };
    if let Some(assigned) = owners.into_iter().flatten().next() {
        let level = match r.owner_id {
            None => Some("info"),
            Some(o) if o != assigned => Some("warning"),
            _ => None,
        };
        if let Some(level) = level {
            let name = crate::users::repo::names(&state.db, &[assigned]).await?.remove(&assigned).unwrap_or_default();
            warnings.push((level, format!("Found the counterparty assigned to {name}")));
        }
    }
    if kind::products(r).is_empty() {
        warnings.push(("warning", "Specify products".into()));
    }
    if !flag(r, "pending") && int(r, "country_id").is_none() {
        let global: Option<bool> = state
            .db
            .scalar(
                Query::select()
                    .column("works_globally")
                    .from("departments")
                    .and_where(Expr::col("id").eq(r.department_id)),
            )
            .await?;
        if global == Some(true) {
            warnings.push(("warning", "Country not specified in request".into()));
        }
    }
    let can_deal = access::can(v, Action::Create, &crm::prospective(ItemKind::Deal, r.department_id));
    let can_copy = crm::can_create(state, v, &SPEC).await?;
    let p = views::requests::Panel {
        id: r.id,
        pending: flag(r, "pending"),
        is_case: flag(r, "is_case"),
        duplicate: flag(r, "duplicate"),
        has_deal: int(r, "deal_id"),
        ticket: text(r, "ticket").to_string(),
        can_edit: it.can(v, Action::Edit),
        can_deal,
        can_copy,
        warnings,
    };
    Ok(views::requests::panel(v, &p))
}
