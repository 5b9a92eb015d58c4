//! Duplicates (§11.1): the check that refuses a second company, contact person or lead for the same
//! counterparty, and "Correctly delete duplicate", which moves everything of a duplicate to its
//! original and deletes it, in one transaction.
//!
//! Every foreign key that points at a company, contact person or lead is listed in `relations` (or,
//! for the industry links, `links`); `tests/it/crm_duplicates.rs` walks the schema's foreign keys so
//! a column added later without being listed here fails a test instead of blocking merges or losing
//! links. The per-object rows of the shared layer (files, chat, reminders) move; tags and industries
//! are united; the original's empty fields are filled from the duplicate; the duplicate goes through
//! `items::remove::delete`. History: each re-pointed row, the original (what moved, what was filled)
//! and the duplicate (merged, then deleted).

use std::collections::BTreeSet;

use sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};

use super::fields::{Input, RefTo};
use super::repo::{self, Names, Record, Spec};
use crate::access::{self, Action, ItemKind, Viewer};
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::events::{Bus, DomainEvent, Topic};
use crate::history::{self, Actor, Change, Diff};
use crate::items::{self, ItemRef};

/// A foreign-key column that points at a row of the merged kind.
#[derive(Clone, Copy, Debug)]
pub struct Relation {
    pub table: &'static str,
    pub column: &'static str,
    /// The kind of the pointing rows, when it has pages (history, live events); requests have none yet.
    pub kind: Option<ItemKind>,
    /// What the pointing rows are, for the confirmation page and history ("Deals").
    pub label: &'static str,
    /// The rows take the original's department and owner (a contact person goes with its company).
    pub inherits: bool,
}

const fn rel(table: &'static str, column: &'static str, kind: Option<ItemKind>, label: &'static str) -> Relation {
    Relation { table, column, kind, label, inherits: false }
}

const COMPANY_RELATIONS: &[Relation] = &[
    rel("deals", "company_id", Some(ItemKind::Deal), "Deals"),
    Relation { inherits: true, ..rel("contacts", "company_id", Some(ItemKind::Contact), "Contact persons") },
    rel("leads", "company_id", Some(ItemKind::Lead), "Leads"),
    rel("requests", "company_id", None, "Requests"),
    rel("crm_emails", "company_id", None, "Emails"),
];
const CONTACT_RELATIONS: &[Relation] = &[
    rel("deals", "contact_id", Some(ItemKind::Deal), "Deals"),
    rel("deals", "partner_contact_id", Some(ItemKind::Deal), "Deals (as partner contact)"),
    rel("leads", "contact_id", Some(ItemKind::Lead), "Leads"),
    rel("requests", "contact_id", None, "Requests"),
    rel("crm_emails", "contact_id", None, "Emails"),
];
const LEAD_RELATIONS: &[Relation] = &[
    rel("deals", "lead_id", Some(ItemKind::Deal), "Deals"),
    rel("requests", "lead_id", None, "Requests"),
    rel("crm_emails", "lead_id", None, "Emails"),
];

/// The history object type of a pointing row: its kind's, or for tables without pages yet their
/// own ("request", "crm_email").
fn history_slug(r: &Relation) -> &'static str {
    match (r.kind, r.table) {
        (Some(k), _) => k.slug(),
        (None, "crm_emails") => "crm_email",
        (None, _) => "request",
    }
}

/// The kinds that have duplicates to merge.
pub fn merges(kind: ItemKind) -> bool {
    matches!(kind, ItemKind::Company | ItemKind::Contact | ItemKind::Lead)
}

/// Every foreign-key column pointing at `kind`'s table, except the link tables of `links` and the
/// match keys (`requests::keys::TABLES`: derived from each row's own fields, they go with the
/// duplicate and are rewritten with the original).
pub fn relations(kind: ItemKind) -> &'static [Relation] {
    match kind {
        ItemKind::Company => COMPANY_RELATIONS,
        ItemKind::Contact => CONTACT_RELATIONS,
        ItemKind::Lead => LEAD_RELATIONS,
        _ => &[],
    }
}

