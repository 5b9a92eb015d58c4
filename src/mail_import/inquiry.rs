//! Importing one message chosen in the mailbox browser (§7.3). From the Requests list it is an
//! inquiry: the email is stored (incoming, inquiry) and a request is made from it through the web
//! form's own writer (`requests::create::write_request`: names, matching §6.4, notices), with the
//! account owner's department and ownership, the lead source whose address the mail was sent to,
//! and the mail's date as receipt date. From a deal or request page it is a letter of that thread:
//! stored with the deal's or request's ticket whatever its text says. Either way the filing is the
//! scan's (`file::write`: the original, bodies, attachments, workflow line), in one transaction;
//! a Message-ID already filed for the account adds nothing, and a mail the CRM sent is refused.

use sea_query::{Expr, ExprTrait, Func, Order, Query};

use super::file::{self, How, Target, Written};
use super::parse;
use super::report::Folder;
use crate::access::{ItemKind, Role, Viewer};
use crate::app::AppState;
use crate::db::{self, Tx};
use crate::history::Actor;
use crate::mail_accounts::model::MailAccount;
use crate::requests::create::{self, Origin, Submission};

/// The refusal of §7.3 for a mail the CRM sent.
pub const OWN_MAIL: &str = "ERROR: Trying to import an email sent from CRM!";

/// Where a chosen message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Into {
    /// A new request (the Requests list's "Import request from ✉").
    Inquiry,
    /// A letter of this deal's or request's thread ("Import ✉" on its page).
    Letter(ItemKind, i64),
}

/// What came of one message.
#[derive(Debug)]
pub enum Imported {
    Filed {
        email_id: i64,
        request_id: Option<i64>,
    },
    /// Its Message-ID is filed for this account already.
    Duplicate,
}

/// The deal or request `id` as the target of a letter, and its ticket.
async fn letter_target(tx: &mut Tx, kind: ItemKind, id: i64) -> Result<Option<(Target, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        t: Target,
        ticket: String,
    }
    let mut q = Query::select();
    if kind == ItemKind::Deal {
        q.expr_as(Expr::col("id"), "deal_id").column("request_id").from("deals");
    } else {
        q.column("deal_id").expr_as(Expr::col("id"), "request_id").from("requests");
    }
    q.columns(["contact_id", "company_id", "lead_id", "owner_id", "department_id", "ticket"])
        .and_where(Expr::col("id").eq(id));
    Ok(tx.fetch_optional::<Row>(&q).await?.map(|r| (r.t, r.ticket)))
}

/// The lead source whose address one of `to`'s is (§7.3), with its department.
async fn lead_source(tx: &mut Tx, to: &str) -> Result<Option<i64>, sqlx::Error> {
    let addresses: Vec<String> =
        to.split(',').map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).take(50).collect();
    if addresses.is_empty() {
        return Ok(None);
    }
    tx.scalar(
        Query::select()
            .column("id")
            .from("lead_sources")
            .and_where(Func::lower(Expr::col("email")).is_in(addresses))
            .order_by("id", Order::Asc)
            .limit(1),
    )
    .await
}

/// Whether `user` is a sales manager (a request without lead source is then "subsequent", §7.3).
async fn is_manager(tx: &mut Tx, user: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = tx
        .scalar(
            Query::select()
                .column("user_id")
                .from("user_roles")
                .and_where(Expr::col("user_id").eq(user))
                .and_where(Expr::col("role").eq(Role::SalesManager.slug()))
                .limit(1),
        )
        .await?;
    Ok(found.is_some())
}

/// The account owner's department: the account's, else the owner's own.
async fn department(tx: &mut Tx, a: &MailAccount) -> Result<Option<i64>, sqlx::Error> {
    if a.department_id.is_some() {
        return Ok(a.department_id);
    }
    Ok(tx
        .scalar::<Option<i64>>(
            Query::select().column("department_id").from("users").and_where(Expr::col("id").eq(a.owner_id)),
        )
        .await?
        .flatten())
}

