//! The administrators' spam lists (inventory §2.7, §6.3): stop phrases in the subject or message,
//! banned company names (contained in the posted company, ignoring case).

use sea_query::{Expr, ExprTrait, Query};

use crate::db::Db;
use crate::error::AppError;

/// The case-insensitive form both lists compare.
pub fn key(s: &str) -> String {
    crate::text::fold(s)
}

/// Whether `company` contains a banned company name.
pub async fn banned(db: &Db, company: &str) -> Result<bool, AppError> {
    let names: Vec<(String,)> =
        db.fetch_all(&Query::select().column("name_key").from("banned_company_names").to_owned()).await?;
    let company = key(company);
    Ok(names.iter().any(|(n,)| !n.is_empty() && company.contains(n.as_str())))
}

/// The first stop phrase found in `subject` or `message`; its last occurrence is recorded.
pub async fn stop_phrase(db: &Db, subject: &str, message: &str) -> Result<Option<i64>, AppError> {
    let phrases: Vec<(i64, String)> =
        db.fetch_all(&Query::select().columns(["id", "phrase_key"]).from("stop_phrases").to_owned()).await?;
    let text = key(&format!("{subject}\n{message}"));
    let Some((id, _)) = phrases.into_iter().find(|(_, p)| !p.is_empty() && text.contains(p.as_str())) else {
        return Ok(None);
    };
    db.execute(
        &Query::update()
            .table("stop_phrases")
            .value("last_occurrence_at", crate::db::now())
            .and_where(Expr::col("id").eq(id))
            .to_owned(),
    )
    .await?;
    Ok(Some(id))
}
