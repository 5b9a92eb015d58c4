//! The Excel import's pages (§9.3): the upload form, and one page per import that shows the preview,
//! then a live progress bar, then the report.

use maud::{Markup, html};

use crate::access::ItemKind;
use crate::crm::fields::RefTo;
use crate::crm::import::{Import, Listed};
use crate::crm::repo::{Names, Record, Spec};
use crate::events::{Topic, names as ev};
use crate::excel::Limits;
use crate::paging::Paged;
use crate::views::layout::{self, PageCx};
use crate::views::live::Live;
use crate::views::ui::{self, csrf};

/// How many skipped rows a page lists (the count covers all).
const SKIPPED_SHOWN: usize = 1000;

fn plural(spec: &Spec) -> String {
    spec.kind.info().plural.to_lowercase()
}

pub fn form(cx: &PageCx<'_>, spec: &Spec, error: Option<&str>, limits: &Limits) -> Markup {
    let k = spec.kind.info();
    let action = format!("{}/import", k.path);
    let title = format!("Import {}", plural(spec));
    layout::page(
        cx,
        &title,
        html! {
            div.page-header {
                div { h1.page-title { (title) } }
                div.page-actions {
                    a.btn.btn-ghost href="/imports" { "Past imports" }
                    a.btn.btn-ghost href=(k.path) { "Back to " (plural(spec)) }
                }
            }
            div.card { div.card-body {
                @if let Some(e) = error {
                    div.form-errors role="alert" id="import-error" { strong { "The file was not imported." } p { (e) } }
                }
                p { "Please select a file to import." }
                form.form method="post" action=(action) enctype="multipart/form-data" hx-boost="false" {
                    (csrf(&cx.viewer.csrf))
                    div.field {
                        label for="import-file" { "Your Excel file" }
                        input #import-file type="file" name="file" required
                            accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            aria-describedby="import-file-help";
                        p.help #import-file-help {
                            "An .xlsx workbook of at most " (limits.max_bytes / (1024 * 1024)) " MB and "
                            (ui::grouped(limits.max_rows as u64)) " rows. The first sheet is read; its first row names the columns."
                        }
                    }
                    p { "Only the following columns will be imported if they exist (the order doesn't matter):" }
                    p.import-columns { @for (i, c) in spec.export.iter().enumerate() { @if i > 0 { ", " } code { (c) } } }
                    p.muted.text-small {
                        "You will see what will be created and what will be skipped, and why, before anything is saved."
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Read the file" } }
                }
            } }
        },
    )
}

pub struct Preview<'a> {
    pub import: &'a Import,
    pub spec: &'a Spec,
    pub rows: &'a [(u32, Record)],
    pub names: &'a Names,
    pub departments: &'a [(i64, String)],
}

fn skipped_table(imp: &Import) -> Markup {
    let skipped = imp.skipped();
    html! {
        @if !skipped.is_empty() {
            h2 { "Skipped: " (ui::grouped(skipped.len() as u64)) }
            table.table.import-skipped {
                thead { tr { th scope="col" { "Row" } th scope="col" { "Reason" } } }
                tbody {
                    @for s in skipped.iter().take(SKIPPED_SHOWN) { tr { td { (s.row) } td { (s.reason) } } }
                }
            }
            @if skipped.len() > SKIPPED_SHOWN {
                p.muted { "… and " (ui::grouped((skipped.len() - SKIPPED_SHOWN) as u64)) " more." }
            }
        }
    }
}

