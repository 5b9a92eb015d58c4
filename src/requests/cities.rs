//! §6.6 city resolution and the country of a name typed in a form or found by IP geolocation (§6.3).
//!
//! Both match names as data, never as patterns: the original built a regular expression from the
//! posted (public, hidden-field) country name and ran it in the database (§1.3 of the security
//! guide: regex injection, a 500 on an invalid pattern).

use sea_query::{Expr, ExprTrait, Func, OnConflict, Order, Query};

use crate::db::Tx;

/// A name as it is compared: whitespace folded, lower-cased (`text::fold`).
fn same(a: &str, b: &str) -> bool {
    crate::text::fold(a) == crate::text::fold(b)
}

/// Whether `name` is `official` or one of the comma-separated `alternatives`, ignoring case.
fn names_match(name: &str, official: &str, alternatives: &str) -> bool {
    if name.trim().is_empty() {
        return false;
    }
    same(name, official) || alternatives.split(',').any(|a| !a.trim().is_empty() && same(name, a))
}

/// The country named `name` (its name or one of its alternative names, ignoring case and spacing):
/// "Turkey" finds "Turkiye" when listed among its alternative names. None for an empty or unknown
/// name (the caller logs it; the original emailed the administrators each time, a mail flood from
/// a public form).
pub async fn country_by_name(tx: &mut Tx, name: &str) -> Result<Option<i64>, sqlx::Error> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    // The common case, an official name typed as it is stored (whatever the case of ASCII letters):
    // one query that returns the row. A hit is a match by `same` too.
    let key = crate::text::fold(name);
    let exact: Option<i64> = tx
        .scalar(
            Query::select()
                .column("id")
                .from("countries")
                .and_where(Expr::expr(Func::lower(Expr::col("name"))).eq(key))
                .order_by("id", Order::Asc)
                .limit(1),
        )
        .await?;
    if exact.is_some() {
        return Ok(exact);
    }
    // About 200 short rows: read them all rather than keep a second, derived name column in sync.
    let all: Vec<(i64, String, String)> = tx
        .fetch_all(
            Query::select().columns(["id", "name", "alternative_names"]).from("countries").order_by("id", Order::Asc),
        )
        .await?;
    if let Some((id, ..)) = all.iter().find(|(_, n, _)| same(name, n)) {
        return Ok(Some(*id));
    }
    Ok(all.iter().find(|(_, n, alt)| names_match(name, n, alt)).map(|(id, ..)| *id))
}

/// A typed city name as it is looked up and stored: whitespace folded, trailing "." and "," gone.
pub fn clean_city_name(name: &str) -> String {
    let folded = name.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.trim_end_matches(['.', ',', ' ']).chars().take(100).collect::<String>().trim_end().to_string()
}

/// §6.6: the city of `country_id` named `name` (created when missing); None for an empty name.
/// Looked up by name ignoring case (`cities.name_key`, the unique index), then among the country's
/// cities' alternative names. Several cities sharing an alternative name: the oldest, with a warning
/// in the log (the original emailed the administrators).
pub async fn resolve_city(tx: &mut Tx, country_id: i64, name: &str) -> Result<Option<i64>, sqlx::Error> {
    let name = clean_city_name(name);
    if name.is_empty() {
        return Ok(None);
    }
    let key = crate::text::fold(&name);
    let by_name = |key: String| {
        Query::select()
            .column("id")
            .from("cities")
            .and_where(Expr::col("country_id").eq(country_id))
            .and_where(Expr::col("name_key").eq(key))
            .to_owned()
    };
    if let Some(id) = tx.scalar::<i64>(&by_name(key.clone())).await? {
        return Ok(Some(id));
    }
    // The country's cities that have alternative names (served by the (country_id, name_key) index).
    let alternatives: Vec<(i64, String)> = tx
        .fetch_all(
            Query::select()
                .columns(["id", "alternative_names"])
                .from("cities")
                .and_where(Expr::col("country_id").eq(country_id))
                .and_where(Expr::col("alternative_names").ne(""))
                .order_by("id", Order::Asc),
        )
        .await?;
    let found: Vec<i64> =
        alternatives.iter().filter(|(_, alt)| names_match(&name, "", alt)).map(|(id, _)| *id).collect();
    if found.len() > 1 {
        tracing::warn!(country_id, city = ?name, cities = ?found, "several cities have this alternative name");
    }
    if let Some(id) = found.first() {
        return Ok(Some(*id));
    }
    // Two submissions racing to create the same city: the second does nothing and reads the first's.
    tx.execute(
        Query::insert()
            .into_table("cities")
            .columns(["name", "name_key", "alternative_names", "country_id"])
            .values_panic([name.clone().into(), key.clone().into(), "".into(), country_id.into()])
            .on_conflict(OnConflict::columns(["country_id", "name_key"]).do_nothing().to_owned()),
    )
    .await?;
    tx.scalar::<i64>(&by_name(key)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn city_names_lose_trailing_punctuation_and_extra_spaces() {
        assert_eq!(clean_city_name("  New   York., "), "New York");
        assert_eq!(clean_city_name("St. Petersburg"), "St. Petersburg");
        assert_eq!(clean_city_name(" .,"), "");
    }

    #[test]
    fn alternative_names_are_a_comma_list_matched_whole() {
        assert!(names_match("turkey", "Turkiye", "Turkey, Türkei"));
        assert!(names_match("TÜRKEI", "Turkiye", "Turkey, Türkei"));
        assert!(!names_match("Turk", "Turkiye", "Turkey"));
        assert!(!names_match("", "", " , "));
    }
}
