//! The extended date filter of §13.9, one component for every CRM list that filters by a date:
//! "Any date", the usual periods, the original's four extra ones and a custom "from … before …".
//! A period is a half-open range of days `[from, before)` counted from the viewer's today (their
//! time zone: `time::today` reads the request's zone), so a date column is compared directly and a
//! timestamp column through `time::start_of_day`.

use chrono::{Datelike, Months, NaiveDate};
use sea_query::{Expr, ExprTrait, SelectStatement};
use serde::Deserialize;

/// The choices, as (query value, label), in the order the filter shows them.
pub const PERIODS: &[(&str, &str)] = &[
    ("", "Any date"),
    ("today", "Today"),
    ("week", "Past 7 days"),
    ("month", "This month"),
    ("year", "This year"),
    ("last_month", "Last month"),
    ("first_half", "First half of the year"),
    ("nine_months", "Nine months of this year"),
    ("last_second_half", "Second half of the last year"),
    ("custom", "Specify dates"),
];

/// The filter's part of a list's query string: `date` (a `PERIODS` key), and for "custom"
/// `date_from` / `date_before` (YYYY-MM-DD; either may be empty).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct DateFilter {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub date_from: String,
    #[serde(default)]
    pub date_before: String,
}

/// A range of days: `from` inclusive, `before` exclusive; either end may be open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Range {
    pub from: Option<NaiveDate>,
    pub before: Option<NaiveDate>,
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn parse_day(s: &str, label: &str) -> Result<Option<NaiveDate>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| {
        format!("“{}” is not a date: write the {label} date as YYYY-MM-DD.", s.chars().take(40).collect::<String>())
    })
}

impl DateFilter {
    /// The query string's pairs (empty values are left out by `ui::query`). Custom dates are kept
    /// only with "custom", so switching to another period drops them.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let custom = self.date == "custom" || self.date.is_empty();
        vec![
            ("date", self.date.clone()),
            ("date_from", if custom { self.date_from.clone() } else { String::new() }),
            ("date_before", if custom { self.date_before.clone() } else { String::new() }),
        ]
    }

    /// The range of days the filter means on `today`, or the message a user reads.
    pub fn range(&self, today: NaiveDate) -> Result<Range, String> {
        let (y, m) = (today.year(), today.month());
        let first_of_month = ymd(y, m, 1).unwrap_or(today);
        let next_month = first_of_month.checked_add_months(Months::new(1));
        let r = |from: Option<NaiveDate>, before: Option<NaiveDate>| Ok(Range { from, before });
        match self.date.as_str() {
            // Dates typed without choosing "Specify dates" mean it.
            "" if !(self.date_from.trim().is_empty() && self.date_before.trim().is_empty()) => {
                DateFilter { date: "custom".into(), ..self.clone() }.range(today)
            }
            "" => r(None, None),
            "today" => r(Some(today), today.succ_opt()),
            // Django's "Past 7 days": today and the six days before it.
            "week" => r(today.checked_sub_days(chrono::Days::new(6)), today.succ_opt()),
            "month" => r(Some(first_of_month), next_month),
            "year" => r(ymd(y, 1, 1), ymd(y + 1, 1, 1)),
            "last_month" => r(first_of_month.checked_sub_months(Months::new(1)), Some(first_of_month)),
            "first_half" => r(ymd(y, 1, 1), ymd(y, 7, 1)),
            "nine_months" => r(ymd(y, 1, 1), ymd(y, 10, 1)),
            "last_second_half" => r(ymd(y - 1, 7, 1), ymd(y, 1, 1)),
            "custom" => {
                let from = parse_day(&self.date_from, "“from”")?;
                let before = parse_day(&self.date_before, "“before”")?;
                if let (Some(f), Some(b)) = (from, before)
                    && b <= f
                {
                    return Err("The “before” date must be later than the “from” date.".into());
                }
                r(from, before)
            }
            other => Err(format!(
                "“{}” is not one of the date filter's periods.",
                other.chars().take(40).collect::<String>()
            )),
        }
    }

    /// Narrows `q` to the rows whose date column `col` falls in the range.
    pub fn narrow_date(range: Range, col: (&'static str, &'static str), q: &mut SelectStatement) {
        if let Some(f) = range.from {
            q.and_where(Expr::col(col).gte(f));
        }
        if let Some(b) = range.before {
            q.and_where(Expr::col(col).lt(b));
        }
    }

    /// Narrows `q` to the rows whose timestamp column `col` falls on one of the range's days, in
    /// the viewer's time zone.
    pub fn narrow_time(range: Range, col: (&'static str, &'static str), q: &mut SelectStatement) {
        if let Some(f) = range.from {
            q.and_where(Expr::col(col).gte(crate::time::start_of_day(f)));
        }
        if let Some(b) = range.before {
            q.and_where(Expr::col(col).lt(crate::time::start_of_day(b)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn range(date: &str, today: &str) -> (Option<String>, Option<String>) {
        let f = DateFilter { date: date.into(), ..Default::default() };
        let r = f.range(d(today)).unwrap();
        (r.from.map(|x| x.to_string()), r.before.map(|x| x.to_string()))
    }

    fn s(x: &str) -> Option<String> {
        Some(x.to_string())
    }

    #[test]
    fn every_period_is_the_right_range_of_days() {
        assert_eq!(range("", "2026-12-04"), (None, None));
        assert_eq!(range("today", "2026-12-04"), (s("2026-12-04"), s("2026-12-05")));
        assert_eq!(range("week", "2026-12-04"), (s("2026-11-28"), s("2026-12-05")));
        assert_eq!(range("month", "2026-12-04"), (s("2026-12-01"), s("2027-01-01")));
        assert_eq!(range("year", "2026-12-04"), (s("2026-01-01"), s("2027-01-01")));
        assert_eq!(range("last_month", "2026-01-31"), (s("2025-12-01"), s("2026-01-01")));
        assert_eq!(range("last_month", "2026-03-31"), (s("2026-02-01"), s("2026-03-01")));
        assert_eq!(range("first_half", "2026-12-04"), (s("2026-01-01"), s("2026-07-01")));
        assert_eq!(range("nine_months", "2026-12-04"), (s("2026-01-01"), s("2026-10-01")));
        assert_eq!(range("last_second_half", "2026-02-10"), (s("2025-07-01"), s("2026-01-01")));
    }

    #[test]
    fn custom_dates_are_checked_with_a_message() {
        let f = |from: &str, before: &str| DateFilter {
            date: "custom".into(),
            date_from: from.into(),
            date_before: before.into(),
        };
        let today = d("2026-12-04");
        assert_eq!(f("2026-01-01", "").range(today).unwrap(), Range { from: Some(d("2026-01-01")), before: None });
        assert_eq!(f("", "").range(today).unwrap(), Range::default());
        assert!(f("2026-13-01", "").range(today).unwrap_err().contains("YYYY-MM-DD"));
        assert!(f("", "yesterday").range(today).unwrap_err().contains("“before”"));
        assert!(f("2026-05-01", "2026-05-01").range(today).unwrap_err().contains("later"));
        let bad = DateFilter { date: "<script>".into(), ..Default::default() };
        assert!(bad.range(today).is_err());
    }

    #[test]
    fn custom_dates_are_dropped_from_the_query_with_another_period() {
        let f = DateFilter { date: "month".into(), date_from: "2026-01-01".into(), date_before: String::new() };
        assert_eq!(f.pairs()[1].1, "");
    }
}
