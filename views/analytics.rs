//! The analytics pages (§5): the list of reports, each report's shell (filters, currency switch,
//! live region) and the charts with their table alternatives. The Income Summary's body is in
//! `analytics_income.rs`.

use maud::{Markup, PreEscaped, html};

use crate::access::{ItemKind, Report};
use crate::analytics::chart::Bars;
use crate::analytics::deals::DealSummary;
use crate::analytics::funnel::Funnel;
use crate::analytics::scope::{Currency, Filter, Scope, month_label};
use crate::views::layout::{self, PageCx};
use crate::views::ui::icon;

/// What a report's filter bar offers, and the scope it resolved to.
pub struct Choices<'a> {
    pub report: Report,
    pub filter: &'a Filter,
    pub scope: Scope,
    /// Departments to choose from (empty: no department filter).
    pub departments: Vec<(i64, String)>,
    pub owners: Vec<(i64, String)>,
    /// The lead source filter's choices, one per name (the Lead source Summary only), and the
    /// chosen source's name (a source of another department is not chosen).
    pub sources: Vec<(i64, String)>,
    pub source: Option<String>,
    pub marketing: Option<String>,
    pub state: Option<String>,
    /// The product filter's choices (the Sales Report, the Closing reason Summary).
    pub products: Vec<(i64, String)>,
    /// The Sales Report's country filter (a department that works globally): its choices and the
    /// chosen value ("all", "none" or a country id).
    pub countries: Option<(Vec<(i64, String)>, String)>,
    /// The Closing reason Summary's reasons (one per name).
    pub reasons: Vec<(i64, String)>,
}

impl Choices<'_> {
    /// The name of the currency amounts are shown in.
    pub fn currency(&self) -> &str {
        let name = match self.scope.currency {
            Currency::Marketing => &self.marketing,
            Currency::State => &self.state,
        };
        name.as_deref().unwrap_or("")
    }

    pub fn url(&self) -> String {
        format!("/analytics/{}{}", self.report.slug(), self.filter.query(None))
    }
}

/// `GET /analytics`.
pub fn index(cx: &PageCx<'_>, reports: &[Report]) -> Markup {
    layout::page(
        cx,
        "Analytics",
        html! {
            div.page-header { div { h1.page-title { "Analytics" } } }
            ul.report-list {
                @for r in reports {
                    li { a href=(format!("/analytics/{}", r.slug())) { (icon("chart")) " " (r.label()) } }
                }
            }
        },
    )
}

/// A report page: title, filters, and `body` in a live region that refreshes (at most every few
/// seconds) when a payment, deal or request changes.
pub fn page(cx: &PageCx<'_>, c: &Choices<'_>, body: Markup) -> Markup {
    page_titled(cx, c, title(c.report), body)
}

/// `page` with a heading of its own (the Closing reason Summary names its product).
pub fn page_titled(cx: &PageCx<'_>, c: &Choices<'_>, heading: &str, body: Markup) -> Markup {
    let live_on =
        [ItemKind::Payment, ItemKind::Deal, ItemKind::Request].map(crate::events::names::kind_changed).join(" ");
    layout::page(
        cx,
        c.report.label(),
        html! {
            div.page-header {
                div { h1.page-title { (heading) } }
                div.page-actions {
                    @if crate::analytics::export::EXPORTS.contains(&c.report) {
                        a.btn.btn-ghost href=(format!("/analytics/{}/export{}", c.report.slug(), c.filter.query(None)))
                            download hx-boost="false" { "Export to Excel" }
                    }
                    a.btn.btn-ghost href="/analytics" { "All reports" }
                }
            }
            (filters(c))
            div #report.report data-live=(c.url()) data-live-on=(live_on) data-live-delay="3000" { (body) }
        },
    )
}

/// The report's heading.
pub fn title(r: Report) -> &'static str {
    match r {
        Report::Funnel => "Sales funnel for last 365 days",
        Report::Sales => "Sold products summary (by date of payment receipt)",
        Report::ClosingReasons => "Statistics on the Closing reason of deals for all the time",
        Report::Requests => "Request Summary for last 365 days",
        Report::Deals => "Deal Summary for last 365 days",
        Report::LeadSources => "Request source statistics",
        Report::Conversion => "Conversion of requests into successful deals (for the last 365 days)",
        r => r.label(),
    }
}

