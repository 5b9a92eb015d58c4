//! What projects add to the generic flows (`items::flow`): the task rules without subtasks — a
//! responsible is optional, the co-owner is never the creator — and a project made from a memo.

use maud::Markup;

use super::handlers::render_form;
use super::repo::{self, Project};
use crate::access::{Action, ItemKind, Viewer};
use crate::db::{Db, Tx};
use crate::error::{AppResult, FormErrors};
use crate::items::flow::{CreateFlow, Cx, EditFlow, ItemFlow, Outcome, StageFlow, created, welcome_newcomers};
use crate::items::{self, ItemRef, StageForm};
use crate::participants::PRole;
use crate::tasks::flow::{Checked, check, default_next_step, edit_rules};
use crate::tasks::model::{DEFAULT_PROJECT_STEP, Rules, Stage, WorkForm, welcome_titles};
use crate::views::projects::Mode;

/// Projects in the generic flows.
pub struct Projects;

/// A new project, validated, with the memo it is made from.
pub struct NewProject {
    checked: Checked,
    memo: Option<ItemRef>,
}

impl ItemFlow for Projects {
    const KIND: ItemKind = ItemKind::Project;
    type Row = Project;
    type Form = WorkForm;

    async fn get(db: &Db, id: i64) -> AppResult<Option<Project>> {
        Ok(repo::get(db, id).await?)
    }

    async fn form(cx: &Cx<'_>, row: Option<&Project>, f: &WorkForm, errs: &FormErrors) -> AppResult<Markup> {
        render_form(cx.state, cx.viewer, cx.hx, row.map_or(Mode::New, |p| Mode::Edit(p.id)), f, errs).await
    }
}

impl StageFlow for Projects {
    type Stage = Stage;

    async fn stage_change(_db: &Db, p: &Project, f: &StageForm) -> AppResult<Option<Stage>> {
        Ok(Some(f.parse(Stage::from_slug)?).filter(|s| *s != p.stage()))
    }

    async fn write_stage(tx: &mut Tx, cx: &Cx<'_>, p: &Project, stage: &Stage) -> AppResult<()> {
        repo::set_stage(tx, p, *stage, &cx.actor).await?;
        Ok(crate::tasks::workflow::stage_reached(tx, ItemKind::Project, p.id, *stage).await?)
    }

    fn stage_notices(_cx: &Cx<'_>, item: &ItemRef, stage: &Stage) -> Vec<(PRole, String)> {
        crate::tasks::flow::closing("project", &item.title, *stage)
    }
}

impl EditFlow for Projects {
    type Edit = Checked;

    fn form_of(item: &ItemRef, p: &Project) -> WorkForm {
        WorkForm { tags_of: Some((ItemKind::Project, p.id)), ..repo::fields(p, &item.parts).form() }
    }

    /// Who is responsible and the co-owner only for those who may assign them.
    fn keep(item: &ItemRef, v: &Viewer, _p: &Project, f: &mut WorkForm) {
        items::keep_people_unless_allowed(item, v, f);
    }

    async fn validate_edit(
        cx: &Cx<'_>,
        item: &ItemRef,
        p: &Project,
        f: &WorkForm,
    ) -> AppResult<Result<Checked, FormErrors>> {
        let everyone: Vec<i64> = item.parts.everyone().into_iter().collect();
        check(cx.state, cx.viewer, &everyone, f, edit_rules((p.next_step_date, p.due_date), false, false)).await
    }

    async fn write_edit(tx: &mut Tx, cx: &Cx<'_>, item: &ItemRef, before: &Project, c: &Checked) -> AppResult<()> {
        repo::update(tx, before, &item.parts, &c.input, &cx.actor, &c.names).await?;
        crate::tasks::flow::write_tags(tx, cx, ItemKind::Project, before.id, &c.input).await?;
        // The next-step rules of tasks (§14.2): the new step is logged, with the editor's name
        // unless they are the project's sole responsible.
        let (step, who) = (c.input.next_step.as_str(), &c.input.responsible);
        crate::tasks::workflow::step_edited(tx, ItemKind::Project, before.id, &before.next_step, step, who, cx.viewer)
            .await?;
        Ok(())
    }

    async fn notify_edit(
        tx: &mut Tx,
        cx: &Cx<'_>,
        before: &ItemRef,
        after: &ItemRef,
        c: &Checked,
    ) -> AppResult<Vec<i64>> {
        welcome_newcomers(tx, cx, before, after, &welcome_titles("project", &c.input.name), "").await
    }
}

impl CreateFlow for Projects {
    type New = NewProject;

    async fn validate_new(cx: &Cx<'_>, f: &WorkForm) -> AppResult<Result<NewProject, FormErrors>> {
        let memo = match f.memo_id.trim().parse::<i64>().ok() {
            Some(mid) => Some(items::load(&cx.state.db, cx.viewer, ItemKind::Memo, mid, Action::CreateFromMemo).await?),
            None => None,
        };
        let today = crate::time::today();
        let rules = Rules { today, users: &[], before: None, subtask: false, need_responsible: false };
        let mut checked = match check(cx.state, cx.viewer, &[], f, rules).await? {
            Ok(c) => c,
            Err(errs) => return Ok(Err(errs)),
        };
        let input = &mut checked.input;
        input.co_owner_id = input.co_owner_id.filter(|c| *c != cx.viewer.id);
        default_next_step(input, DEFAULT_PROJECT_STEP, today);
        Ok(Ok(NewProject { checked, memo }))
    }

    async fn insert(tx: &mut Tx, cx: &Cx<'_>, new: &NewProject) -> AppResult<ItemRef> {
        let (input, owner) = (&new.checked.input, cx.viewer.id);
        let id = repo::insert(tx, input, owner, &cx.actor, &new.checked.names).await?;
        crate::tasks::flow::write_tags(tx, cx, ItemKind::Project, id, input).await?;
        let line = format!("The project was created ({})", cx.viewer.display_name);
        crate::tasks::workflow::add(tx, ItemKind::Project, id, &line).await?;
        Ok(created(ItemKind::Project, id, &input.name, crate::tasks::repo::parts_of(owner, input.co_owner_id, input)))
    }

    /// The memo it is made from links to it and counts as considered.
    async fn after_insert(
        tx: &mut Tx,
        cx: &Cx<'_>,
        new: &NewProject,
        item: &ItemRef,
        out: &mut Outcome,
    ) -> AppResult<()> {
        if let Some(m) = &new.memo {
            crate::memos::repo::set_project(tx, m.id, item.id).await?;
            crate::memos::flow::made_from(tx, cx, m, item, &new.checked.input.memo_files, out).await?;
        }
        Ok(())
    }

    async fn notify_new(tx: &mut Tx, cx: &Cx<'_>, new: &NewProject, item: &ItemRef) -> AppResult<Vec<i64>> {
        let input = &new.checked.input;
        let titles = welcome_titles("project", &input.name);
        items::notify_each(tx, cx.state, item, &titles, Some(cx.viewer.id), &input.description).await
    }
}
