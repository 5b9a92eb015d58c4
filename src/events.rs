//! Live updates: the event bus and the `/events` server-sent-events stream.
//!
//! Services publish a `DomainEvent` *after* their transaction commits. Each open stream keeps only the
//! events whose audience includes its viewer (see `access::audience`), and sends a *poke*: an event name
//! and an id, never content. The page reacts by re-GETting through the normal permission-checked
//! handler. With PostgreSQL, events also travel between app instances over LISTEN/NOTIFY: as ids where
//! they carry content (a chat message goes as its id; the receiving instance loads and renders it), so
//! every payload stays under NOTIFY's 8,000-byte limit; an event that would not fit, or that a full
//! forwarding queue had to drop, makes the other instances' streams resync instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Something that happened, addressed to an audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DomainEvent {
    /// The user's notifications changed (new, read): the bell re-counts.
    Notice { user_id: i64 },
    /// An object of kind `topic` changed. Streams get `<topic>-changed` and `<topic>-<id>-changed`.
    Changed { topic: String, id: i64, audience: Audience },
    /// Chat message `message` was posted on an item. `html` is the rendered message (the same for every
    /// viewer: all who may see the item may see its chat); streams send it as event `chat-<kind>-<id>`.
    ChatPosted { kind: String, id: i64, message: i64, html: String, audience: Audience },
    /// The user's sessions ended (logout elsewhere, password change, deactivation). Streams of that
    /// user close, except the one of `keep_session` (the session that changed the password).
    SessionsEnded { user_id: i64, keep_session: Option<String> },
}

impl DomainEvent {
    fn audience_includes(&self, v: &Viewer) -> bool {
        match self {
            DomainEvent::Notice { user_id } => *user_id == v.id,
            DomainEvent::Changed { audience, .. } => audience.includes(v),
            DomainEvent::SessionsEnded { user_id, .. } => *user_id == v.id,
            DomainEvent::ChatPosted { audience, .. } => audience.includes(v),
        }
    }
}

/// The largest NOTIFY payload PostgreSQL accepts is 8,000 bytes; stay below it.
const NOTIFY_MAX: usize = 7_900;

/// Events waiting to be forwarded to other instances; more are dropped (and the others resync).
const FORWARD_QUEUE: usize = 1024;

/// What one NOTIFY carries between instances.
#[derive(Serialize, Deserialize)]
struct Wire {
    origin: String,
    what: Remote,
}

#[derive(Debug, Serialize, Deserialize)]
enum Remote {
    /// A small event, as it is.
    Event(DomainEvent),
    /// A chat message: the receiver loads and renders it, and its item's audience.
    Chat { message: i64 },
    /// Events were lost (dropped on a full queue, or too large to send): every stream resyncs.
    Resync,
}

impl Remote {
    fn of(e: DomainEvent) -> Remote {
        match e {
            DomainEvent::ChatPosted { message, .. } => Remote::Chat { message },
            e => Remote::Event(e),
        }
    }
}

/// The NOTIFY payload for `what`; a resync when it would be too large (a huge audience).
fn payload(origin: &str, what: Remote) -> Option<String> {
    let p = serde_json::to_string(&Wire { origin: origin.to_string(), what }).ok()?;
    if p.len() <= NOTIFY_MAX {
        return Some(p);
    }
    tracing::warn!(bytes = p.len(), "an event is too large for NOTIFY; other instances resync instead");
    serde_json::to_string(&Wire { origin: origin.to_string(), what: Remote::Resync }).ok()
}

/// The event that makes every stream resync (its pages re-fetch what they show).
fn resync() -> DomainEvent {
    DomainEvent::Changed {
        topic: "resync".into(),
        id: 0,
        audience: Audience { roles: crate::access::Roles::of(&crate::access::Role::ALL), ..Default::default() },
    }
}

/// The sending side of the bridge: a bounded queue, and a flag set when it overflowed.
#[derive(Clone)]
struct Forward {
    tx: mpsc::Sender<DomainEvent>,
    overflowed: Arc<AtomicBool>,
}

