//! STUB (helper B's branch): Helper A owns this file; the merge takes A's version (§6.6).

use crate::db::Tx;

pub async fn country_by_name(_tx: &mut Tx, _name: &str) -> Result<Option<i64>, sqlx::Error> {
    Ok(None)
}

/// §6.6: the city of `country_id` named `name` (created when missing); None for an empty name.
pub async fn resolve_city(_tx: &mut Tx, _country_id: i64, _name: &str) -> Result<Option<i64>, sqlx::Error> {
    Ok(None)
}
