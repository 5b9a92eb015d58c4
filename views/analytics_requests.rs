//! The request-based reports' bodies (§5.4–§5.6): the Requests Summary with its per-country table,
//! the Lead source Summary and the Conversion Summary. The shell (filters, live region) is
//! `analytics::page`.

use maud::{Markup, html};

use crate::analytics::chart::Bars;
use crate::analytics::conversion;
use crate::analytics::lead_sources::LeadSources;
use crate::analytics::requests::{Countries, RequestSummary, percent};
use crate::analytics::scope::month_label;
use crate::views::analytics::{chart, count};

const NOTE: &str =
    "Note! The calculations use data for the whole year. But the charts begin on the first of the next month.";

fn labels(months: &[chrono::NaiveDate]) -> Vec<String> {
    months.iter().map(|m| month_label(*m)).collect()
}

fn monthly_bars(id: &'static str, title: String, months: &[chrono::NaiveDate], unit: &str, values: Vec<f64>) -> Bars {
    Bars {
        id,
        title,
        subtitle: None,
        labels: labels(months),
        unit: unit.into(),
        values,
        max: None,
        horizontal: false,
        counts: unit != "%",
    }
}

fn as_f64(v: &[i64]) -> Vec<f64> {
    v.iter().map(|v| *v as f64).collect()
}

