//! The crawler (issue #6): real Chromium logs in as every demo role, starts from the home page and
//! the navigation, and clicks every link and every non-destructive button it finds (boosted and htmx
//! alike) over a small but complete demo data set, up to a bound per role. After every click the page
//! must have its shell (top bar, navigation, one `h1`, a non-empty `main`), the URL and the content
//! must agree (a plain HTTP GET of the URL as the same user has the same `h1`), no JavaScript error
//! and no htmx error event may have happened, and Back must bring the previous content back. Every
//! page it opens is checked with axe-core: no serious or critical finding. Destructive buttons (stage
//! changes, deletes, "mark read", file removal, …) are then clicked on objects made for the test,
//! and the page must keep its shell. Pages added later are covered by the same walk: nothing here
//! lists the app's pages.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::helpers::app::{PASSWORD, USERS};
use crate::helpers::browser::Browser;
use crate::helpers::client::TestClient;
use crate::helpers::html::Page;
use crate::helpers::items::{create, created_id};
use crate::helpers::{TestApp, spawn_app};

/// axe-core, vendored for the tests only (see tests/assets/README.md).
const AXE: &str = include_str!("../assets/axe.min.js");

/// Pages the crawler opens per role (each is also checked with axe).
const MAX_PAGES: usize = 16;
/// Clicks on one page, so that the start pages after the home page get theirs; a role's crawl has
/// this many per start page (the destructive pass comes on top).
const PAGE_CLICKS: usize = 15;
/// Where each role's crawl starts: the home page, then the task list (its filters, the next-step
/// toggle, tag chips and the Responsible default of issue 12 are reached for every role).
const START: [&str; 2] = ["/", "/tasks"];
/// Start pages next, for the roles that may open them (a plain GET answers 200): the analytics
/// index (its reports are its links) and the mailbox browser.
const START_IF_OPEN: [&str; 2] = ["/analytics", "/mail-import"];
/// Pages of one pattern (`/tasks/:id`) opened per role: `/tasks/1` and `/tasks/2` are one pattern.
const PER_PATTERN: usize = 2;
/// Longest wait for a page to change or settle.
const WAIT: Duration = Duration::from_secs(10);

/// Listeners for what must not happen on a page, and counters for what is in flight. Injected after
/// every full page load (boosted navigation keeps `window`, so it stays).
const INSTRUMENT: &str = r#"
if (!window.__crawl) {
  var c = window.__crawl = { errors: [], inflight: 0, settled: 0 };
  window.addEventListener('error', function (e) {
    var t = e.target;
    c.errors.push(t && t !== window && (t.src || t.href) ? 'failed to load ' + (t.src || t.href) : 'error: ' + e.message);
  }, true);
  window.addEventListener('unhandledrejection', function (e) { c.errors.push('unhandled rejection: ' + e.reason); });
  ['htmx:responseError', 'htmx:swapError', 'htmx:targetError', 'htmx:sendError', 'htmx:onLoadError'].forEach(function (n) {
    document.addEventListener(n, function (e) {
      var d = e.detail || {};
      var where = d.pathInfo ? d.pathInfo.requestPath : (d.requestConfig ? d.requestConfig.path : '');
      c.errors.push(n + ' ' + (d.xhr ? d.xhr.status : '') + ' ' + (where || '') + ' ' + (d.error || ''));
    });
  });
  var ce = console.error;
  console.error = function () { c.errors.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); return ce.apply(console, arguments); };
  document.addEventListener('htmx:afterSettle', function () { c.settled++; });
  var f = window.fetch;
  window.fetch = function () {
    c.inflight++;
    return f.apply(this, arguments).finally(function () { c.inflight--; });
  };
}
"#;

