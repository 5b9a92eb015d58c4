//! The payments list of §13.5 beyond the generic CRM list: the status and payment-date filters,
//! and its header line "Total sum: <marketing> (<with VAT>) <marketing currency> | <state> (<with
//! VAT>) <state currency> | <rate type>" over the whole filtered, scoped list.
//!
//! The total is summed by the database, grouped by currency and exchange rate (the payment day's
//! dated rate when there is one, else the currency's current rate), so the answer is a few rows
//! per currency and rate day, never the payments; each group's integer sum is converted in Rust
//! with i128 (amount × rate can pass i64) and rounded once.

use std::collections::HashMap;

use poem::{IntoResponse, Response};
use sea_query::{Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};

use super::list::{self, Filter};
use crate::access::{ItemKind, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::AppResult;

const T: &str = "payments";

/// Adds the payments list's own filters (`crm::list::filtered` calls it after the access scope).
/// An invalid date filter narrows nothing here: the handler answers 422 before listing.
pub fn narrow(f: &Filter, q: &mut SelectStatement) {
    if super::money::PAYMENT_STATUS.iter().any(|(k, _)| *k == f.status) {
        q.and_where(Expr::col((T, "status")).eq(f.status.as_str()));
    }
    if let Ok(r) = f.period.range(crate::time::today()) {
        super::period::DateFilter::narrow_date(r, (T, "payment_date"), q);
    }
}

/// A total in one currency: hundredths, and with VAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    pub cents: i128,
    pub with_vat: i128,
    pub currency: String,
}

/// The list's header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sum {
    pub marketing: Option<Amount>,
    pub state: Option<Amount>,
    /// Every payment was converted with an official dated rate.
    pub official: bool,
    pub vat_percent: u32,
}

impl Sum {
    pub fn rate_type(&self) -> &'static str {
        if self.official { "official currency rate" } else { "approximate" }
    }
}

/// `cents × rate_e8 / 10^8`, rounded half away from zero.
fn convert(cents: i128, rate_e8: i128) -> i128 {
    let p = cents * rate_e8;
    let half = 50_000_000;
    if p >= 0 { (p + half) / 100_000_000 } else { (p - half) / 100_000_000 }
}

fn with_vat(cents: i128, vat_percent: u32) -> i128 {
    let p = cents * (100 + vat_percent as i128);
    if p >= 0 { (p + 50) / 100 } else { (p - 50) / 100 }
}

/// The total of every payment the filter finds for `v` (not only the page), or None when the
/// list is empty.
pub async fn sum(db: &Db, v: &Viewer, f: &Filter, vat_percent: u32) -> AppResult<Option<Sum>> {
    let spec = &super::money::PAYMENT;
    // The dated rate of the payment's currency on its day (ux_currency_rates_day), else the
    // currency's own rate.
    let rate = |col: &'static str| -> SimpleExpr {
        Func::coalesce([Expr::col(("currency_rates", col)), Expr::col(("currencies", col))]).into()
    };
    let official: SimpleExpr =
        Expr::case(Expr::col(("currency_rates", "rate_type")).eq("official"), 1).finally(0).into();
    let mut q = Query::select();
    q.inner_join(super::deal::SPEC.kind.info().table, Expr::col(("deals", "id")).equals((T, "deal_id")))
        .inner_join("currencies", Expr::col(("currencies", "id")).equals((T, "currency_id")))
        .left_join(
            "currency_rates",
            Expr::col(("currency_rates", "currency_id"))
                .equals((T, "currency_id"))
                .and(Expr::col(("currency_rates", "rate_date")).equals((T, "payment_date"))),
        )
        .expr(rate("rate_to_state_e8"))
        .expr(rate("rate_to_marketing_e8"))
        .expr(Func::min(official.clone()))
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back so both backends decode an i64.
        .expr(Func::cast_as(Func::sum(Expr::col((T, "amount_cents"))), "BIGINT"))
        .from(T)
        .add_group_by([rate("rate_to_state_e8"), rate("rate_to_marketing_e8")]);
    let q = list::filtered(db, v, spec, f, q).await?;
    let groups: Vec<(i64, i64, i32, i64)> = db.fetch_all(&q).await?;
    if groups.is_empty() {
        return Ok(None);
    }
    let (mut state, mut marketing, mut all_official) = (0i128, 0i128, true);
    for (to_state, to_marketing, official, cents) in &groups {
        state += convert(*cents as i128, *to_state as i128);
        marketing += convert(*cents as i128, *to_marketing as i128);
        all_official &= *official == 1;
    }
    let names: Vec<(String, bool, bool)> = db
        .fetch_all(
            Query::select()
                .columns(["name", "is_state_currency", "is_marketing_currency"])
                .from("currencies")
                .and_where(Expr::col("is_state_currency").eq(true).or(Expr::col("is_marketing_currency").eq(true))),
        )
        .await?;
    let named = |pick: fn(&(String, bool, bool)) -> bool, cents: i128| {
        names.iter().find(|n| pick(n)).map(|n| Amount {
            cents,
            with_vat: with_vat(cents, vat_percent),
            currency: n.0.clone(),
        })
    };
    Ok(Some(Sum {
        marketing: named(|n| n.2, marketing),
        state: named(|n| n.1, state),
        official: all_official,
        vat_percent,
    }))
}

