//! Emails (§7): the list with its mailboxes (§7.5), the email page's panel (§7.1: box, date,
//! Previous/Next in the thread, the body, the original), the "Last few letters" block, the
//! original-missing page and the signatures page.

use maud::{Markup, html};

use crate::access::{ItemKind, Viewer};
use crate::crm::fields::RefTo;
use crate::crm::list::Owner;
use crate::crm::repo::Names;
use crate::emails::kind::{Mailbox, flag, int, text};
use crate::emails::list::{ListData, Row};
use crate::emails::page::Panel;
use crate::emails::signatures::{SigForm, Signature};
use crate::error::FormErrors;
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, icon};

/// The box's icon and colour (§7.5: inbox green, sent blue, outbox red, trash grey).
pub fn box_mark(b: Mailbox) -> Markup {
    let (class, ico) = match b {
        Mailbox::Inbox => ("badge badge-success mailbox", "mail"),
        Mailbox::Sent => ("badge badge-info mailbox", "chevron-right"),
        Mailbox::Outbox => ("badge badge-danger mailbox", "edit"),
        Mailbox::Trash => ("badge badge-muted mailbox", "trash"),
    };
    html! { span class=(class) data-box=(b.slug()) title=(b.label()) { (icon(ico)) " " (b.label()) } }
}

fn mailbox_of(r: &Row) -> Mailbox {
    let rec = &r.record;
    Mailbox::of(flag(rec, "sent"), flag(rec, "incoming"), flag(rec, "trash"))
}

fn subject_of(r: &Row) -> String {
    let s = text(&r.record, "subject");
    if s.trim().is_empty() { "No subject".to_string() } else { s.to_string() }
}

/// The contact person, lead or company the email is about (the first one set).
fn person(r: &Row, names: &Names) -> Option<(String, String)> {
    for (col, kind) in
        [("contact_id", ItemKind::Contact), ("lead_id", ItemKind::Lead), ("company_id", ItemKind::Company)]
    {
        if let Some(id) = int(&r.record, col) {
            let name = names.of(RefTo::Object(kind), id).unwrap_or_else(|| format!("#{id}"));
            return Some((format!("{}/{id}", kind.info().path), name));
        }
    }
    None
}

pub fn index(cx: &PageCx<'_>, d: &ListData) -> Markup {
    let f = &d.filter;
    let owner = f.base.owner(cx.viewer);
    let current = f.mailbox();
    let tab = |b: Option<Mailbox>| {
        let mut g = f.clone();
        g.mailbox = b.map(|b| b.slug().to_string()).unwrap_or_default();
        g.base.page = None;
        format!("/emails{}", g.query(1))
    };
    page(
        cx,
        "Emails",
        html! {
            div.page-header {
                div { h1.page-title { "Emails in the CRM database" } p.page-subtitle { "Newest first." } }
                div.page-actions {
                    a.btn.btn-ghost href=(crate::emails::signatures::PATH) { (icon("edit")) " My signatures" }
                    @if d.can_write { a.btn.btn-primary.write-email href="/emails/new" { (icon("plus")) " Write email" } }
                }
            }
            nav.tabs.mailboxes aria-label="Mailboxes" {
                a.tab.active[current.is_none()] href=(tab(None)) aria-current=[current.is_none().then_some("page")] { "All but trash" }
                @for b in Mailbox::ALL {
                    a.tab.active[current == Some(b)] href=(tab(Some(b))) data-box=(b.slug()) aria-current=[(current == Some(b)).then_some("page")] {
                        (b.label())
                        @if b == Mailbox::Outbox && d.outbox > 0 {
                            " " span.badge.badge-danger.outbox-count title="Your unsent drafts" { "(" (d.outbox) ")" }
                        }
                    }
                }
            }
            form.filters method="get" action="/emails" hx-get="/emails" hx-target="#email-list" hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="input changed delay:300ms from:find input[type=search], change" {
                input type="hidden" name="box" value=(f.mailbox);
                input type="search" name="q" value=(f.base.q) placeholder="Search to, cc, from, subject, content, UID" aria-label="Search emails";
                select name="owner" aria-label="Owner" title="Owner" {
                    option value="mine" selected[owner == Owner::Mine] { "Mine" }
                    option value="all" selected[owner == Owner::All] { "Everyone's" }
                    option value="none" selected[owner == Owner::Nobody] { "No owner" }
                    @for (id, name) in &d.owners {
                        @if *id != cx.viewer.id { option value=(id) selected[owner == Owner::User(*id)] { (name) } }
                    }
                }
                @if !d.departments.is_empty() {
                    select name="department" aria-label="Department" title="Department" {
                        option value="" { "All departments" }
                        @for (id, name) in &d.departments { option value=(id) selected[f.base.department == id.to_string()] { (name) } }
                    }
                }
                button.btn type="submit" { "Filter" }
            }
            @if current == Some(Mailbox::Outbox) {
                p.muted.text-small { "Please note that this is a list of unsent emails." }
            } @else if owner == Owner::Mine {
                p.muted.text-small { "Showing the emails you own. Choose “Everyone's” to see the whole department." }
            }
            (list(cx.viewer, d))
        },
    )
}

