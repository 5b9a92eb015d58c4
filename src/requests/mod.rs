//! Requests (issue 9, inventory §6): customer inquiries from web forms, email and phone calls.
//!
//! `create` is the one way an inquiry from outside becomes a request (§6.3 "Creation"); `intake`
//! is the public surface that feeds it (`/add-request/`, the hosted and embedded web form).

pub mod create;
pub mod intake;
