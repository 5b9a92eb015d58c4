//! Indexes for the analytics reports (issue 11). The reports count the rows of a window of dates:
//! deals by closing date (Sales funnel §5.2, won deals §5.1 and §5.8) and requests by receipt date
//! (Requests summary §5.4, Deal summary §5.8); these let such a query read only the window and
//! filter it by department and owner. (Payments already have `ix_payments_status_date` and
//! `ix_payments_department_date`.)
//!
//! Single-column on purpose: an index led by `department_id` (and `active`) looked as good to
//! PostgreSQL as the lists' own indexes on small tables and took the manager's deal list off
//! `ix_deals_owner` (`schema::the_deal_list_orders_and_filters_walk_their_indexes`).

use super::{Stmt, index};

pub fn statements() -> Vec<Stmt> {
    vec![
        index("ix_deals_closing_date", "deals", &["closing_date"]),
        index("ix_requests_receipt_date", "requests", &["receipt_date"]),
    ]
}