/// The rows: a live region that follows every email change.
pub fn list(_v: &Viewer, d: &ListData) -> Markup {
    let f = &d.filter;
    let url = format!("/emails{}", f.query(d.page.page));
    let on = crate::events::names::kind_changed(ItemKind::Email);
    Live::new("email-list", &url, &on).delay(LIST_DELAY_MS).div(
        "",
        html! {
            @if d.page.items.is_empty() {
                @if f.base.q.trim().is_empty() {
                    (ui::empty_state("mail", "No emails here.", None))
                } @else {
                    (ui::empty_state("search", &format!("No emails match “{}”.", f.base.q.trim()), None))
                }
            } @else {
                div.table-wrap { table.table.crm-table.email-table {
                    thead { tr {
                        th { "Subject" }
                        th { "From" }
                        th { "To" }
                        th { "Box" }
                        th { span.sr-only { "Attachments" } }
                        th { "Person" }
                        th { "Date" }
                        th.num { "UID" }
                    } }
                    tbody { @for r in &d.page.items { (row(d, r)) } }
                } }
                (ui::pagination(&d.page, ui::Noun("email", "emails"), |n| format!("/emails{}", f.query(n))))
            }
        },
    )
}

fn row(d: &ListData, r: &Row) -> Markup {
    let rec = &r.record;
    let inquiry = flag(rec, "inquiry");
    html! {
        tr id=(format!("email-{}", rec.id)) {
            td.name {
                a.inquiry[inquiry] href=(format!("/emails/{}", rec.id)) title=[inquiry.then_some("The email that started a request")] {
                    @if text(rec, "subject").trim().is_empty() { span.muted { "No subject" } } @else { (text(rec, "subject")) }
                }
            }
            td.email-address { (text(rec, "from_field")) }
            td.email-address { (text(rec, "to")) }
            td { (box_mark(mailbox_of(r))) }
            td { @if r.files { span role="img" title="Has attachments" aria-label="Has attachments" { (icon("copy")) } } }
            td { @match person(r, &d.names) { Some((href, name)) => a href=(href) { (name) }, None => span.muted { "—" } } }
            td.nowrap { (ui::datetime(&r.date)) }
            td.num.muted { @if let Some(uid) = int(rec, "uid") { (uid) } }
        }
    }
}

