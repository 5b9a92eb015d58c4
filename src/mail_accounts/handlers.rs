//! Pages of the mail accounts: list, new/create, page, edit/update, delete, Test connection.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::model::{AccountForm, MailAccount, PASSWORD_PURPOSE};
use super::{check, repo};
use crate::access::{self, Action, Object, Viewer};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::views;
use crate::views::layout::Nav;
use crate::views::mail_accounts::PATH;
use crate::web::{self, Form, Query};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    owner: Option<String>,
    page: Option<u32>,
    saved: Option<String>,
    queued: Option<String>,
}

/// `GET /mail-accounts`: the viewer's accounts; an administrator's list shows everyone's, with an
/// owner filter.
#[handler]
pub async fn index(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    access::require(&viewer, Action::List, &Object::MailAccount { owner: viewer.id })?;
    let all = access::manages_all_mail_accounts(&viewer);
    let owner = if all { q.owner.as_deref().and_then(|o| o.trim().parse::<i64>().ok()) } else { None };
    let list = repo::list(&state.db, &viewer, owner, q.page).await?;
    let owners = if all { repo::owners(&state.db).await? } else { Vec::new() };
    let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
    Ok(views::mail_accounts::index(&cx, &list, owner, &owners).into_response())
}

async fn render_form(
    state: &AppState,
    viewer: &Viewer,
    hx: HxRequest,
    before: Option<&MailAccount>,
    f: &AccountForm,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let people = state.people.choices(&state.db).await?;
    let cx = web::page_cx(state, viewer, Nav::Profile, hx).await?;
    Ok(views::mail_accounts::form(&cx, before, f, errs, &people, access::manages_all_mail_accounts(viewer)))
}

/// `GET /mail-accounts/new`.
#[handler]
pub async fn new(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    access::require(&viewer, Action::Create, &Object::MailAccount { owner: viewer.id })?;
    let f = AccountForm { owner: viewer.id.to_string(), ..AccountForm::default() };
    Ok(render_form(&state, &viewer, hx, None, &f, &FormErrors::default()).await?.into_response())
}

/// The owner a form asks for: another user only for an administrator (an active one); anyone
/// else's accounts are their own. The co-owner must be an active user other than the owner.
async fn people_of(
    state: &AppState,
    viewer: &Viewer,
    input: &super::model::AccountInput,
    keep: i64,
    errs: &mut FormErrors,
) -> AppResult<i64> {
    let active = state.people.choices(&state.db).await?;
    let owner = if access::manages_all_mail_accounts(viewer) {
        match input.owner {
            Some(o) if active.iter().any(|(id, _)| *id == o) => o,
            Some(o) if o == keep => o,
            Some(_) => {
                errs.add("owner", "Choose an active user.");
                keep
            }
            // Left empty: the account stays with (or is made for) whom it was.
            None => keep,
        }
    } else {
        keep
    };
    if let Some(c) = input.co_owner_id {
        if c == owner {
            errs.add("co_owner_id", "The co-owner is someone other than the owner.");
        } else if !active.iter().any(|(id, _)| *id == c) {
            errs.add("co_owner_id", "Choose an active user.");
        }
    }
    Ok(owner)
}

/// `POST /mail-accounts`.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(f): Form<AccountForm>,
) -> AppResult<Response> {
    access::require(&viewer, Action::Create, &Object::MailAccount { owner: viewer.id })?;
    let (input, mut errs) = match f.validate(false) {
        Ok(i) => (Some(i), FormErrors::default()),
        Err(e) => (None, e),
    };
    if let Some(input) = input {
        let owner = people_of(&state, &viewer, &input, viewer.id, &mut errs).await?;
        if errs.is_empty() {
            access::require(&viewer, Action::Create, &Object::MailAccount { owner })?;
            let mut tx = state.db.begin().await?;
            let id = repo::insert(&mut tx, &state.mail.cipher, &input, owner, &Actor::from(&viewer)).await?;
            tx.commit().await?;
            tracing::info!(account = id, owner, "mail account added");
            import_switched(&state, id, input.do_import).await?;
            return Ok(htmx::redirect(hx, &format!("{PATH}/{id}?saved=1")));
        }
    }
    Ok(web::invalid(render_form(&state, &viewer, hx, None, &f, &errs).await?))
}

/// `GET /mail-accounts/:id`.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let a = repo::get(&state.db, &viewer, id, Action::View).await?;
    let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
    let secs = state.config.mail_test_timeout.as_secs();
    let report = import_report(&state, &a, q.queued.is_some()).await?;
    Ok(views::mail_accounts::show(&cx, &a, None, q.saved.is_some(), secs, &report).into_response())
}

/// What the account page's completeness report shows.
async fn import_report(state: &AppState, a: &MailAccount, queued: bool) -> AppResult<views::mail_accounts::Report> {
    use crate::mail_import::{self as import, report};
    let (ran_at, error) = report::account_state(&state.db, a.id).await?.unwrap_or_default();
    Ok(views::mail_accounts::Report {
        folders: report::folders(&state.db, a.id).await?,
        failures: report::failures(&state.db, a.id, 20).await?,
        ran_at,
        error,
        next_run: if a.do_import { import::next_run(&state.db, a.id).await? } else { None },
        queued,
        every_secs: state.config.mail_import_interval.as_secs(),
    })
}

