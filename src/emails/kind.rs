//! Emails in the shared object layer (§2.2 CrmEmail): the field list the generic repo, edit form,
//! history, search and access walk. Sending and IMAP import (the rest of issue 10) write the same
//! rows; what only they set (sent, incoming, the IMAP bookkeeping) are system fields here.

use crate::access::ItemKind;
use crate::crm::fields::{Field, Input, RefTo};
use crate::crm::repo::{Record, Spec};

/// §2.2: the letter, its relations, then what the system keeps.
pub static FIELDS: [Field; 18] = [
    Field::new("subject", "Subject", Input::Text { max: 250 }),
    Field::new("to", "To", Input::Emails { max: 2000 }).required(),
    Field::new("cc", "Cc", Input::Emails { max: 2000 }),
    Field::new("bcc", "Bcc", Input::Emails { max: 2000 }),
    Field::new("content", "Content", Input::LongText),
    Field::new("read_receipt", "Read receipt", Input::Flag)
        .help("Ask the recipient's mail program to confirm reading."),
    Field::new("deal_id", "Deal", Input::Ref(RefTo::Object(ItemKind::Deal))),
    Field::new("request_id", "Request", Input::Ref(RefTo::Object(ItemKind::Request))),
    Field::new("contact_id", "Contact person", Input::Ref(RefTo::Object(ItemKind::Contact))),
    Field::new("company_id", "Company", Input::Ref(RefTo::Object(ItemKind::Company))),
    Field::new("lead_id", "Lead", Input::Ref(RefTo::Object(ItemKind::Lead))),
    Field::new("from_field", "From", Input::Text { max: 2000 }).system(),
    Field::new("sent", "Sent", Input::Flag).system(),
    Field::new("incoming", "Incoming", Input::Flag).system(),
    Field::new("trash", "Trash", Input::Flag).system(),
    Field::new("inquiry", "Inquiry", Input::Flag).system().help("The email that started a request."),
    Field::new("ticket", "Ticket", Input::Text { max: 16 }).system(),
    Field::new("uid", "UID", Input::Number { min: 0, max: i64::MAX }).system(),
];

pub static SPEC: Spec = Spec {
    kind: ItemKind::Email,
    fields: &FIELDS,
    title: &["subject"],
    derived: &[],
    list: &["from_field", "to"],
    // §7.5: to, cc, from, subject, content (and the UID: `emails::list`); the ticket as on every
    // ticketed kind.
    search: &["subject", "from_field", "to", "cc", "content", "ticket"],
    export: &[],
    inherit: None,
    token: false,
    owned: true,
    rules: None,
    chief_fields: None,
    after_save: None,
    owner_note: "",
};

pub fn text<'a>(r: &'a Record, col: &str) -> &'a str {
    r.get(&SPEC, col).text()
}
pub fn int(r: &Record, col: &str) -> Option<i64> {
    r.get(&SPEC, col).int()
}
pub fn flag(r: &Record, col: &str) -> bool {
    r.get(&SPEC, col).flag()
}

/// The four mailboxes of §2.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mailbox {
    Inbox,
    Sent,
    /// Unsent drafts: neither sent nor incoming.
    Outbox,
    Trash,
}

impl Mailbox {
    pub const ALL: [Mailbox; 4] = [Mailbox::Inbox, Mailbox::Sent, Mailbox::Outbox, Mailbox::Trash];

    pub fn slug(self) -> &'static str {
        match self {
            Mailbox::Inbox => "inbox",
            Mailbox::Sent => "sent",
            Mailbox::Outbox => "outbox",
            Mailbox::Trash => "trash",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Mailbox::Inbox => "Inbox",
            Mailbox::Sent => "Sent",
            Mailbox::Outbox => "Outbox",
            Mailbox::Trash => "Trash",
        }
    }
    pub fn from_slug(s: &str) -> Option<Mailbox> {
        Mailbox::ALL.into_iter().find(|m| m.slug() == s)
    }
    /// The box an email with these flags is in.
    pub fn of(sent: bool, incoming: bool, trash: bool) -> Mailbox {
        if trash {
            Mailbox::Trash
        } else if incoming {
            Mailbox::Inbox
        } else if sent {
            Mailbox::Sent
        } else {
            Mailbox::Outbox
        }
    }
    /// The box as a condition on `crm_emails`.
    pub fn condition(self) -> sea_query::SimpleExpr {
        use sea_query::{Expr, ExprTrait};
        let col = |c: &'static str| Expr::col(("crm_emails", c));
        match self {
            Mailbox::Inbox => col("incoming").eq(true).and(col("trash").eq(false)),
            Mailbox::Sent => col("sent").eq(true).and(col("incoming").eq(false)).and(col("trash").eq(false)),
            Mailbox::Outbox => col("sent").eq(false).and(col("incoming").eq(false)).and(col("trash").eq(false)),
            Mailbox::Trash => col("trash").eq(true),
        }
    }
}
