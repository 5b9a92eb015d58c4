//! The chat of a memo, task or project: the panel, one message, the "Message +" form.
//!
//! `message` renders the same markup for every viewer (it is pushed as is over the live stream to
//! everyone who has the item open), so it shows nothing viewer-specific.

use std::collections::HashMap;

use maud::{Markup, html};

use crate::chat::Message;
use crate::error::FormErrors;
use crate::files::{Attachment, human_size};
use crate::items::ItemRef;
use crate::paths::{self, Sub};
use crate::views::ui::{self, datetime, icon};

/// DOM id of an item's message list; also the live event that appends to it.
pub fn list_id(it: &ItemRef) -> String {
    crate::events::names::chat(it.kind, it.id)
}

pub fn message(m: &Message, files: &[Attachment]) -> Markup {
    html! {
        article.chat-msg id=(format!("msg-{}", m.id)) data-author=(m.author_id) {
            header.chat-meta {
                strong.chat-author { (m.author()) }
                span.muted.text-small { (datetime(&m.created_at)) }
            }
            @if !m.body.is_empty() { p.chat-body { (m.body) } }
            @if !files.is_empty() {
                ul.files.chat-files {
                    @for f in files {
                        li { a href=(f.url()) download hx-boost="false" { (icon("clipboard")) " " (f.name) } span.muted.text-small { " " (human_size(f.size)) } }
                    }
                }
            }
        }
    }
}

fn older_link(it: &ItemRef, msgs: &[Message], more: bool) -> Markup {
    html! {
        @if more && let Some(first) = msgs.first() {
            div.chat-older {
                button.btn.btn-ghost.btn-sm type="button" hx-get=(paths::chat_before(it.kind, it.id, first.id))
                    hx-target="closest .chat-older" hx-swap="outerHTML" { "Show older messages" }
            }
        }
    }
}

/// Older messages (replacing the "Show older" button they were asked by).
pub fn older(it: &ItemRef, msgs: &[Message], files: &HashMap<i64, Vec<Attachment>>, more: bool) -> Markup {
    html! {
        (older_link(it, msgs, more))
        @for m in msgs { (message(m, files.get(&m.id).map(Vec::as_slice).unwrap_or(&[]))) }
    }
}

pub fn form(it: &ItemRef, csrf: &str, body: &str, errs: &FormErrors) -> Markup {
    let err = errs.get("body");
    html! {
        form.chat-form method="post" action=(paths::sub(it.kind, it.id, Sub::Chat)) enctype="multipart/form-data"
            hx-post=(paths::sub(it.kind, it.id, Sub::Chat)) hx-encoding="multipart/form-data" hx-target="this" hx-swap="outerHTML" {
            (ui::csrf(csrf))
            div.field.has-error[err.is_some()] {
                label for=(format!("chat-body-{}", it.id)) { "Message" }
                textarea id=(format!("chat-body-{}", it.id)) name="body" rows="2"
                    placeholder=(format!("Write to everyone in this {}", it.kind.label().to_lowercase()))
                    aria-invalid=[err.map(|_| "true")] { (body) }
                @if let Some(e) = err { p.field-error { (e) } }
            }
            div.chat-actions {
                input type="file" name="files" multiple aria-label="Attach files";
                button.btn.btn-primary type="submit" { (icon("plus")) " Message" }
            }
        }
    }
}

/// After posting with htmx: a fresh form, and the message appended to the list out of band.
pub fn posted(it: &ItemRef, csrf: &str, msg: Markup) -> Markup {
    html! {
        (form(it, csrf, "", &FormErrors::default()))
        div hx-swap-oob=(format!("beforeend:#{}", list_id(it))) { (msg) }
    }
}

pub fn panel(
    it: &ItemRef,
    csrf: &str,
    msgs: &[Message],
    files: &HashMap<i64, Vec<Attachment>>,
    more: bool,
    can_post: bool,
) -> Markup {
    let list = list_id(it);
    html! {
        section.card.chat #chat aria-label="Chat" {
            div.card-header { h2.card-title { "Chat" } span.live-dot title="Live: new messages appear by themselves" {} }
            div.card-body {
                // New messages are pushed (sse-swap); the list re-fetches itself only after a resync.
                // Focusable: it scrolls, and keyboard users must be able to scroll it.
                div.chat-list id=(list) sse-swap=(list) hx-swap="beforeend" aria-live="polite" data-live=(it.url()) data-live-on=""
                    tabindex="0" role="log" aria-label="Messages" {
                    (older(it, msgs, files, more))
                }
                @if msgs.is_empty() { p.muted.text-small.chat-empty { "No messages yet. Everyone in this " (it.kind.label().to_lowercase()) " will be notified of yours." } }
                @if can_post { (form(it, csrf, "", &FormErrors::default())) }
            }
        }
    }
}
