//! Emails in the CRM (issue 10, inventory §2.2 CrmEmail, §7): the kind in the shared object layer
//! (`kind`), the list (`list`, §7.5), the page and its stored original (`page`, §7.1, §7.4), the
//! safe showing of HTML bodies (`html`) with their `cid:` images (`inline`), the "Last few letters" block (`letters`) and signatures
//! (`signatures`), writing and sending letters (`compose`, `send`: §7.1 through the durable job
//! queue). Owns `crm_emails` (migrations 18, 21 and 23) and `signatures`. Mail accounts and IMAP
//! import are the other parts of issue 10.

pub mod compose;
pub mod html;
pub mod inline;
pub mod kind;
pub mod letter_check;
pub mod letters;
pub mod list;
pub mod page;
pub mod send;
pub mod signatures;
