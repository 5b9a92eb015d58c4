//! The public intake routes. None needs a login; the CSRF layer lets them through (they are
//! `routes::CSRF_EXEMPT`) after `admit` (per-address limit) and with the intake's body cap.

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, IntoResponse, Request, Response, handler};

use super::fields::{self, Posted};
use super::{ClientIp, Source, token};
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::requests::create::{Submission, create_incoming};
use crate::views::contact_form as view;

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = text.with_content_type("text/plain; charset=utf-8").into_response();
    r.set_status(status);
    r
}

/// The fields of an url-encoded body. Bytes that are not UTF-8 become U+FFFD (never a panic).
async fn pairs(body: Body) -> Result<Vec<(String, String)>, AppError> {
    let bytes = body.into_vec().await.map_err(|e| AppError::BadRequest(format!("could not read the form: {e}")))?;
    serde_html_form::from_bytes::<Vec<(String, String)>>(&bytes)
        .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))
}

fn submission(p: &Posted, source: i64, country: String, city: String) -> Submission {
    Submission {
        name: p.name.split_whitespace().collect::<Vec<_>>().join(" "),
        email: p.email.trim().to_string(),
        subject: p.subject.trim().to_string(),
        phone: p.phone.trim().to_string(),
        company: p.company.trim().to_string(),
        message: p.message.trim().to_string(),
        website: String::new(),
        country,
        city,
        lead_source_id: source,
    }
}

/// `POST /add-request/` (§6.3): the original's server-to-server API. Invalid fields → 409, a banned
/// company name → 200 with nothing stored, an unknown lead source token → 401, a stop phrase → 200
/// with nothing stored, else the request is made → 200. (Other methods get 405 from the router.)
/// Unlike the original, no administrator is emailed per bad post: a flood must not become a mail flood.
#[handler]
pub async fn add_request(state: Data<&AppState>, body: Body) -> AppResult<Response> {
    let Ok(pairs) = pairs(body).await else {
        return Ok(plain(StatusCode::CONFLICT, "Invalid request form data."));
    };
    let p = Posted::read(pairs);
    if !fields::validate(&p, true).is_empty() {
        return Ok(plain(StatusCode::CONFLICT, "Invalid request form data."));
    }
    if super::spam::banned(&state.db, &p.company).await? {
        return Ok(plain(StatusCode::OK, "OK"));
    }
    let Some(source) = super::source(&state.db, p.leadsource_token.trim()).await? else {
        return Ok(plain(StatusCode::UNAUTHORIZED, "Unauthorized request."));
    };
    state.intake.hit_source(source.id)?;
    if super::spam::stop_phrase(&state.db, &p.subject, &p.message).await?.is_some() {
        return Ok(plain(StatusCode::OK, "OK"));
    }
    // The API path takes the posted country and city (§6.3: geolocation is the form's).
    create_incoming(&state, submission(&p, source.id, p.country.trim().to_string(), p.city.trim().to_string())).await?;
    Ok(plain(StatusCode::OK, "OK"))
}

async fn known(state: &AppState, token: &str) -> AppResult<Source> {
    super::source(&state.db, token).await?.ok_or(AppError::NotFound)
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A page of the hosted form: its own CSP, framable by the lead source's origins.
fn framable(state: &AppState, source: &Source, m: maud::Markup, status: StatusCode) -> Response {
    let mut r = m.into_response();
    r.set_status(status);
    let csp = super::form_csp(&source.origins, state.config.intake.captcha.as_ref());
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert("Content-Security-Policy", v);
    }
    r
}

fn form_view<'a>(state: &'a AppState, source: &'a Source, fill: String, preview: bool) -> view::FormView<'a> {
    view::FormView {
        action: format!("/contact-form/{}/", source.token),
        source: &source.name,
        fill,
        captcha: state.config.intake.captcha.as_ref(),
        preview,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    pub preview: String,
}

/// `GET /contact-form/:token/`: the form (404 for an unknown token).
#[handler]
pub async fn form(
    state: Data<&AppState>,
    Path(tok): Path<String>,
    crate::web::Query(q): crate::web::Query<FormQuery>,
) -> AppResult<Response> {
    let source = known(&state, &tok).await?;
    let key = state.intake.key(&state.db).await?;
    let fill = token::issue(&key, source.id, now_secs());
    let v = form_view(&state, &source, fill, !q.preview.is_empty());
    Ok(framable(&state, &source, view::page(&v, &Posted::default(), &FormErrors::default()), StatusCode::OK))
}

/// The origin a cross-origin caller may read answers from: one of the lead source's.
fn cors_origin(req: &Request, source: &Source) -> Option<String> {
    req.header(header::ORIGIN).filter(|o| source.origins.iter().any(|a| a == o)).map(str::to_string)
}

fn with_cors(mut r: Response, origin: Option<&str>) -> Response {
    r.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(v) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    r
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    let mut r = v.to_string().with_content_type("application/json").into_response();
    r.set_status(status);
    r
}

/// What a form post answers: JSON for the embed script (`Accept: application/json`), else pages.
struct Answer<'a> {
    state: &'a AppState,
    source: &'a Source,
    json: bool,
    cors: Option<String>,
}

