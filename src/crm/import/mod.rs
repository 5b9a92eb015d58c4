//! Excel import of companies, contact persons and leads (inventory §9.3).
//!
//! Upload (`POST /<kind>/import`) → the workbook is read in a blocking thread (`excel::read_sheet`:
//! size, format, zip-bomb and cell checks) → `plan` converts every row by the §9.3 rules, scoped to
//! what the importer may see and use → the plan is stored (`imports`, `import_rows`) and the preview
//! (`GET /imports/:id`) shows what will be created and what will be skipped, with row numbers and
//! reasons. Nothing is written to the CRM's tables before "Import" (`POST /imports/:id/confirm`),
//! which queues a job (`JOB`). The job writes batches of `BATCH` rows, each batch one transaction
//! holding the rows, their history and the import's `next_idx`, so a retried or crashed job never
//! writes a row twice; after each commit an event moves the page's progress bar. At the end the
//! report lists what was created and skipped, and the importer gets a notification.

pub mod handlers;
pub mod plan;

use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Deserialize;

use self::plan::{Planned, Skip};
use crate::access::{self, ItemKind};
use crate::app::AppState;
use crate::crm::repo::{self, Spec};
use crate::db::{Db, Tx};
use crate::events::{DomainEvent, Topic};
use crate::history::Actor;

/// The job kind that writes a confirmed import.
pub const JOB: &str = "crm_import";
/// Rows per transaction.
const BATCH: usize = 500;
/// The recurring job that removes previews never confirmed (`cleanup`).
pub const CLEANUP_JOB: &str = "crm_import_cleanup";
/// How long an unconfirmed preview is kept.
pub const PREVIEW_KEPT_HOURS: i64 = 24;

/// The kinds that can be imported.
pub fn importable(kind: ItemKind) -> bool {
    matches!(kind, ItemKind::Company | ItemKind::Contact | ItemKind::Lead)
}

/// One import, as its page shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Import {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub file_name: String,
    pub status: String,
    pub total_rows: i64,
    pub to_create: i64,
    pub next_idx: i64,
    pub created: i64,
    pub departments: String,
    pub report: String,
}

const COLS: [&str; 11] = [
    "id",
    "user_id",
    "kind",
    "file_name",
    "status",
    "total_rows",
    "to_create",
    "next_idx",
    "created",
    "departments",
    "report",
];

impl Import {
    pub fn spec(&self) -> Option<&'static Spec> {
        crate::kinds::by_slug(&self.kind).filter(|k| importable(*k)).and_then(crate::crm::handlers::spec)
    }
    pub fn skipped(&self) -> Vec<Skip> {
        serde_json::from_str(&self.report).unwrap_or_default()
    }
    pub fn department_ids(&self) -> Vec<i64> {
        self.departments.split(',').filter_map(|d| d.parse().ok()).collect()
    }
    pub fn url(&self) -> String {
        format!("/imports/{}", self.id)
    }
}

/// Removes the previews never confirmed that are older than `PREVIEW_KEPT_HOURS` with their rows
/// (the uploaded data: the plan is all an upload leaves), 100 imports a transaction. Returns how
/// many went.
pub async fn cleanup(db: &Db) -> Result<u64, sqlx::Error> {
    let before = crate::db::now() - chrono::Duration::hours(PREVIEW_KEPT_HOURS);
    let mut removed = 0;
    loop {
        let mut tx = db.begin().await?;
        let ids: Vec<(i64,)> = tx
            .fetch_all(
                Query::select()
                    .column("id")
                    .from("imports")
                    .and_where(Expr::col("status").eq("preview"))
                    .and_where(Expr::col("created_at").lt(before))
                    .limit(100),
            )
            .await?;
        if ids.is_empty() {
            return Ok(removed);
        }
        let ids: Vec<i64> = ids.into_iter().map(|(i,)| i).collect();
        tx.execute(Query::delete().from_table("import_rows").and_where(Expr::col("import_id").is_in(ids.clone())))
            .await?;
        // Only previews: one confirmed meanwhile is kept (its rows are gone only if it was not).
        let n = tx
            .execute(
                Query::delete()
                    .from_table("imports")
                    .and_where(Expr::col("id").is_in(ids))
                    .and_where(Expr::col("status").eq("preview")),
            )
            .await?;
        tx.commit().await?;
        removed += n;
    }
}

