//! Test helpers: the app (`spawn_app`), a logged-in HTTP client, HTML pages queried with CSS
//! selectors, an SSE reader, a real SMTP server, and a real browser.

#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod client;
pub mod crm;
pub mod html;
pub mod items;
pub mod smtp;
pub mod snapshot;
pub mod sse;

pub use app::{TestApp, spawn_app};
