//! Queries on tasks. Writes take a transaction and record history in it; participants are written
//! with `participants::set` in the same transaction.

use std::collections::HashMap;

use sea_query::{Alias, Expr, ExprTrait, Func, NullOrdering, Order, Query, SelectStatement, SimpleExpr};

use super::model::{Stage, Task, TaskFilter, Tasks, WorkFields, WorkInput};
use crate::access::{self, ItemKind, ListKind, Viewer};
use crate::crm::search;
use crate::db::{self, Db, Tx};
use crate::error::AppResult;
use crate::history::{self, Actor, Change, Diff};
use crate::paging::{self, Paged, Total};
use crate::participants::{self, PRole, Parts};

pub const COLS: [Tasks; 17] = [
    Tasks::Id,
    Tasks::Name,
    Tasks::Description,
    Tasks::NextStep,
    Tasks::NextStepDate,
    Tasks::DueDate,
    Tasks::Priority,
    Tasks::Stage,
    Tasks::Active,
    Tasks::OwnerId,
    Tasks::CoOwnerId,
    Tasks::ParentId,
    Tasks::ProjectId,
    Tasks::Team,
    Tasks::ClosingDate,
    Tasks::CreatedAt,
    Tasks::UpdatedAt,
];

fn select() -> SelectStatement {
    Query::select().columns(COLS.map(|c| (Tasks::Table, c))).from(Tasks::Table).to_owned()
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Task>, sqlx::Error> {
    db.fetch_optional(select().and_where(Expr::col((Tasks::Table, Tasks::Id)).eq(id))).await
}

pub async fn get_tx(tx: &mut Tx, id: i64) -> Result<Option<Task>, sqlx::Error> {
    tx.fetch_optional(select().and_where(Expr::col((Tasks::Table, Tasks::Id)).eq(id))).await
}

/// Tasks by id (for links from memos and projects), in one query.
pub async fn many(db: &Db, ids: &[i64]) -> Result<HashMap<i64, Task>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Task> =
        db.fetch_all(select().and_where(Expr::col((Tasks::Table, Tasks::Id)).is_in(ids.iter().copied()))).await?;
    Ok(rows.into_iter().map(|t| (t.id, t)).collect())
}

fn like(col: Tasks, text: &str) -> sea_query::Expr {
    Expr::expr(Func::lower(Expr::col((Tasks::Table, col))))
        .like(sea_query::LikeExpr::new(db::like_pattern(&text.to_lowercase())).escape('\\'))
}

fn user_filter(raw: &str) -> Option<i64> {
    raw.trim().parse::<i64>().ok()
}

/// Applies the task list's default Responsible to `f` (`TaskFilter::resolve`), asking whether `v`
/// is responsible for any task only when the default may apply (one probe of
/// ix_participants_user_role).
pub async fn resolve(db: &Db, v: &Viewer, f: &mut TaskFilter) -> Result<(), sqlx::Error> {
    use crate::participants::Participants as P;
    if !f.wants_default(v) {
        return Ok(());
    }
    let has_own = f.filtered.is_empty()
        && db
            .scalar::<i64>(
                Query::select()
                    .column(P::ObjectId)
                    .from(P::Table)
                    .and_where(Expr::col(P::UserId).eq(v.id))
                    .and_where(Expr::col(P::ObjectType).eq(ItemKind::Task.slug()))
                    .and_where(Expr::col(P::Role).eq(PRole::Responsible.slug()))
                    .limit(1),
            )
            .await?
            .is_some();
    f.resolve(v, has_own);
    Ok(())
}

/// The tasks `v` may see with the filter's conditions: the list's query before order and window,
/// its text matched by reading every row (`searched` asks the search index first).
pub fn filtered(v: &Viewer, f: &TaskFilter) -> AppResult<SelectStatement> {
    let text = f.q.trim();
    filtered_with(v, f, (!text.is_empty()).then(|| like(Tasks::Name, text).or(like(Tasks::Description, text))))
}

