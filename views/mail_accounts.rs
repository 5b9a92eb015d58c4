//! Mail accounts: the list (own, or everyone's with an owner filter for administrators), the
//! account page with "Test connection", and one form for new and edit. No password is ever
//! rendered: the field is always empty, and says what an empty field does.

use maud::{Markup, html};

use crate::error::FormErrors;
use crate::mail_accounts::check::{Outcome, Part};
use crate::mail_accounts::model::{AccountForm, MailAccount, Tls};
use crate::mail_import::report::{Failure, Folder};
use crate::paging::Paged;
use crate::views::layout::{PageCx, page};
use crate::views::picker::Picker;
use crate::views::ui::{self, Field, icon};

pub const PATH: &str = "/mail-accounts";

fn url(id: i64) -> String {
    format!("{PATH}/{id}")
}

/// The list page. `owners`: the administrator's owner filter (empty for everyone else).
pub fn index(cx: &PageCx<'_>, list: &Paged<MailAccount>, owner: Option<i64>, owners: &[(i64, String)]) -> Markup {
    let all = !owners.is_empty() || owner.is_some();
    page(
        cx,
        "Mail accounts",
        html! {
            div.page-header {
                div {
                    h1.page-title { "Mail accounts" }
                    p.page-subtitle { @if all { "Every user's accounts." } @else { "Your accounts for sending and importing mail. Work mail goes out through the main one." } }
                }
                div.page-actions { a.btn.btn-primary href=(format!("{PATH}/new")) { (icon("plus")) " New account" } }
            }
            @if all {
                form.filters method="get" action=(PATH) {
                    select name="owner" aria-label="Owner" {
                        option value="" { "All owners" }
                        @for (id, name) in owners { option value=(id) selected[Some(*id) == owner] { (name) } }
                    }
                    button.btn type="submit" { "Filter" }
                }
            }
            div #mail-account-list {
                @if list.items.is_empty() {
                    (ui::empty_state("mail", "No mail accounts yet.", Some((&format!("{PATH}/new"), "Add an account"))))
                } @else {
                    div.table-wrap { table.table {
                        thead { tr {
                            th { "Account" } th { "Address" } @if all { th { "Owner" } }
                            th { "SMTP" } th { "IMAP" } th { "Import" } th.actions { span.sr-only { "Actions" } }
                        } }
                        tbody { @for a in &list.items { (row(a, all)) } }
                    } }
                    (ui::pagination(list, ui::Noun("account", "accounts"), |p| {
                        let q = crate::paths::query(&[
                            ("owner", owner.map(|o| o.to_string()).unwrap_or_default()),
                            ("page", if p > 1 { p.to_string() } else { String::new() }),
                        ]);
                        format!("{PATH}{q}")
                    }))
                }
            }
        },
    )
}

fn row(a: &MailAccount, all: bool) -> Markup {
    html! {
        tr id=(format!("mail-account-{}", a.id)) {
            td {
                a href=(url(a.id)) { strong { (a.name) } }
                @if a.main { " " span.badge.badge-info title="Work mail goes out through this account" { "Main" } }
            }
            td { (a.email) }
            @if all { td { (a.owner_name) } }
            td { (a.smtp_host) ":" (a.smtp_port) }
            td { @if a.imap_host.is_empty() { span.muted { "—" } } @else { (a.imap_host) ":" (a.imap_port) } }
            td { @if a.do_import { span.badge.badge-success { "On" } } @else { span.muted { "Off" } } }
            td.actions {
                a.btn.btn-ghost.btn-sm href=(format!("{}/edit", url(a.id))) { (icon("edit")) span.sr-only { "Edit " (a.name) } }
            }
        }
    }
}

/// The account page: its settings (never the password), Test connection, edit and delete.
/// The import's completeness report (§7.2) as the account page shows it.
pub struct Report {
    pub folders: Vec<Folder>,
    pub failures: Vec<Failure>,
    /// The account's last run, and why it could not reach the mailbox then (empty: it could).
    pub ran_at: Option<chrono::DateTime<chrono::Utc>>,
    pub error: String,
    pub next_run: Option<chrono::DateTime<chrono::Utc>>,
    /// "Import now" was just pressed.
    pub queued: bool,
    pub every_secs: u64,
}

