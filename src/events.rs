//! Live updates: the event bus and the `/events` server-sent-events stream.
//!
//! Services publish a `DomainEvent` *after* their transaction commits. Each open stream keeps only the
//! events whose audience includes its viewer (see `access::audience`), and sends a *poke*: an event name
//! and an id, never content. The page reacts by re-GETting through the normal permission-checked
//! handler. With PostgreSQL, events also travel between app instances over LISTEN/NOTIFY.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::Stream;
use poem::web::sse::{Event, SSE};
use poem::{IntoResponse, Response, handler, http::StatusCode, web::Data};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, mpsc};

use crate::access::{Audience, Viewer};

const CHANNEL: &str = "ferrocrm_events";

/// How long a browser waits before reconnecting a dropped stream (milliseconds).
const RECONNECT_MS: u64 = 1000;

/// A comment line this often keeps proxies from closing an idle stream. A stream whose client has
/// gone is noticed (and its slot freed) at the next write, so a client over the per-user cap is told
/// to retry after this long.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Something that happened, addressed to an audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DomainEvent {
    /// The user's notifications changed (new, read): the bell re-counts.
    Notice { user_id: i64 },
    /// An object of kind `topic` changed. Streams get `<topic>-changed` and `<topic>-<id>-changed`.
    Changed { topic: String, id: i64, audience: Audience },
    /// A chat message was posted on an item. `html` is the rendered message (the same for every
    /// viewer: all who may see the item may see its chat); streams send it as event `chat-<kind>-<id>`.
    ChatPosted { kind: String, id: i64, html: String, audience: Audience },
    /// The user's sessions ended (logout elsewhere, password change, deactivation). Streams of that
    /// user close, except the one of `keep_session` (the session that changed the password).
    SessionsEnded { user_id: i64, keep_session: Option<String> },
    /// Close the user's open streams without logging them out (their pages reconnect and resync).
    /// Operations use it after a bulk change; tests use it to prove pages converge after a drop.
    StreamsReset { user_id: i64 },
}

impl DomainEvent {
    fn audience_includes(&self, v: &Viewer) -> bool {
        match self {
            DomainEvent::Notice { user_id } => *user_id == v.id,
            DomainEvent::Changed { audience, .. } => audience.includes(v),
            DomainEvent::SessionsEnded { user_id, .. } => *user_id == v.id,
            DomainEvent::StreamsReset { user_id } => *user_id == v.id,
            DomainEvent::ChatPosted { audience, .. } => audience.includes(v),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Wire {
    origin: String,
    event: DomainEvent,
}

/// The in-process bus. Cheap to clone; every clone publishes to the same subscribers.
#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<Arc<DomainEvent>>,
    remote: Option<mpsc::UnboundedSender<DomainEvent>>,
    streams: Arc<Mutex<HashMap<i64, usize>>>,
    per_user: usize,
}

impl Bus {
    /// A bus for one process. `per_user` caps the open streams of one user.
    pub fn new(per_user: usize) -> Bus {
        let (tx, _) = broadcast::channel(1024);
        Bus { tx, remote: None, streams: Arc::new(Mutex::new(HashMap::new())), per_user }
    }

    /// Connects this bus to the other instances on the same PostgreSQL database.
    /// Events published here are NOTIFYed; NOTIFYs from other instances are delivered locally.
    pub async fn bridge_postgres(&mut self, pool: PgPool) -> anyhow::Result<()> {
        let origin = format!("{:016x}", rand::random::<u64>());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        let local = self.tx.clone();
        let me = origin.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        if let Ok(w) = serde_json::from_str::<Wire>(n.payload())
                            && w.origin != me
                        {
                            let _ = local.send(Arc::new(w.event));
                        }
                    }
                    // The connection dropped and was re-established: NOTIFYs may have been missed,
                    // so every stream resyncs.
                    Ok(None) => {
                        tracing::warn!("event bridge reconnected; asking streams to resync");
                        let _ = local.send(Arc::new(DomainEvent::Changed {
                            topic: "resync".into(),
                            id: 0,
                            audience: Audience {
                                roles: crate::access::Roles::of(&crate::access::Role::ALL),
                                ..Default::default()
                            },
                        }));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "event bridge listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let (rtx, mut rrx) = mpsc::unbounded_channel::<DomainEvent>();
        tokio::spawn(async move {
            while let Some(event) = rrx.recv().await {
                let payload = match serde_json::to_string(&Wire { origin: origin.clone(), event }) {
                    Ok(p) => p,
                    Err(_) => continue,
                };
                if let Err(e) =
                    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await
                {
                    tracing::error!(error = %e, "could not forward an event to other instances");
                }
            }
        });
        self.remote = Some(rtx);
        Ok(())
    }

    /// Publishes an event. Call only after the transaction that caused it has committed.
    pub fn publish(&self, e: DomainEvent) {
        if let Some(r) = &self.remote {
            let _ = r.send(e.clone());
        }
        let _ = self.tx.send(Arc::new(e));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DomainEvent>> {
        self.tx.subscribe()
    }

    /// Reserves one of the user's stream slots; `None` when the cap is reached.
    fn open_stream(&self, user: i64) -> Option<StreamGuard> {
        let mut m = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(user).or_insert(0);
        if *n >= self.per_user {
            return None;
        }
        *n += 1;
        Some(StreamGuard { user, streams: self.streams.clone() })
    }

    /// Open streams of one user (for tests and the admin page).
    pub fn open_streams(&self, user: i64) -> usize {
        self.streams.lock().map(|m| m.get(&user).copied().unwrap_or(0)).unwrap_or(0)
    }
}

/// Frees a stream slot when the connection (and so the stream) is dropped.
struct StreamGuard {
    user: i64,
    streams: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut m = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.user);
            }
        }
    }
}