/// `filtered`, the text matched through the search index (`crm::search::text_condition`): the
/// same rows.
pub async fn searched(db: &Db, v: &Viewer, f: &TaskFilter) -> AppResult<SelectStatement> {
    let text = f.q.trim();
    let cond = if text.is_empty() { None } else { Some(search::text_condition(db, ItemKind::Task, text).await?) };
    filtered_with(v, f, cond)
}

/// The participant rows that drive the page, alias `rp`: the responsible the list is filtered to,
/// for the default grouped order of active tasks (`ix_participants_task_group`, migration 33).
const RP: &str = "rp";

/// The responsible whose own participant rows, read in list order, make the page: set when the list
/// is filtered to one responsible (the non-chiefs' default, §14.1) and shows active tasks in the
/// grouped order. Walking every active task in that order instead and probing each for the person
/// took ~1,000 probes a page for a manager responsible for one task in twenty.
fn driving_responsible(f: &TaskFilter) -> Option<i64> {
    if f.all() || matches!(f.sort.as_str(), "due" | "step" | "id") {
        return None;
    }
    user_filter(&f.responsible)
}

fn filtered_with(v: &Viewer, f: &TaskFilter, text: Option<SimpleExpr>) -> AppResult<SelectStatement> {
    use crate::participants::Participants as P;
    let mut q = Query::select();
    list_columns(&mut q).from(Tasks::Table);
    let driving = driving_responsible(f);
    if let Some(r) = driving {
        // One row per task: (object, role, user) is the participants' primary key. The copies
        // `task_active` / `task_group` are the task's own (kept by triggers, migration 33).
        q.join_as(
            sea_query::JoinType::InnerJoin,
            P::Table,
            Alias::new(RP),
            Expr::col((Alias::new(RP), P::ObjectId)).equals((Tasks::Table, Tasks::Id)),
        )
        .and_where(Expr::col((Alias::new(RP), P::UserId)).eq(r))
        .and_where(Expr::col((Alias::new(RP), P::ObjectType)).eq(ItemKind::Task.slug()))
        .and_where(Expr::col((Alias::new(RP), P::Role)).eq(PRole::Responsible.slug()))
        .and_where(Expr::col((Alias::new(RP), Alias::new("task_active"))).eq(true));
    }
    let roles: &[PRole] = match f.role.as_str() {
        "mine" => &[PRole::Owner, PRole::CoOwner],
        "assigned" => &[PRole::Responsible],
        "subscribed" => &[PRole::Subscriber],
        _ => &[],
    };
    if !roles.is_empty() {
        // Taking part in a task in any role makes it visible (`access::can_item`), so the viewer's
        // own roles need no visibility test besides: one probe per row instead of up to four.
        q.and_where(participants::involving(ItemKind::Task, (Tasks::Table, Tasks::Id), v.id, roles));
    } else if user_filter(&f.responsible) != Some(v.id) {
        access::scope(v, ListKind::Tasks, &mut q)?;
    }
    // Else the responsible filter below names the viewer (the list's default for non-chiefs,
    // §14.1): being responsible makes a task visible, by the same rule, so the visibility test
    // (three probes a row as the list walks its index) is left out.
    if !f.all() {
        if driving.is_none() {
            q.and_where(Expr::col((Tasks::Table, Tasks::Active)).eq(true));
        }
        // A main task the viewer finished their part of and hid (§14.1) leaves their active list.
        q.and_where(super::hide::not_hidden_for(v.id));
    }
    if let Some(s) = Stage::from_slug(&f.stage) {
        q.and_where(Expr::col((Tasks::Table, Tasks::Stage)).eq(s.slug()));
    }
    if let Some(o) = user_filter(&f.owner) {
        q.and_where(Expr::col((Tasks::Table, Tasks::OwnerId)).eq(o));
    }
    if let Some(r) = user_filter(&f.responsible).filter(|_| driving.is_none()) {
        q.and_where(participants::involving(ItemKind::Task, (Tasks::Table, Tasks::Id), r, &[PRole::Responsible]));
    }
    if let Some(p) = user_filter(&f.project) {
        q.and_where(Expr::col((Tasks::Table, Tasks::ProjectId)).eq(p));
    }
    if let Some(t) = user_filter(&f.tag) {
        q.and_where(super::tags::filter(v, ItemKind::Task, ("tasks", "id"), t));
    }
    if let Some(t) = text {
        q.and_where(t);
    }
    Ok(q)
}

