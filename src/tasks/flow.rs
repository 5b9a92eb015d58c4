//! What tasks add to the generic flows (`items::flow`): a task cannot close over an active subtask;
//! a team task closes with its last done subtask and a main task starts with its first started one
//! (and a closed one reopens when a subtask becomes active again);
//! a new subtask is for one of its main task's responsible users; the co-owner rule; the "View task"
//! buttons of memos follow a task's stage.

use std::collections::HashMap;

use chrono::NaiveDate;
use maud::Markup;

use super::handlers::render_form;
use super::model::{DEFAULT_TASK_STEP, Rules, Stage, Task, WorkForm, WorkInput, next_working_day, welcome_titles};
use super::repo;
use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::events::DomainEvent;
use crate::items::flow::{CreateFlow, Cx, EditFlow, ItemFlow, Outcome, StageFlow, closing_notices, created};
use crate::items::{self, ItemRef, StageForm};
use crate::participants::{self, PRole};
use crate::views::tasks::Mode;

/// Tasks in the generic flows.
pub struct Tasks;

/// A task or project form, validated, with the names of the people it names (for history).
pub struct Checked {
    pub input: WorkInput,
    pub names: HashMap<i64, String>,
}

/// Validates a task or project form by `rules`, whose `users` this fills: the active users, and
/// `everyone` already in the object stays pickable for history's names. Its tags must be of `v`'s
/// departments (`tags::parse`).
pub async fn check(
    state: &AppState,
    v: &Viewer,
    everyone: &[i64],
    f: &WorkForm,
    rules: Rules<'_>,
) -> AppResult<Result<Checked, FormErrors>> {
    let (users, names) = crate::users::repo::pickable(&state.db, everyone).await?;
    let allowed = if f.tags.is_empty() { Vec::new() } else { super::tags::allowed(&state.db, v).await? };
    let tagged = super::tags::parse(v, &allowed, &f.tags, &f.new_tags);
    Ok(match (f.validate(&Rules { users: &users, ..rules }), tagged) {
        (Ok(mut input), Ok((tags, new_tags))) => {
            input.tags = tags;
            input.new_tags = new_tags;
            Ok(Checked { input, names })
        }
        (Ok(_), Err(msg)) => {
            let mut errs = FormErrors::default();
            errs.add("tags", msg);
            Err(errs)
        }
        (Err(mut errs), Err(msg)) => {
            errs.add("tags", msg);
            Err(errs)
        }
        (Err(errs), Ok(_)) => Err(errs),
    })
}

/// Writes the tags of a new or edited task or project (`tags::set`), with a history line when the
/// viewer's tags of it changed.
pub async fn write_tags(tx: &mut Tx, cx: &Cx<'_>, kind: ItemKind, id: i64, input: &WorkInput) -> AppResult<()> {
    let (before, after) = super::tags::set(tx, cx.viewer, kind, id, &input.tags, &input.new_tags).await?;
    if before != after {
        let mut d = crate::history::Diff::default();
        d.field("Tags", before.join(", "), after.join(", "));
        let summary = format!("Tags: {}", if after.is_empty() { "none".to_string() } else { after.join(", ") });
        crate::history::record(tx, &cx.actor, kind.slug(), id, crate::history::Change::Update, &summary, &d).await?;
    }
    Ok(())
}

/// The rules of an edit: the stored dates may stay in the past.
pub fn edit_rules(
    dates: (Option<NaiveDate>, Option<NaiveDate>),
    subtask: bool,
    need_responsible: bool,
) -> Rules<'static> {
    Rules { today: crate::time::today(), users: &[], before: Some(dates), subtask, need_responsible }
}

/// The next step, and its date, of a new task or project whose form left them empty.
pub fn default_next_step(input: &mut WorkInput, step: &str, today: NaiveDate) {
    if input.next_step.is_empty() {
        input.next_step = step.into();
    }
    if input.next_step_date.is_none() {
        input.next_step_date = Some(next_working_day(today));
    }
}

/// A new task, validated, with what it is made in or from.
pub struct NewTask {
    checked: Checked,
    ctx: Context,
    co_owner: Option<i64>,
    /// The deal it is made from.
    deal: Option<i64>,
}

/// What a new task is made in or from, loaded with the access that needs.
pub struct Context {
    pub parent: Option<(ItemRef, Task)>,
    pub project: Option<ItemRef>,
    pub memo: Option<ItemRef>,
}

