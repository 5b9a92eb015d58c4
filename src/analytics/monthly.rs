//! The monthly automatic Income Summary snapshot (§5.1): one snapshot per sales department
//! (a department with an active sales manager), all owners, in the marketing currency, at 23:00 UTC
//! on the last day of every month.
//!
//! It is one recurring row of `jobs` (dedupe key `income_snapshots`), so it survives restarts and
//! runs on whichever instance claims it under the jobs' lease. A run saves the month of the latest
//! month end that has passed (a run after a stop catches up once, however many month ends were
//! missed, counted as of that month end) and reschedules itself for the next month end. Two runs of
//! one month — a lease that expired while the first still worked, or two instances — add nothing:
//! `income_snapshots` has a unique key on (department, month) and the insert skips a conflict.
//!
//! Every function takes the time (`now`) instead of reading the clock, so tests choose it.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use sea_query::{Expr, ExprTrait, Query};

use super::income;
use super::scope::{Currency, Scope, currency_names};
use super::snapshots::{self, Stored};
use crate::access::Role;
use crate::app::AppState;
use crate::crm::period::Range;
use crate::db::{Db, Tx};
use crate::error::AppResult;
use crate::jobs::{Job, Outcome};

/// The job's kind and dedupe key.
pub const JOB: &str = "income_snapshots";

/// The hour (UTC) of the last day of the month at which the snapshot is taken.
const HOUR: u32 = 23;

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// 23:00 UTC on the last day of the month of `d`.
pub fn month_end(d: NaiveDate) -> DateTime<Utc> {
    let next = first_of_month(d).checked_add_months(Months::new(1)).unwrap_or(d);
    let last = next.pred_opt().unwrap_or(d);
    Utc.from_utc_datetime(&last.and_hms_opt(HOUR, 0, 0).unwrap_or_default())
}

/// The first month end after `now` (the next run).
pub fn next_due(now: DateTime<Utc>) -> DateTime<Utc> {
    let this = month_end(now.date_naive());
    if this > now {
        this
    } else {
        month_end(first_of_month(now.date_naive()).checked_add_months(Months::new(1)).unwrap_or(now.date_naive()))
    }
}

/// The latest month end at or before `now` (the month a run saves).
pub fn last_due(now: DateTime<Utc>) -> DateTime<Utc> {
    let this = month_end(now.date_naive());
    if this <= now { this } else { month_end(first_of_month(now.date_naive()).pred_opt().unwrap_or(now.date_naive())) }
}

/// Makes sure the job exists (one row whatever the number of instances: the dedupe key).
pub async fn schedule(tx: &mut Tx, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    crate::jobs::ensure(tx, JOB, &serde_json::json!({}), next_due(now), JOB, 5).await
}

/// The sales departments: those with an active sales manager.
pub async fn sales_departments(db: &Db) -> AppResult<Vec<i64>> {
    let rows: Vec<(i64,)> = db
        .fetch_all(
            Query::select()
                .distinct()
                .column(("users", "department_id"))
                .from("users")
                .inner_join("user_roles", Expr::col(("user_roles", "user_id")).equals(("users", "id")))
                .and_where(Expr::col(("user_roles", "role")).eq(Role::SalesManager.slug()))
                .and_where(Expr::col(("users", "is_active")).eq(true))
                .and_where(Expr::col(("users", "department_id")).is_not_null())
                .order_by(("users", "department_id"), sea_query::Order::Asc),
        )
        .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

/// Saves the snapshots of the month ending at `due` (counted as of that day); returns how many were
/// new (a department that has its snapshot of the month already is skipped).
pub async fn take(db: &Db, due: DateTime<Utc>) -> AppResult<usize> {
    let today = due.date_naive();
    let month = today.format("%Y-%m").to_string();
    let (marketing, _) = currency_names(db).await?;
    let table =
        Range { from: Some(first_of_month(today)), before: first_of_month(today).checked_add_months(Months::new(1)) };
    let mut saved = 0;
    for department in sales_departments(db).await? {
        let scope = Scope { departments: Some(vec![department]), owner: None, currency: Currency::Marketing, today };
        let data = income::load(db, &scope, table, income::Described::All).await?;
        let stored = Stored {
            departments: scope.departments.clone(),
            owner: None,
            currency: "marketing".into(),
            currency_name: marketing.clone().unwrap_or_default(),
            today,
            income: data,
        };
        if snapshots::insert(db, &stored, None, due, Some(&month)).await?.is_some() {
            saved += 1;
        }
    }
    Ok(saved)
}

/// One run at `now`: the latest passed month end's snapshots, then the next month end. Returns when
/// to run next.
pub async fn run(db: &Db, now: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    let due = last_due(now);
    let saved = take(db, due).await?;
    tracing::info!(month = %due.format("%Y-%m"), saved, "monthly income snapshots");
    Ok(next_due(now))
}

/// The worker's entry (`jobs::worker::dispatch`). A run that keeps failing is moved to the next
/// month end rather than given up: the job is recurring.
pub async fn job(state: &AppState, job: &Job, now: DateTime<Utc>) -> Outcome {
    match run(&state.db, now).await {
        Ok(next) => Outcome::Reschedule(next),
        Err(e) if job.attempts >= job.max_attempts => {
            tracing::error!(error = %e, "monthly income snapshots failed; next try at the next month end");
            Outcome::Reschedule(next_due(now))
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_run_is_at_23_00_on_the_last_day_of_each_month() {
        assert_eq!(next_due(t("2026-12-05T01:00:00Z")), t("2026-12-31T23:00:00Z"));
        assert_eq!(next_due(t("2026-12-31T22:59:59Z")), t("2026-12-31T23:00:00Z"));
        // At or after the time, the next month's.
        assert_eq!(next_due(t("2026-12-31T23:00:00Z")), t("2027-01-31T23:00:00Z"));
        assert_eq!(next_due(t("2027-01-31T23:30:00Z")), t("2027-02-28T23:00:00Z"));
        assert_eq!(next_due(t("2028-02-10T00:00:00Z")), t("2028-02-29T23:00:00Z"), "a leap year");
        assert_eq!(next_due(t("2026-04-30T23:00:01Z")), t("2026-05-31T23:00:00Z"));
    }

    #[test]
    fn a_run_saves_the_latest_month_end_that_has_passed() {
        assert_eq!(last_due(t("2026-12-31T23:00:00Z")), t("2026-12-31T23:00:00Z"));
        assert_eq!(last_due(t("2027-01-01T00:10:00Z")), t("2026-12-31T23:00:00Z"));
        // Down from October to March: one catch-up, for February.
        assert_eq!(last_due(t("2027-03-04T08:00:00Z")), t("2027-02-28T23:00:00Z"));
        assert_eq!(last_due(t("2026-03-31T22:00:00Z")), t("2026-02-28T23:00:00Z"));
    }
}
