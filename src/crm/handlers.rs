//! One set of handlers for every CRM kind with a field list: the list, its total, the page, the new
//! and edit forms and their saves. The kind comes from the path's first segment (`/companies/…`);
//! chat, files, reminders, history and delete are the shared item routes.

use poem::web::{Data, Path};
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response, handler};

use super::fields::{Input, RefTo};
use super::form::{self, Raw};
use super::list::{self, Filter};
use super::repo::{self, Record, Spec};
use crate::access::{self, Action, Item, ItemKind, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form, Query};

/// The field list of a CRM kind, if it has one.
pub fn spec(kind: ItemKind) -> Option<&'static Spec> {
    match kind {
        ItemKind::Company => Some(&super::company::SPEC),
        ItemKind::Contact => Some(&super::person::CONTACT),
        ItemKind::Lead => Some(&super::person::LEAD),
        ItemKind::Deal => Some(&super::deal::SPEC),
        ItemKind::Payment => Some(&super::money::PAYMENT),
        ItemKind::Product => Some(&super::money::PRODUCT),
        ItemKind::Request => Some(&crate::requests::kind::SPEC),
        ItemKind::Email => Some(&crate::emails::kind::SPEC),
        _ => None,
    }
}

/// The CRM kind a route is about, from the path's first segment.
#[derive(Clone, Copy)]
pub struct CrmKind(pub &'static Spec);

impl<'a> FromRequest<'a> for CrmKind {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let segment = req.uri().path().split('/').nth(1).unwrap_or_default();
        let spec = crate::kinds::by_path_segment(segment).and_then(spec).ok_or(AppError::NotFound)?;
        Ok(CrmKind(spec))
    }
}

fn nav(spec: &Spec) -> Nav {
    Nav::Crm(spec.kind)
}

/// The departments `v` may put a new row in: their own, or (administrators and chiefs without
/// one) every department.
pub(crate) async fn departments_for_new(state: &AppState, v: &Viewer) -> AppResult<Vec<(i64, String)>> {
    let all = crate::users::repo::departments(&state.db).await?;
    Ok(all
        .into_iter()
        .filter(|d| {
            v.works_in(d.id) || (v.departments.is_empty() && access::crm_sees_all_departments(v, ItemKind::Company))
        })
        .map(|d| (d.id, d.name))
        .collect())
}

/// A new row of the kind in `department`, as the access rules see it.
pub(crate) fn prospective(kind: ItemKind, department: i64) -> Object<'static> {
    Object::Item(prospective_item(kind, department))
}

/// A new row of the kind in `department`, made by the viewer (its owner).
pub(crate) fn prospective_item(kind: ItemKind, department: i64) -> Item {
    Item {
        kind,
        rel: access::Rel::of(&[crate::participants::PRole::Owner]),
        department: Some(department),
        draft: false,
        locked: false,
        team: false,
        subtask: false,
        related: false,
    }
}

/// The chosen object of each object-reference field in `raw`, if `v` may see it, or if it is what
/// the stored row already points at (`kept`: an accountant keeps a payment's deal without seeing
/// deals): the only choice `form::parse` then accepts for that field (and the name its picker shows).
async fn object_options(
    state: &AppState,
    v: &Viewer,
    spec: &Spec,
    raw: &Raw,
    kept: Option<&Record>,
    options: &mut form::Options,
) -> AppResult<()> {
    for f in spec.fields {
        if let Input::Ref(RefTo::Object(kind)) = f.input {
            let mut chosen = Vec::new();
            let stored = kept.and_then(|r| r.get(spec, f.col).int());
            if let Ok(id) = raw.get(f.col).trim().parse::<i64>() {
                if stored == Some(id) {
                    chosen.push((id, items::title(&state.db, kind, id).await?.unwrap_or_default()));
                    options.insert(f.col, chosen);
                    continue;
                }
                match items::load(&state.db, v, kind, id, Action::View).await {
                    Ok(it) => chosen.push((id, it.title)),
                    Err(AppError::NotFound | AppError::Forbidden) => {}
                    Err(e) => return Err(e),
                }
            }
            options.insert(f.col, chosen);
        }
        if f.input == Input::Ref(RefTo::User) {
            let id = raw.get(f.col).trim().parse::<i64>().ok();
            let active = crate::users::people::active_label(&state.db, &state.people, id).await?;
            options.insert(f.col, active.into_iter().collect());
        }
    }
    Ok(())
}

