//! The task list of one responsible in its own order (issue 12, §14.1).
//!
//! The list's default for everyone but chiefs is "my tasks, each main task with its subtasks, newest
//! main task first". Walking `ix_tasks_active_group` (migration 31) in that order, SQLite tests every
//! active task for the viewer's participant row until a page is full: ~1,000 probes for a manager
//! who is responsible for one task in twenty. Sorting the viewer's own rows instead is worse.
//!
//! So each task's participant row carries what the list orders and filters by — the task's
//! `active` flag and its group key `coalesce(parent_id, id)` — as `task_active` / `task_group`, and
//! `ix_participants_task_group` holds one person's rows of one role in list order: the page is the
//! first 51 entries of one index range, whatever the person's share of the tasks.
//!
//! The copies are kept by the database, not by the app (as migration 16 keeps a payment's
//! department): every participant row of a task takes the task's values when it is written, and a
//! task's `active` or `parent_id` change rewrites its rows, in the writer's own transaction. A
//! participant row written before its task (no writer does, but a bulk load might) gets the values
//! when the task is inserted. Other objects' participant rows keep the defaults (`false`, 0).
//!
//! The next-step-date order (§14.1's toggle) orders a subtask by its main task's date, so each
//! group stays together: `tasks.group_step_date` is the task's own next step date for a main task
//! and its main task's for a subtask, kept by triggers too (a main task's date change rewrites its
//! subtasks'), and `ix_tasks_active_step_group` holds that order among active tasks.
//!
//! `ix_tasks_parent_hidden` replaces `ix_tasks_hidden` (migration 28) for the "hide main task"
//! probe the list makes per row: SQLite has no statistics for a partial index that holds no rows,
//! so it chose `ix_tasks_parent` and read each subtask from the table; the covering index answers
//! the probe from the index alone, on both backends.

use sea_query::{ColumnDef, Index, Table};

use super::Stmt;

pub fn statements() -> Vec<Stmt> {
    vec![
        Stmt::Alter(Box::new(
            Table::alter()
                .table("participants")
                .add_column(ColumnDef::new("task_active").boolean().not_null().default(false))
                .to_owned(),
        )),
        Stmt::Alter(Box::new(
            Table::alter()
                .table("participants")
                .add_column(ColumnDef::new("task_group").big_integer().not_null().default(0))
                .to_owned(),
        )),
        Stmt::Alter(Box::new(
            Table::alter().table("tasks").add_column(ColumnDef::new("group_step_date").date().null()).to_owned(),
        )),
        // The existing rows (the same statements on both backends).
        Stmt::Raw { sqlite: FILL, postgres: FILL },
        Stmt::Raw { sqlite: INDEXES, postgres: INDEXES },
        Stmt::Raw { sqlite: STEP_SQLITE, postgres: STEP_POSTGRES },
        Stmt::DropIndex(Box::new(Index::drop().name("ix_tasks_hidden").table("tasks").if_exists().to_owned())),
        Stmt::Raw { sqlite: SQLITE, postgres: POSTGRES },
        Stmt::Run(|tx| Box::pin(statistics(tx))),
    ]
}

/// SQLite plans with `sqlite_stat1` and has none for a new index until ANALYZE: on a database that
/// has statistics (a large one, `Db::refresh_statistics`), it then guessed the new indexes cheap
/// and chose `ix_tasks_active_step_group` for the grouped list, sorting every active task (23 ms
/// at scale 10). So the two tables are analysed again (a sample, `analysis_limit`) when the other
/// indexes have statistics; a database without any keeps planning without (PostgreSQL keeps its
/// own by autovacuum).
async fn statistics(tx: &mut crate::db::Tx) -> Result<(), sqlx::Error> {
    if tx.backend() != crate::db::Backend::Sqlite {
        return Ok(());
    }
    let has_stat1: Option<i64> = tx
        .scalar(
            &sea_query::Query::select()
                .expr(sea_query::Expr::val(1))
                .from("sqlite_master")
                .and_where(sea_query::ExprTrait::eq(sea_query::Expr::col("name"), "sqlite_stat1"))
                .to_owned(),
        )
        .await?;
    if has_stat1.is_none() {
        return Ok(());
    }
    tx.execute_constant("PRAGMA analysis_limit=1000").await?;
    tx.execute_constant("ANALYZE tasks").await?;
    tx.execute_constant("ANALYZE participants").await
}

