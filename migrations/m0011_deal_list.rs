//! The deal list's orders and filters without a department to walk (issue 8, §12.1, §12.4): a
//! chief's or an accountant's list by next step date, the important deals, and the country and city
//! filters. Full indexes, not partial ones: the app binds `important = ?` as a parameter, and SQLite
//! only uses a partial index when the query's terms prove its condition at prepare time.

use super::{Stmt, index};

pub fn statements() -> Vec<Stmt> {
    vec![
        // Every department's active (or closed) deals by next step date, nearest first, ties by id
        // (the order `crm::list` asks for): no sort of all active deals.
        index("ix_deals_active_step", "deals", &["active", "next_step_date", "id"]),
        // "Important: yes" in either order (about 8 % of the deals at the demo's scale): by id for
        // the default order, by next step date for the toggle, whatever the active filter.
        index("ix_deals_important", "deals", &["important", "id"]),
        index("ix_deals_important_step", "deals", &["important", "next_step_date", "id"]),
        // A manager's own deals, newest first, as two ranges merged (`crm::list::mine_newest`):
        // the co-owner's range like the owner's (`ix_deals_owner`), so neither walks the department.
        index("ix_deals_co_owner_active", "deals", &["co_owner_id", "active", "id"]),
        // The country and city filters, and which countries and cities the viewer's deals have
        // (the filters' choices: one probe per country or city). With the department and the
        // active flag a manager's list reads them newest first; a chief's sorts the country's
        // (or city's) deals only.
        index("ix_deals_country", "deals", &["country_id", "department_id", "active", "id"]),
        index("ix_deals_city", "deals", &["city_id", "department_id", "active", "id"]),
    ]
}