pub fn page(cx: &PageCx<'_>, p: &Preview<'_>) -> Markup {
    let (imp, spec) = (p.import, p.spec);
    let title = format!("Import of {}", plural(spec));
    let skipped = imp.skipped().len();
    let department = |d: i64| p.departments.iter().find(|(id, _)| *id == d).map(|(_, n)| n.clone()).unwrap_or_default();
    let name = |to, id| p.names.of(to, id);
    layout::page(
        cx,
        &title,
        html! {
            div.page-header {
                div { h1.page-title { (title) } p.muted { "From " (imp.file_name) } }
                div.page-actions {
                    a.btn.btn-ghost href="/imports" { "All imports" }
                    a.btn.btn-ghost href=(spec.kind.info().path) { "Back to " (plural(spec)) }
                }
            }
            @if imp.status == "preview" {
                div.card #import-preview { div.card-body {
                    p.import-summary {
                        (ui::grouped(imp.total_rows as u64)) " rows read: "
                        strong { (ui::grouped(imp.to_create as u64)) " will be created" } ", "
                        strong { (ui::grouped(skipped as u64)) " will be skipped" } "."
                    }
                    @if imp.user_id != cx.viewer.id {
                        p.muted { "Only the person who uploaded the file may import it or cancel the preview." }
                    } @else {
                    div.form-actions {
                        @if imp.to_create > 0 {
                            form method="post" action=(format!("/imports/{}/confirm", imp.id)) {
                                (csrf(&cx.viewer.csrf))
                                button.btn.btn-primary type="submit" { "Import " (ui::grouped(imp.to_create as u64)) " " (plural(spec)) }
                            }
                        } @else {
                            p { "Nothing to import: every row is skipped." }
                        }
                        form method="post" action=(format!("/imports/{}/cancel", imp.id)) {
                            (csrf(&cx.viewer.csrf))
                            button.btn.btn-ghost type="submit" { "Cancel" }
                        }
                    }
                    }
                    p.muted.text-small { "A preview that is not imported is removed after a day." }
                } }
                (skipped_table(imp))
                @if !p.rows.is_empty() {
                    h2 { "To be created" @if (imp.to_create as usize) > p.rows.len() { " (the first " (p.rows.len()) ")" } }
                    table.table.import-created {
                        thead { tr {
                            th scope="col" { "Row" } th scope="col" { (spec.kind.label()) } th scope="col" { "Email" }
                            @if spec.kind == ItemKind::Contact { th scope="col" { "Company" } }
                            th scope="col" { "Department" } th scope="col" { "Owner" }
                        } }
                        tbody {
                            @for (n, r) in p.rows {
                                tr {
                                    td { (n) } td { (spec.title_of(r)) } td { (r.get(spec, "email").text()) }
                                    @if spec.kind == ItemKind::Contact {
                                        td { (r.get(spec, "company_id").int().and_then(|c| name(RefTo::Object(ItemKind::Company), c)).unwrap_or_default()) }
                                    }
                                    td { (department(r.department_id)) }
                                    td { (r.owner_id.and_then(|o| name(RefTo::User, o)).unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            } @else {
                (progress(imp, spec))
            }
        },
    )
}

/// The live part: the progress bar while the job runs, the report when it is done.
pub fn progress(imp: &Import, spec: &Spec) -> Markup {
    let id = format!("import-{}-progress", imp.id);
    let url = format!("/imports/{}/progress", imp.id);
    let on = ev::changed_one(Topic::Import, imp.id);
    let done = imp.status == "done";
    let written = imp.next_idx.min(imp.to_create);
    Live::new(&id, &url, &on).div(
        "card import-progress",
        html! { div.card-body {
            @if done {
                p.import-result role="status" {
                    strong { "Import finished: " (ui::grouped(imp.created as u64)) " " (plural(spec)) " created, "
                        (ui::grouped(imp.skipped().len() as u64)) " skipped." }
                }
                p { a href=(format!("{}?owner=all", spec.kind.info().path)) { "Open the " (plural(spec)) } }
                (skipped_table(imp))
            } @else {
                p role="status" {
                    @if imp.status == "queued" { "Waiting to start… " } @else { "Importing… " }
                    (ui::grouped(written as u64)) " of " (ui::grouped(imp.to_create as u64)) " rows written."
                }
                div.progress {
                    progress value=(written) max=(imp.to_create.max(1)) aria-label="Import progress" {}
                    span { (if imp.to_create > 0 { written * 100 / imp.to_create } else { 100 }) " %" }
                }
                p.muted.text-small { "You may leave this page: the import goes on, and you get a notification when it is done." }
            }
        } },
    )
}

fn status_label(imp: &Import) -> &'static str {
    match imp.status.as_str() {
        "preview" => "Preview, not imported",
        "queued" => "Waiting to start",
        "running" => "Importing",
        "done" => "Done",
        _ => "Failed",
    }
}

/// `/imports`: the past imports the viewer may see (theirs; an administrator's: everyone's).
pub fn list(cx: &PageCx<'_>, rows: &Paged<Listed>, everyone: bool) -> Markup {
    let title = "Imports";
    layout::page(
        cx,
        title,
        html! {
            div.page-header { div {
                h1.page-title { (title) }
                p.page-subtitle {
                    @if everyone { "Every user's Excel imports, newest first." } @else { "Your Excel imports, newest first." }
                    " Previews that were never imported are removed after a day."
                }
            } }
            @if rows.items.is_empty() {
                (ui::empty_state("clipboard", "No imports yet. Import companies, contact persons or leads from their lists.", Some(("/companies/import", "Import companies"))))
            } @else {
                div.card { table.table.imports-list {
                    thead { tr {
                        th scope="col" { "Started" } th scope="col" { "What" } th scope="col" { "File" }
                        @if everyone { th scope="col" { "By" } }
                        th scope="col" { "Status" } th.num scope="col" { "Rows" } th.num scope="col" { "Created" }
                        th.num scope="col" { "Skipped" }
                    } }
                    tbody {
                        @for l in &rows.items {
                            @let imp = &l.import;
                            tr {
                                td { (ui::datetime(&l.created_at)) }
                                td { (crate::kinds::by_slug(&imp.kind).map(|k| k.info().plural).unwrap_or("")) }
                                td { a href=(imp.url()) { (imp.file_name) } }
                                @if everyone { td { (l.username) } }
                                td.import-status { (status_label(imp)) }
                                td.num { (ui::grouped(imp.total_rows as u64)) }
                                td.num { @if imp.status == "preview" { "—" } @else { (ui::grouped(imp.created as u64)) } }
                                td.num { (ui::grouped(imp.skipped().len() as u64)) }
                            }
                        }
                    }
                } }
                (ui::pagination_without_total(rows, ui::Noun("import", "imports"), |p| format!("/imports?page={p}")))
            }
        },
    )
}
