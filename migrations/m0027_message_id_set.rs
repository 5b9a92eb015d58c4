//! The import's "sent by the CRM?" and "already filed?" checks (`mail_import::file::is_own`,
//! `is_duplicate`) look emails up by Message-ID. Rows the CRM wrote itself (the seed's, web-form
//! inquiries) have none, and with most rows empty, `ANALYZE` told SQLite the plain index on
//! `message_id` (migration 21) picks out nothing, so it scanned the table twice a message: the import
//! slowed from 5 to 17 ms a message as `crm_emails` grew (`benches/mail_import`). This partial index
//! holds only the rows that have one; both checks say `message_id <> ''` as written here (a constant,
//! so SQLite can match it to the index's condition).

use super::Stmt;

const PARTIAL: &[&str] =
    &["CREATE INDEX IF NOT EXISTS ix_crm_emails_message_id_set ON crm_emails (message_id) WHERE message_id <> ''"];

pub fn statements() -> Vec<Stmt> {
    vec![Stmt::Raw { sqlite: PARTIAL, postgres: PARTIAL }]
}
