//! The administrators' lists for intake and matching (inventory §2.7: StopPhrase,
//! BannedCompanyName, PublicEmailDomain): `/admin/stop-phrases`, `/admin/banned-company-names` and
//! `/admin/public-email-domains`, each one list (searched, a page at a time) with an add form and a
//! remove button, described by a `List` and served by the same three handlers. Under `/admin/`, so
//! everyone else gets 404 before a handler runs.
//!
//! Operators keep the stop phrases and the public email domains too (inventory §3: "also on the CRM
//! site for operators"): the same handlers serve them at `/requests/stop-phrases` and
//! `/requests/public-email-domains` to whoever `access::manages_intake_lists` admits (403 for the
//! others); a page's forms and links use the path it was reached by. Banned company names stay
//! administrators' only.

use poem::web::{Data, Path};
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response, handler};
use sea_query::{Expr, ExprTrait, LikeExpr, Order, Query};

use crate::access::Viewer;
use crate::app::AppState;
use crate::error::{AppError, AppResult, FormErrors};
use crate::htmx::HxRequest;
use crate::paging::{self, Paged};
use crate::views::contact_form::{SpamList, spam_list};
use crate::views::layout::Nav;
use crate::web::{self, Form, Query as UrlQuery};

/// One list: its table (which also names its URL and title: `public_email_domains` is
/// `/admin/public-email-domains`, "Public email domains"; for operators `/requests/…`), the column shown, the look-up column
/// (unique; the order and what a search reads: `col` itself when values are stored in their
/// look-up form), what the page says, and how a typed value is cleaned and folded.
struct List {
    table: &'static str,
    col: &'static str,
    key: &'static str,
    clean: fn(&str) -> Result<String, String>,
    fold: fn(&str) -> String,
    /// (singular, plural), the field's label and help, the sentence under the title.
    noun: (&'static str, &'static str),
    label: &'static str,
    help: &'static str,
    about: &'static str,
    /// Shows each entry's last occurrence (`last_occurrence_at`).
    stamped: bool,
    /// Has a `created_at` column.
    dated: bool,
    /// Also kept by operators, at `/requests/…` (`access::manages_intake_lists`).
    operators: bool,
}

impl List {
    const fn new(table: &'static str, col: &'static str, key: &'static str) -> List {
        List {
            table,
            col,
            key,
            clean: |s| text(s, 200),
            fold: super::spam::key,
            noun: ("entry", "entries"),
            label: "",
            help: "",
            about: "",
            stamped: false,
            dated: true,
            operators: false,
        }
    }
    const fn says(self, noun: (&'static str, &'static str), label: &'static str, help: &'static str) -> List {
        List { noun, label, help, ..self }
    }
    const fn about(self, about: &'static str) -> List {
        List { about, ..self }
    }
    const fn checked(self, clean: fn(&str) -> Result<String, String>, fold: fn(&str) -> String) -> List {
        List { clean, fold, ..self }
    }
    const fn stamped(self) -> List {
        List { stamped: true, ..self }
    }
    const fn undated(self) -> List {
        List { dated: false, ..self }
    }
    const fn for_operators(self) -> List {
        List { operators: true, ..self }
    }
    /// The URL's last segment: `public-email-domains`.
    fn slug(&self) -> String {
        self.table.replace('_', "-")
    }
    fn title(&self) -> String {
        let t = self.table.replace('_', " ");
        let mut c = t.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
    }
}

const STOP: List = List::new("stop_phrases", "phrase", "phrase_key")
    .says(("phrase", "phrases"), "Phrase", "At most 100 characters. Matched ignoring case.")
    .checked(|s| text(s, 100), super::spam::key)
    .about("A web-form request whose subject or message contains one of these is dropped (the visitor is thanked as usual).")
    .stamped()
    .for_operators();

const BANNED: List = List::new("banned_company_names", "name", "name_key")
    .says(("name", "names"), "Company name", "At most 50 characters. Matched ignoring case.")
    .checked(|s| text(s, 50), super::spam::key)
    .about("A web-form request whose company contains one of these is dropped (the API still answers 200).");