/// The panel above the email page's fields.
pub fn panel(v: &Viewer, p: &Panel) -> Markup {
    html! {
        div.card.email-panel {
            div.card-body.email-meta {
                (box_mark(p.mailbox))
                @if p.inquiry { " " span.badge.badge-success { "Inquiry" } }
                " " (ui::datetime(&p.date))
                @if !p.ticket.is_empty() { " " span.muted title="Ticket" { "[ticket:" (p.ticket) "]" } }
                span.email-nav {
                    @match p.prev { Some(id) => a.btn.btn-sm.btn-ghost rel="prev" href=(format!("/emails/{id}")) { (icon("chevron-left")) " Previous" }, None => {} }
                    @match p.next { Some(id) => a.btn.btn-sm.btn-ghost rel="next" href=(format!("/emails/{id}")) { "Next " (icon("chevron-right")) }, None => {} }
                    @if p.original {
                        a.btn.btn-sm.btn-ghost.view-original href=(format!("/emails/{}/original", p.id)) hx-boost="false" target="_blank" rel="noopener" { (icon("eye")) " View original" }
                        a.btn.btn-sm.btn-ghost.download-original href=(format!("/emails/{}/download", p.id)) hx-boost="false" download { "Download .eml" }
                    }
                }
            }
            @if !p.send_status.is_empty() || p.can_send || p.can_reply {
                div.card-body.email-sending {
                    (send_state(p))
                    span.email-actions {
                        @if p.can_send {
                            form.inline method="post" action=(format!("/emails/{}/send", p.id)) {
                                (ui::csrf(&v.csrf))
                                button.btn.btn-sm.btn-primary.send-now type="submit" { (icon("chevron-right")) @if p.send_status.is_empty() { " Send" } @else { " Send again" } }
                            }
                        }
                        @if p.can_reply {
                            a.btn.btn-sm.btn-ghost.reply href=(format!("/emails/{}/reply?act=reply", p.id)) { "Reply" }
                            a.btn.btn-sm.btn-ghost.reply-all href=(format!("/emails/{}/reply?act=reply-all", p.id)) { "Reply all" }
                            a.btn.btn-sm.btn-ghost.forward href=(format!("/emails/{}/reply?act=forward", p.id)) { "Forward" }
                        }
                    }
                }
            }
            @if !p.headers.is_empty() {
                div.card-body.email-headers {
                    dl.kv { @for (name, value) in &p.headers { dt { (name) } dd.email-address-list { (value) } } }
                }
            }
            @match &p.html {
                Some(clean) => {
                    @if clean.blocked_images > 0 && !p.show_images {
                        div.card-body.remote-images {
                            (ui::flash("info", &format!("{} remote image{} blocked to protect your privacy (a sender can tell when an image is loaded).", clean.blocked_images, if clean.blocked_images == 1 { " was" } else { "s were" })))
                            // A full load: the page's CSP allows remote images only on this URL.
                            a.btn.btn-sm.show-images href=(format!("/emails/{}?images=1", p.id)) hx-boost="false" { (icon("eye")) " Show images" }
                        }
                    }
                    // No scripts, no forms, no same origin: the frame may only open links in a new tab.
                    iframe.email-body title="Email body" sandbox="allow-popups allow-popups-to-escape-sandbox"
                        referrerpolicy="no-referrer" srcdoc=(crate::emails::html::frame_document(&clean.html)) {}
                }
                None => div.card-body { div.email-text.pre-line { (p.text) } }
            }
        }
    }
}

/// Where a letter is on its way out (§7.1): queued (and why it waits), sent, failed with the
/// server's words. The page is a live region: the worker's changes show as they happen.
fn send_state(p: &Panel) -> Markup {
    html! {
        @match p.send_status.as_str() {
            "queued" => span.send-state data-state="queued" {
                span.badge.badge-info { "Queued" }
                @if p.send_error.is_empty() { " " span.muted { "Waiting to be sent." } }
                @else { " " span.muted.send-error { "Will try again: " (p.send_error) } }
            },
            "sent" => span.send-state data-state="sent" {
                span.badge.badge-success { "Sent" }
                @if let Some(t) = &p.sent_at { " " span.muted { "accepted by the mail server " (ui::datetime(t)) } }
            },
            "failed" => span.send-state data-state="failed" {
                span.badge.badge-danger { "Failed" }
                " " span.send-error { (p.send_error) }
            },
            _ => @if p.can_send { span.send-state data-state="draft" { span.badge.badge-muted { "Draft" } } },
        }
    }
}

