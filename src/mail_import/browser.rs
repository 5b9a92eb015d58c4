//! The mailbox browser's pages (§7.3, §7.4): the account choice (`GET /mail-import`), INBOX a page
//! at a time with its actions (`GET`/`POST /mail-import/:account`), and one message's original by
//! UID (`GET /mail-import/:account/:uid`). Opened from the Requests list (an import makes a request)
//! or from a deal's or request's page (`?deal=` / `?request=`: an import files a letter there).
//! Sales managers and administrators (`access::imports_mail`), on accounts with import switched on
//! that they own or co-own (`access::browses_mailbox`; anyone else's is 404).

use std::collections::HashSet;

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query as Select};
use serde::Deserialize;

use super::browse::{self, Act};
use super::inquiry::{self, Imported, Into};
use crate::access::{self, Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::htmx::{self, HxRequest};
use crate::mail_accounts::model::MailAccount;
use crate::views;
use crate::views::layout::Nav;
use crate::views::mail_browser::Browser;
use crate::web::{self, Form, Query};

/// Where imports go: new requests (opened from the Requests list), or the thread of a deal or
/// request (opened from its page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Context {
    Requests,
    Letter { kind: ItemKind, id: i64, title: String },
}

impl Context {
    /// The query string that keeps the context (and the page).
    pub fn query(&self, page: usize) -> String {
        let page = if page > 1 { format!("page={page}") } else { String::new() };
        let ctx = match self {
            Context::Requests => String::new(),
            Context::Letter { kind: ItemKind::Deal, id, .. } => format!("deal={id}"),
            Context::Letter { id, .. } => format!("request={id}"),
        };
        let both: Vec<&str> = [ctx.as_str(), page.as_str()].into_iter().filter(|s| !s.is_empty()).collect();
        if both.is_empty() { String::new() } else { format!("?{}", both.join("&")) }
    }
}

/// What the last action did: done lines, errors, links to what was made.
#[derive(Default, Debug)]
pub struct Outcome {
    pub done: Vec<String>,
    pub errors: Vec<String>,
    pub links: Vec<(String, String)>,
}

/// Where the browser was opened from, as the query and the forms carry it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Params {
    account: Option<String>,
    deal: Option<String>,
    request: Option<String>,
    page: Option<String>,
}

fn num(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.trim().parse().ok()).filter(|v: &i64| *v > 0)
}

/// The deal or request an import goes to (404 unless the viewer may change it), or none.
async fn context(state: &AppState, v: &Viewer, p: &Params) -> AppResult<Context> {
    let (kind, id) = match (num(&p.deal), num(&p.request)) {
        (Some(d), _) => (ItemKind::Deal, d),
        (None, Some(r)) => (ItemKind::Request, r),
        (None, None) => return Ok(Context::Requests),
    };
    let it = crate::items::load(&state.db, v, kind, id, Action::Edit).await?;
    Ok(Context::Letter { kind, id, title: it.title.clone() })
}

/// The accounts the viewer may browse: import on, theirs or co-owned.
async fn accounts(state: &AppState, v: &Viewer) -> AppResult<Vec<(i64, String, String)>> {
    Ok(state
        .db
        .fetch_all(
            Select::select()
                .columns(["id", "name", "email"])
                .from("mail_accounts")
                .and_where(Expr::col("do_import").eq(true))
                .and_where(Expr::col("owner_id").eq(v.id).or(Expr::col("co_owner_id").eq(v.id)))
                .order_by("main", Order::Desc)
                .order_by("id", Order::Asc),
        )
        .await?)
}

/// Account `id` if the viewer may browse it: 404 otherwise (not theirs, import off, gone).
async fn account(state: &AppState, v: &Viewer, id: i64) -> AppResult<MailAccount> {
    if !access::imports_mail(v) {
        return Err(AppError::Forbidden);
    }
    let a = crate::mail_accounts::repo::by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !a.do_import || !access::browses_mailbox(v, a.owner_id, a.co_owner_id) {
        return Err(AppError::NotFound);
    }
    Ok(a)
}

/// `GET /mail-import`: the account to browse. One → its page; several → "Please select an Email
/// account"; none → the warning of §7.3.
#[handler]
pub async fn choose(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    if !access::imports_mail(&viewer) {
        return Err(AppError::Forbidden);
    }
    let ctx = context(&state, &viewer, &p).await?;
    let list = accounts(&state, &viewer).await?;
    let chosen = num(&p.account).filter(|a| list.iter().any(|(id, _, _)| id == a));
    let only = if list.len() == 1 { Some(list[0].0) } else { None };
    if let Some(id) = chosen.or(only) {
        return Ok(htmx::redirect(hx, &format!("/mail-import/{id}{}", ctx.query(1))));
    }
    let cx = web::page_cx(&state, &viewer, nav(&ctx), hx).await?;
    Ok(views::mail_browser::choose(&cx, &ctx, &list).into_response())
}

