//! The active users as forms and filters offer them ("First Last (username)"), cached in memory.
//!
//! Every task form and task list filter offers all active users; reading and sorting them on each
//! request was a fifth of the task list's cost (docs/benchmarks.md). The list is kept for `TTL` and
//! dropped at once when this instance changes a user; another instance's change shows within `TTL`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::Db;

/// How long another instance's change to a user may take to show in pickers.
const TTL: Duration = Duration::from_secs(30);

type Choices = Arc<Vec<(i64, String)>>;

#[derive(Clone, Default)]
pub struct People {
    cached: Arc<Mutex<Option<(Instant, Choices)>>>,
}

impl People {
    /// Every active user as (id, label), by name.
    pub async fn choices(&self, db: &Db) -> Result<Choices, sqlx::Error> {
        if let Ok(c) = self.cached.lock()
            && let Some((at, list)) = c.as_ref()
            && at.elapsed() < TTL
        {
            return Ok(list.clone());
        }
        let list = Arc::new(super::repo::choice_list(db).await?);
        if let Ok(mut c) = self.cached.lock() {
            *c = Some((Instant::now(), list.clone()));
        }
        Ok(list)
    }

    /// Forgets the list (after a user was created, renamed, deactivated or reactivated here).
    pub fn invalidate(&self) {
        if let Ok(mut c) = self.cached.lock() {
            *c = None;
        }
    }
}
