//! Time as each user lives it: stored in UTC, shown and typed in the viewer's time zone.
//!
//! The session layer runs every request inside `in_zone(viewer's zone, …)`, so views and handlers ask
//! `zone()`, `today()` and `local()` without passing the zone through every function. Outside a
//! request (jobs, the CLI) the zone is UTC.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

tokio::task_local! {
    static ZONE: Tz;
}

/// Runs `f` with `tz` as the zone of everything it shows.
pub async fn in_zone<F: std::future::Future>(tz: Tz, f: F) -> F::Output {
    ZONE.scope(tz, f).await
}

/// The current viewer's zone (UTC outside a request).
pub fn zone() -> Tz {
    ZONE.try_with(|z| *z).unwrap_or(Tz::UTC)
}

/// A stored zone name, or UTC when it is empty or unknown.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// `t` in the viewer's zone.
pub fn local(t: &DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&zone())
}

/// Today's date where the viewer is ("overdue", "today" and closing dates follow it).
pub fn today() -> NaiveDate {
    local(&crate::db::now()).date_naive()
}

/// A date and time typed by the viewer (`2026-12-01T09:30`), as UTC. In the hour a clock is put
/// back the earlier instant is taken; a time skipped when it is put forward does not exist: `None`.
pub fn from_local(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone().from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// When the viewer's day `d` begins, as UTC (a date filter's bound). A midnight that the clock
/// skips (a zone that changes at 00:00) begins the day at the first hour that exists.
pub fn start_of_day(d: NaiveDate) -> DateTime<Utc> {
    (0..3)
        .filter_map(|h| d.and_hms_opt(h, 0, 0).and_then(from_local))
        .next()
        .unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Every zone name, for the profile's picker.
pub fn zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_time_typed_in_berlin_is_stored_in_utc_and_shown_back_in_berlin() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        in_zone(berlin, async {
            let naive = NaiveDateTime::parse_from_str("2026-07-01T09:30", "%Y-%m-%dT%H:%M").ok();
            let utc = naive.and_then(from_local);
            assert_eq!(utc.map(|t| t.to_rfc3339()).as_deref(), Some("2026-07-01T07:30:00+00:00"));
            assert_eq!(utc.map(|t| local(&t).format("%H:%M").to_string()).as_deref(), Some("09:30"));
            // 02:30 on the spring-forward night does not exist in Berlin.
            let gap = NaiveDateTime::parse_from_str("2026-03-29T02:30", "%Y-%m-%dT%H:%M").ok();
            assert_eq!(gap.and_then(from_local), None);
        })
        .await;
        assert_eq!(zone(), Tz::UTC, "outside a request the zone is UTC");
    }
}