/// The headers of the columns §13.5 adds to a payment's fields.
pub const EXTRA: &[&str] = &["Counterparty", "Products", "Person"];

/// A page's counterparty, products ("<product> - <qty>pcs") and person (the deal's owner and
/// co-owner) per payment: two queries over the page's deals, whatever the page's length.
pub async fn extra(db: &Db, records: &[super::repo::Record]) -> AppResult<HashMap<i64, Vec<maud::Markup>>> {
    let spec = &super::money::PAYMENT;
    let deal_of: Vec<(i64, i64)> =
        records.iter().filter_map(|r| r.get(spec, "deal_id").int().map(|d| (r.id, d))).collect();
    let deals: Vec<i64> =
        deal_of.iter().map(|(_, d)| *d).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let mut out = HashMap::new();
    if deals.is_empty() {
        return Ok(out);
    }
    let person = |first: Option<String>, last: Option<String>| {
        let n = format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
        (!n.trim().is_empty()).then(|| n.trim().to_string())
    };
    type DealRow = (i64, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
    let rows: Vec<DealRow> = db
        .fetch_all(
            Query::select()
                .column(("deals", "id"))
                .expr_as(Expr::col(("companies", "full_name")), "company")
                .expr_as(Expr::col(("o", "first_name")), "owner_first")
                .expr_as(Expr::col(("o", "last_name")), "owner_last")
                .expr_as(Expr::col(("c", "first_name")), "co_first")
                .expr_as(Expr::col(("c", "last_name")), "co_last")
                .from("deals")
                .left_join("companies", Expr::col(("companies", "id")).equals(("deals", "company_id")))
                .join_as(
                    sea_query::JoinType::LeftJoin,
                    "users",
                    "o",
                    Expr::col(("o", "id")).equals(("deals", "owner_id")),
                )
                .join_as(
                    sea_query::JoinType::LeftJoin,
                    "users",
                    "c",
                    Expr::col(("c", "id")).equals(("deals", "co_owner_id")),
                )
                .and_where(Expr::col(("deals", "id")).is_in(deals.clone())),
        )
        .await?;
    let deal_info: HashMap<i64, (Option<String>, Vec<String>)> = rows
        .into_iter()
        .map(|(id, company, of, ol, cf, cl)| {
            (id, (company, [person(of, ol), person(cf, cl)].into_iter().flatten().collect()))
        })
        .collect();
    let lines: Vec<(i64, String, i32)> = db
        .fetch_all(
            Query::select()
                .column(("outputs", "deal_id"))
                .expr_as(Expr::col(("products", "name")), "product")
                .column(("outputs", "quantity"))
                .from("outputs")
                .inner_join("products", Expr::col(("products", "id")).equals(("outputs", "product_id")))
                .and_where(Expr::col(("outputs", "deal_id")).is_in(deals))
                .order_by(("outputs", "id"), sea_query::Order::Asc)
                .limit(2_000),
        )
        .await?;
    let mut products: HashMap<i64, Vec<String>> = HashMap::new();
    for (deal, name, qty) in lines {
        products.entry(deal).or_default().push(format!("{name} - {qty}pcs"));
    }
    for (payment, deal) in deal_of {
        let (company, people) = deal_info.get(&deal).cloned().unwrap_or_default();
        let items = products.get(&deal).cloned().unwrap_or_default();
        out.insert(payment, crate::views::period::payment_cells(company.as_deref(), &items, &people));
    }
    Ok(out)
}

/// `GET /payments`: the generic list with the date and status filters; its total line is asked
/// for after the page is shown (`sum_line`), as the lists' counts are.
pub async fn index(state: &AppState, viewer: &Viewer, hx: crate::htmx::HxRequest, f: &Filter) -> AppResult<Response> {
    let spec = &super::money::PAYMENT;
    let invalid = f.period.range(crate::time::today()).err();
    let page = match &invalid {
        Some(_) => crate::paging::Paged::window(Vec::new(), 1),
        None => list::list(&state.db, viewer, spec, f).await?,
    };
    let names = super::choices::names(&state.db, spec, &page.items.iter().collect::<Vec<_>>()).await?;
    let departments = super::handlers::department_filter(state, viewer, spec).await?;
    let can_create = super::handlers::can_create(state, viewer, spec).await?;
    let more = crate::views::period::payment_filters(f);
    let cells = extra(&state.db, &page.items).await?;
    let summary = match &invalid {
        Some(msg) => crate::views::period::payment_sum(None, Some(msg)),
        // An empty first page: no payment, no total to ask for.
        None if page.items.is_empty() && page.page == 1 => maud::html! {},
        None => crate::views::period::payment_sum_pending(&sum_url(f)),
    };
    let rows = crate::views::crm::Rows {
        spec,
        page: &page,
        names: &names,
        filter: f,
        departments: &departments,
        can_create,
        select: false,
        tags: &[],
        warn_filters: list::words_with_filters(viewer, spec, f),
        elsewhere: &[],
        more_filters: Some(more),
        extra: Some((EXTRA, &cells)),
        summary: Some(summary),
    };
    let m = if hx.0 {
        crate::views::crm::list(&rows)
    } else {
        let cx = crate::web::page_cx(state, viewer, crate::views::layout::Nav::Crm(ItemKind::Payment), hx).await?;
        crate::views::crm::index(&cx, &rows)
    };
    Ok(if invalid.is_some() { crate::web::invalid(m) } else { m.into_response() })
}

/// `/payments/sum?<the list's filters>` (no page: the line is the whole filtered list's).
pub fn sum_url(f: &Filter) -> String {
    format!("{}/sum{}", super::money::PAYMENT.kind.info().path, f.query(1))
}

/// `GET /payments/sum?<filters>`: the list's "Total sum" line, asked for after the page is shown.
/// Summing every filtered payment costs tens of milliseconds at 100,000 payments: it is kept per
/// viewer and filter (and day: the period filters are relative) until the next change. The same
/// scope as the list (`list::filtered`): a viewer who does not read payments is refused.
#[poem::handler]
pub async fn sum_line(
    state: poem::web::Data<&AppState>,
    viewer: Viewer,
    crate::web::Query(f): crate::web::Query<Filter>,
) -> AppResult<Response> {
    if let Err(msg) = f.period.range(crate::time::today()) {
        return Ok(crate::web::invalid(crate::views::period::payment_sum(None, Some(&msg))));
    }
    let key = format!("payments{}|{}", f.query(1), crate::time::today());
    let total = state.payment_sums.get(viewer.id, key, sum(&state.db, &viewer, &f, state.config.vat_percent)).await?;
    Ok(crate::views::period::payment_sum(total.as_ref(), None).into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn conversions_round_once_half_away_from_zero() {
        assert_eq!(super::convert(100, 150_000_000), 150);
        assert_eq!(super::convert(1, 50_000_000), 1); // 0.5 cent → 1
        assert_eq!(super::convert(-1, 50_000_000), -1);
        assert_eq!(super::with_vat(1000, 20), 1200);
        assert_eq!(super::with_vat(5, 10), 6); // 5.5 → 6
        // Sums past i64 after conversion stay exact.
        assert_eq!(super::convert(i64::MAX as i128, 200_000_000), 2 * i64::MAX as i128);
    }
}