/// After a save with import on: a run at once (import just switched on, or settings just fixed).
async fn import_switched(state: &AppState, id: i64, on: bool) -> AppResult<()> {
    if on {
        crate::mail_import::schedule(&state.db, id, true).await?;
        state.wake.notify_one();
    }
    Ok(())
}

/// `POST /mail-accounts/:id/import`: "Import now" — the account's import job is made due at once
/// (the owner, or an administrator; §7.2's co-owner rule is `access::runs_mail_import`).
#[handler]
pub async fn import_now(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let a = repo::get(&state.db, &viewer, id, Action::View).await?;
    if !access::runs_mail_import(&viewer, a.owner_id, a.co_owner_id) {
        return Err(AppError::Forbidden);
    }
    if !a.do_import {
        return Err(AppError::Conflict(
            "Import is switched off for this account: tick \u{201c}Import mail with a ticket from this mailbox\u{201d} in its settings first.".into(),
        ));
    }
    if a.imap_host.is_empty() {
        return Err(AppError::Conflict("This account has no IMAP server to import from.".into()));
    }
    crate::mail_import::schedule(&state.db, id, true).await?;
    state.wake.notify_one();
    tracing::info!(account = id, by = viewer.id, "mail import asked for");
    Ok(htmx::redirect(hx, &format!("{PATH}/{id}?queued=1")))
}

/// `GET /mail-accounts/:id/edit`.
#[handler]
pub async fn edit(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let a = repo::get(&state.db, &viewer, id, Action::Edit).await?;
    Ok(render_form(&state, &viewer, hx, Some(&a), &AccountForm::of(&a), &FormErrors::default()).await?.into_response())
}

/// `POST /mail-accounts/:id`.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<AccountForm>,
) -> AppResult<Response> {
    let before = repo::get(&state.db, &viewer, id, Action::Edit).await?;
    let (input, mut errs) = match f.validate(true) {
        Ok(i) => (Some(i), FormErrors::default()),
        Err(e) => (None, e),
    };
    if let Some(input) = input {
        let owner = people_of(&state, &viewer, &input, before.owner_id, &mut errs).await?;
        if errs.is_empty() {
            let mut tx = state.db.begin().await?;
            repo::update(&mut tx, &state.mail.cipher, &before, &input, owner, &Actor::from(&viewer)).await?;
            tx.commit().await?;
            tracing::info!(account = id, owner, "mail account changed");
            import_switched(&state, id, input.do_import).await?;
            return Ok(htmx::redirect(hx, &format!("{PATH}/{id}?saved=1")));
        }
    }
    Ok(web::invalid(render_form(&state, &viewer, hx, Some(&before), &f, &errs).await?))
}

/// `POST /mail-accounts/:id/delete` (the page asks for confirmation first).
#[handler]
pub async fn delete(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let a = repo::get(&state.db, &viewer, id, Action::Delete).await?;
    let mut tx = state.db.begin().await?;
    repo::delete(&mut tx, &a, &Actor::from(&viewer)).await?;
    tx.commit().await?;
    tracing::info!(account = id, owner = a.owner_id, "mail account deleted");
    Ok(htmx::redirect(hx, PATH))
}

/// `POST /mail-accounts/:id/test`: tries SMTP and IMAP now and answers with what happened: the
/// result fragment for htmx, the account page for a plain form post. In the request, not a job:
/// each side is bounded by `FERROCRM_MAIL_TEST_SECS` and both run at once, so the person waiting
/// has the answer within that time, and there is nothing to resume after a restart.
#[handler]
pub async fn test(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let a = repo::get(&state.db, &viewer, id, Action::Edit).await?;
    let Some(_guard) = state.mail.start_test(viewer.id) else {
        return Err(AppError::TooManyRequests(
            "A connection test of yours is still running: wait for its answer.".into(),
            state.config.mail_test_timeout,
        ));
    };
    let password = if a.password.is_empty() {
        Ok(String::new())
    } else {
        state.mail.cipher.open(PASSWORD_PURPOSE, &a.password).map_err(|e| e.to_string())
    };
    let limit = state.config.mail_test_timeout;
    let outcome = check::run(&a, password, limit, &state.mail.net).await;
    tracing::info!(account = id, smtp = ?outcome.smtp.ok, imap = ?outcome.imap.ok, "mail account connection tested");
    if hx.0 {
        return Ok(views::mail_accounts::result(Some(&outcome)).into_response());
    }
    let cx = web::page_cx(&state, &viewer, Nav::Profile, hx).await?;
    let report = import_report(&state, &a, false).await?;
    Ok(views::mail_accounts::show(&cx, &a, Some(&outcome), false, limit.as_secs(), &report).into_response())
}
