//! "Write email" (§7.1): the compose form, new or a reply/forward, with its sender, warnings and
//! messages.

use maud::{Markup, html};

use crate::emails::compose::{Act, ComposePage};
use crate::views::layout::{PageCx, page};
use crate::views::ui::{self, icon};

fn area(name: &'static str, label: &str, value: &str, rows: u32, p: &ComposePage<'_>, help: Option<&str>) -> Markup {
    let err = p.errs.get(name);
    let id = format!("f-{name}");
    html! {
        div.field.has-error[err.is_some()] {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows=(rows) aria-invalid=[err.map(|_| "true")] { (value) }
            @if let Some(h) = help { p.help { (h) } }
            @if let Some(e) = err { p.field-error { (e) } }
        }
    }
}

pub fn compose(cx: &PageCx<'_>, p: &ComposePage<'_>) -> Markup {
    let f = p.form;
    let c = p.cx;
    let title = match c.reply.map(|(_, a)| a) {
        Some(Act::Reply) => "Reply",
        Some(Act::ReplyAll) => "Reply all",
        Some(Act::Forward) => "Forward",
        None => "Write email",
    };
    let mut sigs: Vec<(String, String)> = vec![(String::new(), "No signature".into())];
    sigs.extend(p.signatures.iter().map(|s| (s.id.to_string(), s.name.clone())));
    page(
        cx,
        title,
        html! {
            div.page-header {
                div {
                    h1.page-title { (title) }
                    p.page-subtitle {
                        @if let Some((kind, id)) = c.about {
                            (kind.label()) ": " a href=(format!("{}/{id}", kind.info().path)) { (c.about_title) }
                        } @else if let Some((id, _)) = c.reply {
                            "To the email " a href=(format!("/emails/{id}")) { "#" (id) }
                        } @else {
                            "A letter not linked to a deal or request."
                        }
                        @if !c.ticket.is_empty() { " · " span.ticket { "[ticket:" (c.ticket) "]" } }
                    }
                }
            }
            @match p.account {
                Some(a) => p.muted.sender { "From " strong.from { (a.from_field()) } " (your main mail account)" },
                None => div.no-main-account {
                    (ui::flash("warning", "To send a letter you need a mail account marked as main. You can still save the letter as a draft."))
                    a.btn.btn-sm href="/mail-accounts/new" { (icon("plus")) " Add a mail account" }
                },
            }
            @if c.partner {
                (ui::flash("warning", "Attention! This deal involves a partner. Please ensure the recipient is correct."))
            }
            @if c.ticket.is_empty() && c.ticket_of.is_some() {
                p.muted.text-small { "A ticket will be given to the " (c.ticket_of.map(|(k, _)| k.label().to_lowercase()).unwrap_or_default()) " and added to the subject and the letter." }
            }
            div.card { div.card-body {
                form.form.compose method="post" action="/emails/new" enctype="multipart/form-data" {
                    (ui::csrf(&cx.viewer.csrf))
                    input type="hidden" name="about" value=(f.about);
                    input type="hidden" name="reply_to" value=(f.reply_to);
                    input type="hidden" name="act" value=(f.act);
                    (ui::form_errors(p.errs))
                    @if let Some(e) = p.errs.get("account") { p.field-error.account-error role="alert" { (e) " " a href="/mail-accounts/new" { "Add a mail account" } } }
                    (ui::Field::new("to", "To", &f.to, p.errs).required().help("Addresses separated by commas."))
                    (ui::Field::new("cc", "Cc", &f.cc, p.errs))
                    (ui::Field::new("bcc", "Bcc", &f.bcc, p.errs))
                    (ui::Field::new("subject", "Subject", &f.subject, p.errs).required())
                    (area("content", "Text", &f.content, 12, p, None))
                    (ui::select("signature_id", "Signature", &f.signature_id, &sigs, p.errs))
                    @if !c.prev_corr.is_empty() {
                        details.prev-corr open {
                            summary { "Previous correspondence (added below the signature)" }
                            div.pre-line.email-text { (c.prev_corr) }
                        }
                    }
                    @if !c.forward_files.is_empty() {
                        p.muted.text-small.forward-files { (c.forward_files.len()) " file(s) of the forwarded email go with it." }
                    }
                    div.field {
                        label.checkbox { input type="checkbox" name="read_receipt" value="on" checked[!f.read_receipt.is_empty()]; " Ask for a read receipt" }
                    }
                    (crate::views::items::file_inputs(&[], &[], &f.held))
                    @if c.deal_editable || p.errs.get("to_deal").is_some() {
                        div.field.to-deal {
                            label.checkbox {
                                input type="checkbox" name="to_deal" value="on" checked[!f.to_deal.is_empty()];
                                " Attach to the deal"
                            }
                            p.help { "The files chosen above are also stored as files of the deal." }
                            @if let Some(e) = p.errs.get("to_deal") { p.field-error role="alert" { (e) } }
                        }
                    }
                    @if !c.deal_files.is_empty() {
                        fieldset.checks.deal-files {
                            legend { "Files of the deal to attach" }
                            @for a in &c.deal_files {
                                label.check {
                                    input type="checkbox" name="deal_files" value=(a.id) checked[f.deal_files.contains(&a.id.to_string())];
                                    " " (a.name) " · " span.muted { (crate::files::human_size(a.size)) }
                                }
                            }
                        }
                    }
                    p.help { "Each file at most " (crate::files::human_size(p.max_upload as i64)) "." }
                    div.form-actions {
                        button.btn.btn-primary type="submit" name="intent" value="send" { (icon("chevron-right")) " Send" }
                        " "
                        button.btn.btn-ghost type="submit" name="intent" value="draft" { "Save draft" }
                    }
                }
            } }
        },
    )
}
