//! "Write email" (§7.1): the compose form from a deal, request, company, contact person or lead page
//! and from the email list, and reply, reply all and forward from an email page. What the letter is
//! about (its links, department and ticket) is always derived on the server from an object or email
//! the viewer may see: the form carries only which one (`about`, `reply_to`), never the links.
//!
//! The subject of a ticketed letter (a deal's or request's, or a reply in such a thread) carries
//! `[ticket:…]` (a deal or request without one gets one when the letter is saved) and the body the
//! ticket footnote. Addresses are plain addresses, each checked, none of the configured not-allowed
//! ones; the subject is one line. "Send" commits the email and its outbox job together (`send`);
//! "Save draft" keeps it in the outbox mailbox.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Alias, Expr, ExprTrait, Query};

use super::kind::SPEC;
use super::send::{self, MainAccount};
use crate::access::{self, Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::crm::record::Val;
use crate::crm::repo::{self, Record};
use crate::error::{AppError, AppResult, FormErrors};
use crate::files::upload::{Held, HoldsFiles, Uploaded};
use crate::history::Actor;
use crate::htmx::HxRequest;
use crate::views;
use crate::web::{self, Query as Q};

pub use super::letter_check::{Checked, addresses, check};

/// The footnote of a ticketed letter (§7.1).
pub fn footnote(ticket: &str) -> String {
    format!("Your request is assigned a [ticket:{ticket}]. Please keep it in correspondence.")
}

/// The ticket mark as it appears in subjects and bodies (§1.5).
pub fn mark(ticket: &str) -> String {
    format!("[ticket:{ticket}]")
}

/// The form as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ComposeForm {
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub content: String,
    pub signature_id: String,
    pub read_receipt: String,
    /// What the letter is about: `deal:12`, `request:3`… (empty: nothing).
    pub about: String,
    /// The email this one answers or forwards, and how (`reply`, `reply-all`, `forward`).
    pub reply_to: String,
    pub act: String,
    /// `send` or `draft`.
    pub intent: String,
    /// Files of the deal to attach (attachment ids of the deal's, §7.1).
    pub deal_files: Vec<String>,
    /// "Attach to the deal": the files uploaded to the letter are also stored as files of the deal.
    pub to_deal: String,
    #[serde(skip)]
    pub held: Vec<Held>,
}

impl HoldsFiles for ComposeForm {
    fn held_mut(&mut self) -> &mut Vec<Held> {
        &mut self.held
    }
}

/// Reply, reply all, forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Reply,
    ReplyAll,
    Forward,
}

impl Act {
    pub fn from_slug(s: &str) -> Option<Act> {
        match s {
            "reply" => Some(Act::Reply),
            "reply-all" => Some(Act::ReplyAll),
            "forward" => Some(Act::Forward),
            _ => None,
        }
    }
    pub fn slug(self) -> &'static str {
        match self {
            Act::Reply => "reply",
            Act::ReplyAll => "reply-all",
            Act::Forward => "forward",
        }
    }
}

/// The relations a letter carries (§2.2).
#[derive(Clone, Copy, Debug, Default, sqlx::FromRow)]
pub struct Links {
    pub deal_id: Option<i64>,
    pub request_id: Option<i64>,
    pub company_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub lead_id: Option<i64>,
}

/// What the letter is about, as the server worked it out.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub about: Option<(ItemKind, i64)>,
    pub about_title: String,
    pub reply: Option<(i64, Act)>,
    pub department: i64,
    pub links: Links,
    /// The thread's ticket ("" while a deal or request has none yet: `ticket_of` gets one on save).
    pub ticket: String,
    pub ticket_of: Option<(ItemKind, i64)>,
    /// The deal involves a partner (§7.1's warning).
    pub partner: bool,
    pub in_reply_to: String,
    pub refs: String,
    pub prev_corr: String,
    /// A forward takes the original's files.
    pub forward_files: Vec<i64>,
    /// The deal's files the letter may take (a letter written from a deal).
    pub deal_files: Vec<crate::files::Attachment>,
    /// The viewer may change the deal (a letter written from it), so "Attach to the deal" is offered.
    pub deal_editable: bool,
}

