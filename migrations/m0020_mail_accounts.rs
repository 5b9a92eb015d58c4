//! Mail accounts (issue 10, inventory §2.5 EmailAccount, §7.1): each user's SMTP and IMAP settings.
//! The password is stored sealed (`secrets`: AES-256-GCM, `v1:<key id>:…`), never in clear. One
//! password serves SMTP and IMAP (as Django-CRM's one `email_host_password`); the IMAP login
//! defaults to the SMTP one when empty. A user has at most one `main` account: a partial unique
//! index says so on both backends, and `mail_accounts::repo` keeps exactly one in the same
//! transaction as every change.

use sea_query::{ColumnDef, ConditionalStatement, Expr, ExprTrait, ForeignKeyAction, Index, Table};

use super::{Stmt, fk, id, index, table, ts};

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("mail_accounts")
                .col(id())
                .col(ColumnDef::new("owner_id").big_integer().not_null())
                // Imports may also be run by the co-owner (§7.2); it does not see the settings.
                .col(ColumnDef::new("co_owner_id").big_integer().null())
                // The owner's department when the account was saved (§2.5: Base1's department).
                .col(ColumnDef::new("department_id").big_integer().null())
                .col(ColumnDef::new("name").string_len(100).not_null())
                .col(ColumnDef::new("email").string_len(254).not_null())
                .col(ColumnDef::new("from_name").string_len(100).not_null().default(""))
                .col(ColumnDef::new("smtp_host").string_len(255).not_null())
                .col(ColumnDef::new("smtp_port").integer().not_null())
                // none | starttls | tls
                .col(ColumnDef::new("smtp_tls").string_len(10).not_null())
                .col(ColumnDef::new("smtp_login").string_len(254).not_null().default(""))
                // Sealed by `secrets::Cipher`; empty when the server needs no login.
                .col(ColumnDef::new("password").text().not_null().default(""))
                .col(ColumnDef::new("imap_host").string_len(255).not_null().default(""))
                .col(ColumnDef::new("imap_port").integer().not_null())
                .col(ColumnDef::new("imap_tls").string_len(10).not_null())
                // Empty: the SMTP login.
                .col(ColumnDef::new("imap_login").string_len(254).not_null().default(""))
                .col(ColumnDef::new("main").boolean().not_null().default(false))
                .col(ColumnDef::new("do_import").boolean().not_null().default(false))
                // Folder names; empty: found by the server's LIST (\Sent, \Junk, \Trash).
                .col(ColumnDef::new("sent_folder").string_len(100).not_null().default(""))
                .col(ColumnDef::new("spam_folder").string_len(100).not_null().default(""))
                .col(ColumnDef::new("trash_folder").string_len(100).not_null().default(""))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("mail_accounts", "owner_id", "users", ForeignKeyAction::Cascade))
                .foreign_key(&mut fk("mail_accounts", "co_owner_id", "users", ForeignKeyAction::SetNull))
                .foreign_key(&mut fk("mail_accounts", "department_id", "departments", ForeignKeyAction::SetNull)),
        ),
        // A user's accounts in the order they were added (the list, "mine", the next main).
        index("ix_mail_accounts_owner", "mail_accounts", &["owner_id", "id"]),
        index("ix_mail_accounts_co_owner", "mail_accounts", &["co_owner_id"]),
        // At most one main account per user, whatever races past the application.
        Stmt::Index(Box::new(
            Index::create()
                .name("ux_mail_accounts_main")
                .table("mail_accounts")
                .col("owner_id")
                .unique()
                .if_not_exists()
                .and_where(Expr::col("main").eq(true))
                .to_owned(),
        )),
    ]
}
