//! Requests Summary (§5.4): the requests received in the last 365 days — without duplicates,
//! "case" requests (no payment involved) and requests of a disqualified lead — primary and
//! subsequent, how many of each became a won deal, and the requests (and those with a relevant
//! deal) per receipt month. For departments that work globally, the requests per country.
//!
//! Won (§5.4): the request's deal has a success closing reason, or stands at a success or
//! conditional-success stage. The per-country table keeps the original's narrower "won" (success
//! closing reason or conditional-success stage: a deal at the success stage without the success
//! reason is not won there); its footnote says so.
//!
//! The query pieces here (`received`, `base`, `won`, `count_if`, `summary`) are shared with the
//! Conversion Summary (§5.6, same base and "won") and the Lead source Summary (§5.5).

use chrono::NaiveDate;
use sea_query::{Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr};

use super::scope::{Scope, bucket, within};
use crate::crm::period::Range;
use crate::db::Db;
use crate::error::AppResult;

#[derive(Clone, Debug, Default)]
pub struct RequestSummary {
    pub months: Vec<NaiveDate>,
    pub primary: i64,
    pub primary_won: i64,
    pub subsequent: i64,
    pub subsequent_won: i64,
    /// Per receipt month (12 bars): every request, those with a relevant deal, the won ones, the
    /// primary ones, the won primary ones.
    pub monthly: Vec<i64>,
    pub monthly_relevant: Vec<i64>,
    pub monthly_won: Vec<i64>,
    pub monthly_primary: Vec<i64>,
    pub monthly_primary_won: Vec<i64>,
    /// "Requests over country": only when a department of the view works globally.
    pub countries: Option<Countries>,
}

impl RequestSummary {
    pub fn total(&self) -> i64 {
        self.primary + self.subsequent
    }

    pub fn won(&self) -> i64 {
        self.primary_won + self.subsequent_won
    }
}

/// One country's row: requests received in the last 365 days and ever, and how many of each won.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryRow {
    /// `None`: requests without a country ("Not specified").
    pub country: Option<String>,
    pub year: i64,
    pub year_won: i64,
    pub all: i64,
    pub all_won: i64,
}

/// "Requests over country" (§5.4).
#[derive(Clone, Debug, Default)]
pub struct Countries {
    /// The departments counted: those of the view that work globally, by name.
    pub departments: Vec<String>,
    /// The view holds more than one department (then only the global ones above are counted).
    pub several: bool,
    /// Most requests first, then by name; "Not specified" last.
    pub rows: Vec<CountryRow>,
}

/// The requests every request-based report counts (§5 common mechanics): not duplicates, not
/// "case" requests, of the scope's departments (and owner, when the scope has one).
pub(super) fn received(s: &Scope) -> SelectStatement {
    let mut q = Query::select();
    q.from("requests")
        .and_where(Expr::col(("requests", "duplicate")).eq(false))
        .and_where(Expr::col(("requests", "is_case")).eq(false));
    s.narrow(&mut q, "requests", "requests");
    q
}

/// The base set (§5.4): `received` without the requests of disqualified leads, joined to its deal,
/// the deal's closing reason and stage.
pub(super) fn base(s: &Scope) -> SelectStatement {
    let mut q = received(s);
    q.left_join("leads", Expr::col(("leads", "id")).equals(("requests", "lead_id")))
        .left_join("deals", Expr::col(("deals", "id")).equals(("requests", "deal_id")))
        .left_join("closing_reasons", Expr::col(("closing_reasons", "id")).equals(("deals", "closing_reason_id")))
        .left_join("deal_stages", Expr::col(("deal_stages", "id")).equals(("deals", "stage_id")))
        .cond_where(
            Cond::any().add(Expr::col(("leads", "id")).is_null()).add(Expr::col(("leads", "disqualified")).eq(false)),
        );
    q
}

/// Won (§5.4, §5.6) over `base`'s joins.
pub(super) fn won() -> SimpleExpr {
    Cond::any()
        .add(Expr::col(("closing_reasons", "success_reason")).eq(true))
        .add(Expr::col(("deal_stages", "success_stage")).eq(true))
        .add(Expr::col(("deal_stages", "conditional_success_stage")).eq(true))
        .into()
}

