//! Moving CRM rows to another owner or department (§11.2, §11.3): what a company's or a deal's
//! owner change carries along (the kinds' `Spec::after_save` hooks), the administrators' mass
//! transfer of companies, and a user's transfer to another department.
//!
//! Invariants: a row that changes department has its department-scoped references (stage, closing
//! reason, client type, lead source) remapped to the new department's entry with the same name,
//! cleared when there is none (a deal's required stage: the department's default stage); every
//! moved row gets its history entry in the caller's transaction; events are the caller's, after
//! commit (`Moved`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;

use sea_query::{Alias, Expr, ExprTrait, JoinType, Query};

use super::fields::{Input, RefTo};
use super::record::Val;
use super::repo::{self, Names, Record, Spec};
use crate::access::{ItemKind, Role};
use crate::db::{Db, Tx};
use crate::history::Actor;

/// A row a transfer changed: its kind, id, and its department before and after (both departments'
/// pages hear of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    pub kind: ItemKind,
    pub id: i64,
    pub from: i64,
    pub to: i64,
}

/// What a saved edit of a kind causes in the same transaction: `(db, tx, before, after, actor)`
/// → the other rows it changed.
pub type AfterSave = for<'a> fn(
    &'a Db,
    &'a mut Tx,
    &'a Record,
    &'a Record,
    &'a Actor,
) -> Pin<Box<dyn Future<Output = Result<Vec<Moved>, sqlx::Error>> + Send + 'a>>;

/// More moved rows than this are announced as one change per kind and department (lists re-fetch)
/// instead of one event per row, which would overrun every live stream's buffer.
const EVENTS_PER_ROW_UP_TO: usize = 200;

/// Tells the pages of both departments about each moved row; call after commit.
pub fn publish<'a>(bus: &crate::events::Bus, moved: impl IntoIterator<Item = &'a Moved>) {
    let moved: Vec<&Moved> = moved.into_iter().collect();
    let send = |kind: ItemKind, id: i64, department: i64| {
        bus.publish(crate::events::DomainEvent::Changed {
            topic: crate::events::Topic::Item(kind),
            id,
            audience: crate::access::crm_audience(kind, department),
        })
    };
    if moved.len() <= EVENTS_PER_ROW_UP_TO {
        for m in moved {
            send(m.kind, m.id, m.to);
            if m.from != m.to {
                send(m.kind, m.id, m.from);
            }
        }
        return;
    }
    let places: HashSet<(ItemKind, i64)> = moved.iter().flat_map(|m| [(m.kind, m.from), (m.kind, m.to)]).collect();
    for (kind, department) in places {
        // No row has id 0: only the kind's lists (which follow every change of the kind) re-fetch.
        send(kind, 0, department);
    }
}

/// The department dictionaries a row may point at, remapped by name.
pub const DICTIONARIES: [&str; 5] = ["deal_stages", "closing_reasons", "client_types", "industries", "lead_sources"];

/// Every dictionary entry's same-name partner in department `to` (None: it has none).
pub struct Remap {
    pub to: i64,
    map: HashMap<(&'static str, i64), Option<i64>>,
    default_stage: Option<i64>,
}

impl Remap {
    /// Reads the partners of every department's entries (dictionaries are a few dozen rows per
    /// department): one query per dictionary.
    pub async fn to(db: &Db, to: i64) -> Result<Remap, sqlx::Error> {
        let mut map = HashMap::new();
        for t in DICTIONARIES {
            let (o, n) = (Alias::new("o"), Alias::new("n"));
            let rows: Vec<(i64, Option<i64>)> = db
                .fetch_all(
                    Query::select()
                        .expr(Expr::col((o.clone(), Alias::new("id"))))
                        .expr(Expr::col((n.clone(), Alias::new("id"))))
                        .from_as(t, o.clone())
                        .join_as(
                            JoinType::LeftJoin,
                            t,
                            n.clone(),
                            Expr::col((n.clone(), Alias::new("department_id"))).eq(to).and(
                                Expr::col((n.clone(), Alias::new("name"))).equals((o.clone(), Alias::new("name"))),
                            ),
                        ),
                )
                .await?;
            map.extend(rows.into_iter().map(|(old, new)| ((t, old), new)));
        }
        let default_stage = db
            .scalar(
                Query::select()
                    .column("id")
                    .from("deal_stages")
                    .and_where(Expr::col("department_id").eq(to))
                    .and_where(Expr::col("is_default").eq(true)),
            )
            .await?;
        Ok(Remap { to, map, default_stage })
    }