/// Runs the kind's save rules (`Spec::rules`) over `after`.
async fn rules(
    state: &AppState,
    v: &Viewer,
    spec: &Spec,
    before: Option<&Record>,
    after: &mut Record,
) -> AppResult<Result<(), FormErrors>> {
    let Some(apply) = spec.rules else { return Ok(Ok(())) };
    let dicts = super::deal::Dicts::load(&state.db, after.department_id).await?;
    let who =
        super::deal::Save { user_id: v.id, username: &v.username, today: crate::time::today(), now: crate::db::now() };
    let mut errs = FormErrors::default();
    apply(&dicts, &who, before, after, &mut errs);
    Ok(errs.finish(()))
}

/// A row whose department and owner come from another (`Spec::inherit`) takes them now. The
/// viewer must be allowed to make or keep such a row there, else the field gets a message.
async fn inherit(
    state: &AppState,
    v: &Viewer,
    spec: &Spec,
    r: &mut Record,
    action: Action,
) -> AppResult<Result<(), FormErrors>> {
    let Some(col) = spec.inherit else { return Ok(Ok(())) };
    let Some(Input::Ref(RefTo::Object(kind))) = spec.field(col).map(|f| f.input) else { return Ok(Ok(())) };
    let Some(id) = r.get(spec, col).int() else { return Ok(Ok(())) };
    let parent = items::load_any(&state.db, kind, id).await?;
    let Some(department) = parent.department else { return Ok(Ok(())) };
    // The new row relates to the viewer as its parent does (a payment: the deal's owner or co-owner).
    let item = Item { rel: parent.parts.relation(v.id), ..prospective_item(spec.kind, department) };
    if !access::can(v, action, &Object::Item(item)) {
        let mut errs = FormErrors::default();
        let verb = if action == Action::Create { "add" } else { "move" };
        errs.add(col, format!("You may not {verb} {} there.", spec.kind.info().plural.to_lowercase()));
        return Ok(Err(errs));
    }
    r.department_id = department;
    r.owner_id = parent.parts.first(crate::participants::PRole::Owner);
    Ok(Ok(()))
}

/// Being a chief is `v`'s only right to edit `it` (without that role the rules would say no).
pub fn chief_only(v: &Viewer, it: &items::ItemRef) -> bool {
    let mut roles = v.roles;
    roles.remove(access::Role::Chief);
    let without = Viewer { roles, ..v.clone() };
    v.is(access::Role::Chief) && !it.can(&without, Action::Edit)
}

/// `GET /<kind>/pick?q=…`: what an object picker offers as the user types (rows the viewer may see,
/// at most 20).
#[handler]
pub async fn pick(
    state: Data<&AppState>,
    viewer: Viewer,
    kind: CrmKind,
    Query(f): Query<Filter>,
) -> AppResult<Response> {
    let spec = kind.0;
    // A picker offers closed deals too (a payment may be for one); the list's default is active ones.
    let deal = super::deal_list::DealFilter { active: "all".into(), ..Default::default() };
    let filter = Filter { q: f.q.chars().take(100).collect(), owner: "all".into(), deal, ..Filter::default() };
    let page = list::list(&state.db, &viewer, spec, &filter).await?;
    let found: Vec<(i64, String, String)> =
        page.items.iter().take(20).map(|r| (r.id, spec.title_of(r), r.get(spec, "email").text().to_string())).collect();
    Ok(views::picker::object_options(&found, &spec.kind.label().to_lowercase()).into_response())
}

/// The list's department filter choices (empty: the viewer has one department, no filter).
pub async fn department_filter(state: &AppState, v: &Viewer, spec: &Spec) -> AppResult<Vec<(i64, String)>> {
    if access::crm_sees_all_departments(v, spec.kind) || v.departments.len() > 1 {
        departments_for_new(state, v).await
    } else {
        Ok(Vec::new())
    }
}

/// Whether the list offers "New …": the viewer may create the kind in some department.
pub async fn can_create(state: &AppState, v: &Viewer, spec: &Spec) -> AppResult<bool> {
    Ok(departments_for_new(state, v)
        .await?
        .iter()
        .any(|(d, _)| access::can(v, Action::Create, &prospective(spec.kind, *d))))
}

