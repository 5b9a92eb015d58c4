//! A rate limiter with bounded memory: a sliding estimate over two fixed windows (the count of this
//! window plus the previous one's, weighted by how much of it still overlaps), per key.
//!
//! Each window's map holds at most `tracked` keys. When a flood from more addresses fills it, new
//! addresses share one overflow counter (with `OVERFLOW_FACTOR` times the per-key allowance), so
//! the memory stays bounded and the flood is still limited; addresses already tracked keep their
//! own counts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const OVERFLOW_FACTOR: u32 = 10;

struct Windows {
    started: Instant,
    current: HashMap<u128, u32>,
    previous: HashMap<u128, u32>,
    overflow_current: u32,
    overflow_previous: u32,
}

pub struct Limiter {
    limit: u32,
    window: Duration,
    tracked: usize,
    state: Mutex<Windows>,
}

impl Limiter {
    pub fn new(limit: u32, window: Duration, tracked: usize) -> Limiter {
        Limiter {
            limit,
            window,
            tracked,
            state: Mutex::new(Windows {
                started: Instant::now(),
                current: HashMap::new(),
                previous: HashMap::new(),
                overflow_current: 0,
                overflow_previous: 0,
            }),
        }
    }

    /// Counts one attempt under `key`; `Err(wait)` when it is over the limit (not counted then).
    pub fn hit(&self, key: u128) -> Result<(), Duration> {
        self.hit_at(key, Instant::now())
    }

    fn hit_at(&self, key: u128, now: Instant) -> Result<(), Duration> {
        let mut w = match self.state.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        let elapsed = now.saturating_duration_since(w.started);
        if elapsed >= self.window * 2 {
            w.current.clear();
            w.previous.clear();
            w.overflow_current = 0;
            w.overflow_previous = 0;
            w.started = now;
        } else if elapsed >= self.window {
            let done = std::mem::take(&mut w.current);
            w.previous = done;
            w.overflow_previous = std::mem::take(&mut w.overflow_current);
            w.started += self.window;
        }
        let into = now.saturating_duration_since(w.started).as_secs_f64() / self.window.as_secs_f64();
        let overlap = (1.0 - into).clamp(0.0, 1.0);
        let wait = self.window.saturating_sub(now.saturating_duration_since(w.started));
        let tracked = w.current.contains_key(&key) || w.current.len() < self.tracked;
        let (cur, prev, limit) = if tracked {
            (w.current.get(&key).copied().unwrap_or(0), w.previous.get(&key).copied().unwrap_or(0), self.limit)
        } else {
            (w.overflow_current, w.overflow_previous, self.limit.saturating_mul(OVERFLOW_FACTOR))
        };
        let estimate = f64::from(cur) + f64::from(prev) * overlap;
        if estimate + 1.0 > f64::from(limit) {
            return Err(wait.max(Duration::from_secs(1)));
        }
        if tracked {
            *w.current.entry(key).or_insert(0) += 1;
        } else {
            w.overflow_current += 1;
        }
        Ok(())
    }

    /// Keys tracked now (both windows): what the limiter's memory is proportional to.
    pub fn tracked_keys(&self) -> usize {
        self.state.lock().map(|w| w.current.len() + w.previous.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_key_and_frees_up_as_time_passes() {
        let l = Limiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.hit_at(1, t0).is_ok());
        }
        assert!(l.hit_at(1, t0).is_err());
        assert!(l.hit_at(2, t0).is_ok(), "another key has its own allowance");
        // Half a window into the next one, half of the previous window still counts: 1.5 of 3.
        assert!(l.hit_at(1, t0 + Duration::from_secs(90)).is_ok());
        assert!(l.hit_at(1, t0 + Duration::from_secs(90)).is_err());
        // Two windows later everything is forgotten.
        assert!(l.hit_at(1, t0 + Duration::from_secs(200)).is_ok());
    }

    #[test]
    fn a_flood_from_many_addresses_stays_within_the_tracked_bound() {
        let l = Limiter::new(2, Duration::from_secs(60), 50);
        let t0 = Instant::now();
        let mut refused = 0;
        for key in 0..10_000u128 {
            if l.hit_at(key, t0).is_err() {
                refused += 1;
            }
        }
        assert!(l.tracked_keys() <= 100, "{}", l.tracked_keys());
        // 50 tracked keys, then 20 (2 × 10) from the shared overflow allowance.
        assert_eq!(refused, 10_000 - 50 - 20);
        assert!(l.hit_at(3, t0).is_ok(), "a tracked key keeps its own count");
    }
}