    /// The entry of `to` named as `old` is, if any.
    pub fn id(&self, table: &'static str, old: i64) -> Option<i64> {
        self.map.get(&(table, old)).copied().flatten()
    }

    /// `r` in department `to`: its dictionary references remapped (a stage without a partner
    /// becomes the default stage; other references are cleared).
    pub fn apply(&self, spec: &Spec, r: &mut Record) {
        if r.department_id == self.to {
            return;
        }
        for (i, f) in spec.fields.iter().enumerate() {
            let Input::Ref(RefTo::Dictionary(t)) = f.input else { continue };
            let Some(old) = r.values.get(i).and_then(Val::int) else { continue };
            let new = self.map.get(&(t, old)).copied().flatten();
            let new = if t == "deal_stages" { new.or(self.default_stage) } else { new };
            r.values[i] = new.map(Val::Int).unwrap_or(Val::Null);
        }
        r.department_id = self.to;
    }
}

/// Rows of `spec`'s kind where `col` is one of `ids`, read in the transaction.
pub async fn rows_where(tx: &mut Tx, spec: &Spec, col: &str, ids: &[i64]) -> Result<Vec<Record>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (mut q, tys) = repo::select(spec);
    let t = spec.kind.info().table;
    q.and_where(Expr::col((t, col.to_string())).is_in(ids.iter().copied()));
    Ok(tx.fetch_values(&q, &tys).await?.into_iter().map(repo::record_of).collect())
}

/// The names history needs for `records` moved to `owner`: their references, owners and departments.
async fn names_for(db: &Db, spec: &Spec, records: &[Record], extra: &[Record]) -> Result<Names, sqlx::Error> {
    let all: Vec<&Record> = records.iter().chain(extra).collect();
    super::choices::names(db, spec, &all).await
}

/// Gives each row `owner` (unchanged when None) and department `remap.to`, remapping its
/// dictionary references, with a history entry on each that changed.
pub async fn move_rows(
    db: &Db,
    tx: &mut Tx,
    spec: &Spec,
    rows: Vec<Record>,
    owner: Option<Option<i64>>,
    remap: &Remap,
    actor: &Actor,
) -> Result<Vec<Moved>, sqlx::Error> {
    let afters: Vec<Record> = rows
        .iter()
        .map(|r| {
            let mut a = r.clone();
            remap.apply(spec, &mut a);
            if let Some(o) = owner {
                a.owner_id = o;
            }
            a
        })
        .collect();
    let names = names_for(db, spec, &rows, &afters).await?;
    let mut out = Vec::new();
    for (before, after) in rows.iter().zip(&afters) {
        if !repo::update(tx, spec, before, after, actor, &names).await?.is_empty() {
            out.push(Moved { kind: spec.kind, id: before.id, from: before.department_id, to: after.department_id });
        }
    }
    Ok(out)
}

/// §11.2: a company's contact persons follow its owner and department; its deals (and requests)
/// take its country and city when those change.
pub fn company_after_save<'a>(
    db: &'a Db,
    tx: &'a mut Tx,
    before: &'a Record,
    after: &'a Record,
    actor: &'a Actor,
) -> Pin<Box<dyn Future<Output = Result<Vec<Moved>, sqlx::Error>> + Send + 'a>> {
    Box::pin(async move {
        let spec = &super::company::SPEC;
        let mut out = Vec::new();
        if before.owner_id != after.owner_id || before.department_id != after.department_id {
            let contacts = rows_where(tx, &super::person::CONTACT, "company_id", &[after.id]).await?;
            let remap = Remap::to(db, after.department_id).await?;
            out.extend(
                move_rows(db, tx, &super::person::CONTACT, contacts, Some(after.owner_id), &remap, actor).await?,
            );
        }
        let place = |r: &Record| (r.get(spec, "country_id").clone(), r.get(spec, "city_id").clone());
        if place(before) != place(after) {
            let (country, city) = place(after);
            let deal = &super::deal::SPEC;
            let deals = rows_where(tx, deal, "company_id", &[after.id]).await?;
            let changed: Vec<Record> = deals
                .iter()
                .map(|d| {
                    let mut a = d.clone();
                    a.set(deal, "country_id", country.clone());
                    a.set(deal, "city_id", city.clone());
                    a
                })
                .collect();
            let names = names_for(db, deal, &deals, &changed).await?;
            for (b, a) in deals.iter().zip(&changed) {
                if !repo::update(tx, deal, b, a, actor, &names).await?.is_empty() {
                    out.push(Moved { kind: ItemKind::Deal, id: b.id, from: b.department_id, to: a.department_id });
                }
            }
            // Requests have no pages (and no field list) yet: their columns follow all the same.
            tx.execute(
                Query::update()
                    .table("requests")
                    .value("country_id", country.bind(super::record::Ty::Int))
                    .value("city_id", city.bind(super::record::Ty::Int))
                    .and_where(Expr::col("company_id").eq(after.id)),
            )
            .await?;
        }
        Ok(out)
    })
}

