//! The email list (§7.5): the emails the viewer may see (`access::scope`, as every CRM list), in a
//! mailbox (inbox, sent, outbox = unsent drafts, trash; without one, every box but the trash), by
//! owner, searched in to, cc, from, subject and content through the CRM's search index (a number
//! also finds the email with that IMAP UID), newest first, a page at a time; the menu's "outbox (N)".

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use serde::Deserialize;

use super::kind::{Mailbox, SPEC};
use crate::access::{self, ItemKind, ListKind, Viewer};
use crate::app::AppState;
use crate::crm::list::{self as crm_list, Filter};
use crate::crm::record::{Ty, Val};
use crate::crm::repo::{self, Names, Record};
use crate::db::Db;
use crate::error::AppResult;
use crate::htmx::HxRequest;
use crate::paging::{self, Paged, Total};
use crate::views;
use crate::web::{self, Query as Q};

/// The list's query string: the shared CRM filter (search, owner, department, page) and the box.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct EmailFilter {
    #[serde(flatten)]
    pub base: Filter,
    /// "" (every box but the trash) or a `Mailbox` slug.
    #[serde(default, rename = "box")]
    pub mailbox: String,
}

impl EmailFilter {
    pub fn query(&self, page: u64) -> String {
        let pairs = [
            ("box", self.mailbox.clone()),
            ("q", self.base.q.clone()),
            ("owner", self.base.owner.clone()),
            ("department", self.base.department.clone()),
            ("page", if page > 1 { page.to_string() } else { String::new() }),
        ];
        crate::views::ui::query(&pairs)
    }
    pub fn mailbox(&self) -> Option<Mailbox> {
        Mailbox::from_slug(&self.mailbox)
    }
}

/// A number typed in the search box: also an IMAP UID (§7.5 searches the UID).
fn uid_search(q: &str) -> Option<i64> {
    let t = q.trim();
    (!t.is_empty() && t.len() <= 18 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok()).flatten()
}

/// The rows `v` may see with the filter's conditions, before order and window.
pub async fn filtered(db: &Db, v: &Viewer, f: &EmailFilter, q: SelectStatement) -> AppResult<SelectStatement> {
    let t = "crm_emails";
    let mut q = match uid_search(&f.base.q) {
        Some(uid) => {
            // The words' condition or the UID, with every other filter as usual.
            let base = Filter { q: String::new(), ..f.base.clone() };
            let mut q = crm_list::filtered(db, v, &SPEC, &base, q).await?;
            let (words, _) = crate::crm::search::words_filter(
                db,
                &SPEC,
                &[f.base.q.trim().to_lowercase()],
                crate::crm::search::LIMITS,
            )
            .await?;
            q.and_where(Expr::col((t, "uid")).eq(uid).or(words));
            q
        }
        None => crm_list::filtered(db, v, &SPEC, &f.base, q).await?,
    };
    if crate::crm::list::id_search(&f.base.q).is_some() {
        return Ok(q);
    }
    match f.mailbox() {
        Some(b) => q.and_where(b.condition()),
        None => q.and_where(Expr::col((t, "trash")).eq(false)),
    };
    Ok(q)
}

/// The columns the list shows.
const SHOWN: &[&str] = &[
    "subject",
    "from_field",
    "to",
    "deal_id",
    "request_id",
    "contact_id",
    "company_id",
    "lead_id",
    "sent",
    "incoming",
    "trash",
    "inquiry",
    "ticket",
    "uid",
];

/// One email of a list: the record and its date.
pub struct Row {
    pub record: Record,
    pub date: chrono::DateTime<chrono::Utc>,
    pub files: bool,
}

/// Reads emails as rows (the shown fields, the date, whether it has files), in the query's order:
/// one query (`select`).
pub async fn rows(db: &Db, q: SelectStatement, tys: Vec<Ty>) -> AppResult<Vec<Row>> {
    let mut tys = tys;
    tys.extend([Ty::Time, Ty::Bool]);
    let mut out = Vec::new();
    for mut vals in db.fetch_values(&q, &tys).await? {
        let files = vals.pop().is_some_and(|v| v.flag());
        let date = match vals.pop() {
            Some(Val::Time(t)) => t,
            _ => chrono::Utc::now(),
        };
        out.push(Row { record: repo::record_of(vals), date, files });
    }
    Ok(out)
}

/// The query of the shown columns, the date and whether the email has files.
pub fn select() -> (SelectStatement, Vec<Ty>) {
    let (mut q, tys) = repo::select_only(&SPEC, SHOWN);
    let files = Query::select()
        .expr(Expr::val(1))
        .from("attachments")
        .and_where(Expr::col(("attachments", "object_type")).eq(ItemKind::Email.slug()))
        .and_where(Expr::col(("attachments", "object_id")).equals(("crm_emails", "id")))
        .to_owned();
    q.column(("crm_emails", "created_at")).expr(Expr::exists(files));
    (q, tys)
}

