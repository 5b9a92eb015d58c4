//! The CRM's pages for every kind with a field list: the list with its filters, the object's page,
//! the form. They walk the kind's `crm::repo::Spec`.

use maud::{Markup, html};

use crate::access::{Action, ItemKind};
use crate::crm::fields::{Field, Input, ManyTo, RefTo};
use crate::crm::form::{Options, Raw};
use crate::crm::list::{Filter, Owner};
use crate::crm::repo::{Names, Record, Spec};
use crate::error::FormErrors;
use crate::items::{ItemRef, Panels};
use crate::paging::Paged;
use crate::views::items::{self, Actions};
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, icon};

/// "1 company", "12 companies".
pub fn noun(kind: ItemKind) -> ui::Noun {
    match kind {
        ItemKind::Company => ui::Noun("company", "companies"),
        ItemKind::Contact => ui::Noun("contact person", "contact persons"),
        ItemKind::Lead => ui::Noun("lead", "leads"),
        ItemKind::Deal => ui::Noun("deal", "deals"),
        ItemKind::Payment => ui::Noun("payment", "payments"),
        ItemKind::Product => ui::Noun("product", "products"),
        ItemKind::Request => ui::Noun("request", "requests"),
        ItemKind::Email => ui::Noun("email", "emails"),
        ItemKind::Memo => ui::Noun("memo", "memos"),
        ItemKind::Task => ui::Noun("task", "tasks"),
        ItemKind::Project => ui::Noun("project", "projects"),
    }
}

pub struct Rows<'a> {
    pub spec: &'static Spec,
    pub page: &'a Paged<Record>,
    pub names: &'a Names,
    pub filter: &'a Filter,
    /// The department filter's choices (empty: no department filter).
    pub departments: &'a [(i64, String)],
    pub can_create: bool,
    /// Rows can be selected for the mass owner change (administrators, companies: §11.2).
    pub select: bool,
    /// The tag filter's choices (empty: no tag filter).
    pub tags: &'a [(i64, String)],
    /// A word search with other filters on: "Filters may affect search results." (§10).
    pub warn_filters: bool,
    /// Companies of other departments the search found (§10, names only).
    pub elsewhere: &'a [crate::crm::list::Elsewhere],
    /// A kind's own filters in the filter form (payments: status, payment date).
    pub more_filters: Option<Markup>,
    /// A line above the rows, refreshed with them (payments: the total sum).
    pub summary: Option<Markup>,
    /// Columns a kind adds after its fields: headers, and each row's cells by row id (payments:
    /// counterparty, products, person).
    pub extra: Option<(&'a [&'static str], &'a ExtraCells)>,
}

/// Cells a kind adds to its list's rows, by row id.
pub type ExtraCells = std::collections::HashMap<i64, Vec<Markup>>;

fn value(f: &Field, v: &crate::crm::record::Val, names: &Names) -> String {
    f.show(v, &|to, id| names.of(to, id))
}

fn owner_name(r: &Record, names: &Names) -> Option<String> {
    r.owner_id.map(|u| names.of(RefTo::User, u).unwrap_or_else(|| "(former user)".into()))
}

