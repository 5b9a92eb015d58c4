//! The mailbox browser (§7.3): the account choice, INBOX's page with its checkboxes and actions,
//! and one message's original by UID (§7.4). Message text is the sender's: every splice is escaped
//! by maud, and an HTML body is cleaned (`emails::html::clean`) and shown in a sandboxed frame.

use std::collections::HashSet;

use maud::{Markup, html};

use crate::mail_accounts::model::MailAccount;
use crate::mail_import::browse::{Listing, PER_PAGE};
use crate::mail_import::browser::{Context, Outcome};
use crate::mail_import::parse::Parsed;
use crate::views::layout::{self, PageCx};
use crate::views::ui::{self, icon};

/// What the browser page shows.
pub struct Browser<'a> {
    pub account: &'a MailAccount,
    pub ctx: &'a Context,
    pub page: usize,
    /// `None`: the server could not be read (`error` says why).
    pub listing: Option<&'a Listing>,
    pub imported: &'a HashSet<u32>,
    pub error: Option<String>,
    pub outcome: Outcome,
}

fn title(ctx: &Context) -> String {
    match ctx {
        Context::Requests => "Import request from \u{2709}".into(),
        Context::Letter { title, .. } => format!("Import a letter into \u{201c}{title}\u{201d}"),
    }
}

fn subtitle(ctx: &Context) -> Markup {
    html! {
        @match ctx {
            Context::Requests => "Each message you import becomes a new request, matched to its contact person or lead.",
            Context::Letter { kind, id, .. } => {
                "Imported messages join the correspondence of "
                a href=(format!("{}/{id}", kind.info().path)) { "this " (kind.label().to_lowercase()) }
                ", with its ticket."
            }
        }
    }
}

fn back(ctx: &Context) -> (String, &'static str) {
    match ctx {
        Context::Requests => ("/requests".into(), "Back to requests"),
        Context::Letter { kind: crate::access::ItemKind::Deal, id, .. } => (format!("/deals/{id}"), "Back to the deal"),
        Context::Letter { id, .. } => (format!("/requests/{id}"), "Back to the request"),
    }
}

/// "Please select an Email account", or the warning that there is none.
pub fn choose(cx: &PageCx<'_>, ctx: &Context, accounts: &[(i64, String, String)]) -> Markup {
    let (back_url, back_label) = back(ctx);
    layout::page(
        cx,
        &title(ctx),
        html! {
            div.page-header {
                div { h1.page-title { (title(ctx)) } p.page-subtitle { (subtitle(ctx)) } }
                div.page-actions { a.btn.btn-ghost href=(back_url) { (back_label) } }
            }
            div.card { div.card-body.stack #mail-account-choice {
                @if accounts.is_empty() {
                    (ui::flash("warning", "You do not have mail accounts marked for importing emails. Please contact your administrator."))
                } @else {
                    form.stack method="get" action="/mail-import" {
                        @match ctx {
                            Context::Letter { kind: crate::access::ItemKind::Deal, id, .. } => input type="hidden" name="deal" value=(id);,
                            Context::Letter { id, .. } => input type="hidden" name="request" value=(id);,
                            Context::Requests => {},
                        }
                        fieldset {
                            legend { "Please select an Email account" }
                            @for (i, (id, name, email)) in accounts.iter().enumerate() {
                                label.check { input type="radio" name="account" value=(id) checked[i == 0]; " " (name) " " span.muted { "<" (email) ">" } }
                            }
                        }
                        div { button.btn.btn-primary type="submit" { "Open the mailbox" } }
                    }
                }
            } }
        },
    )
}

/// INBOX, one page of 40 headers, newest first.
fn page_of(b: &Browser<'_>, csrf: &str) -> Markup {
    let a = b.account;
    let action = format!("/mail-import/{}", a.id);
    html! {
        @for d in &b.outcome.done { (ui::flash("success", d)) }
        @for e in &b.outcome.errors { (ui::flash("error", e)) }
        @if !b.outcome.links.is_empty() {
            ul.import-links { @for (url, label) in &b.outcome.links { li { a href=(url) { (label) } } } }
        }
        @if let Some(e) = &b.error {
            div #mailbox-error { (ui::flash("error", &format!("The mailbox could not be read: {e}"))) }
        }
        @if let Some(l) = b.listing {
            form #mailbox method="post" action=(action) {
                (ui::csrf(csrf))
                @match b.ctx {
                    Context::Letter { kind: crate::access::ItemKind::Deal, id, .. } => input type="hidden" name="deal" value=(id);,
                    Context::Letter { id, .. } => input type="hidden" name="request" value=(id);,
                    Context::Requests => {},
                }
                input type="hidden" name="page" value=(b.page);
                div.page-actions.mailbox-actions {
                    button.btn.btn-primary name="action" value="import" type="submit" { (icon("mail")) " IMPORT" }
                    button.btn.btn-ghost name="action" value="delete" type="submit"
                        data-confirm="Delete the ticked messages from the mailbox? They go to its Trash folder." { (icon("trash")) " DELETE" }
                    button.btn.btn-ghost name="action" value="spam" type="submit" { (icon("alert")) " SPAM" }
                    button.btn.btn-ghost name="action" value="read" type="submit" { (icon("check")) " MARK AS READ" }
                }
                @if l.headers.is_empty() {
                    (ui::empty_state("mail", "INBOX is empty.", None))
                } @else {
                    div.table-wrap { table.table #mailbox-list {
                        thead { tr {
                            th { span.sr-only { "Choose" } } th { span.sr-only { "In the CRM" } }
                            th { "Subject" } th { "From" } th { "To" } th { "Date" } th.num { "UID" }
                        } }
                        tbody { @for h in &l.headers {
                            @let done = b.imported.contains(&h.uid);
                            tr.message.unseen[!h.seen].imported[done] data-uid=(h.uid) {
                                td { @if !done {
                                    input type="checkbox" name="uid" value=(h.uid) aria-label=(format!("Choose UID {}", h.uid));
                                } }
                                td { @if done { span.badge.badge-success.imported-mark title="Already imported" aria-label="Already imported" { "\u{2713}" } } }
                                td.subject {
                                    a href=(format!("/mail-import/{}/{}{}", a.id, h.uid, b.ctx.query(1))) target="_blank" rel="noopener" hx-boost="false" {
                                        @if h.seen { (subject(&h.subject)) } @else { strong { (subject(&h.subject)) } }
                                    }
                                }
                                td.from { (h.from) }
                                td.to { (h.to) }
                                td.date { @if let Some(d) = &h.date { (ui::datetime(d)) } }
                                td.num.uid { (h.uid) }
                            }
                        } }
                    } }
                }
            }
            (pager(b, l))
        }
    }
}