/// The body as sent: the text typed, the signature, the previous correspondence.
pub struct Body<'a> {
    pub content: &'a str,
    pub signature: &'a str,
    pub prev_corr: &'a str,
}

impl Body<'_> {
    pub fn text(&self) -> String {
        let mut out = self.content.trim_end().to_string();
        if !self.signature.trim().is_empty() {
            out.push_str("\n\n-- \n");
            out.push_str(self.signature.trim_end());
        }
        if !self.prev_corr.trim().is_empty() {
            out.push_str("\n\n");
            out.push_str(self.prev_corr.trim_end());
        }
        out.push('\n');
        out
    }
    /// The HTML alternative (every piece escaped by maud): paragraphs, the footnote in small
    /// dark-blue type, the signature, the previous correspondence in a blockquote.
    pub fn html(&self) -> maud::Markup {
        let lines = |t: &str| -> maud::Markup {
            maud::html! { @for (i, l) in t.lines().enumerate() { @if i > 0 { br; } (l) } }
        };
        maud::html! {
            div {
                @for para in self.content.trim_end().split("\n\n") {
                    @if para.contains("[ticket:") && para.starts_with("Your request is assigned") {
                        p style="font-size:small;color:#00008b" { (lines(para)) }
                    } @else {
                        p { (lines(para)) }
                    }
                }
                @if !self.signature.trim().is_empty() { div.signature { "-- " br; (lines(self.signature.trim_end())) } }
                @if !self.prev_corr.trim().is_empty() { hr; blockquote { (lines(self.prev_corr.trim_end())) } }
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct ObjRow {
    department_id: i64,
    ticket: String,
    email: String,
    partner: Option<i64>,
    deal_id: Option<i64>,
    request_id: Option<i64>,
    company_id: Option<i64>,
    contact_id: Option<i64>,
    lead_id: Option<i64>,
}

/// The row of an object a letter is about: its department, ticket, address and links (the object
/// itself is its own link: a deal's `deal_id` is its id).
async fn object_row(state: &AppState, kind: ItemKind, id: i64) -> AppResult<ObjRow> {
    let t = kind.info().table;
    let has = |c: &str| match kind {
        ItemKind::Deal => {
            ["ticket", "partner_contact_id", "request_id", "company_id", "contact_id", "lead_id"].contains(&c)
        }
        ItemKind::Request => ["ticket", "email", "deal_id", "company_id", "contact_id", "lead_id"].contains(&c),
        ItemKind::Company => c == "email",
        ItemKind::Contact => ["email", "company_id"].contains(&c),
        ItemKind::Lead => ["email", "company_id", "contact_id"].contains(&c),
        _ => false,
    };
    let own = |c: &'static str| Expr::col((Alias::new(t), Alias::new(c)));
    // A column the kind lacks reads as "" (text) or NULL (a reference).
    let text = |c: &'static str| if has(c) { own(c) } else { Expr::val("") };
    let link = |c: &'static str, self_kind: Option<ItemKind>| {
        if Some(kind) == self_kind {
            own("id")
        } else if has(c) {
            own(c)
        } else {
            Expr::cust("CAST(NULL AS BIGINT)")
        }
    };
    let mut q = Query::select();
    q.expr_as(own("department_id"), Alias::new("department_id"))
        .expr_as(text("ticket"), Alias::new("ticket"))
        .expr_as(text("email"), Alias::new("email"))
        .expr_as(link("partner_contact_id", None), Alias::new("partner"))
        .expr_as(link("deal_id", Some(ItemKind::Deal)), Alias::new("deal_id"))
        .expr_as(link("request_id", Some(ItemKind::Request)), Alias::new("request_id"))
        .expr_as(link("company_id", Some(ItemKind::Company)), Alias::new("company_id"))
        .expr_as(link("contact_id", Some(ItemKind::Contact)), Alias::new("contact_id"))
        .expr_as(link("lead_id", Some(ItemKind::Lead)), Alias::new("lead_id"))
        .from(Alias::new(t))
        .and_where(own("id").eq(id));
    state.db.fetch_optional(&q).await?.ok_or(AppError::NotFound)
}

/// The first address of a contact person, lead or company (a deal's recipient).
async fn email_of(state: &AppState, table: &'static str, id: Option<i64>) -> AppResult<String> {
    let Some(id) = id else { return Ok(String::new()) };
    let e: Option<String> =
        state.db.scalar(Query::select().column("email").from(table).and_where(Expr::col("id").eq(id))).await?;
    Ok(e.map(|e| addresses(&e).into_iter().next().unwrap_or_default()).unwrap_or_default())
}

/// Parses `deal:12`.
fn parse_about(s: &str) -> Option<(ItemKind, i64)> {
    let (kind, id) = s.split_once(':')?;
    let kind = crate::kinds::by_slug(kind)?;
    super::letters::column(kind)?;
    Some((kind, id.parse().ok()?))
}

#[derive(sqlx::FromRow)]
struct Original {
    subject: String,
    from_field: String,
    to: String,
    cc: String,
    content: String,
    incoming: bool,
    ticket: String,
    message_id: String,
    reply_refs: String,
    created_at: chrono::DateTime<chrono::Utc>,
    department_id: i64,
    deal_id: Option<i64>,
    request_id: Option<i64>,
    company_id: Option<i64>,
    contact_id: Option<i64>,
    lead_id: Option<i64>,
}

/// The context of a new letter about `about` or answering `reply`, and the form it starts with.
/// 404 when the viewer may not see the object or email; 403 when they may not write emails there.
pub async fn context(
    state: &AppState,
    v: &Viewer,
    about: Option<(ItemKind, i64)>,
    reply: Option<(i64, Act)>,
) -> AppResult<(Context, ComposeForm)> {
    let mut cx = Context::default();
    let mut f = ComposeForm::default();
    if let Some((id, act)) = reply {
        crate::items::load(&state.db, v, ItemKind::Email, id, Action::View).await?;
        let o: Original = state
            .db
            .fetch_optional(
                Query::select()
                    .columns([
                        "subject",
                        "from_field",
                        "to",
                        "cc",
                        "content",
                        "incoming",
                        "ticket",
                        "message_id",
                        "reply_refs",
                        "created_at",
                        "department_id",
                        "deal_id",
                        "request_id",
                        "company_id",
                        "contact_id",
                        "lead_id",
                    ])
                    .from("crm_emails")
                    .and_where(Expr::col("id").eq(id)),
            )
            .await?
            .ok_or(AppError::NotFound)?;
        cx.reply = Some((id, act));
        cx.department = o.department_id;
        cx.links = Links {
            deal_id: o.deal_id,
            request_id: o.request_id,
            company_id: o.company_id,
            contact_id: o.contact_id,
            lead_id: o.lead_id,
        };
        cx.ticket = o.ticket.clone();
        let head = format!(
            "From: {}\nTo: {}\n{}Sent: {}\nSubject: {}",
            o.from_field,
            o.to,
            if o.cc.is_empty() { String::new() } else { format!("Cc: {}\n", o.cc) },
            o.created_at.format("%Y-%m-%d %H:%M UTC"),
            o.subject
        );
        let bare = o.subject.trim();
        match act {
            Act::Reply | Act::ReplyAll => {
                let own = send::main_account(&state.db, v.id).await?.map(|a| a.email.to_lowercase());
                let sender = mailbox_address(&o.from_field);
                let mut to = if o.incoming || o.to.is_empty() { vec![sender.clone()] } else { addresses(&o.to) };
                if act == Act::ReplyAll {
                    to.extend(addresses(&o.to).into_iter().chain([sender]));
                    f.cc = o.cc.clone();
                }
                to.retain(|a| !a.is_empty() && Some(a.to_lowercase()) != own);
                to.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
                let mut seen = std::collections::HashSet::new();
                to.retain(|a| seen.insert(a.to_lowercase()));
                f.to = to.join(", ");
                f.subject =
                    if bare.to_lowercase().starts_with("re:") { bare.to_string() } else { format!("Re: {bare}") };
                let quoted: Vec<String> = o.content.lines().map(|l| format!("> {l}")).collect();
                cx.prev_corr = format!("-------- Original Message --------\n{head}\n\n{}", quoted.join("\n"));
                cx.in_reply_to = o.message_id.clone();
                cx.refs = format!("{} {}", o.reply_refs, o.message_id).trim().to_string();
            }
            Act::Forward => {
                f.subject =
                    if bare.to_lowercase().starts_with("fwd:") { bare.to_string() } else { format!("Fwd: {bare}") };
                cx.prev_corr = format!("-------- Forwarded Message --------\n{head}\n\n{}", o.content.trim_end());
                cx.forward_files =
                    crate::files::of(&state.db, ItemKind::Email.slug(), id).await?.into_iter().map(|a| a.id).collect();
            }
        }
        if let Some(d) = o.deal_id {
            cx.partner = object_row(state, ItemKind::Deal, d).await.map(|r| r.partner.is_some()).unwrap_or(false);
        }
    } else if let Some((kind, id)) = about {
        let it = crate::items::load(&state.db, v, kind, id, Action::View).await?;
        let r = object_row(state, kind, id).await?;
        cx.about = Some((kind, id));
        cx.about_title = it.title.clone();
        cx.department = r.department_id;
        cx.links = Links {
            deal_id: r.deal_id,
            request_id: r.request_id,
            company_id: r.company_id,
            contact_id: r.contact_id,
            lead_id: r.lead_id,
        };
        cx.partner = r.partner.is_some();
        match kind {
            ItemKind::Deal => {
                // §7.1: the deal's contact person, else its lead, else its company.
                let mut to = email_of(state, "contacts", r.contact_id).await?;
                if to.is_empty() {
                    to = email_of(state, "leads", r.lead_id).await?;
                }
                if to.is_empty() {
                    to = email_of(state, "companies", r.company_id).await?;
                }
                f.to = to;
                f.subject = format!("Re: {}", it.title);
                cx.deal_files = crate::files::of(&state.db, ItemKind::Deal.slug(), id).await?;
                // Files reach a deal through its edit form: the same right stores a letter's there.
                cx.deal_editable = it.can(v, Action::Edit);
            }
            ItemKind::Request => {
                f.to = addresses(&r.email).into_iter().next().unwrap_or_default();
                f.subject = it.title.clone();
            }
            _ => f.to = addresses(&r.email).into_iter().next().unwrap_or_default(),
        }
        if matches!(kind, ItemKind::Deal | ItemKind::Request) {
            cx.ticket = r.ticket.clone();
            cx.ticket_of = Some((kind, id));
        }
    } else {
        let allowed = crate::crm::handlers::creatable_departments(state, v, ItemKind::Email).await?;
        cx.department = allowed.first().map(|(d, _)| *d).ok_or(AppError::Forbidden)?;
    }
    access::require(v, Action::Create, &crate::crm::handlers::prospective(ItemKind::Email, cx.department))?;
    if !cx.ticket.is_empty() {
        if !f.subject.contains(&mark(&cx.ticket)) {
            f.subject = format!("{} - {}", f.subject, mark(&cx.ticket));
        }
        f.content = format!("\n\n\n{}", footnote(&cx.ticket));
    }
    f.about = cx.about.map(|(k, id)| format!("{}:{id}", k.slug())).unwrap_or_default();
    f.reply_to = cx.reply.map(|(id, _)| id.to_string()).unwrap_or_default();
    f.act = cx.reply.map(|(_, a)| a.slug().to_string()).unwrap_or_default();
    Ok((cx, f))
}

/// The address of `Name <a@b.c>` or `a@b.c`.
fn mailbox_address(s: &str) -> String {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].trim().to_string(),
        _ => s.trim().to_string(),
    }
}

