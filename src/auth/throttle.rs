//! Login throttling, per account and per client IP. After `free` consecutive failures of an account
//! (`IP_FACTOR × free` for an IP, which many colleagues may share behind one NAT) each further
//! attempt must wait `base × 2^(n − free)` (at most 5 minutes) after the last failure. There is no
//! permanent lockout (NIST 800-63B): a day without failures forgets the count, and a successful
//! login clears the account's count.

use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sea_query::{Expr, ExprTrait, Iden, OnConflict, Query};

use crate::db::{self, Db};

#[derive(Iden, Clone, Copy)]
pub enum LoginThrottle {
    Table,
    Key,
    Failures,
    LastFailureAt,
}

const MAX_DELAY: Duration = Duration::from_secs(300);

/// An IP gets this many times the free failures of one account.
pub const IP_FACTOR: i32 = 4;

#[derive(sqlx::FromRow)]
struct Entry {
    failures: i32,
    last_failure_at: DateTime<Utc>,
}

pub fn account_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

async fn entry(db: &Db, key: &str) -> Result<Option<Entry>, sqlx::Error> {
    db.fetch_optional(
        Query::select()
            .columns([LoginThrottle::Failures, LoginThrottle::LastFailureAt])
            .from(LoginThrottle::Table)
            .and_where(Expr::col(LoginThrottle::Key).eq(key)),
    )
    .await
}

fn is_stale(e: &Entry, now: DateTime<Utc>) -> bool {
    now - e.last_failure_at > ChronoDuration::days(1)
}

/// The delay a key still has to wait, if any.
pub async fn wait_for(db: &Db, keys: &[String], free: i32, base: Duration) -> Result<Option<Duration>, sqlx::Error> {
    let now = db::now();
    let mut longest: Option<Duration> = None;
    for key in keys {
        let Some(e) = entry(db, key).await? else { continue };
        let free = if key.starts_with("ip:") { free.saturating_mul(IP_FACTOR) } else { free };
        if is_stale(&e, now) || e.failures < free {
            continue;
        }
        let exp = (e.failures - free).clamp(0, 16) as u32;
        let delay = base.saturating_mul(2u32.saturating_pow(exp)).min(MAX_DELAY);
        let until = e.last_failure_at + ChronoDuration::from_std(delay).unwrap_or(ChronoDuration::zero());
        if until > now {
            let left = (until - now).to_std().unwrap_or(Duration::ZERO);
            longest = Some(longest.map_or(left, |l| l.max(left)));
        }
    }
    Ok(longest)
}

/// Counts one failure against every key.
pub async fn record_failure(db: &Db, keys: &[String]) -> Result<(), sqlx::Error> {
    let now = db::now();
    for key in keys {
        let n = match entry(db, key).await? {
            Some(e) if !is_stale(&e, now) => e.failures.saturating_add(1),
            _ => 1,
        };
        db.execute(
            Query::insert()
                .into_table(LoginThrottle::Table)
                .columns([LoginThrottle::Key, LoginThrottle::Failures, LoginThrottle::LastFailureAt])
                .values_panic([key.as_str().into(), n.into(), now.into()])
                .on_conflict(
                    OnConflict::column(LoginThrottle::Key)
                        .update_columns([LoginThrottle::Failures, LoginThrottle::LastFailureAt])
                        .to_owned(),
                ),
        )
        .await?;
    }
    Ok(())
}

/// Forgets the failures of `key` (after a successful login).
pub async fn clear(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    db.execute(Query::delete().from_table(LoginThrottle::Table).and_where(Expr::col(LoginThrottle::Key).eq(key)))
        .await
        .map(|_| ())
}
