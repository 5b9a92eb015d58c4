//! A CRM kind's list: the rows the viewer may see (`access::scope`), narrowed by the list's filters
//! (search, owner, department), newest first, a page at a time.

use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use serde::Deserialize;

use super::repo::{Record, Spec};
use super::search::Search;
use crate::access::{self, ListKind, Role, Viewer};
use crate::db::Db;
use crate::error::AppResult;
use crate::paging::{self, Paged, Total};

/// The list's query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub q: String,
    /// "" (the viewer's default, see `Filter::owner_default`), "mine", "all", "none" or a user id.
    #[serde(default)]
    pub owner: String,
    /// "" (all the viewer may see) or a department id.
    #[serde(default)]
    pub department: String,
    /// "" or a tag id: the rows with that tag (kinds with tags).
    #[serde(default)]
    pub tag: String,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
    /// "1" after a duplicate was merged away (§11.1): the list says so once (not kept in `query`).
    #[serde(default)]
    pub merged: String,
    /// The deal list's own filters and order (§12.1, §12.4): `super::deal_list`.
    #[serde(flatten)]
    pub deal: super::deal_list::DealFilter,
    /// The extended date filter (§13.9) on the kind's date (payments: the payment date).
    #[serde(flatten)]
    pub period: super::period::DateFilter,
    /// Payments: "" or a status (§13.5).
    #[serde(default)]
    pub status: String,
}

/// Who a list's rows belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    All,
    /// Owned or co-owned by the viewer.
    Mine,
    Nobody,
    User(i64),
}

impl Filter {
    pub fn query(&self, page: u64) -> String {
        let mut pairs = vec![
            ("q", self.q.clone()),
            ("owner", self.owner.clone()),
            ("department", self.department.clone()),
            ("tag", self.tag.clone()),
        ];
        pairs.extend(self.deal.pairs());
        pairs.extend(self.period.pairs());
        pairs.push(("status", self.status.clone()));
        pairs.push(("page", if page > 1 { page.to_string() } else { String::new() }));
        crate::views::ui::query(&pairs)
    }

    /// §3.2: the list shows a user their own rows first, unless they are an administrator, a
    /// superoperator, a task operator, an accountant, or a chief who is not also a manager.
    pub fn owner_default(v: &Viewer) -> Owner {
        let sees_all = v.is(Role::Admin)
            || v.is_superoperator()
            || v.is(Role::TaskOperator)
            || v.is(Role::Accountant)
            || (v.is(Role::Chief) && !v.is(Role::SalesManager));
        if sees_all { Owner::All } else { Owner::Mine }
    }

    pub fn owner(&self, v: &Viewer) -> Owner {
        match self.owner.as_str() {
            "" => Filter::owner_default(v),
            "mine" => Owner::Mine,
            "none" => Owner::Nobody,
            "all" => Owner::All,
            id => id.parse().map(Owner::User).unwrap_or(Owner::All),
        }
    }
}

/// `ID 123`, `id123`: the row with that id (§10), whatever the other filters say.
pub fn id_search(q: &str) -> Option<i64> {
    let t = q.trim();
    let rest = t.get(..2).filter(|p| p.eq_ignore_ascii_case("id")).map(|_| t[2..].trim_start())?;
    rest.parse().ok()
}

/// Has the filter's search box a word search (not an id or a ticket)? Then the list warns that its
/// other filters may hide results (§10).
pub fn words_with_filters(v: &Viewer, spec: &Spec, f: &Filter) -> bool {
    matches!(super::search::parse(&f.q, spec.kind), Search::Words(_))
        && ((spec.owned && f.owner(v) != Owner::All) || f.department.parse::<i64>().is_ok())
}