/// §11.2: changing a deal's owner changes its lead's owner (and the lead follows the deal's
/// department).
pub fn deal_after_save<'a>(
    db: &'a Db,
    tx: &'a mut Tx,
    before: &'a Record,
    after: &'a Record,
    actor: &'a Actor,
) -> Pin<Box<dyn Future<Output = Result<Vec<Moved>, sqlx::Error>> + Send + 'a>> {
    Box::pin(async move {
        let spec = &super::deal::SPEC;
        if before.owner_id == after.owner_id && before.department_id == after.department_id {
            return Ok(Vec::new());
        }
        let Some(lead) = after.get(spec, "lead_id").int() else { return Ok(Vec::new()) };
        let leads = rows_where(tx, &super::person::LEAD, "id", &[lead]).await?;
        let remap = Remap::to(db, after.department_id).await?;
        move_rows(db, tx, &super::person::LEAD, leads, Some(after.owner_id), &remap, actor).await
    })
}

/// An active user who may own sales rows: (id, "First Last (username)", department).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OwnerChoice {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub department_id: i64,
}

impl OwnerChoice {
    pub fn label(&self) -> String {
        let n = format!("{} {}", self.first_name, self.last_name);
        let n = n.trim();
        if n.is_empty() { self.username.clone() } else { format!("{n} ({})", self.username) }
    }
}

/// Active users with one of `roles` in one of `departments`, by name.
pub async fn owner_choices(db: &Db, roles: &[Role], departments: &[i64]) -> Result<Vec<OwnerChoice>, sqlx::Error> {
    if departments.is_empty() {
        return Ok(Vec::new());
    }
    let slugs: Vec<&str> = roles.iter().map(|r| r.slug()).collect();
    let with_role =
        Query::select().column("user_id").from("user_roles").and_where(Expr::col("role").is_in(slugs)).to_owned();
    db.fetch_all(
        Query::select()
            .columns(["id", "username", "first_name", "last_name", "department_id"])
            .from("users")
            .and_where(Expr::col("is_active").eq(true))
            .and_where(Expr::col("department_id").is_in(departments.iter().copied()))
            .and_where(Expr::col("id").in_subquery(with_role))
            .order_by("first_name", sea_query::Order::Asc)
            .order_by("last_name", sea_query::Order::Asc)
            .order_by("id", sea_query::Order::Asc),
    )
    .await
}

/// The most rows one mass transfer takes (a page of selections is far fewer; the bound keeps one
/// transaction short).
pub const MAX_BATCH: usize = 1000;

/// §11.2 mass transfer: every company of `ids` and its contact persons get `owner` and the
/// owner's department, in the caller's transaction.
pub async fn transfer_companies(
    db: &Db,
    tx: &mut Tx,
    ids: &[i64],
    owner: &OwnerChoice,
    actor: &Actor,
) -> Result<Vec<Moved>, sqlx::Error> {
    let remap = Remap::to(db, owner.department_id).await?;
    let companies = rows_where(tx, &super::company::SPEC, "id", ids).await?;
    let mut out = move_rows(db, tx, &super::company::SPEC, companies, Some(Some(owner.id)), &remap, actor).await?;
    let contacts = rows_where(tx, &super::person::CONTACT, "company_id", ids).await?;
    out.extend(move_rows(db, tx, &super::person::CONTACT, contacts, Some(Some(owner.id)), &remap, actor).await?);
    Ok(out)
}

/// The tables a user transfer moves, in order (§11.3): the four kinds with field lists, then
/// requests (no field list yet: their columns are updated directly).
pub const USER_TABLES: [&str; 5] = ["companies", "contacts", "leads", "deals", "requests"];

