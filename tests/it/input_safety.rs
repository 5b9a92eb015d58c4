//! Hostile text: line breaks that would add fields to other people's live streams, NUL bytes, and
//! direction controls in file names. Input is normalised where forms are decoded; the SSE writer is
//! safe on its own as well.

use std::collections::BTreeSet;
use std::time::Duration;

use ferrocrm::access::Audience;
use ferrocrm::events::DomainEvent;
use sea_query::{Cond, Expr, ExprTrait};

use crate::helpers::app::TestApp;
use crate::helpers::client::TestClient;
use crate::helpers::items::{create, created_id};
use crate::helpers::spawn_app;
use crate::helpers::sse::{SseEvent, SseStream};

const WAIT: Duration = Duration::from_secs(5);

/// The line breaks an attacker may try: SSE ends a line at each of the first three.
const BREAKS: &[&str] = &["\r", "\n", "\r\n", "\r\r", "\u{2028}", "\u{2029}"];

async fn task(app: &TestApp, owner: &TestClient, name: &str, responsible: &[&str]) -> i64 {
    let mut ids = Vec::new();
    for r in responsible {
        ids.push(app.uid(r).await);
    }
    let mut fields = vec![("name", name)];
    fields.extend(ids.iter().map(|id| ("responsible", id.as_str())));
    create(owner, "/tasks", &fields).await
}

/// Reads events until one named `name` whose data contains `marker` (the positive control) and
/// returns everything that came before it.
async fn events_until(stream: &mut SseStream, name: &str, marker: &str) -> Vec<SseEvent> {
    let what = format!("{name:?} with {marker:?}");
    stream.collect_until_match(|e| e.event == name && e.data.contains(marker), &what, WAIT).await
}

/// The message text of a chat event, exactly (no whitespace folding).
fn chat_body(e: &SseEvent) -> String {
    let html = scraper::Html::parse_fragment(&e.data);
    let body = scraper::Selector::parse(".chat-body").unwrap();
    html.select(&body).map(|b| b.text().collect::<String>()).collect()
}

/// The raw bytes hold only `event:` and `data:` fields and comments, with LF line ends (after the
/// server's own reconnect hint, `retry: <ms>`, which opens every stream).
fn assert_raw_stream_is_clean(stream: &SseStream) {
    let raw = String::from_utf8_lossy(stream.raw()).to_string();
    assert!(!raw.contains('\r'), "a CR reached the stream: {raw:?}");
    let (hint, rest) = raw.split_once("\n\n").unwrap_or(("", &raw));
    let events = match hint.strip_prefix("retry: ") {
        Some(ms) if ms.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => &raw,
    };
    for line in events.split('\n').filter(|l| !l.is_empty()) {
        assert!(
            line.starts_with("event: ") || line.starts_with("data: ") || line == "data:" || line.starts_with(':'),
            "unexpected line {line:?} in {raw:?}"
        );
        assert!(!line.starts_with("event: logout"), "{raw:?}");
    }
}

#[tokio::test]
async fn chat_text_cannot_add_fields_or_events_to_another_participants_stream() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let id = task(&app, &helen, "Injection target", &["Mark.Manager.Sales"]).await;
    let mut stream = mark.sse().await;
    assert_eq!(stream.status, 200);
    let url = format!("/tasks/{id}/chat");

    // Every break, url-encoded and in a multipart form (the two ways chat text arrives).
    let mut expected = Vec::new();
    for br in BREAKS {
        let msg = format!("hi{br}event: logout{br}data: x{br}id: 1{br}retry: 1{br}{br}end");
        assert_eq!(helen.post_form(&url, &[("body", &msg)]).await.status, 303, "{br:?}");
        assert_eq!(helen.post_multipart(&url, &[("body", &msg)], &[]).await.status, 303, "{br:?}");
        let stored = msg.replace("\r\n", "\n").replace('\r', "\n");
        expected.extend([stored.clone(), stored]);
    }
    // A message stored before input was normalised (or relayed by an older instance) still cannot
    // break out: the writer makes the data safe itself.
    app.state.bus.publish(DomainEvent::ChatPosted {
        kind: ferrocrm::access::ItemKind::Task,
        id,
        message: 0,
        html: "<p class=\"chat-body\">old\revent: logout\rdata: x\r\rend</p>".into(),
        audience: Audience { users: BTreeSet::from([app.user_id("Mark.Manager.Sales").await]), ..Default::default() },
    });
    expected.push("old\nevent: logout\ndata: x\n\nend".into());
    helen.post_form(&url, &[("body", "control message")]).await;

    let chat = format!("chat-task-{id}");
    let seen = events_until(&mut stream, &chat, "control message").await;
    let bodies: Vec<String> = seen.iter().filter(|e| e.event == chat).map(chat_body).collect();
    assert_eq!(bodies, expected, "one chat event per message, its text intact");
    for e in &seen {
        assert!(e.event == chat || e.event == "notice", "an event that nobody sent: {e:?}");
        assert!(e.fields[0] == "event" && e.fields[1..].iter().all(|f| f == "data"), "an extra field: {e:?}");
    }
    assert_raw_stream_is_clean(&stream);
    // Mark is still logged in, and his stream still works.
    assert_eq!(mark.get("/").await.status, 200);
    app.state.bus.publish(DomainEvent::Notice { user_id: app.user_id("Mark.Manager.Sales").await });
    stream.expect("notice", WAIT).await;
}