/// One page, newest first (`ix_crm_emails_department_date` or `ix_crm_emails_owner_date` walked
/// backwards).
pub async fn page(db: &Db, v: &Viewer, f: &EmailFilter) -> AppResult<Paged<Row>> {
    let (q, tys) = page_query(db, v, f).await?;
    Ok(Paged::window(rows(db, q, tys).await?, paging::page_number(f.base.page)))
}

/// The query of one page (tests read its plan).
pub async fn page_query(db: &Db, v: &Viewer, f: &EmailFilter) -> AppResult<(SelectStatement, Vec<Ty>)> {
    let page = paging::page_number(f.base.page);
    let (q, tys) = select();
    let mut q = filtered(db, v, f, q).await?;
    q.order_by(("crm_emails", "created_at"), Order::Desc)
        .order_by(("crm_emails", "id"), Order::Desc)
        .limit(paging::WINDOW)
        .offset(paging::offset(page));
    Ok((q, tys))
}

/// How many emails the filter finds (bounded).
pub async fn total(db: &Db, v: &Viewer, f: &EmailFilter) -> AppResult<Total> {
    let q = Query::select().column(("crm_emails", "id")).from("crm_emails").to_owned();
    let q = filtered(db, v, f, q).await?;
    Ok(paging::bounded_count(db, q).await?)
}

/// §3.4 "outbox (N)": the viewer's unsent drafts (bounded like every menu counter).
pub async fn outbox_count(db: &Db, v: &Viewer) -> AppResult<u64> {
    if !access::reads_crm(v, ItemKind::Email) {
        return Ok(0);
    }
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from("crm_emails")
        .and_where(Expr::col(("crm_emails", "owner_id")).eq(v.id))
        .and_where(Mailbox::Outbox.condition());
    access::scope(v, ListKind::Crm(ItemKind::Email), &mut q)?;
    Ok(crate::counters::bounded(db, q).await?)
}

/// Everything the list's view needs.
pub struct ListData {
    pub filter: EmailFilter,
    pub page: Paged<Row>,
    pub names: Names,
    pub departments: Vec<(i64, String)>,
    /// Other owners the viewer may pick in the owner filter.
    pub owners: Vec<(i64, String)>,
    pub outbox: u64,
    /// The viewer may write emails (in some department): "Write email".
    pub can_write: bool,
}

async fn data(state: &AppState, v: &Viewer, f: EmailFilter) -> AppResult<ListData> {
    let page = page(&state.db, v, &f).await?;
    let records: Vec<&Record> = page.items.iter().map(|r| &r.record).collect();
    let names = crate::crm::choices::names(&state.db, &SPEC, &records).await?;
    let departments = crate::crm::handlers::department_filter(state, v, &SPEC).await?;
    let outbox = outbox_count(&state.db, v).await?;
    let owners = owners(&state.db, v).await?;
    let can_write = !crate::crm::handlers::creatable_departments(state, v, ItemKind::Email).await?.is_empty();
    Ok(ListData { filter: f, page, names, departments, owners, outbox, can_write })
}

/// The people of the viewer's departments (every active user for those who see every department).
async fn owners(db: &Db, v: &Viewer) -> AppResult<Vec<(i64, String)>> {
    let mut q = Query::select();
    q.column("id")
        .expr(Expr::cust("TRIM(first_name || ' ' || last_name)"))
        .from("users")
        .and_where(Expr::col("is_active").eq(true))
        .order_by("first_name", Order::Asc)
        .limit(200);
    if !access::crm_sees_all_departments(v, ItemKind::Email) {
        q.and_where(Expr::col("department_id").is_in(v.departments.clone()));
    }
    Ok(db.fetch_all(&q).await?)
}

/// `GET /emails`.
#[handler]
pub async fn index(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Q(f): Q<EmailFilter>) -> AppResult<Response> {
    let d = data(&state, &viewer, f).await?;
    if hx.0 {
        return Ok(views::emails::list(&viewer, &d).into_response());
    }
    let cx = web::page_cx(&state, &viewer, views::layout::Nav::Crm(ItemKind::Email), hx).await?;
    Ok(views::emails::index(&cx, &d).into_response())
}

/// `GET /emails/total?<filters>`.
#[handler]
pub async fn count(state: Data<&AppState>, viewer: Viewer, Q(f): Q<EmailFilter>) -> AppResult<maud::Markup> {
    let key = format!("email{}", f.query(1));
    let n = state.totals.get(viewer.id, key, total(&state.db, &viewer, &f)).await?;
    Ok(views::ui::page_info(paging::page_number(f.base.page), Some(n), views::ui::Noun("email", "emails")))
}