/// How many tasks the filter matches (bounded: see `paging::bounded_count`).
pub async fn total(db: &Db, v: &Viewer, f: &TaskFilter) -> AppResult<Total> {
    Ok(paging::bounded_count(db, searched(db, v, f).await?).await?)
}

/// One page of the tasks `v` may see, filtered and sorted.
pub async fn list(db: &Db, v: &Viewer, f: &TaskFilter) -> AppResult<Paged<Task>> {
    let q = page_query(db, v, f).await?;
    Ok(Paged::window(db.fetch_all(&q).await?, paging::page_number(f.page)))
}

/// The query of one page of the list (the query-plan tests read it).
pub async fn page_query(db: &Db, v: &Viewer, f: &TaskFilter) -> AppResult<SelectStatement> {
    let page = paging::page_number(f.page);
    let mut q = searched(db, v, f).await?;
    // Dates ascending, tasks without one last. Spelt NULLS LAST (both backends) rather than
    // `date IS NULL, date`: SQLite then walks ix_tasks_active_due_id / _step_id in order and stops after the
    // page instead of sorting every matching task.
    match f.sort.as_str() {
        "due" => q.order_by_with_nulls((Tasks::Table, Tasks::DueDate), Order::Asc, NullOrdering::Last),
        // §14.1's toggle: a subtask by its main task's date (`group_step_date`, kept by triggers:
        // migration 33), so each group stays together; then as the grouped order.
        // ix_tasks_active_step_group holds this order among active tasks.
        "step" => q
            .order_by_with_nulls((Tasks::Table, Alias::new("group_step_date")), Order::Asc, NullOrdering::Last)
            .order_by_expr(group_key(), Order::Desc)
            .order_by((Tasks::Table, Tasks::Id), Order::Asc),
        "id" => &mut q,
        // §14.1's default: each main task with its subtasks, newest main task first. A subtask's id
        // is above its main task's, so `id` ascending within a group puts the main task first.
        // ix_tasks_active_group / ix_tasks_group (migration 31) hold this very expression, so the
        // list walks them and stops after the page.
        // Filtered to one responsible: their participant rows hold the same key, in
        // ix_participants_task_group's order (migration 33).
        _ if driving_responsible(f).is_some() => q
            .order_by((Alias::new(RP), Alias::new("task_group")), Order::Desc)
            .order_by((Alias::new(RP), crate::participants::Participants::ObjectId), Order::Asc),
        _ => q.order_by_expr(group_key(), Order::Desc).order_by((Tasks::Table, Tasks::Id), Order::Asc),
    };
    if matches!(f.sort.as_str(), "due" | "id") {
        q.order_by((Tasks::Table, Tasks::Id), Order::Desc);
    }
    q.limit(paging::WINDOW).offset(paging::offset(page));
    Ok(q)
}

/// `coalesce(parent_id, id)`: the main task a row groups under (itself for a main task), spelt as
/// the indexes of migration 31 spell it.
pub fn group_key() -> SimpleExpr {
    Func::coalesce([Expr::col((Tasks::Table, Tasks::ParentId)), Expr::col((Tasks::Table, Tasks::Id))]).into()
}

/// How many of the first active tasks by due date `assigned` looks through for the viewer's own.
const WALK: u64 = 400;

/// Selects the columns of `tasks` that lists show: all but the description, left (possibly long) in
/// the database and read as "".
fn list_columns(q: &mut SelectStatement) -> &mut SelectStatement {
    q.columns(COLS.into_iter().filter(|c| !matches!(c, Tasks::Description)).map(|c| (Tasks::Table, c)))
        .expr_as(Expr::val(""), "description")
}