/// The rows `v` may see with the filter's conditions, before order and window. An id or a ticket
/// (§10) bypasses the other filters, never the viewer's scope.
pub async fn filtered(
    db: &Db,
    v: &Viewer,
    spec: &Spec,
    f: &Filter,
    mut q: SelectStatement,
) -> AppResult<SelectStatement> {
    let t = spec.kind.info().table;
    access::scope(v, ListKind::Crm(spec.kind), &mut q)?;
    // Whether the search names its candidate rows (`search::words_filter`).
    let mut candidates = false;
    match super::search::parse(&f.q, spec.kind) {
        Search::Id(id) => {
            q.and_where(Expr::col((t, "id")).eq(id));
            return Ok(q);
        }
        Search::Ticket(ticket) => {
            // Tickets are made upper-case; one typed in lower case finds its deal too.
            let upper = ticket.to_uppercase();
            q.and_where(Expr::col((t, "ticket")).is_in([ticket, upper]));
            return Ok(q);
        }
        Search::Words(words) => {
            let (cond, set) = super::search::words_filter(db, spec, &words, super::search::LIMITS).await?;
            q.and_where(cond);
            candidates = set;
        }
        Search::None => {}
    }
    // Owner and department are the row's, or (a payment) its deal's, joined by `repo::select`.
    let (t, co_owner) = match spec.kind.info().ownership {
        crate::kinds::Ownership::Through { kind, .. } => (kind.info().table, true),
        crate::kinds::Ownership::Columns { co_owner } => (t, co_owner),
        crate::kinds::Ownership::Participants => (t, false),
    };
    let owner = if spec.owned { f.owner(v) } else { Owner::All };
    match owner {
        Owner::All => {}
        Owner::Nobody => {
            q.and_where(Expr::col((t, "owner_id")).is_null());
        }
        Owner::User(u) => {
            q.and_where(Expr::col((t, "owner_id")).eq(u));
        }
        Owner::Mine if co_owner && candidates => {
            // The search's few candidates lead; each is tested for the viewer here. A second
            // `id IN` (below) made SQLite probe every pair of the two sets.
            q.and_where(Expr::col((t, "owner_id")).eq(v.id).or(Expr::col((t, "co_owner_id")).eq(v.id)));
        }
        Owner::Mine if co_owner => {
            // Two index look-ups (owner, co-owner) instead of `owner_id = ? OR co_owner_id = ?`,
            // which made SQLite walk every row newest first (a manager's deal list: 50 req/s).
            let mine = Query::select()
                .column("id")
                .from(t)
                .and_where(Expr::col("owner_id").eq(v.id))
                .union(
                    sea_query::UnionType::All,
                    Query::select().column("id").from(t).and_where(Expr::col("co_owner_id").eq(v.id)).to_owned(),
                )
                .to_owned();
            q.and_where(Expr::col((t, "id")).in_subquery(mine));
        }
        Owner::Mine => {
            q.and_where(Expr::col((t, "owner_id")).eq(v.id));
        }
    }
    if let Ok(d) = f.department.parse::<i64>() {
        // The row's own column, a payment's too (its deal's, copied: migration 16).
        q.and_where(Expr::col((spec.kind.info().table, "department_id")).eq(d));
    }
    if let (Some(_), Ok(tag)) = (spec.field(super::many::TAGS.col), f.tag.parse::<i64>()) {
        // The tag's rows of this kind, from ix_crm_taggings_tag.
        let tagged = Query::select()
            .column("object_id")
            .from("crm_taggings")
            .and_where(Expr::col("tag_id").eq(tag))
            .and_where(Expr::col("object_type").eq(spec.kind.slug()))
            .to_owned();
        q.and_where(Expr::col((spec.kind.info().table, "id")).in_subquery(tagged));
    }
    if spec.kind == crate::access::ItemKind::Deal {
        super::deal_list::narrow(&f.deal, &mut q);
        // The creation date, in the viewer's days (an invalid filter is refused by the handler).
        if let Ok(r) = f.period.range(crate::time::today()) {
            super::period::DateFilter::narrow_time(r, (t, "created_at"), &mut q);
        }
    }
    if spec.kind == crate::access::ItemKind::Payment {
        super::payments::narrow(f, &mut q);
    }
    Ok(q)
}