/// The in-process bus. Cheap to clone; every clone publishes to the same subscribers.
#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<Arc<DomainEvent>>,
    remote: Option<Forward>,
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
    /// Events published here are NOTIFYed (chat messages as ids); NOTIFYs from other instances are
    /// delivered locally, chat messages loaded from the database first.
    pub async fn bridge_postgres(&mut self, pool: PgPool) -> anyhow::Result<()> {
        let origin = format!("{:016x}", rand::random::<u64>());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        let local = self.tx.clone();
        let me = origin.clone();
        let db = crate::db::Db::Postgres(pool.clone());
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        let Ok(w) = serde_json::from_str::<Wire>(n.payload()) else { continue };
                        if w.origin == me {
                            continue;
                        }
                        let event = match w.what {
                            Remote::Event(e) => Some(e),
                            Remote::Resync => Some(resync()),
                            Remote::Chat { message } => match crate::chat::live_event(&db, message).await {
                                Ok(e) => e.map(|(e, _)| e),
                                Err(e) => {
                                    tracing::error!(error = %e, message, "could not load a chat message from another instance");
                                    Some(resync())
                                }
                            },
                        };
                        if let Some(e) = event {
                            let _ = local.send(Arc::new(e));
                        }
                    }
                    // The connection dropped and was re-established: NOTIFYs may have been missed,
                    // so every stream resyncs.
                    Ok(None) => {
                        tracing::warn!("event bridge reconnected; asking streams to resync");
                        let _ = local.send(Arc::new(resync()));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "event bridge listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        let (rtx, mut rrx) = mpsc::channel::<DomainEvent>(FORWARD_QUEUE);
        let overflowed = Arc::new(AtomicBool::new(false));
        let lost = overflowed.clone();
        tokio::spawn(async move {
            let notify = |payload: String| {
                let pool = pool.clone();
                async move {
                    if let Err(e) =
                        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(&pool).await
                    {
                        tracing::error!(error = %e, "could not forward an event to other instances");
                    }
                }
            };
            while let Some(event) = rrx.recv().await {
                if let Some(p) = payload(&origin, Remote::of(event)) {
                    notify(p).await;
                }
                // Events published while the queue was full were dropped: the others resync.
                if lost.swap(false, Ordering::AcqRel)
                    && let Some(p) = payload(&origin, Remote::Resync)
                {
                    notify(p).await;
                }
            }
        });
        self.remote = Some(Forward { tx: rtx, overflowed });
        Ok(())
    }

    /// Publishes an event. Call only after the transaction that caused it has committed.
    pub fn publish(&self, e: DomainEvent) {
        // On a full queue the event is dropped and the flag set (the forwarder then sends a resync).
        if let Some(r) = &self.remote
            && let Err(mpsc::error::TrySendError::Full(_)) = r.tx.try_send(e.clone())
            && !r.overflowed.swap(true, Ordering::AcqRel)
        {
            tracing::warn!("the event forwarding queue is full; other instances will resync");
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

/// What one stream sends for one event (if anything). Every event carries data: browsers drop an
/// event whose data is empty (HTML spec, "dispatch the event"), so a bare poke would never arrive.
fn to_sse(e: &DomainEvent, v: &Viewer) -> Vec<Event> {
    if !e.audience_includes(v) {
        return Vec::new();
    }
    match e {
        DomainEvent::Notice { .. } => vec![Event::message("notice").event_type("notice")],
        DomainEvent::Changed { topic, id, .. } if topic == "resync" && *id == 0 => {
            vec![Event::message("resync").event_type("resync")]
        }
        DomainEvent::Changed { topic, id, .. } => vec![
            Event::message(id.to_string()).event_type(format!("{topic}-changed")),
            Event::message(id.to_string()).event_type(format!("{topic}-{id}-changed")),
        ],
        DomainEvent::SessionsEnded { .. } => vec![Event::message("logout").event_type("logout")],
        DomainEvent::ChatPosted { kind, id, html, .. } => {
            vec![Event::message(html.clone()).event_type(format!("chat-{kind}-{id}"))]
        }
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
                    let mut evs = to_sse(&e, &s.viewer);
                    evs.reverse();
                    s.pending = evs;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    s.pending = vec![Event::message("resync").event_type("resync")];
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
        return (StatusCode::TOO_MANY_REQUESTS, "too many open live streams for this user").into_response();
    };
    let state = StreamState { rx: bus.subscribe(), viewer, pending: Vec::new(), done: false, _guard: guard };
    SSE::new(event_stream(state)).keep_alive(Duration::from_secs(15)).into_response()
}
