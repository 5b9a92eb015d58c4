//! What every report shares: the filters (owner, department, currency, payment dates), the scope
//! they resolve to for a viewer, the calendar windows (§5 "last 365 days", 12 monthly bars), and
//! money summed by the database per exchange rate and converted once in Rust.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use sea_query::{Expr, ExprTrait, Func, JoinType, Query, SelectStatement, SimpleExpr, UnionType};
use serde::Deserialize;

use crate::access::{self, Viewer};
use crate::crm::period::{DateFilter, Range};
use crate::db::{Backend, Db};
use crate::error::{AppError, AppResult};

/// A report's query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Filter {
    /// "" (the viewer's default: their own for managers, §3.2), "all", or a user id: deals and
    /// requests that user owns or co-owns.
    #[serde(default)]
    pub owner: String,
    /// "" (every department the viewer's reports count) or a department id.
    #[serde(default)]
    pub department: String,
    /// "" or "marketing" (the default, §5), or "state".
    #[serde(default)]
    pub currency: String,
    /// The extended date filter (§13.9) on the payment date: the Income Summary's table of
    /// received payments (this month when not chosen).
    #[serde(flatten)]
    pub period: DateFilter,
    /// "" or a product id: the Sales Report's and the Closing reason Summary's product filter.
    #[serde(default)]
    pub product: String,
    /// "" or a country id: the Sales Report's country filter (departments that work globally).
    #[serde(default)]
    pub country: String,
    /// "" or a closing reason id: the Closing reason Summary's filter.
    #[serde(default)]
    pub reason: String,
    /// "" or a lead source id: the Lead source Summary's filter.
    #[serde(default)]
    pub source: String,
    /// The Sales Report's page of its "Sold products" table (page 1 when absent or not a number).
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
    /// "" or "all": the Income Summary's tables show their first rows, or all of them.
    #[serde(default)]
    pub rows: String,
}

impl Filter {
    /// The query string (empty values left out), with `currency` replaced when given.
    pub fn query(&self, currency: Option<&str>) -> String {
        let mut pairs = vec![
            ("owner", self.owner.clone()),
            ("department", self.department.clone()),
            ("currency", currency.map(str::to_string).unwrap_or_else(|| self.currency.clone())),
            ("product", self.product.clone()),
            ("country", self.country.clone()),
            ("reason", self.reason.clone()),
            ("source", self.source.clone()),
            ("page", self.page.filter(|p| *p > 1).map(|p| p.to_string()).unwrap_or_default()),
            ("rows", if self.rows == "all" { self.rows.clone() } else { String::new() }),
        ];
        pairs.extend(self.period.pairs());
        crate::paths::query(&pairs)
    }
}

/// Which currency amounts are shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Currency {
    Marketing,
    State,
}

impl Currency {
    /// The rate column (× 10^8) of `currencies` and `currency_rates` for this currency.
    pub fn rate_column(self) -> &'static str {
        match self {
            Currency::Marketing => "rate_to_marketing_e8",
            Currency::State => "rate_to_state_e8",
        }
    }
}

/// The filters resolved for one viewer: whose rows a report counts.
#[derive(Clone, Debug)]
pub struct Scope {
    /// `None`: every department; else these (possibly none).
    pub departments: Option<Vec<i64>>,
    /// Only rows this user owns or co-owns.
    pub owner: Option<i64>,
    pub currency: Currency,
    pub today: NaiveDate,
}

impl Scope {
    /// §3.2 for reports: a department outside the viewer's is refused (403); a malformed value is
    /// a 400 with a message.
    pub fn resolve(v: &Viewer, f: &Filter, today: NaiveDate) -> AppResult<Scope> {
        let allowed = access::report_departments(v);
        let departments = match f.department.trim() {
            "" => allowed.map(<[i64]>::to_vec),
            d => {
                let d: i64 =
                    d.parse().map_err(|_| AppError::BadRequest("The department filter is not a number.".into()))?;
                if allowed.is_some_and(|a| !a.contains(&d)) {
                    return Err(AppError::Forbidden);
                }
                Some(vec![d])
            }
        };
        let owner = match f.owner.trim() {
            "" => access::reports_default_to_own(v).then_some(v.id),
            "all" => None,
            "mine" => Some(v.id),
            id => Some(id.parse().map_err(|_| AppError::BadRequest("The owner filter is not a user.".into()))?),
        };
        let currency = match f.currency.as_str() {
            "" | "marketing" => Currency::Marketing,
            "state" => Currency::State,
            _ => return Err(AppError::BadRequest("The currency is “marketing” or “state”.".into())),
        };
        Ok(Scope { departments, owner, currency, today })
    }