/// Checks that the viewer may create a task in this context (404/403 otherwise) and loads it.
pub async fn context(
    state: &AppState,
    v: &Viewer,
    parent: Option<i64>,
    project: Option<i64>,
    memo: Option<i64>,
) -> AppResult<Context> {
    let parent = match parent {
        Some(id) => {
            let it = items::load(&state.db, v, ItemKind::Task, id, Action::CreateSubtask).await?;
            let t = repo::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
            Some((it, t))
        }
        None => None,
    };
    let project = match project {
        Some(id) => Some(items::load(&state.db, v, ItemKind::Project, id, Action::CreateSubtask).await?),
        None => None,
    };
    let memo = match memo {
        Some(id) => Some(items::load(&state.db, v, ItemKind::Memo, id, Action::CreateFromMemo).await?),
        None => None,
    };
    Ok(Context { parent, project, memo })
}

/// The co-owner of a new task: for a subtask the main task's owner; otherwise the one chosen, or — when
/// the creator is its only responsible — the head of the creator's department.
async fn decide_co_owner(
    state: &AppState,
    v: &Viewer,
    input: &WorkInput,
    parent: Option<&Task>,
) -> AppResult<Option<i64>> {
    if let Some(p) = parent {
        return Ok(Some(p.owner_id).filter(|o| *o != v.id));
    }
    if input.co_owner_id.is_some() {
        return Ok(input.co_owner_id.filter(|c| *c != v.id));
    }
    if input.responsible == [v.id]
        && let Some(dept) = v.department_id
    {
        return Ok(crate::users::repo::department_head(&state.db, dept).await?.filter(|h| *h != v.id));
    }
    Ok(None)
}

/// What the owner, co-owner and subscribers hear when a task or project (`what`) closes; nothing
/// while it is active.
pub fn closing(what: &str, name: &str, stage: Stage) -> Vec<(PRole, String)> {
    match stage {
        Stage::Done => closing_notices(format!("The {what} is done: {name}")),
        Stage::Canceled => closing_notices(format!("The {what} was canceled: {name}")),
        Stage::Pending | Stage::InProgress => Vec::new(),
    }
}

/// Notifies `item`'s participants by role (not the viewer); the email of each responsible carries
/// the task's one-click completion link (`items::notify_each` adds it to every task notice).
async fn with_links(
    tx: &mut Tx,
    cx: &Cx<'_>,
    item: &ItemRef,
    titles: &[(PRole, String)],
    body: &str,
) -> AppResult<Vec<i64>> {
    items::notify_each(tx, cx.state, item, titles, Some(cx.viewer.id), body).await
}

/// What the owner, co-owner and subscribers of a closed main task hear when a subtask reopens it.
fn reopened(pit: &ItemRef) -> Vec<(PRole, String)> {
    closing_notices(format!("The task was reopened by its subtask: {}", pit.title))
}

/// "task" or "subtask", as notices name it.
fn what(item: &ItemRef) -> &'static str {
    if item.subtask { "subtask" } else { "task" }
}

impl ItemFlow for Tasks {
    const KIND: ItemKind = ItemKind::Task;
    type Row = Task;
    type Form = WorkForm;

    async fn get(db: &Db, id: i64) -> AppResult<Option<Task>> {
        Ok(repo::get(db, id).await?)
    }

    async fn form(cx: &Cx<'_>, row: Option<&Task>, f: &WorkForm, errs: &FormErrors) -> AppResult<Markup> {
        render_form(cx.state, cx.viewer, cx.hx, row.map_or(Mode::New, |t| Mode::Edit(t.id)), f, errs).await
    }

    /// Every memo whose "View task" button shows this task's status re-fetches it.
    async fn stage_moved(state: &AppState, task: &ItemRef) -> AppResult<()> {
        for m in crate::memos::repo::linked_to_task(&state.db, task.id).await? {
            let parts = participants::of(&state.db, ItemKind::Memo, m.id).await?;
            state.bus.publish(DomainEvent::Changed {
                topic: crate::events::Topic::Item(ItemKind::Memo),
                id: m.id,
                audience: crate::access::item_audience(&parts, m.draft),
            });
        }
        Ok(())
    }
}

impl StageFlow for Tasks {
    type Stage = Stage;

    async fn stage_change(_db: &Db, t: &Task, f: &StageForm) -> AppResult<Option<Stage>> {
        Ok(Some(f.parse(Stage::from_slug)?).filter(|s| *s != t.stage()))
    }

    async fn write_stage(tx: &mut Tx, cx: &Cx<'_>, t: &Task, stage: &Stage) -> AppResult<()> {
        if !stage.active() && repo::active_subtasks(tx, t.id).await? > 0 {
            return Err(AppError::Conflict("The task cannot be closed because there is an active subtask.".into()));
        }
        repo::set_stage(tx, t, *stage, &cx.actor, &format!("Stage: {}", stage.label())).await?;
        // The stage buttons edit nothing else: the next step becomes the stage's label (§14.1).
        Ok(super::workflow::stage_reached(tx, ItemKind::Task, t.id, *stage).await?)
    }