fn filters(c: &Choices<'_>) -> Markup {
    let f = c.filter;
    let owner = c.scope.owner.map(|o| o.to_string()).unwrap_or_else(|| "all".into());
    let other = match c.scope.currency {
        Currency::Marketing => ("state", c.state.as_deref()),
        Currency::State => ("marketing", c.marketing.as_deref()),
    };
    html! {
        form.filters method="get" action=(format!("/analytics/{}", c.report.slug())) {
            // The Lead source Summary counts every owner's requests (§5.5): no owner filter.
            @if c.report != Report::LeadSources { select name="owner" aria-label="Owner" {
                option value="all" selected[owner == "all"] { "All owners" }
                @for (id, name) in &c.owners {
                    option value=(id) selected[owner == id.to_string()] { (name) }
                }
                @if let Some(o) = c.scope.owner.filter(|o| !c.owners.iter().any(|(id, _)| id == o)) {
                    option value=(o) selected { "User " (o) }
                }
            } }
            @if !c.departments.is_empty() {
                select name="department" aria-label="Department" {
                    option value="" { "All departments" }
                    @for (id, name) in &c.departments {
                        option value=(id) selected[f.department == id.to_string()] { (name) }
                    }
                }
            }
            @if c.report == Report::LeadSources {
                select name="source" aria-label="Lead source" {
                    option value="" { "All sources" }
                    @for (id, name) in &c.sources {
                        option value=(id) selected[c.source.as_ref() == Some(name)] { (name) }
                    }
                }
            }
            @if c.report == Report::Income {
                (crate::views::period::date_filter(&f.period, "Payments received"))
            }
            @if c.report == Report::Sales {
                (crate::views::period::date_filter(&f.period, "Payment date"))
            }
            @if matches!(c.report, Report::Sales | Report::ClosingReasons) {
                select name="product" aria-label="Product" {
                    option value="" { "All products" }
                    @for (id, name) in &c.products {
                        option value=(id) selected[f.product == id.to_string()] { (name) }
                    }
                }
            }
            @if let (Report::Sales, Some((countries, chosen))) = (c.report, &c.countries) {
                select name="country" aria-label="Country" {
                    option value="all" selected[chosen == "all"] { "All countries" }
                    @for (id, name) in countries {
                        option value=(id) selected[*chosen == id.to_string()] { (name) }
                    }
                    option value="none" selected[chosen == "none"] { "Country not specified" }
                }
            }
            @if c.report == Report::ClosingReasons {
                select name="reason" aria-label="Closing reason" {
                    option value="" { "All closing reasons" }
                    @for (id, name) in &c.reasons {
                        option value=(id) selected[f.reason == id.to_string()] { (name) }
                    }
                }
            }
            input type="hidden" name="currency" value=(f.currency);
            button.btn type="submit" { "Filter" }
            // Only the Income Summary and the Sales Report show money; hidden without both currencies (§5).
            @if let (true, Some(name)) = (matches!(c.report, Report::Income | Report::Sales) && c.marketing.is_some(), other.1) {
                a.btn.btn-ghost.currency-switch href=(format!("/analytics/{}{}", c.report.slug(), f.query(Some(other.0))))
                    title="Show the amounts in the other currency" { (c.currency()) " > " (name) }
            }
        }
    }
}

/// A chart and its table: the option in a JSON data block, drawn by `assets/charts.js`.
pub fn chart(b: &Bars, show: &dyn Fn(f64) -> String) -> Markup {
    let data = format!("chart-{}-option", b.id);
    html! {
        figure.chart-card {
            // No id on the drawn element: htmx's settle step copies `style` between elements of one
            // id, and ECharts' inline style on a replaced chart would then break the CSP.
            div.chart data-chart=(data) data-chart-name=(b.id) data-echarts=(crate::assets::url("echarts.min.js")) aria-hidden="true" {}
            // The data block sits in a <template>: htmx (allowScriptTags: false) removes every
            // <script> of the content it swaps in, but does not look inside templates.
            template.chart-data id=(data) {
                // `Bars::json` escapes <, > and & (see chart::script_safe and its tests).
                script type="application/json" { (PreEscaped(b.json())) } // sanitized
            }
            table.sr-only {
                caption { (b.title) @if let Some(s) = &b.subtitle { " (" (s) ")" } }
                thead { tr { th scope="col" { "" } th scope="col" { (b.unit) } } }
                tbody {
                    @for (l, v) in b.labels.iter().zip(&b.values) { tr { th scope="row" { (l) } td { (show(*v)) } } }
                }
            }
        }
    }
}