/// Builds every message event `/events` sends (the only other `Event` is the numeric reconnect
/// hint). poem writes `event: <name>` verbatim and splits data into `data:` lines on LF and CRLF
/// only, while the SSE format also ends a line at a lone CR: data holding "x\revent: logout" would
/// add a field to the stream. So line breaks in data become LF (each line then gets its own `data:`
/// prefix), and a name keeps only `[a-z0-9-]`. (U+2028 and U+2029 are not SSE line breaks and pass
/// through inside a data line.)
pub fn sse_event(name: &str, data: &str) -> Event {
    let name: String = name.chars().filter(|c| matches!(c, 'a'..='z' | '0'..='9' | '-')).collect();
    Event::message(crate::text::unify_line_breaks(data)).event_type(name)
}

/// What one stream sends for one event (if anything). Every event carries data: browsers drop an
/// event whose data is empty (HTML spec, "dispatch the event"), so a bare poke would never arrive.
fn to_sse(e: &DomainEvent, v: &Viewer) -> Vec<Event> {
    if !e.audience_includes(v) {
        return Vec::new();
    }
    match e {
        DomainEvent::Notice { .. } => vec![sse_event("notice", "notice")],
        DomainEvent::Changed { topic, id, .. } if topic == "resync" && *id == 0 => vec![sse_event("resync", "resync")],
        DomainEvent::Changed { topic, id, .. } => vec![
            sse_event(&format!("{topic}-changed"), &id.to_string()),
            sse_event(&format!("{topic}-{id}-changed"), &id.to_string()),
        ],
        DomainEvent::SessionsEnded { .. } => vec![sse_event("logout", "logout")],
        DomainEvent::StreamsReset { .. } => Vec::new(),
        DomainEvent::ChatPosted { kind, id, html, .. } => vec![sse_event(&format!("chat-{kind}-{id}"), html)],
    }
}

struct StreamState {
    rx: broadcast::Receiver<Arc<DomainEvent>>,
    viewer: Viewer,
    pending: Vec<Event>,
    done: bool,
    _guard: StreamGuard,
}

