//! The deal list (§12.1–12.4): its filters, the sort toggle, and rows with marks, the counterparty
//! and its deal counter, the next step in bold while the deal is new to its owner.

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::access::Viewer;
use crate::crm::deal_list::{Active, Choices, Extras, shows_person};
use crate::crm::fields::RefTo;
use crate::crm::list::{Filter, Owner};
use crate::crm::repo::Record;
use crate::views::crm::Rows;
use crate::views::layout::{PageCx, page};
use crate::views::live::{LIST_DELAY_MS, Live};
use crate::views::ui::{self, icon};

pub struct Deals<'a> {
    pub rows: &'a Rows<'a>,
    pub extras: &'a Extras,
    pub today: NaiveDate,
}

fn url(f: &Filter, page: u64) -> String {
    format!("/deals{}", f.query(page))
}

/// A `<select>` of the filter form.
fn choice(name: &str, label: &str, current: &str, any: &str, options: &[(String, String)]) -> Markup {
    html! {
        select name=(name) aria-label=(label) title=(label) {
            option value="" { (any) }
            @for (v, l) in options { option value=(v) selected[current == v] { (l) } }
        }
    }
}

fn ids(list: &[(i64, String)]) -> Vec<(String, String)> {
    list.iter().map(|(i, n)| (i.to_string(), n.clone())).collect()
}

fn yes_no(yes: &str, no: &str) -> Vec<(String, String)> {
    vec![("yes".into(), yes.into()), ("no".into(), no.into())]
}

pub fn index(cx: &PageCx<'_>, d: &Deals<'_>, c: &Choices) -> Markup {
    let (r, f) = (d.rows, d.rows.filter);
    let owner = f.owner(cx.viewer);
    let by_step = f.deal.by_next_step();
    let toggled = {
        let mut t = Filter { page: None, ..f.clone() };
        t.deal.sort = if by_step { String::new() } else { "step".into() };
        t
    };
    let toggle_label = if by_step { "Sort by creation date" } else { "Sort by next step date" };
    let successful = {
        let mut s = Filter { page: None, ..f.clone() };
        s.deal.success = "yes".into();
        s.deal.active = String::new();
        s
    };
    let active = match f.deal.active() {
        Active::Yes => "yes",
        Active::No => "no",
        Active::All => "all",
    };
    page(
        cx,
        "Deals",
        html! {
            div.page-header {
                div {
                    h1.page-title { "Deals" }
                    p.page-subtitle {
                        @if by_step { "Nearest next step first." } @else { "Newest first." }
                        @if f.deal.success == "yes" { " Successful deals." }
                    }
                }
                div.page-actions {
                    a.btn.btn-ghost href=(url(&toggled, 1)) title=(toggle_label) aria-label=(toggle_label) { (icon("sort")) " " (if by_step { "By creation" } else { "By next step" }) }
                    a.btn.btn-ghost href=(url(&successful, 1)) title="Deals closed with the department's success reason" { "Successful deals" }
                    a.btn.btn-ghost href=(format!("/deals/export{}", Filter { page: None, ..f.clone() }.query(1))) download hx-boost="false"
                        title="Download this list (with its filters) as an Excel workbook" { "Export" }
                    a.btn.btn-ghost href="/deals/board" { "Board" }
                    @if r.can_create { a.btn.btn-primary href="/deals/new" { (icon("plus")) " New deal" } }
                }
            }
            form.filters.deal-filters method="get" action="/deals" {
                input type="search" name="q" value=(f.q) placeholder="Search deals (or ID 123)" aria-label="Search deals";
                select name="active" aria-label="Active" title="Active" {
                    option value="yes" selected[active == "yes"] { "Active" }
                    option value="no" selected[active == "no"] { "Closed" }
                    option value="all" selected[active == "all"] { "Active and closed" }
                }
                select name="owner" aria-label="Owner" title="Owner" {
                    option value="mine" selected[owner == Owner::Mine] { "Mine" }
                    option value="all" selected[owner == Owner::All] { "Everyone's" }
                    option value="none" selected[owner == Owner::Nobody] { "No owner" }
                }
                @if !r.departments.is_empty() {
                    (choice("department", "Department", &f.department, "All departments", &ids(r.departments)))
                }
                @if !r.tags.is_empty() {
                    (choice("tag", "Tag", &f.tag, "Any tag", &ids(r.tags)))
                }
                (choice("important", "Important", &f.deal.important, "Important or not", &[("yes".into(), "Important".into())]))
                (choice("stage", "Stage", &f.deal.stage, "Any stage", &ids(&c.stages)))
                (choice("reason", "Closing reason", &f.deal.reason, "Any closing reason", &ids(&c.reasons)))
                (choice("product", "Product", &f.deal.product, "Any product", &ids(&c.products)))
                (choice("partner", "Partner", &f.deal.partner, "With or without partner", &yes_no("With a partner", "No partner")))
                (choice("relevant", "Relevant", &f.deal.relevant, "Relevant or not", &yes_no("Relevant", "Irrelevant")))
                @if !c.industries.is_empty() {
                    (choice("industry", "Company industry", &f.deal.industry, "Any industry", &ids(&c.industries)))
                }
                @if c.countries.len() > 1 || !f.deal.country.is_empty() {
                    (choice("country", "Country", &f.deal.country, "Any country", &ids(&c.countries)))
                }
                @if !c.cities.is_empty() || !f.deal.city.is_empty() {
                    (choice("city", "City", &f.deal.city, "Any city", &ids(&c.cities)))
                }
                (choice("chiefs", "Changed by chiefs", &f.deal.chiefs, "Changed by anyone", &[("yes".into(), "Changed by chiefs".into())]))
                (crate::views::period::date_filter(&f.period, "Creation date"))
                @for (name, value) in [("company", &f.deal.company), ("contact", &f.deal.contact), ("lead", &f.deal.lead), ("sort", &f.deal.sort), ("success", &f.deal.success)] {
                    @if !value.is_empty() { input type="hidden" name=(name) value=(value); }
                }
                button.btn type="submit" { "Filter" }
                a.btn.btn-ghost href=(if by_step { "/deals?sort=step" } else { "/deals" }) { "Clear" }
            }
            @if f.deal.counterparty() {
                p.muted.text-small { "Showing one counterparty's deals, active and closed. " a href="/deals" { "All deals" } }
            } @else if f.owner.is_empty() && owner == Owner::Mine {
                p.muted.text-small { "Showing your own deals. Choose “Everyone's” to see the whole department." }
            }
            (list(cx.viewer, d))
        },
    )
}