const FILL: &[&str] = &[
    "UPDATE participants SET \
       task_active = (SELECT t.active FROM tasks t WHERE t.id = participants.object_id), \
       task_group = (SELECT coalesce(t.parent_id, t.id) FROM tasks t WHERE t.id = participants.object_id) \
     WHERE object_type = 'task' AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = participants.object_id)",
    "UPDATE tasks SET group_step_date = CASE WHEN parent_id IS NULL THEN next_step_date \
       ELSE (SELECT p.next_step_date FROM tasks p WHERE p.id = tasks.parent_id) END",
];

/// One person's rows of one role, active ones first, in the list's order (newest group first, the
/// main task before its subtasks). The same DDL on both backends.
const INDEXES: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_participants_task_group \
     ON participants (user_id, object_type, role, task_active, task_group DESC, object_id)",
    "CREATE INDEX IF NOT EXISTS ix_tasks_parent_hidden ON tasks (parent_id, hide_main_task, active)",
];

/// A subtask by its main task's date, then each group as the grouped order has it (the same
/// expression as migration 31's indexes, spelt per backend as there).
const STEP_SQLITE: &[&str] = &["CREATE INDEX IF NOT EXISTS ix_tasks_active_step_group \
     ON tasks (active, group_step_date, coalesce(parent_id, id) DESC, id)"];
const STEP_POSTGRES: &[&str] = &["CREATE INDEX IF NOT EXISTS ix_tasks_active_step_group \
     ON tasks (active, group_step_date, (coalesce(parent_id, id)) DESC, id)"];

/// SQLite: after a participant row is written (a trigger cannot change `NEW` there), its task's
/// values when they differ; a task's insert and its `active` / `parent_id` change rewrite its rows.
const SQLITE: &[&str] = &[
    "CREATE TRIGGER tr_participants_task_order AFTER INSERT ON participants FOR EACH ROW \
     WHEN NEW.object_type = 'task' AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = NEW.object_id \
       AND (t.active IS NOT NEW.task_active OR coalesce(t.parent_id, t.id) IS NOT NEW.task_group)) \
     BEGIN \
       UPDATE participants SET \
         task_active = (SELECT t.active FROM tasks t WHERE t.id = NEW.object_id), \
         task_group = (SELECT coalesce(t.parent_id, t.id) FROM tasks t WHERE t.id = NEW.object_id) \
       WHERE object_type = NEW.object_type AND object_id = NEW.object_id AND role = NEW.role \
         AND user_id = NEW.user_id; \
     END",
    "CREATE TRIGGER tr_tasks_participants_order_insert AFTER INSERT ON tasks FOR EACH ROW \
     BEGIN \
       UPDATE participants SET task_active = NEW.active, task_group = coalesce(NEW.parent_id, NEW.id) \
       WHERE object_type = 'task' AND object_id = NEW.id; \
     END",
    "CREATE TRIGGER tr_tasks_participants_order AFTER UPDATE OF active, parent_id ON tasks FOR EACH ROW \
     WHEN NEW.active IS NOT OLD.active OR NEW.parent_id IS NOT OLD.parent_id \
     BEGIN \
       UPDATE participants SET task_active = NEW.active, task_group = coalesce(NEW.parent_id, NEW.id) \
       WHERE object_type = 'task' AND object_id = NEW.id; \
     END",
    "CREATE TRIGGER tr_tasks_group_step_insert AFTER INSERT ON tasks FOR EACH ROW \
     BEGIN \
       UPDATE tasks SET group_step_date = CASE WHEN NEW.parent_id IS NULL THEN NEW.next_step_date \
         ELSE (SELECT p.next_step_date FROM tasks p WHERE p.id = NEW.parent_id) END \
       WHERE id = NEW.id; \
     END",
    // Its own key (a subtask moved under another task), then its subtasks' (they take its date).
    "CREATE TRIGGER tr_tasks_group_step AFTER UPDATE OF next_step_date, parent_id ON tasks FOR EACH ROW \
     WHEN NEW.next_step_date IS NOT OLD.next_step_date OR NEW.parent_id IS NOT OLD.parent_id \
     BEGIN \
       UPDATE tasks SET group_step_date = CASE WHEN NEW.parent_id IS NULL THEN NEW.next_step_date \
         ELSE (SELECT p.next_step_date FROM tasks p WHERE p.id = NEW.parent_id) END \
       WHERE id = NEW.id; \
       UPDATE tasks SET group_step_date = NEW.next_step_date \
       WHERE parent_id = NEW.id AND group_step_date IS NOT NEW.next_step_date; \
     END",
];