fn event_stream(state: StreamState) -> impl Stream<Item = Event> + Send + 'static {
    futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(ev) = s.pending.pop() {
                return Some((ev, s));
            }
            if s.done {
                return None;
            }
            match s.rx.recv().await {
                Ok(e) => {
                    if let DomainEvent::SessionsEnded { user_id, keep_session } = &*e
                        && *user_id == s.viewer.id
                        && keep_session.as_deref() != Some(s.viewer.session_id.as_str())
                    {
                        s.done = true;
                    } else if matches!(&*e, DomainEvent::SessionsEnded { .. }) {
                        continue;
                    }
                    if let DomainEvent::StreamsReset { user_id } = &*e
                        && *user_id == s.viewer.id
                    {
                        return None;
                    }
                    let mut evs = to_sse(&e, &s.viewer);
                    evs.reverse();
                    s.pending = evs;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    s.pending = vec![sse_event("resync", "resync")];
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// `GET /events`: the live stream of the logged-in user (401 when not logged in, 429 over the cap).
#[handler]
pub fn stream(state: Data<&crate::app::AppState>, viewer: Option<Viewer>) -> Response {
    let bus = &state.bus;
    let Some(viewer) = viewer else {
        return (StatusCode::UNAUTHORIZED, "login required").into_response();
    };
    let Some(guard) = bus.open_stream(viewer.id) else {
        return crate::web::too_many_requests("too many open live streams for this user", KEEP_ALIVE);
    };
    // The first thing a stream says: reconnect after one second when the connection drops (the
    // browser's default is about three), so a page that lost its stream catches up quickly.
    let hello = vec![Event::retry(RECONNECT_MS)];
    let state = StreamState { rx: bus.subscribe(), viewer, pending: hello, done: false, _guard: guard };
    SSE::new(event_stream(state)).keep_alive(KEEP_ALIVE).into_response()
}

#[cfg(test)]
mod tests {
    use super::sse_event;

    /// The field names of an event as an SSE parser reads them (a line ends at CRLF, LF or CR).
    fn fields(wire: &str) -> Vec<String> {
        let lines = wire.replace("\r\n", "\n").replace('\r', "\n");
        lines.lines().filter(|l| !l.is_empty()).map(|l| l.split(':').next().unwrap_or("").to_string()).collect()
    }

    #[test]
    fn data_can_never_add_a_field_or_end_the_event() {
        for br in ["\r", "\n", "\r\n", "\r\r", "\n\n", "\r\n\r\n"] {
            let data = format!("hi{br}event: logout{br}data: x{br}id: 7{br}retry: 1{br}{br}");
            let wire = sse_event("chat-task-1", &data).to_string();
            let f = fields(&wire);
            assert_eq!(f[0], "event", "{wire:?}");
            assert!(f[1..].iter().all(|n| n == "data"), "{br:?} added a field: {wire:?}");
            assert!(!wire.contains('\r'), "{wire:?}");
            assert!(wire.ends_with("\n\n") && !wire.trim_end().contains("\n\n"), "one event only: {wire:?}");
            assert!(wire.lines().any(|l| l == "data: event: logout"), "{wire:?}");
        }
    }

    #[test]
    fn unicode_line_separators_stay_inside_one_data_line() {
        let wire = sse_event("chat-task-1", "hi\u{2028}event: logout\u{2029}data: x").to_string();
        assert_eq!(wire, "event: chat-task-1\ndata: hi\u{2028}event: logout\u{2029}data: x\n\n");
    }

    #[test]
    fn event_names_keep_only_lowercase_letters_digits_and_dashes() {
        let wire = sse_event("chat-task-1\r\ndata: x\revent: logout", "ok").to_string();
        assert_eq!(wire, "event: chat-task-1dataxeventlogout\ndata: ok\n\n");
        assert_eq!(sse_event("Task 7 changed", "7").to_string(), "event: ask7changed\ndata: 7\n\n");
    }
}
