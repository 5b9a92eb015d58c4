//! Requests (inventory §6): customer inquiries from web forms, email and phone calls, matched to
//! the CRM's counterparties and processed into deals.
//!
//! Helper A's domain steps (`model`, `names`, `cities`, `matching`) are stubs on this branch with
//! the contract's exact signatures; the lead takes A's versions at the merge.

pub mod cities;
pub mod matching;
pub mod model;
pub mod names;

pub mod deal;
pub mod kind;
pub mod list;
pub mod page;
