//! HTML views: plain maud functions, one file per domain. A page function wraps its body in
//! `layout::page`; the fragments it is built from are functions in the same file, so htmx can ask
//! for any of them. No view does IO.

pub mod analytics;
pub mod analytics_income;
pub mod analytics_requests;
pub mod analytics_sales;
pub mod auth;
pub mod chat;
pub mod contact_form;
pub mod crm;
pub mod crm_import;
pub mod crm_lines;
pub mod crm_quality;
pub mod currencies;
pub mod deals;
pub mod departments;
pub mod dictionaries;
pub mod duplicates;
pub mod email_compose;
pub mod emails;
pub mod errors;
pub mod history;
pub mod home;
pub mod items;
pub mod layout;
pub mod live;
pub mod mail_accounts;
pub mod mail_browser;
pub mod memos;
pub mod notifications;
pub mod period;
pub mod picker;
pub mod profile;
pub mod projects;
pub mod reminders;
pub mod requests;
pub mod search;
pub mod shipments;
pub mod tags;
pub mod task_links;
pub mod tasks;
pub mod transfer;
pub mod ui;
pub mod users;