/// A company of another department found by a search (§10): what `access::
/// crm_search_crosses_departments` lets the searcher see of it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Elsewhere {
    pub name: String,
    pub department: String,
    pub owner_first: Option<String>,
    pub owner_last: Option<String>,
}

impl Elsewhere {
    pub fn owner(&self) -> Option<String> {
        let n = format!("{} {}", self.owner_first.as_deref().unwrap_or(""), self.owner_last.as_deref().unwrap_or(""));
        (!n.trim().is_empty()).then(|| n.trim().to_string())
    }
}

/// At most this many companies of other departments are named.
pub const ELSEWHERE_MAX: u64 = 20;

/// The companies of departments `v` does not work in that match the search's words, newest first
/// (empty unless the rule allows it and the search is words).
pub async fn elsewhere(db: &Db, v: &Viewer, spec: &Spec, f: &Filter) -> AppResult<Vec<Elsewhere>> {
    let Search::Words(words) = super::search::parse(&f.q, spec.kind) else { return Ok(Vec::new()) };
    if !access::crm_search_crosses_departments(v, spec.kind) {
        return Ok(Vec::new());
    }
    let t = spec.kind.info().table;
    let mut q = Query::select();
    q.expr_as(Expr::col((t, "full_name")), "name")
        .expr_as(Expr::col(("departments", "name")), "department")
        .expr_as(Expr::col(("users", "first_name")), "owner_first")
        .expr_as(Expr::col(("users", "last_name")), "owner_last")
        .from(t)
        .inner_join("departments", Expr::col(("departments", "id")).equals((t, "department_id")))
        .left_join("users", Expr::col(("users", "id")).equals((t, "owner_id")));
    if !v.departments.is_empty() {
        q.and_where(Expr::col((t, "department_id")).is_not_in(v.departments.iter().copied()));
    }
    q.and_where(super::search::words_condition(db, spec, &words).await?);
    q.order_by((t, "id"), Order::Desc).limit(ELSEWHERE_MAX);
    Ok(db.fetch_all(&q).await?)
}

/// One page of the list, newest first.
pub async fn list(db: &Db, v: &Viewer, spec: &Spec, f: &Filter) -> AppResult<Paged<Record>> {
    list_of(db, v, spec, f, None).await
}

/// `list` for a page that shows only the fields `only` (`repo::select_only`).
pub async fn list_of(db: &Db, v: &Viewer, spec: &Spec, f: &Filter, only: Option<&[&str]>) -> AppResult<Paged<Record>> {
    let page = paging::page_number(f.page);
    let (q, tys) = page_query(db, v, spec, f, only).await?;
    let mut records: Vec<Record> = db.fetch_values(&q, &tys).await?.into_iter().map(super::repo::record_of).collect();
    super::many::load(db, spec, &mut records).await?;
    Ok(Paged::window(records, page))
}

/// The statement that reads the list's page (and the types of its columns): what `list` runs, and
/// what the query-plan tests explain.
pub async fn page_query(
    db: &Db,
    v: &Viewer,
    spec: &Spec,
    f: &Filter,
    only: Option<&[&str]>,
) -> AppResult<(SelectStatement, Vec<super::record::Ty>)> {
    let t = spec.kind.info().table;
    let (q, tys) = match only {
        Some(keep) => super::repo::select_only(spec, keep),
        None => super::repo::select(spec),
    };
    let page = paging::page_number(f.page);
    if let Some(ids) = mine_newest(db, v, spec, f, page).await? {
        let mut q = q;
        q.and_where(Expr::col((t, "id")).in_subquery(ids)).order_by((t, "id"), Order::Desc);
        return Ok((q, tys));
    }
    let mut q = filtered(db, v, spec, f, q).await?;
    if spec.kind == crate::access::ItemKind::Deal && f.deal.by_next_step() {
        // §12.1's toggle: the nearest (and overdue) next step first; ties in the order of the index
        // (`ix_deals_department_step` ends with the row id), so it is walked without a sort.
        q.order_by((t, "next_step_date"), Order::Asc).order_by((t, "id"), Order::Asc);
    } else if spec.kind == crate::access::ItemKind::Payment {
        // §13.5: the newest payment date first, the row id breaking ties: ix_payments_date, or for
        // one department ix_payments_department_date, walked in this order without a sort.
        q.order_by((t, "payment_date"), Order::Desc).order_by((t, "id"), Order::Desc);
    } else {
        q.order_by((t, "id"), Order::Desc);
    }
    q.limit(paging::WINDOW).offset(paging::offset(page));
    Ok((q, tys))
}