    /// Narrows `q` to the scope: `dept` is the table whose `department_id` counts, `owned` the one
    /// whose `owner_id` / `co_owner_id` do (a table with an index on each).
    pub fn narrow(&self, q: &mut SelectStatement, dept: &'static str, owned: &'static str) {
        if let Some(ds) = &self.departments {
            if ds.is_empty() {
                q.and_where(Expr::val(false));
            } else {
                q.and_where(Expr::col((dept, "department_id")).is_in(ds.iter().copied()));
            }
        }
        if let Some(u) = self.owner {
            // The owner's rows named by id: a list read from the table's owner and co-owner indexes
            // (deals and requests have both), each row then found by its key. With the OR of the
            // two columns SQLite scanned the table or the period (a manager's Sales Report table:
            // 64 → 16 ms at 50k deals; the requests of a year: 10 → 0.5 ms).
            let of =
                |col: &'static str| Query::select().column("id").from(owned).and_where(Expr::col(col).eq(u)).to_owned();
            let ids = of("owner_id").union(UnionType::Distinct, of("co_owner_id")).to_owned();
            q.and_where(Expr::col((owned, "id")).in_subquery(ids));
        }
    }

    /// Starts `q` at `table` (whose rows belong to a deal through `table.deal_id`), joined to
    /// `deals` only when an owner filter needs the deal; the reports count a deal's payments
    /// through this. With an owner, the owner's few deals drive the query (`drive`); without one
    /// the join would only repeat what the cascading, NOT NULL `deal_id` already guarantees, at a
    /// primary-key probe per row (the chief's Income Summary: half its time).
    pub fn from_deals_of(&self, q: &mut SelectStatement, backend: Backend, table: &'static str) {
        if self.owner.is_some() {
            q.from("deals");
            drive(q, backend, table, table, Expr::col((table, "deal_id")).equals(("deals", "id")));
        } else {
            q.from(table);
        }
    }

    /// The first day of the current month.
    pub fn this_month(&self) -> NaiveDate {
        self.today.with_day(1).unwrap_or(self.today)
    }

    /// The first days of `n` months ending with the current one, oldest first, then the first day
    /// of the next month (the end of the last bar): `n + 1` dates.
    pub fn months(&self, n: u32) -> Vec<NaiveDate> {
        let m0 = self.this_month();
        (0..=n)
            .filter_map(|i| {
                m0.checked_sub_months(Months::new(n - 1)).and_then(|s| s.checked_add_months(Months::new(i)))
            })
            .collect()
    }

    /// "Last 365 days" (§5): since the same day twelve months ago, up to and including today.
    pub fn last_year(&self) -> Range {
        Range { from: self.today.checked_sub_months(Months::new(12)), before: self.today.succ_opt() }
    }
}

/// Joins `table` (as `alias`) on `on` to an owner's deals, which `q` starts at. SQLite plans an
/// inner join from the table with the usable date index and then tests every row of the period for
/// the owner (a manager's Income Summary: 77k payments probed for their 1.7k deals, 530 ms); a
/// CROSS JOIN keeps the written order, so the owner's deals (`ix_deals_owner`, `ix_deals_co_owner`)
/// are read first and their rows found by deal (5 ms). sea-query writes no ON after CROSS JOIN, so
/// the condition goes to WHERE (the same rows for an inner join). PostgreSQL orders joins from its
/// statistics: an inner join there.
pub fn drive(q: &mut SelectStatement, backend: Backend, table: &'static str, alias: &'static str, on: SimpleExpr) {
    match backend {
        Backend::Sqlite => {
            q.join_as(JoinType::CrossJoin, table, alias, Expr::val(true)).and_where(on);
        }
        Backend::Postgres => {
            q.join_as(JoinType::InnerJoin, table, alias, on);
        }
    }
}

/// `col` in `[range.from, range.before)`.
pub fn within(q: &mut SelectStatement, col: (&'static str, &'static str), range: Range) {
    DateFilter::narrow_date(range, col, q);
}

/// The bar a date falls in: `CASE WHEN col < starts[1] THEN 0 … ELSE n-1 END` over `starts` (the
/// bars' first days, then the end); the caller keeps `col` within `[starts[0], end)`.
pub fn bucket(col: (&'static str, &'static str), starts: &[NaiveDate]) -> SimpleExpr {
    let bars = starts.len().saturating_sub(1);
    let mut case = sea_query::CaseStatement::new();
    for (i, s) in starts.iter().enumerate().skip(1).take(bars.saturating_sub(1)) {
        case = case.case(Expr::col(col).lt(*s), (i - 1) as i64);
    }
    case.finally(bars.saturating_sub(1) as i64).into()
}

