//! Pagination shared by every list: page numbers from the query string, a fixed page size, and the
//! total count for the "page X of Y" control.

/// Rows per page of every list.
pub const PER_PAGE: u64 = 50;

/// One page of a list. Small lists know their total; the big ones (tasks, memos, projects,
/// reminders) only know whether another page follows: counting every matching row on each render
/// cost more than the page itself at 100k tasks (docs/benchmarks.md).
#[derive(Clone, Debug)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: Option<u64>,
    /// Another page follows this one.
    pub more: bool,
}

impl<T> Paged<T> {
    /// A page of a list whose total was counted.
    pub fn counted(items: Vec<T>, page: u64, total: i64) -> Paged<T> {
        let total = Ord::max(total, 0) as u64;
        Paged { items, page, per_page: PER_PAGE, total: Some(total), more: page < total.div_ceil(PER_PAGE) }
    }
    /// A page fetched with `LIMIT PER_PAGE + 1`: the extra row only says that more follow.
    pub fn window(mut items: Vec<T>, page: u64) -> Paged<T> {
        let more = items.len() as u64 > PER_PAGE;
        items.truncate(PER_PAGE as usize);
        Paged { items, page, per_page: PER_PAGE, total: None, more }
    }
    /// Number of pages, when the total is known.
    pub fn pages(&self) -> Option<u64> {
        self.total.map(|t| t.div_ceil(self.per_page).max(1))
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.more
    }
}

/// LIMIT for a windowed page: one row more than shown.
pub const WINDOW: u64 = PER_PAGE + 1;

/// A 1-based page number from an optional query value (anything odd becomes page 1).
pub fn page_number(p: Option<u32>) -> u64 {
    u64::from(p.unwrap_or(1).max(1))
}

/// OFFSET for a page.
pub fn offset(page: u64) -> u64 {
    (page.saturating_sub(1)).saturating_mul(PER_PAGE)
}

/// Reads `?page=` leniently: a value that is not a positive number means "no page" (page 1), so an
/// odd link never breaks a list. Use with `#[serde(default, deserialize_with = "paging::lenient")]`.
pub fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let raw: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(raw.and_then(|r| r.trim().parse::<u32>().ok()).filter(|p| *p > 0))
}
