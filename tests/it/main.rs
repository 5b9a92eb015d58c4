#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The one integration-test binary. Every test starts the real app on a random loopback port with a
//! fresh database: a SQLite file in a temp dir, or a new PostgreSQL database when TEST_DATABASE_URL
//! is set. `scripts/test` runs this binary once per backend.

mod helpers;

mod access_rules;
mod admin;
mod analytics;
mod analytics_access;
mod analytics_browser;
mod analytics_cache;
mod analytics_data;
mod analytics_sales;
mod analytics_snapshots;
mod analytics_sources;
mod auth;
mod bodies;
mod cli;
mod crawler;
mod crm;
mod crm_deals;
mod crm_dicts;
mod crm_duplicates;
mod crm_forms;
mod crm_import;
mod crm_import_list;
mod crm_names;
mod crm_payments;
mod crm_quality;
mod crm_search;
mod crm_search_index;
mod crm_shipments;
mod crm_transfer;
mod crm_transfer_job;
mod crm_ui_gaps;
mod emails;
mod emails_browser;
mod emails_inline;
mod emails_send;
mod foundation;
mod golden;
mod golden_crm;
mod input_safety;
mod item_search_index;
mod items;
mod live;
mod live_converge;
mod live_tasks;
mod mail_accounts;
mod mail_browser;
mod mail_import;
mod mail_import_corpus;
mod mail_tls;
mod memos;
mod people;
mod requests_browser;
mod requests_domains;
mod requests_intake;
mod requests_kind;
mod requests_match;
mod requests_operator_lists;
mod requests_writer;
mod schema;
mod seed;
mod tasks;
mod tasks_automation;
mod tasks_completed;
mod tasks_email_every;
mod tasks_email_link;
mod tasks_hide;
mod tasks_list;
mod tasks_tags;
mod tasks_workflow;
mod time_zones;
mod usability;