/// `GET /<kind>`.
#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Query(f): Query<Filter>,
) -> AppResult<Response> {
    let spec = kind.0;
    if spec.kind == ItemKind::Deal {
        return super::deal_list::index(&state, &viewer, hx, &f).await;
    }
    if spec.kind == ItemKind::Payment {
        return super::payments::index(&state, &viewer, hx, &f).await;
    }
    let page = list::list(&state.db, &viewer, spec, &f).await?;
    let names = super::choices::names(&state.db, spec, &page.items.iter().collect::<Vec<_>>()).await?;
    let departments = department_filter(&state, &viewer, spec).await?;
    let can_create = can_create(&state, &viewer, spec).await?;
    let select = spec.kind == ItemKind::Company && access::may_transfer_owners(&viewer);
    let tags = match spec.field(super::many::TAGS.col) {
        Some(_) => super::many::filter_tags(&state.db, &viewer, spec.kind).await?,
        None => Vec::new(),
    };
    let elsewhere = list::elsewhere(&state.db, &viewer, spec, &f).await?;
    let rows = views::crm::Rows {
        spec,
        page: &page,
        names: &names,
        filter: &f,
        departments: &departments,
        can_create,
        select,
        tags: &tags,
        warn_filters: list::words_with_filters(&viewer, spec, &f),
        elsewhere: &elsewhere,
        more_filters: None,
        extra: None,
        summary: None,
    };
    if hx.0 {
        return Ok(views::crm::list(&rows).into_response());
    }
    let cx = web::page_cx(&state, &viewer, nav(spec), hx).await?;
    Ok(views::crm::index(&cx, &rows).into_response())
}

/// `GET /<kind>/total?<filters>`.
#[handler]
pub async fn total(
    state: Data<&AppState>,
    viewer: Viewer,
    kind: CrmKind,
    Query(f): Query<Filter>,
) -> AppResult<maud::Markup> {
    let spec = kind.0;
    let key = format!("{}{}", spec.kind.slug(), f.query(1));
    let n = state.totals.get(viewer.id, key, list::total(&state.db, &viewer, spec, &f)).await?;
    let noun = views::ui::Noun(spec.kind.info().label, spec.kind.info().plural);
    Ok(views::ui::page_info(crate::paging::page_number(f.page), Some(n), noun))
}

/// `GET /<kind>/:id`.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Path(id): Path<i64>,
    web::Query(opts): web::Query<ShowOptions>,
) -> AppResult<Response> {
    let spec = kind.0;
    let it = items::load(&state.db, &viewer, spec.kind, id, Action::View).await?;
    let r = repo::get(&state.db, spec, id).await?.ok_or(AppError::NotFound)?;
    let names = super::choices::names(&state.db, spec, &[&r]).await?;
    let department = crate::users::repo::department(&state.db, r.department_id).await?.name;
    let panels = items::panels(&state, &viewer, &it).await?;
    let cx = web::page_cx(&state, &viewer, nav(spec), hx).await?;
    let can_add_deal = access::can(&viewer, Action::Create, &prospective(ItemKind::Deal, r.department_id));
    // A deal's line items and payments (their own section, `crm::lines`).
    let lines = match spec.kind {
        ItemKind::Deal => {
            let lines = views::crm_lines::section(&viewer, &super::lines::for_page(&state.db, &viewer, &it, &r).await?);
            let quality = super::quality::for_page(&state.db, &viewer, &it).await?;
            let quality = quality.map(|q| views::crm_quality::section(&viewer, &q));
            Some(maud::html! { (lines) (quality.unwrap_or_default()) })
        }
        _ => None,
    };
    let extra = match spec.kind {
        ItemKind::Deal => Some(views::deals::work(&super::deal_work::work(&state.db, &viewer, id).await?)),
        _ => None,
    };
    let mut show_images = false;
    let top = match spec.kind {
        ItemKind::Request => Some(crate::requests::page::panel(&state, &viewer, &it, &r).await?),
        ItemKind::Email => {
            let (panel, images) = crate::emails::page::panel(&state, &viewer, &it, opts.images == "1").await?;
            show_images = images;
            Some(panel)
        }
        _ => None,
    };
    let letters = crate::emails::letters::block(&state.db, &viewer, spec.kind, id).await?;
    let page = views::crm::Page {
        spec,
        item: &it,
        record: &r,
        names: &names,
        department: &department,
        can_add_deal,
        lines,
        extra,
        top,
        hidden: if spec.kind == ItemKind::Email { &["content", "from_field", "to", "cc", "bcc"] } else { &[] },
        letters,
        can_write_email: crate::emails::letters::column(spec.kind).is_some()
            && access::can(&viewer, Action::Create, &prospective(ItemKind::Email, r.department_id)),
        can_import_email: matches!(spec.kind, ItemKind::Deal | ItemKind::Request)
            && access::imports_mail(&viewer)
            && it.can(&viewer, Action::Edit),
    };
    let mut resp = views::crm::show(&cx, &page, &panels).into_response();
    if show_images {
        // Remote images of this email were asked for: this page (a full load) allows them.
        resp.headers_mut().insert(
            "Content-Security-Policy",
            poem::http::HeaderValue::from_static(crate::emails::page::CSP_WITH_IMAGES),
        );
    }
    Ok(resp)
}

