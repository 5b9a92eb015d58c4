//! FerroCRM: a CRM and team-task system served as a hypermedia web app.
//!
//! Layout: `routes` is the route table; each domain (`users`, `notifications`, …) owns its model,
//! queries and handlers; `access` holds every permission rule; `views/` (mounted here) renders HTML;
//! `migrations/` (mounted here) holds the one schema for SQLite and PostgreSQL.

pub mod access;
pub mod analytics;
pub mod app;
pub mod assets;
pub mod auth;
pub mod chat;
pub mod cli;
pub mod config;
pub mod counters;
pub mod crm;
pub mod db;
pub mod emails;
pub mod error;
pub mod events;
pub mod excel;
pub mod files;
pub mod history;
pub mod htmx;
pub mod items;
pub mod jobs;
pub mod kinds;
pub mod mail_accounts;
pub mod mail_import;
pub mod memos;
pub mod notifications;
pub mod outbox;
pub mod paging;
pub mod participants;
pub mod paths;
pub mod projects;
pub mod reminders;
pub mod requests;
pub mod routes;
pub mod search;
pub mod secrets;
pub mod security;
pub mod seed;
pub mod tasks;
pub mod text;
pub mod time;
pub mod users;
pub mod web;

#[path = "../views/mod.rs"]
pub mod views;

#[path = "../migrations/mod.rs"]
pub mod migrations;

/// Applies pending migrations (also run at every start).
pub async fn migrate(db: &db::Db) -> anyhow::Result<Vec<i64>> {
    migrations::run(db).await
}