/// `participants ⋈ tasks`: the active tasks `user` is responsible for, one row each.
fn assigned_join(user: i64) -> SelectStatement {
    use crate::participants::Participants as P;
    Query::select()
        .from(P::Table)
        .inner_join(Tasks::Table, Expr::col((Tasks::Table, Tasks::Id)).equals((P::Table, P::ObjectId)))
        .and_where(Expr::col((P::Table, P::UserId)).eq(user))
        .and_where(Expr::col((P::Table, P::ObjectType)).eq(ItemKind::Task.slug()))
        .and_where(Expr::col((P::Table, P::Role)).eq(PRole::Responsible.slug()))
        .and_where(Expr::col((Tasks::Table, Tasks::Active)).eq(true))
        .to_owned()
}

/// The home page's "My tasks": the first `n` (at most a page) of `/tasks?role=assigned&sort=due`
/// for `user` (active tasks they are responsible for; due date, none last, then newest), and in
/// `more` whether that list runs past one page. Being responsible makes a task visible, so there is
/// no scope to test.
///
/// First their active tasks are counted up to a page plus one (ix_participants_user_role, stopping
/// there): that is `more`. No index orders one person's tasks by due date, so the rows come from one
/// of two plans, each cheap where the other is not (docs/benchmarks.md):
/// 1. For someone with more than a page of tasks: walk the first `WALK` active tasks in due order
///    (ix_tasks_active_due_id) and probe each for the user. When `n` turn up, they are the answer:
///    no later task in that order comes before them. This finds them for anyone responsible for a
///    fair share of the open work, where sorting all of their tasks would be the expensive part
///    (3,000 for the busiest demo users at scale 10).
/// 2. Otherwise (few tasks, or a small share of the open work): sort just their own active tasks.
pub async fn assigned(db: &Db, user: i64, n: u64) -> Result<Paged<Task>, sqlx::Error> {
    let n = Ord::min(n, paging::PER_PAGE);
    let upto = assigned_join(user).column((Tasks::Table, Tasks::Id)).limit(paging::WINDOW).to_owned();
    let count: i64 =
        db.scalar(Query::select().expr(Expr::col(("c", "id")).count()).from_subquery(upto, "c")).await?.unwrap_or(0);
    let more = count as u64 > paging::PER_PAGE;
    let mut items = Vec::new();
    if more {
        let walk = Query::select()
            .columns([(Tasks::Table, Tasks::Id), (Tasks::Table, Tasks::DueDate)])
            .from(Tasks::Table)
            .and_where(Expr::col((Tasks::Table, Tasks::Active)).eq(true))
            .order_by_with_nulls((Tasks::Table, Tasks::DueDate), Order::Asc, NullOrdering::Last)
            .order_by((Tasks::Table, Tasks::Id), Order::Desc)
            .limit(WALK)
            .to_owned();
        let mut q = Query::select();
        list_columns(&mut q)
            .from_subquery(walk, "w")
            .inner_join(Tasks::Table, Expr::col((Tasks::Table, Tasks::Id)).equals(("w", "id")))
            .and_where(participants::involving(ItemKind::Task, ("w", "id"), user, &[PRole::Responsible]))
            .order_by_with_nulls(("w", "due_date"), Order::Asc, NullOrdering::Last)
            .order_by(("w", "id"), Order::Desc)
            .limit(n);
        items = db.fetch_all(&q).await?;
    }
    if count > 0 && (items.len() as u64) < n {
        // The same order spelt `due_date IS NULL, due_date` on purpose: no index yields it, so SQLite
        // starts from the user's participant rows. Given NULLS LAST it would walk
        // ix_tasks_active_due_id instead: plan 1 without its bound.
        let mut q = assigned_join(user);
        list_columns(&mut q)
            .order_by_expr(Expr::col((Tasks::Table, Tasks::DueDate)).is_null(), Order::Asc)
            .order_by((Tasks::Table, Tasks::DueDate), Order::Asc)
            .order_by((Tasks::Table, Tasks::Id), Order::Desc)
            .limit(n);
        items = db.fetch_all(&q).await?;
    }
    let mut page = Paged::window(items, 1);
    page.more = more;
    Ok(page)
}

/// The subtasks of a task, oldest first.
pub async fn subtasks(db: &Db, parent: i64) -> Result<Vec<Task>, sqlx::Error> {
    db.fetch_all(
        select().and_where(Expr::col((Tasks::Table, Tasks::ParentId)).eq(parent)).order_by(Tasks::Id, Order::Asc),
    )
    .await
}

