//! §6.3 "Creation": one inquiry from outside becomes a pending request with a new ticket.
//!
//! STUB of the intake helper's branch (req-intake): the signature is the contract's; the body only
//! inserts the request row (ticket, parsed-by-whitespace names, lead source's department, country by
//! exact name). The matching helper's version (req-match: inbound email record, §6.5 names, §6.6
//! cities, §6.4 auto-linking, notifications, live event) replaces this file at merge.

use sea_query::{Expr, ExprTrait, Func, Query};

use crate::app::AppState;
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Default)]
pub struct Submission {
    pub name: String,
    pub email: String,
    pub subject: String,
    pub phone: String,
    pub company: String,
    pub message: String,
    pub website: String,
    /// Posted or geolocated country and city names (may be empty).
    pub country: String,
    pub city: String,
    pub lead_source_id: i64,
}

pub struct Created {
    pub id: i64,
    pub ticket: String,
}

/// Cuts `s` to at most `max` characters (the columns' lengths; the caller validated already).
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub async fn create_incoming(state: &AppState, s: Submission) -> AppResult<Created> {
    let mut tx = state.db.begin().await?;
    let department: Option<i64> = tx
        .scalar(
            Query::select()
                .column("department_id")
                .from("lead_sources")
                .and_where(Expr::col("id").eq(s.lead_source_id)),
        )
        .await?;
    let department = department.ok_or(AppError::NotFound)?;
    let country: Option<i64> = if s.country.trim().is_empty() {
        None
    } else {
        tx.scalar(
            Query::select()
                .column("id")
                .from("countries")
                .and_where(Func::lower(Expr::col("name")).eq(s.country.trim().to_lowercase()))
                .limit(1),
        )
        .await?
    };
    let mut words = s.name.split_whitespace();
    let first = words.next().unwrap_or("").to_string();
    let rest: Vec<&str> = words.collect();
    let (middle, last) = match rest.len() {
        0 => (String::new(), String::new()),
        1 => (String::new(), rest[0].to_string()),
        n => (rest[..n - 1].join(" "), rest[n - 1].to_string()),
    };
    let ticket = crate::crm::deal::new_ticket();
    let now = crate::db::now();
    let id = tx
        .insert_id(
            Query::insert()
                .into_table("requests")
                .columns([
                    "request_for",
                    "first_name",
                    "middle_name",
                    "last_name",
                    "email",
                    "phone",
                    "website",
                    "company_name",
                    "lead_source_id",
                    "receipt_date",
                    "country_id",
                    "city_name",
                    "description",
                    "ticket",
                    "department_id",
                    "created_at",
                    "updated_at",
                ])
                .values_panic([
                    cut(&s.subject, 250).into(),
                    cut(&first, 100).into(),
                    cut(&middle, 100).into(),
                    cut(&last, 100).into(),
                    cut(&s.email, 250).into(),
                    cut(&s.phone, 200).into(),
                    cut(&s.website, 200).into(),
                    cut(&s.company, 200).into(),
                    s.lead_source_id.into(),
                    now.date_naive().into(),
                    country.into(),
                    cut(&s.city, 50).into(),
                    s.message.clone().into(),
                    ticket.clone().into(),
                    department.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col("id"),
        )
        .await?;
    tx.commit().await?;
    // publish: after merge (ItemKind::Request's live event comes with the other helpers' branches).
    Ok(Created { id, ticket })
}