fn counterparty(d: &Deals<'_>, row: &Record) -> Markup {
    let spec = d.rows.spec;
    let names = d.rows.names;
    let filtered = d.rows.filter.deal.counterparty();
    let (key, id, name, count) = if let Some(c) = row.get(spec, "company_id").int() {
        ("company", c, names.of(RefTo::Object(crate::access::ItemKind::Company), c), d.extras.per_company.get(&c))
    } else if let Some(l) = row.get(spec, "lead_id").int() {
        ("lead", l, names.of(RefTo::Object(crate::access::ItemKind::Lead), l), d.extras.per_lead.get(&l))
    } else {
        return html! { span.muted { "—" } };
    };
    let href = format!("/deals?{key}={id}&active=all");
    html! {
        a href=(href) title="This counterparty's deals" { (name.unwrap_or_else(|| format!("#{id}"))) }
        @if !filtered { @if let Some(n) = count { span.deal-counter title="Deals of this counterparty" { "(" (n) ")" } } }
    }
}

pub fn list(v: &Viewer, d: &Deals<'_>) -> Markup {
    let r = d.rows;
    let (spec, f) = (r.spec, r.filter);
    let person = shows_person(v, f);
    let show = |row: &Record, col: &str| {
        spec.field(col).map(|field| field.show(row.get(spec, col), &|to, id| r.names.of(to, id))).unwrap_or_default()
    };
    let user = |id: i64| r.names.of(RefTo::User, id).unwrap_or_else(|| "(former user)".into());
    Live::new("deal-list", &url(f, r.page.page), &crate::events::names::kind_changed(spec.kind)).delay(LIST_DELAY_MS).div("", html! {
        @if let Some(s) = &r.summary { (s) }
        @if r.page.items.is_empty() {
            @if f.q.trim().is_empty() {
                (ui::empty_state("briefcase", "No deals match these filters.", r.can_create.then_some(("/deals/new", "Add one"))))
            } @else {
                (ui::empty_state("search", &format!("No deals match “{}”.", f.q.trim()), None))
            }
        } @else {
            div.table-wrap { table.table.deal-table {
                thead { tr {
                    th { "Name" }
                    th { span.sr-only { "Marks" } }
                    th { "Next step" }
                    th { "Next step date" }
                    th { "Stage" }
                    th { "Counterparty" }
                    @if person { th { "Person" } }
                    @if d.extras.ctqs.is_some() { th.num { abbr title="Composite Transaction-Quality Score" { "CTQS" } } }
                    th { "Act" }
                    th { "Created" }
                    th.num { "ID" }
                } }
                tbody { @for row in &r.page.items {
                    @let active = row.get(spec, "active").flag();
                    @let relevant = row.get(spec, "relevant").flag();
                    @let name = spec.title_of(row);
                    tr id=(format!("deal-{}", row.id)) .irrelevant[!relevant] {
                        td.name {
                            a href=(format!("/deals/{}", row.id)) {
                                @if !relevant { "(Irrelevant) " }
                                @if row.get(spec, "important").flag() {
                                    mark title="Important deal" aria-label=(format!("Important deal: {name}")) { (name) }
                                } @else { (name) }
                            }
                            @if let Some(tags) = spec.field("tags") { " " (crate::views::crm::badges(&tags.names(row.get(spec, "tags"), &|to, id| r.names.of(to, id)))) }
                        }
                        td.deal-marks {
                            @for m in d.extras.marks.get(&row.id).map(Vec::as_slice).unwrap_or_default() {
                                @let (ico, colour, tip) = m.look();
                                span.deal-mark.(colour) role="img" title=(tip) aria-label=(tip) { (icon(ico)) }
                            }
                        }
                        td {
                            @let step = row.get(spec, "next_step").text();
                            @if row.get(spec, "is_new").flag() {
                                strong.step-new title="New: not yet saved by its owner" { (step) }
                            } @else { (step) }
                        }
                        td {
                            @let date = row.get(spec, "next_step_date").date();
                            (crate::views::items::date(date, active && date.is_some_and(|x| x < d.today)))
                        }
                        td { (show(row, "stage_id")) }
                        td { (counterparty(d, row)) }
                        @if person {
                            td {
                                @match row.owner_id { Some(o) => span.person { (user(o)) }, None => span.muted { "- - - -" } }
                                @if let Some(c) = row.get(spec, "co_owner_id").int() { br; span.person.muted title="Co-owner" { (user(c)) } }
                            }
                        }
                        @if let Some(ctqs) = &d.extras.ctqs {
                            td.num { @if let Some(score) = ctqs.get(&row.id) { (crate::views::crm_quality::score_link(row.id, *score)) } }
                        }
                        td { @if active { "Yes" } @else { span.muted { "No" } } }
                        td { @match d.extras.created.get(&row.id) { Some(t) => (ui::date_of(t)), None => span.muted { "—" } } }
                        td.num.muted { (row.id) }
                    }
                } }
            } }
            (ui::pagination(r.page, crate::views::crm::noun(spec.kind), |n| url(f, n)))
        }
    })
}