pub fn show(
    cx: &PageCx<'_>,
    a: &MailAccount,
    outcome: Option<&Outcome>,
    saved: bool,
    limit_secs: u64,
    report: &Report,
) -> Markup {
    let tls = |s: &str| Tls::from_slug(s).map(Tls::label).unwrap_or("?");
    page(
        cx,
        &a.name,
        html! {
            @if saved { (ui::flash("success", "The mail account was saved.")) }
            div.page-header {
                div {
                    h1.page-title { (a.name) @if a.main { " " span.badge.badge-info { "Main" } } }
                    p.page-subtitle { (a.email) " · " (a.owner_name) @if let Some(d) = &a.department_name { " · " (d) } }
                }
                div.page-actions {
                    a.btn.btn-ghost href=(PATH) { "All accounts" }
                    a.btn.btn-primary href=(format!("{}/edit", url(a.id))) { (icon("edit")) " Edit" }
                }
            }
            div.grid-2 {
                div.card {
                    div.card-header { h2.card-title { "Sending (SMTP)" } }
                    div.card-body { dl.kv {
                        dt { "Server" } dd { (a.smtp_host) ":" (a.smtp_port) }
                        dt { "Security" } dd { (tls(&a.smtp_tls)) }
                        dt { "Login" } dd { @if a.smtp_login.is_empty() { span.muted { "none" } } @else { (a.smtp_login) } }
                        dt { "Password" } dd { @if a.has_password() { "stored, encrypted" } @else { span.muted { "none" } } }
                        dt { "From" } dd { @if !a.from_name.is_empty() { (a.from_name) " " } "<" (a.email) ">" }
                    } }
                }
                div.card {
                    div.card-header { h2.card-title { "Receiving (IMAP)" } }
                    div.card-body { dl.kv {
                        @if a.imap_host.is_empty() {
                            dt { "Server" } dd { span.muted { "none" } }
                        } @else {
                            dt { "Server" } dd { (a.imap_host) ":" (a.imap_port) }
                            dt { "Security" } dd { (tls(&a.imap_tls)) }
                            dt { "Login" } dd { (a.imap_user()) @if a.imap_login.is_empty() { span.muted { " (the SMTP login)" } } }
                        }
                        dt { "Import" } dd { @if a.do_import { "on" } @else { "off" } }
                        dt { "Folders" } dd {
                            @let folders = [("Sent", &a.sent_folder), ("Spam", &a.spam_folder), ("Trash", &a.trash_folder)];
                            @for (i, (label, f)) in folders.iter().enumerate() {
                                @if i > 0 { ", " }
                                (label) ": " @if f.is_empty() { span.muted { "found by the server" } } @else { (f) }
                            }
                        }
                    } }
                }
            }
            div.card {
                div.card-header { h2.card-title { "Test connection" } }
                div.card-body.stack {
                    p.muted { "Connects to both servers with these settings and logs in, as sending and importing will. The answer comes within "
                        (limit_secs) " seconds." }
                    form.row method="post" action=(format!("{}/test", url(a.id))) hx-post=(format!("{}/test", url(a.id)))
                        hx-target="#connection-test" hx-swap="outerHTML" hx-disabled-elt="find button" {
                        (ui::csrf(&cx.viewer.csrf))
                        button.btn type="submit" { (icon("check")) " Test connection" }
                        span.htmx-indicator.muted { "Connecting…" }
                    }
                    (result(outcome))
                }
            }
            (import_report(cx, a, report))
            div.card {
                div.card-header { h2.card-title { "Delete" } }
                div.card-body {
                    form method="post" action=(format!("{}/delete", url(a.id)))
                        data-confirm=(format!("Delete the mail account \u{201c}{}\u{201d}? Mail already in the CRM stays.", a.name)) {
                        (ui::csrf(&cx.viewer.csrf))
                        button.btn.btn-danger type="submit" { (icon("trash")) " Delete account" }
                    }
                }
            }
        },
    )
}

