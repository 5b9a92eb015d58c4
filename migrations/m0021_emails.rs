//! Email records for sending and importing (issue 10, inventory §2.2 CrmEmail, §7): what the
//! `crm_emails` table of migration 18 still lacked, and users' signatures (§7.1).
//!
//! - `html_content`: the HTML body as received or composed (`content` stays the plain text that
//!   lists, search and quoting read). Shown sanitised, in a sandboxed frame (`emails::html`).
//! - `raw_file_id`: the stored original message (RFC 822 bytes), a content-addressed `files` row like
//!   every attachment's blob; "view original" and "download .eml" serve it. `files::Store::collect`
//!   keeps a file an email points at.
//! - `account_id`: the mail account the message came through or goes out by. The accounts table is
//!   another part of issue 10 (migration 20), so this is a plain integer without a foreign key here;
//!   the accounts migration may add one.
//! - `imap_folder`, `uidvalidity` (next to migration 18's `uid`): where an imported message was
//!   found, the key of §7.2's duplicate protection together with `message_id` (indexed now).
//! - `signature_id`: the signature chosen for a draft.
//! - The mailboxes stay the §2.2 flags: inbox = incoming and not trash, sent = sent and not trash,
//!   outbox (drafts) = neither sent nor incoming and not trash, trash.

use sea_query::{ColumnDef, Table};

use super::{Stmt, id, index, table, ts};

fn add(col: ColumnDef) -> Stmt {
    Stmt::Alter(Box::new(Table::alter().table("crm_emails").add_column(col).to_owned()))
}

pub fn statements() -> Vec<Stmt> {
    let t = "crm_emails";
    vec![
        table(
            Table::create()
                .table("signatures")
                .col(id())
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("name").string_len(70).not_null())
                // Plain text: shown escaped with its line breaks, added to a letter as text.
                .col(ColumnDef::new("content").text().not_null().default(""))
                .col(ColumnDef::new("is_default").boolean().not_null().default(false))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut super::fk("signatures", "user_id", "users", sea_query::ForeignKeyAction::Cascade)),
        ),
        index("ix_signatures_user", "signatures", &["user_id", "name"]),
        // One default signature per user, whatever the writers do (the save also clears the
        // others in its transaction).
        Stmt::Raw { sqlite: DEFAULT_SIGNATURE, postgres: DEFAULT_SIGNATURE },
        add(ColumnDef::new("html_content").text().not_null().default("").to_owned()),
        add(ColumnDef::new("account_id").big_integer().null().to_owned()),
        add(ColumnDef::new("imap_folder").string_len(200).not_null().default("").to_owned()),
        add(ColumnDef::new("uidvalidity").big_integer().null().to_owned()),
        // Foreign keys on added columns: SQLite accepts REFERENCES in ADD COLUMN (the default is
        // NULL); sea-query's ALTER cannot say it for SQLite.
        Stmt::Raw { sqlite: SQLITE_REFS, postgres: POSTGRES_REFS },
        index("ix_crm_emails_message_id", t, &["message_id"]),
        index("ix_crm_emails_raw_file", t, &["raw_file_id"]),
        // The list, newest first: everyone's (administrators, chiefs), a department's, an owner's
        // (also the outbox counter).
        index("ix_crm_emails_date", t, &["created_at", "id"]),
        index("ix_crm_emails_department_date", t, &["department_id", "created_at", "id"]),
        index("ix_crm_emails_owner_date", t, &["owner_id", "created_at", "id"]),
        // The emails written so far (the requests' inquiries) join the search index (kind 11).
        Stmt::Run(|tx| Box::pin(crate::crm::search::fill_emails(tx))),
    ]
}

const DEFAULT_SIGNATURE: &[&str] =
    &["CREATE UNIQUE INDEX IF NOT EXISTS ux_signatures_default ON signatures (user_id) WHERE is_default"];

const SQLITE_REFS: &[&str] = &[
    "ALTER TABLE crm_emails ADD COLUMN raw_file_id INTEGER NULL REFERENCES files (id) ON DELETE RESTRICT",
    "ALTER TABLE crm_emails ADD COLUMN signature_id INTEGER NULL REFERENCES signatures (id) ON DELETE SET NULL",
];

const POSTGRES_REFS: &[&str] = &[
    "ALTER TABLE crm_emails ADD COLUMN raw_file_id BIGINT NULL REFERENCES files (id) ON DELETE RESTRICT",
    "ALTER TABLE crm_emails ADD COLUMN signature_id BIGINT NULL REFERENCES signatures (id) ON DELETE SET NULL",
];
