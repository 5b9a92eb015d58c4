//! Request matching and the inbound email record (issue 9; inventory §6.3–6.4, §2.2 CrmEmail).
//!
//! - `company_keys`, `contact_keys`, `lead_keys`: normalised look-up keys of counterparties (every
//!   email address, phone digits reversed, email domains, alternative company names; see
//!   `requests::keys`), one row per key, so matching a web-form submission against 100,000
//!   contacts is an index look-up. A key row goes with its counterparty (CASCADE). Filled here for
//!   the rows that exist; `crm::repo` keeps them on every save.
//! - `public_email_domains`: mail providers whose domain says nothing about the sender's company
//!   (find_company step 5 skips them), with the usual defaults.
//! - `crm_emails`: the CRM's email records (§2.2 CrmEmail). Intake writes the "inquiry" record of
//!   each web request now; the email issue (10) sends, imports and lists them. Scoped like every CRM
//!   object (department, owner); links to deal, request, contact, company, lead go (SET NULL) with
//!   them, the email stays; IMAP bookkeeping columns are nullable for emails that never came by IMAP.

use sea_query::{ColumnDef, ForeignKeyAction as On, Index, Query, SimpleExpr, Table};

use super::{Stmt, fk, id, index, table, ts};
use crate::crm::{company, person};

/// The usual free mail providers (a user may edit the list later).
pub const PUBLIC_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "ymail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "mail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "protonmail.com",
    "proton.me",
    "tutanota.com",
    "zoho.com",
    "fastmail.com",
    "yandex.ru",
    "yandex.com",
    "ya.ru",
    "mail.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "rambler.ru",
    "ukr.net",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "qq.com",
    "163.com",
    "126.com",
    "naver.com",
    "rediffmail.com",
    "comcast.net",
    "verizon.net",
    "att.net",
];

fn key_table(name: &'static str, col: &'static str, to: &'static str) -> Vec<Stmt> {
    let ix: &'static str = match name {
        "company_keys" => "ix_company_keys_company",
        "contact_keys" => "ix_contact_keys_contact",
        _ => "ix_lead_keys_lead",
    };
    vec![
        table(
            Table::create()
                .table(name)
                .col(ColumnDef::new(col).big_integer().not_null())
                // e: email address, p: phone digits reversed, d: email domain, n: alternative name.
                .col(ColumnDef::new("kind").string_len(1).not_null())
                .col(ColumnDef::new("key").string_len(400).not_null())
                // The look-up: (kind, key) equal, or a key range for phones.
                .primary_key(Index::create().col("kind").col("key").col(col))
                .foreign_key(&mut fk(name, col, to, On::Cascade)),
        ),
        // Rewriting one row's keys, and the cascade when it is deleted.
        index(ix, name, &[col]),
    ]
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().default("").to_owned()
}

fn opt(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().default("").to_owned()
}

fn flag(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().default(default).to_owned()
}

fn reference(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

fn emails() -> Vec<Stmt> {
    let t = "crm_emails";
    vec![
        table(
            Table::create()
                .table(t)
                .col(id())
                .col(opt("subject", 250))
                .col(text("content"))
                .col(flag("is_html", true))
                .col(text("prev_corr")) // "Previous correspondence", appended after the signature
                .col(text("from_field"))
                .col(text("to")) // comma-separated addresses
                .col(text("cc"))
                .col(text("bcc"))
                // Flags of §2.2: the mailboxes are inbox (incoming, not trash), sent, outbox (neither
                // sent nor incoming), trash; `inquiry`: the email that started a request.
                .col(flag("sent", false))
                .col(flag("incoming", false))
                .col(flag("trash", false))
                .col(flag("inquiry", false))
                .col(flag("read_receipt", false))
                .col(opt("ticket", 16))
                .col(reference("deal_id"))
                .col(reference("request_id"))
                .col(reference("contact_id"))
                .col(reference("company_id"))
                .col(reference("lead_id"))
                // IMAP bookkeeping (issue 10): NULL for emails that did not come by IMAP.
                .col(ColumnDef::new("uid").big_integer().null())
                .col(opt("imap_host", 200))
                .col(opt("email_host_user", 200))
                .col(opt("message_id", 998))
                .col(ColumnDef::new("department_id").big_integer().not_null())
                .col(reference("owner_id"))
                .col(reference("modified_by_id"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk(t, "deal_id", "deals", On::SetNull))
                .foreign_key(&mut fk(t, "request_id", "requests", On::SetNull))
                .foreign_key(&mut fk(t, "contact_id", "contacts", On::SetNull))
                .foreign_key(&mut fk(t, "company_id", "companies", On::SetNull))
                .foreign_key(&mut fk(t, "lead_id", "leads", On::SetNull))
                .foreign_key(&mut fk(t, "department_id", "departments", On::Restrict))
                .foreign_key(&mut fk(t, "owner_id", "users", On::Restrict))
                .foreign_key(&mut fk(t, "modified_by_id", "users", On::SetNull)),
        ),
        // The department's emails newest first; a manager's own.
        index("ix_crm_emails_department", t, &["department_id", "id"]),
        index("ix_crm_emails_owner", t, &["owner_id", "id"]),
        // "All emails with the request's ticket and no deal are linked to the new deal" (§6.8) and
        // an imported reply found by its ticket (§7.2).
        index("ix_crm_emails_ticket", t, &["ticket"]),
        // A counterparty's or deal's correspondence; the foreign-key checks when those are deleted.
        index("ix_crm_emails_request", t, &["request_id"]),
        index("ix_crm_emails_deal", t, &["deal_id"]),
        index("ix_crm_emails_contact", t, &["contact_id"]),
        index("ix_crm_emails_company", t, &["company_id"]),
        index("ix_crm_emails_lead", t, &["lead_id"]),
    ]
}

pub fn statements() -> Vec<Stmt> {
    let mut s = Vec::new();
    s.extend(key_table("company_keys", "company_id", "companies"));
    s.extend(key_table("contact_keys", "contact_id", "contacts"));
    s.extend(key_table("lead_keys", "lead_id", "leads"));
    s.push(table(
        Table::create()
            .table("public_email_domains")
            .col(id())
            .col(ColumnDef::new("domain").string_len(200).not_null()),
    ));
    s.push(super::unique_index("ux_public_email_domains", "public_email_domains", &["domain"]));
    let mut q = Query::insert();
    q.into_table("public_email_domains").columns(["domain"]);
    for d in PUBLIC_DOMAINS {
        q.values_panic([SimpleExpr::from(*d)]);
    }
    s.push(Stmt::Insert(Box::new(q)));
    s.extend(emails());
    s.push(Stmt::Run(|tx| {
        Box::pin(async move {
            crate::requests::keys::fill(tx, &company::SPEC).await?;
            crate::requests::keys::fill(tx, &person::CONTACT).await?;
            crate::requests::keys::fill(tx, &person::LEAD).await
        })
    }));
    s
}