#[tokio::test]
async fn a_participant_of_one_task_cannot_inject_into_another_tasks_chat_stream() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let a = task(&app, &helen, "Carl's and Mark's", &["Carl.CoWorker", "Mark.Manager.Sales"]).await;
    let b = task(&app, &helen, "Mark's only", &["Mark.Manager.Sales"]).await;
    let mut stream = mark.sse().await;

    assert_eq!(carl.post_form(&format!("/tasks/{b}/chat"), &[("body", "let me in")]).await.status, 404);
    let forged = r#"<article class="chat-msg"><p class="chat-body">forged</p></article>"#;
    for br in ["\r", "\n", "\r\n"] {
        let msg = format!("x{br}{br}event: chat-task-{b}{br}data: {forged}{br}{br}");
        assert_eq!(carl.post_form(&format!("/tasks/{a}/chat"), &[("body", &msg)]).await.status, 303);
    }
    assert_eq!(helen.post_form(&format!("/tasks/{b}/chat"), &[("body", "the real message")]).await.status, 303);

    let seen = events_until(&mut stream, &format!("chat-task-{b}"), "the real message").await;
    assert_eq!(seen.iter().filter(|e| e.event == format!("chat-task-{a}")).count(), 3, "{seen:?}");
    assert!(seen.iter().all(|e| e.event != format!("chat-task-{b}")), "an event forged into task B: {seen:?}");
    assert_raw_stream_is_clean(&stream);
    assert_eq!(app.count("chat_messages", Cond::all().add(Expr::col("object_id").eq(b))).await, 1);
}

#[tokio::test]
async fn a_chat_message_of_only_nul_bytes_is_refused_as_empty() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let id = task(&app, &helen, "Quiet", &["Helen.Head.Sales"]).await;
    let url = format!("/tasks/{id}/chat");
    for p in [
        helen.post_form(&url, &[("body", "\0")]).await,
        helen.post_form(&url, &[("body", " \0\r\n\0 ")]).await,
        helen.post_multipart(&url, &[("body", "\0\0")], &[]).await,
    ] {
        assert_eq!(p.status, 422);
        assert_eq!(p.field_error("body").as_deref(), Some("Write a message or attach a file."));
    }
    assert_eq!(app.count("chat_messages", Cond::all()).await, 0);
    // The control: a NUL inside a real message is dropped and the rest is kept.
    assert_eq!(helen.post_form(&url, &[("body", "a\0b")]).await.status, 303);
    assert_eq!(helen.get(&format!("/tasks/{id}")).await.texts(".chat-msg .chat-body"), ["ab"]);
}

#[tokio::test]
async fn nul_bytes_and_carriage_returns_never_reach_the_database() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = app.uid("Helen.Head.Sales").await;
    let fields = [("name", "Quarterly\0 report"), ("description", "one\r\ntwo\rthree\0"), ("responsible", &me)];
    let t1 = create(&helen, "/tasks", &fields).await;
    helen.get("/tasks/new").await;
    let t2 = created_id(&helen.post_multipart("/tasks", &fields, &[]).await);
    for id in [t1, t2] {
        assert_eq!(app.field("tasks", id, "name").await.as_deref(), Some("Quarterly report"));
        assert_eq!(app.field("tasks", id, "description").await.as_deref(), Some("one\ntwo\nthree"));
    }
}

/// A multipart body as a browser sends it: the file name raw UTF-8 in `filename="…"`.
fn multipart(csrf: &str, fields: &[(&str, &str)], file_name: &str, content: &str) -> (String, Vec<u8>) {
    let boundary = "----ferrocrm-test-boundary";
    let mut body = String::new();
    for (k, v) in [("csrf_token", csrf)].iter().chain(fields) {
        body += &format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n");
    }
    body += &format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

#[tokio::test]
async fn file_names_lose_direction_controls() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = app.uid("Helen.Head.Sales").await;
    helen.get("/tasks/new").await;
    let cases = [
        ("evil\u{202E}gnp.exe", "evilgnp.exe"),
        ("\u{2066}inv\u{200F}oice\u{061C}.pdf\u{2069}", "invoice.pdf"),
        ("report.txt", "report.txt"),
    ];
    for (i, (raw_name, shown)) in cases.iter().enumerate() {
        let (ct, body) = multipart(&helen.csrf(), &[("name", "Files"), ("responsible", &me)], raw_name, &i.to_string());
        let p = helen.raw("POST", "/tasks", &[("Origin", &app.base), ("Content-Type", &ct)], body).await;
        let id = created_id(&p);
        let page = helen.get(&format!("/tasks/{id}")).await;
        assert_eq!(page.texts("#files li.file a"), [*shown], "{raw_name:?}");
        let dl = helen.raw("GET", &page.attrs("#files li.file a", "href")[0], &[], vec![]).await;
        assert_eq!(dl.status, 200);
        let disposition = dl.header("content-disposition").unwrap_or_default();
        assert!(!disposition.chars().any(ferrocrm::text::is_direction_control), "{disposition:?}");
    }
}

#[tokio::test]
async fn a_nul_in_a_search_or_a_list_filter_is_no_error() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    task(&app, &helen, "Audit the stock", &["Helen.Head.Sales"]).await;
    for path in ["/search?q=Audit%00", "/tasks?q=Au%00dit", "/memos?q=%00", "/projects?q=%00", "/admin/users?q=%00"] {
        let p = helen.get(path).await;
        assert!(p.status.as_u16() < 500, "{path}: {}", p.status);
    }
    // The control: the NUL is ignored, the words still match.
    assert_eq!(helen.get("/search?q=Au%00dit").await.texts("table td a"), ["Audit the stock"]);
}
