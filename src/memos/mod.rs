//! Memos (office memos): draft → pending → postponed → considered. Owns table `memos`.
//!
//! Invariants: a draft is visible to its owner and administrators only and notifies nobody; a shared
//! memo cannot become a draft again; a considered memo is locked (no edit, no stage change), though its
//! recipient may still chat and create a task or project from it, which links back to the memo.

pub mod flow;
pub mod handlers;
pub mod model;
pub mod repo;