    /// Members who hid the main task hear nothing of the others' subtasks (§14.1).
    async fn hearers(tx: &mut Tx, item: &ItemRef, t: &Task) -> AppResult<ItemRef> {
        match t.parent_id {
            Some(p) => Ok(super::hide::hearers(tx, item, p).await?),
            None => Ok(item.clone()),
        }
    }

    fn stage_notices(_cx: &Cx<'_>, item: &ItemRef, stage: &Stage) -> Vec<(PRole, String)> {
        closing(what(item), &item.title, *stage)
    }

    /// A done subtask may close its team task; a started one starts its pending main task.
    async fn after_stage(tx: &mut Tx, cx: &Cx<'_>, t: &Task, stage: &Stage, out: &mut Outcome) -> AppResult<()> {
        let Some(pid) = t.parent_id else { return Ok(()) };
        if *stage == Stage::Done {
            if let Some(p) = repo::complete_team_task_if_done(tx, pid, &cx.actor).await? {
                let pit = items::load_tx(tx, ItemKind::Task, p.id).await?;
                // The one who closed the subtask hears of the main task closing too.
                out.notify(tx, cx, &pit, &closing(what(&pit), &pit.title, Stage::Done), None, "").await?;
                out.moved(pit);
            }
        } else if stage.active() && repo::reopen_parent(tx, pid, &cx.actor).await?.is_some() {
            let pit = items::load_tx(tx, ItemKind::Task, pid).await?;
            out.notify(tx, cx, &pit, &reopened(&pit), Some(cx.viewer.id), "").await?;
            out.moved(pit);
        } else if *stage == Stage::InProgress && repo::start_parent(tx, pid, &cx.actor).await?.is_some() {
            out.moved(items::load_tx(tx, ItemKind::Task, pid).await?);
        }
        Ok(())
    }
}

impl EditFlow for Tasks {
    type Edit = Checked;

    fn form_of(item: &ItemRef, t: &Task) -> WorkForm {
        WorkForm {
            stage: t.stage.clone(),
            parent_id: t.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            project_id: t.project_id.map(|p| p.to_string()).unwrap_or_default(),
            tags_of: Some((ItemKind::Task, t.id)),
            ..repo::fields(t, &item.parts).form()
        }
    }

    /// Structure is not editable here: a subtask stays under its main task. People only for those
    /// who may assign them.
    fn keep(item: &ItemRef, v: &Viewer, t: &Task, f: &mut WorkForm) {
        f.parent_id = t.parent_id.map(|p| p.to_string()).unwrap_or_default();
        items::keep_people_unless_allowed(item, v, f);
    }

    async fn validate_edit(
        cx: &Cx<'_>,
        item: &ItemRef,
        t: &Task,
        f: &WorkForm,
    ) -> AppResult<Result<Checked, FormErrors>> {
        let everyone: Vec<i64> = item.parts.everyone().into_iter().collect();
        let rules = edit_rules((t.next_step_date, t.due_date), t.parent_id.is_some(), true);
        let mut c = match check(cx.state, cx.viewer, &everyone, f, rules).await? {
            Ok(c) => c,
            Err(errs) => return Ok(Err(errs)),
        };
        if t.parent_id.is_some() {
            c.input.project_id = t.project_id;
        }
        // Moving it into another project needs the right to add tasks there.
        if let Some(p) = c.input.project_id
            && Some(p) != t.project_id
        {
            items::load(&cx.state.db, cx.viewer, ItemKind::Project, p, Action::CreateSubtask).await?;
        }
        Ok(Ok(c))
    }

    async fn write_edit(tx: &mut Tx, cx: &Cx<'_>, item: &ItemRef, before: &Task, c: &Checked) -> AppResult<()> {
        repo::update(tx, before, &item.parts, &c.input, &cx.actor, &c.names).await?;
        write_tags(tx, cx, ItemKind::Task, before.id, &c.input).await?;
        let (step, who) = (c.input.next_step.as_str(), &c.input.responsible);
        let logged =
            super::workflow::step_edited(tx, ItemKind::Task, before.id, &before.next_step, step, who, cx.viewer)
                .await?;
        if let Some(step) = logged
            && let Some(pid) = before.parent_id
            && let Some(main) = repo::get_tx(tx, pid).await?
        {
            super::workflow::subtask_step(tx, &main, &c.input.name, &step, c.input.next_step_date).await?;
        }
        Ok(())
    }

    async fn notify_edit(
        tx: &mut Tx,
        cx: &Cx<'_>,
        before: &ItemRef,
        after: &ItemRef,
        c: &Checked,
    ) -> AppResult<Vec<i64>> {
        // As `welcome_newcomers`, a new responsible's email carrying the one-click "Completed" link.
        let newcomers = ItemRef { parts: after.parts.without(&before.parts), ..after.clone() };
        let titles = welcome_titles("task", &c.input.name);
        with_links(tx, cx, &newcomers, &titles, &c.input.description).await
    }
}

