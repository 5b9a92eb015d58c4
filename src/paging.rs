//! Pagination shared by every list: page numbers from the query string, a fixed page size, and the
//! total count for the "page X of Y" control.

/// Rows per page of every list.
pub const PER_PAGE: u64 = 50;

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

impl<T> Paged<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }
}

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