/// One page of the imports `v` may see (`access::imports_of`), newest first, with their importer's
/// name: one more than a page, so the caller knows whether another follows.
pub async fn list(db: &Db, v: &crate::access::Viewer, page: u64) -> Result<Vec<Listed>, sqlx::Error> {
    let mut q = Query::select();
    q.columns(COLS.map(|c| ("imports", c)))
        .column(("imports", "created_at"))
        .expr_as(Expr::col(("users", "username")), sea_query::Alias::new("username"))
        .from("imports")
        .inner_join("users", Expr::col(("users", "id")).equals(("imports", "user_id")))
        .order_by(("imports", "id"), Order::Desc)
        .limit(crate::paging::WINDOW)
        .offset(crate::paging::offset(page));
    if let Some(me) = access::imports_of(v) {
        q.and_where(Expr::col(("imports", "user_id")).eq(me));
    }
    db.fetch_all(&q).await
}

/// A row of the imports list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub import: Import,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub username: String,
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Import>, sqlx::Error> {
    db.fetch_optional(Query::select().columns(COLS).from("imports").and_where(Expr::col("id").eq(id))).await
}

/// Stores a plan; returns the import's id.
pub async fn store(
    db: &Db,
    user_id: i64,
    spec: &Spec,
    file_name: &str,
    total_rows: usize,
    p: &plan::Plan,
) -> Result<i64, sqlx::Error> {
    let now = crate::db::now();
    let departments: Vec<String> = p.departments.iter().map(i64::to_string).collect();
    let mut tx = db.begin().await?;
    let id = tx
        .insert_id(
            Query::insert()
                .into_table("imports")
                .columns([
                    "user_id",
                    "kind",
                    "file_name",
                    "status",
                    "total_rows",
                    "to_create",
                    "next_idx",
                    "created",
                    "departments",
                    "report",
                    "created_at",
                    "updated_at",
                ])
                .values_panic([
                    user_id.into(),
                    spec.kind.slug().into(),
                    file_name.chars().take(255).collect::<String>().into(),
                    "preview".into(),
                    (total_rows as i64).into(),
                    (p.rows.len() as i64).into(),
                    0i64.into(),
                    0i64.into(),
                    departments.join(",").into(),
                    serde_json::to_string(&p.skipped).unwrap_or_else(|_| "[]".into()).into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col("id"),
        )
        .await?;
    for (chunk_no, chunk) in p.rows.chunks(1000).enumerate() {
        let mut q = Query::insert();
        q.into_table("import_rows").columns(["import_id", "idx", "row_number", "data"]);
        for (i, (n, row)) in chunk.iter().enumerate() {
            let idx = (chunk_no * 1000 + i) as i64;
            let data = serde_json::to_string(row).unwrap_or_default();
            q.values_panic([id.into(), idx.into(), i64::from(*n).into(), data.into()]);
        }
        tx.execute(&q).await?;
    }
    tx.commit().await?;
    Ok(id)
}

#[derive(Deserialize)]
struct Payload {
    id: i64,
}

fn progress_event(imp: &Import) -> DomainEvent {
    // The importer's page, and administrators' (they may open every import's page).
    let mut audience = access::Audience::roles(&[access::Role::Admin]);
    audience.users.insert(imp.user_id);
    DomainEvent::Changed { topic: Topic::Import, id: imp.id, audience }
}

/// What one batch came to.
struct Written {
    created: i64,
    skipped: Vec<Skip>,
    /// (department, last id made there): lists of those departments refresh.
    touched: Vec<(i64, i64)>,
}

/// Writes `rows` (with their history and industries) in `tx`, skipping rows that came to exist
/// since the preview.
async fn write(
    tx: &mut Tx,
    db: &Db,
    spec: &Spec,
    rows: &[(i64, i64, String)],
    actor: &Actor,
) -> Result<Written, sqlx::Error> {
    let planned: Vec<(u32, crate::crm::repo::Record, Vec<i64>)> = rows
        .iter()
        .filter_map(|(_, n, data)| {
            let p: Planned = serde_json::from_str(data).ok()?;
            Some((*n as u32, p.record(spec), p.i))
        })
        .collect();
    let firsts: Vec<String> = planned.iter().map(|(_, r, _)| plan::key(spec, r).0).collect();
    let departments: Vec<i64> = planned.iter().map(|(_, r, _)| r.department_id).collect();
    let there = plan::existing(db, spec, &firsts, None, &departments).await.map_err(|e| match e {
        crate::error::AppError::Db(e) => e,
        e => sqlx::Error::Protocol(e.to_string()),
    })?;
    let refs: Vec<&crate::crm::repo::Record> = planned.iter().map(|(_, r, _)| r).collect();
    let names = crate::crm::choices::names(db, spec, &refs).await?;
    let mut out = Written { created: 0, skipped: Vec::new(), touched: Vec::new() };
    let mut fresh: Vec<(crate::crm::repo::Record, String)> = Vec::new();
    let mut links: Vec<Vec<i64>> = Vec::new();
    for (n, r, industries) in &planned {
        if there.contains(&plan::key(spec, r)) {
            out.skipped.push(Skip { row: *n, reason: plan::exists_reason(spec, r) });
            continue;
        }
        // The form's double-submit token (§2.2): 32 random hex characters.
        fresh.push((r.clone(), crate::auth::session::random_token().chars().take(32).collect()));
        links.push(industries.clone());
    }
    let ids = repo::insert_many(tx, spec, &fresh, actor, &names).await?;
    let (link, key) = match spec.kind {
        ItemKind::Company => ("company_industries", "company_id"),
        _ => ("lead_industries", "lead_id"),
    };
    let pairs: Vec<(i64, i64)> =
        ids.iter().zip(&links).flat_map(|(id, is)| is.iter().map(move |i| (*id, *i))).collect();
    for chunk in pairs.chunks(1000) {
        let mut q = Query::insert();
        q.into_table(sea_query::Alias::new(link)).columns([key, "industry_id"]);
        for (id, i) in chunk {
            q.values_panic([(*id).into(), (*i).into()]);
        }
        tx.execute(&q).await?;
    }
    for ((r, _), id) in fresh.iter().zip(&ids) {
        out.created += 1;
        match out.touched.iter_mut().find(|(d, _)| *d == r.department_id) {
            Some(t) => t.1 = *id,
            None => out.touched.push((r.department_id, *id)),
        }
    }
    Ok(out)
}

/// Advances `next_idx` from `from` to `to` and adds the batch's results, in the batch's transaction.
/// False when another run moved it first (then the batch must not be written).
async fn advance(tx: &mut Tx, id: i64, from: i64, to: i64) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::update()
                .table("imports")
                .values([
                    ("next_idx", to.into()),
                    ("status", "running".into()),
                    ("updated_at", crate::db::now().into()),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("next_idx").eq(from)),
        )
        .await?;
    Ok(n == 1)
}

async fn record(tx: &mut Tx, imp: &Import, created: i64, mut skipped: Vec<Skip>) -> Result<(), sqlx::Error> {
    let report: Option<String> =
        tx.scalar(Query::select().column("report").from("imports").and_where(Expr::col("id").eq(imp.id))).await?;
    let mut all: Vec<Skip> = report.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default();
    all.append(&mut skipped);
    all.sort_by_key(|s| s.row);
    tx.execute(
        Query::update()
            .table("imports")
            .value("created", Expr::col("created").add(created))
            .value("report", serde_json::to_string(&all).unwrap_or_else(|_| "[]".into()))
            .and_where(Expr::col("id").eq(imp.id)),
    )
    .await
    .map(|_| ())
}

fn publish(state: &AppState, imp: &Import, spec: &Spec, touched: &[(i64, i64)]) {
    for (department, id) in touched {
        state.bus.publish(DomainEvent::Changed {
            topic: Topic::Item(spec.kind),
            id: *id,
            audience: access::crm_audience(spec.kind, *department),
        });
    }
    state.bus.publish(progress_event(imp));
}

/// The job: writes the import's rows from where it stands, a batch per transaction.
pub async fn run(state: &AppState, payload: &str) -> Result<(), String> {
    let Payload { id } = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    run_import(state, id).await.map_err(|e| e.to_string())
}

async fn run_import(state: &AppState, id: i64) -> Result<(), sqlx::Error> {
    let db = &state.db;
    let Some(imp) = get(db, id).await? else { return Ok(()) };
    let Some(spec) = imp.spec() else { return Ok(()) };
    if !matches!(imp.status.as_str(), "queued" | "running") {
        return Ok(());
    }
    let user = crate::users::repo::get(db, imp.user_id).await.map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let actor = Actor { id: Some(user.id), name: user.full_name() };
    loop {
        let Some(now) = get(db, id).await? else { return Ok(()) };
        let from = now.next_idx;
        let rows: Vec<(i64, i64, String)> = db
            .fetch_all(
                Query::select()
                    .columns(["idx", "row_number", "data"])
                    .from("import_rows")
                    .and_where(Expr::col("import_id").eq(id))
                    .and_where(Expr::col("idx").gte(from))
                    .order_by("idx", Order::Asc)
                    .limit(BATCH as u64),
            )
            .await?;
        let Some(last) = rows.last().map(|r| r.0) else { break };
        let mut tx = db.begin().await?;
        if !advance(&mut tx, id, from, last + 1).await? {
            continue;
        }
        match write(&mut tx, db, spec, &rows, &actor).await {
            Ok(w) => {
                record(&mut tx, &imp, w.created, w.skipped).await?;
                tx.commit().await?;
                publish(state, &imp, spec, &w.touched);
            }
            Err(e) if crate::db::is_unique_violation(&e) || crate::db::is_foreign_key_violation(&e) => {
                drop(tx);
                // One row broke the batch: write them one by one, reporting the ones the database
                // refuses (§9.3 "IntegrityError").
                for row in &rows {
                    let mut tx = db.begin().await?;
                    if !advance(&mut tx, id, row.0, row.0 + 1).await? {
                        continue;
                    }
                    match write(&mut tx, db, spec, std::slice::from_ref(row), &actor).await {
                        Ok(w) => {
                            record(&mut tx, &imp, w.created, w.skipped).await?;
                            tx.commit().await?;
                            publish(state, &imp, spec, &w.touched);
                        }
                        Err(e) if crate::db::is_unique_violation(&e) || crate::db::is_foreign_key_violation(&e) => {
                            drop(tx);
                            let mut tx = db.begin().await?;
                            if advance(&mut tx, id, row.0, row.0 + 1).await? {
                                let reason =
                                    format!("IntegrityError: {}", e.to_string().chars().take(200).collect::<String>());
                                record(&mut tx, &imp, 0, vec![Skip { row: row.1 as u32, reason }]).await?;
                                tx.commit().await?;
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    // Done: the report and the importer's notification, once.
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            Query::update()
                .table("imports")
                .values([("status", "done".into()), ("updated_at", crate::db::now().into())])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("status").ne("done")),
        )
        .await?;
    if n == 1 {
        let done = get(db, id).await?.unwrap_or(imp.clone());
        let title = format!(
            "Import of {} finished: {} created, {} skipped",
            spec.kind.info().plural.to_lowercase(),
            done.created,
            done.skipped().len()
        );
        let url = imp.url();
        let notice = crate::notifications::Notice {
            user_id: imp.user_id,
            title: &title,
            body: &done.file_name,
            url: &url,
            object: None,
        };
        crate::notifications::send(&mut tx, &state.config, &notice).await?;
    }
    tx.commit().await?;
    state.bus.publish(progress_event(&imp));
    state.bus.publish(DomainEvent::Notice { user_id: imp.user_id });
    state.wake.notify_one();
    Ok(())
}
