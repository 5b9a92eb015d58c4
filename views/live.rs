//! Live regions: parts of a page that follow the server. `assets/app.js` (f) re-fetches a region's
//! URL when one of its events arrives on the page's stream and swaps in the element with the same id
//! from the answer, one request at a time and again when an event came in meanwhile, so a region
//! always ends on the latest state. Regions carry no htmx attributes, so nothing is inherited by the
//! links and forms inside them.

use maud::{Markup, html};

/// How long a list waits to coalesce a burst of changes into one request.
pub const LIST_DELAY_MS: u32 = 100;

/// Where a region comes from and which events refresh it.
pub struct Live<'a> {
    /// The element's id; the answer of `url` must contain an element with this id.
    pub id: &'a str,
    pub url: &'a str,
    /// Event names, space separated (every region also refreshes on `resync`).
    pub on: &'a str,
    /// Coalesce a burst of events into one request after this many milliseconds (lists).
    pub delay_ms: u32,
}

impl<'a> Live<'a> {
    pub fn new(id: &'a str, url: &'a str, on: &'a str) -> Live<'a> {
        Live { id, url, on, delay_ms: 0 }
    }
    pub fn delay(mut self, ms: u32) -> Self {
        self.delay_ms = ms;
        self
    }

    /// The region as a `div` (with extra classes, space separated).
    pub fn div(&self, class: &str, body: Markup) -> Markup {
        html! {
            div id=(self.id) class=[(!class.is_empty()).then_some(class)] data-live=(self.url) data-live-on=(self.on)
                data-live-delay=[(self.delay_ms > 0).then_some(self.delay_ms)] { (body) }
        }
    }

    /// The region as a `span` (inline, e.g. a button in a table cell).
    pub fn span(&self, class: &str, body: Markup) -> Markup {
        html! {
            span id=(self.id) class=[(!class.is_empty()).then_some(class)] data-live=(self.url) data-live-on=(self.on)
                data-live-delay=[(self.delay_ms > 0).then_some(self.delay_ms)] { (body) }
        }
    }
}