fn subject(s: &str) -> &str {
    if s.is_empty() { "No subject" } else { s }
}

fn pager(b: &Browser<'_>, l: &Listing) -> Markup {
    let pages = l.total.div_ceil(PER_PAGE).max(1);
    let url = |p: usize| format!("/mail-import/{}{}", b.account.id, b.ctx.query(p));
    html! {
        nav.pagination #mailbox-pages aria-label="Pages" {
            span.page-info { "Page " (b.page) " of " (pages) " · " (l.total) " message" @if l.total != 1 { "s" } }
            @if b.page > 1 { a.btn.btn-sm.btn-ghost rel="prev" href=(url(b.page - 1)) { "Previous" } }
            @if b.page < pages { a.btn.btn-sm.btn-ghost rel="next" href=(url(b.page + 1)) { "Next" } }
        }
    }
}

/// The browser page.
pub fn page(cx: &PageCx<'_>, b: &Browser<'_>) -> Markup {
    let (back_url, back_label) = back(b.ctx);
    let a = b.account;
    layout::page(
        cx,
        &title(b.ctx),
        html! {
            div.page-header {
                div {
                    h1.page-title { (title(b.ctx)) }
                    p.page-subtitle { "INBOX of " (a.name) " <" (a.email) ">. " (subtitle(b.ctx)) }
                }
                div.page-actions { a.btn.btn-ghost href=(back_url) { (back_label) } }
            }
            div.card.mail-browser { div.card-body.stack { (page_of(b, &cx.viewer.csrf)) } }
        },
    )
}

/// One message's original, fetched by UID.
pub fn original(cx: &PageCx<'_>, a: &MailAccount, ctx: &Context, uid: u32, m: Result<&Parsed, &str>) -> Markup {
    let back_url = format!("/mail-import/{}{}", a.id, ctx.query(1));
    layout::page(
        cx,
        &format!("UID {uid}"),
        html! {
            div.page-header {
                div { h1.page-title { @match m { Ok(p) => (subject(&p.subject)), Err(_) => { "UID " (uid) } } } p.page-subtitle { "The original in INBOX of " (a.email) ", UID " (uid) "." } }
                div.page-actions { a.btn.btn-ghost href=(back_url) { "Back to the mailbox" } }
            }
            div.card.email-original {
                @match m {
                    Err(e) => div.card-body #original-error { (ui::flash("error", e)) },
                    Ok(p) => {
                        div.card-body.email-headers { dl.kv {
                            dt { "From" } dd { (p.from) }
                            dt { "Date" } dd { @if let Some(d) = &p.date { (ui::datetime(d)) } }
                            dt { "To" } dd { (p.to) }
                            @if !p.cc.is_empty() { dt { "CC" } dd { (p.cc) } }
                            dt { "Subject" } dd { (subject(&p.subject)) }
                        } }
                        @if p.html.is_empty() {
                            div.card-body { div.email-text.pre-line { (p.text) } }
                        } @else {
                            // No scripts, no forms, no same origin: the frame may only open links in a new tab.
                            iframe.email-body title="Email body" sandbox="allow-popups allow-popups-to-escape-sandbox"
                                referrerpolicy="no-referrer" srcdoc=(crate::emails::html::frame_document(&crate::emails::html::clean(&p.html, false, None).html)) {}
                        }
                        @let names: Vec<&str> = p.attachments.iter().map(|x| x.name.as_str()).chain(p.too_large.iter().map(|(n, _)| n.as_str())).collect();
                        @if !names.is_empty() {
                            div.card-body.attachments { h2.text-small { "Attachments" } ul { @for n in names { li { (n) } } } }
                        }
                    }
                }
            }
        },
    )
}