/// What the compose page shows beside the form.
pub struct ComposePage<'a> {
    pub cx: &'a Context,
    pub form: &'a ComposeForm,
    pub errs: &'a FormErrors,
    pub account: Option<&'a MainAccount>,
    pub signatures: &'a [super::signatures::Signature],
    pub max_upload: usize,
}

async fn render(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    cx: &Context,
    f: &ComposeForm,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let account = send::main_account(&state.db, v.id).await?;
    let signatures = super::signatures::of_user(&state.db, v.id).await?;
    let pcx = web::page_cx(state, v, views::layout::Nav::Crm(ItemKind::Email), hx).await?;
    let p = ComposePage {
        cx,
        form: f,
        errs,
        account: account.as_ref(),
        signatures: &signatures,
        max_upload: state.config.max_upload_bytes,
    };
    Ok(views::email_compose::compose(&pcx, &p))
}

/// `GET /emails/new`'s query: what the letter is about.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    pub about: String,
}

/// `GET /emails/new[?about=deal:12]`.
#[handler]
pub async fn new(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Q(q): Q<NewQuery>) -> AppResult<Response> {
    let about = match q.about.trim() {
        "" => None,
        s => Some(parse_about(s).ok_or(AppError::NotFound)?),
    };
    let (cx, mut f) = context(&state, &viewer, about, None).await?;
    f.signature_id = default_signature(&state, viewer.id).await?;
    Ok(render(&state, &viewer, hx, &cx, &f, &FormErrors::default()).await?.into_response())
}