/// A many-to-many link table united on merge: (table, the object's column, the other column, the
/// per-department dictionary the other column points at, label).
pub type Link = (&'static str, &'static str, &'static str, &'static str, &'static str);

pub fn links(kind: ItemKind) -> &'static [Link] {
    match kind {
        ItemKind::Company => &[("company_industries", "company_id", "industry_id", "industries", "Industries")],
        ItemKind::Lead => &[("lead_industries", "lead_id", "industry_id", "industries", "Industries")],
        _ => &[],
    }
}

/// The shared layer's per-object tables (`object_type`, `object_id`) whose rows move to the
/// original. (`crm_taggings` is united instead; `history` stays with each object; `participants`
/// holds no CRM rows.)
pub const PER_OBJECT: &[(&str, &str)] =
    &[("attachments", "Files"), ("chat_messages", "Chat messages"), ("reminders", "Reminders")];

/// The fields of §11.1 that the duplicate fills when the original's are empty (ours add region,
/// district and the lead's company links; flags are never "empty").
fn fill_fields(kind: ItemKind) -> &'static [&'static str] {
    match kind {
        ItemKind::Company => &[
            "address",
            "city_name",
            "city_id",
            "country_id",
            "region",
            "district",
            "description",
            "email",
            "alternative_names",
            "full_name",
            "lead_source_id",
            "phone",
            "registration_number",
            "type_id",
            "was_in_touch",
            "website",
        ],
        ItemKind::Contact => &[
            "address",
            "birth_date",
            "city_name",
            "city_id",
            "region",
            "district",
            "company_id",
            "country_id",
            "description",
            "email",
            "first_name",
            "last_name",
            "middle_name",
            "lead_source_id",
            "mobile",
            "other_phone",
            "phone",
            "secondary_email",
            "title",
            "was_in_touch",
        ],
        ItemKind::Lead => &[
            "address",
            "birth_date",
            "city_name",
            "city_id",
            "region",
            "district",
            "country_id",
            "description",
            "email",
            "first_name",
            "last_name",
            "middle_name",
            "lead_source_id",
            "mobile",
            "other_phone",
            "phone",
            "secondary_email",
            "title",
            "was_in_touch",
            "company_name",
            "website",
            "company_phone",
            "company_email",
            "company_address",
            "type_id",
            "company_id",
            "contact_id",
        ],
        _ => &[],
    }
}

fn table(kind: ItemKind) -> &'static str {
    kind.info().table
}

// ---------------------------------------------------------------------------------------------
// Prevention

/// The addresses of a comma-separated email list, lower-cased.
fn emails(s: &str) -> BTreeSet<String> {
    s.split(',').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect()
}

/// A phone number's digits ("+1 (555) 010-0" and "15550100" are one number); empty when none.
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

const PHONES: [&str; 3] = ["phone", "mobile", "other_phone"];

fn phones(spec: &Spec, r: &Record) -> BTreeSet<String> {
    PHONES.iter().map(|c| digits(r.get(spec, c).text())).filter(|d| !d.is_empty()).collect()
}

/// The columns that make a row's identity for the duplicate check.
fn identity(spec: &Spec) -> &'static [&'static str] {
    match spec.kind {
        ItemKind::Company => &["full_name", "country_id"],
        ItemKind::Contact | ItemKind::Lead => &["first_name", "last_name", "email", "phone", "mobile", "other_phone"],
        _ => &[],
    }
}