/// Imports `raw` (UID `uid` of INBOX, folder row `f` with the session's UIDVALIDITY) `into`, as
/// `viewer`. `Err`: why nothing was stored, in words for the page.
pub async fn import(
    state: &AppState,
    viewer: &Viewer,
    a: &MailAccount,
    f: &Folder,
    uid: u32,
    raw: Vec<u8>,
    into: Into,
) -> Result<Imported, String> {
    let cap = state.config.mail_attachment_max_bytes;
    let (raw, parsed) = tokio::task::spawn_blocking(move || {
        let p = parse::parse(&raw, cap);
        (raw, p)
    })
    .await
    .map_err(|e| format!("Reading the message failed: {e}."))?;
    let p = parsed.ok_or("The message cannot be read: no mail headers or body were found in it.")?;
    let db_err = |e: sqlx::Error| {
        tracing::error!(error = %e, "mailbox import: database");
        "The CRM could not store the message (a database error).".to_string()
    };
    let mut tx = state.db.begin().await.map_err(db_err)?;
    if file::is_own(&mut tx, &p, &file::own_host(&state.config)).await.map_err(db_err)? {
        return Err(OWN_MAIL.into());
    }
    let actor = Actor::from(viewer);
    let (target, ticket, request) = match into {
        Into::Letter(kind, id) => {
            let (t, ticket) =
                letter_target(&mut tx, kind, id).await.map_err(db_err)?.ok_or("The deal or request is gone.")?;
            if file::is_duplicate(&mut tx, &p, a.id, &t).await.map_err(db_err)? {
                return Ok(Imported::Duplicate);
            }
            (t, ticket, None)
        }
        Into::Inquiry => {
            let none = Target {
                deal_id: None,
                request_id: None,
                contact_id: None,
                company_id: None,
                lead_id: None,
                owner_id: None,
                department_id: 0,
            };
            if file::is_duplicate(&mut tx, &p, a.id, &none).await.map_err(db_err)? {
                return Ok(Imported::Duplicate);
            }
            let dept = department(&mut tx, a).await.map_err(db_err)?.ok_or(
                "The account's owner works in no department, so a request cannot be made: ask your administrator.",
            )?;
            let source = lead_source(&mut tx, &p.to).await.map_err(db_err)?;
            let subsequent = source.is_none() && is_manager(&mut tx, a.owner_id).await.map_err(db_err)?;
            let s = Submission {
                name: p.display_name.clone(),
                email: p.from_address.clone(),
                subject: if p.subject.is_empty() { "No subject".into() } else { p.subject.clone() },
                message: p.text.clone(),
                ..Submission::default()
            };
            let origin = Origin {
                department_id: dept,
                lead_source_id: source,
                owner_id: Some(a.owner_id),
                receipt_date: p.date.unwrap_or_else(db::now).date_naive(),
                subsequent,
                actor: actor.clone(),
                how: "from an email",
            };
            let w = create::write_request(&mut tx, state, &s, &origin, &mut create::Lookups::default()).await.map_err(
                |e| {
                    tracing::error!(error = %e, "mailbox import: the request");
                    "The request could not be made (a database error).".to_string()
                },
            )?;
            let t = Target {
                deal_id: None,
                request_id: Some(w.id),
                contact_id: w.found.contact_id,
                company_id: w.found.company_id,
                lead_id: w.found.lead_id,
                // The email goes with its request: matching may have given the request the owner
                // of the contact or lead it found (§6.4).
                owner_id: w.found.owner_id.or(Some(a.owner_id)),
                department_id: w.found.department_id,
            };
            (t, w.ticket.clone(), Some(w))
        }
    };
    let how = How { actor, inquiry: into == Into::Inquiry, notify: false };
    // The original and attachments on disk and synced before the row that links them (as the scan).
    let files = file::prepare(&state.files.tmp_dir(), &raw, &p)
        .await
        .map_err(|e| format!("The message could not be stored: {e}."))?;
    let mut paths = vec![files.original.path().to_path_buf()];
    paths.extend(files.attachments.iter().map(|u| u.path().to_path_buf()));
    crate::files::sync_all_paths(paths).await.map_err(|e| format!("The message could not be stored: {e}."))?;
    let mut dirs = crate::files::Dirs::default();
    let written =
        file::write(state, &mut tx, a, f, i64::from(uid), &p, &target, &ticket, &files, &mut dirs, &how).await;
    let filed = match written {
        Ok(filed) => filed,
        // Filed meanwhile (the unique index on account and Message-ID): nothing more to do.
        Err(Written::Db(e)) if db::is_unique_violation(&e) => return Ok(Imported::Duplicate),
        Err(Written::Db(e)) => return Err(db_err(e)),
        Err(Written::Other(e)) => return Err(format!("The message could not be stored: {e}.")),
    };
    dirs.sync().await.map_err(|e| format!("The message could not be stored: {e}."))?;
    tx.commit().await.map_err(db_err)?;
    file::publish(state, &filed).await;
    // The email was written without its search rows (`search_pending`), as the scan's are.
    if let Err(e) = crate::crm::search::index_pending(&state.db, ItemKind::Email, 50).await {
        tracing::warn!(error = %e, "indexing an imported email failed");
    }
    let request_id = request.as_ref().map(|w| w.id);
    if let Some(w) = request {
        let stored = create::Stored {
            created: create::Created { id: w.id, ticket: w.ticket, email_id: filed.email_id },
            department: w.found.department_id,
            notified: w.notified,
        };
        create::announce(state, &stored);
        if !stored.notified.is_empty() {
            state.wake.notify_one();
        }
        // The request was written without its search rows (`search_pending`), as the web form's are.
        if let Err(e) = crate::crm::search::index_pending(&state.db, ItemKind::Request, 50).await {
            tracing::warn!(error = %e, "indexing an imported request failed");
        }
    }
    Ok(Imported::Filed { email_id: filed.email_id, request_id })
}
