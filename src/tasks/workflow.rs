//! The workflow log of tasks and projects (§14.1, §14.2): dated lines, newest first, as the
//! original keeps them — "The task was created. (<user>)", each next step, a stage reached, "The
//! main task is closed automatically." — and the next-step rules: a stage change sets the next step
//! to the stage's label (a stage button edits nothing else), and a subtask's next step is written
//! into its main task's log and replaces the main task's step when that one still says "Acquainted
//! with the task" or has a later date.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, LockType, Query};

use super::model::{DEFAULT_TASK_STEP, Stage, Task};
use crate::access::ItemKind;
use crate::db::{self, Db, Tx};

fn table(kind: ItemKind) -> &'static str {
    if kind == ItemKind::Project { "projects" } else { "tasks" }
}

/// Prepends `"<date> - <text>"` to the log of a task or project.
pub async fn add(tx: &mut Tx, kind: ItemKind, id: i64, text: &str) -> Result<(), sqlx::Error> {
    let t = table(kind);
    let old: Option<String> = tx
        .scalar(Query::select().column("workflow").from(t).and_where(Expr::col("id").eq(id)).lock(LockType::Update))
        .await?;
    let Some(old) = old else { return Ok(()) };
    let line = format!("{} - {text}", crate::time::today().format("%Y-%m-%d"));
    let joined = if old.is_empty() { line } else { format!("{line}\n{old}") };
    tx.execute(Query::update().table(t).value("workflow", joined).and_where(Expr::col("id").eq(id))).await?;
    Ok(())
}

/// The log of a task or project, newest line first.
pub async fn of(db: &Db, kind: ItemKind, id: i64) -> Result<Vec<String>, sqlx::Error> {
    let text: Option<String> =
        db.scalar(Query::select().column("workflow").from(table(kind)).and_where(Expr::col("id").eq(id))).await?;
    Ok(text.unwrap_or_default().lines().map(str::to_string).filter(|l| !l.is_empty()).collect())
}

/// Sets the next step (and, when given, its date) of a task or project.
pub async fn set_step(
    tx: &mut Tx,
    kind: ItemKind,
    id: i64,
    step: &str,
    date: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    let mut q = Query::update();
    q.table(table(kind)).value("next_step", step).value("updated_at", db::now()).and_where(Expr::col("id").eq(id));
    if let Some(d) = date {
        q.value("next_step_date", d);
    }
    tx.execute(&q).await.map(|_| ())
}

/// An edit of a task or project changed its next step to `step` (§14.1, §14.2): the step (with
/// " (<editor>)" unless the editor is its sole responsible) is stored and logged. Returns the step as
/// logged, `None` when it did not change.
pub async fn step_edited(
    tx: &mut Tx,
    kind: ItemKind,
    id: i64,
    before: &str,
    step: &str,
    responsible: &[i64],
    editor: &crate::access::Viewer,
) -> Result<Option<String>, sqlx::Error> {
    if step == before || step.is_empty() {
        return Ok(None);
    }
    let step = if responsible == [editor.id] { step.to_string() } else { format!("{step} ({})", editor.display_name) };
    set_step(tx, kind, id, &step, None).await?;
    add(tx, kind, id, &step).await?;
    Ok(Some(step))
}

/// A stage change by its buttons: the next step becomes the stage's label, logged.
pub async fn stage_reached(tx: &mut Tx, kind: ItemKind, id: i64, stage: Stage) -> Result<(), sqlx::Error> {
    set_step(tx, kind, id, stage.label(), None).await?;
    add(tx, kind, id, stage.label()).await
}

/// A subtask's next step changed (`step`, already carrying " (<editor>)" where that applies): it
/// goes into the main task's log, and replaces the main task's step when that one still says
/// "Acquainted with the task" or has a later date.
pub async fn subtask_step(
    tx: &mut Tx,
    main: &Task,
    sub_name: &str,
    step: &str,
    date: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    add(tx, ItemKind::Task, main.id, &format!("{sub_name}: {step}")).await?;
    let later = matches!((main.next_step_date, date), (Some(m), Some(d)) if m > d);
    if main.next_step == DEFAULT_TASK_STEP || later {
        set_step(tx, ItemKind::Task, main.id, step, date).await?;
    }
    Ok(())
}