/// Requests Summary (§5.4).
pub fn requests(r: &RequestSummary) -> Markup {
    let relevant: i64 = r.monthly_relevant.iter().sum();
    let average = format!("Requests by month (average monthly value {:.1})", r.total() as f64 / 12.0);
    html! {
        dl.report-summary {
            div { dt { "Total requests" } dd #total-requests { (r.total()) } }
            div { dt { "Primary requests" } dd #primary-requests { (r.primary) } }
            div { dt { "Conversion of primary requests into successful deals" } dd #primary-conversion { (percent(r.primary_won, r.primary)) } }
            div { dt { "Subsequent requests" } dd #subsequent-requests { (r.subsequent) } }
            div { dt { "Conversion of subsequent requests" } dd #subsequent-conversion { (percent(r.subsequent_won, r.subsequent)) } }
        }
        div.chart-grid {
            (chart(&monthly_bars("requests-monthly", average, &r.months, "requests", as_f64(&r.monthly)), &count))
            (chart(&monthly_bars("requests-relevant", format!("Relevant requests {relevant}"), &r.months, "requests", as_f64(&r.monthly_relevant)), &count))
        }
        p.footnote.muted { "Duplicate and case requests, and requests of disqualified leads, are not counted. A request converts when its deal closed with a success reason or stands at a success or conditional-success stage. " (NOTE) }
        @if let Some(c) = &r.countries { (countries(c)) }
    }
}

fn countries(c: &Countries) -> Markup {
    let cell = |n: i64, won: i64| format!("{n} (conversion {})", percent(won, n));
    html! {
        section.card #requests-over-country {
            div.card-header { h2.card-title { "Requests over country" } }
            div.table-wrap { table.table {
                thead { tr { th scope="col" { "Country" } th.num scope="col" { "For last 365 days" } th.num scope="col" { "For all period" } } }
                tbody {
                    @for row in &c.rows {
                        tr {
                            th scope="row" { (row.country.as_deref().unwrap_or("Not specified")) }
                            td.num { (cell(row.year, row.year_won)) }
                            td.num { (cell(row.all, row.all_won)) }
                        }
                    }
                    @if c.rows.is_empty() { tr { td colspan="3" .muted { "No requests." } } }
                }
            } }
        }
        p.footnote.muted #country-note {
            @if c.several {
                "The departments of this view that work globally are counted here: " (c.departments.join(", ")) ". Choose a department to see only its requests. "
            }
            "The requests are those of the summary above (without its 365-day limit in the last column). Here a request converts when its deal closed with a success reason or stands at a conditional-success stage (as in Django-CRM; a deal at the success stage without the success reason does not count). The last 365 days are counted by receipt date (Django-CRM used the creation date)."
        }
    }
}

/// Lead source Summary (§5.5).
pub fn lead_sources(l: &LeadSources) -> Markup {
    let cell = |n: i64, of: i64| format!("{n} ({})", percent(n, of));
    html! {
        section.card #requests-by-source {
            div.card-header { h2.card-title { "Number of requests for each source" } }
            div.table-wrap { table.table {
                thead { tr { th scope="col" { "Source" } th.num scope="col" { "For last 365 days" } th.num scope="col" { "For all period" } } }
                tbody {
                    @for r in &l.rows {
                        tr { th scope="row" { (r.name) } td.num { (cell(r.year, l.total.0)) } td.num { (cell(r.all, l.total.1)) } }
                    }
                    tr.not-specified {
                        th scope="row" { "Not specified" }
                        td.num { (cell(l.not_specified.0, l.total.0)) }
                        td.num { (cell(l.not_specified.1, l.total.1)) }
                    }
                }
                tfoot { tr.total-row {
                    th scope="row" { strong { "Total requests" } }
                    td.num { strong { (l.total.0) " (100%)" } }
                    td.num { strong { (l.total.1) " (100%)" } }
                } }
            } }
        }
        @if let Some(name) = &l.chosen {
            @let bars = Bars {
                subtitle: Some(format!("{name}: {} requests", l.monthly.iter().sum::<i64>())),
                ..monthly_bars("lead-source-monthly", "Relevant requests over month".into(), &l.months, "requests", as_f64(&l.monthly))
            };
            (chart(&bars, &count))
        }
        p.footnote.muted {
            "Every request of the departments shown counts, whoever owns it, except duplicate and case requests; in a view of several departments, their sources of one name are one row (and choosing it chooses them all). The last 365 days are counted by receipt date (Django-CRM used the creation date for the table). A share is of all requests of the period, also when one source is chosen (Django-CRM's total then shrank to that source and the requests without one). "
            @if l.chosen.is_some() { "The chart counts the chosen source's requests by receipt month. " (NOTE) }
        }
    }
}

/// Conversion Summary (§5.6).
pub fn conversion(r: &RequestSummary) -> Markup {
    let all = conversion::monthly(&r.monthly_won, &r.monthly);
    let primary = conversion::monthly(&r.monthly_primary_won, &r.monthly_primary);
    let pct = |v: f64| format!("{v:.1}%");
    let mut total = monthly_bars(
        "conversion-monthly",
        format!("Conversion ({})", percent(r.won(), r.total())),
        &r.months,
        "%",
        all,
    );
    total.subtitle = Some(format!("Total requests = {}", r.total()));
    total.max = Some(100.0);
    let mut first = monthly_bars(
        "conversion-primary-monthly",
        format!("Conversion of primary requests ({})", percent(r.primary_won, r.primary)),
        &r.months,
        "%",
        primary,
    );
    first.subtitle = Some(format!("Total primary requests = {}", r.primary));
    first.max = Some(100.0);
    html! {
        dl.report-summary {
            div { dt { "Conversion" } dd #conversion { (percent(r.won(), r.total())) } }
            div { dt { "Conversion of primary requests" } dd #primary-conversion { (percent(r.primary_won, r.primary)) } }
            div { dt { "Total requests" } dd #total-requests { (r.total()) } }
            div { dt { "Total primary requests" } dd #primary-requests { (r.primary) } }
        }
        div.chart-grid {
            (chart(&total, &pct))
            (chart(&first, &pct))
        }
        p.footnote.muted { "Requests received in the last 365 days, without duplicate and case requests and requests of disqualified leads (as the Requests Summary). A request converts when its deal closed with a success reason or stands at a success or conditional-success stage; each month's bar is the share of that month's requests (by receipt date) that converted. " (NOTE) }
    }
}