pub fn index(cx: &PageCx<'_>, rows: &Rows<'_>) -> Markup {
    let (spec, f) = (rows.spec, rows.filter);
    let k = spec.kind.info();
    let owner = f.owner(cx.viewer);
    let owner_value = match owner {
        Owner::All => "all".to_string(),
        Owner::Mine => "mine".to_string(),
        Owner::Nobody => "none".to_string(),
        Owner::User(u) => u.to_string(),
    };
    let list_id = format!("{}-list", k.slug);
    page(
        cx,
        k.plural,
        html! {
            div.page-header {
                div { h1.page-title { (k.plural) } }
                div.page-actions {
                    @if !spec.export.is_empty() {
                        a.btn.btn-ghost href=(format!("{}/export{}", k.path, crate::crm::list::Filter { page: None, ..f.clone() }.query(1))) download hx-boost="false"
                            title="Download this list (with its filters) as an Excel workbook" { "Export" }
                    }
                    @if rows.can_create && crate::crm::import::importable(spec.kind) {
                        a.btn.btn-ghost href=(format!("{}/import", k.path)) title="Add rows from an Excel workbook" { "Import" }
                    }
                    @if spec.kind == ItemKind::Deal { a.btn.btn-ghost href="/deals/board" { "Board" } }
                    @if spec.kind == ItemKind::Payment && crate::access::can_currencies(cx.viewer, Action::List) { a.btn.btn-ghost href="/currencies" { "Currencies" } }
                    @if rows.can_create { a.btn.btn-primary href=(format!("{}/new", k.path)) { (icon("plus")) " New " (k.label.to_lowercase()) } }
                }
            }
            @if f.merged == "1" { (ui::flash("success", crate::crm::merge::DONE)) }
            form.filters method="get" action=(k.path) hx-get=(k.path) hx-target=(format!("#{list_id}")) hx-swap="outerHTML" hx-push-url="true"
                hx-trigger="input changed delay:300ms from:find input[type=search], change" {
                input type="search" name="q" value=(f.q) placeholder=(format!("Search {} (or ID 123)", k.plural.to_lowercase())) aria-label=(format!("Search {}", k.plural.to_lowercase()));
                @if spec.owned {
                    select name="owner" aria-label="Owner" {
                        option value="mine" selected[owner == Owner::Mine] { "Mine" }
                        option value="all" selected[owner == Owner::All] { "Everyone's" }
                        option value="none" selected[owner == Owner::Nobody] { "No owner" }
                    }
                }
                @if !rows.departments.is_empty() {
                    select name="department" aria-label="Department" {
                        option value="" { "All departments" }
                        @for (id, name) in rows.departments {
                            option value=(id) selected[f.department == id.to_string()] { (name) }
                        }
                    }
                }
                @if !rows.tags.is_empty() {
                    select name="tag" aria-label="Tag" {
                        option value="" { "Any tag" }
                        @for (id, name) in rows.tags {
                            option value=(id) selected[f.tag == id.to_string()] { (name) }
                        }
                    }
                }
                @if let Some(m) = &rows.more_filters { (m) }
                button.btn type="submit" { "Filter" }
            }
            @if spec.owned && (!f.owner.is_empty() || owner == Owner::Mine) {
                p.muted.text-small { "Showing " (match owner { Owner::Mine => "your own", Owner::Nobody => "unowned", Owner::All => "everyone's", Owner::User(_) => "one owner's" }) " " (k.plural.to_lowercase()) "." @if owner_value == "mine" { " Choose “Everyone's” to see the whole department." } }
            }
            @if rows.select {
                form #bulk-transfer.filters method="get" action=(format!("{}/transfer", k.path)) {
                    button.btn type="submit" { "Change owner of selected companies" }
                }
            }
            (list(rows))
        },
    )
}

/// A list cell whose long words may break anywhere: an email address or web address has no space
/// to wrap at, and one long address pushed the list into a sideways scroll.
fn breaks_anywhere(f: &Field) -> bool {
    matches!(f.input, Input::Emails { .. } | Input::Url { .. })
}

/// A list cell that reads badly broken over lines: phone numbers, dates, amounts, numbers.
fn keeps_together(f: &Field) -> bool {
    f.col.contains("phone") || matches!(f.input, Input::Date | Input::Money | Input::Number { .. } | Input::Stamp)
}