/// `GET /emails/:id/reply?act=reply|reply-all|forward`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ReplyQuery {
    pub act: String,
}

#[handler]
pub async fn reply_form(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Q(q): Q<ReplyQuery>,
) -> AppResult<Response> {
    let act = Act::from_slug(q.act.trim()).unwrap_or(Act::Reply);
    let (cx, mut f) = context(&state, &viewer, None, Some((id, act))).await?;
    f.signature_id = default_signature(&state, viewer.id).await?;
    Ok(render(&state, &viewer, hx, &cx, &f, &FormErrors::default()).await?.into_response())
}

async fn default_signature(state: &AppState, user: i64) -> AppResult<String> {
    let sigs = super::signatures::of_user(&state.db, user).await?;
    Ok(sigs.iter().find(|s| s.is_default).map(|s| s.id.to_string()).unwrap_or_default())
}

/// `POST /emails/new`: saves the letter as a draft, or saves and queues it ("Send").
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    up: Uploaded<ComposeForm>,
) -> AppResult<Response> {
    let f = &up.form;
    let about = match f.about.trim() {
        "" => None,
        s => Some(parse_about(s).ok_or(AppError::NotFound)?),
    };
    let reply = match f.reply_to.trim() {
        "" => None,
        s => Some((
            s.parse::<i64>().map_err(|_| AppError::NotFound)?,
            Act::from_slug(f.act.trim()).unwrap_or(Act::Reply),
        )),
    };
    let (cx, _) = context(&state, &viewer, about, reply).await?;
    let sending = f.intent != "draft";
    let sigs: Vec<i64> = super::signatures::of_user(&state.db, viewer.id).await?.iter().map(|s| s.id).collect();
    let account = send::main_account(&state.db, viewer.id).await?;
    let mut checked = check(f, &cx, &state.config.not_allowed_emails, &sigs, sending);
    if !f.to_deal.is_empty() && !up.files.is_empty() && !cx.deal_editable {
        let mut errs = checked.err().unwrap_or_default();
        let why = if matches!(cx.about, Some((ItemKind::Deal, _))) {
            "You may not change this deal, so the files cannot be attached to it: untick “Attach to the deal”."
        } else {
            "“Attach to the deal” is for a letter written from a deal."
        };
        errs.add("to_deal", why);
        checked = Err(errs);
    }
    if sending && account.is_none() {
        let mut errs = checked.err().unwrap_or_default();
        errs.add(
            "account",
            "To send a letter you need a mail account marked as main: add one under “My mail accounts”, or save the letter as a draft.",
        );
        checked = Err(errs);
    }
    let c = match checked {
        Ok(c) => c,
        Err(errs) => {
            let again = up.again(f, &state, &viewer).await?;
            return Ok(web::invalid(render(&state, &viewer, hx, &cx, &again, &errs).await?));
        }
    };
    let actor = Actor::from(&viewer);
    let mut tx = state.db.begin().await?;
    // A deal or request without a ticket gets one now (§7.1), unless another letter gave it one.
    let mut ticket = cx.ticket.clone();
    let mut subject = c.subject.clone();
    let mut content = c.content.clone();
    if ticket.is_empty()
        && let Some((kind, id)) = cx.ticket_of
    {
        let table = kind.info().table;
        let fresh = crate::crm::deal::new_ticket();
        tx.execute(
            Query::update()
                .table(Alias::new(table))
                .value(Alias::new("ticket"), fresh)
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("ticket").eq("")),
        )
        .await?;
        ticket = tx
            .scalar::<String>(
                Query::select().column("ticket").from(Alias::new(table)).and_where(Expr::col("id").eq(id)),
            )
            .await?
            .unwrap_or_default();
        if !ticket.is_empty() {
            subject = format!("{} - {}", subject.trim(), mark(&ticket)).trim_start_matches(" - ").to_string();
            content = format!("{}\n\n\n\n{}", content.trim_end(), footnote(&ticket)).trim_start().to_string();
        }
    }
    let mut r = Record::blank(&SPEC, cx.department, Some(viewer.id));
    let set_text = |r: &mut Record, col: &str, v: &str| r.set(&SPEC, col, Val::Text(v.to_string()));
    set_text(&mut r, "subject", &subject);
    set_text(&mut r, "to", &c.to);
    set_text(&mut r, "cc", &c.cc);
    set_text(&mut r, "bcc", &c.bcc);
    set_text(&mut r, "content", &content);
    set_text(&mut r, "ticket", &ticket);
    set_text(&mut r, "from_field", &account.as_ref().map(MainAccount::from_field).unwrap_or_default());
    r.set(&SPEC, "read_receipt", Val::Bool(!f.read_receipt.is_empty()));
    for (col, v) in [
        ("deal_id", cx.links.deal_id),
        ("request_id", cx.links.request_id),
        ("company_id", cx.links.company_id),
        ("contact_id", cx.links.contact_id),
        ("lead_id", cx.links.lead_id),
    ] {
        r.set(&SPEC, col, v.map(Val::Int).unwrap_or(Val::Null));
    }
    let signature_text = match c.signature {
        Some(s) => super::signatures::of_user(&state.db, viewer.id)
            .await?
            .into_iter()
            .find(|x| x.id == s)
            .map(|x| x.content)
            .unwrap_or_default(),
        None => String::new(),
    };
    let html = Body { content: &content, signature: &signature_text, prev_corr: &cx.prev_corr }.html().into_string();
    let message_id = message_id(account.as_ref());
    let extra: Vec<(&'static str, sea_query::SimpleExpr)> = vec![
        ("html_content", html.into()),
        ("is_html", true.into()),
        ("prev_corr", cx.prev_corr.clone().into()),
        ("message_id", message_id.into()),
        ("in_reply_to", cx.in_reply_to.clone().into()),
        ("reply_refs", cx.refs.clone().into()),
        ("signature_id", c.signature.into()),
        ("account_id", account.as_ref().map(|a| a.id).into()),
    ];
    let names = crate::crm::choices::names(&state.db, &SPEC, &[&r]).await?;
    let id = repo::insert(&mut tx, &SPEC, &r, &extra, &actor, &names).await?;
    state.files.save(&mut tx, &up.files, ItemKind::Email.slug(), id, &actor).await?;
    if let Some((ItemKind::Deal, deal)) = cx.about
        && !f.to_deal.is_empty()
        && cx.deal_editable
    {
        // The same blobs (content-addressed), linked to the deal too, with a line in its history.
        state.files.save(&mut tx, &up.files, ItemKind::Deal.slug(), deal, &actor).await?;
    }
    if let Some((original, Act::Forward)) = cx.reply {
        crate::files::link(
            &mut tx,
            &cx.forward_files,
            (ItemKind::Email.slug(), original),
            (ItemKind::Email.slug(), id),
            viewer.id,
        )
        .await?;
    }
    if let Some((ItemKind::Deal, deal)) = cx.about {
        // Only files of this deal: other ids are ignored by `link`.
        let chosen: Vec<i64> = f.deal_files.iter().filter_map(|s| s.trim().parse().ok()).collect();
        crate::files::link(&mut tx, &chosen, (ItemKind::Deal.slug(), deal), (ItemKind::Email.slug(), id), viewer.id)
            .await?;
    }
    if sending && let Some(a) = &account {
        send::queue(&mut tx, id, a.id).await?;
    }
    tx.commit().await?;
    let it = crate::items::load_any(&state.db, ItemKind::Email, id).await?;
    crate::items::publish_changed(&state.bus, &it);
    if let Some((kind, oid)) = cx.about.or(cx.links.deal_id.map(|d| (ItemKind::Deal, d)))
        && let Ok(o) = crate::items::load_any(&state.db, kind, oid).await
    {
        crate::items::publish_changed(&state.bus, &o);
    }
    state.wake.notify_one();
    Ok(crate::htmx::redirect(hx, &it.url()))
}

