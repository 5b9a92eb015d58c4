//! Income Summary (§5.1): received payments per month for this and the previous twelve months,
//! the rolling annual income, this period's received payments, the three forecast tables
//! (guaranteed, high and low probability), and the won deals of the last 365 days.
//!
//! "Received" means status `received` and a payment date no later than today. Where the original
//! matched the forecast's next months on the month number only and used current rates (§5.1), the
//! forecast here takes whole calendar months (year included) and each payment's dated rate when
//! there is one, as every other figure does; the page's footnote says so.

use std::collections::{BTreeMap, HashMap};

use chrono::{Months, NaiveDate};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::scope::{self, Scope, bucket, converted, join_rates, rate, within};
use crate::crm::period::Range;
use crate::db::{Backend, Db};
use crate::error::AppResult;

/// The forecast statuses, in the page's order, with their tables' titles.
pub const FORECASTS: [(&str, &str); 3] =
    [("guaranteed", "Guaranteed income"), ("high", "High probability income"), ("low", "Low probability income")];

/// A deal's row in a payments table: who paid, for what, and whose deal it is.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DealInfo {
    pub counterparty: String,
    pub products: Vec<String>,
    pub owners: Vec<String>,
}

/// One received payment of the table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Received {
    pub deal_id: i64,
    pub cents: i128,
    pub date: NaiveDate,
    pub order_number: String,
    pub through_representation: bool,
}

/// A deal's row of a forecast table: current month (overdue included), next, the one after.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ForecastRow {
    pub deal_id: i64,
    pub months: [i128; 3],
    pub order_numbers: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Forecast {
    pub title: String,
    pub rows: Vec<ForecastRow>,
    pub totals: [i128; 3],
}

/// Every figure of the page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Income {
    /// First days of the 12 months of the charts, oldest first.
    pub months: Vec<NaiveDate>,
    pub monthly: Vec<i128>,
    pub previous_monthly: Vec<i128>,
    /// For each month, the twelve months' income ending with it.
    pub rolling: Vec<i128>,
    /// Received in the last 365 days, and in the 365 days before them.
    pub total: i128,
    pub previous_total: i128,
    pub received: Vec<Received>,
    /// The table's period and its total (over every payment of the period, not only those shown).
    pub received_range: Range,
    pub received_total: i128,
    pub forecasts: Vec<Forecast>,
    pub deals: HashMap<i64, DealInfo>,
    pub won_deals: i64,
}

/// The table of received payments shows at most this many rows (its total counts them all).
pub const RECEIVED_ROWS: u64 = 500;

fn payments(s: &Scope, backend: Backend) -> SelectStatement {
    let mut q = Query::select();
    s.from_deals_of(&mut q, backend, "payments");
    join_rates(&mut q);
    s.narrow(&mut q, "payments", "deals");
    q
}

/// The scope's received payments (their money came: dated today at the latest), with their rates.
/// Public for the query-plan test.
pub fn received(s: &Scope, backend: Backend) -> SelectStatement {
    let mut q = payments(s, backend);
    q.and_where(Expr::col(("payments", "status")).eq("received"))
        .and_where(Expr::col(("payments", "payment_date")).lte(s.today));
    q
}

/// The received payments' raw sums per segment and rate: one query for every figure of the charts
/// and the two period totals. `points` (sorted) cut `[points[0], last)` into segments; each figure
/// is a run of whole segments, whose cents are added per rate and converted once per rate — as a
/// query per figure grouped by rate would, to the cent.
struct Segments {
    points: Vec<NaiveDate>,
    /// (segment, rate, cents).
    sums: Vec<(i64, i64, i64)>,
}