const DOMAINS: List = List::new("public_email_domains", "domain", "domain")
    .says(("domain", "domains"), "Domain", "A domain name such as gmail.com (without the @), stored in lower case.")
    .checked(domain, str::to_lowercase)
    .about("Mail providers anyone can use: a request from an address at one of these is not linked to a company by the address's domain.")
    .undated()
    .for_operators();

const LISTS: [&List; 3] = [&STOP, &BANNED, &DOMAINS];

/// Where a list's page was reached: the administrators' area or the requests section (operators).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Area {
    Admin,
    Requests,
}

impl Area {
    fn prefix(self) -> &'static str {
        match self {
            Area::Admin => "/admin/",
            Area::Requests => "/requests/",
        }
    }
    /// The lists this area offers.
    fn lists(self) -> impl Iterator<Item = &'static List> {
        LISTS.into_iter().filter(move |l| self == Area::Admin || l.operators)
    }
}

/// What every handler here starts from: the viewer, the list the path names, and where it was
/// reached. Under `/admin/` an administrator (anyone else: 404, as the `/admin/` layer already
/// answers); under `/requests/` whoever `access::manages_intake_lists` admits (anyone else: 403).
pub struct At {
    viewer: Viewer,
    hx: HxRequest,
    list: &'static List,
    area: Area,
    /// The list's URL as reached: `/admin/stop-phrases` or `/requests/stop-phrases`.
    url: String,
}

impl<'a> FromRequest<'a> for At {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let viewer = Viewer::from_request(req, body).await?;
        let path = req.uri().path();
        let area = [Area::Admin, Area::Requests]
            .into_iter()
            .find(|a| path.starts_with(a.prefix()))
            .ok_or(AppError::NotFound)?;
        match area {
            Area::Admin => crate::access::require_admin_area(&viewer)?,
            Area::Requests if !crate::access::manages_intake_lists(&viewer) => return Err(AppError::Forbidden.into()),
            Area::Requests => {}
        }
        let slug = path[area.prefix().len()..].split('/').next().unwrap_or_default();
        let list = area.lists().find(|l| l.slug() == slug).ok_or(AppError::NotFound)?;
        let url = format!("{}{}", area.prefix(), list.slug());
        let hx = HxRequest::from_request(req, body).await?;
        Ok(At { viewer, hx, list, area, url })
    }
}

/// A phrase or name: spaces collapsed, required, at most `max` characters.
fn text(s: &str, max: usize) -> Result<String, String> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.chars().count() {
        0 => Err("This field is required.".into()),
        n if n > max => Err(format!("At most {max} characters.")),
        _ => Ok(t),
    }
}

/// A mail domain as addresses carry it after the "@": lower-cased (a typed "@" and final dot
/// dropped); at least two labels of letters, digits and inner hyphens, each at most 63
/// characters, 200 in all (the column).
pub fn domain(s: &str) -> Result<String, String> {
    let typed = s.trim();
    let d = typed.trim_start_matches('@').trim_end_matches('.').to_lowercase();
    if d.is_empty() {
        return Err("This field is required.".into());
    }
    let label = |l: &str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if d.chars().count() <= 200 && d.contains('.') && d.split('.').all(label) {
        Ok(d)
    } else {
        Err(format!("\u{201c}{typed}\u{201d} is not a domain name: type one such as gmail.com."))
    }
}

/// The list's search and page (`?q=…&page=…`).
#[derive(serde::Deserialize, Default)]
pub struct Shown {
    #[serde(default)]
    q: String,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    page: Option<u32>,
}

type Row = (i64, String, Option<chrono::DateTime<chrono::Utc>>);

