//! The administrator's "Transfer of a manager" (§11.3) and "Copy department" (§11.4).

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Query};
use serde::Deserialize;

use super::repo;
use crate::access::{self, Action, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::events::DomainEvent;
use crate::history::{self, Actor, Change, Diff};
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form};

#[derive(Deserialize, Default)]
pub struct TransferForm {
    #[serde(default)]
    department_id: String,
}

fn require_admin(v: &Viewer) -> AppResult<()> {
    access::require(v, Action::List, &Object::Users).map_err(|_| AppError::NotFound)?;
    if access::may_transfer_owners(v) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Every department but the user's own: where they may go.
async fn destinations(state: &AppState, user: &super::model::User) -> AppResult<Vec<(String, String)>> {
    Ok(repo::departments(&state.db)
        .await?
        .into_iter()
        .filter(|d| Some(d.id) != user.department_id)
        .map(|d| (d.id.to_string(), d.name))
        .collect())
}

/// `GET /admin/users/:id/transfer`.
#[handler]
pub async fn choose(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    require_admin(&viewer)?;
    let user = repo::get(&state.db, id).await?;
    let departments = destinations(&state, &user).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
    Ok(views::transfer::user_transfer(&cx, &user, &departments, "", &FormErrors::default()).into_response())
}

/// `POST /admin/users/:id/transfer`: the user moves to `department_id` at once; their sales
/// records follow in a background job (`transfer_job`), whose page this answers with.
#[handler]
pub async fn transfer(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<TransferForm>,
) -> AppResult<Response> {
    require_admin(&viewer)?;
    access::require(&viewer, Action::Edit, &Object::User { id })?;
    let user = repo::get(&state.db, id).await?;
    let departments = destinations(&state, &user).await?;
    let chosen = f.department_id.trim();
    let Some((to, name)) =
        departments.iter().find(|(d, _)| d == chosen).and_then(|(d, n)| Some((d.parse::<i64>().ok()?, n.clone())))
    else {
        let mut errs = FormErrors::default();
        errs.add("department_id", "Choose one of the listed departments.");
        let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
        return Ok(web::invalid(views::transfer::user_transfer(&cx, &user, &departments, chosen, &errs)));
    };
    let actor = Actor::from(&viewer);
    let mut tx = state.db.begin().await?;
    if let Some(running) = super::transfer_job::unfinished(&mut tx, id).await? {
        drop(tx);
        let mut errs = FormErrors::default();
        errs.add("_form", format!("A transfer of this user is still running (number {running}); wait until it ends."));
        let cx = web::page_cx(&state, &viewer, Nav::Users, hx).await?;
        return Ok(web::invalid(views::transfer::user_transfer(&cx, &user, &departments, chosen, &errs)));
    }
    let from_name = user.department_name.clone().unwrap_or_default();
    let start = super::transfer_job::Start { user: id, from_name: &from_name, to, to_name: &name, actor: &actor };
    let transfer = super::transfer_job::start(&mut tx, &start).await?;
    // The user works in the new department from now on; the job moves their rows after them.
    tx.execute(Query::update().table("users").value("department_id", to).and_where(Expr::col("id").eq(id))).await?;
    let mut d = Diff::default();
    d.field("Department", &from_name, &name);
    history::record(&mut tx, &actor, "user", id, Change::Update, &format!("Transferred to department {name}"), &d)
        .await?;
    tx.commit().await?;
    state.wake.notify_one();
    state.people.invalidate();
    state.bus.publish(DomainEvent::Changed {
        topic: crate::events::Topic::User,
        id,
        audience: access::audience(&Object::User { id }),
    });
    // The user's open pages reconnect with their new department's scope.
    state.bus.publish(DomainEvent::StreamsReset { user_id: id });
    Ok(htmx::redirect(hx, &format!("/admin/transfers/{transfer}")))
}

/// A department's settings a copy keeps (§11.4).
#[derive(sqlx::FromRow)]
struct Settings {
    name: String,
    default_country_id: Option<i64>,
    default_currency_id: Option<i64>,
    works_globally: bool,
}

/// Dictionaries copied row for row: (table, columns besides `department_id`).
const COPIED: &[(&str, &[&str])] = &[
    (
        "deal_stages",
        &[
            "name",
            "index_number",
            "is_default",
            "second_default",
            "success_stage",
            "conditional_success_stage",
            "goods_shipped",
        ],
    ),
    ("closing_reasons", &["name", "index_number", "success_reason"]),
    ("client_types", &["name", "index_number"]),
    ("industries", &["name", "index_number"]),
    ("product_categories", &["name", "index_number", "description"]),
    ("quality_signals", &["name", "index_number", "weight", "notes"]),
];

#[derive(sqlx::FromRow)]
struct Source {
    name: String,
    index_number: i32,
    email: String,
    form_template: String,
    success_template: String,
}

#[derive(sqlx::FromRow)]
struct Product {
    name: String,
    description: String,
    price_cents: Option<i64>,
    currency_id: Option<i64>,
    on_sale: bool,
    kind: String,
    category: Option<String>,
}

/// A free name "<name> (copy)", "<name> (copy 2)"…
async fn copy_name(tx: &mut crate::db::Tx, name: &str) -> Result<String, sqlx::Error> {
    for n in 1..1000 {
        let candidate = if n == 1 { format!("{name} (copy)") } else { format!("{name} (copy {n})") };
        let taken: Option<i64> = tx
            .scalar(
                Query::select().column("id").from("departments").and_where(Expr::col("name").eq(candidate.as_str())),
            )
            .await?;
        if taken.is_none() {
            return Ok(candidate);
        }
    }
    Ok(format!("{name} (copy {})", crate::auth::session::random_token().chars().take(6).collect::<String>()))
}

/// §11.4: a new department "<name> (copy)" with `id`'s settings, dictionaries and products; its
/// lead sources get new random tokens (the original kept the same ones, so one web form token
/// named two departments). Returns the new id and name.
pub async fn copy_department(tx: &mut crate::db::Tx, id: i64, actor: &Actor) -> AppResult<(i64, String)> {
    let s: Settings = tx
        .fetch_optional(
            Query::select()
                .columns(["name", "default_country_id", "default_currency_id", "works_globally"])
                .from("departments")
                .and_where(Expr::col("id").eq(id)),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let name = copy_name(tx, &s.name).await?;
    let new = tx
        .insert_id(
            Query::insert()
                .into_table("departments")
                .columns(["name", "created_at", "default_country_id", "default_currency_id", "works_globally"])
                .values_panic([
                    name.clone().into(),
                    crate::db::now().into(),
                    s.default_country_id.into(),
                    s.default_currency_id.into(),
                    s.works_globally.into(),
                ])
                .returning_col("id"),
        )
        .await?;
    for (table, cols) in COPIED {
        let mut select = Query::select();
        select
            .expr(Expr::val(new))
            .columns(cols.iter().copied())
            .from(*table)
            .and_where(Expr::col("department_id").eq(id));
        let mut q = Query::insert();
        q.into_table(*table)
            .columns(std::iter::once("department_id").chain(cols.iter().copied()))
            .select_from(select)
            .map_err(|e| AppError::Other(anyhow::anyhow!("copy {table}: {e}")))?;
        tx.execute(&q).await?;
    }
    let sources: Vec<Source> = tx
        .fetch_all(
            Query::select()
                .columns(["name", "index_number", "email", "form_template", "success_template"])
                .from("lead_sources")
                .and_where(Expr::col("department_id").eq(id)),
        )
        .await?;
    if !sources.is_empty() {
        let mut q = Query::insert();
        q.into_table("lead_sources").columns([
            "department_id",
            "name",
            "index_number",
            "token",
            "email",
            "form_template",
            "success_template",
        ]);
        for l in sources {
            q.values_panic([
                new.into(),
                l.name.into(),
                l.index_number.into(),
                crate::migrations::lead_source_token().into(),
                l.email.into(),
                l.form_template.into(),
                l.success_template.into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    copy_products(tx, id, new).await?;
    // The copies are searchable products like any other (§10: name, description).
    crate::crm::search::index_where(tx, crate::access::ItemKind::Product, "department_id", new).await?;
    let mut d = Diff::default();
    d.field("Name", "", &name);
    let summary = format!("Created department {name} as a copy of {}", s.name);
    history::record(tx, actor, "department", new, Change::Create, &summary, &d).await?;
    Ok((new, name))
}

/// The products of `from` into `to`, their categories by name; at most 1,000 rows a statement.
async fn copy_products(tx: &mut crate::db::Tx, from: i64, to: i64) -> Result<(), sqlx::Error> {
    let products: Vec<Product> = tx
        .fetch_all(
            Query::select()
                .columns([
                    ("products", "name"),
                    ("products", "description"),
                    ("products", "price_cents"),
                    ("products", "currency_id"),
                    ("products", "on_sale"),
                    ("products", "kind"),
                ])
                .expr_as(Expr::col(("product_categories", "name")), sea_query::Alias::new("category"))
                .from("products")
                .left_join(
                    "product_categories",
                    Expr::col(("product_categories", "id")).equals(("products", "category_id")),
                )
                .and_where(Expr::col(("products", "department_id")).eq(from))
                .order_by(("products", "id"), sea_query::Order::Asc),
        )
        .await?;
    let categories: Vec<(i64, String)> = tx
        .fetch_all(
            Query::select()
                .columns(["id", "name"])
                .from("product_categories")
                .and_where(Expr::col("department_id").eq(to)),
        )
        .await?;
    let now = crate::db::now();
    for chunk in products.chunks(1000) {
        let mut q = Query::insert();
        q.into_table("products").columns([
            "department_id",
            "name",
            "description",
            "price_cents",
            "currency_id",
            "on_sale",
            "kind",
            "category_id",
            "created_at",
            "updated_at",
        ]);
        for p in chunk {
            let category = p.category.as_ref().and_then(|c| categories.iter().find(|(_, n)| n == c).map(|(id, _)| *id));
            q.values_panic([
                to.into(),
                p.name.clone().into(),
                p.description.clone().into(),
                p.price_cents.into(),
                p.currency_id.into(),
                p.on_sale.into(),
                p.kind.clone().into(),
                category.into(),
                now.into(),
                now.into(),
            ]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// `POST /admin/departments/:id/copy`.
#[handler]
pub async fn copy(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    access::require(&viewer, Action::List, &Object::Departments).map_err(|_| AppError::NotFound)?;
    access::require(&viewer, Action::Create, &Object::Departments)?;
    let mut tx = state.db.begin().await?;
    let (new, name) = copy_department(&mut tx, id, &Actor::from(&viewer)).await?;
    tx.commit().await?;
    let d = repo::department(&state.db, new).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Departments, hx).await?;
    let msg = format!("A new department has been created - {name}. Please rename it.");
    let page = views::departments::show(&cx, &d, &d.name, &FormErrors::default(), Some(&msg));
    Ok(htmx::address(page.into_response(), &format!("/admin/departments/{new}")))
}
