//! `seed --demo` / `serve --demo`: the demo department's web form, ready to embed from a local test
//! website.

use sea_query::{Expr, ExprTrait, Query};

use crate::db::Db;

/// The demo department.
pub const DEPARTMENT: &str = "Global sales";
/// Its lead source for the embedded form (one of the five every department starts with).
pub const SOURCE: &str = "website form (iframe)";
/// A local website that may embed it (`python3 -m http.server 8080` in a folder with a page holding
/// the snippet).
pub const ORIGINS: &str = "http://localhost:8080\nhttp://127.0.0.1:8080";

/// Lets the demo website embed the demo department's web form (unless origins were set already);
/// returns the form's token.
pub async fn web_form(db: &Db) -> anyhow::Result<Option<String>> {
    let row: Option<(i64, String, String)> = db
        .fetch_optional(
            &Query::select()
                .columns([("s", "id"), ("s", "token"), ("s", "allowed_origins")])
                .from_as("lead_sources", "s")
                .inner_join("departments", Expr::col(("departments", "id")).equals(("s", "department_id")))
                .and_where(Expr::col(("departments", "name")).eq(DEPARTMENT))
                .and_where(Expr::col(("s", "name")).eq(SOURCE))
                .to_owned(),
        )
        .await?;
    let Some((id, token, origins)) = row else { return Ok(None) };
    if origins.trim().is_empty() {
        db.execute(
            &Query::update()
                .table("lead_sources")
                .value("allowed_origins", ORIGINS)
                .and_where(Expr::col("id").eq(id))
                .to_owned(),
        )
        .await?;
    }
    Ok(Some(token))
}
