//! The requests list (§13.1) and the request page's processing panel (§6.7): warnings, Create
//! deal, Close / Activate for cases, Copy.

use maud::{Markup, html};

use crate::access::{ItemKind, Viewer};
use crate::crm::fields::RefTo;
use crate::crm::list::Owner;
use crate::crm::repo::Record;
use crate::requests::kind::{self, SPEC, flag, int, text};
use crate::requests::list::ListData;
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, icon};

pub fn index(cx: &PageCx<'_>, d: &ListData) -> Markup {
    let f = &d.filter;
    let owner = f.base.owner(cx.viewer);
    page(
        cx,
        "Requests",
        html! {
            div.page-header {
                div { h1.page-title { "Requests" } p.page-subtitle { "Pending requests first, then the newest." } }
                div.page-actions {
                    @if crate::access::manages_intake_lists(cx.viewer) {
                        a.btn.btn-ghost #stop-phrases-link href="/requests/stop-phrases" { "Stop phrases" }
                        a.btn.btn-ghost #public-domains-link href="/requests/public-email-domains" { "Public email domains" }
                    }
                    @if crate::access::imports_mail(cx.viewer) {
                        a.btn.btn-ghost #import-request href="/mail-import" title="Make requests from messages in your mailbox" { "Import request from \u{2709}" }
                    }
                    @if d.can_create { a.btn.btn-primary href="/requests/new" { (icon("plus")) " Add request" } }
                }
            }
            form.filters method="get" action="/requests" hx-get="/requests" hx-target="#request-list" hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="input changed delay:300ms from:find input[type=search], change" {
                input type="search" name="q" value=(f.base.q) placeholder="Search requests (or ID 123, ticket:X)" aria-label="Search requests";
                select name="pending" aria-label="Status" title="Status" {
                    option value="" selected[f.pending.is_empty()] { "Any status" }
                    option value="yes" selected[f.pending == "yes"] { "Pending" }
                    option value="no" selected[f.pending == "no"] { "Processed" }
                }
                select name="owner" aria-label="Owner" title="Owner" {
                    option value="mine" selected[owner == Owner::Mine] { "Mine" }
                    option value="all" selected[owner == Owner::All] { "Everyone's" }
                    option value="none" selected[owner == Owner::Nobody] { "No owner" }
                }
                select name="subsequent" aria-label="Primary or subsequent" title="Primary or subsequent" {
                    option value="" selected[f.subsequent.is_empty()] { "Any kind" }
                    option value="no" selected[f.subsequent == "no"] { "Primary" }
                    option value="yes" selected[f.subsequent == "yes"] { "Subsequent" }
                }
                @if !d.products.is_empty() {
                    select name="product" aria-label="Product" title="Product" {
                        option value="" { "Any product" }
                        @for (id, name) in &d.products { option value=(id) selected[f.base.deal.product == id.to_string()] { (name) } }
                    }
                }
                @if !d.departments.is_empty() {
                    select name="department" aria-label="Department" title="Department" {
                        option value="" { "All departments" }
                        @for (id, name) in &d.departments { option value=(id) selected[f.base.department == id.to_string()] { (name) } }
                    }
                }
                @if !d.countries.is_empty() {
                    select name="country" aria-label="Country" title="Country" {
                        option value="" { "Any country" }
                        @for (id, name) in &d.countries { option value=(id) selected[f.base.deal.country == id.to_string()] { (name) } }
                    }
                }
                @if !d.cities.is_empty() {
                    select name="city" aria-label="City" title="City" {
                        option value="" { "Any city" }
                        @for (id, name) in &d.cities { option value=(id) selected[f.base.deal.city == id.to_string()] { (name) } }
                    }
                }
                (crate::views::period::date_filter(&f.base.period, "Receipt date"))
                @for (name, value) in [("company", &f.base.deal.company), ("lead", &f.base.deal.lead)] {
                    @if !value.is_empty() { input type="hidden" name=(name) value=(value); }
                }
                button.btn type="submit" { "Filter" }
            }
            @if f.by_counterparty() {
                p.muted.text-small { "Showing the requests of one " (if f.base.deal.company.is_empty() { "lead" } else { "company" }) ". " a href="/requests" { "Show all requests" } }
            } @else if owner == Owner::Mine {
                p.muted.text-small { "Showing the requests you own or co-own. Choose “Everyone's” to see the whole department." }
            }
            (list(cx.viewer, d))
        },
    )
}

