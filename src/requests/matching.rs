//! STUB (helper B's branch): Helper A owns this file; the merge takes A's version (§6.4). No
//! linking here.

use super::model::Inquiry;
use crate::db::Tx;

/// §6.4 find_contact_or_lead then find_company (links only; sets verification_required when it links),
/// then update_request_data (copies phone/company/country/city/website/owner from what it found).
pub async fn auto_link(_tx: &mut Tx, _r: &mut Inquiry) -> Result<(), sqlx::Error> {
    Ok(())
}

/// §6.4 get_or_create_contact_or_lead (a request leaving pending without contact or lead): links or creates.
pub async fn get_or_create_counterparty(
    _tx: &mut Tx,
    _r: &mut Inquiry,
    _actor: &crate::history::Actor,
) -> Result<(), sqlx::Error> {
    Ok(())
}
