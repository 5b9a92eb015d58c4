//! Tests of the route table (`routes.rs`).

use std::sync::Arc;
use std::time::Duration;

use poem::Request;
use poem::http::{StatusCode, header};

use crate::error::AppError;

/// The routes built from `paths` (each kind's shared pages) are the ones `ROUTES` lists, so the
/// CSRF layer and the route sweeps know them.
#[test]
fn every_kind_s_routes_built_from_paths_are_listed() {
    use crate::paths::{self, Sub};
    for k in &crate::kinds::KINDS {
        let mut want = vec![("GET", paths::list(k.kind).to_string()), ("GET", paths::pattern(k.kind, None))];
        for sub in paths::shared_subs(k.kind) {
            let method = if sub == Sub::Reminders { "POST" } else { "GET" };
            want.push((method, paths::pattern(k.kind, Some(sub))));
        }
        if k.parts.stages {
            want.push(("POST", paths::pattern(k.kind, Some(Sub::Stage))));
        }
        for (m, p) in want {
            assert!(super::ROUTES.contains(&(m, p.as_str())), "ROUTES lacks {m} {p}");
        }
    }
}

/// No route returns `AppError::TooManyRequests` yet; whichever does gets `Retry-After` from the
/// error layer, on the page, the htmx toast and the plain-text answer alike.
#[tokio::test]
async fn an_app_error_429_carries_retry_after_in_every_form() {
    let failing = Arc::new(poem::endpoint::make(|_| async {
        Err::<String, poem::Error>(AppError::TooManyRequests("Slow down.".into(), Duration::from_millis(2500)).into())
    }));
    let requests = [
        Request::builder().header(header::ACCEPT, "text/html").finish(),
        Request::builder().header("HX-Request", "true").finish(),
        Request::builder().header(header::ACCEPT, "application/json").finish(),
    ];
    for req in requests {
        let r = super::error_pages(failing.clone(), req).await.unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.header(header::RETRY_AFTER), Some("3"));
    }
}