fn name_of(d: &ListData, to: RefTo, id: Option<i64>) -> Option<(i64, String)> {
    id.map(|i| (i, d.names.of(to, i).unwrap_or_else(|| format!("#{i}"))))
}

/// The rows: a live region that follows every request change.
pub fn list(v: &Viewer, d: &ListData) -> Markup {
    let f = &d.filter;
    let url = format!("/requests{}", f.query(d.page.page));
    let counter = !f.by_counterparty();
    let on = crate::events::names::kind_changed(ItemKind::Request);
    Live::new("request-list", &url, &on).delay(LIST_DELAY_MS).div("", html! {
        @if crate::crm::list::words_with_filters(v, &SPEC, &f.base) || (matches!(crate::crm::search::parse(&f.base.q, ItemKind::Request), crate::crm::search::Search::Words(_)) && (!f.pending.is_empty() || !f.subsequent.is_empty())) {
            (ui::flash("info", "Filters may affect search results."))
        }
        @if d.page.items.is_empty() {
            @if f.base.q.trim().is_empty() {
                (ui::empty_state("mail", "No requests here.", d.can_create.then_some(("/requests/new", "Add a request"))))
            } @else {
                (ui::empty_state("search", &format!("No requests match “{}”.", f.base.q.trim()), None))
            }
        } @else {
            div.table-wrap { table.table.crm-table.request-table {
                thead { tr {
                    th { "Subject" }
                    th { span.sr-only { "Primary or subsequent, products" } }
                    th { "Counterparty" }
                    @if counter { th { span title="Requests of the same company or lead" { "Requests" } } }
                    th { "Name" }
                    th { "Place" }
                    th { "Received" }
                    @if d.person { th { "Owner" } }
                    th { "Status" }
                    th.num { "ID" }
                    @if d.can_create { th { span.sr-only { "Copy" } } }
                } }
                tbody { @for r in &d.page.items { (row(d, r, counter)) } }
            } }
            (ui::pagination(&d.page, ui::Noun("request", "requests"), |n| format!("/requests{}", f.query(n))))
        }
    })
}

fn mark(colour: &str, ico: &str, tip: &str) -> Markup {
    html! { span class=(format!("deal-mark {colour}")) role="img" title=(tip) aria-label=(tip) { (icon(ico)) } }
}

fn row(d: &ListData, r: &Record, counter: bool) -> Markup {
    let subject = text(r, "request_for");
    let pending = flag(r, "pending");
    let company = name_of(d, RefTo::Object(ItemKind::Company), int(r, "company_id"));
    let lead = name_of(d, RefTo::Object(ItemKind::Lead), int(r, "lead_id"));
    let full = [text(r, "first_name"), text(r, "middle_name"), text(r, "last_name")]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let count = match (&lead, &company) {
        (Some((l, _)), _) => d.counters.1.get(l).map(|n| (*n, format!("/requests?lead={l}&owner=all"))),
        (None, Some((c, _))) => d.counters.0.get(c).map(|n| (*n, format!("/requests?company={c}&owner=all"))),
        _ => None,
    };
    let country = int(r, "country_id").and_then(|c| d.names.of(RefTo::Global("countries"), c));
    let place = [Some(text(r, "city_name").to_string()).filter(|c| !c.is_empty()), country]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let person = |u: Option<i64>| u.map(|u| d.names.of(RefTo::User, u).unwrap_or_else(|| "(former user)".into()));
    html! {
        tr id=(format!("request-{}", r.id)) .pending[pending] {
            td.name {
                a href=(format!("/requests/{}", r.id)) {
                    @if flag(r, "duplicate") {
                        span.muted { "(Duplicate) " (subject) }
                    } @else if flag(r, "is_case") {
                        span class=(if pending { "case-open" } else { "muted" }) { "(Case/Incident) " (subject) }
                    } @else { (subject) }
                }
                br;
                span.muted.text-small title="Ticket" { (text(r, "ticket")) }
            }
            td.deal-marks {
                @if flag(r, "subsequent") { (mark("green", "users", "Subsequent request")) }
                @else { (mark("orange", "user", "Primary request")) }
                @if kind::products(r).is_empty() { (mark("red", "cart", "No products specified")) }
            }
            td {
                @match (&lead, &company) {
                    (Some((id, n)), _) => a href=(format!("/leads/{id}")) { (n) },
                    (None, Some((id, n))) => a href=(format!("/companies/{id}")) { (n) },
                    _ => @if text(r, "company_name").is_empty() { span.muted { "—" } } @else { (text(r, "company_name")) },
                }
            }
            @if counter {
                td.nowrap {
                    @match count {
                        Some((n, href)) if n > 1 => a href=(href) title="Requests of this counterparty" { "(" (n) ")" },
                        Some((n, _)) => span.muted title="Requests of this counterparty" { "(" (n) ")" },
                        None => {},
                    }
                }
            }
            td { @if full.is_empty() { span.muted { "—" } } @else { (full) } }
            td { @if place.is_empty() { span.muted { "—" } } @else { (place) } }
            td.nowrap { @match r.get(&SPEC, "receipt_date").date() { Some(day) => (day.format("%Y-%m-%d").to_string()), None => span.muted { "—" } } }
            @if d.person {
                td {
                    @match person(r.owner_id) { Some(n) => span.person { (n) }, None => span.muted { "—" } }
                    @if let Some(co) = person(int(r, "co_owner_id")) { br; span.person.muted title="Co-owner" { (co) } }
                }
            }
            td {
                @if pending { (mark("red", "alert", "Status: pending")) span.sr-only { "pending" } }
                @else { (mark("green", "check", "Status: processed")) span.sr-only { "processed" } }
            }
            td.num.muted { (r.id) }
            @if d.can_create {
                td { a.btn.btn-sm.btn-ghost href=(format!("/requests/new?copy={}", r.id)) title="Copy: a new request filled from this one" aria-label=(format!("Copy request {}", r.id)) { (icon("copy")) } }
            }
        }
    }
}