/// How many of `user`'s rows are outside department `to` (what a transfer there has to move).
pub async fn user_rows_elsewhere(tx: &mut Tx, user: i64, to: i64) -> Result<i64, sqlx::Error> {
    let mut n = 0;
    for t in USER_TABLES {
        let c: Option<i64> = tx
            .scalar(
                Query::select()
                    .expr(Expr::col(sea_query::Asterisk).count())
                    .from(t)
                    .and_where(Expr::col("owner_id").eq(user))
                    .and_where(Expr::col("department_id").ne(to)),
            )
            .await?;
        n += c.unwrap_or(0);
    }
    Ok(n)
}

/// §11.3, one batch of a user transfer: up to `limit` of `user`'s rows of the first table of
/// `USER_TABLES` that still has some outside department `remap.to` move there, in the caller's
/// transaction, each whole (references remapped by name, industries, tags and a deal's lead source
/// too, a history entry). Outputs, payments and products stay as they are. Returns the moved rows
/// with field lists (for events) and the number of rows moved; 0 means nothing is left to move.
/// Rows already in `to` are never selected, so a batch run twice moves nothing twice.
pub async fn move_user_batch(
    db: &Db,
    tx: &mut Tx,
    user: i64,
    remap: &Remap,
    limit: u64,
    actor: &Actor,
) -> Result<(Vec<Moved>, i64), sqlx::Error> {
    let to = remap.to;
    for spec in [&super::company::SPEC, &super::person::CONTACT, &super::person::LEAD, &super::deal::SPEC] {
        let (mut q, tys) = repo::select(spec);
        let t = spec.kind.info().table;
        q.and_where(Expr::col((t, "owner_id")).eq(user))
            .and_where(Expr::col((t, "department_id")).ne(to))
            .order_by((t, "id"), sea_query::Order::Asc)
            .limit(limit);
        let rows: Vec<Record> = tx.fetch_values(&q, &tys).await?.into_iter().map(repo::record_of).collect();
        if rows.is_empty() {
            continue;
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let n = ids.len() as i64;
        let moved = move_rows(db, tx, spec, rows, None, remap, actor).await?;
        match spec.kind {
            ItemKind::Company => remap_links(tx, remap, "company_industries", "company_id", &ids).await?,
            ItemKind::Lead => remap_links(tx, remap, "lead_industries", "lead_id", &ids).await?,
            // A deal's lead source is not on its form; it follows by name too.
            ItemKind::Deal => remap_column(tx, remap, "deals", "lead_source_id", "lead_sources", &ids).await?,
            _ => {}
        }
        move_tags(tx, spec.kind.slug(), &ids, to, user).await?;
        return Ok((moved, n));
    }
    // Requests: department and lead source.
    let ids: Vec<(i64,)> = tx
        .fetch_all(
            Query::select()
                .column("id")
                .from("requests")
                .and_where(Expr::col("owner_id").eq(user))
                .and_where(Expr::col("department_id").ne(to))
                .order_by("id", sea_query::Order::Asc)
                .limit(limit),
        )
        .await?;
    let ids: Vec<i64> = ids.into_iter().map(|(i,)| i).collect();
    if ids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    remap_column(tx, remap, "requests", "lead_source_id", "lead_sources", &ids).await?;
    tx.execute(
        Query::update()
            .table("requests")
            .value("department_id", to)
            .and_where(Expr::col("id").is_in(ids.iter().copied())),
    )
    .await?;
    Ok((Vec::new(), ids.len() as i64))
}

/// Re-points `column` (a reference to `dict`) of rows `ids` of `table` at the same-name entry of
/// department `remap.to`, or clears it: one UPDATE per distinct value that is not already one of
/// `to`'s (dictionaries are small, so these are few).
async fn remap_column(
    tx: &mut Tx,
    remap: &Remap,
    table: &str,
    column: &str,
    dict: &'static str,
    ids: &[i64],
) -> Result<(), sqlx::Error> {
    let olds: Vec<(Option<i64>,)> = tx
        .fetch_all(
            Query::select()
                .distinct()
                .column(Alias::new(column))
                .from(Alias::new(table))
                .and_where(Expr::col("id").is_in(ids.iter().copied()))
                .and_where(Expr::col(Alias::new(column)).is_not_null()),
        )
        .await?;
    for old in olds.into_iter().filter_map(|(o,)| o) {
        let new = remap.id(dict, old);
        if new == Some(old) {
            continue;
        }
        tx.execute(
            Query::update()
                .table(Alias::new(table))
                .value(Alias::new(column), new)
                .and_where(Expr::col("id").is_in(ids.iter().copied()))
                .and_where(Expr::col(Alias::new(column)).eq(old)),
        )
        .await?;
    }
    Ok(())
}

/// Industries of the moved `ids` (link table `table`, object column `col`): each link re-points at
/// the same-name industry of the new department, or goes.
async fn remap_links(tx: &mut Tx, remap: &Remap, table: &str, col: &str, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let links: Vec<(i64, i64)> = tx
        .fetch_all(
            Query::select()
                .column(Alias::new(col))
                .column("industry_id")
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new(col)).is_in(ids.iter().copied())),
        )
        .await?;
    let mut keep: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut gone = false;
    for (object, industry) in &links {
        match remap.id("industries", *industry) {
            Some(n) => {
                gone |= n != *industry;
                keep.insert((*object, n));
            }
            None => gone = true,
        }
    }
    if !gone {
        return Ok(());
    }
    tx.execute(
        Query::delete().from_table(Alias::new(table)).and_where(Expr::col(Alias::new(col)).is_in(ids.iter().copied())),
    )
    .await?;
    if !keep.is_empty() {
        let mut q = Query::insert();
        q.into_table(Alias::new(table)).columns([Alias::new(col), Alias::new("industry_id")]);
        for (o, i) in keep {
            q.values_panic([o.into(), i.into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// The tags of the moved `ids` of kind `object_type` go with them: each tagging re-points at the
/// new department's tag of the same name, made (owned by the user) when missing.
async fn move_tags(tx: &mut Tx, object_type: &str, ids: &[i64], to: i64, user: i64) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let links: Vec<(i64, i64, String, String, i64)> = tx
        .fetch_all(
            Query::select()
                .column(("crm_taggings", "object_id"))
                .column(("crm_tags", "id"))
                .column(("crm_tags", "name"))
                .column(("crm_tags", "name_key"))
                .column(("crm_tags", "department_id"))
                .from("crm_taggings")
                .inner_join("crm_tags", Expr::col(("crm_tags", "id")).equals(("crm_taggings", "tag_id")))
                .and_where(Expr::col(("crm_taggings", "object_type")).eq(object_type))
                .and_where(Expr::col(("crm_taggings", "object_id")).is_in(ids.iter().copied()))
                .and_where(Expr::col(("crm_tags", "department_id")).ne(to)),
        )
        .await?;
    if links.is_empty() {
        return Ok(());
    }
    let mut target: HashMap<String, i64> = HashMap::new();
    let keys: HashSet<String> = links.iter().map(|l| l.3.clone()).collect();
    let found: Vec<(i64, String)> = tx
        .fetch_all(
            Query::select()
                .columns(["id", "name_key"])
                .from("crm_tags")
                .and_where(Expr::col("department_id").eq(to))
                .and_where(Expr::col("name_key").is_in(keys.iter().cloned())),
        )
        .await?;
    target.extend(found.into_iter().map(|(id, k)| (k, id)));
    let now = crate::db::now();
    for (object, old_tag, name, key, _) in links {
        let tag = match target.get(&key) {
            Some(t) => *t,
            None => {
                let id = tx
                    .insert_id(
                        Query::insert()
                            .into_table("crm_tags")
                            .columns(["name", "name_key", "department_id", "owner_id", "created_at", "updated_at"])
                            .values_panic([
                                name.into(),
                                key.clone().into(),
                                to.into(),
                                user.into(),
                                now.into(),
                                now.into(),
                            ])
                            .returning_col("id"),
                    )
                    .await?;
                target.insert(key, id);
                id
            }
        };
        tx.execute(
            Query::delete()
                .from_table("crm_taggings")
                .and_where(Expr::col("object_type").eq(object_type))
                .and_where(Expr::col("object_id").eq(object))
                .and_where(Expr::col("tag_id").eq(old_tag)),
        )
        .await?;
        // The object may already carry the new department's tag.
        let has: Option<i64> = tx
            .scalar(
                Query::select()
                    .column("tag_id")
                    .from("crm_taggings")
                    .and_where(Expr::col("object_type").eq(object_type))
                    .and_where(Expr::col("object_id").eq(object))
                    .and_where(Expr::col("tag_id").eq(tag)),
            )
            .await?;
        if has.is_none() {
            tx.execute(
                Query::insert()
                    .into_table("crm_taggings")
                    .columns(["object_type", "object_id", "tag_id"])
                    .values_panic([object_type.into(), object.into(), tag.into()]),
            )
            .await?;
        }
    }
    Ok(())
}