impl CreateFlow for Tasks {
    type New = NewTask;

    async fn validate_new(cx: &Cx<'_>, f: &WorkForm) -> AppResult<Result<NewTask, FormErrors>> {
        let (state, v) = (cx.state, cx.viewer);
        let id_of = |s: &str| s.trim().parse::<i64>().ok();
        // A subtask lives in its main task's project; that needs no right on the project itself.
        let parent_id = id_of(&f.parent_id);
        let project_id = if parent_id.is_some() { None } else { id_of(&f.project_id) };
        let ctx = context(state, v, parent_id, project_id, id_of(&f.memo_id)).await?;
        let deal = match crate::crm::deal_work::check(&state.db, v, &f.deal_id).await? {
            Ok(d) => d.map(|(id, _)| id),
            Err(errs) => return Ok(Err(errs)),
        };
        let today = crate::time::today();
        let rules = Rules { today, users: &[], before: None, subtask: ctx.parent.is_some(), need_responsible: true };
        let Checked { mut input, names } = match check(state, v, &[], f, rules).await? {
            Ok(c) => c,
            Err(errs) => return Ok(Err(errs)),
        };
        if let Some((pit, pt)) = &ctx.parent {
            if !input.responsible.iter().all(|r| pit.parts.users(PRole::Responsible).contains(r)) {
                let mut errs = FormErrors::default();
                errs.add("responsible", "A subtask is for one of the main task's responsible users.");
                return Ok(Err(errs));
            }
            if pt.parent_id.is_some() {
                return Err(AppError::BadRequest("A subtask cannot have subtasks of its own.".into()));
            }
            input.project_id = pt.project_id;
        }
        let parent = ctx.parent.as_ref().map(|(_, t)| t);
        let co_owner = decide_co_owner(state, v, &input, parent).await?;
        default_next_step(&mut input, DEFAULT_TASK_STEP, today);
        // Working on one's own subtask starts it.
        if parent.is_some() && input.responsible == [v.id] && input.stage == Stage::Pending {
            input.stage = Stage::InProgress;
        }
        Ok(Ok(NewTask { checked: Checked { input, names }, ctx, co_owner, deal }))
    }

    async fn insert(tx: &mut Tx, cx: &Cx<'_>, new: &NewTask) -> AppResult<ItemRef> {
        let (input, owner) = (&new.checked.input, cx.viewer.id);
        let id = repo::insert(tx, input, owner, new.co_owner, &cx.actor, &new.checked.names).await?;
        write_tags(tx, cx, ItemKind::Task, id, input).await?;
        let who = &cx.viewer.display_name;
        let line = if new.ctx.parent.is_some() {
            format!("The subtask was created. ({who})")
        } else {
            format!("The task was created. ({who})")
        };
        super::workflow::add(tx, ItemKind::Task, id, &line).await?;
        if let Some(p) = input.project_id {
            super::workflow::add(tx, ItemKind::Project, p, &format!("The task was created ({who}): {}", input.name))
                .await?;
        }
        if let Some(deal) = new.deal {
            crate::crm::deal_work::link(tx, ItemKind::Task, id, &input.name, deal, &cx.actor).await?;
        }
        let subtask = new.ctx.parent.is_some();
        Ok(ItemRef {
            team: !subtask && input.responsible.len() > 1,
            subtask,
            ..created(ItemKind::Task, id, &input.name, repo::parts_of(owner, new.co_owner, input))
        })
    }

    /// The main task shows its new subtask (and starts with a started one); the memo it is made from
    /// links to it and counts as considered.
    async fn after_insert(tx: &mut Tx, cx: &Cx<'_>, new: &NewTask, item: &ItemRef, out: &mut Outcome) -> AppResult<()> {
        let input = &new.checked.input;
        if let Some(m) = &new.ctx.memo {
            repo::set_memo_task(tx, m.id, item.id).await?;
            crate::memos::flow::made_from(tx, cx, m, item, &input.memo_files, out).await?;
        }
        if let Some((pit, pt)) = &new.ctx.parent {
            if input.stage.active() && repo::reopen_parent(tx, pt.id, &cx.actor).await?.is_some() {
                out.notify(tx, cx, pit, &reopened(pit), Some(cx.viewer.id), "").await?;
                out.moved(pit.clone());
            } else if input.stage == Stage::InProgress && repo::start_parent(tx, pt.id, &cx.actor).await?.is_some() {
                out.moved(pit.clone());
            } else {
                out.changed(pit.clone());
            }
        }
        Ok(())
    }

    async fn notify_new(tx: &mut Tx, cx: &Cx<'_>, new: &NewTask, item: &ItemRef) -> AppResult<Vec<i64>> {
        let input = &new.checked.input;
        let titles = welcome_titles(what(item), &input.name);
        with_links(tx, cx, item, &titles, &input.description).await
    }
}
