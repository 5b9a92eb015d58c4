//! An HTTP client with a cookie jar that carries the session and sends the CSRF token like the
//! browser does (hidden field for forms, `X-CSRF-Token` header for htmx).

use std::sync::Mutex;

use reqwest::redirect::Policy;

use super::html::Page;
use super::sse::SseStream;

pub struct TestClient {
    pub base: String,
    pub http: reqwest::Client,
    csrf: Mutex<String>,
}

impl TestClient {
    pub fn new(base: &str) -> TestClient {
        let http = reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client");
        TestClient { base: base.to_string(), http, csrf: Mutex::new(String::new()) }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Page::new(status, headers, body)
    }

    /// A GET whose answer is a file: status, headers and the bytes as they came.
    pub async fn get_bytes(&self, path: &str) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        let (status, headers) = (r.status(), r.headers().clone());
        (status, headers, r.bytes().await.map(|b| b.to_vec()).unwrap_or_default())
    }

    /// A full-page GET (no redirect following).
    pub async fn get(&self, path: &str) -> Page {
        let p = Self::page(self.http.get(self.url(path)).send().await.expect("GET")).await;
        self.remember_csrf(&p);
        p
    }

    /// A GET as htmx sends it for a fragment.
    pub async fn hx_get(&self, path: &str) -> Page {
        Self::page(self.http.get(self.url(path)).header("HX-Request", "true").send().await.expect("GET")).await
    }

    /// GET, following redirects within the site (like a browser after a form post).
    pub async fn follow(&self, path: &str) -> Page {
        let mut path = path.to_string();
        for _ in 0..5 {
            let p = self.get(&path).await;
            match p.header("location") {
                Some(loc) if p.status.is_redirection() => path = loc,
                _ => return p,
            }
        }
        panic!("too many redirects from {path}");
    }

    fn remember_csrf(&self, p: &Page) {
        if let Some(t) = p.attr("input[name=csrf_token]", "value")
            && let Ok(mut c) = self.csrf.lock()
        {
            *c = t;
        }
    }

    pub fn csrf(&self) -> String {
        self.csrf.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Logs in through the real login form; panics if it fails.
    pub async fn login(&self, username: &str, password: &str) {
        let p = self.try_login(username, password).await;
        assert_eq!(p.status, 303, "login as {username} failed: {}", p.body);
        // Load a page so the session's CSRF token is known.
        let home = self.get("/").await;
        assert_eq!(home.status, 200, "home page after login: {}", home.body);
    }

    /// Posts the login form and returns the answer (303 on success, 422/429 otherwise).
    pub async fn try_login(&self, username: &str, password: &str) -> Page {
        self.get("/login").await;
        self.post_form("/login", &[("username", username), ("password", password)]).await
    }

    /// A form post as a browser sends it: same-origin `Origin`, CSRF token in the form.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut fields: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        fields.push(("csrf_token".into(), self.csrf()));
        let body = serde_html_form::to_string(&fields).expect("encode form");
        let r = self
            .http
            .post(self.url(path))
            .header("Origin", &self.base)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        let p = Self::page(r).await;
        self.remember_csrf(&p);
        p
    }

    /// A multipart form post with files (`(field, file name, content type, bytes)`), as a browser sends
    /// a form with `enctype="multipart/form-data"`.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, Vec<u8>)],
    ) -> Page {
        let mut form = reqwest::multipart::Form::new().text("csrf_token", self.csrf());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (field, name, ct, bytes) in files {
            let part =
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()).mime_str(ct).expect("mime");
            form = form.part(field.to_string(), part);
        }
        let r = self.http.post(self.url(path)).header("Origin", &self.base).multipart(form).send().await.expect("POST");
        Self::page(r).await
    }

    /// A post as htmx sends it: token in the `X-CSRF-Token` header.
    pub async fn hx_post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = serde_html_form::to_string(form).expect("encode form");
        let r = self
            .http
            .post(self.url(path))
            .header("Origin", &self.base)
            .header("HX-Request", "true")
            .header("X-CSRF-Token", self.csrf())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        Self::page(r).await
    }

    /// Any request, fully under the caller's control (for negative tests).
    pub async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Page {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self.http.request(m, self.url(path)).body(body);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        Self::page(rb.send().await.expect("request")).await
    }

    /// Opens the live stream (`/events`). When it is open (200), it returns once the stream's first
    /// frame arrived, that is once the stream is subscribed: nothing published afterwards is missed.
    pub async fn sse(&self) -> SseStream {
        let r =
            self.http.get(self.url("/events")).header("Accept", "text/event-stream").send().await.expect("GET /events");
        SseStream::open(r).await
    }
}