/// PostgreSQL: a task's participant row takes the task's values before it is written (left as it
/// is when the task does not exist yet); a task's insert and its `active` / `parent_id` change
/// rewrite its rows.
const POSTGRES: &[&str] = &[
    "CREATE FUNCTION participants_task_order() RETURNS trigger LANGUAGE plpgsql AS $$ \
     DECLARE t record; \
     BEGIN \
       SELECT active, coalesce(parent_id, id) AS grp INTO t FROM tasks WHERE id = NEW.object_id; \
       IF FOUND THEN \
         NEW.task_active := t.active; \
         NEW.task_group := t.grp; \
       END IF; \
       RETURN NEW; \
     END $$",
    "CREATE TRIGGER tr_participants_task_order BEFORE INSERT ON participants FOR EACH ROW \
     WHEN (NEW.object_type = 'task') EXECUTE FUNCTION participants_task_order()",
    "CREATE FUNCTION tasks_participants_order() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE participants SET task_active = NEW.active, task_group = coalesce(NEW.parent_id, NEW.id) \
       WHERE object_type = 'task' AND object_id = NEW.id \
         AND (task_active IS DISTINCT FROM NEW.active OR task_group IS DISTINCT FROM coalesce(NEW.parent_id, NEW.id)); \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER tr_tasks_participants_order_insert AFTER INSERT ON tasks FOR EACH ROW \
     EXECUTE FUNCTION tasks_participants_order()",
    "CREATE TRIGGER tr_tasks_participants_order AFTER UPDATE OF active, parent_id ON tasks FOR EACH ROW \
     WHEN (NEW.active IS DISTINCT FROM OLD.active OR NEW.parent_id IS DISTINCT FROM OLD.parent_id) \
     EXECUTE FUNCTION tasks_participants_order()",
    "CREATE FUNCTION tasks_group_step() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       NEW.group_step_date := CASE WHEN NEW.parent_id IS NULL THEN NEW.next_step_date \
         ELSE (SELECT p.next_step_date FROM tasks p WHERE p.id = NEW.parent_id) END; \
       RETURN NEW; \
     END $$",
    "CREATE TRIGGER tr_tasks_group_step BEFORE INSERT OR UPDATE OF next_step_date, parent_id ON tasks \
     FOR EACH ROW EXECUTE FUNCTION tasks_group_step()",
    "CREATE FUNCTION tasks_subtasks_group_step() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE tasks SET group_step_date = NEW.next_step_date \
       WHERE parent_id = NEW.id AND group_step_date IS DISTINCT FROM NEW.next_step_date; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER tr_tasks_subtasks_group_step AFTER UPDATE OF next_step_date ON tasks FOR EACH ROW \
     WHEN (NEW.next_step_date IS DISTINCT FROM OLD.next_step_date) EXECUTE FUNCTION tasks_subtasks_group_step()",
];