pub fn list(r: &Rows<'_>) -> Markup {
    let spec = r.spec;
    let k = spec.kind.info();
    let new_url = format!("{}/new", k.path);
    let url = format!("{}{}", k.path, r.filter.query(r.page.page));
    let id = format!("{}-list", k.slug);
    let shown: Vec<&Field> = spec.list.iter().filter_map(|c| spec.field(c)).collect();
    Live::new(&id, &url, &crate::events::names::kind_changed(spec.kind)).delay(LIST_DELAY_MS).div("", html! {
        @if r.warn_filters { (ui::flash("info", "Filters may affect search results.")) }
        @if let Some(s) = &r.summary { (s) }
        @if r.page.items.is_empty() {
            @if r.filter.q.trim().is_empty() {
                (ui::empty_state("building", &format!("No {} here yet.", k.plural.to_lowercase()), r.can_create.then_some((new_url.as_str(), "Add one"))))
            } @else {
                (ui::empty_state("search", &format!("No {} match “{}”.", k.plural.to_lowercase(), r.filter.q.trim()), None))
            }
        } @else {
            div.table-wrap { table.table.crm-table {
                thead { tr {
                    @if r.select { th.select { span.sr-only { "Select" } } }
                    th { "Name" }
                    @for f in &shown { th { (f.label) } }
                    @if let Some((heads, _)) = r.extra { @for h in heads.iter() { th { (h) } } }
                    @if spec.owned && r.extra.is_none() { th { "Owner" } }
                    th.num { "ID" }
                } }
                tbody { @for row in &r.page.items {
                    tr id=(format!("{}-{}", k.slug, row.id)) {
                        @if r.select {
                            td.select { input type="checkbox" name="id" value=(row.id) form="bulk-transfer" aria-label=(format!("Select {}", spec.title_of(row))); }
                        }
                        td.name {
                            a href=(format!("{}/{}", k.path, row.id)) { (spec.title_of(row)) }
                            @if let Some(tags) = spec.field("tags") { " " (badges(&tags.names(row.get(spec, "tags"), &|to, id| r.names.of(to, id)))) }
                        }
                        @for f in &shown {
                            @let shown_value = value(f, row.get(spec, f.col), r.names);
                            td.nowrap[keeps_together(f)].break-anywhere[breaks_anywhere(f)] { @if shown_value.is_empty() { span.muted { "—" } } @else { (shown_value) } }
                        }
                        @if let Some((heads, cells)) = r.extra {
                            @match cells.get(&row.id) {
                                Some(cs) => { @for c in cs { td { (c) } } },
                                None => { @for _ in heads.iter() { td { span.muted { "—" } } } },
                            }
                        }
                        @if spec.owned && r.extra.is_none() { td { @match owner_name(row, r.names) { Some(n) => span.person { (n) }, None => span.muted { "—" } } } }
                        td.num.muted { (row.id) }
                    }
                } }
            } }
            (ui::pagination(r.page, noun(spec.kind), |n| format!("{}{}", k.path, r.filter.query(n))))
        }
        @if !r.elsewhere.is_empty() { (elsewhere(r.elsewhere)) }
    })
}

/// Companies of other departments found by a search: name, department and owner, no links (the
/// searcher may not open them, `access::crm_search_crosses_departments`).
fn elsewhere(rows: &[crate::crm::list::Elsewhere]) -> Markup {
    html! {
        section.card.search-elsewhere aria-labelledby="elsewhere-title" {
            h2.card-title #elsewhere-title { "Other departments" }
            (ui::flash("info", "These results include companies of other departments. You see their name, department and owner only; ask their owner or department for more."))
            div.table-wrap { table.table {
                thead { tr { th { "Name" } th { "Department" } th { "Owner" } } }
                tbody { @for e in rows {
                    tr.elsewhere {
                        td.name { (e.name) }
                        td { (e.department) }
                        td { @match e.owner() { Some(n) => span.person { (n) }, None => span.muted { "—" } } }
                    }
                } }
            } }
            @if rows.len() as u64 >= crate::crm::list::ELSEWHERE_MAX {
                p.muted.text-small { "The " (crate::crm::list::ELSEWHERE_MAX) " newest are shown: add words to narrow the search." }
            }
        }
    }
}

pub struct Page<'a> {
    pub spec: &'static Spec,
    pub item: &'a ItemRef,
    pub record: &'a Record,
    pub names: &'a Names,
    pub department: &'a str,
    /// The viewer may start a deal in this row's department.
    pub can_add_deal: bool,
    /// A deal's line items and payments (`views::crm_lines::section`).
    pub lines: Option<Markup>,
    /// A part below the fields a kind adds (a deal: its memos and tasks).
    pub extra: Option<Markup>,
    /// A part above the fields, inside the live region (a request: its processing panel; an
    /// email: its box, thread and body).
    pub top: Option<Markup>,
    /// Fields the page does not list (an email's body, which `top` shows).
    pub hidden: &'static [&'static str],
    /// "Last few letters" (`emails::letters`), below the fields.
    pub letters: Option<Markup>,
    /// The viewer may write an email about this row ("Write email", §7.1).
    pub can_write_email: bool,
    /// The viewer may import a letter into this deal or request from a mailbox ("Import ✉", §7.3).
    pub can_import_email: bool,
}