impl Segments {
    async fn load(db: &Db, s: &Scope, mut points: Vec<NaiveDate>) -> AppResult<Segments> {
        points.sort_unstable();
        points.dedup();
        let (Some(first), Some(end)) = (points.first(), points.last()) else {
            return Ok(Segments { points, sums: Vec::new() });
        };
        let col = ("payments", "payment_date");
        let mut q = received(s, db.backend());
        within(&mut q, col, Range { from: Some(*first), before: Some(*end) });
        q.expr(bucket(col, &points)).expr(rate(s.currency)).expr(scope::sum_i64(("payments", "amount_cents")));
        q.add_group_by([scope::nth(1), rate(s.currency)]);
        let sums = db.fetch_all(&q).await?;
        Ok(Segments { points, sums })
    }

    /// The converted sum of the segments within `[from, before)`.
    fn within(&self, from: NaiveDate, before: NaiveDate) -> i128 {
        let mut per_rate: BTreeMap<i64, i128> = BTreeMap::new();
        for (seg, rate, cents) in &self.sums {
            let i = *seg as usize;
            if let (Some(start), Some(end)) = (self.points.get(i), self.points.get(i + 1))
                && *start >= from
                && *end <= before
            {
                *per_rate.entry(*rate).or_insert(0) += *cents as i128;
            }
        }
        per_rate.into_iter().map(|(rate, cents)| scope::convert(cents, rate as i128)).sum()
    }
}

/// The converted sum of received payments in `range`.
async fn total_in(db: &Db, s: &Scope, range: Range) -> AppResult<i128> {
    let mut q = received(s, db.backend());
    within(&mut q, ("payments", "payment_date"), range);
    q.expr(Expr::val(0i64)).expr(rate(s.currency)).expr(scope::sum_i64(("payments", "amount_cents")));
    q.add_group_by([rate(s.currency)]);
    Ok(converted(db, &q).await?.values().sum())
}

/// Rows a table of the page shows unless "Show all" was chosen: a chief's view of every department
/// holds hundreds to thousands of payments; the Excel export has them all.
pub const SHOWN: usize = 50;

/// Which rows of the tables get their deal's counterparty, products and owners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Described {
    /// The first `SHOWN` of each table: the page as it opens.
    Shown,
    /// Every row: "Show all", the export, a snapshot.
    All,
}

pub async fn load(db: &Db, s: &Scope, table: Range, described: Described) -> AppResult<Income> {
    // 24 months: the charts' 12, the previous period's 12, and the rolling sums need 23 of them.
    let starts = s.months(24);
    // "Last 365 days" and the 365 days before it start mid-month: their first days cut segments
    // of their own. Received payments are dated today at the latest, so the year ends with the
    // last bar.
    let year = s.last_year();
    let year_from = year.from.unwrap_or(s.today);
    let before_from = year_from.checked_sub_months(Months::new(12)).unwrap_or(year_from);
    let mut points = starts.clone();
    points.extend([year_from, before_from]);
    let segments = Segments::load(db, s, points).await?;
    let all: Vec<i128> = starts.windows(2).map(|w| segments.within(w[0], w[1])).collect();
    let previous_monthly = all[..12].to_vec();
    let monthly = all[12..].to_vec();
    let rolling = (12..24).map(|k| all[k - 11..=k].iter().sum()).collect();
    let end = starts.last().copied().unwrap_or(s.today);
    let total = segments.within(year_from, end);
    let previous_total = segments.within(before_from, year_from);
    let (received, received_total) = received_rows(db, s, table).await?;
    let forecasts = forecasts(db, s).await?;
    let n = match described {
        Described::Shown => SHOWN,
        Described::All => usize::MAX,
    };
    let mut ids: Vec<i64> = received.iter().take(n).map(|r| r.deal_id).collect();
    ids.extend(forecasts.iter().flat_map(|f| f.rows.iter().take(n).map(|r| r.deal_id)));
    let deals = deal_info(db, ids).await?;
    let won_deals = won_deals(db, s).await?;
    Ok(Income {
        months: starts[12..24].to_vec(),
        monthly,
        previous_monthly,
        rolling,
        total,
        previous_total,
        received,
        received_range: table,
        received_total,
        forecasts,
        deals,
        won_deals,
    })
}

