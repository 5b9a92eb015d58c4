//! Indexes for the analytics reports (issue 11). Every report is a few aggregate queries over one
//! department's (or every department's) rows in a window of dates; these let each query read only
//! that window instead of the department's whole history:
//! - received / forecast payments of a department by date (Income Summary, §5.1);
//! - closed deals of a department by closing date (Sales funnel §5.2, won deals §5.1 and §5.8);
//! - requests of a department by receipt date (Requests summary §5.4, Deal summary §5.8).

use super::{Stmt, index};

pub fn statements() -> Vec<Stmt> {
    vec![
        index("ix_payments_department_status_date", "payments", &["department_id", "status", "payment_date"]),
        index("ix_deals_department_closing", "deals", &["department_id", "active", "closing_date"]),
        index("ix_deals_closing", "deals", &["active", "closing_date"]),
        index("ix_requests_department_receipt", "requests", &["department_id", "receipt_date"]),
        index("ix_requests_receipt", "requests", &["receipt_date"]),
    ]
}
