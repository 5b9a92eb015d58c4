//! The active users as forms and filters offer them ("First Last (username)"), cached in memory.
//!
//! Every task form and task list filter offers all active users; reading and sorting them on each
//! request was a fifth of the task list's cost (docs/benchmarks.md). The list is kept for `TTL` and
//! dropped at once when this instance changes a user; another instance's change shows within `TTL`.
//!
//! `GET /people` is what the people pickers ask as the user types: a few matching active users.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::participants::PRole;
use crate::web::Query;

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

/// The most people one answer offers: a picker is for finding someone, not for browsing.
pub const LIMIT: u64 = 20;

/// The user fields a picker serves.
const FIELDS: &[&str] = &["responsible", "subscribers", "co_owner_id", "recipient_id", "owner"];

#[derive(Deserialize, Default)]
pub struct PeopleQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    field: String,
    /// The main task, when the picker is a subtask's.
    parent: Option<i64>,
}

/// `GET /people?q=…&field=…[&parent=ID]`: the options of a people picker (logged-in users only).
/// Where a field is restricted, only those who may be chosen are offered: a subtask's responsible
/// is one of its main task's responsible. The form's validation stays the authority.
#[handler]
pub async fn search(state: Data<&AppState>, viewer: Viewer, Query(p): Query<PeopleQuery>) -> AppResult<Response> {
    if !FIELDS.contains(&p.field.as_str()) {
        return Err(AppError::BadRequest("Unknown field.".into()));
    }
    let team = match (p.parent, p.field.as_str()) {
        (Some(id), "responsible") => Some(
            crate::items::load(&state.db, &viewer, ItemKind::Task, id, Action::View)
                .await?
                .parts
                .users(PRole::Responsible),
        ),
        _ => None,
    };
    let q: String = p.q.chars().take(100).collect();
    let found = super::repo::search(&state.db, &q, team.as_deref(), LIMIT).await?;
    Ok(crate::views::picker::options(&found).into_response())
}

/// The (id, label) of active user `id`, if there is one (a single-person field's only valid choice).
pub async fn active_label(db: &Db, people: &People, id: Option<i64>) -> Result<Option<(i64, String)>, sqlx::Error> {
    let Some(id) = id else { return Ok(None) };
    Ok(people.choices(db).await?.iter().find(|(u, _)| *u == id).cloned())
}
