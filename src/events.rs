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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::Stream;
use poem::web::sse::{Event, SSE};
use poem::{IntoResponse, Response, handler, http::StatusCode, web::Data};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, mpsc};

use crate::access::{Audience, ItemKind, Viewer};

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
    /// Something about `topic` changed. Streams get `changed(topic)` and `changed_one(topic, id)`.
    Changed { topic: Topic, id: i64, audience: Audience },
    /// Chat message `message` was posted on an item. `html` is the rendered message (the same for every
    /// viewer: all who may see the item may see its chat); streams send it as event `chat(kind, id)`.
    ChatPosted { kind: ItemKind, id: i64, message: i64, html: String, audience: Audience },
    /// The user's sessions ended (logout elsewhere, password change, deactivation). Streams of that
    /// user close, except the one of `keep_session` (the session that changed the password).
    SessionsEnded { user_id: i64, keep_session: Option<String> },
    /// Close the user's open streams without logging them out (their pages reconnect and resync).
    /// Operations use it after a bulk change; tests use it to prove pages converge after a drop.
    StreamsReset { user_id: i64 },
}

/// What a `Changed` event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Item(ItemKind),
    User,
    /// Every page of the audience re-fetches what it shows (a lagging stream, a reconnected bridge).
    Resync,
    /// Changes nothing and reaches only its audience: it proves a stream delivers (tests use it as
    /// the positive control of a "nothing else arrives" check; operations as a liveness probe).
    Probe,
    /// An Excel import's progress (`crm::import`): its importer's page moves the bar.
    Import,
    /// A user transfer's progress (`users::transfer_job`): the administrators' page moves the bar.
    Transfer,
    /// Something reports count changed without an object event of its own: a dictionary entry
    /// (stage, closing reason, lead source, …) or an exchange rate. Sent with an empty audience:
    /// it reaches no page, only the report figures cache (`analytics::cache`), on every instance.
    Figures,
}

impl Topic {
    /// Whether a change of this topic can move an analytics report's figures: the sales CRM's
    /// objects (deals, payments, requests, companies, contacts, leads, products), users (a report's
    /// owners), an import or transfer, and a resync (events were lost). Tasks, memos, projects and
    /// emails do not.
    pub fn moves_reports(self) -> bool {
        match self {
            Topic::Item(k) => !k.is_tasks_section() && k != ItemKind::Email,
            Topic::User | Topic::Resync | Topic::Import | Topic::Transfer | Topic::Figures => true,
            Topic::Probe => false,
        }
    }

    /// The topic's part of an event name.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Item(k) => k.slug(),
            Topic::User => "user",
            Topic::Resync => "resync",
            Topic::Probe => "probe",
            Topic::Import => "import",
            Topic::Transfer => "transfer",
            Topic::Figures => "figures",
        }
    }
}

/// The SSE event names pages listen to. Views build `data-live-on` from these, never by hand.
pub mod names {
    use super::Topic;
    use crate::access::ItemKind;

    /// Any object of the topic changed (lists).
    pub fn changed(topic: Topic) -> String {
        format!("{}-changed", topic.name())
    }
    /// One object changed (its page and the parts that show it).
    pub fn changed_one(topic: Topic, id: i64) -> String {
        format!("{}-{id}-changed", topic.name())
    }
    /// Any item of `kind` changed.
    pub fn kind_changed(kind: ItemKind) -> String {
        changed(Topic::Item(kind))
    }
    /// Item `kind` `id` changed.
    pub fn item_changed(kind: ItemKind, id: i64) -> String {
        changed_one(Topic::Item(kind), id)
    }
    /// A chat message on item `kind` `id` (its data is the rendered message).
    pub fn chat(kind: ItemKind, id: i64) -> String {
        format!("chat-{}-{id}", kind.slug())
    }
    pub const NOTICE: &str = "notice";
    pub const RESYNC: &str = "resync";
    pub const LOGOUT: &str = "logout";
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
        topic: Topic::Resync,
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

/// Hands an event to this instance's streams, counting it first if it is a change.
fn deliver(tx: &broadcast::Sender<Arc<DomainEvent>>, changes: &Changes, e: DomainEvent) {
    if let DomainEvent::Changed { topic, .. } = &e {
        changes.all.fetch_add(1, Ordering::AcqRel);
        if topic.moves_reports() {
            changes.sales.fetch_add(1, Ordering::AcqRel);
        }
    }
    let _ = tx.send(Arc::new(e));
}

/// The bus's counts of delivered `Changed` events: all of them, and those that can move a report's
/// figures (`Topic::moves_reports`).
#[derive(Default)]
struct Changes {
    all: AtomicU64,
    sales: AtomicU64,
}

/// The in-process bus. Cheap to clone; every clone publishes to the same subscribers.
#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<Arc<DomainEvent>>,
    /// Counts the `Changed` events delivered here (local or from other instances), bumped before
    /// delivery: a cache keyed on it (list totals) never outlives a change it could have heard of.
    changes: Arc<Changes>,
    remote: Option<Forward>,
    streams: Arc<Mutex<HashMap<i64, usize>>>,
    per_user: usize,
}

impl Bus {
    /// A bus for one process. `per_user` caps the open streams of one user.
    pub fn new(per_user: usize) -> Bus {
        let (tx, _) = broadcast::channel(1024);
        Bus { tx, changes: Arc::default(), remote: None, streams: Arc::new(Mutex::new(HashMap::new())), per_user }
    }

    /// Connects this bus to the other instances on the same PostgreSQL database.
    /// Events published here are NOTIFYed (chat messages as ids); NOTIFYs from other instances are
    /// delivered locally, chat messages loaded from the database first.
    pub async fn bridge_postgres(&mut self, pool: PgPool) -> anyhow::Result<()> {
        let origin = format!("{:016x}", rand::random::<u64>());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        let local = self.tx.clone();
        let changes = self.changes.clone();
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
                            deliver(&local, &changes, e);
                        }
                    }
                    // The connection dropped and was re-established: NOTIFYs may have been missed,
                    // so every stream resyncs.
                    Ok(None) => {
                        tracing::warn!("event bridge reconnected; asking streams to resync");
                        deliver(&local, &changes, resync());
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
        deliver(&self.tx, &self.changes, e);
    }

    /// How many `Changed` events this bus has delivered so far (see `changes`).
    pub fn changes(&self) -> u64 {
        self.changes.all.load(Ordering::Acquire)
    }

    /// How many of those could have moved a report's figures (`Topic::moves_reports`): the
    /// analytics figures cache (`analytics::cache`) is keyed on it.
    pub fn sales_changes(&self) -> u64 {
        self.changes.sales.load(Ordering::Acquire)
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
        DomainEvent::Notice { .. } => vec![sse_event(names::NOTICE, "notice")],
        DomainEvent::Changed { topic: Topic::Resync, .. } => vec![sse_event(names::RESYNC, "resync")],
        DomainEvent::Changed { topic, id, .. } => vec![
            sse_event(&names::changed(*topic), &id.to_string()),
            sse_event(&names::changed_one(*topic, *id), &id.to_string()),
        ],
        DomainEvent::SessionsEnded { .. } => vec![sse_event(names::LOGOUT, "logout")],
        DomainEvent::StreamsReset { .. } => Vec::new(),
        DomainEvent::ChatPosted { kind, id, html, .. } => vec![sse_event(&names::chat(*kind, *id), html)],
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