/// What the request page shows above its fields.
pub struct Panel {
    pub id: i64,
    pub pending: bool,
    pub is_case: bool,
    pub duplicate: bool,
    pub has_deal: Option<i64>,
    pub ticket: String,
    /// The viewer may change the request (and so process it).
    pub can_edit: bool,
    /// … and may make a deal in its department.
    pub can_deal: bool,
    pub can_copy: bool,
    /// (level, text): "Found the counterparty assigned to …", "Specify products", "Country not
    /// specified in request".
    pub warnings: Vec<(&'static str, String)>,
}

/// The processing panel of the request page (`crm::handlers::show`'s extra part).
pub fn panel(v: &Viewer, p: &Panel) -> Markup {
    let form = |path: &str, label: &str, primary: bool, title: &str| {
        html! {
            form.inline method="post" action=(format!("/requests/{}/{path}", p.id)) {
                (ui::csrf(&v.csrf))
                button.btn.btn-primary[primary].btn-ghost[!primary] type="submit" title=(title) { (label) }
            }
        }
    };
    html! {
        section.card.request-panel aria-labelledby="request-panel-title" {
            div.card-body.stack {
                h2.card-title #request-panel-title {
                    "Processing "
                    @if p.pending { span.badge.badge-danger { "pending" } } @else { span.badge { "processed" } }
                    @if p.duplicate { " " span.badge { "duplicate" } }
                    @if p.is_case { " " span.badge { "case" } }
                    " " span.muted.text-small { "Ticket " code { (p.ticket) } }
                }
                @for (level, w) in &p.warnings { (ui::flash(level, w)) }
                div.page-actions {
                    @if let Some(d) = p.has_deal {
                        a.btn.btn-ghost href=(format!("/deals/{d}")) { "Open the deal" }
                    } @else if p.can_edit && p.can_deal && !p.duplicate && !p.is_case {
                        (form("deal", "Create deal", true, "Process the request: link or create the counterparty and make its deal"))
                    }
                    @if p.can_edit && p.is_case && p.pending { (form("close", "Close", true, "Close the case: it is processed")) }
                    @if p.can_edit && p.is_case && !p.pending { (form("activate", "Activate", false, "Reopen the case: pending again")) }
                    @if p.can_copy {
                        a.btn.btn-ghost href=(format!("/requests/new?copy={}", p.id)) title="A new request filled from this one" { (icon("copy")) " Copy" }
                    }
                }
            }
        }
    }
}
