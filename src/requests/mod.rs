//! Requests (inventory §6): customer inquiries from web forms, email and phone, matched to the
//! CRM's contacts, leads and companies, verified by an operator, turned into deals.
//!
//! - `names`: §6.5 full-name parsing; `cities`: §6.6 city resolution and countries by name;
//! - `keys`: the normalised look-up keys of counterparties that matching reads (migration 18);
//! - `matching`: §6.4 auto-linking and get-or-create of the counterparty;
//! - `create`: §6.3 creation of an incoming request (ticket, inquiry email, request, matching,
//!   notifications) in one transaction; `intake`: the public surface that feeds it (`/add-request/`,
//!   the hosted and embedded web form, spam defences, geolocation);
//! - `kind`: requests in the CRM's object layer (fields, validation, what a save carries along);
//! - `list`, `page`: the §13.1 list and the §6.7 page; `deal`: §6.8 Create deal.

pub mod cities;
pub mod create;
pub mod intake;
pub mod keys;
pub mod matching;
pub mod model;
pub mod names;

pub mod deal;
pub mod kind;
pub mod list;
pub mod page;
