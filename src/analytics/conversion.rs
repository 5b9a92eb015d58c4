//! Conversion Summary (§5.6): the share of requests that became won deals, over the last 365
//! days and per receipt month, for all requests and for primary ones. The base and "won" are the
//! Requests Summary's (`requests::summary`: no duplicates, "case" requests or requests of
//! disqualified leads; won = success closing reason, success or conditional-success stage).

use super::requests::{RequestSummary, ratio};
use super::scope::Scope;
use crate::db::Db;
use crate::error::AppResult;

pub async fn load(db: &Db, s: &Scope) -> AppResult<RequestSummary> {
    super::requests::summary(db, s).await
}

/// Per month: won ÷ requests × 100 (one decimal; 0 for a month without requests).
pub fn monthly(won: &[i64], of: &[i64]) -> Vec<f64> {
    won.iter().zip(of).map(|(w, n)| ratio(*w, *n)).collect()
}

/// The page's figures as sheets (`/analytics/conversion/export`).
pub fn sheets(r: &RequestSummary) -> Vec<crate::excel::Sheet> {
    use crate::excel::{Cell, Sheet};
    let line = |label: &str, v: Cell| vec![Cell::from(label), v];
    let summary = vec![
        line("Conversion (%)", Cell::Number(ratio(r.won(), r.total()))),
        line("Conversion of primary requests (%)", Cell::Number(ratio(r.primary_won, r.primary))),
        line("Total requests", Cell::Int(r.total())),
        line("Total primary requests", Cell::Int(r.primary)),
    ];
    let all = monthly(&r.monthly_won, &r.monthly);
    let primary = monthly(&r.monthly_primary_won, &r.monthly_primary);
    let rows = r
        .months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let at = |v: &[i64]| Cell::Int(v.get(i).copied().unwrap_or(0));
            let pct = |v: &[f64]| Cell::Number(v.get(i).copied().unwrap_or(0.0));
            vec![
                Cell::from(super::scope::month_label(*m)),
                at(&r.monthly),
                at(&r.monthly_won),
                pct(&all),
                at(&r.monthly_primary),
                at(&r.monthly_primary_won),
                pct(&primary),
            ]
        })
        .collect();
    let headers = [
        "Month",
        "Requests",
        "Won",
        "Conversion (%)",
        "Primary requests",
        "Primary won",
        "Conversion of primary requests (%)",
    ];
    vec![
        Sheet { name: "Summary".into(), headers: vec!["Figure".into(), "Value".into()], rows: summary },
        Sheet { name: "Conversion by month".into(), headers: headers.map(String::from).to_vec(), rows },
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_month_without_requests_converts_nothing() {
        assert_eq!(super::monthly(&[1, 0, 2], &[3, 0, 2]), vec![33.3, 0.0, 100.0]);
    }
}
