//! A fetched page, queried with CSS selectors (never raw substrings).

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use scraper::{Html, Selector};

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub html: Html,
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e:?}"))
}

impl Page {
    pub fn new(status: StatusCode, headers: HeaderMap, body: String) -> Page {
        let html = Html::parse_document(&body);
        Page { status, headers, body, html }
    }

    /// Trimmed, whitespace-collapsed text of every match.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.html
            .select(&sel(css))
            .map(|e| e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// Text of the first match (panics with the page when there is none).
    pub fn text(&self, css: &str) -> String {
        self.texts(css).into_iter().next().unwrap_or_else(|| panic!("no element matches {css:?} in:\n{}", self.body))
    }

    pub fn count(&self, css: &str) -> usize {
        self.html.select(&sel(css)).count()
    }

    pub fn exists(&self, css: &str) -> bool {
        self.count(css) > 0
    }

    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.html.select(&sel(css)).next().and_then(|e| e.value().attr(name)).map(str::to_string)
    }

    pub fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        self.html.select(&sel(css)).filter_map(|e| e.value().attr(name)).map(str::to_string).collect()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }

    /// A fragment (no <html> shell, no top bar).
    pub fn is_fragment(&self) -> bool {
        !self.body.trim_start().starts_with("<!DOCTYPE") && self.count("header.topbar") == 0
    }

    /// The error message of a field (`p.field-error` in the field's wrapper).
    pub fn field_error(&self, name: &str) -> Option<String> {
        let id = format!("f-{name}-error");
        self.texts(&format!("#{id}")).into_iter().next().or_else(|| {
            // selects and fieldsets carry their error without an id
            self.html
                .select(&sel(".field.has-error, fieldset.has-error"))
                .find(|f| f.select(&sel(&format!("[name={name}]"))).next().is_some())
                .and_then(|f| f.select(&sel("p.field-error")).next())
                .map(|e| e.text().collect::<String>().trim().to_string())
        })
    }
}