async fn received_rows(db: &Db, s: &Scope, range: Range) -> AppResult<(Vec<Received>, i128)> {
    let mut q = received(s, db.backend());
    within(&mut q, ("payments", "payment_date"), range);
    q.column(("payments", "deal_id"))
        .column(("payments", "amount_cents"))
        .expr(rate(s.currency))
        .column(("payments", "payment_date"))
        .column(("payments", "order_number"))
        .column(("payments", "through_representation"))
        .order_by(("payments", "payment_date"), Order::Asc)
        .order_by(("payments", "id"), Order::Asc)
        .limit(RECEIVED_ROWS);
    type Row = (i64, i64, i64, NaiveDate, Option<String>, bool);
    let rows: Vec<Row> = db.fetch_all(&q).await?;
    let out = rows
        .into_iter()
        .map(|(deal_id, cents, rate, date, order, rep)| Received {
            deal_id,
            cents: scope::convert(cents as i128, rate as i128),
            date,
            order_number: order.unwrap_or_default(),
            through_representation: rep,
        })
        .collect();
    Ok((out, total_in(db, s, range).await?))
}

/// §5.1's forecast tables, one per status of `FORECASTS`: payments of that status dated before the
/// first day of the third month from now, per deal, in the current month (earlier dates included:
/// overdue), the next and the one after. Two queries for the three tables (sums, order numbers).
async fn forecasts(db: &Db, s: &Scope) -> AppResult<Vec<Forecast>> {
    let m0 = s.this_month();
    let starts: Vec<NaiveDate> = (0..4).filter_map(|i| m0.checked_add_months(Months::new(i))).collect();
    let col = ("payments", "payment_date");
    let statuses = FORECASTS.map(|(status, _)| status);
    let mut q = payments(s, db.backend());
    q.and_where(Expr::col(("payments", "status")).is_in(statuses));
    if let Some(end) = starts.last() {
        q.and_where(Expr::col(col).lt(*end));
    }
    // Bar 0 starts at the beginning of time: overdue payments count in the current month.
    let key = bucket(col, &starts);
    q.column(("payments", "status"))
        .column(("payments", "deal_id"))
        .expr(key)
        .expr(rate(s.currency))
        .expr(scope::sum_i64(("payments", "amount_cents")))
        .add_group_by([
            Expr::col(("payments", "status")),
            Expr::col(("payments", "deal_id")),
            scope::nth(3),
            rate(s.currency),
        ]);
    let rows: Vec<(String, i64, i64, i64, i64)> = db.fetch_all(&q).await?;
    let mut per_deal: HashMap<&str, BTreeMap<i64, [i128; 3]>> = HashMap::new();
    for (status, deal, month, rate, cents) in rows {
        let Some(status) = statuses.iter().find(|s| **s == status) else { continue };
        if let Some(slot) = per_deal.entry(status).or_default().entry(deal).or_default().get_mut(month as usize) {
            *slot += scope::convert(cents as i128, rate as i128);
        }
    }
    let mut orders: HashMap<(String, i64), Vec<String>> = HashMap::new();
    if !per_deal.is_empty() {
        let mut o = payments(s, db.backend());
        o.and_where(Expr::col(("payments", "status")).is_in(statuses))
            .and_where(Expr::col(("payments", "order_number")).ne(""))
            .column(("payments", "status"))
            .column(("payments", "deal_id"))
            .column(("payments", "order_number"))
            .group_by_col(("payments", "status"))
            .group_by_col(("payments", "deal_id"))
            .group_by_col(("payments", "order_number"))
            .order_by(("payments", "order_number"), Order::Asc);
        if let Some(end) = starts.last() {
            o.and_where(Expr::col(col).lt(*end));
        }
        let rows: Vec<(String, i64, Option<String>)> = db.fetch_all(&o).await?;
        for (status, deal, order) in rows {
            orders.entry((status, deal)).or_default().extend(order);
        }
    }
    Ok(FORECASTS
        .iter()
        .map(|(status, title)| {
            let mut totals = [0i128; 3];
            let rows = per_deal
                .remove(status)
                .unwrap_or_default()
                .into_iter()
                .map(|(deal_id, months)| {
                    for (t, m) in totals.iter_mut().zip(months) {
                        *t += m;
                    }
                    let order_numbers = orders.remove(&(status.to_string(), deal_id)).unwrap_or_default();
                    ForecastRow { deal_id, months, order_numbers }
                })
                .collect();
            Forecast { title: title.to_string(), rows, totals }
        })
        .collect())
}