/// Won in the per-country table (§5.4, as the original): a success closing reason or a
/// conditional-success stage.
fn won_by_country() -> SimpleExpr {
    Cond::any()
        .add(Expr::col(("closing_reasons", "success_reason")).eq(true))
        .add(Expr::col(("deal_stages", "conditional_success_stage")).eq(true))
        .into()
}

/// How many rows of the group meet `cond` (BIGINT on both backends; NULL for no rows).
pub(super) fn count_if(cond: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::case(cond, 1).finally(0)), "BIGINT").into()
}

/// `col` within `range`, as a condition (for `count_if`).
pub(super) fn in_range(col: (&'static str, &'static str), range: Range) -> SimpleExpr {
    let mut c = Cond::all();
    if let Some(f) = range.from {
        c = c.add(Expr::col(col).gte(f));
    }
    if let Some(b) = range.before {
        c = c.add(Expr::col(col).lt(b));
    }
    c.into()
}

/// The Requests Summary: `summary` and, for global departments, the per-country table.
pub async fn load(db: &Db, s: &Scope) -> AppResult<RequestSummary> {
    let mut out = summary(db, s).await?;
    out.countries = countries(db, s).await?;
    Ok(out)
}

/// The summary lines and the monthly figures (shared with the Conversion Summary).
pub(super) async fn summary(db: &Db, s: &Scope) -> AppResult<RequestSummary> {
    let receipt = ("requests", "receipt_date");
    let mut q = base(s);
    within(&mut q, receipt, s.last_year());
    q.column(("requests", "subsequent"))
        .expr(Expr::col(("requests", "id")).count())
        .expr(count_if(won()))
        .group_by_col(("requests", "subsequent"));
    let rows: Vec<(bool, i64, Option<i64>)> = db.fetch_all(&q).await?;
    let starts = s.months(12);
    let mut out = RequestSummary { months: starts[..12].to_vec(), ..Default::default() };
    for (subsequent, n, won) in rows {
        if subsequent {
            (out.subsequent, out.subsequent_won) = (n, won.unwrap_or(0));
        } else {
            (out.primary, out.primary_won) = (n, won.unwrap_or(0));
        }
    }
    let mut m = base(s);
    within(&mut m, receipt, Range { from: starts.first().copied(), before: s.today.succ_opt() });
    let primary = || Expr::col(("requests", "subsequent")).eq(false);
    m.expr(bucket(receipt, &starts))
        .expr(Expr::col(("requests", "id")).count())
        .expr(count_if(Expr::col(("deals", "relevant")).eq(true)))
        .expr(count_if(won()))
        .expr(count_if(primary()))
        .expr(count_if(primary().and(won())))
        .add_group_by([super::scope::nth(1)]);
    type Row = (i64, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<Row> = db.fetch_all(&m).await?;
    out.monthly = vec![0; 12];
    out.monthly_relevant = vec![0; 12];
    out.monthly_won = vec![0; 12];
    out.monthly_primary = vec![0; 12];
    out.monthly_primary_won = vec![0; 12];
    for (i, n, relevant, won, primary, primary_won) in rows {
        let Ok(i) = usize::try_from(i) else { continue };
        if i >= 12 {
            continue;
        }
        out.monthly[i] = n;
        out.monthly_relevant[i] = relevant.unwrap_or(0);
        out.monthly_won[i] = won.unwrap_or(0);
        out.monthly_primary[i] = primary.unwrap_or(0);
        out.monthly_primary_won[i] = primary_won.unwrap_or(0);
    }
    Ok(out)
}

/// "Requests over country" (§5.4) when a department of the view works globally: the requests of
/// those departments (a view of several departments counts its global ones only), last 365 days
/// and all period, by the request's country.
pub async fn countries(db: &Db, s: &Scope) -> AppResult<Option<Countries>> {
    let mut g = Query::select();
    g.columns(["id", "name"])
        .from("departments")
        .and_where(Expr::col("works_globally").eq(true))
        .order_by("name", Order::Asc);
    if let Some(ds) = &s.departments {
        g.and_where(Expr::col("id").is_in(ds.iter().copied()));
    }
    let global: Vec<(i64, String)> = db.fetch_all(&g).await?;
    if global.is_empty() {
        return Ok(None);
    }
    let receipt = ("requests", "receipt_date");
    let year = || in_range(receipt, s.last_year());
    let mut q = base(s);
    q.left_join("countries", Expr::col(("countries", "id")).equals(("requests", "country_id")))
        .and_where(Expr::col(("requests", "department_id")).is_in(global.iter().map(|d| d.0)))
        .column(("countries", "name"))
        .expr(count_if(year()))
        .expr(count_if(year().and(won_by_country())))
        .expr(Expr::col(("requests", "id")).count())
        .expr(count_if(won_by_country()))
        .group_by_col(("countries", "name"));
    type Row = (Option<String>, Option<i64>, Option<i64>, i64, Option<i64>);
    let found: Vec<Row> = db.fetch_all(&q).await?;
    let mut rows: Vec<CountryRow> = found
        .into_iter()
        .map(|(country, year, year_won, all, all_won)| CountryRow {
            country,
            year: year.unwrap_or(0),
            year_won: year_won.unwrap_or(0),
            all,
            all_won: all_won.unwrap_or(0),
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.country.is_none(), std::cmp::Reverse(a.all), &a.country).cmp(&(
            b.country.is_none(),
            std::cmp::Reverse(b.all),
            &b.country,
        ))
    });
    let several = s.departments.as_ref().is_none_or(|d| d.len() > 1);
    Ok(Some(Countries { departments: global.into_iter().map(|d| d.1).collect(), several, rows }))
}