/// A page's options: `images=1` shows an email's remote images (§7.1, tracking pixels).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ShowOptions {
    pub images: String,
}

/// The new-row form's query: which department (when the viewer may choose).
#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    pub department: String,
    /// A new deal started from a company, contact person or lead page.
    #[serde(default)]
    pub company_id: String,
    #[serde(default)]
    pub contact_id: String,
    #[serde(default)]
    pub lead_id: String,
    /// A new payment started from a deal's page.
    #[serde(default)]
    pub deal_id: String,
}

/// A form as it is shown: new or an edit, in which department, what was typed, the stored row (an
/// edit), the messages.
pub(crate) struct Shown<'a> {
    pub(crate) mode: views::crm::Mode,
    pub(crate) department: i64,
    pub(crate) raw: &'a Raw,
    pub(crate) kept: Option<&'a Record>,
    pub(crate) errs: &'a FormErrors,
}

pub(crate) async fn render_form(
    state: &AppState,
    viewer: &Viewer,
    hx: HxRequest,
    spec: &'static Spec,
    shown: Shown<'_>,
) -> AppResult<maud::Markup> {
    let Shown { mode, department, raw, kept, errs } = shown;
    let mut options = form::options(&state.db, spec, department).await?;
    object_options(state, viewer, spec, raw, kept, &mut options).await?;
    let (departments, owner) = match (mode, kept) {
        (views::crm::Mode::Edit(_), Some(k)) if super::owner::applies(spec) => (
            creatable_departments(state, viewer, spec.kind).await?,
            super::owner::field(state, viewer, spec, raw, k).await?,
        ),
        (views::crm::Mode::New, _) => (departments_for_new(state, viewer).await?, None),
        _ => (Vec::new(), None),
    };
    let cx = web::page_cx(state, viewer, nav(spec), hx).await?;
    let only = match mode {
        views::crm::Mode::Edit(id) => match spec.chief_fields {
            Some(open) if chief_only(viewer, &items::load_any(&state.db, spec.kind, id).await?) => Some(open),
            _ => None,
        },
        views::crm::Mode::New => None,
    };
    let f = views::crm::FormPage {
        spec,
        mode,
        raw,
        errs,
        options: &options,
        departments: &departments,
        department,
        only,
        owner: owner.as_ref(),
    };
    Ok(views::crm::form(&cx, &f))
}

/// The departments `v` may put a row of `kind` in (a new one, or one given a new owner there).
pub async fn creatable_departments(state: &AppState, v: &Viewer, kind: ItemKind) -> AppResult<Vec<(i64, String)>> {
    let all = departments_for_new(state, v).await?;
    Ok(all.into_iter().filter(|(d, _)| access::can(v, Action::Create, &prospective(kind, *d))).collect())
}

/// The department a new row goes in: the one asked for if the viewer may create there, else their
/// first where they may.
pub(crate) async fn new_department(state: &AppState, v: &Viewer, spec: &Spec, asked: &str) -> AppResult<i64> {
    let allowed: Vec<i64> = creatable_departments(state, v, spec.kind).await?.into_iter().map(|(d, _)| d).collect();
    match asked.parse::<i64>() {
        Ok(d) if allowed.contains(&d) => Ok(d),
        Ok(_) => Err(AppError::Forbidden),
        Err(_) => allowed.first().copied().ok_or(AppError::Forbidden),
    }
}

