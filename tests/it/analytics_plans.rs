//! Query plans of the reports' heavy queries on SQLite, the backend whose planner goes by the
//! written join order when told to (`scope::drive`) and has no statistics in a fresh database:
//! at 100k deals a wrong plan is a scan per row or a whole period's rows tested one by one.

use chrono::NaiveDate;
use ferrocrm::analytics::scope::{Currency, Scope};
use ferrocrm::db::Backend;
use sea_query::SelectStatement;
use sqlx::SqlitePool;

use crate::helpers::spawn_app;

async fn plan(pool: &SqlitePool, q: &SelectStatement) -> Vec<String> {
    use sqlx::Row;
    let sql = q.to_string(sea_query::SqliteQueryBuilder);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).fetch_all(pool).await.unwrap();
    let lines: Vec<String> = rows.iter().map(|r| r.get::<String, _>(3)).collect();
    assert!(!lines.is_empty(), "no plan for {sql}");
    lines
}

fn scope(departments: Option<Vec<i64>>, owner: Option<i64>, today: NaiveDate) -> Scope {
    Scope { departments, owner, currency: Currency::Marketing, today }
}

/// With an owner, the plan starts at the owner's deals (their owner and co-owner indexes) and
/// finds each deal's rows by deal: not every row of the period tested for the owner.
fn starts_at_the_owners_deals(lines: &[String]) -> bool {
    lines.iter().find(|l| l.starts_with("SEARCH") || l.starts_with("SCAN")).is_some_and(|l| l.contains(" deals "))
        && lines.iter().any(|l| l.contains("ix_deals_owner"))
        && lines.iter().any(|l| l.contains("ix_deals_co_owner"))
}

/// The "latest" and "first" payment checks probe one deal's payments by deal (`ix_payments_deal`,
/// `ix_payments_status_deal`); walking every received payment once per row
/// (`ix_payments_status_date`) would be quadratic at 100k deals. The totals' query without an
/// owner (`by_deal`) reads the received payments once, from the covering index of migration 34.
#[tokio::test]
async fn the_sales_report_probes_a_deals_payments_by_its_index_and_starts_at_the_owners_deals() {
    use ferrocrm::analytics::sales::{Country, Resolved, lines};
    let app = spawn_app().await;
    let ferrocrm::db::Db::Sqlite(pool) = &app.db else { return };
    let today = chrono::Utc::now().date_naive();
    for departments in [None, Some(vec![1i64])] {
        for owner in [Some(1), None] {
            let s = scope(departments.clone(), owner, today);
            let r = Resolved { range: Default::default(), product: None, country: Country::Any, countries: None };
            let mut q = lines(&s, &r, Backend::Sqlite);
            q.column(("outputs", "id")).order_by(("p", "payment_date"), sea_query::Order::Desc).limit(100);
            let lines = plan(pool, &q).await;
            // The NOT EXISTS checks ("no later", "no earlier" received payment) probe the deal's
            // payments; so does the join to the first one when the deals drive.
            let by_deal = |alias: &str| {
                lines.iter().any(|l| l.starts_with(&format!("SEARCH {alias} USING")) && l.contains("deal_id=?"))
            };
            for alias in ["l", "e"] {
                assert!(by_deal(alias), "{alias} {departments:?} {owner:?}: {lines:#?}");
            }
            if owner.is_some() {
                assert!(by_deal("p") && by_deal("f"), "{departments:?}: {lines:#?}");
                assert!(starts_at_the_owners_deals(&lines), "{departments:?}: {lines:#?}");
                assert!(!lines.iter().any(|l| l.starts_with("SCAN")), "{departments:?}: {lines:#?}");
            }
        }
    }
}

/// The Income Summary's received payments: a manager's (owner) query starts at their deals and
/// finds their payments by deal; a chief's reads the payments alone — every payment has its deal
/// (NOT NULL, cascading), so joining `deals` only to find it again was a probe per payment.
#[tokio::test]
async fn the_income_summary_reads_an_owners_payments_by_deal_and_a_chiefs_without_deals() {
    use ferrocrm::analytics::income::received;
    let app = spawn_app().await;
    let ferrocrm::db::Db::Sqlite(pool) = &app.db else { return };
    let today = chrono::Utc::now().date_naive();
    for departments in [None, Some(vec![1i64])] {
        let mut q = received(&scope(departments.clone(), Some(1), today), Backend::Sqlite);
        q.column(("payments", "amount_cents"));
        let lines = plan(pool, &q).await;
        assert!(starts_at_the_owners_deals(&lines), "{departments:?}: {lines:#?}");
        assert!(lines.iter().any(|l| l.starts_with("SEARCH payments USING") && l.contains("deal_id=?")), "{lines:#?}");

        let mut q = received(&scope(departments.clone(), None, today), Backend::Sqlite);
        q.column(("payments", "amount_cents"));
        let lines = plan(pool, &q).await;
        assert!(!lines.iter().any(|l| l.contains("deals")), "{departments:?}: {lines:#?}");
    }
}

#[tokio::test]
async fn the_sales_totals_read_the_received_payments_once_from_their_covering_index() {
    use ferrocrm::analytics::sales::{Country, Resolved, by_deal};
    let app = spawn_app().await;
    let ferrocrm::db::Db::Sqlite(pool) = &app.db else { return };
    let today = chrono::Utc::now().date_naive();
    for departments in [None, Some(vec![1i64])] {
        let r = Resolved { range: Default::default(), product: None, country: Country::Any, countries: None };
        let mut q = by_deal(&scope(departments.clone(), None, today), &r);
        q.column(("outputs", "product_id")).column(("outputs", "quantity"));
        q.group_by_col(("outputs", "product_id"));
        let lines = plan(pool, &q).await;
        let payments: Vec<&String> = lines.iter().filter(|l| l.contains(" payments ")).collect();
        assert_eq!(payments.len(), 1, "{departments:?}: {lines:#?}");
        assert!(payments[0].contains("COVERING INDEX ix_payments_status_deal (status=?"), "{lines:#?}");
        assert!(!lines.iter().any(|l| l.contains("CORRELATED")), "{departments:?}: {lines:#?}");
    }
}

/// "Won deals" (Income Summary, Deal Summary) for a chief: read from `ix_deals_closed_wins`
/// (migration 35) alone, not a table read per deal closed in the year.
#[tokio::test]
async fn the_won_deals_count_reads_its_covering_index() {
    use ferrocrm::analytics::income::won;
    let app = spawn_app().await;
    let ferrocrm::db::Db::Sqlite(pool) = &app.db else { return };
    let today = chrono::Utc::now().date_naive();
    let mut q = won(&scope(None, None, today));
    q.column(("deals", "id")).column(("deals", "win_closing_date")).column(("deals", "created_at"));
    let lines = plan(pool, &q).await;
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("SEARCH deals USING COVERING INDEX ix_deals_closed_wins (active=? AND closing_date>?")),
        "{lines:#?}"
    );
}