/// The page's ids of a list of rows the viewer owns *or* co-owns (a manager's default deal list),
/// newest first: the two index ranges (`ix_deals_owner` and `ix_deals_co_owner_active`, both ending with
/// the row id) merged in id order and cut after the window, so a page reads 51 index entries of
/// each rather than walking the department's rows and probing the set of the viewer's ones. The
/// page is then read by id. Each arm carries the scope and every filter; the co-owner arm leaves
/// out rows the viewer also owns. `None` where the plain query is as good: other owners, word
/// searches (their condition would be built twice), the next-step order.
async fn mine_newest(db: &Db, v: &Viewer, spec: &Spec, f: &Filter, page: u64) -> AppResult<Option<SelectStatement>> {
    let t = spec.kind.info().table;
    let co_owned = matches!(spec.kind.info().ownership, crate::kinds::Ownership::Columns { co_owner: true });
    if !spec.owned
        || !co_owned
        || f.owner(v) != Owner::Mine
        || !matches!(super::search::parse(&f.q, spec.kind), Search::None)
        || (spec.kind == crate::access::ItemKind::Deal && f.deal.by_next_step())
    {
        return Ok(None);
    }
    let arm = || Query::select().column((t, "id")).from(t).to_owned();
    let owned = Filter { owner: v.id.to_string(), ..f.clone() };
    let mut q = filtered(db, v, spec, &owned, arm()).await?;
    let anyone = Filter { owner: "all".into(), ..f.clone() };
    let mut co = filtered(db, v, spec, &anyone, arm()).await?;
    co.and_where(Expr::col((t, "co_owner_id")).eq(v.id))
        .and_where(Expr::col((t, "owner_id")).is_null().or(Expr::col((t, "owner_id")).ne(v.id)));
    q.union(sea_query::UnionType::All, co);
    // Ordered and cut outside the UNION ALL: PostgreSQL then merges the two index scans (Merge
    // Append) as SQLite does (MERGE (UNION ALL)); ordered on the UNION itself it sorts both.
    Ok(Some(
        Query::select()
            .column("id")
            .from_subquery(q, "mine")
            .order_by("id", Order::Desc)
            .limit(paging::WINDOW)
            .offset(paging::offset(page))
            .to_owned(),
    ))
}

/// The first `n` rows of the list, newest first, without their tags (global search's few hits of a
/// kind).
pub async fn first(db: &Db, v: &Viewer, spec: &Spec, f: &Filter, n: u64) -> AppResult<Vec<Record>> {
    let t = spec.kind.info().table;
    let (q, tys) = super::repo::select(spec);
    let mut q = filtered(db, v, spec, f, q).await?;
    q.order_by((t, "id"), Order::Desc).limit(n);
    Ok(db.fetch_values(&q, &tys).await?.into_iter().map(super::repo::record_of).collect())
}

/// How many rows the filter finds (bounded: "more than 1,000").
pub async fn total(db: &Db, v: &Viewer, spec: &Spec, f: &Filter) -> AppResult<Total> {
    let (q, _) = super::repo::select(spec);
    let q = filtered(db, v, spec, f, q).await?;
    Ok(paging::bounded_count(db, q).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn id_searches_are_recognised() {
        assert_eq!(super::id_search("ID 123"), Some(123));
        assert_eq!(super::id_search("id123"), Some(123));
        assert_eq!(super::id_search("  Id  7 "), Some(7));
        assert_eq!(super::id_search("idea"), None);
        assert_eq!(super::id_search("ID"), None);
        assert_eq!(super::id_search("Ä"), None);
    }
}