/// `GET /<kind>/new`.
#[handler]
pub async fn new(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let spec = kind.0;
    let department = new_department(&state, &viewer, spec, &q.department).await?;
    let blank = Record::blank(spec, department, Some(viewer.id));
    let mut raw = Raw::of(spec, &blank);
    for (col, value) in
        [("company_id", &q.company_id), ("contact_id", &q.contact_id), ("lead_id", &q.lead_id), ("deal_id", &q.deal_id)]
    {
        if spec.field(col).is_some() && !value.is_empty() {
            raw.0.insert(col.to_string(), value.clone());
        }
    }
    let shown = Shown { mode: views::crm::Mode::New, department, raw: &raw, kept: None, errs: &FormErrors::default() };
    Ok(render_form(&state, &viewer, hx, spec, shown).await?.into_response())
}

/// A form's values over `base` (a blank row, or the stored one: `before`), checked the same way for
/// a new row and an edit: references against what the viewer may choose, the department and owner
/// a reference gives (`Spec::inherit`), the kind's save rules. The row to write, or the messages.
pub(crate) async fn checked(
    state: &AppState,
    v: &Viewer,
    spec: &Spec,
    raw: &Raw,
    base: &Record,
    before: Option<&Record>,
) -> AppResult<Result<Record, FormErrors>> {
    let mut options = form::options(&state.db, spec, base.department_id).await?;
    object_options(state, v, spec, raw, before, &mut options).await?;
    let mut r = match form::parse(spec, raw, base, &options) {
        Ok(r) => r,
        Err(mut errs) => {
            // A bare honorific is said with the other messages, not after they are mended.
            if spec.field("first_name").is_some()
                && errs.get("first_name").is_none()
                && let Err(m) = crate::requests::names::check_first_name(raw.get("first_name"))
            {
                errs.add("first_name", m);
            }
            return Ok(Err(errs));
        }
    };
    // §6.5: a person's honorific and a whole name typed as the first name.
    if let Err(errs) = super::person::tidy_names(spec, &mut r) {
        return Ok(Err(errs));
    }
    if let Some(b) = before
        && let Err(errs) = super::owner::apply(state, v, spec, raw, b, &mut r).await?
    {
        return Ok(Err(errs));
    }
    let action = if before.is_some() { Action::Edit } else { Action::Create };
    if let Err(errs) = inherit(state, v, spec, &mut r, action).await? {
        return Ok(Err(errs));
    }
    // Tags and industries: the final department's (a contact person's is its company's).
    if let Err(errs) = super::many::check(&state.db, spec, &r).await? {
        return Ok(Err(errs));
    }
    if let Err(errs) = super::many::new_tags_of(spec, raw) {
        return Ok(Err(errs));
    }
    if let Err(errs) = rules(state, v, spec, before, &mut r).await? {
        return Ok(Err(errs));
    }
    // §11.1: not a second row for the same counterparty.
    Ok(super::duplicates::check(&state.db, v, spec, &r, before).await?.map(|()| r))
}

/// `POST /<kind>`.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let spec = kind.0;
    let raw = Raw::from_pairs(pairs);
    let department = new_department(&state, &viewer, spec, raw.get("department_id")).await?;
    let blank = Record::blank(spec, department, Some(viewer.id));
    let record = match checked(&state, &viewer, spec, &raw, &blank, None).await? {
        Ok(r) => r,
        Err(errs) => {
            let page = render_form(
                &state,
                &viewer,
                hx,
                spec,
                Shown { mode: views::crm::Mode::New, department, raw: &raw, kept: None, errs: &errs },
            )
            .await?;
            return Ok(web::invalid(page));
        }
    };
    let actor = Actor::from(&viewer);
    let mut record = record;
    let mut names = super::choices::names(&state.db, spec, &[&record]).await?;
    // The double-submit token of the form (§2.2 `token`): 32 random hex characters.
    let token: String = crate::auth::session::random_token().chars().take(32).collect();
    let extra: Vec<(&'static str, sea_query::SimpleExpr)> =
        if spec.token { vec![("token", token.into())] } else { vec![] };
    let mut tx = state.db.begin().await?;
    let typed = super::many::new_tags_of(spec, &raw).unwrap_or_default();
    super::many::add_new_tags(&mut tx, spec, &typed, &mut record, &mut names, viewer.id).await?;
    let id = match repo::insert(&mut tx, spec, &record, &extra, &actor, &names).await {
        Ok(id) => id,
        Err(e) => {
            drop(tx);
            let errs = super::duplicates::raced(&state.db, &viewer, spec, &record, None, e).await?;
            let shown = Shown { mode: views::crm::Mode::New, department, raw: &raw, kept: None, errs: &errs };
            return Ok(web::invalid(render_form(&state, &viewer, hx, spec, shown).await?));
        }
    };
    tx.commit().await?;
    let it = items::load_any(&state.db, spec.kind, id).await?;
    items::publish_changed(&state.bus, &it);
    Ok(htmx::redirect(hx, &it.url()))
}

