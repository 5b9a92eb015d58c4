//! The load clients of `benches/intake`, in Rust: they run on the two cores the server runs on, and
//! the Python clients they replace took a third of a core at 300 submissions a second and most of
//! one during the flood — CPU the server under test did not get, and their own scheduling added to
//! the latencies they reported.
//!
//! ```text
//! cargo bench --bench loadgen -- intake BASE TOKEN PEOPLE RATE SECONDS
//! cargo bench --bench loadgen -- flood  BASE TOKEN TOTAL CONNECTIONS RATE
//! cargo bench --bench loadgen -- paced  BASE PATH COOKIE USERS PACE SECONDS
//! ```
//! - `intake`: valid web-form submissions to `POST /add-request/` at RATE a second for SECONDS, an
//!   open loop (submission i is due at start + i / RATE whatever the answers do, and its latency counts
//!   from then), each from its own address (X-Forwarded-For; the server trusts 127.0.0.1 as its
//!   proxy), every other one with an existing contact's email and phone (PEOPLE: tab-separated lines).
//! - `flood`: bad submissions cycled until TOTAL were answered — honeypot-filled forms from new
//!   addresses, one address far over its limit, oversized bodies — at RATE a second at most (0: as
//!   fast as CONNECTIONS go).
//! - `paced`: USERS staff members each asking for PATH PACE times a second for SECONDS (open loop),
//!   with the session cookie; the answers' latency.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

type Conn = BufReader<TcpStream>;
type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let arg = |i: usize| args.get(i).cloned().ok_or_else(|| format!("missing argument {i}; see benches/loadgen.rs"));
    let num = |i: usize| -> Result<f64, Failure> { Ok(arg(i)?.parse::<f64>()?) };
    match args.first().map(String::as_str) {
        Some("intake") => {
            let people = std::fs::read_to_string(arg(3)?)?;
            let people: Vec<(String, String)> = people
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(e, p)| (e.to_string(), p.to_string()))
                .collect();
            rt.block_on(intake(addr(&arg(1)?)?, arg(2)?, people, num(4)?, num(5)?)).map(drop)
        }
        Some("flood") => {
            rt.block_on(flood(addr(&arg(1)?)?, arg(2)?, num(3)? as usize, num(4)? as usize, num(5)?)).map(drop)
        }
        Some("paced") => {
            rt.block_on(paced(addr(&arg(1)?)?, arg(2)?, arg(3)?, num(4)? as usize, num(5)?, num(6)?)).map(drop)
        }
        // Run by `cargo test --all-targets` (its options, no mode): the clients against a small
        // server of canned answers, so a broken response reader fails the suite.
        None | Some("--test-threads" | "--skip" | "--nocapture" | "--exact") => rt.block_on(self_check()),
        Some(a) if a.starts_with("--") => rt.block_on(self_check()),
        _ => Err("usage: loadgen intake|flood|paced …; see benches/loadgen.rs".into()),
    }
}

/// "http://127.0.0.1:18090" → "127.0.0.1:18090".
fn addr(base: &str) -> Result<String, Failure> {
    let rest = base.strip_prefix("http://").ok_or("BASE must start with http://")?;
    Ok(rest.trim_end_matches('/').to_string())
}

/// Reads one response; returns (status, whether the server closes the connection).
async fn read_response(c: &mut Conn) -> Result<(u16, bool), Failure> {
    let mut line = String::new();
    if c.read_line(&mut line).await? == 0 {
        return Err("closed".into());
    }
    let status: u16 = line.split_whitespace().nth(1).ok_or("no status")?.parse()?;
    let (mut length, mut close, mut chunked) = (0usize, false, false);
    loop {
        line.clear();
        if c.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        let (k, v) = line.split_once(':').unwrap_or((&line, ""));
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
        match k.as_str() {
            "content-length" => length = v.parse()?,
            "connection" => close |= v.contains("close"),
            "transfer-encoding" => chunked |= v.contains("chunked"),
            _ => {}
        }
    }
    if chunked {
        loop {
            line.clear();
            c.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)?;
            let mut skip = vec![0; size + 2];
            c.read_exact(&mut skip).await?;
            if size == 0 {
                break;
            }
        }
    } else if length > 0 {
        let mut body = vec![0; length];
        c.read_exact(&mut body).await?;
    }
    Ok((status, close))
}

async fn connect(addr: &str) -> Result<Conn, Failure> {
    let s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    Ok(BufReader::new(s))
}

fn random_ip(rng: &mut impl Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.random_range(1..=223),
        rng.random_range(0..=255),
        rng.random_range(0..=255),
        rng.random_range(1..=254)
    )
}