/// The tasks of a project (main tasks and subtasks), newest first, at most `limit`.
pub async fn of_project(db: &Db, project: i64, limit: u64) -> Result<Vec<Task>, sqlx::Error> {
    db.fetch_all(
        select()
            .and_where(Expr::col((Tasks::Table, Tasks::ProjectId)).eq(project))
            .order_by(Tasks::Id, Order::Desc)
            .limit(limit),
    )
    .await
}

/// (all, done) task counts of each project, in one query.
pub async fn project_progress(db: &Db, projects: &[i64]) -> Result<HashMap<i64, (i64, i64)>, sqlx::Error> {
    if projects.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, i64)> = db
        .fetch_all(
            Query::select()
                .column(Tasks::ProjectId)
                .column(Tasks::Stage)
                .expr(Expr::col(Tasks::Id).count())
                .from(Tasks::Table)
                .and_where(Expr::col(Tasks::ProjectId).is_in(projects.iter().copied()))
                .group_by_col(Tasks::ProjectId)
                .group_by_col(Tasks::Stage),
        )
        .await?;
    let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
    for (p, stage, n) in rows {
        let e = out.entry(p).or_default();
        e.0 += n;
        if stage == Stage::Done.slug() {
            e.1 += n;
        }
    }
    Ok(out)
}

/// The participants of a new or edited task, from the form and the decided owner/co-owner.
pub fn parts_of(owner: i64, co_owner: Option<i64>, input: &WorkInput) -> Parts {
    let mut p = Parts::default();
    p.add(PRole::Owner, owner);
    if let Some(c) = co_owner {
        p.add(PRole::CoOwner, c);
    }
    for r in &input.responsible {
        p.add(PRole::Responsible, *r);
    }
    for s in &input.subscribers {
        p.add(PRole::Subscriber, *s);
    }
    p
}

/// The shared fields of a stored task and its participants.
pub fn fields(t: &Task, parts: &Parts) -> WorkFields {
    WorkFields {
        name: t.name.clone(),
        description: t.description.clone(),
        next_step: t.next_step.clone(),
        next_step_date: t.next_step_date,
        due_date: t.due_date,
        priority: t.priority,
        co_owner_id: t.co_owner_id,
        responsible: parts.users(PRole::Responsible),
        subscribers: parts.users(PRole::Subscriber),
    }
}

/// Names of people for history lines, e.g. "Ann Lee, Bob Stone".
pub fn people_text(ids: &[i64], names: &HashMap<i64, String>) -> String {
    ids.iter().map(|i| names.get(i).cloned().unwrap_or_else(|| format!("#{i}"))).collect::<Vec<_>>().join(", ")
}