/// Per folder: UIDVALIDITY, last UID, seen / filed / skipped by reason / failed, the last run; the
/// latest failures with their reasons; "Import now".
fn import_report(cx: &PageCx<'_>, a: &MailAccount, r: &Report) -> Markup {
    let n = |v: i64| html! { td.num { (v) } };
    html! {
        div.card #import-report {
            div.card-header {
                h2.card-title { "Mail import" }
                @if a.do_import && !a.imap_host.is_empty() {
                    form method="post" action=(format!("{}/import", url(a.id))) {
                        (ui::csrf(&cx.viewer.csrf))
                        button.btn.btn-sm type="submit" { (icon("mail")) " Import now" }
                    }
                }
            }
            div.card-body.stack {
                @if r.queued { (ui::flash("success", "The import will run within seconds. Reload the page to see what it found.")) }
                @if !a.do_import {
                    p.muted { "Import is off: letters with a ticket in this mailbox are not brought into the CRM. Turn it on in the account's settings." }
                } @else {
                    p.muted {
                        "INBOX and the sent folder are checked every " (r.every_secs) " seconds for letters with a "
                        code { "[ticket:…]" } " of a deal or request; those are filed there."
                        @if let Some(at) = r.ran_at { " Last run: " (ui::datetime(&at)) "." }
                        @if let Some(at) = r.next_run { " Next run: " (ui::datetime(&at)) "." }
                    }
                }
                @if !r.error.is_empty() {
                    div.flash.flash-error #import-error role="status" { (icon("alert")) span { strong { "The last run could not reach the mailbox: " } (r.error) } }
                }
                @if r.folders.is_empty() {
                    p.muted #import-never { "Nothing imported yet." }
                } @else {
                    div.table-wrap { table.table #import-folders {
                        thead {
                            tr {
                                th rowspan="2" { "Folder" } th rowspan="2" { "UIDVALIDITY" } th.num rowspan="2" { "Last UID" }
                                th.num rowspan="2" { "Seen" } th.num rowspan="2" { "Filed" }
                                th.group colspan="4" { "Skipped" } th.num rowspan="2" { "Failed" }
                            }
                            tr {
                                th.num title="Sent by the CRM itself" { "own" } th.num { "no ticket" }
                                th.num title="A ticket no deal or request has" { "unknown ticket" }
                                th.num title="Already in the CRM" { "duplicate" }
                            }
                        }
                        tbody { @for f in &r.folders {
                            tr data-folder=(f.folder) {
                                td {
                                    (f.folder) @if f.role == "sent" && !f.folder.eq_ignore_ascii_case("sent") { span.muted { " (sent mail)" } }
                                    br; span.muted { "Last run: " @if let Some(at) = f.last_run_at { (ui::datetime(&at)) } @else { "never" } }
                                    @if !f.last_error.is_empty() { br; span.folder-error { (f.last_error) } }
                                }
                                td.uidvalidity { @match f.uidvalidity { Some(v) => (v), None => span.muted { "—" } }
                                    @if f.rescans > 0 { br; span.muted { "changed " (f.rescans) "×, scanned again" } } }
                                td.num.last-uid { (f.last_uid) }
                                (n(f.seen)) (n(f.filed)) (n(f.skipped_own)) (n(f.skipped_no_ticket))
                                (n(f.skipped_unknown_ticket)) (n(f.skipped_duplicate)) (n(f.failed))
                            }
                        } }
                    } }
                }
                @if !r.failures.is_empty() {
                    details #import-failures {
                        summary { "Messages that could not be filed (latest " (r.failures.len()) ")" }
                        div.table-wrap { table.table {
                            thead { tr { th { "Folder" } th.num { "UID" } th { "Why" } th { "When" } } }
                            tbody { @for x in &r.failures {
                                tr { td { (x.folder) } td.num { (x.uid) } td.failure-error { (x.error) } td { (ui::datetime(&x.created_at)) } }
                            } }
                        } }
                    }
                }
            }
        }
    }
}

/// The answer of Test connection (`#connection-test`, swapped in by htmx).
pub fn result(outcome: Option<&Outcome>) -> Markup {
    html! {
        div #connection-test.stack aria-live="polite" {
            @if let Some(o) = outcome {
                (part("SMTP", &o.smtp))
                (part("IMAP", &o.imap))
            }
        }
    }
}

fn part(label: &str, p: &Part) -> Markup {
    let (class, ico, word) = match p.ok {
        Some(true) => ("flash flash-success", "check", "works"),
        Some(false) => ("flash flash-error", "alert", "failed"),
        None => ("flash flash-info", "info", "not checked"),
    };
    html! {
        div class=(class) data-part=(label.to_lowercase()) data-ok=(match p.ok { Some(true) => "true", Some(false) => "false", None => "" }) {
            (icon(ico)) span { strong { (label) " " (word) ": " } span.result-text { (p.text) } }
        }
    }
}