pub fn show(cx: &PageCx<'_>, p: &Page<'_>, panels: &Panels) -> Markup {
    let v = cx.viewer;
    let (it, spec, r) = (p.item, p.spec, p.record);
    let acts = Actions { edit: it.can(v, Action::Edit), delete: it.can(v, Action::Delete), copy: None };
    let region = items::live_region(
        it,
        html! {
                    div.page-header {
                        div { h1.page-title { (it.title) } p.page-subtitle { (spec.kind.label()) " · ID " (r.id) } }
                        div.page-actions {
                            @if spec.kind == ItemKind::Lead && it.can(v, Action::Edit) {
                                a.btn.btn-primary href=(format!("{}/convert", it.url())) { "Convert" }
                            }
                            @if matches!(spec.kind, ItemKind::Company | ItemKind::Contact | ItemKind::Lead) && p.can_add_deal {
                                a.btn.btn-ghost href=(format!("/deals/new?{}_id={}", spec.kind.slug(), r.id)) { (icon("plus")) " Deal" }
                            }
                            @if p.can_write_email {
                                a.btn.btn-ghost.write-email href=(format!("/emails/new?about={}:{}", spec.kind.slug(), r.id)) { (icon("mail")) " Write email" }
                            }
                            @if p.can_import_email {
                                a.btn.btn-ghost.import-email href=(format!("/mail-import?{}={}", spec.kind.slug(), r.id)) title="Import a letter of this thread from your mailbox" { "Import \u{2709}" }
                            }
                            @if crate::crm::duplicates::merges(spec.kind) && it.can(v, Action::Edit) {
                                a.btn.btn-ghost href=(format!("{}/duplicate", it.url())) title="Correctly delete this object as a duplicate." { (icon("copy")) " Delete as duplicate" }
                            }
                            (items::actions(it, &acts))
                        }
                    }
                    @if let Some(top) = &p.top { (top) }
                    div.card { div.card-body {
                        dl.kv {
                            @for (f, val) in spec.fields.iter().zip(&r.values) {
                                @if !spec.title.contains(&f.col) && !p.hidden.contains(&f.col) && !val.is_empty() && (f.input != Input::Flag || val.flag()) {
                                    dt { (f.label) }
                                    dd.pre-line[f.input == Input::LongText] {
                                        @match (f.input, val) {
                                            (_, crate::crm::record::Val::Time(t)) => (ui::datetime(t)),
                                            (Input::Many(_), _) => (badges(&f.names(val, &|to, id| p.names.of(to, id)))),
                                            (Input::Ref(RefTo::Object(kind)), crate::crm::record::Val::Int(id)) => {
                                                a href=(format!("{}/{id}", kind.info().path)) { (value(f, val, p.names)) }
                                            }
                                            _ => (value(f, val, p.names)),
                                        }
                                    }
                                }
                            }
                            @if spec.owned { dt { "Owner" } dd { @match owner_name(r, p.names) { Some(n) => (n), None => span.muted { "No owner" } } } }
                            dt { "Department" } dd { (p.department) }
                        }
                    } }
                    @if let Some(lines) = &p.lines { (lines) }
                    @if let Some(letters) = &p.letters { (letters) }
        },
    );
    page(
        cx,
        &it.title,
        html! {
            div.item-layout {
                @if let Some(extra) = &p.extra { div.stack { (region) (extra) } } @else { (region) }
                aside.item-side.stack { (items::side_panels(it, panels, &v.csrf)) }
            }
        },
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    New,
    Edit(i64),
}

pub struct FormPage<'a> {
    pub spec: &'static Spec,
    pub mode: Mode,
    pub raw: &'a Raw,
    pub errs: &'a FormErrors,
    pub options: &'a Options,
    /// New rows: the departments the viewer may choose (shown when more than one).
    pub departments: &'a [(i64, String)],
    pub department: i64,
    /// Only these fields are the viewer's to change (a chief on a deal); None: every field.
    pub only: Option<&'static [&'static str]>,
    /// An edit's owner field (kinds whose rows have an owner of their own).
    pub owner: Option<&'a crate::crm::owner::OwnerField>,
}