/// The deal page's panel of its memos and tasks (those the viewer may see), with the buttons that
/// make a new one linked to the deal. A live region: a memo or task made or changed anywhere
/// re-fetches it through its permission-checked handler.
pub fn work(w: &crate::crm::deal_work::Work) -> Markup {
    use crate::events::names::kind_changed;
    let url = format!("/deals/{}/work", w.deal);
    let on = format!("{} {}", kind_changed(crate::access::ItemKind::Memo), kind_changed(crate::access::ItemKind::Task));
    let id = format!("deal-{}-work", w.deal);
    Live::new(&id, &url, &on).delay(LIST_DELAY_MS).div("card deal-work", html! {
        div.card-body.stack {
            div.page-header {
                h2 { "Office memos and tasks" }
                div.page-actions {
                    a.btn.btn-ghost.btn-sm href=(format!("/memos/new?deal={}", w.deal)) title="Write an office memo about this deal" { (icon("plus")) " Office memo" }
                    a.btn.btn-ghost.btn-sm href=(format!("/tasks/new?deal={}", w.deal)) title="Make a task for this deal" { (icon("plus")) " Task" }
                }
            }
            @if w.memos.is_empty() && w.tasks.is_empty() {
                p.muted { "No memos or tasks about this deal yet." }
            }
            @if !w.memos.is_empty() {
                h3.text-small { "Memos" }
                ul.deal-memos {
                    @for m in &w.memos {
                        li { a href=(format!("/memos/{}", m.id)) { (m.name) } " " span.muted { "· " (crate::memos::model::MemoStage::of(&m.stage).label()) } }
                    }
                }
                @if w.more_memos { p.muted.text-small { "The newest " (crate::crm::deal_work::SHOWN) " are shown." } }
            }
            @if !w.tasks.is_empty() {
                h3.text-small { "Tasks" }
                ul.deal-tasks {
                    @for t in &w.tasks {
                        li { a href=(format!("/tasks/{}", t.id)) { (t.name) } " " span.muted { "· " (crate::tasks::model::Stage::of(&t.stage).label()) } }
                    }
                }
                @if w.more_tasks { p.muted.text-small { "The newest " (crate::crm::deal_work::SHOWN) " are shown." } }
            }
        }
    })
}
