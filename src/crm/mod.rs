//! The sales CRM: companies, contact persons, leads, deals, payments, products. Each kind is a list of
//! field descriptors (`fields`) over a row of values (`record`) plus its own rules; access, chat,
//! files, history, reminders and live events come from the shared object layer (`items`, `access`,
//! `kinds`).

pub mod board;
pub mod choices;
pub mod company;
pub mod convert;
pub mod convert_links;
pub mod currencies;
pub mod deal;
pub mod deal_list;
pub mod deal_work;
pub mod dictionaries;
pub mod duplicates;
pub mod export;
pub mod fields;
pub mod form;
pub mod handlers;
pub mod import;
pub mod lines;
pub mod list;
pub mod many;
pub mod merge;
pub mod money;
pub mod owner;
pub mod payments;
pub mod period;
pub mod person;
pub mod quality;
pub mod record;
pub mod repo;
pub mod search;
pub mod shipments;
pub mod transfer;
pub mod transfer_pages;