fn nav(ctx: &Context) -> Nav {
    match ctx {
        Context::Requests => Nav::Crm(ItemKind::Request),
        Context::Letter { kind, .. } => Nav::Crm(*kind),
    }
}

/// The page of INBOX, with `outcome` (what the last action did) on top; an IMAP failure is shown
/// on the page in the server's words.
async fn render(
    state: &AppState,
    viewer: &Viewer,
    hx: HxRequest,
    a: &MailAccount,
    ctx: &Context,
    page: usize,
    outcome: Outcome,
) -> AppResult<Response> {
    let listing = match browse::open(state, a).await {
        Ok(mut s) => {
            let l = browse::list(&mut s, page).await;
            browse::close(s).await;
            l
        }
        Err(e) => Err(e),
    };
    let (listing, error) = match listing {
        Ok(l) => (Some(l), None),
        Err(e) => {
            tracing::info!(account = a.id, error = %e, "mailbox browser: the server failed");
            (None, Some(e))
        }
    };
    let imported = match &listing {
        Some(l) => imported(state, a, l).await?,
        None => HashSet::new(),
    };
    let cx = web::page_cx(state, viewer, nav(ctx), hx).await?;
    let b =
        Browser { account: a, ctx, page: page.max(1), listing: listing.as_ref(), imported: &imported, error, outcome };
    Ok(views::mail_browser::page(&cx, &b).into_response())
}

/// The UIDs of the listing already in the CRM: a Message-ID filed for this account, or the same
/// INBOX UID under the same UIDVALIDITY.
async fn imported(state: &AppState, a: &MailAccount, l: &browse::Listing) -> AppResult<HashSet<u32>> {
    let ids: Vec<String> =
        l.headers.iter().filter(|h| !h.message_id.is_empty()).map(|h| h.message_id.clone()).collect();
    let uids: Vec<i64> = l.headers.iter().map(|h| i64::from(h.uid)).collect();
    if uids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<(String, Option<i64>, Option<i64>, String)> = state
        .db
        .fetch_all(
            Select::select()
                .columns(["message_id", "uid", "uidvalidity", "imap_folder"])
                .from("crm_emails")
                .and_where(Expr::col("account_id").eq(a.id))
                .and_where(
                    Expr::col("message_id")
                        .is_in(ids)
                        .or(Expr::col("uid").is_in(uids).and(Expr::col("uidvalidity").eq(i64::from(l.uidvalidity)))),
                ),
        )
        .await?;
    let mut out = HashSet::new();
    for h in &l.headers {
        let same = |(mid, uid, validity, folder): &(String, Option<i64>, Option<i64>, String)| {
            (!h.message_id.is_empty() && *mid == h.message_id)
                || (*uid == Some(i64::from(h.uid))
                    && *validity == Some(i64::from(l.uidvalidity))
                    && folder.eq_ignore_ascii_case("INBOX"))
        };
        if rows.iter().any(same) {
            out.insert(h.uid);
        }
    }
    Ok(out)
}

/// `GET /mail-import/:account`: INBOX's page `page`, newest first.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let a = account(&state, &viewer, id).await?;
    let ctx = context(&state, &viewer, &p).await?;
    let page = num(&p.page).unwrap_or(1) as usize;
    render(&state, &viewer, hx, &a, &ctx, page, Outcome::default()).await
}

/// The browser's form: the button pressed and the ticked UIDs.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Acted {
    action: String,
    uid: Vec<String>,
    deal: Option<String>,
    request: Option<String>,
    page: Option<String>,
}

/// `POST /mail-import/:account`: IMPORT, DELETE, SPAM or MARK AS READ on the ticked messages; the
/// page again with what happened.
#[handler]
pub async fn act(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<Acted>,
) -> AppResult<Response> {
    let a = account(&state, &viewer, id).await?;
    let p = Params { account: None, deal: f.deal.clone(), request: f.request.clone(), page: f.page.clone() };
    let ctx = context(&state, &viewer, &p).await?;
    let page = num(&p.page).unwrap_or(1) as usize;
    let uids: Vec<u32> = f.uid.iter().filter_map(|u| u.trim().parse().ok()).take(browse::PER_PAGE).collect();
    let mut outcome = Outcome::default();
    let act = match f.action.as_str() {
        "import" => None,
        "delete" => Some(Act::Delete),
        "spam" => Some(Act::Spam),
        "read" => Some(Act::Read),
        _ => return Err(AppError::BadRequest("Unknown action.".into())),
    };
    if uids.is_empty() {
        outcome.errors.push("Tick at least one message first.".into());
        return render(&state, &viewer, hx, &a, &ctx, page, outcome).await;
    }
    let session = browse::open(&state, &a).await;
    let mut s = match session {
        Ok(s) => s,
        Err(e) => {
            outcome.errors.push(e);
            return render(&state, &viewer, hx, &a, &ctx, page, outcome).await;
        }
    };
    match act {
        Some(act) => match browse::act(&mut s, &a, act, &uids).await {
            Ok(done) => outcome.done.push(done),
            Err(e) => outcome.errors.push(e),
        },
        None => import(&state, &viewer, &a, &ctx, &mut s, &uids, &mut outcome).await?,
    }
    browse::close(s).await;
    tracing::info!(account = a.id, by = viewer.id, action = %f.action, count = uids.len(), "mailbox browser action");
    // The outcome is shown once, on the listing as it is now; the address bar shows the listing's
    // own URL, so a reload reads the mailbox again instead of repeating the action.
    let listing = format!("/mail-import/{}{}", a.id, ctx.query(page));
    Ok(htmx::address(render(&state, &viewer, hx, &a, &ctx, page, outcome).await?, &listing))
}