pub fn input(f: &Field, raw: &Raw, errs: &FormErrors, options: &Options) -> Markup {
    let value = raw.get(f.col);
    let id = format!("f-{}", f.col);
    let err = errs.get(f.col);
    let help = (!f.help.is_empty()).then_some(f.help);
    match f.input {
        Input::Text { .. }
        | Input::Emails { .. }
        | Input::Url { .. }
        | Input::Date
        | Input::Money
        | Input::Number { .. } => {
            let kind = match f.input {
                Input::Date => "date",
                Input::Url { .. } => "text",
                Input::Number { .. } => "number",
                _ => "text",
            };
            let mut field = ui::Field::new(f.col, f.label, value, errs).kind(kind);
            if f.required {
                field = field.required();
            }
            if let Some(h) = help {
                field = field.help(h);
            }
            html! { (field) }
        }
        Input::LongText => html! {
            div.field.has-error[err.is_some()] {
                label for=(id) { (f.label) }
                textarea id=(id) name=(f.col) rows="4" { (value) }
                @if let Some(h) = help { p.help { (h) } }
                @if let Some(e) = err { p.field-error { (e) } }
            }
        },
        Input::Flag => html! {
            div.field {
                label.check { input type="checkbox" name=(f.col) value="on" checked[value == "on"]; " " (f.label) }
                @if let Some(h) = help { p.help { (h) } }
            }
        },
        Input::Choice(list) => {
            let opts: Vec<(String, String)> = list.iter().map(|(s, l)| (s.to_string(), l.to_string())).collect();
            ui::select(f.col, f.label, value, &opts, errs)
        }
        Input::Stamp => html! {},
        Input::Many(m) => many_input(f, m, raw, errs, options),
        Input::Ref(RefTo::Object(kind)) => {
            let chosen = options.get(f.col).and_then(|o| o.first()).cloned();
            let src = format!("{}/pick?field={}", kind.info().path, f.col);
            let noun = kind.label().to_lowercase();
            let mut p = crate::views::picker::Picker::objects(f.col, f.label, chosen, src, &noun, errs);
            if f.required {
                p = p.required();
            }
            html! { (p) }
        }
        Input::Ref(RefTo::User) => {
            let chosen: Vec<(i64, String)> = options.get(f.col).cloned().unwrap_or_default();
            let ids: Vec<i64> = chosen.iter().map(|(id, _)| *id).collect();
            html! { (crate::views::picker::Picker::new(f.col, f.label, &chosen, &ids, false, errs)) }
        }
        Input::Ref(_) => {
            let mut opts = vec![(String::new(), "—".to_string())];
            if let Some(list) = options.get(f.col) {
                opts.extend(list.iter().map(|(id, n)| (id.to_string(), n.clone())));
            }
            ui::select(f.col, f.label, value, &opts, errs)
        }
    }
}

/// A many-to-many field: one box per offered row (the department's tags or industries); tags also
/// take new names, made in the row's department on save.
fn many_input(f: &Field, m: ManyTo, raw: &Raw, errs: &FormErrors, options: &Options) -> Markup {
    let chosen = crate::crm::fields::ids(&crate::crm::record::Val::Text(raw.get(f.col).to_string()));
    let offered = options.get(f.col).map(Vec::as_slice).unwrap_or_default();
    let err = errs.get(f.col);
    let new_col = format!("{}_new", f.col);
    html! {
        fieldset.checks.has-error[err.is_some()] id=(format!("f-{}", f.col)) {
            legend { (f.label) }
            @for (id, name) in offered {
                label.check { input type="checkbox" name=(format!("{}[]", f.col)) value=(id) checked[chosen.contains(id)]; " " (name) }
            }
            @if offered.is_empty() && m != ManyTo::Tags { p.help { "This department has no " (f.label.to_lowercase()) " yet." } }
            @if m == ManyTo::Tags {
                div.field.has-error[errs.get(&new_col).is_some()] {
                    label for=(format!("f-{new_col}")) { @if offered.is_empty() { "Tags" } @else { "New tags" } }
                    input id=(format!("f-{new_col}")) type="text" name=(new_col) value=(raw.get(&new_col)) maxlength="2000" placeholder="e.g. VIP, exhibition 2026";
                    p.help { "Separate names with commas; a name the department already has is reused." }
                    @if let Some(e) = errs.get(&new_col) { p.field-error id=(format!("f-{new_col}-error")) { (e) } }
                }
            }
            @if let Some(e) = err { p.field-error id=(format!("f-{}-error", f.col)) { (e) } }
        }
    }
}

/// A row's tags (or industries) as small badges.
pub fn badges(names: &[String]) -> Markup {
    html! { @if !names.is_empty() { span.pills { @for n in names { span.badge { (n) } } } } }
}