/// Every clickable thing on the page, in document order, each with a key that finds it again after
/// the page was rendered anew (tag, kind, target, text, occurrence).
const SCAN: &str = r#"
function scan() {
  var out = [], seen = {};
  var els = document.querySelectorAll('a[href], button, summary');
  for (var i = 0; i < els.length; i++) {
    var el = els[i], tag = el.tagName.toLowerCase(), kind, href = '';
    if (el.closest('#confirm-dialog')) continue;
    if (tag === 'a') {
      kind = el.hasAttribute('download') ? 'download' : 'link';
      href = el.getAttribute('href');
    } else if (tag === 'summary') {
      kind = 'toggle';
    } else {
      var type = (el.getAttribute('type') || 'submit').toLowerCase(), form = el.form;
      if (type === 'button') kind = el.hasAttribute('hx-get') ? 'fetch' : 'toggle';
      else if (!form) continue;
      else if ((form.getAttribute('method') || 'get').toLowerCase() === 'get' && !form.hasAttribute('hx-post')) kind = 'get-submit';
      else kind = 'post';
      href = form ? (form.getAttribute('action') || '') : '';
    }
    var closed = el.closest('details:not([open])');
    var shown = el.getClientRects().length > 0 ||
      (closed && closed.querySelector('summary') && closed.querySelector('summary').getClientRects().length > 0);
    if (!shown) continue;
    var text = ((el.innerText || '') + ' ' + (el.getAttribute('aria-label') || '')).replace(/\s+/g, ' ').trim();
    var id = [tag, kind, href, text, (el.getAttribute('name') || '') + '=' + (el.getAttribute('value') || '')].join('|');
    seen[id] = (seen[id] || 0) + 1;
    out.push({ id: id, n: seen[id], el: el, kind: kind, href: href, text: text,
      valid: !el.form || el.form.noValidate || el.form.checkValidity(),
      shell: !!el.closest('header.topbar, nav.sidebar'), confirm: !!(el.closest('form') && (el.closest('form').hasAttribute('data-confirm') || el.hasAttribute('data-confirm'))) });
  }
  return out;
}
"#;

/// What the page is (for "Back returns the previous content").
const FINGERPRINT: &str = r#"
var h1 = document.querySelector('h1'), main = document.querySelector('main');
return { url: location.pathname + location.search, h1: h1 ? h1.innerText.replace(/\s+/g, ' ').trim() : '',
  main: main ? main.innerText.replace(/\s+/g, ' ').trim() : '' };
"#;

/// The shell and the recorded errors (taken, so each is reported once).
const SHELL: &str = r#"
var c = window.__crawl, errors = c ? c.errors.splice(0) : [];
var main = document.querySelector('main'), h1 = document.querySelector('h1');
return { url: location.pathname + location.search, topbar: !!document.querySelector('header.topbar'),
  sidebar: !!document.querySelector('nav.sidebar'), h1s: document.querySelectorAll('h1').length,
  h1: h1 ? h1.innerText.replace(/\s+/g, ' ').trim() : '', main: main ? main.innerText.trim().length : 0,
  errors: errors };
"#;

/// Runs axe-core; answers the serious and critical violations.
const AXE_RUN: &str = r#"
var done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
  done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; }).map(function (v) {
    return v.impact + ' ' + v.id + ' (' + v.help + '): ' + v.nodes.slice(0, 4).map(function (n) {
      return n.target.join(' ') + ' [' + (n.failureSummary || '').replace(/\s+/g, ' ') + ']';
    }).join('; ');
  }));
}).catch(function (e) { done(['axe failed: ' + e]); });
"#;

#[derive(Clone, Debug)]
struct Cand {
    id: String,
    n: u64,
    kind: String,
    href: String,
    text: String,
    shell: bool,
    /// Its form would be sent (no required field left empty).
    valid: bool,
}

