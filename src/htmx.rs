//! htmx glue: the request extractor and response helpers.

use poem::{FromRequest, Request, RequestBody, Response, http::HeaderValue};

/// Whether the request came from htmx and wants a fragment rather than a whole page.
/// Boosted navigation and history restores want the whole page, so they count as not-htmx.
#[derive(Clone, Copy, Debug)]
pub struct HxRequest(pub bool);

impl HxRequest {
    pub fn of(req: &Request) -> HxRequest {
        let hx = req.header("HX-Request") == Some("true")
            && req.header("HX-Boosted") != Some("true")
            && req.header("HX-History-Restore-Request") != Some("true");
        HxRequest(hx)
    }
}

impl<'a> FromRequest<'a> for HxRequest {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(HxRequest::of(req))
    }
}

/// A redirect after a successful form post: 303 for plain and boosted forms (htmx follows it and
/// swaps the page), `HX-Location` for fragment requests.
pub fn redirect(hx: HxRequest, to: &str) -> Response {
    let mut r = if hx.0 {
        Response::builder().status(poem::http::StatusCode::NO_CONTENT).finish()
    } else {
        Response::builder().status(poem::http::StatusCode::SEE_OTHER).header("Location", to).finish()
    };
    if hx.0
        && let Ok(v) = HeaderValue::from_str(to)
    {
        r.headers_mut().insert("HX-Redirect", v);
    }
    r
}

/// Adds `HX-Trigger` so listeners elsewhere on the page refresh themselves.
pub fn trigger(mut r: Response, event: &'static str) -> Response {
    r.headers_mut().insert("HX-Trigger", HeaderValue::from_static(event));
    r
}

/// For a page rendered as the answer to a form post (it shows something once, so it cannot be a
/// redirect): the address bar shows `url` instead of the POST's, so reloading asks for `url`.
pub fn address(mut r: Response, url: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(url) {
        r.headers_mut().insert("HX-Replace-Url", v);
    }
    r
}

/// Any htmx request, boosted navigation included (unlike `HxRequest`).
#[derive(Clone, Copy, Debug)]
pub struct HxAny(pub bool);

impl<'a> FromRequest<'a> for HxAny {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(HxAny(req.header("HX-Request") == Some("true")))
    }
}

/// "Go to `to`" for a link that does something first (e.g. marks a notification read): a 303 for
/// a plain browser; for htmx, `HX-Redirect` (a real navigation), so the address bar shows `to`
/// (after a followed 303 it kept the link's own URL, and a reload went the wrong way).
pub fn navigate(hx: HxAny, to: &str) -> Response {
    if !hx.0 {
        return redirect(HxRequest(false), to);
    }
    let mut r = Response::builder().status(poem::http::StatusCode::OK).finish();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert("HX-Redirect", v);
    }
    r
}