pub fn count(v: f64) -> String {
    format!("{v:.0}")
}

fn labels(months: &[chrono::NaiveDate]) -> Vec<String> {
    months.iter().map(|m| month_label(*m)).collect()
}

/// Sales funnel (§5.2).
pub fn funnel(f: &Funnel) -> Markup {
    let bars = Bars {
        id: "funnel",
        title: "Deals still open at each stage".into(),
        subtitle: None,
        labels: f.steps.iter().map(|s| s.stage.clone()).collect(),
        unit: "deals".into(),
        values: f.steps.iter().map(|s| s.remaining as f64).collect(),
        max: None,
        horizontal: true,
        counts: true,
    };
    html! {
        p.muted { "Number of deals closed/lost at each stage." }
        div.card { div.card-body {
            table.table.funnel-table {
                thead { tr { th scope="col" { "Stage" } th scope="col" { "Deals ended here" } th scope="col" { "Lost at this stage" } th scope="col" { "Still open before it" } } }
                tbody {
                    tr.total-row { th scope="row" { "Total closed deals" } td { (f.total) } td {} td {} }
                    @for s in &f.steps {
                        tr { th scope="row" { (s.stage) } td { (s.count) } td { "-" (format!("{:.0}", s.lost_percent)) "%" } td { (s.remaining) } }
                    }
                }
            }
        } }
        @if f.total > 0 { (chart(&bars, &count)) }
        p.footnote.muted { "Deals closed (no longer active) and relevant, with a closing date in the last 365 days. Django-CRM's help says only primary deals count, but it counts them all; so does this report." }
    }
}

/// Deal Summary (§5.8).
pub fn deals(d: &DealSummary) -> Markup {
    let months = labels(&d.months);
    let irrelevant: Vec<i64> = d.monthly_total.iter().zip(&d.monthly_relevant).map(|(t, r)| t - r).collect();
    let top = d.monthly_total.iter().copied().max().unwrap_or(0) as f64;
    let bar = |id, title: String, values: &[i64], max| Bars {
        id,
        title,
        subtitle: None,
        labels: months.clone(),
        unit: "deals".into(),
        values: values.iter().map(|v| *v as f64).collect(),
        max,
        horizontal: false,
        counts: true,
    };
    let n = |v: &[i64]| v.iter().sum::<i64>();
    html! {
        dl.report-summary {
            div { dt { "Total deals" } dd #total-deals { (d.total) } }
            div { dt { "Relevant deals" } dd #relevant-deals { (d.relevant) } }
            div { dt { "Closed successfully (primary)" } dd #won-deals { (d.won) } }
            div { dt { "Average days to close successfully (primary)" } dd #average-days { @if let Some(a) = d.average_days { (format!("{a:.1}")) } @else { "–" } } }
        }
        div.chart-grid {
            (chart(&bar("deals-total", format!("Total deals ({})", n(&d.monthly_total)), &d.monthly_total, Some(top)), &count))
            (chart(&bar("deals-irrelevant", format!("Irrelevant deals ({})", n(&irrelevant)), &irrelevant, Some(top)), &count))
            (chart(&bar("deals-relevant", format!("Relevant deals ({})", n(&d.monthly_relevant)), &d.monthly_relevant, Some(top)), &count))
            (chart(&bar("deals-won", format!("Won deals ({})", n(&d.monthly_won)), &d.monthly_won, None), &count))
        }
        p.footnote.muted { "Deals are counted by the receipt date of their request (deals made without a request are not), won deals by their closing date. Note! The calculations use data for the whole year. But the charts begin on the first of the next month." }
    }
}
