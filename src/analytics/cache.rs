//! The reports' figures, kept per scope until something that could move them changes.
//!
//! A report aggregates a year (or all time) of its scope: tens to hundreds of milliseconds for a
//! chief at 100k deals. Its figures depend only on its key — the resolved scope (departments, owner,
//! currency, today) and the report's own filters — never on who asks, so every viewer whose filters
//! resolve to the same scope shares one computation. The permission rule runs before the cache is
//! asked (`handlers::prepare`), so a key is only reached by someone allowed to see it.
//!
//! An entry is used while the bus's count of report-moving changes (`Bus::sales_changes`: deals,
//! payments, requests, … from this instance or, over LISTEN/NOTIFY, from the others) still stands,
//! and for at most `MAX_AGE`. Saving a dictionary entry or an exchange rate, which no page's object
//! event covers, publishes `Topic::Figures` (`figures_moved`) to count as such a change; the age
//! bound is the safety net for a write path that publishes nothing. The count is read before
//! computing, so a change that lands during a computation makes its result stale at once.
//!
//! Concurrent requests for one key wait for a single computation (a report page that many people
//! have open refreshes after a payment: one query run, not one per page). A failed computation is
//! not kept: the next request tries again.

use std::any::Any;
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::error::{AppError, AppResult};
use crate::events::Bus;

/// How long an entry is used at most, though no change was heard of.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Entries kept; when full, the stale ones go (then all, if none is stale). A chief's Income Summary
/// is the largest value (its 500 received payments and the forecasts): well under a megabyte.
const KEPT: usize = 512;

type Value = Arc<dyn Any + Send + Sync>;

struct Slot {
    changes: u64,
    born: Instant,
    cell: Arc<OnceCell<Value>>,
}

impl Slot {
    fn fresh(&self, changes: u64, now: Instant) -> bool {
        self.changes == changes && now.duration_since(self.born) < MAX_AGE
    }
}

/// Tells every instance's cache that report figures may have moved though no object changed (a
/// dictionary entry or an exchange rate was saved). Call after the commit.
pub fn figures_moved(bus: &Bus) {
    bus.publish(crate::events::DomainEvent::Changed {
        topic: crate::events::Topic::Figures,
        id: 0,
        audience: crate::access::Audience::default(),
    });
}

/// The figures cache (one per process, in `AppState`).
#[derive(Clone)]
pub struct Figures {
    bus: Bus,
    slots: Arc<Mutex<HashMap<String, Slot>>>,
    /// `false`: every request computes (`FERROCRM_REPORT_CACHE=off`, for measuring the cold path).
    enabled: bool,
}

impl Figures {
    pub fn new(bus: &Bus, enabled: bool) -> Figures {
        Figures { bus: bus.clone(), slots: Arc::default(), enabled }
    }

    /// The figures of `key` (everything `load` depends on, spelt with `Debug`), computed by `load`
    /// unless a fresh entry exists or is being computed.
    pub async fn get<T, K, F>(&self, key: &K, load: F) -> AppResult<Arc<T>>
    where
        T: Any + Send + Sync,
        K: Debug + ?Sized,
        F: Future<Output = AppResult<T>>,
    {
        if !self.enabled {
            return Ok(Arc::new(load.await?));
        }
        // The type is part of the key: two reports with the same filters never share an entry.
        let key = format!("{}|{key:?}", std::any::type_name::<T>());
        let changes = self.bus.sales_changes();
        let cell = self.slot(key, changes);
        let value = cell.get_or_try_init(|| async { load.await.map(|t| Arc::new(t) as Value) }).await?;
        value
            .clone()
            .downcast::<T>()
            .map_err(|_| AppError::Other(anyhow::anyhow!("a report cache entry has another type")))
    }

    /// The entry's cell, a new one when there is none or it is stale.
    fn slot(&self, key: String, changes: u64) -> Arc<OnceCell<Value>> {
        let now = Instant::now();
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slots.get(&key)
            && s.fresh(changes, now)
        {
            return s.cell.clone();
        }
        if slots.len() >= KEPT {
            slots.retain(|_, s| s.fresh(changes, now));
            if slots.len() >= KEPT {
                slots.clear();
            }
        }
        let cell = Arc::new(OnceCell::new());
        slots.insert(key, Slot { changes, born: now, cell: cell.clone() });
        cell
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::access::{Audience, ItemKind};
    use crate::events::{DomainEvent, Topic};

    fn change(bus: &Bus, kind: ItemKind) {
        bus.publish(DomainEvent::Changed { topic: Topic::Item(kind), id: 1, audience: Audience::default() });
    }

    #[tokio::test]
    async fn an_entry_lasts_until_a_change_that_moves_reports() {
        let bus = Bus::new(4);
        let figures = Figures::new(&bus, true);
        let runs = AtomicUsize::new(0);
        let load = || async { Ok::<_, AppError>(runs.fetch_add(1, Ordering::SeqCst)) };
        assert_eq!(*figures.get("k", load()).await.unwrap(), 0);
        assert_eq!(*figures.get("k", load()).await.unwrap(), 0, "kept");
        assert_eq!(*figures.get("other", load()).await.unwrap(), 1, "another key computes");
        change(&bus, ItemKind::Task);
        assert_eq!(*figures.get("k", load()).await.unwrap(), 0, "a task change moves no report");
        change(&bus, ItemKind::Payment);
        assert_eq!(*figures.get("k", load()).await.unwrap(), 2, "a payment change does");
        // Another type under the same key is another entry.
        assert_eq!(*figures.get("k", async { Ok::<_, AppError>("text") }).await.unwrap(), "text");
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_computation_and_a_failure_is_not_kept() {
        let bus = Bus::new(4);
        let figures = Figures::new(&bus, true);
        let runs = AtomicUsize::new(0);
        let slow = || async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, AppError>(runs.fetch_add(1, Ordering::SeqCst))
        };
        let all = futures_util::future::join_all((0..8).map(|_| figures.get("k", slow()))).await;
        assert!(all.iter().all(|r| matches!(r, Ok(v) if **v == 0)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let failed = figures.get::<usize, _, _>("bad", async { Err(AppError::NotFound) }).await;
        assert!(failed.is_err());
        assert_eq!(*figures.get("bad", async { Ok::<_, AppError>(7usize) }).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn switched_off_it_computes_every_time() {
        let bus = Bus::new(4);
        let figures = Figures::new(&bus, false);
        let runs = AtomicUsize::new(0);
        let load = || async { Ok::<_, AppError>(runs.fetch_add(1, Ordering::SeqCst)) };
        figures.get("k", load()).await.unwrap();
        figures.get("k", load()).await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