/// "Last few letters" on a company, contact person, lead, deal or request page.
pub fn letters(_v: &Viewer, rows: &[Row], _names: &Names) -> Markup {
    html! {
        section.card.letters aria-labelledby="letters-title" {
            div.card-header { h2.card-title #letters-title { "Last few letters" } a.btn.btn-sm.btn-ghost href="/emails" { "All emails" } }
            @if rows.is_empty() {
                div.card-body { p.muted { "No letters yet." } }
            } @else {
                ul.letters-list {
                    @for r in rows {
                        li.letter id=(format!("letter-{}", r.record.id)) {
                            (box_mark(mailbox_of(r)))
                            " " a.inquiry[flag(&r.record, "inquiry")] href=(format!("/emails/{}", r.record.id)) { (subject_of(r)) }
                            @if r.files { " " span role="img" title="Has attachments" aria-label="Has attachments" { (icon("copy")) } }
                            " " span.muted.text-small { (text(&r.record, "from_field")) " · " (ui::datetime(&r.date)) }
                        }
                    }
                }
            }
        }
    }
}

/// The page of an email whose original is not stored (404).
pub fn no_original(cx: &PageCx<'_>, id: i64) -> Markup {
    page(
        cx,
        "Original not stored",
        html! {
            div.page-header { div { h1.page-title { "Original not stored" } } }
            div.card { div.card-body {
                p.no-original { "The original message of this email is not stored in the CRM: it was written here, or came before originals were kept." }
                a.btn href=(format!("/emails/{id}")) { "Back to the email" }
            } }
        },
    )
}

/// The signatures page: the viewer's signatures and a form (new, or the one being edited).
pub fn signatures(cx: &PageCx<'_>, list: &[Signature], editing: Option<i64>, f: &SigForm, errs: &FormErrors) -> Markup {
    let action = match editing {
        Some(id) => format!("/signatures/{id}"),
        None => "/signatures".to_string(),
    };
    let content_err = errs.get("content");
    page(
        cx,
        "My signatures",
        html! {
            div.page-header { div { h1.page-title { "My signatures" } p.page-subtitle { "Plain text, added below your letters. The default one starts every new letter." } } }
            div.card {
                @if list.is_empty() {
                    (ui::empty_state("edit", "No signatures yet.", None))
                } @else {
                    ul.signature-list {
                        @for s in list {
                            li.signature id=(format!("signature-{}", s.id)) {
                                div.signature-head {
                                    strong { (s.name) }
                                    @if s.is_default { " " span.badge.badge-success.default-signature { "Default" } }
                                    a.btn.btn-sm.btn-ghost href=(format!("/signatures/{}/edit", s.id)) { (icon("edit")) " Edit" }
                                    form.inline method="post" action=(format!("/signatures/{}/delete", s.id)) {
                                        (ui::csrf(&cx.viewer.csrf))
                                        button.btn.btn-sm.btn-ghost type="submit" data-confirm="Delete this signature?" { (icon("trash")) " Delete" }
                                    }
                                }
                                div.signature-content.pre-line { (s.content) }
                            }
                        }
                    }
                }
            }
            div.card { div.card-body {
                h2.card-title { @if editing.is_some() { "Edit signature" } @else { "New signature" } }
                form.form method="post" action=(action) {
                    (ui::csrf(&cx.viewer.csrf))
                    (ui::form_errors(errs))
                    (ui::Field::new("name", "Name", &f.name, errs).required())
                    div.field.has-error[content_err.is_some()] {
                        label for="f-content" { "Content" }
                        textarea #f-content name="content" rows="5" aria-invalid=[content_err.map(|_| "true")] { (f.content) }
                        @if let Some(e) = content_err { p.field-error { (e) } }
                    }
                    div.field {
                        label.checkbox { input type="checkbox" name="is_default" value="on" checked[!f.is_default.is_empty()]; " Default signature" }
                    }
                    button.btn.btn-primary type="submit" { "Save" }
                    @if editing.is_some() { " " a.btn.btn-ghost href="/signatures" { "Cancel" } }
                }
            } }
        },
    )
}