/// Imports each of `uids` (INBOX, selected read-only) into the browser's context.
async fn import(
    state: &AppState,
    viewer: &Viewer,
    a: &MailAccount,
    ctx: &Context,
    s: &mut crate::mail_accounts::check::ImapSession,
    uids: &[u32],
    outcome: &mut Outcome,
) -> AppResult<()> {
    let validity = match browse::inbox(s, false).await {
        Ok(v) => v,
        Err(e) => {
            outcome.errors.push(e);
            return Ok(());
        }
    };
    let mut folder = super::report::folder(&state.db, a.id, "inbox", "INBOX").await?;
    folder.uidvalidity = Some(i64::from(validity));
    let into = match ctx {
        Context::Requests => Into::Inquiry,
        Context::Letter { kind, id, .. } => Into::Letter(*kind, *id),
    };
    let (mut filed, mut already) = (0, 0);
    for &uid in uids {
        let raw = match browse::fetch(s, uid, state.config.mail_import_max_bytes).await {
            Ok(Some(raw)) => raw,
            Ok(None) => {
                outcome.errors.push(format!("UID {uid}: the message is no longer in INBOX."));
                continue;
            }
            Err(e) => {
                outcome.errors.push(format!("UID {uid}: {e}"));
                continue;
            }
        };
        match inquiry::import(state, viewer, a, &folder, uid, raw, into).await {
            Ok(Imported::Filed { request_id, email_id }) => {
                filed += 1;
                outcome.links.push(match request_id {
                    Some(r) => (format!("/requests/{r}"), format!("Request made from UID {uid}")),
                    None => (format!("/emails/{email_id}"), format!("Email from UID {uid}")),
                });
            }
            Ok(Imported::Duplicate) => already += 1,
            Err(e) if e == inquiry::OWN_MAIL => outcome.errors.push(e),
            Err(e) => outcome.errors.push(format!("UID {uid}: {e}")),
        }
    }
    if filed > 0 {
        outcome.done.push(format!("Imported {filed} message{}.", if filed == 1 { "" } else { "s" }));
    }
    if already > 0 {
        outcome.done.push(format!(
            "{already} message{} in the CRM already: nothing was added.",
            if already == 1 { " was" } else { "s were" }
        ));
    }
    Ok(())
}

/// `GET /mail-import/:account/:uid`: the message as its sender wrote it (§7.4 by UID), from the
/// server: headers, the body (HTML cleaned, in a sandboxed frame), the attachments' names.
#[handler]
pub async fn original(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path((id, uid)): Path<(i64, u32)>,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let a = account(&state, &viewer, id).await?;
    let ctx = context(&state, &viewer, &p).await?;
    let raw = match browse::open(&state, &a).await {
        Ok(mut s) => {
            let r = match browse::inbox(&mut s, false).await {
                Ok(_) => browse::fetch(&mut s, uid, state.config.mail_import_max_bytes).await,
                Err(e) => Err(e),
            };
            browse::close(s).await;
            r
        }
        Err(e) => Err(e),
    };
    let cap = state.config.mail_attachment_max_bytes;
    let shown = match raw {
        Ok(Some(raw)) => Ok(tokio::task::spawn_blocking(move || super::parse::parse(&raw, cap))
            .await
            .map_err(|e| AppError::Other(anyhow::anyhow!("{e}")))?),
        Ok(None) => Err("Not enough data to identify the email or email has been deleted.".to_string()),
        Err(e) => Err(e),
    };
    let cx = web::page_cx(&state, &viewer, nav(&ctx), hx).await?;
    let view = match &shown {
        Ok(Some(m)) => Ok(m),
        Ok(None) => Err("The message cannot be read: no mail headers or body were found in it."),
        Err(e) => Err(e.as_str()),
    };
    Ok(views::mail_browser::original(&cx, &a, &ctx, uid, view).into_response())
}