/// The one form for a new account (`before` None) and an edit. `owner_picker`: the viewer may
/// give the account to another user (administrators).
pub fn form(
    cx: &PageCx<'_>,
    before: Option<&MailAccount>,
    f: &AccountForm,
    errors: &FormErrors,
    people: &[(i64, String)],
    owner_picker: bool,
) -> Markup {
    let id = before.map(|a| a.id);
    let stored_password = before.is_some_and(MailAccount::has_password);
    let is_main = before.is_some_and(|a| a.main);
    let (title, action) = match id {
        Some(id) => ("Edit mail account", url(id)),
        None => ("New mail account", PATH.to_string()),
    };
    let tls_opts: Vec<(String, String)> =
        Tls::ALL.iter().map(|t| (t.slug().to_string(), t.label().to_string())).collect();
    let user = |s: &str| s.trim().parse::<i64>().ok().into_iter().collect::<Vec<_>>();
    let password_help = match (id.is_some(), stored_password) {
        (true, true) => "A password is stored (encrypted). Leave this empty to keep it; type a new one to replace it.",
        (true, false) => "No password is stored. Type one if the server asks for a login.",
        (false, _) => "Stored encrypted, never shown again. For Gmail, Outlook and the like use an app password.",
    };
    page(
        cx,
        title,
        html! {
            div.page-header { div { h1.page-title { (title) } } }
            div.card { div.card-body {
                (ui::form_errors(errors))
                form.form method="post" action=(action) autocomplete="off" {
                    (ui::csrf(&cx.viewer.csrf))
                    div.field-row {
                        (Field::new("name", "Account name", &f.name, errors).required().help("For you, e.g. \u{201c}Work\u{201d}."))
                        (Field::new("email", "Email address", &f.email, errors).kind("email").required().help("Mail is sent from this address."))
                    }
                    (Field::new("from_name", "Sender name", &f.from_name, errors).help("Shown before the address, e.g. \u{201c}Anna Smith, ACME\u{201d}."))
                    @if owner_picker {
                        div.field-row {
                            (Picker::new("owner", "Owner", people, &user(&f.owner), false, errors).required())
                            (Picker::new("co_owner_id", "Co-owner", people, &user(&f.co_owner_id), false, errors))
                        }
                    } @else {
                        (Picker::new("co_owner_id", "Co-owner", people, &user(&f.co_owner_id), false, errors))
                    }
                    fieldset.checks {
                        legend { "Use" }
                        @if is_main {
                            input type="hidden" name="main" value="on";
                            p.help { (icon("info")) " This is the main account: work mail goes out through it. To change that, mark another account as main." }
                        } @else {
                            label.check { input type="checkbox" name="main" value="on" checked[f.main.is_some()]; " Main account: work mail goes out through it" }
                        }
                        label.check { input type="checkbox" name="do_import" value="on" checked[f.do_import.is_some()]; " Import mail with a ticket from this mailbox" }
                    }
                    h2.card-title { "Sending (SMTP)" }
                    div.field-row {
                        (Field::new("smtp_host", "SMTP server", &f.smtp_host, errors).required().help("e.g. smtp.example.com"))
                        (Field::new("smtp_port", "Port", &f.smtp_port, errors).kind("number").required().help("587 for STARTTLS, 465 for TLS"))
                        (ui::select("smtp_tls", "Security", &f.smtp_tls, &tls_opts, errors))
                    }
                    div.field-row {
                        (Field::new("smtp_login", "Login", &f.smtp_login, errors).autocomplete("off").help("Usually the email address. Empty: no login."))
                        (Field::new("password", "Password", "", errors).kind("password").autocomplete("new-password").help(password_help))
                    }
                    @if stored_password {
                        label.check { input type="checkbox" name="clear_password" value="on"; " Remove the stored password (the server needs no login)" }
                    }
                    h2.card-title { "Receiving (IMAP)" }
                    div.field-row {
                        (Field::new("imap_host", "IMAP server", &f.imap_host, errors).help("e.g. imap.example.com; needed for importing"))
                        (Field::new("imap_port", "Port", &f.imap_port, errors).kind("number").required().help("993 for TLS, 143 for STARTTLS"))
                        (ui::select("imap_tls", "Security", &f.imap_tls, &tls_opts, errors))
                    }
                    (Field::new("imap_login", "IMAP login", &f.imap_login, errors).help("Empty: the SMTP login. The password is the same for both."))
                    div.field-row {
                        (Field::new("sent_folder", "Sent folder", &f.sent_folder, errors).help("Empty: found by the server"))
                        (Field::new("spam_folder", "Spam folder", &f.spam_folder, errors).help("Empty: found by the server"))
                        (Field::new("trash_folder", "Trash folder", &f.trash_folder, errors).help("Empty: found by the server"))
                    }
                    div.form-actions {
                        button.btn.btn-primary type="submit" { "Save" }
                        a.btn.btn-ghost href=(id.map(url).unwrap_or_else(|| PATH.to_string())) { "Cancel" }
                    }
                }
            } }
            p.muted.text-small { (icon("lock")) " Passwords are encrypted with this server's secret key before they are stored." }
        },
    )
}