pub fn form(cx: &PageCx<'_>, p: &FormPage<'_>) -> Markup {
    let k = p.spec.kind.info();
    let (title, action, back) = match p.mode {
        Mode::New => (format!("New {}", k.label.to_lowercase()), k.path.to_string(), k.path.to_string()),
        Mode::Edit(id) => {
            (format!("Edit {}", k.label.to_lowercase()), format!("{}/{id}", k.path), format!("{}/{id}", k.path))
        }
    };
    let departments: Vec<(String, String)> = p.departments.iter().map(|(id, n)| (id.to_string(), n.clone())).collect();
    page(
        cx,
        &title,
        html! {
            div.page-header { div { h1.page-title { (title) } } }
            div.card { div.card-body {
                (ui::form_errors(p.errs))
                form.form method="post" action=(action) {
                    (ui::csrf(&cx.viewer.csrf))
                    @if departments.len() > 1 {
                        (ui::select("department_id", "Department", &p.department.to_string(), &departments, p.errs))
                    } @else {
                        input type="hidden" name="department_id" value=(p.department);
                    }
                    @if let Some(o) = p.owner {
                        (ui::select("owner_id", "Owner", &o.value, &o.choices, p.errs))
                        @if !o.note.is_empty() { p.help.owner-note { (o.note) } }
                    }
                    @if p.only.is_some() {
                        p.muted { "As a chief you may change the fields below; the others are kept by the " (k.label.to_lowercase()) "'s owner." }
                    }
                    @for f in p.spec.fields.iter().filter(|f| f.editable && p.only.is_none_or(|o| o.contains(&f.col))) {
                        (input(f, p.raw, p.errs, p.options))
                    }
                    div.form-actions {
                        a.btn.btn-ghost href=(back) { "Cancel" }
                        button.btn.btn-primary type="submit" { "Save" }
                    }
                }
            } }
        },
    )
}

/// The deal board's page: the filters and the board.
pub fn board_page(cx: &PageCx<'_>, b: &crate::crm::board::Board) -> Markup {
    let owner = b.filter.owner(cx.viewer);
    page(
        cx,
        "Deal board",
        html! {
            div.page-header {
                div { h1.page-title { "Deal board" } p.page-subtitle { "Active deals by stage. Drag a card to another stage, or move it with its ◀ ▶ buttons." } }
                div.page-actions { a.btn.btn-ghost href="/deals" { "List" } }
            }
            form.filters method="get" action="/deals/board" {
                select name="owner" aria-label="Owner" {
                    option value="mine" selected[owner == Owner::Mine] { "Mine" }
                    option value="all" selected[owner == Owner::All] { "Everyone's" }
                    option value="none" selected[owner == Owner::Nobody] { "No owner" }
                }
                @if b.departments.len() > 1 {
                    select name="department" aria-label="Department" {
                        @for (id, name) in &b.departments {
                            option value=(id) selected[*id == b.department] { (name) }
                        }
                    }
                }
                button.btn type="submit" { "Show" }
            }
            (board(cx.viewer, b))
        },
    )
}