/// Another stored row that `r` would duplicate, and the field it matched on: a company with the same
/// name and country (no country counts as one value, as the original's "(not set)" country did); a
/// contact person or lead with the same first and last name (the stored `*_key` columns) and one
/// email address or phone number in common. `own`: the row being edited, never its own duplicate.
pub async fn existing(
    db: &Db,
    spec: &Spec,
    r: &Record,
    own: Option<i64>,
) -> Result<Option<(i64, &'static str)>, sqlx::Error> {
    let t = table(spec.kind);
    let mut q = Query::select();
    q.column("id").from(t).order_by("id", sea_query::Order::Asc);
    if let Some(id) = own {
        q.and_where(Expr::col("id").ne(id));
    }
    match spec.kind {
        ItemKind::Company => {
            q.and_where(Expr::col("full_name").eq(r.get(spec, "full_name").text()));
            match r.get(spec, "country_id").int() {
                Some(c) => q.and_where(Expr::col("country_id").eq(c)),
                None => q.and_where(Expr::col("country_id").is_null()),
            };
            let found: Option<i64> = db.scalar(q.limit(1)).await?;
            Ok(found.map(|id| (id, "full_name")))
        }
        ItemKind::Contact | ItemKind::Lead => {
            let first = crate::text::fold(r.get(spec, "first_name").text());
            let last = crate::text::fold(r.get(spec, "last_name").text());
            let mine_emails = emails(r.get(spec, "email").text());
            let mine_phones = phones(spec, r);
            if mine_emails.is_empty() && mine_phones.is_empty() {
                return Ok(None);
            }
            q.columns(["email", "phone", "mobile", "other_phone"])
                .and_where(Expr::col("first_name_key").eq(first))
                .and_where(Expr::col("last_name_key").eq(last))
                // Namesakes are few; a pathological name is not scanned without end.
                .limit(500);
            let rows: Vec<(i64, String, String, String, String)> = db.fetch_all(&q).await?;
            for (id, email, phone, mobile, other) in rows {
                if !emails(&email).is_disjoint(&mine_emails) {
                    return Ok(Some((id, "email")));
                }
                let theirs: BTreeSet<String> =
                    [phone, mobile, other].iter().map(|p| digits(p)).filter(|d| !d.is_empty()).collect();
                if let Some(col) = PHONES.iter().find(|c| {
                    let d = digits(r.get(spec, c).text());
                    !d.is_empty() && theirs.contains(&d)
                }) {
                    return Ok(Some((id, col)));
                }
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// The form's messages when `r` duplicates a stored row: "Such an object already exists - ID<n>",
/// the ID linking to the row when `v` may open it. When `v` may not, the message says the row
/// exists without naming or linking it (the check is across departments, like the database's
/// unique company name; a row `v` cannot see is never shown). An edit is checked only when the
/// fields that make the identity change, so rows that were duplicates before the check existed
/// (imports) stay editable until they are merged.
pub async fn check(
    db: &Db,
    v: &Viewer,
    spec: &Spec,
    r: &Record,
    before: Option<&Record>,
) -> AppResult<Result<(), FormErrors>> {
    if let Some(b) = before
        && identity(spec).iter().all(|c| b.get(spec, c) == r.get(spec, c))
    {
        return Ok(Ok(()));
    }
    let Some((id, col)) = existing(db, spec, r, before.map(|b| b.id)).await? else { return Ok(Ok(())) };
    Ok(Err(exists_errors(db, v, spec.kind, id, col).await?))
}

/// The messages for "`kind` `id` already exists", matched on field `col`.
pub async fn exists_errors(db: &Db, v: &Viewer, kind: ItemKind, id: i64, col: &'static str) -> AppResult<FormErrors> {
    let mut errs = FormErrors::default();
    let label = kind.label().to_lowercase();
    let what = match col {
        "full_name" => "name and country",
        "email" => "name and email",
        _ => "name and phone number",
    };
    if items::visible_title(db, v, kind, id).await?.is_some() {
        errs.exists(format!("ID{id}"), Some(items::url(kind, id)));
        errs.add(col, format!("The same {what} as the existing {label} ID{id}."));
    } else {
        errs.exists("in records you may not view".into(), None);
        errs.add(col, format!("The same {what} as an existing {label}."));
    }
    Ok(errs)
}

// ---------------------------------------------------------------------------------------------
// Merge

/// What merging `dup` into `orig` does, counted before (the confirmation page) and reported after.
#[derive(Debug, Default)]
pub struct Plan {
    /// (what, how many rows) for each relation and per-object table with rows.
    pub moves: Vec<(&'static str, i64)>,
    /// Tags and industries the original gains.
    pub united: Vec<(&'static str, i64)>,
    /// The original's empty fields the duplicate fills: (label, value as people read it).
    pub fills: Vec<(&'static str, String)>,
}

/// The record the original becomes: its empty fields filled from the duplicate's. A dictionary
/// reference (type, lead source) is taken only within one department: another department's entry
/// is not one the original's form could offer.
fn filled(spec: &Spec, orig: &Record, dup: &Record) -> Record {
    let mut after = orig.clone();
    for col in fill_fields(spec.kind) {
        let Some(f) = spec.field(col) else { continue };
        let (mine, theirs) = (orig.get(spec, col), dup.get(spec, col));
        if !mine.is_empty() || theirs.is_empty() || f.input == Input::Flag {
            continue;
        }
        if matches!(f.input, Input::Ref(RefTo::Dictionary(_))) && orig.department_id != dup.department_id {
            continue;
        }
        after.set(spec, col, theirs.clone());
    }
    after
}

async fn count_where(db: &Db, t: &'static str, cond: sea_query::Condition) -> Result<i64, sqlx::Error> {
    Ok(db.scalar(Query::select().expr(Expr::cust("COUNT(*)")).from(Alias::new(t)).cond_where(cond)).await?.unwrap_or(0))
}

/// The tag ids (in the original's department) of `dup` that `orig` lacks, and likewise for each link.
async fn missing_tags(db: &Db, kind: ItemKind, dup: i64, orig: i64, department: i64) -> Result<Vec<i64>, sqlx::Error> {
    let q = |id: i64| {
        Query::select()
            .column("tag_id")
            .from("crm_taggings")
            .and_where(Expr::col("object_type").eq(kind.slug()))
            .and_where(Expr::col("object_id").eq(id))
            .and_where(
                Expr::col("tag_id").in_subquery(
                    Query::select()
                        .column("id")
                        .from("crm_tags")
                        .and_where(Expr::col("department_id").eq(department))
                        .to_owned(),
                ),
            )
            .to_owned()
    };
    let theirs: Vec<(i64,)> = db.fetch_all(&q(dup)).await?;
    let mine: Vec<(i64,)> = db.fetch_all(&q(orig)).await?;
    Ok(theirs.into_iter().map(|(t,)| t).filter(|t| !mine.contains(&(*t,))).collect())
}

async fn missing_links(db: &Db, l: &Link, dup: i64, orig: i64, department: i64) -> Result<Vec<i64>, sqlx::Error> {
    let (t, own, other, dict, _) = *l;
    let q = |id: i64| {
        Query::select()
            .column(Alias::new(other))
            .from(Alias::new(t))
            .and_where(Expr::col(Alias::new(own)).eq(id))
            .and_where(
                Expr::col(Alias::new(other)).in_subquery(
                    Query::select()
                        .column("id")
                        .from(Alias::new(dict))
                        .and_where(Expr::col("department_id").eq(department))
                        .to_owned(),
                ),
            )
            .to_owned()
    };
    let theirs: Vec<(i64,)> = db.fetch_all(&q(dup)).await?;
    let mine: Vec<(i64,)> = db.fetch_all(&q(orig)).await?;
    Ok(theirs.into_iter().map(|(t,)| t).filter(|t| !mine.contains(&(*t,))).collect())
}

/// Counts what merging would do.
pub async fn plan(db: &Db, spec: &Spec, dup: &Record, orig: &Record, names: &Names) -> Result<Plan, sqlx::Error> {
    let kind = spec.kind;
    let mut p = Plan::default();
    for r in relations(kind) {
        let n = count_where(db, r.table, sea_query::Condition::all().add(Expr::col(Alias::new(r.column)).eq(dup.id)))
            .await?;
        if n > 0 {
            p.moves.push((r.label, n));
        }
    }
    for (t, label) in PER_OBJECT {
        let cond = sea_query::Condition::all()
            .add(Expr::col("object_type").eq(kind.slug()))
            .add(Expr::col("object_id").eq(dup.id));
        let n = count_where(db, t, cond).await?;
        if n > 0 {
            p.moves.push((label, n));
        }
    }
    let tags = missing_tags(db, kind, dup.id, orig.id, orig.department_id).await?.len() as i64;
    if tags > 0 {
        p.united.push(("Tags", tags));
    }
    for l in links(kind) {
        let n = missing_links(db, l, dup.id, orig.id, orig.department_id).await?.len() as i64;
        if n > 0 {
            p.united.push((l.4, n));
        }
    }
    let after = filled(spec, orig, dup);
    let name = |to, id| names.of(to, id);
    for (i, f) in spec.fields.iter().enumerate() {
        if orig.values.get(i) != after.values.get(i)
            && let Some(v) = after.values.get(i)
        {
            p.fills.push((f.label, f.show(v, &name)));
        }
    }
    Ok(p)
}

/// What a committed merge changed, for the live events.
#[derive(Debug, Default)]
pub struct Merged {
    /// Re-pointed rows with pages: (kind, id, department).
    pub moved: Vec<(ItemKind, i64, i64)>,
    /// Files no longer linked (none, normally: the duplicate's files moved).
    pub files: Vec<i64>,
}

/// Merges `dup` into `orig` inside `tx` (see the module header). The caller checked access and
/// commits; on any error the caller drops `tx` and nothing happened.
pub async fn merge(
    tx: &mut Tx,
    db: &Db,
    spec: &Spec,
    dup: &Record,
    orig: &Record,
    actor: &Actor,
    names: &Names,
) -> Result<Merged, sqlx::Error> {
    let kind = spec.kind;
    let (dup_title, orig_title) = (spec.title_of(dup), spec.title_of(orig));
    let now = crate::db::now();
    let mut out = Merged::default();
    let mut moved = Diff::default();
    for r in relations(kind) {
        let mut values: Vec<(&str, SimpleExpr)> = vec![(r.column, orig.id.into()), ("updated_at", now.into())];
        if r.inherits {
            values.push(("department_id", orig.department_id.into()));
            values.push(("owner_id", orig.owner_id.into()));
        }
        let rows: Vec<(i64, i64)> = tx
            .fetch_all(
                Query::update()
                    .table(Alias::new(r.table))
                    .values(values.into_iter().map(|(c, v)| (Alias::new(c), v)))
                    .and_where(Expr::col(Alias::new(r.column)).eq(dup.id))
                    .returning(Query::returning().columns([Alias::new("id"), Alias::new("department_id")])),
            )
            .await?;
        if rows.is_empty() {
            continue;
        }
        let slug = history_slug(r);
        let field = spec.kind.label();
        for (id, department) in &rows {
            let mut d = Diff::default();
            d.field(field, &dup_title, &orig_title);
            let summary = format!("{field} ID{} was a duplicate of ID{}: re-pointed", dup.id, orig.id);
            history::record(tx, actor, slug, *id, Change::Update, &summary, &d).await?;
            if let Some(k) = r.kind {
                out.moved.push((k, *id, *department));
            }
        }
        moved.field(r.label, "", format!("{} moved from ID{}", rows.len(), dup.id));
    }
    for (t, label) in PER_OBJECT {
        let n = tx
            .execute(
                Query::update()
                    .table(Alias::new(*t))
                    .value(Alias::new("object_id"), orig.id)
                    .and_where(Expr::col("object_type").eq(kind.slug()))
                    .and_where(Expr::col("object_id").eq(dup.id)),
            )
            .await?;
        if n > 0 {
            moved.field(label, "", format!("{n} moved from ID{}", dup.id));
        }
    }
    // The duplicate's picture (a file that just moved) becomes the original's when it has none.
    let picture = if kind == ItemKind::Company { "logo_attachment_id" } else { "avatar_attachment_id" };
    let theirs: Option<i64> = tx
        .scalar::<Option<i64>>(
            Query::select().column(Alias::new(picture)).from(table(kind)).and_where(Expr::col("id").eq(dup.id)),
        )
        .await?
        .flatten();
    if let Some(a) = theirs {
        tx.execute(
            Query::update()
                .table(table(kind))
                .value(Alias::new(picture), a)
                .and_where(Expr::col("id").eq(orig.id))
                .and_where(Expr::col(Alias::new(picture)).is_null()),
        )
        .await?;
    }
    let tags = missing_tags(db, kind, dup.id, orig.id, orig.department_id).await?;
    for t in &tags {
        tx.execute(
            Query::insert().into_table("crm_taggings").columns(["object_type", "object_id", "tag_id"]).values_panic([
                kind.slug().into(),
                orig.id.into(),
                (*t).into(),
            ]),
        )
        .await?;
    }
    if !tags.is_empty() {
        moved.field("Tags", "", format!("{} added from ID{}", tags.len(), dup.id));
    }
    for l in links(kind) {
        let add = missing_links(db, l, dup.id, orig.id, orig.department_id).await?;
        for other in &add {
            tx.execute(
                Query::insert()
                    .into_table(Alias::new(l.0))
                    .columns([Alias::new(l.1), Alias::new(l.2)])
                    .values_panic([orig.id.into(), (*other).into()]),
            )
            .await?;
        }
        if !add.is_empty() {
            moved.field(l.4, "", format!("{} added from ID{}", add.len(), dup.id));
        }
    }
    let label = kind.label().to_lowercase();
    history::record(
        tx,
        actor,
        kind.slug(),
        dup.id,
        Change::Update,
        &format!("Merged into the {label} “{orig_title}” (ID{}) as its duplicate", orig.id),
        &moved,
    )
    .await?;
    // The duplicate goes before the original is filled: a company's name and country are unique,
    // and the original may be taking the duplicate's country.
    out.files = items::remove::delete(tx, db, kind, dup.id, actor).await?;
    history::record(
        tx,
        actor,
        kind.slug(),
        orig.id,
        Change::Update,
        &format!("Merged the duplicate {label} “{dup_title}” (ID{}) into this one", dup.id),
        &moved,
    )
    .await?;
    let after = filled(spec, orig, dup);
    repo::update(tx, spec, orig, &after, actor, names).await?;
    Ok(out)
}

/// After commit: the original, the deleted duplicate and every re-pointed row changed.
pub fn publish(bus: &Bus, orig: &ItemRef, dup: &ItemRef, merged: &Merged) {
    items::publish_changed(bus, orig);
    items::publish_changed(bus, dup);
    for (kind, id, department) in &merged.moved {
        bus.publish(DomainEvent::Changed {
            topic: Topic::Item(*kind),
            id: *id,
            audience: access::crm_audience(*kind, *department),
        });
    }
}

/// The original named by the form, checked: a number, not the duplicate itself, a row of the same
/// kind the viewer may see and change. Err: the message for the ID field.
pub async fn original(db: &Db, v: &Viewer, dup: &ItemRef, raw: &str) -> AppResult<Result<ItemRef, String>> {
    let label = dup.kind.label().to_lowercase();
    let Ok(id) = raw.trim().trim_start_matches("ID").trim().parse::<i64>() else {
        return Ok(Err(format!("Enter the ID of the original {label} (a number), or find it by name.")));
    };
    if id == dup.id {
        return Ok(Err(format!("The original must be another {label}, not this duplicate itself.")));
    }
    match items::load(db, v, dup.kind, id, Action::Edit).await {
        Ok(it) => Ok(Ok(it)),
        Err(AppError::NotFound) => Ok(Err(format!("There is no {label} with ID {id} that you may see."))),
        Err(AppError::Forbidden) => {
            Ok(Err(format!("You may not change the {label} ID{id}, so nothing can be moved to it.")))
        }
        Err(e) => Err(e),
    }
}

/// A write that failed after the check passed: when another save of the same counterparty won the
/// race (the companies' unique name and country), the same form messages as the check's; any other
/// error stays an error.
pub async fn raced(
    db: &Db,
    v: &Viewer,
    spec: &Spec,
    r: &Record,
    own: Option<i64>,
    e: sqlx::Error,
) -> AppResult<FormErrors> {
    if !crate::db::is_unique_violation(&e) {
        return Err(e.into());
    }
    match existing(db, spec, r, own).await? {
        Some((id, col)) => exists_errors(db, v, spec.kind, id, col).await,
        None => Err(e.into()),
    }
}
