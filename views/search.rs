//! Global search results.

use maud::{Markup, html};

use crate::views::layout::{PageCx, page};
use crate::views::ui;

/// One search hit: what it is, its title, where it lives.
pub struct Hit {
    pub kind: &'static str,
    pub title: String,
    pub url: String,
}

/// `more`: links to the lists holding more hits of a kind (label, URL).
pub fn results(cx: &PageCx<'_>, q: &str, hits: &[Hit], more: &[(String, String)]) -> Markup {
    page(
        cx,
        "Search",
        html! {
            div.page-header { div { h1.page-title { "Search" } p.page-subtitle { @if q.is_empty() { "Type a word, or ID 123 to open an object." } @else { "Results for “" (q) "”" } } } }
            form.filters method="get" action="/search" {
                input type="search" name="q" value=(q) placeholder="Search or ID 123" aria-label="Search" autofocus;
                button.btn.btn-primary type="submit" { "Search" }
            }
            @if !q.is_empty() {
                @if hits.is_empty() {
                    (ui::empty_state("search", "Nothing found that you may see.", None))
                } @else {
                    div.table-wrap { table.table {
                        thead { tr { th { "Kind" } th { "Title" } } }
                        tbody { @for h in hits { tr { td { span.badge { (h.kind) } } td { a href=(h.url) { (h.title) } } } } }
                    } }
                    @if !more.is_empty() {
                        p.search-more { "More results: " @for (i, (label, url)) in more.iter().enumerate() { @if i > 0 { " · " } a href=(url) { (label) " “" (q) "”" } } }
                    }
                }
            }
        },
    )
}
