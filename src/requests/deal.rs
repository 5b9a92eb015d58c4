//! "Create deal" (§6.8): the deal a processed request leads to, made in the request's transaction:
//! the request's subject, ticket, owner and co-owner; the first step on the next working day; the
//! owner's department's default stage; its default currency (else the state currency); the contact
//! person with their company, or the lead, with their country and city; the request's files (the same
//! stored files, new links); one line item per product. A deal that already exists for the request
//! and its ticket is reused.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Order, Query};

use super::kind::{self, int, text};
use crate::crm::record::Val;
use crate::crm::repo::{self, Names, Record};
use crate::db::Tx;
use crate::history::Actor;

/// The next step of a deal made from a request (the original's `FIRST_STEP`).
pub const FIRST_STEP: &str = "Establish the first contact with the client.";

/// §6.7: the extra validation of "Create deal": the messages, by field.
pub async fn check(tx: &mut Tx, r: &Record) -> Result<Vec<(&'static str, String)>, sqlx::Error> {
    let mut out = Vec::new();
    let global: Option<bool> = tx
        .scalar(
            Query::select().column("works_globally").from("departments").and_where(Expr::col("id").eq(r.department_id)),
        )
        .await?;
    if global == Some(true) && int(r, "country_id").is_none() {
        out.push(("country_id", "A country must be specified.".to_string()));
    }
    if kind::products(r).is_empty() {
        let any: Option<i64> = tx
            .scalar(
                Query::select()
                    .column("id")
                    .from("products")
                    .and_where(Expr::col("department_id").eq(r.department_id))
                    .limit(1),
            )
            .await?;
        if any.is_some() {
            out.push(("products", "Specify products: this department has products.".to_string()));
        }
    }
    // Form-level messages: a checkbox shows none of its own.
    if kind::flag(r, "duplicate") {
        out.push(("_form", "A duplicate request never gets a deal.".to_string()));
    }
    if kind::flag(r, "is_case") {
        out.push(("_form", "A case (a request without payment) never gets a deal.".to_string()));
    }
    Ok(out)
}