async fn render(state: &AppState, at: &At, shown: &Shown, value: &str, errs: &FormErrors) -> AppResult<maud::Markup> {
    let l = at.list;
    let q: String = shown.q.trim().chars().take(100).collect();
    let page = paging::page_number(shown.page);
    let mut sel = Query::select();
    sel.columns(["id", l.col]).from(l.table);
    if !q.is_empty() {
        sel.and_where(Expr::col(l.key).like(LikeExpr::new(crate::db::like_pattern(&(l.fold)(&q))).escape('\\')));
    }
    sel.order_by(l.key, Order::Asc).order_by("id", Order::Asc).limit(paging::WINDOW).offset(paging::offset(page));
    let rows: Vec<Row> = if l.stamped {
        state.db.fetch_all(sel.column("last_occurrence_at")).await?
    } else {
        let r: Vec<(i64, String)> = state.db.fetch_all(&sel).await?;
        r.into_iter().map(|(id, t)| (id, t, None)).collect()
    };
    let rows = Paged::window(rows, page);
    let nav = match at.area {
        Area::Admin => Nav::Dictionaries,
        Area::Requests => Nav::Crm(crate::access::ItemKind::Request),
    };
    let cx = web::page_cx(state, &at.viewer, nav, at.hx).await?;
    let title = l.title();
    let lists: Vec<(String, String)> =
        at.area.lists().map(|o| (format!("{}{}", at.area.prefix(), o.slug()), o.title())).collect();
    let view = SpamList {
        title: &title,
        about: l.about,
        url: &at.url,
        lists: &lists,
        label: l.label,
        help: l.help,
        noun: l.noun,
        rows: &rows,
        q: &q,
        stamped: l.stamped,
    };
    Ok(spam_list(&cx, &view, value, errs))
}

/// `GET` a list (`?q=` searches it, `?page=` pages it).
#[handler]
pub async fn index(state: Data<&AppState>, at: At, UrlQuery(shown): UrlQuery<Shown>) -> AppResult<Response> {
    Ok(render(&state, &at, &shown, "", &FormErrors::default()).await?.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Added {
    text: String,
}

/// `POST` to a list: adds an entry (422 with the message when it is not valid or already listed).
#[handler]
pub async fn add(state: Data<&AppState>, at: At, Form(f): Form<Added>) -> AppResult<Response> {
    let l = at.list;
    let mut errs = FormErrors::default();
    match (l.clean)(&f.text) {
        Err(m) => errs.add("text", m),
        Ok(value) => {
            let mut row: Vec<(&str, sea_query::SimpleExpr)> = vec![(l.col, value.clone().into())];
            if l.dated {
                row.push(("created_at", crate::db::now().into()));
            }
            if l.key != l.col {
                row.push((l.key, (l.fold)(&value).into()));
            }
            let (cols, values): (Vec<_>, Vec<_>) = row.into_iter().unzip();
            let insert = Query::insert().into_table(l.table).columns(cols).values_panic(values).to_owned();
            let mut tx = state.db.begin().await?;
            match tx.execute(&insert).await {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(crate::htmx::redirect(at.hx, &at.url));
                }
                Err(e) if crate::db::is_unique_violation(&e) => errs.add("text", "This is listed already."),
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(web::invalid(render(&state, &at, &Shown::default(), f.text.trim(), &errs).await?))
}

/// `POST …/:id/delete`.
#[handler]
pub async fn remove(state: Data<&AppState>, at: At, Path(id): Path<i64>) -> AppResult<Response> {
    let l = at.list;
    let n = state.db.execute(&Query::delete().from_table(l.table).and_where(Expr::col("id").eq(id)).to_owned()).await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(crate::htmx::redirect(at.hx, &at.url))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_domain_is_lower_cased_and_checked() {
        let good = [
            (" @Mail.Example.COM. ", "mail.example.com"),
            ("почта.рф", "почта.рф"),
            ("xn--p1ai.xn--p1ai", "xn--p1ai.xn--p1ai"),
        ];
        for (typed, stored) in good {
            assert_eq!(super::domain(typed).as_deref(), Ok(stored));
        }
        let long = format!("{}.com", "a".repeat(64));
        let bad =
            ["", "gmail", "a..b", "-a.com", "a-.com", "a b.com", "user@gmail.com", "gmail.com/x", "a_b.com", &long];
        for typed in bad {
            assert!(super::domain(typed).is_err(), "{typed:?}");
        }
    }
}
