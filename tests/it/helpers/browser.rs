//! A real browser: Debian's Chromium, headless, driven over WebDriver (chromedriver + fantoccini).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _slot: Option<tokio::sync::SemaphorePermit<'static>>,
}

/// Browsers running at once in the test process. Chromium is the heaviest thing a test runs; on two
/// cores, more than two at a time starve the app under test and make live-update timings meaningless.
static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

impl Browser {
    pub async fn start() -> Browser {
        Browser::start_in_zone(None).await
    }

    /// Two browsers for one test (two people), taking both slots at once so that two such tests
    /// cannot each hold one slot and wait for the other.
    pub async fn pair() -> (Browser, Browser) {
        let both = SLOTS.acquire_many(2).await.expect("browser slots");
        let (mut a, b) = tokio::join!(Browser::launch(None), Browser::launch(None));
        a._slot = Some(both);
        (a, b)
    }

    /// A browser whose clock lives in time zone `tz` (Chromium follows `TZ`), like a user abroad.
    pub async fn start_in_zone(tz: Option<&str>) -> Browser {
        let slot = SLOTS.acquire().await.expect("browser slot");
        let mut b = Browser::launch(tz).await;
        b._slot = Some(slot);
        b
    }

    async fn launch(tz: Option<&str>) -> Browser {
        let driver_bin = std::env::var("FERROCRM_TEST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chrome = std::env::var("FERROCRM_TEST_CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&driver_bin).exists() && std::path::Path::new(&chrome).exists(),
            "browser tests need Debian's chromium and chromium-driver ({chrome}, {driver_bin}); scripts/test installs them"
        );
        let port = free_port();
        let mut cmd = Command::new(&driver_bin);
        if let Some(tz) = tz {
            cmd.env("TZ", tz);
        }
        let driver = cmd
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let root =
            std::env::var("FERROCRM_TEST_TMP").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
        let profile = tempfile::Builder::new().prefix("chrome-profile").tempdir_in(root).expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        // The console and uncaught errors of every page, also those before a test could listen.
        caps.insert("goog:loggingPrefs".into(), serde_json::json!({ "browser": "ALL" }));
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = String::new();
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Browser { client, driver, _profile: profile, _slot: None },
                Err(e) => last_err = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not start a browser session: {last_err}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Logs in through the real login form.
    pub async fn login(&self, base: &str, username: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.client
            .find(Locator::Css("#f-username"))
            .await
            .expect("username field")
            .send_keys(username)
            .await
            .expect("type");
        self.client
            .find(Locator::Css("#f-password"))
            .await
            .expect("password field")
            .send_keys(password)
            .await
            .expect("type");
        self.client.find(Locator::Css("form button[type=submit]")).await.expect("submit").click().await.expect("click");
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("header.topbar"))
            .await
            .expect("logged-in page");
    }

    /// Text of the first element matching `css` (empty if none). Read in one script, so a live
    /// region replacing the element meanwhile cannot make the read fail.
    pub async fn text(&self, css: &str) -> String {
        let v = self
            .client
            .execute("var e = document.querySelector(arguments[0]); return e ? e.innerText : ''", vec![css.into()])
            .await
            .expect("execute script");
        v.as_str().unwrap_or_default().trim().to_string()
    }

    /// Runs JavaScript in the page and returns its result.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.expect("execute script")
    }

    /// An attribute of the first element matching `css` (None if no element or attribute).
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let v = self
            .client
            .execute(
                "var e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null",
                vec![css.into(), name.into()],
            )
            .await
            .expect("execute script");
        v.as_str().map(str::to_string)
    }

    /// Clicks the first element matching `css`. Live regions replace their elements when they
    /// refresh, so an element found a moment ago may be gone by the click: then it is found again.
    pub async fn click(&self, css: &str) {
        for _ in 0..20 {
            let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}"));
            match e.click().await {
                Ok(()) => return,
                Err(fantoccini::error::CmdError::Standard(w))
                    if w.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
                Err(e) => panic!("click {css}: {e}"),
            }
        }
        panic!("{css} kept being replaced before it could be clicked");
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"))
            .send_keys(text)
            .await
            .expect("type");
    }

    /// Waits until the page's live stream is open (so nothing published before it is missed).
    pub async fn wait_live(&self) {
        let start = std::time::Instant::now();
        loop {
            let open = self.js("return document.body.classList.contains('live')").await;
            if open == serde_json::Value::Bool(true) {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "the page's live stream did not open");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `check(text of css)` holds; returns how long it took.
    pub async fn wait_text(&self, css: &str, wait: Duration, check: impl Fn(&str) -> bool) -> Duration {
        let start = std::time::Instant::now();
        loop {
            let t = self.text(css).await;
            if check(&t) {
                return start.elapsed();
            }
            assert!(start.elapsed() < wait, "{css:?} never matched within {wait:?}; last text {t:?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Saves a screenshot (PNG) for a person to look at.
    pub async fn screenshot(&self, path: &std::path::Path) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(path, png);
        }
    }

    /// A screenshot named `name` in `$FERROCRM_SCREENSHOTS`, when that is set (for looking at pages).
    pub async fn shot(&self, name: &str) {
        if let Ok(dir) = std::env::var("FERROCRM_SCREENSHOTS") {
            self.screenshot(&std::path::Path::new(&dir).join(name)).await;
        }
    }

    /// Closes the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Chromium's own WebDriver command for network emulation (chromedriver's `network_conditions`).
#[derive(Debug)]
struct NetworkConditions {
    latency_ms: u64,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/chromium/network_conditions", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "network_conditions": {
            "offline": false, "latency": self.latency_ms,
            "download_throughput": 100_000_000, "upload_throughput": 100_000_000,
        }});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// chromedriver's log endpoint: the browser's console (`browser`) or the DevTools events
/// (`performance`) since the last call.
#[derive(Debug)]
struct BrowserLog(&'static str);

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(serde_json::json!({ "type": self.0 }).to_string()))
    }
}

