//! IMAP import bookkeeping (issue 10, inventory §7.2): what each account's import has seen, per
//! folder, and every message it could not file.
//!
//! - `mail_import_folders`: one row per account and folder (INBOX, the sent folder): the folder's
//!   UIDVALIDITY and the last UID looked at (a run fetches only newer UIDs; a changed UIDVALIDITY
//!   scans the folder again, the Message-ID check keeping it free of duplicates), and the counts the
//!   account page's completeness report shows: seen = filed + skipped (by reason) + failed.
//! - `mail_import_failures`: each message that could not be filed, with the reason (nothing fails
//!   silently); the report lists the latest.
//! - `mail_accounts.import_error` / `import_ran_at`: a run that could not reach the mailbox at all
//!   (connection, login) says so on the account.
//! - `ux_crm_emails_imported`: one imported copy of a Message-ID per account, whatever races past
//!   the import's own check (two instances, a lease that ran out).

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, id, index, table, ts, ts_null, unique_index};

fn count(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().default(0).to_owned()
}

fn add(col: ColumnDef) -> Stmt {
    Stmt::Alter(Box::new(Table::alter().table("mail_accounts").add_column(col).to_owned()))
}

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("mail_import_folders")
                .col(id())
                .col(ColumnDef::new("account_id").big_integer().not_null())
                // inbox | sent: which flag the filed mail gets.
                .col(ColumnDef::new("role").string_len(10).not_null())
                .col(ColumnDef::new("folder").string_len(200).not_null())
                .col(ColumnDef::new("uidvalidity").big_integer().null())
                .col(count("last_uid"))
                .col(count("seen"))
                .col(count("filed"))
                .col(count("skipped_own"))
                .col(count("skipped_no_ticket"))
                .col(count("skipped_unknown_ticket"))
                .col(count("skipped_duplicate"))
                .col(count("failed"))
                .col(count("rescans"))
                .col(ColumnDef::new("last_error").text().not_null().default(""))
                .col(ts_null("last_run_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("mail_import_folders", "account_id", "mail_accounts", ForeignKeyAction::Cascade)),
        ),
        unique_index("ux_mail_import_folders", "mail_import_folders", &["account_id", "folder"]),
        table(
            Table::create()
                .table("mail_import_failures")
                .col(id())
                .col(ColumnDef::new("account_id").big_integer().not_null())
                .col(ColumnDef::new("folder").string_len(200).not_null())
                .col(ColumnDef::new("uidvalidity").big_integer().null())
                .col(ColumnDef::new("uid").big_integer().not_null())
                .col(ColumnDef::new("message_id").text().not_null().default(""))
                .col(ColumnDef::new("subject").text().not_null().default(""))
                .col(ColumnDef::new("error").text().not_null())
                .col(ts("created_at"))
                .foreign_key(&mut fk("mail_import_failures", "account_id", "mail_accounts", ForeignKeyAction::Cascade)),
        ),
        index("ix_mail_import_failures_account", "mail_import_failures", &["account_id", "id"]),
        add(ColumnDef::new("import_error").text().not_null().default("").to_owned()),
        add(ColumnDef::new("import_ran_at").timestamp_with_time_zone().null().to_owned()),
        Stmt::Raw { sqlite: IMPORTED, postgres: IMPORTED },
    ]
}

const IMPORTED: &[&str] =
    &["CREATE UNIQUE INDEX IF NOT EXISTS ux_crm_emails_imported ON crm_emails (account_id, message_id) \
     WHERE uid IS NOT NULL AND account_id IS NOT NULL"];