/// `/tasks/12?page=2&q=x` → `/tasks/:id?page&q`.
fn pattern(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path: Vec<&str> = path
        .split('/')
        .map(|s| if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { ":id" } else { s })
        .collect();
    let mut keys: Vec<&str> =
        query.split('&').filter(|kv| !kv.is_empty()).map(|kv| kv.split('=').next().unwrap_or(kv)).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() { path.join("/") } else { format!("{}?{}", path.join("/"), keys.join("&")) }
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Links that change state on GET by design (opening a notification marks it read): destructive.
fn marks_read(href: &str) -> bool {
    href.starts_with("/notifications/") && href.ends_with("/open")
}

struct Crawl<'a> {
    app: &'a TestApp,
    b: &'a Browser,
    http: TestClient,
    user: &'static str,
    pages: usize,
    clicks: usize,
    destructive: usize,
    checked: HashSet<String>,
    /// Page patterns axe-core has checked for this role.
    axed: HashSet<String>,
    axe_time: Duration,
    failures: Vec<String>,
    /// What was clicked (`text (target)`), crawl and destructive pass: the report checks that the
    /// buttons of issue 12 were among them.
    pressed: Vec<String>,
    /// The start pages of `START_IF_OPEN` this role may open.
    opened: Vec<&'static str>,
}