/// The board itself: a live region that follows every deal change.
pub fn board(v: &crate::access::Viewer, b: &crate::crm::board::Board) -> Markup {
    let url = format!("/deals/board{}", b.filter.query(1));
    let today = crate::time::today();
    Live::new("deal-board", &url, &crate::events::names::kind_changed(ItemKind::Deal)).delay(LIST_DELAY_MS).div("board", html! {
        @if b.more { p.muted.text-small { "Showing the newest " (crate::crm::board::LIMIT) " active deals; the list has them all." } }
        @for (i, stage) in b.dicts.stages.iter().enumerate() {
            @let cards: Vec<&crate::crm::board::Card> = b.cards.iter().filter(|c| c.stage_id == stage.id).collect();
            @let prev = i.checked_sub(1).and_then(|p| b.dicts.stages.get(p));
            @let next = b.dicts.stages.get(i + 1);
            section.board-column data-stage=(stage.id) aria-label=(format!("Stage {}", stage.name)) {
                header.board-column-head { h2 { (stage.name) } span.badge { (cards.len()) } }
                div.board-cards {
                    @for c in cards.iter().take(crate::crm::board::PER_COLUMN) {
                        @let movable = c.can(v, Action::ChangeStage);
                        article.deal-card #(format!("deal-card-{}", c.id)) data-id=(c.id) draggable=[movable.then_some("true")] .important[c.important] {
                            a.deal-card-name href=(format!("/deals/{}", c.id)) { (c.name) }
                            p.deal-card-step .new[c.is_new] { (c.next_step) }
                            p.deal-card-meta {
                                (items::date(Some(c.next_step_date), c.next_step_date < today))
                                @if let Some(a) = c.amount_cents { " · " span.amount { (crate::crm::fields::money(a)) } }
                                @if let Some(o) = c.owner_id { " · " span.person { (b.names.get(&o).map(String::as_str).unwrap_or("(former user)")) } }
                            }
                            @if movable {
                                // The keyboard's way, and the drop's: ◀ / ▶ send the next stage over;
                                // a drop fills `to` (board.js). One permission-checked route for both.
                                form.card-move method="post" action=(format!("/deals/{}/stage", c.id)) hx-post=(format!("/deals/{}/stage", c.id)) hx-swap="none" {
                                    (ui::csrf(&v.csrf))
                                    input type="hidden" name="to" value="";
                                    @if let Some(p) = prev {
                                        button.btn.btn-sm.btn-ghost type="submit" name="stage" value=(p.id) aria-label=(format!("Move {} back to {}", c.name, p.name)) title=(format!("To {}", p.name)) { "◀" }
                                    }
                                    @if let Some(n) = next {
                                        button.btn.btn-sm.btn-ghost type="submit" name="stage" value=(n.id) aria-label=(format!("Move {} on to {}", c.name, n.name)) title=(format!("To {}", n.name)) { "▶" }
                                    }
                                }
                            }
                        }
                    }
                    @if cards.len() > crate::crm::board::PER_COLUMN {
                        p.muted.text-small { "and " (cards.len() - crate::crm::board::PER_COLUMN) " more in the list" }
                    }
                    @if cards.is_empty() { p.muted.text-small.board-empty { "No deals" } }
                }
            }
        }
    })
}

/// "Convert the lead": what will be made or used, the new deal's fields, one button.
pub fn convert_page(
    cx: &PageCx<'_>,
    it: &ItemRef,
    plan: &Result<crate::crm::convert::Plan, FormErrors>,
    f: &crate::crm::convert::DealForm,
    errs: &FormErrors,
) -> Markup {
    use crate::crm::convert::Target;
    let target = |t: &Target, kind: ItemKind| match t {
        Target::Existing(id, name) => {
            html! { "the existing " (kind.label().to_lowercase()) " " a href=(format!("{}/{id}", kind.info().path)) { (name) } }
        }
        Target::New(name) => html! { "a new " (kind.label().to_lowercase()) " " strong { (name) } },
    };
    page(
        cx,
        "Convert the lead",
        html! {
            div.page-header { div { h1.page-title { "Convert the lead “" (it.title) "”" } p.page-subtitle { "The lead becomes a contact person of a company, with a deal. Its chat, files and reminders go to the contact person; the lead is deleted." } } }
            div.card { div.card-body.stack {
                (ui::form_errors(errs))
                @match plan {
                    Err(missing) => {
                        p { "To convert, please fill in these fields on the lead first:" }
                        ul { @for (field, msg) in &missing.0 { li { strong { (crate::crm::person::LEAD.field(field).map_or(*field, |x| x.label)) } ": " (msg) } } }
                        a.btn.btn-primary href=(format!("{}/edit", it.url())) { "Edit the lead" }
                    }
                    Ok(p) => {
                        ul.removal {
                            li { "Company: " (target(&p.company, ItemKind::Company)) }
                            li { "Contact person: " (target(&p.contact, ItemKind::Contact)) }
                            @if p.deals.is_empty() { li { "Deal: a new deal (below)" } }
                            @else { li { "Deals: " (p.deals.len()) " of the lead move to the contact person" } }
                        }
                        form.form method="post" action=(format!("{}/convert", it.url())) {
                            (ui::csrf(&cx.viewer.csrf))
                            @if p.deals.is_empty() {
                                (ui::Field::new("name", "Deal name", &f.name, errs).required())
                                div.field-row {
                                    (ui::Field::new("next_step", "Next step", &f.next_step, errs).required())
                                    (ui::Field::new("next_step_date", "Next step date", &f.next_step_date, errs).kind("date").required())
                                }
                            }
                            div.form-actions {
                                a.btn.btn-ghost href=(it.url()) { "Cancel" }
                                button.btn.btn-primary type="submit" { "Convert" }
                            }
                        }
                    }
                }
            } }
        },
    )
}