/// The rate (× 10^8) of a payment to the shown currency: the dated rate of its currency on its
/// payment date when there is one, else the currency's current rate (§5). The query must join
/// `currencies` and left-join `currency_rates` (`join_rates`).
pub fn rate(c: Currency) -> SimpleExpr {
    Func::coalesce([Expr::col(("currency_rates", c.rate_column())), Expr::col(("currencies", c.rate_column()))]).into()
}

/// Joins a payments query (`payments`) to its currency and the currency's rate on the payment day.
pub fn join_rates(q: &mut SelectStatement) {
    q.inner_join("currencies", Expr::col(("currencies", "id")).equals(("payments", "currency_id"))).left_join(
        "currency_rates",
        Expr::col(("currency_rates", "currency_id"))
            .equals(("payments", "currency_id"))
            .and(Expr::col(("currency_rates", "rate_date")).equals(("payments", "payment_date"))),
    );
}

/// The sum of a BIGINT column, as BIGINT on both backends (PostgreSQL's SUM gives NUMERIC).
pub fn sum_i64(col: (&'static str, &'static str)) -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::col(col)), "BIGINT").into()
}

/// Column `n` (1-based) of the select list, for GROUP BY. A bar's CASE carries bound dates, and
/// PostgreSQL does not see `CASE … $1 …` in the select list and `CASE … $5 …` in GROUP BY as one
/// expression; the position names it on both backends.
pub fn nth(n: u8) -> SimpleExpr {
    match n {
        1 => Expr::cust("1"),
        2 => Expr::cust("2"),
        _ => Expr::cust("3"),
    }
}

/// `cents × rate_e8 / 10^8`, rounded half away from zero (once per group, not per payment).
pub fn convert(cents: i128, rate_e8: i128) -> i128 {
    let p = cents * rate_e8;
    let half = 50_000_000;
    if p >= 0 { (p + half) / 100_000_000 } else { (p - half) / 100_000_000 }
}

/// Runs `q`, which selects (key, rate, sum of cents) grouped by key and rate, and adds up each
/// key's converted sums.
pub async fn converted(db: &Db, q: &SelectStatement) -> AppResult<BTreeMap<i64, i128>> {
    let rows: Vec<(i64, i64, i64)> = db.fetch_all(q).await?;
    let mut out = BTreeMap::new();
    for (key, rate, cents) in rows {
        *out.entry(key).or_insert(0) += convert(cents as i128, rate as i128);
    }
    Ok(out)
}

/// The names of the marketing and state currencies (either may be missing).
pub async fn currency_names(db: &Db) -> AppResult<(Option<String>, Option<String>)> {
    let rows: Vec<(String, bool, bool)> = db
        .fetch_all(
            sea_query::Query::select()
                .columns(["name", "is_marketing_currency", "is_state_currency"])
                .from("currencies")
                .and_where(Expr::col("is_state_currency").eq(true).or(Expr::col("is_marketing_currency").eq(true))),
        )
        .await?;
    let pick = |f: fn(&(String, bool, bool)) -> bool| rows.iter().find(|r| f(r)).map(|r| r.0.clone());
    Ok((pick(|r| r.1), pick(|r| r.2)))
}

/// `Mon YYYY` (the month labels of every chart: with the year, so two Decembers never merge).
pub fn month_label(d: NaiveDate) -> String {
    d.format("%b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn scope(today: &str) -> Scope {
        Scope { departments: None, owner: None, currency: Currency::Marketing, today: d(today) }
    }

    #[test]
    fn twelve_bars_start_eleven_months_back_and_end_next_month() {
        let m = scope("2026-02-15").months(12);
        assert_eq!(m.len(), 13);
        assert_eq!(m[0], d("2025-03-01"));
        assert_eq!(m[11], d("2026-02-01"));
        assert_eq!(m[12], d("2026-03-01"));
        let r = scope("2026-02-15").last_year();
        assert_eq!((r.from, r.before), (Some(d("2025-02-15")), Some(d("2026-02-16"))));
    }

    #[test]
    fn the_bucket_case_numbers_the_bars() {
        let m = scope("2026-02-15").months(3);
        let sql = sea_query::Query::select().expr(bucket(("p", "day"), &m)).to_string(sea_query::SqliteQueryBuilder);
        assert!(sql.contains("WHEN (\"p\".\"day\" < '2026-01-01') THEN 0"), "{sql}");
        assert!(sql.contains("WHEN (\"p\".\"day\" < '2026-02-01') THEN 1"), "{sql}");
        assert!(sql.contains("ELSE 2"), "{sql}");
    }
}
