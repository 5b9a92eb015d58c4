//! Static assets, embedded in the binary and served under content-hash URLs
//! (`/assets/<hash>/app.css`) with a one-year immutable cache: a new build gives new URLs.

use std::sync::LazyLock;

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Path;
use poem::{Response, handler};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
    hash: String,
}

macro_rules! asset {
    ($name:literal, $mime:literal) => {
        ($name, $mime, include_bytes!(concat!("../assets/", $name)) as &'static [u8])
    };
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        asset!("htmx.min.js", "text/javascript; charset=utf-8"),
        asset!("htmx-ext-sse.js", "text/javascript; charset=utf-8"),
        asset!("app.js", "text/javascript; charset=utf-8"),
        asset!("picker.js", "text/javascript; charset=utf-8"),
        asset!("board.js", "text/javascript; charset=utf-8"),
        asset!("charts.js", "text/javascript; charset=utf-8"),
        asset!("echarts.min.js", "text/javascript; charset=utf-8"),
        asset!("app.css", "text/css; charset=utf-8"),
        asset!("icons.svg", "image/svg+xml"),
    ]
    .into_iter()
    .map(|(name, mime, body)| Asset { name, mime, body, hash: hex::encode(&Sha256::digest(body)[..6]) })
    .collect()
});

/// The URL of an embedded asset, with its content hash (`/assets/3f2a…/app.css`).
pub fn url(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => format!("/assets/{}/{}", a.hash, a.name),
        None => format!("/assets/missing/{name}"),
    }
}

/// `GET /assets/{hash}/{name}`. A stale hash (a page from before an upgrade) still gets the current
/// file, but without the long cache.
#[handler]
pub fn serve(Path((hash, name)): Path<(String, String)>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return Response::builder().status(StatusCode::NOT_FOUND).body("no such asset");
    };
    let cache = if a.hash == hash { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut r = Response::builder().content_type(a.mime).body(a.body);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}
