//! Analytics (issue 11, inventory §5): the sales reports chiefs, managers and accountants judge the
//! business by. Each report is a few aggregate queries (GROUP BY in the database, never every deal
//! loaded into Rust) over the viewer's scope (`access::can_report`, `access::report_departments`,
//! the owner filter of §3.2), with money converted per payment at its dated rate.
//!
//! - `scope`: filters, windows, money; `chart`: ECharts options built with charming;
//! - `income` (§5.1), `funnel` (§5.2), `sales` (§5.3), `requests` (§5.4), `lead_sources` (§5.5),
//!   `conversion` (§5.6), `closing` (§5.7), `deals` (§5.8): one file per report;
//! - `cache`: the figures kept per scope until a change could move them;
//! - `handlers`: the pages (`/analytics/...`); `export`: their Excel workbooks;
//! - `snapshots`: the Income Summary's saved snapshots, `monthly`: the month-end job saving them.

pub mod cache;
pub mod chart;
pub mod closing;
pub mod conversion;
pub mod deals;
pub mod export;
pub mod funnel;
pub mod handlers;
pub mod income;
pub mod lead_sources;
pub mod monthly;
pub mod requests;
pub mod sales;
pub mod scope;
pub mod snapshots;

pub use scope::{Currency, Filter, Scope};
