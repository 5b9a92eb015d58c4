//! Reads a server-sent-events stream over real TCP.

use std::time::Duration;

use ferrocrm::access::Audience;
use ferrocrm::events::DomainEvent;
use futures_util::StreamExt;

/// One received event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
    /// The name of every field of the event, in order (`event`, `data`, … and anything else sent).
    pub fields: Vec<String>,
}

/// Reads the stream as a browser's EventSource does: a line ends at CRLF, LF or a lone CR.
pub struct SseStream {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    stream: Option<futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>>,
    buf: String,
    /// The last chunk ended in CR: an LF starting the next chunk belongs to the same line break.
    after_cr: bool,
    raw: Vec<u8>,
}

impl SseStream {
    /// Wraps an answer of `GET /events`. An open stream (200) is read up to its first frame, the
    /// reconnect hint (`retry: <ms>`): the server subscribes the stream to the bus before it writes
    /// anything, so once that frame is here every event published from now on reaches this stream.
    /// Tests therefore publish right after opening a stream, with no pause.
    pub async fn open(r: reqwest::Response) -> SseStream {
        let (status, headers) = (r.status(), r.headers().clone());
        let mut s = SseStream {
            status,
            headers,
            stream: Some(r.bytes_stream().boxed()),
            buf: String::new(),
            after_cr: false,
            raw: Vec::new(),
        };
        if s.status == reqwest::StatusCode::OK {
            s.wait_for_hello(Duration::from_secs(5)).await;
        }
        s
    }

    /// Reads until the first frame is complete and checks that it is the reconnect hint. The frame
    /// stays in the buffer (it carries no data, so `next` skips it as a browser would).
    async fn wait_for_hello(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while !self.buf.contains("\n\n") {
            let Some(stream) = self.stream.as_mut() else {
                panic!("the live stream ended before its first frame: {:?}", String::from_utf8_lossy(&self.raw))
            };
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(Ok(chunk))) => self.push_chunk(&chunk),
                Ok(other) => panic!("the live stream ended before its first frame: {other:?}"),
                Err(_) => panic!("no first frame on the live stream within {wait:?}"),
            }
        }
        assert!(
            self.buf.starts_with("retry: "),
            "the live stream did not open with its reconnect hint: {:?}",
            self.buf
        );
    }

    /// Every byte received so far, as sent.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    fn push_chunk(&mut self, chunk: &[u8]) {
        self.raw.extend_from_slice(chunk);
        for c in String::from_utf8_lossy(chunk).chars() {
            match c {
                '\n' if self.after_cr => {}
                '\r' => self.buf.push('\n'),
                c => self.buf.push(c),
            }
            self.after_cr = c == '\r';
        }
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        loop {
            let end = self.buf.find("\n\n")?;
            let block: String = self.buf.drain(..end + 2).collect();
            let mut ev = SseEvent { event: "message".into(), data: String::new(), fields: Vec::new() };
            let mut data: Vec<&str> = Vec::new();
            for line in block.lines().filter(|l| !l.is_empty() && !l.starts_with(':')) {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                ev.fields.push(field.to_string());
                match field {
                    "event" => ev.event = value.to_string(),
                    "data" => data.push(value),
                    _ => {}
                }
            }
            ev.data = data.join("\n");
            // Comment-only blocks are keep-alives. Like a browser's EventSource, drop events without a
            // `data` field: the HTML spec says they are never dispatched, so a page would never see them.
            if !data.is_empty() {
                return Some(ev);
            }
        }
    }

    /// The next event within `wait`, or None (timeout or end of stream).
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(e) = self.take_event() {
                return Some(e);
            }
            let stream = self.stream.as_mut()?;
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(Ok(chunk))) => self.push_chunk(&chunk),
                Ok(_) => {
                    self.stream = None;
                    return self.take_event();
                }
                Err(_) => return None,
            }
        }
    }

    /// Waits for an event named `name`, skipping others; panics after `wait`.
    pub async fn expect(&mut self, name: &str, wait: Duration) -> SseEvent {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(e) if e.event == name => return e,
                Some(e) => seen.push(e),
                None => panic!("no {name:?} event within {wait:?}; saw {seen:?}"),
            }
        }
    }

    /// Every event received before the first one that `is_marker` accepts (the marker itself is
    /// consumed); panics when no marker comes within `wait`.
    ///
    /// This is how a test checks that something does *not* reach a stream: after the action whose
    /// event must not arrive, it causes a marker event that must, and inspects what came before the
    /// marker. One stream delivers events in the order they were published, so anything the action
    /// sent would be in that list; and the marker's arrival proves the stream was alive (the positive
    /// control), without waiting for any length of time.
    pub async fn collect_until_match(
        &mut self,
        is_marker: impl Fn(&SseEvent) -> bool,
        what: &str,
        wait: Duration,
    ) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(e) if is_marker(&e) => return seen,
                Some(e) => seen.push(e),
                None => panic!("the control event {what} did not arrive within {wait:?}; saw {seen:?}"),
            }
        }
    }

    /// Every event received before the first one named `name` (see `collect_until_match`).
    pub async fn collect_until(&mut self, name: &str, wait: Duration) -> Vec<SseEvent> {
        self.collect_until_match(|e| e.event == name, &format!("{name:?}"), wait).await
    }

    /// True once the server has closed the stream.
    pub async fn is_closed(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.stream.is_none() {
                return true;
            }
            if self.next(left).await.is_none() {
                return self.stream.is_none();
            }
        }
    }
}

/// The name of the events `control` makes.
pub const CONTROL: &str = "probe-changed";

/// A marker for the positive control of a "nothing arrives" check (`SseStream::collect_until`):
/// reaches the streams of `user` only, as `probe-changed` (then `probe-<user>-changed`). The probe
/// topic changes nothing, so it can never be mistaken for the event a test says must not arrive.
pub fn control(user: i64) -> DomainEvent {
    DomainEvent::Changed { topic: ferrocrm::events::Topic::Probe, id: user, audience: Audience::user(user) }
}
