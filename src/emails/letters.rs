//! "Last few letters" (§7.1): the four latest emails, not in the trash, of a company, contact
//! person, lead, deal or request that the viewer may see. One query per page (the emails with their
//! files flag, `emails::list::select`), over the email table's index of that relation.

use sea_query::{Expr, ExprTrait, Order};

use crate::access::{self, ItemKind, ListKind, Viewer};
use crate::crm::repo::Names;
use crate::db::Db;
use crate::error::AppResult;

/// How many letters the block shows.
pub const LATEST: u64 = 4;

/// The email column that links to an object of `kind`, for the kinds whose pages show letters.
pub fn column(kind: ItemKind) -> Option<&'static str> {
    Some(match kind {
        ItemKind::Company => "company_id",
        ItemKind::Contact => "contact_id",
        ItemKind::Lead => "lead_id",
        ItemKind::Deal => "deal_id",
        ItemKind::Request => "request_id",
        _ => return None,
    })
}

/// The letters of object `(kind, id)` `v` may see, newest first; None when the kind has no block or
/// the viewer reads no emails.
pub async fn latest(db: &Db, v: &Viewer, kind: ItemKind, id: i64) -> AppResult<Option<Vec<super::list::Row>>> {
    let Some(col) = column(kind) else { return Ok(None) };
    if !access::reads_crm(v, ItemKind::Email) {
        return Ok(None);
    }
    let (mut q, tys) = super::list::select();
    let t = "crm_emails";
    q.and_where(Expr::col((t, col)).eq(id))
        .and_where(Expr::col((t, "trash")).eq(false))
        .order_by((t, "created_at"), Order::Desc)
        .order_by((t, "id"), Order::Desc)
        .limit(LATEST);
    // The relation's index leads (a few rows); the department is a filter on them.
    access::scope_as_filter(v, ListKind::Crm(ItemKind::Email), &mut q)?;
    Ok(Some(super::list::rows(db, q, tys).await?))
}

/// The block for the page of `(kind, id)`, or nothing.
pub async fn block(db: &Db, v: &Viewer, kind: ItemKind, id: i64) -> AppResult<Option<maud::Markup>> {
    Ok(latest(db, v, kind, id).await?.map(|rows| crate::views::emails::letters(v, &rows, &Names::default())))
}
