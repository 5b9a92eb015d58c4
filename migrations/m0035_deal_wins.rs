//! "Won deals" (§5.1, §5.8: closed, inactive, with a success closing reason, in the last 365 days;
//! `analytics::income::won`) is counted on every Income Summary and Deal Summary. It walked
//! `ix_deals_closing_date` and read each deal of the year for its flag, reason and dates: 19k row
//! reads for a chief at 50k deals (34 ms). This index holds what the count reads, so it is answered
//! from the index alone (7 ms). `active` leads: the count asks for inactive deals by equality and
//! their closing dates by range, both answered by the index's order, so no other deals index that
//! starts with `active` is a better match, with or without statistics.

use super::{Stmt, index};

pub fn statements() -> Vec<Stmt> {
    vec![index(
        "ix_deals_closed_wins",
        "deals",
        &["active", "closing_date", "closing_reason_id", "win_closing_date", "created_at"],
    )]
}
