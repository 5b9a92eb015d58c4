//! Sending emails from the CRM (issue 10, inventory §7.1): what a letter needs on its way out.
//!
//! - `send_status`: '' (a draft, never sent), `queued` (committed with its `email_send` job, waiting
//!   for the worker or retrying after a temporary SMTP error), `sent`, `failed` (a permanent SMTP
//!   error, or the temporary ones outlasted every attempt). The §2.2 flags stay the mailboxes:
//!   `sent` is set together with `send_status = 'sent'`.
//! - `send_error`: the SMTP server's words of the last failure (kept while retrying, so the page can
//!   say why it waits).
//! - `sent_at`: when the server accepted it.
//! - `prev_corr` (migration 18) holds the quoted previous correspondence of a reply or forward;
//!   `in_reply_to` and `reply_refs` are the threading headers (`In-Reply-To`, `References`) the
//!   worker sends.

use sea_query::{ColumnDef, Table};

use super::{Stmt, ts_null};

fn add(col: ColumnDef) -> Stmt {
    Stmt::Alter(Box::new(Table::alter().table("crm_emails").add_column(col).to_owned()))
}

pub fn statements() -> Vec<Stmt> {
    vec![
        add(ColumnDef::new("send_status").string_len(10).not_null().default("").to_owned()),
        add(ColumnDef::new("send_error").text().not_null().default("").to_owned()),
        add(ts_null("sent_at")),
        add(ColumnDef::new("in_reply_to").string_len(998).not_null().default("").to_owned()),
        add(ColumnDef::new("reply_refs").text().not_null().default("").to_owned()),
    ]
}