/// "Total won deals": closed (inactive) with a success closing reason in the last 365 days.
pub async fn won_deals(db: &Db, s: &Scope) -> AppResult<i64> {
    let mut q = won(s);
    q.expr(Expr::col(("deals", "id")).count());
    Ok(db.scalar(&q).await?.unwrap_or(0))
}

/// Deals closed successfully in the last 365 days (§5.1, §5.8).
pub fn won(s: &Scope) -> SelectStatement {
    let mut q = Query::select();
    q.from("deals")
        .inner_join("closing_reasons", Expr::col(("closing_reasons", "id")).equals(("deals", "closing_reason_id")))
        .and_where(Expr::col(("closing_reasons", "success_reason")).eq(true))
        .and_where(Expr::col(("deals", "active")).eq(false));
    within(&mut q, ("deals", "closing_date"), s.last_year());
    s.narrow(&mut q, "deals", "deals");
    q
}

/// Counterparty, products and owners of the deals `ids` (three queries, whatever their number).
pub async fn deal_info(db: &Db, mut ids: Vec<i64>) -> AppResult<HashMap<i64, DealInfo>> {
    ids.sort_unstable();
    ids.dedup();
    let mut out: HashMap<i64, DealInfo> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    type Row = (i64, String, Option<String>, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = db
        .fetch_all(
            Query::select()
                .column(("deals", "id"))
                .column(("deals", "name"))
                .expr(Expr::col(("companies", "full_name")))
                .expr(Expr::col(("countries", "name")))
                .expr(Expr::col(("leads", "company_name")))
                .expr(Expr::col(("leads", "first_name")))
                .from("deals")
                .left_join("companies", Expr::col(("companies", "id")).equals(("deals", "company_id")))
                .left_join("countries", Expr::col(("countries", "id")).equals(("companies", "country_id")))
                .left_join("leads", Expr::col(("leads", "id")).equals(("deals", "lead_id")))
                .and_where(Expr::col(("deals", "id")).is_in(ids.clone())),
        )
        .await?;
    for (id, name, company, country, lead_company, lead_name) in rows {
        let counterparty = match (company, country) {
            (Some(c), Some(k)) => format!("{c}, {k}"),
            (Some(c), None) => c,
            _ => lead_company.filter(|c| !c.trim().is_empty()).or(lead_name).unwrap_or(name),
        };
        out.entry(id).or_default().counterparty = counterparty;
    }
    let lines: Vec<(i64, String, i32)> = db
        .fetch_all(
            Query::select()
                .column(("outputs", "deal_id"))
                .column(("products", "name"))
                .column(("outputs", "quantity"))
                .from("outputs")
                .inner_join("products", Expr::col(("products", "id")).equals(("outputs", "product_id")))
                .and_where(Expr::col(("outputs", "deal_id")).is_in(ids.clone()))
                .order_by(("outputs", "id"), Order::Asc),
        )
        .await?;
    for (deal, product, qty) in lines {
        out.entry(deal).or_default().products.push(format!("{product} - {qty}pcs"));
    }
    let owners: Vec<(i64, String, String)> = db
        .fetch_all(
            Query::select()
                .column(("deals", "id"))
                .column(("users", "first_name"))
                .column(("users", "last_name"))
                .from("deals")
                .inner_join(
                    "users",
                    Expr::col(("users", "id"))
                        .equals(("deals", "owner_id"))
                        .or(Expr::col(("users", "id")).equals(("deals", "co_owner_id"))),
                )
                .and_where(Expr::col(("deals", "id")).is_in(ids))
                .order_by(("users", "id"), Order::Asc),
        )
        .await?;
    for (deal, first, last) in owners {
        out.entry(deal).or_default().owners.push(format!("{first} {last}").trim().to_string());
    }
    Ok(out)
}

/// The page's tables as sheets (`/analytics/income/export`): the received payments, the three
/// forecasts and the charts' monthly figures, with the page's totals.
pub fn sheets(d: &Income, currency: &str) -> Vec<crate::excel::Sheet> {
    use crate::excel::{Cell, Sheet};
    let money = |c: i128| Cell::Money(c.clamp(i64::MIN as i128, i64::MAX as i128) as i64);
    let info = |id: &i64| d.deals.get(id).cloned().unwrap_or_default();
    let amount = format!("Amount, {currency}");
    let mut received: Vec<Vec<Cell>> = d
        .received
        .iter()
        .map(|p| {
            let i = info(&p.deal_id);
            vec![
                Cell::from(i.counterparty),
                Cell::from(i.products.join(", ")),
                money(p.cents),
                Cell::Date(p.date),
                Cell::from(p.order_number.as_str()),
                Cell::from(i.owners.join(", ")),
                Cell::Bool(p.through_representation),
            ]
        })
        .collect();
    received.push(vec![Cell::from("Total amount"), Cell::Empty, money(d.received_total)]);
    let headers = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = vec![Sheet {
        name: "Payments received".into(),
        headers: headers(&[
            "Counterparty",
            "Products",
            &amount,
            "Payment date",
            "Order number",
            "Owner",
            "Through a representative office",
        ]),
        rows: received,
    }];
    let this_month = d.months.last().copied();
    let month = |i: u32| {
        this_month.and_then(|m| m.checked_add_months(Months::new(i))).map(scope::month_label).unwrap_or_default()
    };
    for f in &d.forecasts {
        let mut rows: Vec<Vec<Cell>> = f
            .rows
            .iter()
            .map(|r| {
                let i = info(&r.deal_id);
                let mut row = vec![Cell::from(i.counterparty), Cell::from(i.products.join(", "))];
                row.extend(r.months.iter().map(|m| money(*m)));
                row.extend([Cell::from(r.order_numbers.join(", ")), Cell::from(i.owners.join(", "))]);
                row
            })
            .collect();
        let mut total = vec![Cell::from(format!("Total, {currency}")), Cell::Empty];
        total.extend(f.totals.iter().map(|t| money(*t)));
        total.push(Cell::from(format!("Grand total: {}", crate::crm::fields::money(clamp(f.totals.iter().sum())))));
        rows.push(total);
        let first = format!("{} (and overdue)", month(0));
        out.push(Sheet {
            name: f.title.clone(),
            headers: headers(&["Counterparty", "Products", &first, &month(1), &month(2), "Order numbers", "Owner"]),
            rows,
        });
    }
    let monthly = d
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let before = m.checked_sub_months(Months::new(12)).map(scope::month_label).unwrap_or_default();
            vec![
                Cell::from(scope::month_label(*m)),
                money(d.monthly[i]),
                Cell::from(before),
                money(d.previous_monthly[i]),
                money(d.rolling[i]),
            ]
        })
        .collect();
    out.push(Sheet {
        name: "Income monthly".into(),
        headers: headers(&[
            "Month",
            &format!("Income, {currency}"),
            "Month of the previous period",
            &format!("Income in the previous period, {currency}"),
            &format!("Income of the twelve months ending with it, {currency}"),
        ]),
        rows: monthly,
    });
    out
}

fn clamp(c: i128) -> i64 {
    c.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}
