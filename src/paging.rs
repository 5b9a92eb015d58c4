//! Pagination shared by every list: page numbers from the query string, a fixed page size, and the
//! total count for the "page X of Y" control.
//!
//! The big lists (tasks, memos, projects, reminders) render without counting: they fetch one row more
//! than a page to know whether another follows. Their total comes in a second, lazy request
//! (`/<list>/total?<filters>`), counted up to `COUNT_CAP` rows (exact below it, "more than 1,000"
//! above) and cached per viewer and filter until something changes (`Totals`).

use std::collections::HashMap;
use std::sync::Mutex;

use sea_query::{Alias, Expr, Func, Query, SelectStatement};

use crate::db::Db;
use crate::events::Bus;

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
    /// The total when it is known without counting: counted lists, and the last page of a windowed one.
    pub fn known_total(&self) -> Option<Total> {
        match self.total {
            Some(t) => Some(Total::Exact(t)),
            None if !self.more => Some(Total::Exact(offset(self.page) + self.items.len() as u64)),
            None => None,
        }
    }
}

/// Rows a list counts exactly; past it the total is "more than COUNT_CAP".
pub const COUNT_CAP: u64 = 1000;

/// How many rows a list has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    Exact(u64),
    /// At least this many (the count stopped there).
    MoreThan(u64),
}

impl Total {
    /// Pages of `PER_PAGE` rows, when exact.
    pub fn pages(self) -> Option<u64> {
        match self {
            Total::Exact(n) => Some(n.div_ceil(PER_PAGE).max(1)),
            Total::MoreThan(_) => None,
        }
    }
}

/// Counts the rows of a list query (its columns, order and window are ignored) up to `COUNT_CAP`:
/// `SELECT COUNT(*) FROM (SELECT 1 … LIMIT COUNT_CAP + 1)`. The walk stops at the cap, so the cost is
/// bounded whatever the list's size.
pub async fn bounded_count(db: &Db, mut q: SelectStatement) -> Result<Total, sqlx::Error> {
    q.clear_selects().clear_order_by().reset_offset().expr(Expr::val(1)).limit(COUNT_CAP + 1);
    let count = Query::select().expr(Func::count(Expr::val(1))).from_subquery(q, Alias::new("counted")).to_owned();
    let n = db.scalar::<i64>(&count).await?.unwrap_or(0).max(0) as u64;
    Ok(if n > COUNT_CAP { Total::MoreThan(COUNT_CAP) } else { Total::Exact(n) })
}

/// Values derived from a list (its total, the payments list's sum), cached per viewer and filter.
/// An entry is kept with the bus's count of changes (`Bus::changes`, bumped before any change
/// reaches a stream, local or from another instance) and used only while that count stands: a value
/// is never older than the last change this instance heard of, and the list's live refresh after a
/// change computes it again.
#[derive(Clone)]
pub struct Cached<V> {
    bus: Bus,
    cached: std::sync::Arc<Mutex<CachedMap<V>>>,
}

/// Cached list totals.
pub type Totals = Cached<Total>;

/// (viewer, list and filters) → (the bus's change count when computed, the value).
type CachedMap<V> = HashMap<(i64, String), (u64, V)>;

/// Entries kept before the cache is emptied (a bound, not a tuning knob: entries are small).
const TOTALS_KEPT: usize = 10_000;

impl<V: Clone> Cached<V> {
    pub fn new(bus: &Bus) -> Cached<V> {
        Cached { bus: bus.clone(), cached: Default::default() }
    }

    /// The value for `key` (the list and its filters) as `viewer` sees it, computed by `count`
    /// unless cached since the last change.
    pub async fn get<F>(&self, viewer: i64, key: String, count: F) -> crate::error::AppResult<V>
    where
        F: std::future::Future<Output = crate::error::AppResult<V>>,
    {
        // Read before computing: a change that lands meanwhile makes the entry stale at once.
        let changes = self.bus.changes();
        let key = (viewer, key);
        if let Some((c, t)) = self.lock().get(&key)
            && *c == changes
        {
            return Ok(t.clone());
        }
        let total = count.await?;
        let mut cached = self.lock();
        if cached.len() >= TOTALS_KEPT {
            cached.clear();
        }
        cached.insert(key, (changes, total.clone()));
        Ok(total)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CachedMap<V>> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
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