impl Crawl<'_> {
    fn fail(&mut self, what: String) {
        eprintln!("crawler: {}: {what}", self.user);
        self.failures.push(format!("{}: {what}", self.user));
    }

    /// JavaScript that may run while a page unloads: retried until a document answers.
    async fn js(&self, script: &str) -> Value {
        let start = Instant::now();
        loop {
            match self.b.client.execute(script, vec![]).await {
                Ok(v) => return v,
                Err(e) => {
                    assert!(start.elapsed() < WAIT, "script kept failing: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    /// Polls `cond` (a JS expression) until it is true.
    async fn until(&self, cond: &str) -> bool {
        let start = Instant::now();
        let script = format!("try {{ return !!({cond}); }} catch (e) {{ return false; }}");
        loop {
            if self.b.client.execute(&script, vec![]).await.ok() == Some(Value::Bool(true)) {
                return true;
            }
            if start.elapsed() > WAIT {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }

    /// Waits for the page to be loaded, instrumented and quiet (no htmx request, no live fetch).
    async fn settle(&mut self, ctx: &str) {
        let script = format!(
            "if (document.readyState !== 'complete') return 'loading';
             {INSTRUMENT}
             var busy = document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling');
             if (window.__crawl.inflight > 0 || busy) return 'busy: ' + window.__crawl.inflight + ' fetches, ' + (busy ? busy.outerHTML.slice(0, 120) : '');
             return 'quiet';"
        );
        let start = Instant::now();
        loop {
            let state = match self.b.client.execute(&script, vec![]).await {
                Ok(v) => v.as_str().unwrap_or_default().to_string(),
                Err(e) => format!("no document ({e})"),
            };
            if state == "quiet" {
                return;
            }
            if start.elapsed() > WAIT {
                self.fail(format!("{ctx}: the page did not settle within {WAIT:?}: {state}"));
                return;
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }

    async fn here(&self) -> String {
        self.js("return location.pathname + location.search").await.as_str().unwrap_or_default().to_string()
    }

    /// Marks the current content, so a change (a swap of `main`, a settle, a new document) shows.
    async fn mark(&self) {
        self.js("var m = document.querySelector('main'); if (m) m.setAttribute('data-crawl-stale', '');
             if (window.__crawl) window.__crawl.before = window.__crawl.settled; return true")
            .await;
    }

    /// Waits until the marked content changed.
    async fn changed(&self) -> bool {
        self.until(
            "!window.__crawl || !document.querySelector('main[data-crawl-stale]') || \
             window.__crawl.settled !== window.__crawl.before",
        )
        .await
    }

    /// The shell, the errors, and the URL/content agreement of the page now shown.
    async fn check(&mut self, ctx: &str) {
        let s = self.js(SHELL).await;
        let url = s["url"].as_str().unwrap_or_default().to_string();
        let ctx = format!("{ctx} (now at {url})");
        if s["topbar"] != json!(true) || s["sidebar"] != json!(true) {
            self.fail(format!("{ctx}: no shell (header.topbar {}, nav.sidebar {})", s["topbar"], s["sidebar"]));
        }
        if s["h1s"] != json!(1) {
            self.fail(format!("{ctx}: {} h1 elements, not one", s["h1s"]));
        }
        if s["main"].as_u64().unwrap_or(0) == 0 {
            self.fail(format!("{ctx}: main is empty"));
        }
        for e in s["errors"].as_array().cloned().unwrap_or_default() {
            self.fail(format!("{ctx}: {}", e.as_str().unwrap_or_default()));
        }
        for line in self.b.console().await {
            // A 422 answer is a form with its messages, by design (htmx swaps it); Chromium logs it.
            if line.starts_with("SEVERE") && !line.contains("status of 422") {
                self.fail(format!("{ctx}: console: {line}"));
            }
        }
        // The same URL fetched plainly, as the same user, is the same page.
        let h1 = norm(s["h1"].as_str().unwrap_or_default());
        let p = self.http.get(&url).await;
        if p.status != 200 {
            self.fail(format!("{ctx}: GET {url} answers {} to the same user", p.status));
        } else {
            let served = p.texts("h1").into_iter().next().unwrap_or_default();
            if norm(&served) != h1 {
                self.fail(format!("{ctx}: the page shows h1 {h1:?}, but GET {url} has {served:?}"));
            }
        }
        // An item's URL shows that item.
        let segs: Vec<&str> = url.split('?').next().unwrap_or_default().trim_matches('/').split('/').collect();
        if let [kind @ ("memos" | "tasks" | "projects"), id] = segs.as_slice()
            && id.bytes().all(|b| b.is_ascii_digit())
        {
            let live = format!("#{}-{id}-live", kind.trim_end_matches('s'));
            if self.js(&format!("return !!document.querySelector('{live}')")).await != json!(true) {
                self.fail(format!("{ctx}: the page of {url} has no {live}"));
            }
        }
    }

    /// axe-core on the page now shown.
    async fn axe(&mut self, ctx: &str) {
        if self.js("return typeof window.axe !== 'undefined'").await != json!(true) {
            self.b.client.execute(AXE, vec![]).await.expect("inject axe-core");
        }
        let found = self.b.client.execute_async(AXE_RUN, vec![]).await.expect("run axe-core");
        for v in found.as_array().cloned().unwrap_or_default() {
            self.fail(format!("{ctx}: axe: {}", v.as_str().unwrap_or_default()));
        }
    }

    async fn open(&mut self, url: &str) {
        self.b.goto(&self.app.url(url)).await;
        self.settle(&format!("open {url}")).await;
    }

    async fn scan(&self) -> Vec<Cand> {
        let v = self.js(&format!("{SCAN} return scan().map(function (c) {{ delete c.el; return c; }});")).await;
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|c| Cand {
                id: c["id"].as_str().unwrap_or_default().into(),
                n: c["n"].as_u64().unwrap_or(1),
                kind: c["kind"].as_str().unwrap_or_default().into(),
                href: c["href"].as_str().unwrap_or_default().into(),
                text: c["text"].as_str().unwrap_or_default().into(),
                shell: c["shell"] == json!(true),
                valid: c["valid"] != json!(false),
            })
            .collect()
    }

    /// Finds `c` on the page as it is now, opens its `details` if closed, scrolls it into view and
    /// clicks it. False if it is not there.
    async fn click(&mut self, c: &Cand) -> bool {
        let find = format!(
            "{SCAN} var id = {}, n = {};
             document.querySelectorAll('[data-crawl-target]').forEach(function (e) {{ e.removeAttribute('data-crawl-target'); }});
             var c = scan().filter(function (c) {{ return c.id === id && c.n === n; }})[0];
             if (!c) return false;
             var d = c.el.closest('details:not([open])'); if (d && c.kind !== 'toggle') d.open = true;
             c.el.setAttribute('data-crawl-target', '');
             c.el.scrollIntoView({{ block: 'center' }});
             return true;",
            json!(c.id),
            c.n
        );
        // A live region may re-render the element between finding and clicking it: find it again.
        for attempt in 0..3 {
            if self.js(&find).await != json!(true) {
                return false;
            }
            let Ok(e) = self.b.client.find(Locator::Css("[data-crawl-target]")).await else { return false };
            match e.click().await {
                Ok(()) => return true,
                Err(err) if attempt < 2 && err.to_string().contains("stale element") => continue,
                Err(err) => {
                    self.fail(format!("could not click {:?} ({}): {err}", c.text, c.kind));
                    return false;
                }
            }
        }
        false
    }

    /// Back, and the page before the click must come back.
    async fn back(&mut self, before: &Value, ctx: &str) {
        self.mark().await;
        self.b.client.back().await.expect("back");
        if !self.changed().await {
            self.fail(format!("{ctx}: Back changed nothing"));
        }
        self.settle(&format!("{ctx}, then Back")).await;
        let after = self.js(FINGERPRINT).await;
        if after["url"] != before["url"] || after["h1"] != before["h1"] {
            self.fail(format!(
                "{ctx}, then Back: expected {} “{}”, got {} “{}”",
                before["url"], before["h1"], after["url"], after["h1"]
            ));
        } else if after["main"] != before["main"] {
            self.fail(format!(
                "{ctx}, then Back: {} came back with other content:\n  before: {}\n  after:  {}",
                before["url"], before["main"], after["main"]
            ));
        }
        self.check(&format!("{ctx}, then Back")).await;
    }

    /// A download link: a plain GET as the same user gives an attachment.
    async fn download(&mut self, href: &str, ctx: &str) {
        if !self.checked.insert(pattern(href)) {
            return;
        }
        let p: Page = self.http.get(href).await;
        let disp = p.header("content-disposition").unwrap_or_default();
        if p.status != 200 || !disp.starts_with("attachment") {
            self.fail(format!("{ctx}: download {href} answers {} with Content-Disposition {disp:?}", p.status));
        }
    }

    /// The crawl: breadth first from the start pages.
    async fn crawl(&mut self) {
        let mut queue: VecDeque<String> = START.iter().map(|s| s.to_string()).collect();
        for url in START_IF_OPEN {
            if self.http.get(url).await.status == 200 {
                queue.push_back(url.to_string());
                self.opened.push(url);
            }
        }
        let max_clicks = PAGE_CLICKS * queue.len();
        let mut seen: HashSet<String> = queue.iter().cloned().collect();
        let mut patterns: HashMap<String, usize> = queue.iter().map(|s| (pattern(s), 1)).collect();
        let mut clicked: HashSet<String> = HashSet::new();
        while let Some(url) = queue.pop_front() {
            if self.pages >= MAX_PAGES || self.clicks >= max_clicks {
                break;
            }
            self.open(&url).await;
            self.pages += 1;
            self.check(&format!("open {url}")).await;
            let from = pattern(&url);
            if self.axed.insert(from.clone()) {
                let t = Instant::now();
                self.axe(&format!("open {url}")).await;
                self.axe_time += t.elapsed();
            }
            let here = self.js(FINGERPRINT).await;
            let mut cands = self.scan().await;
            // Navigation first; buttons that change the page in place last.
            cands.sort_by_key(|c| match c.kind.as_str() {
                "link" | "download" => 0,
                "get-submit" => 1,
                _ => 2,
            });
            let at_start = self.clicks;
            for c in cands {
                if self.clicks >= max_clicks || self.clicks - at_start >= PAGE_CLICKS {
                    break;
                }
                let internal = c.href.starts_with('/') && !c.href.starts_with("//");
                let key = match c.kind.as_str() {
                    "post" => continue, // destructive: see `destroy`
                    "download" => {
                        self.download(&c.href, &format!("on {url}")).await;
                        continue;
                    }
                    "link" if !internal || marks_read(&c.href) => continue,
                    "link" if c.shell => format!("shell {} {}", pattern(&c.href), c.text),
                    "link" => format!("{from} -> {}", pattern(&c.href)),
                    _ if c.shell => format!("shell {} {}", c.kind, c.text),
                    _ => format!("{from} {} {} {}", c.kind, c.href, c.text),
                };
                if !clicked.insert(key) {
                    continue;
                }
                let ctx = format!("on {url}, {} {:?} ({})", c.kind, c.text, c.href);
                let navigates = matches!(c.kind.as_str(), "link" | "get-submit");
                self.mark().await;
                if !self.click(&c).await {
                    continue;
                }
                self.clicks += 1;
                self.pressed.push(format!("{} ({})", c.text, c.href));
                if c.kind != "toggle" && !self.changed().await {
                    self.fail(format!("{ctx}: the click changed nothing within {WAIT:?}"));
                }
                self.settle(&ctx).await;
                self.check(&ctx).await;
                if navigates {
                    let landed = self.here().await;
                    let p = pattern(&landed);
                    let n = patterns.get(&p).copied().unwrap_or(0);
                    if n < PER_PATTERN && seen.len() < MAX_PAGES && seen.insert(landed.clone()) {
                        patterns.insert(p, n + 1);
                        queue.push_back(landed);
                    }
                    self.back(&here, &ctx).await;
                }
            }
        }
    }

    /// Clicks every state-changing button (and "open" link of a notification) on `url`, each once,
    /// confirming the dialog where one asks; after each, the page must have its shell.
    async fn destroy(&mut self, url: &str) {
        let mut done: HashSet<String> = HashSet::new();
        for _ in 0..20 {
            if !self.http.get(url).await.status.is_success() {
                return; // gone (deleted by the last click)
            }
            self.open(url).await;
            let next = self.scan().await.into_iter().find(|c| {
                !c.shell
                    && ((c.kind == "post" && c.valid) || (c.kind == "link" && marks_read(&c.href)))
                    && !done.contains(&format!("{}#{}", c.id, c.n))
            });
            let Some(c) = next else { return };
            done.insert(format!("{}#{}", c.id, c.n));
            let ctx = format!("on {url}, {} {:?} ({})", c.kind, c.text, c.href);
            self.mark().await;
            if !self.click(&c).await {
                continue;
            }
            self.destructive += 1;
            self.pressed.push(format!("{} ({})", c.text, c.href));
            // A confirmation first, where the form asks for one.
            let dialog = self
                .until("document.querySelector('#confirm-dialog[open]') || !document.querySelector('main[data-crawl-stale]') || !window.__crawl || window.__crawl.settled !== window.__crawl.before")
                .await;
            if dialog && self.js("return !!document.querySelector('#confirm-dialog[open]')").await == json!(true) {
                self.b.click("#confirm-dialog button[value=ok]").await;
            }
            if !self.changed().await {
                self.fail(format!("{ctx}: the click changed nothing within {WAIT:?}"));
            }
            self.settle(&ctx).await;
            self.check(&ctx).await;
        }
    }
}

#[path = "crawler_objects.rs"]
mod objects;
use objects::make_objects;

/// Roles whose own objects get the destructive pass (stage changes, delete, mark read, remove):
/// one of each kind of rights — administrator, chief, department head with a team, plain co-worker.
/// The other roles' buttons on others' objects are the same buttons (the crawl visits them all).
const DESTRUCTIVE_ROLES: [&str; 4] = ["Adam.Admin", "Garry.Chief", "Helen.Head.Sales", "Carl.CoWorker"];

/// Browsers crawling at once, each for half of the roles (the test harness runs at most two).
const LANES: usize = 2;

impl<'a> Crawl<'a> {
    async fn login(app: &'a TestApp, b: &'a Browser, user: &'static str) -> Crawl<'a> {
        b.client.delete_all_cookies().await.ok();
        b.login(&app.base, user, PASSWORD).await;
        b.console().await; // the login's
        Crawl {
            app,
            b,
            http: app.login_as(user).await,
            user,
            pages: 0,
            clicks: 0,
            destructive: 0,
            checked: HashSet::new(),
            axed: HashSet::new(),
            axe_time: Duration::ZERO,
            failures: Vec::new(),
            pressed: Vec::new(),
            opened: Vec::new(),
        }
    }
}

/// One browser's share of the roles: the crawl of each, one after the other.
async fn crawl_lane<'a>(app: &'a TestApp, b: &'a Browser, users: &[&'static str]) -> Vec<(Crawl<'a>, Duration)> {
    let mut out = Vec::new();
    for user in users {
        let t = Instant::now();
        let mut cr = Crawl::login(app, b, user).await;
        cr.crawl().await;
        out.push((cr, t.elapsed()));
    }
    out
}

/// The destructive pass of each role of a lane, on the objects made for it.
async fn destroy_lane(lane: &mut [(Crawl<'_>, Duration)], urls: &HashMap<&'static str, Vec<String>>) -> Vec<Duration> {
    let mut times = Vec::new();
    for (cr, _) in lane.iter_mut() {
        let t = Instant::now();
        cr.b.client.delete_all_cookies().await.ok();
        cr.b.login(&cr.app.base, cr.user, PASSWORD).await;
        cr.b.console().await;
        for u in urls.get(cr.user).into_iter().flatten() {
            cr.destroy(u).await;
        }
        times.push(t.elapsed());
    }
    times
}

/// The buttons a role did not click though it sees them: of issue 12, the next-step toggle (every
/// role), a tag chip (roles of a department: they have tags), "Completed" and "Hide main task" /
/// "Show the main task" (the roles of the destructive pass, on their own tasks); of issue 11, a
/// report on the analytics index.
fn buttons_missed(cr: &Crawl<'_>) -> Vec<String> {
    let has = |f: &dyn Fn(&String) -> bool| cr.pressed.iter().any(f);
    let mut missed = Vec::new();
    if !has(&|p| p.starts_with("Order by next step date")) {
        missed.push("the next-step-date toggle");
    }
    let department = USERS.iter().any(|(u, _, d)| *u == cr.user && d.is_some());
    if department && !has(&|p| p.contains("tag=")) {
        missed.push("a tag chip (the tag filter)");
    }
    if DESTRUCTIVE_ROLES.contains(&cr.user) {
        if !has(&|p| p.starts_with("Completed")) {
            missed.push("Completed");
        }
        if !has(&|p| p.contains("/hide-main")) {
            missed.push("Hide main task");
        }
    }
    // A role that may open the analytics index opens a report from it.
    if cr.opened.contains(&"/analytics") && !has(&|p| p.contains("(/analytics/")) {
        missed.push("a report on the analytics index");
    }
    missed.into_iter().map(|m| format!("{}: never clicked {m}; clicked: {:?}", cr.user, cr.pressed)).collect()
}

#[tokio::test]
async fn every_role_can_click_through_every_page_and_each_click_keeps_the_shell_the_url_and_back() {
    let started = Instant::now();
    let app = spawn_app().await;
    ferrocrm::seed::run_sized(&app.db, ferrocrm::seed::Size::small()).await.expect("seed the small demo");
    // Objects with history, files and notifications, made through the forms.
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl = app.login_as("Carl.CoWorker").await;
    let mark = app.uid("Mark.Manager.Sales").await;
    let t = helen
        .post_multipart(
            "/tasks",
            &[
                ("name", "Prepare the spring offer"),
                ("responsible", &mark),
                ("subscribers", &app.uid("Carl.CoWorker").await),
            ],
            &[("files", "offer.txt", "text/plain", b"the offer".to_vec())],
        )
        .await;
    let t = created_id(&t);
    helen.post_form(&format!("/tasks/{t}/chat"), &[("body", "Please start with the numbers")]).await;
    helen.post_form(&format!("/tasks/{t}"), &[("name", "Prepare the spring offer (v2)"), ("responsible", &mark)]).await;
    create(&carl, "/memos", &[("name", "Need a new chair"), ("recipient_id", &app.uid("Helen.Head.Sales").await)])
        .await;
    // Issue 12: every role of a department has a tagged task of its own (its list's rows show tag
    // chips, links to the tag filter), Mark's task a subtask under it (the grouped list).
    for (user, _, dept) in USERS {
        if dept.is_some() {
            let c = app.login_as(user).await;
            let me = app.uid(user).await;
            let p = c
                .post_form("/tasks", &[("name", "Tagged task"), ("responsible", &me), ("new_tags", "Crawler, Q2")])
                .await;
            assert_eq!(p.status, 303, "{user}: a tagged task: {}", p.body);
        }
    }
    let mark_c = app.login_as("Mark.Manager.Sales").await;
    let sub = [("name", "Spring offer: prices"), ("responsible", mark.as_str()), ("parent_id", &t.to_string())];
    assert_eq!(mark_c.post_form("/tasks", &sub).await.status, 303);
    // A request in the department, so its list and page have a row to open.
    let day = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    let r = helen
        .post_form(
            "/requests",
            &[("request_for", "Pumps for the plant"), ("first_name", "Ann Lee"), ("receipt_date", &day)],
        )
        .await;
    assert_eq!(r.status, 303, "add a request: {}", r.body);
    let admin = app.login_as("Adam.Admin").await;
    let seeded = started.elapsed();

    // Every role's crawl (nothing changes meanwhile, so Back must bring back the very same content).
    let (b0, b1) = Browser::pair().await;
    let lane_users: Vec<Vec<&'static str>> =
        (0..LANES).map(|i| USERS.iter().skip(i).step_by(LANES).map(|(u, _, _)| *u).collect()).collect();
    let (mut l0, mut l1) = tokio::join!(crawl_lane(&app, &b0, &lane_users[0]), crawl_lane(&app, &b1, &lane_users[1]));
    let crawled = started.elapsed();
    // Then objects of each role's own, and the destructive buttons on them.
    let mut urls = HashMap::new();
    for user in DESTRUCTIVE_ROLES {
        let c = app.login_as(user).await;
        urls.insert(user, make_objects(&app, &c, user, &admin).await);
    }
    let (d0, d1) = tokio::join!(destroy_lane(&mut l0, &urls), destroy_lane(&mut l1, &urls));
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut tag_buttons: Vec<String> = Vec::new();
    for (lane, times) in [(l0, d0), (l1, d1)] {
        for ((cr, crawl_time), destroy_time) in lane.into_iter().zip(times) {
            let line = format!(
                "crawler: {:<20} {:>3} pages, {:>3} clicks, {:>3} destructive clicks; crawl {:.1} s (axe {:.1} s), destructive {:.1} s",
                cr.user,
                cr.pages,
                cr.clicks,
                cr.destructive,
                crawl_time.as_secs_f64(),
                cr.axe_time.as_secs_f64(),
                destroy_time.as_secs_f64()
            );
            println!("{line}");
            report.push(line);
            failures.extend(cr.failures.iter().cloned());
            failures.extend(buttons_missed(&cr));
            tag_buttons.extend(cr.pressed.iter().filter(|p| p.contains("/tasks/tags/")).cloned());
        }
    }
    // The tags page's Rename and Delete (with its confirmation), on the tags of a department's
    // roles (`make_objects`). Helen and Carl share Sales' page, and whichever lane gets there first
    // may delete every tag on it, so the check is that some role pressed each, not every one.
    for (button, what) in [("Rename", "/tasks/tags/"), ("Delete", "/delete")] {
        if !tag_buttons.iter().any(|p| p.starts_with(button) && p.contains(what)) {
            failures.push(format!("no role clicked {button} on the tags page; tag buttons clicked: {tag_buttons:?}"));
        }
    }
    for b in [b1, b0] {
        b.close().await;
    }
    println!(
        "crawler: data {:.1} s, crawl {:.1} s, in all {:.1} s",
        seeded.as_secs_f64(),
        (crawled - seeded).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "the crawler found {} problem(s):\n{}\n\n{}",
        failures.len(),
        failures.join("\n"),
        report.join("\n")
    );
}