/// Inserts a task with its participants; records history. Returns the id.
pub async fn insert(
    tx: &mut Tx,
    input: &WorkInput,
    owner: i64,
    co_owner: Option<i64>,
    actor: &Actor,
    names: &HashMap<i64, String>,
) -> Result<i64, sqlx::Error> {
    let now = db::now();
    let stage = input.stage;
    let team = input.parent_id.is_none() && input.responsible.len() > 1;
    let id = tx
        .insert_id(
            Query::insert()
                .into_table(Tasks::Table)
                .columns(COLS.into_iter().skip(1))
                .values_panic([
                    input.name.as_str().into(),
                    input.description.as_str().into(),
                    input.next_step.as_str().into(),
                    input.next_step_date.into(),
                    input.due_date.into(),
                    input.priority.into(),
                    stage.slug().into(),
                    stage.active().into(),
                    owner.into(),
                    co_owner.into(),
                    input.parent_id.into(),
                    input.project_id.into(),
                    team.into(),
                    (!stage.active()).then(crate::time::today).into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(Tasks::Id),
        )
        .await?;
    search::index_text(tx, ItemKind::Task, id, &[&input.name, &input.description]).await?;
    participants::set(tx, ItemKind::Task, id, &parts_of(owner, co_owner, input)).await?;
    let after = WorkFields { co_owner_id: co_owner, ..WorkFields::of_input(input) };
    let mut d = after.diff(&WorkFields::default(), names);
    d.field("Stage", "", stage.label());
    let what = if input.parent_id.is_some() { "subtask" } else { "task" };
    history::record(tx, actor, "task", id, Change::Create, &format!("Created the {what} {}", input.name), &d).await?;
    Ok(id)
}

/// Saves an edit (fields and people; the owner stays). Returns the diff recorded.
pub async fn update(
    tx: &mut Tx,
    before: &Task,
    before_parts: &Parts,
    input: &WorkInput,
    actor: &Actor,
    names: &HashMap<i64, String>,
) -> Result<Diff, sqlx::Error> {
    let team = before.parent_id.is_none() && input.responsible.len() > 1;
    tx.execute(
        Query::update()
            .table(Tasks::Table)
            .values([
                (Tasks::Name, input.name.as_str().into()),
                (Tasks::Description, input.description.as_str().into()),
                (Tasks::NextStep, input.next_step.as_str().into()),
                (Tasks::NextStepDate, input.next_step_date.into()),
                (Tasks::DueDate, input.due_date.into()),
                (Tasks::Priority, input.priority.into()),
                (Tasks::CoOwnerId, input.co_owner_id.into()),
                (Tasks::ProjectId, input.project_id.into()),
                (Tasks::Team, team.into()),
                (Tasks::UpdatedAt, db::now().into()),
            ])
            .and_where(Expr::col(Tasks::Id).eq(before.id)),
    )
    .await?;
    search::reindex_text(
        tx,
        ItemKind::Task,
        before.id,
        &[&before.name, &before.description],
        &[&input.name, &input.description],
    )
    .await?;
    participants::set(tx, ItemKind::Task, before.id, &parts_of(before.owner_id, input.co_owner_id, input)).await?;
    let mut d = WorkFields::of_input(input).diff(&fields(before, before_parts), names);
    d.field(
        "Project",
        before.project_id.map(|p| format!("#{p}")).unwrap_or_default(),
        input.project_id.map(|p| format!("#{p}")).unwrap_or_default(),
    );
    if !d.is_empty() {
        history::record(tx, actor, "task", before.id, Change::Update, &format!("Edited the task {}", input.name), &d)
            .await?;
    }
    Ok(d)
}

/// Moves a task to `stage`: active flag and closing date follow; records history.
pub async fn set_stage(tx: &mut Tx, t: &Task, stage: Stage, actor: &Actor, summary: &str) -> Result<(), sqlx::Error> {
    set_work_stage(tx, ItemKind::Task, t.id, t.stage(), stage, actor, summary).await
}

/// Moves a task or project (same stage columns) from `from` to `to`, with its history line.
pub async fn set_work_stage(
    tx: &mut Tx,
    kind: ItemKind,
    id: i64,
    from: Stage,
    to: Stage,
    actor: &Actor,
    summary: &str,
) -> Result<(), sqlx::Error> {
    let table = if kind == ItemKind::Project { "projects" } else { "tasks" };
    let now = db::now();
    tx.execute(
        Query::update()
            .table(table)
            .values([
                ("stage", to.slug().into()),
                ("active", to.active().into()),
                ("closing_date", (!to.active()).then_some(crate::time::today()).into()),
                ("updated_at", now.into()),
            ])
            .and_where(Expr::col("id").eq(id)),
    )
    .await?;
    let mut d = Diff::default();
    d.field("Stage", from.label(), to.label());
    history::record(tx, actor, kind.slug(), id, Change::Update, summary, &d).await
}

/// Number of active subtasks of a task.
pub async fn active_subtasks(tx: &mut Tx, parent: i64) -> Result<i64, sqlx::Error> {
    Ok(tx
        .scalar(
            Query::select()
                .expr(Expr::col(Tasks::Id).count())
                .from(Tasks::Table)
                .and_where(Expr::col(Tasks::ParentId).eq(parent))
                .and_where(Expr::col(Tasks::Active).eq(true)),
        )
        .await?
        .unwrap_or(0))
}

/// The team-task rule: a main task at an active stage becomes Done by itself when it has no active
/// subtask and every one of its responsible users is responsible for at least one done subtask.
/// Returns the main task (as it was) when it was closed.
pub async fn complete_team_task_if_done(
    tx: &mut Tx,
    parent_id: i64,
    actor: &Actor,
) -> Result<Option<Task>, sqlx::Error> {
    let Some(parent) = get_tx(tx, parent_id).await? else { return Ok(None) };
    if !parent.stage().active() || active_subtasks(tx, parent_id).await? > 0 {
        return Ok(None);
    }
    let responsible: Vec<(i64,)> = tx
        .fetch_all(
            Query::select()
                .column(participants::Participants::UserId)
                .from(participants::Participants::Table)
                .and_where(Expr::col(participants::Participants::ObjectType).eq(ItemKind::Task.slug()))
                .and_where(Expr::col(participants::Participants::ObjectId).eq(parent_id))
                .and_where(Expr::col(participants::Participants::Role).eq(PRole::Responsible.slug())),
        )
        .await?;
    let done_sub = Query::select()
        .column(Tasks::Id)
        .from(Tasks::Table)
        .and_where(Expr::col(Tasks::ParentId).eq(parent_id))
        .and_where(Expr::col(Tasks::Stage).eq(Stage::Done.slug()))
        .to_owned();
    let with_done: Vec<(i64,)> = tx
        .fetch_all(
            Query::select()
                .distinct()
                .column(participants::Participants::UserId)
                .from(participants::Participants::Table)
                .and_where(Expr::col(participants::Participants::ObjectType).eq(ItemKind::Task.slug()))
                .and_where(Expr::col(participants::Participants::Role).eq(PRole::Responsible.slug()))
                .and_where(Expr::col(participants::Participants::ObjectId).in_subquery(done_sub)),
        )
        .await?;
    if responsible.is_empty() || !responsible.iter().all(|r| with_done.contains(r)) {
        return Ok(None);
    }
    set_stage(tx, &parent, Stage::Done, actor, "The main task is closed automatically: all subtasks are done.").await?;
    let today = crate::time::today();
    super::workflow::set_step(tx, ItemKind::Task, parent_id, Stage::Done.label(), Some(today)).await?;
    super::workflow::add(tx, ItemKind::Task, parent_id, "The main task is closed automatically.").await?;
    Ok(Some(parent))
}

/// A subtask started: its main task, if still pending, goes in progress too.
pub async fn start_parent(tx: &mut Tx, parent_id: i64, actor: &Actor) -> Result<Option<Task>, sqlx::Error> {
    let Some(parent) = get_tx(tx, parent_id).await? else { return Ok(None) };
    if parent.stage() != Stage::Pending {
        return Ok(None);
    }
    set_stage(tx, &parent, Stage::InProgress, actor, "A subtask is in progress, so the main task is too.").await?;
    Ok(Some(parent))
}

/// A subtask became active again (reopened, or added) under a closed main task: the main task is
/// reopened, in progress (§14.1). Returns the main task as it was when it was reopened.
pub async fn reopen_parent(tx: &mut Tx, parent_id: i64, actor: &Actor) -> Result<Option<Task>, sqlx::Error> {
    let Some(parent) = get_tx(tx, parent_id).await? else { return Ok(None) };
    if parent.stage().active() {
        return Ok(None);
    }
    set_stage(tx, &parent, Stage::InProgress, actor, "A subtask is active again, so the main task is reopened.")
        .await?;
    Ok(Some(parent))
}

/// Ids of a task and its subtasks (what goes when it is deleted).
pub async fn family(db: &Db, id: i64) -> Result<Vec<i64>, sqlx::Error> {
    let subs: Vec<(i64,)> = db
        .fetch_all(Query::select().column(Tasks::Id).from(Tasks::Table).and_where(Expr::col(Tasks::ParentId).eq(id)))
        .await?;
    let mut out = vec![id];
    out.extend(subs.into_iter().map(|(i,)| i));
    Ok(out)
}

/// Links a task to the memo it was made from.
pub async fn set_memo_task(tx: &mut Tx, memo: i64, task: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table("memos")
            .value("task_id", task)
            .value("updated_at", db::now())
            .and_where(Expr::col("id").eq(memo)),
    )
    .await
    .map(|_| ())
}
