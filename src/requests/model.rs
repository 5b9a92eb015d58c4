//! STUB (helper B's branch): Helper A owns this file; the merge takes A's version.

/// What matching reads and fills on a request (a subset of its row).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inquiry {
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub website: String,
    pub company_name: String,
    pub country_id: Option<i64>,
    pub city_id: Option<i64>,
    pub city_name: String,
    pub contact_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub company_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub co_owner_id: Option<i64>,
    pub department_id: i64,
    pub verification_required: bool,
}