/// `part / of` as a percentage with one decimal ("0.0%" of nothing).
pub fn percent(part: i64, of: i64) -> String {
    format!("{:.1}%", ratio(part, of))
}

/// `part / of × 100`, rounded to one decimal (0 of nothing).
pub fn ratio(part: i64, of: i64) -> f64 {
    if of == 0 { 0.0 } else { (part as f64 * 1000.0 / of as f64).round() / 10.0 }
}

/// The page's tables as sheets (`/analytics/requests/export`): the summary, the monthly figures of
/// the two charts, and "Requests over country" when the page shows it.
pub fn sheets(r: &RequestSummary) -> Vec<crate::excel::Sheet> {
    use crate::excel::{Cell, Sheet};
    let line = |label: &str, v: Cell| vec![Cell::from(label), v];
    let summary = vec![
        line("Total requests", Cell::Int(r.total())),
        line("Primary requests", Cell::Int(r.primary)),
        line("Conversion of primary requests into successful deals (%)", Cell::Number(ratio(r.primary_won, r.primary))),
        line("Subsequent requests", Cell::Int(r.subsequent)),
        line("Conversion of subsequent requests (%)", Cell::Number(ratio(r.subsequent_won, r.subsequent))),
    ];
    let monthly = r
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let at = |v: &[i64]| Cell::Int(v.get(i).copied().unwrap_or(0));
            vec![Cell::from(super::scope::month_label(*m)), at(&r.monthly), at(&r.monthly_relevant)]
        })
        .collect();
    let mut out = vec![
        Sheet { name: "Summary".into(), headers: vec!["Figure".into(), "Value".into()], rows: summary },
        Sheet {
            name: "Requests by month".into(),
            headers: ["Month", "Requests", "Relevant requests"].map(String::from).to_vec(),
            rows: monthly,
        },
    ];
    if let Some(c) = &r.countries {
        let rows = c
            .rows
            .iter()
            .map(|row| {
                vec![
                    Cell::from(row.country.as_deref().unwrap_or("Not specified")),
                    Cell::Int(row.year),
                    Cell::Number(ratio(row.year_won, row.year)),
                    Cell::Int(row.all),
                    Cell::Number(ratio(row.all_won, row.all)),
                ]
            })
            .collect();
        let headers = [
            "Country",
            "For last 365 days",
            "Conversion, last 365 days (%)",
            "For all period",
            "Conversion, all period (%)",
        ];
        out.push(Sheet { name: "Requests over country".into(), headers: headers.map(String::from).to_vec(), rows });
    }
    out
}