/// Decodes the 8-bit RGB or RGBA, non-interlaced PNG Chromium writes: (width, rows of RGB).
fn decode_png(png: &[u8]) -> (usize, Vec<Vec<[u8; 3]>>) {
    use std::io::Read;
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let (mut at, mut data, mut width, mut height, mut channels) = (8, Vec::new(), 0, 0, 0);
    while at + 8 <= png.len() {
        let (len, kind) = (be(&png[at..]), &png[at + 4..at + 8]);
        let body = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                (width, height) = (be(body), be(&body[4..]));
                assert_eq!((body[8], body[12]), (8, 0), "8-bit, not interlaced");
                channels = match body[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("PNG colour type {t}"),
                };
            }
            b"IDAT" => data.extend_from_slice(body),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&data[..]).read_to_end(&mut raw).expect("inflate");
    let stride = width * channels;
    let mut prev = vec![0u8; stride];
    let mut rows = Vec::with_capacity(height);
    for line in raw.chunks(stride + 1).take(height) {
        let (filter, src) = (line[0], &line[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let (b, c) = (prev[i], if i >= channels { prev[i - channels] } else { 0 });
            let paeth = || {
                let p = a as i16 + b as i16 - c as i16;
                let (pa, pb, pc) = ((p - a as i16).abs(), (p - b as i16).abs(), (p - c as i16).abs());
                if pa <= pb && pa <= pc {
                    a
                } else if pb <= pc {
                    b
                } else {
                    c
                }
            };
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => paeth(),
                f => panic!("PNG filter {f}"),
            };
            cur[i] = src[i].wrapping_add(predicted);
        }
        rows.push(cur.chunks(channels).map(|p| [p[0], p[1], p[2]]).collect());
        prev = cur;
    }
    (width, rows)
}

impl Browser {
    /// The browser console's entries since the last call, as `LEVEL message` (e.g. `SEVERE …`):
    /// uncaught errors, failed loads, CSP violations and `console.*` calls of every page.
    pub async fn console(&self) -> Vec<String> {
        let v = self.client.issue_cmd(BrowserLog("browser")).await.expect("read the browser log");
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let level = e["level"].as_str().unwrap_or("?");
                        format!("{level} {}", e["message"].as_str().unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The pixels of element `css` as the screen shows them (RGB rows), for what no script can
    /// read: a sandboxed frame's inside, drawn in a process of its own.
    pub async fn pixels(&self, css: &str) -> (usize, Vec<Vec<[u8; 3]>>) {
        let el = self.client.find(Locator::Css(css)).await.expect("element");
        let png = el.screenshot().await.expect("element screenshot");
        decode_png(&png)
    }

    /// Delays every request this browser makes from now on by `latency_ms` (Chromium's network
    /// emulation, below the page: the app's scripts cannot tell). 0 turns it off.
    pub async fn slow_network(&self, latency_ms: u64) {
        self.client.issue_cmd(NetworkConditions { latency_ms }).await.expect("set network conditions");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