/// The deal of request `r` (processed, with owner): the existing one with its id and ticket, or a
/// new one. Returns (deal id, made now).
/// `viewer_department`: the department of who makes it (its default currency, §6.8).
pub async fn get_or_create(
    tx: &mut Tx,
    r: &Record,
    actor: &Actor,
    by: i64,
    viewer_department: Option<i64>,
    today: NaiveDate,
) -> Result<(i64, bool), sqlx::Error> {
    let existing: Option<i64> = tx
        .scalar(
            Query::select()
                .column("id")
                .from("deals")
                .and_where(Expr::col("request_id").eq(r.id))
                .and_where(Expr::col("ticket").eq(text(r, "ticket")))
                .order_by("id", Order::Asc)
                .limit(1),
        )
        .await?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let spec = &crate::crm::deal::SPEC;
    // The deal goes to its owner's department (a request of another department's operator may be
    // given to a manager elsewhere); a request without an owner keeps its own.
    let owner_department: Option<i64> = match r.owner_id {
        Some(o) => {
            nullable(tx, Query::select().column("department_id").from("users").and_where(Expr::col("id").eq(o))).await?
        }
        None => None,
    };
    let department = owner_department.unwrap_or(r.department_id);
    let stage: Option<(i64, String)> = tx
        .fetch_optional(
            Query::select()
                .columns(["id", "name"])
                .from("deal_stages")
                .and_where(Expr::col("department_id").eq(department))
                .and_where(Expr::col("is_default").eq(true)),
        )
        .await?;
    let currency: Option<i64> = match viewer_department {
        Some(d) => {
            nullable(
                tx,
                Query::select().column("default_currency_id").from("departments").and_where(Expr::col("id").eq(d)),
            )
            .await?
        }
        None => None,
    };
    let currency = match currency {
        Some(c) => Some(c),
        None => {
            tx.scalar(
                Query::select().column("id").from("currencies").and_where(Expr::col("is_state_currency").eq(true)),
            )
            .await?
        }
    };
    let (contact, lead) = (int(r, "contact_id"), int(r, "lead_id"));
    let mut company = None;
    let mut place: (Option<i64>, Option<i64>) = (None, None);
    if let Some(c) = contact {
        company = nullable(tx, Query::select().column("company_id").from("contacts").and_where(Expr::col("id").eq(c)))
            .await?;
        if let Some(co) = company {
            place = tx
                .fetch_optional(
                    Query::select()
                        .columns(["country_id", "city_id"])
                        .from("companies")
                        .and_where(Expr::col("id").eq(co)),
                )
                .await?
                .unwrap_or_default();
        }
    } else if let Some(l) = lead {
        place = tx
            .fetch_optional(
                Query::select().columns(["country_id", "city_id"]).from("leads").and_where(Expr::col("id").eq(l)),
            )
            .await?
            .unwrap_or_default();
    }
    let day = today.format("%Y-%m-%d");
    let mut d = Record::blank(spec, department, r.owner_id);
    let set = |d: &mut Record, col: &str, v: Val| d.set(spec, col, v);
    set(&mut d, "name", Val::Text(text(r, "request_for").to_string()));
    set(&mut d, "next_step", Val::Text(FIRST_STEP.into()));
    set(&mut d, "next_step_date", Val::Date(crate::tasks::model::next_working_day(today)));
    set(&mut d, "stage_id", stage.as_ref().map(|s| Val::Int(s.0)).unwrap_or(Val::Null));
    set(&mut d, "currency_id", currency.map(Val::Int).unwrap_or(Val::Null));
    set(&mut d, "description", Val::Text(text(r, "remark").to_string()));
    set(&mut d, "ticket", Val::Text(text(r, "ticket").to_string()));
    set(&mut d, "co_owner_id", int(r, "co_owner_id").map(Val::Int).unwrap_or(Val::Null));
    set(&mut d, "contact_id", contact.map(Val::Int).unwrap_or(Val::Null));
    set(&mut d, "company_id", company.map(Val::Int).unwrap_or(Val::Null));
    set(&mut d, "lead_id", if contact.is_none() { lead.map(Val::Int).unwrap_or(Val::Null) } else { Val::Null });
    set(&mut d, "country_id", place.0.map(Val::Int).unwrap_or(Val::Null));
    set(&mut d, "city_id", place.1.map(Val::Int).unwrap_or(Val::Null));
    if let Some((_, name)) = &stage {
        set(&mut d, "stages_dates", Val::Text(format!("{day} - {name}")));
    }
    set(&mut d, "workflow", Val::Text(format!("{day} - Request")));
    let extra: Vec<(&'static str, sea_query::SimpleExpr)> =
        vec![("request_id", r.id.into()), ("lead_source_id", int(r, "lead_source_id").into())];
    let names = Names::default();
    let id = repo::insert(tx, spec, &d, &extra, actor, &names).await?;
    // The request's files: new links to the same stored files.
    let files: Vec<i64> = tx
        .fetch_all::<(i64,)>(
            Query::select()
                .column("id")
                .from("attachments")
                .and_where(Expr::col("object_type").eq("request"))
                .and_where(Expr::col("object_id").eq(r.id)),
        )
        .await?
        .into_iter()
        .map(|(a,)| a)
        .collect();
    crate::files::link(tx, &files, ("request", r.id), ("deal", id), by).await?;
    // The letters of the request's ticket that belong to no deal yet (§6.8).
    let ticket = text(r, "ticket");
    if !ticket.is_empty() {
        tx.execute(
            Query::update()
                .table("crm_emails")
                .value("deal_id", id)
                .and_where(Expr::col("ticket").eq(ticket))
                .and_where(Expr::col("deal_id").is_null()),
        )
        .await?;
    }
    // One line item per product.
    let products = kind::products(r);
    if !products.is_empty() {
        let mut q = Query::insert();
        q.into_table("outputs").columns(["deal_id", "product_id", "quantity", "created_at", "updated_at"]);
        for p in products {
            q.values_panic([id.into(), p.into(), 1.into(), crate::db::now().into(), crate::db::now().into()]);
        }
        tx.execute(&q).await?;
    }
    Ok((id, true))
}

/// A nullable integer column of at most one row.
async fn nullable(tx: &mut Tx, q: &mut sea_query::SelectStatement) -> Result<Option<i64>, sqlx::Error> {
    Ok(tx.scalar::<Option<i64>>(&*q).await?.flatten())
}