/// `GET /<kind>/:id/edit`.
#[handler]
pub async fn edit(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let spec = kind.0;
    items::load(&state.db, &viewer, spec.kind, id, Action::Edit).await?;
    let r = repo::get(&state.db, spec, id).await?.ok_or(AppError::NotFound)?;
    let raw = Raw::of(spec, &r);
    let shown = Shown {
        mode: views::crm::Mode::Edit(id),
        department: r.department_id,
        raw: &raw,
        kept: Some(&r),
        errs: &FormErrors::default(),
    };
    Ok(render_form(&state, &viewer, hx, spec, shown).await?.into_response())
}

/// `POST /<kind>/:id`.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    kind: CrmKind,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let spec = kind.0;
    let it = items::load(&state.db, &viewer, spec.kind, id, Action::Edit).await?;
    let before = repo::get(&state.db, spec, id).await?.ok_or(AppError::NotFound)?;
    let mut raw = Raw::from_pairs(pairs);
    if let Some(open) = spec.chief_fields
        && chief_only(&viewer, &it)
    {
        // The other fields keep their stored values, whatever the form says (and no new tags
        // unless the tags are theirs to change).
        if !open.contains(&"tags") {
            raw.0.remove("tags_new");
        }
        for (f, v) in spec.fields.iter().zip(&before.values) {
            if f.editable && !open.contains(&f.col) {
                raw.0.insert(f.col.to_string(), f.form_value(v));
            }
        }
        raw.0.remove("owner_id");
        raw.0.insert("department_id".into(), before.department_id.to_string());
    }
    let after = match checked(&state, &viewer, spec, &raw, &before, Some(&before)).await? {
        Ok(r) => r,
        Err(errs) => {
            let mode = views::crm::Mode::Edit(id);
            let page = render_form(
                &state,
                &viewer,
                hx,
                spec,
                Shown { mode, department: before.department_id, raw: &raw, kept: Some(&before), errs: &errs },
            )
            .await?;
            return Ok(web::invalid(page));
        }
    };
    let mut names = super::choices::names(&state.db, spec, &[&before, &after]).await?;
    let mut after = after;
    let actor = Actor::from(&viewer);
    let mut tx = state.db.begin().await?;
    let typed = super::many::new_tags_of(spec, &raw).unwrap_or_default();
    super::many::add_new_tags(&mut tx, spec, &typed, &mut after, &mut names, viewer.id).await?;
    let diff = match repo::update(&mut tx, spec, &before, &after, &actor, &names).await {
        Ok(d) => d,
        Err(e) => {
            drop(tx);
            let errs = super::duplicates::raced(&state.db, &viewer, spec, &after, Some(id), e).await?;
            let mode = views::crm::Mode::Edit(id);
            let shown = Shown { mode, department: before.department_id, raw: &raw, kept: Some(&before), errs: &errs };
            return Ok(web::invalid(render_form(&state, &viewer, hx, spec, shown).await?));
        }
    };
    // What the save carries to other rows (a company's contact persons follow its owner, §11.2).
    let moved = match spec.after_save {
        Some(hook) if !diff.is_empty() => hook(&state.db, &mut tx, &before, &after, &actor).await?,
        _ => Vec::new(),
    };
    tx.commit().await?;
    if !diff.is_empty() {
        let me = super::transfer::Moved { kind: spec.kind, id, from: before.department_id, to: after.department_id };
        super::transfer::publish(&state.bus, std::iter::once(&me).chain(&moved));
    }
    Ok(htmx::redirect(hx, &it.url()))
}