fn post(addr: &str, path: &str, ip: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nX-Forwarded-For: {ip}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn form(fields: &[(&str, &str)]) -> String {
    serde_html_form::to_string(fields).unwrap_or_default()
}

/// Percentile `q` of sorted `v`.
fn pick(v: &[f64], q: f64) -> f64 {
    v.get(((q * v.len() as f64) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(f64::NAN)
}

fn counts(statuses: &BTreeMap<String, usize>) -> String {
    statuses.iter().map(|(k, v)| format!("{k} × {v}")).collect::<Vec<_>>().join(", ")
}

/// One request on an idle connection (or a new one); the status, "reset" when the connection failed.
async fn exchange(addr: &str, idle: &Mutex<Vec<Conn>>, request: &[u8]) -> String {
    let pooled = idle.lock().ok().and_then(|mut v| v.pop());
    let mut c = match pooled {
        Some(c) => c,
        None => match connect(addr).await {
            Ok(c) => c,
            Err(_) => return "reset".into(),
        },
    };
    let answered = async {
        c.get_mut().write_all(request).await?;
        read_response(&mut c).await
    };
    match answered.await {
        Ok((status, close)) => {
            if !close && let Ok(mut v) = idle.lock() {
                v.push(c);
            }
            status.to_string()
        }
        Err(_) => "reset".into(),
    }
}

type Statuses = BTreeMap<String, usize>;

async fn intake(
    addr: String,
    token: String,
    people: Vec<(String, String)>,
    rate: f64,
    seconds: f64,
) -> Result<Statuses, Failure> {
    let idle = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    let mut rng = rand::rng();
    for n in 0usize.. {
        let due = Duration::from_secs_f64(n as f64 / rate);
        if due.as_secs_f64() > seconds {
            break;
        }
        tokio::time::sleep_until((start + due).into()).await;
        let (mut email, mut phone) = (
            format!("visitor{}@mail.example", rng.random_range(1..=1_000_000_000u64)),
            format!("+1 555 {}", rng.random_range(1_000_000..10_000_000)),
        );
        if !people.is_empty() && n % 2 == 0 {
            let p = &people[rng.random_range(0..people.len())];
            (email, phone) = p.clone();
        }
        let body = form(&[
            ("leadsource_token", &token),
            ("name", &format!("Mr. Visitor Number{n}")),
            ("email", &email),
            ("phone", &phone),
            ("company", &format!("Company {}", rng.random_range(1..=50_000))),
            ("subject", &format!("Quote request {n}")),
            ("message", &format!("Please send a quote for item {n}")),
            ("country", "Germany"),
            ("city", "Berlin"),
        ]);
        let request = post(&addr, "/add-request/", &random_ip(&mut rng), &body);
        let (addr, idle) = (addr.clone(), idle.clone());
        tasks.push(tokio::spawn(async move {
            let status = exchange(&addr, &idle, &request).await;
            (start.elapsed().saturating_sub(due).as_secs_f64() * 1000.0, status)
        }));
    }
    let n = tasks.len();
    let (mut lat, mut statuses) = (Vec::with_capacity(n), BTreeMap::new());
    for t in tasks {
        let (ms, status) = t.await?;
        lat.push(ms);
        *statuses.entry(status).or_insert(0) += 1;
    }
    let took = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    println!(
        "{n} submissions asked at {rate:.0}/s, answered at {:.0}/s: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; answers: {}",
        n as f64 / took,
        pick(&lat, 0.5),
        pick(&lat, 0.9),
        pick(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        counts(&statuses)
    );
    Ok(statuses)
}

/// Bad request `i` of the flood: a bot filling the honeypot (a new address each time, so the address
/// limit does not stop it), one address far over its limit, or a body over the size limit.
fn bad_request(addr: &str, token: &str, i: usize, rng: &mut impl Rng) -> Vec<u8> {
    match i % 3 {
        0 => {
            let body = form(&[
                ("name", "Bot"),
                ("email", "bot@x.example"),
                ("phone", "1"),
                ("company", "B"),
                ("subject", "Hi"),
                ("message", "spam"),
                ("homepage", "http://bot.example"),
                ("form_ts", "1.0"),
            ]);
            post(addr, &format!("/contact-form/{token}/"), &random_ip(rng), &body)
        }
        1 => post(addr, "/add-request/", "198.51.100.7", &form(&[("leadsource_token", token), ("name", "Flood")])),
        _ => post(addr, "/add-request/", &random_ip(rng), &format!("message={}", "x".repeat(40_000))),
    }
}

async fn flood(addr: String, token: String, total: usize, conns: usize, rate: f64) -> Result<Statuses, Failure> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..conns)
        .map(|_| {
            let (addr, token, next) = (addr.clone(), token.clone(), next.clone());
            tokio::spawn(async move {
                let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
                let mut conn: Option<Conn> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    if rate > 0.0 {
                        tokio::time::sleep_until((start + Duration::from_secs_f64(i as f64 / rate)).into()).await;
                    }
                    let request = bad_request(&addr, &token, i, &mut rand::rng());
                    let answered = async {
                        let c = match conn.as_mut() {
                            Some(c) => c,
                            None => conn.insert(connect(&addr).await?),
                        };
                        c.get_mut().write_all(&request).await?;
                        read_response(c).await
                    };
                    let (status, close) = match answered.await {
                        // A refused body may be left unread: the server may close after it.
                        Ok((s, close)) => (s.to_string(), close || s == 413),
                        Err(_) => ("reset".to_string(), true),
                    };
                    *statuses.entry(status).or_insert(0) += 1;
                    if close {
                        conn = None;
                    }
                }
                statuses
            })
        })
        .collect();
    let mut statuses = BTreeMap::new();
    for w in workers {
        for (k, v) in w.await? {
            *statuses.entry(k).or_insert(0) += v;
        }
    }
    let dt = start.elapsed().as_secs_f64();
    let done: usize = statuses.values().sum();
    println!("flood: {done} requests in {dt:.1} s ({:.0}/s); answers: {}", done as f64 / dt, counts(&statuses));
    Ok(statuses)
}

/// The answers' count and how many were not 200.
async fn paced(
    addr: String,
    path: String,
    cookie: String,
    users: usize,
    pace: f64,
    seconds: f64,
) -> Result<(usize, usize), Failure> {
    let start = Instant::now();
    let request = Arc::new(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n").into_bytes());
    let clients: Vec<_> = (0..users)
        .map(|u| {
            let (addr, request) = (addr.clone(), request.clone());
            tokio::spawn(async move {
                let (mut lat, mut failures) = (Vec::new(), 0usize);
                let Ok(mut c) = connect(&addr).await else { return (lat, usize::MAX) };
                // Users spread over the first period.
                let first = Duration::from_secs_f64(u as f64 / (users as f64 * pace));
                for i in 0usize.. {
                    let due = first + Duration::from_secs_f64(i as f64 / pace);
                    if due.as_secs_f64() > seconds {
                        break;
                    }
                    tokio::time::sleep_until((start + due).into()).await;
                    let t = Instant::now();
                    let answered = async {
                        c.get_mut().write_all(&request).await?;
                        read_response(&mut c).await
                    };
                    match answered.await {
                        Ok((200, _)) => {}
                        Ok(_) => failures += 1,
                        Err(_) => return (lat, failures + 1),
                    }
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                (lat, failures)
            })
        })
        .collect();
    let (mut lat, mut failures) = (Vec::new(), 0usize);
    for c in clients {
        let (l, f) = c.await?;
        lat.extend(l);
        failures = failures.saturating_add(f);
    }
    lat.sort_by(f64::total_cmp);
    println!(
        "{} answers ({:.0}/s), p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, non-200 {failures}",
        lat.len(),
        lat.len() as f64 / seconds,
        pick(&lat, 0.5),
        pick(&lat, 0.9),
        pick(&lat, 0.99)
    );
    Ok((lat.len(), failures))
}

/// A server answering every request on a connection in turn with a sized body, a chunked body, and
/// a 429 that closes the connection; then each client against it.
async fn self_check() -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut c = BufReader::new(socket);
                for i in 0usize.. {
                    // The request: its head, then a body of Content-Length bytes.
                    let (mut line, mut length) = (String::new(), 0usize);
                    loop {
                        line.clear();
                        if c.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if c.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let answer: &[u8] = match i % 3 {
                        0 => b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                        1 => {
                            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
                        }
                        _ => b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
                    };
                    if c.get_mut().write_all(answer).await.is_err() || i % 3 == 2 {
                        return;
                    }
                }
            });
        }
    });
    let base = format!("http://{addr}");
    let people = vec![("a@b.example".to_string(), "+1 555 1234567".to_string())];
    let asked = intake(addr.clone(), "t".into(), people, 100.0, 0.3).await?;
    let flooded = flood(addr.clone(), "t".into(), 30, 1, 0.0).await?;
    // One connection: two answers, the 429 (not 200) that closes it, and the failed next request.
    let (answers, failures) = paced(addr.clone(), "/".into(), "c=1".into(), 1, 20.0, 0.25).await?;
    let answered = |s: &Statuses| s.iter().filter(|(k, _)| k.as_str() != "reset").map(|(_, v)| v).sum::<usize>();
    let ok = asked.values().sum::<usize>() == 31
        && answered(&asked) == 31
        && answered(&flooded) == 30
        && flooded.get("429").copied().unwrap_or(0) == 10
        && answers == 3
        && failures == 2;
    if !ok {
        return Err(format!("loadgen self-check against {base}: intake {asked:?}, flood {flooded:?}, paced {answers} answers, {failures} not 200").into());
    }
    println!("loadgen: the clients read sized, chunked and closing answers ({base})");
    Ok(())
}