/// A Message-ID on the domain of the sending address (`<time.random@domain>`), fixed when the
/// letter is saved so a resend after a crash is recognisable.
fn message_id(account: Option<&MainAccount>) -> String {
    let domain = account
        .and_then(|a| a.email.rsplit_once('@').map(|(_, d)| d.to_string()))
        .filter(|d| d.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') && !d.is_empty())
        .unwrap_or_else(|| "ferrocrm.local".to_string());
    format!("<{}.{}@{domain}>", crate::db::now().timestamp(), crate::auth::session::random_token())
}

/// `POST /emails/:id/send`: sends a draft, or a failed letter again, through the viewer's main
/// account. Only whoever may edit the email (and owns it: it goes out under their name).
#[handler]
pub async fn send_again(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let it = crate::items::load(&state.db, &viewer, ItemKind::Email, id, Action::Edit).await?;
    let (owner, status, incoming): (Option<i64>, String, bool) = state
        .db
        .fetch_optional(
            Query::select()
                .columns(["owner_id", "send_status", "incoming"])
                .from("crm_emails")
                .and_where(Expr::col("id").eq(id)),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    if owner != Some(viewer.id) {
        return Err(AppError::Forbidden);
    }
    if incoming || status == send::QUEUED || status == send::SENT {
        return Err(AppError::Conflict("This letter is sent or on its way already.".into()));
    }
    let Some(account) = send::main_account(&state.db, viewer.id).await? else {
        return Err(AppError::Conflict(
            "To send a letter you need a mail account marked as main: add one under “My mail accounts”.".into(),
        ));
    };
    let mut tx = state.db.begin().await?;
    tx.execute(
        Query::update().table("crm_emails").value("from_field", account.from_field()).and_where(Expr::col("id").eq(id)),
    )
    .await?;
    send::queue(&mut tx, id, account.id).await?;
    tx.commit().await?;
    crate::items::publish_changed(&state.bus, &it);
    state.wake.notify_one();
    Ok(crate::htmx::redirect(hx, &it.url()))
}