impl Answer<'_> {
    fn thanks(&self, name: &str) -> Response {
        let message = view::thanks_text(name);
        let r = if self.json {
            json(StatusCode::OK, serde_json::json!({ "ok": true, "message": message }))
        } else {
            framable(self.state, self.source, view::thanks(&message), StatusCode::OK)
        };
        with_cors(r, self.cors.as_deref())
    }

    fn invalid(&self, p: &Posted, errs: &FormErrors, fill: String) -> Response {
        let r = if self.json {
            let list: Vec<serde_json::Value> =
                errs.0.iter().map(|(f, m)| serde_json::json!({ "field": f, "message": m })).collect();
            json(StatusCode::UNPROCESSABLE_ENTITY, serde_json::json!({ "ok": false, "errors": list }))
        } else {
            let v = form_view(self.state, self.source, fill, false);
            framable(self.state, self.source, view::page(&v, p, errs), StatusCode::UNPROCESSABLE_ENTITY)
        };
        with_cors(r, self.cors.as_deref())
    }

    fn refused(&self, status: StatusCode, message: &str) -> Response {
        let r = if self.json {
            json(status, serde_json::json!({ "ok": false, "message": message }))
        } else {
            framable(self.state, self.source, view::message_page("Not sent", message), status)
        };
        with_cors(r, self.cors.as_deref())
    }
}

/// `POST /contact-form/:token/`: the hosted form's and the embed script's submission.
#[handler]
pub async fn submit(state: Data<&AppState>, req: &Request, Path(tok): Path<String>, body: Body) -> AppResult<Response> {
    let state: &AppState = &state;
    let source = known(state, &tok).await?;
    let json = req.header(header::ACCEPT).is_some_and(|a| a.contains("application/json"));
    let a = Answer { state, source: &source, json, cors: cors_origin(req, &source) };
    // A browser says where the post comes from: only the CRM and the listed origins may submit.
    if let Some(o) = req.header(header::ORIGIN)
        && o != state.config.origin()
        && a.cors.is_none()
    {
        return Ok(a.refused(StatusCode::FORBIDDEN, "This form does not accept requests from this site."));
    }
    if let Err(AppError::TooManyRequests(m, wait)) = state.intake.hit_source(source.id) {
        return Ok(crate::web::too_many_requests(a.refused(StatusCode::TOO_MANY_REQUESTS, &m), wait));
    }
    let Ok(pairs) = pairs(body).await else {
        return Ok(a.refused(StatusCode::BAD_REQUEST, "The form could not be read."));
    };
    let p = Posted::read(pairs);
    let key = state.intake.key(&state.db).await?;
    let c = &state.config.intake;
    let fill_ok = token::check(
        &key,
        source.id,
        p.fill.trim(),
        now_secs(),
        c.min_fill.as_secs() as i64,
        c.max_form_age.as_secs() as i64,
    );
    if !p.honeypot.is_empty() || fill_ok.is_err() {
        tracing::debug!(source = source.id, honeypot = !p.honeypot.is_empty(), fill = ?fill_ok.err(), "web form: bot");
        return Ok(a.thanks(&p.name));
    }
    let mut errs = fields::validate(&p, false);
    if errs.is_empty()
        && let Some(captcha) = &c.captcha
    {
        let ip = req.extensions().get::<ClientIp>().and_then(|c| c.0);
        if !super::captcha::verify(captcha, p.captcha.trim(), ip).await {
            errs.add("_form", "Sorry, invalid captcha. Please try again or send an email.");
        }
    }
    if !errs.is_empty() {
        return Ok(a.invalid(&p, &errs, p.fill.clone()));
    }
    if super::spam::banned(&state.db, &p.company).await?
        || super::spam::stop_phrase(&state.db, &p.subject, &p.message).await?.is_some()
    {
        return Ok(a.thanks(&p.name));
    }
    let place = state.intake.locate(req.extensions().get::<ClientIp>().and_then(|c| c.0));
    create_incoming(state, submission(&p, source.id, place.country, place.city)).await?;
    Ok(a.thanks(&p.name))
}

/// The embed script's code; `embed` appends its settings as the call's argument.
const EMBED_JS: &str = include_str!("../../../assets/embed/contact-form.js");

/// `GET /contact-form/:token/embed.js`: renders the form where the `<script>` tag stands and posts
/// it with `fetch`. Readable cross-origin (CORS) by the lead source's origins only.
#[handler]
pub async fn embed(state: Data<&AppState>, req: &Request, Path(tok): Path<String>) -> AppResult<Response> {
    let source = known(&state, &tok).await?;
    let key = state.intake.key(&state.db).await?;
    let captcha = state.config.intake.captcha.as_ref().map(|c| {
        serde_json::json!({
            "script": super::captcha::script(c),
            "class": super::captcha::widget_class(c),
            "siteKey": c.site_key,
        })
    });
    let fields: Vec<serde_json::Value> = fields::FORM
        .iter()
        .map(|(name, label, kind, auto)| serde_json::json!({ "name": name, "label": label, "type": kind, "autocomplete": auto }))
        .collect();
    let settings = serde_json::json!({
        "action": format!("{}/contact-form/{}/", state.config.base_url, source.token),
        "fill": token::issue(&key, source.id, now_secs()),
        "fillName": fields::FILL,
        "honeypot": fields::HONEYPOT,
        "fields": fields,
        "messageLabel": "Message",
        "submitLabel": "Send",
        "sendingLabel": "Sending…",
        "failed": "The form could not be sent. Please try again in a minute.",
        "captcha": captcha,
    });
    // `</script>` and `<!--` cannot occur: serde_json writes `<` as is, so escape it for safety in
    // case the file is ever inlined.
    let settings = settings.to_string().replace('<', "\\u003c");
    let code = format!("{EMBED_JS}({settings});\n");
    let r = code.with_content_type("text/javascript; charset=utf-8").into_response();
    Ok(with_cors(r, cors_origin(req, &source).as_deref()))
}
