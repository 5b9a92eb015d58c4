//! Deleting a memo, task or project with everything that belongs to it: subtasks, chat (and its
//! files' links), attachments' links, reminders and participants. History is written for each deleted
//! object and kept. Memos and tasks that only *link* to the deleted object lose the link.

use sea_query::{Expr, ExprTrait, Query};

use crate::access::ItemKind;
use crate::db::{Db, Tx};
use crate::history::{self, Actor, Change, Diff};
use crate::participants;

/// What deleting an item takes with it (shown on the confirmation page).
#[derive(Debug, Default)]
pub struct Removal {
    /// Subtasks (id, name) deleted with a task.
    pub subtasks: Vec<(i64, String)>,
    pub messages: i64,
    pub reminders: i64,
    /// Names of the attached files whose links go (chat files included in `messages`).
    pub files: Vec<String>,
    /// Tasks of a project, which stay but leave the project.
    pub detached_tasks: i64,
    /// Memos that link to the item and will lose the link.
    pub linked_memos: i64,
}

fn table(kind: ItemKind) -> &'static str {
    kind.info().table
}

/// The objects that go: the item, and for a task its subtasks.
async fn family(db: &Db, kind: ItemKind, id: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut q = Query::select();
    q.column("id").expr(Expr::cust(kind.info().title_sql)).from(table(kind)).and_where(Expr::col("id").eq(id));
    let mut out: Vec<(i64, String)> = db.fetch_all(&q).await?;
    if kind == ItemKind::Task {
        let subs: Vec<(i64, String)> = db
            .fetch_all(Query::select().columns(["id", "name"]).from("tasks").and_where(Expr::col("parent_id").eq(id)))
            .await?;
        out.extend(subs);
    }
    Ok(out)
}

async fn count(db: &Db, table: &'static str, col: &'static str, id: i64) -> Result<i64, sqlx::Error> {
    Ok(db
        .scalar(Query::select().expr(Expr::col("id").count()).from(table).and_where(Expr::col(col).eq(id)))
        .await?
        .unwrap_or(0))
}

/// Rows of `table` (chat messages, reminders) that belong to the given items.
async fn count_on(db: &Db, table: &'static str, kind: ItemKind, ids: &[i64]) -> Result<i64, sqlx::Error> {
    Ok(db
        .scalar(
            Query::select()
                .expr(Expr::col("id").count())
                .from(table)
                .and_where(Expr::col("object_type").eq(kind.slug()))
                .and_where(Expr::col("object_id").is_in(ids.iter().copied())),
        )
        .await?
        .unwrap_or(0))
}

/// Counts what deleting `(kind, id)` would remove.
pub async fn preview(db: &Db, kind: ItemKind, id: i64) -> Result<Removal, sqlx::Error> {
    let fam = family(db, kind, id).await?;
    let ids: Vec<i64> = fam.iter().map(|(i, _)| *i).collect();
    let files = crate::files::of_many(db, kind.slug(), &ids).await?;
    let mut names: Vec<String> = files.into_values().flatten().map(|a| a.name).collect();
    names.sort();
    Ok(Removal {
        subtasks: fam.into_iter().filter(|(i, _)| *i != id).collect(),
        messages: count_on(db, "chat_messages", kind, &ids).await?,
        reminders: count_on(db, "reminders", kind, &ids).await?,
        files: names,
        detached_tasks: if kind == ItemKind::Project { count(db, "tasks", "project_id", id).await? } else { 0 },
        linked_memos: match kind {
            ItemKind::Task => count(db, "memos", "task_id", id).await?,
            ItemKind::Project => count(db, "memos", "project_id", id).await?,
            _ => 0,
        },
    })
}

/// Deletes the item and what belongs to it inside `tx`. Returns file ids to collect after commit.
pub async fn delete(tx: &mut Tx, db: &Db, kind: ItemKind, id: i64, actor: &Actor) -> Result<Vec<i64>, sqlx::Error> {
    let fam = family(db, kind, id).await?;
    let ids: Vec<i64> = fam.iter().map(|(i, _)| *i).collect();
    let mut files = crate::chat::delete_for(tx, kind, &ids).await?;
    files.extend(crate::files::unlink_all(tx, kind.slug(), &ids).await?);
    crate::reminders::delete_for(tx, kind, &ids).await?;
    crate::crm::many::delete_tags(tx, kind, &ids).await?;
    crate::tasks::tags::delete_for(tx, kind, &ids).await?;
    for (oid, name) in &fam {
        participants::delete(tx, kind, *oid).await?;
        let mut d = Diff::default();
        d.field("Name", name, "");
        let what = if *oid == id { kind.label().to_lowercase() } else { "subtask".to_string() };
        history::record(tx, actor, kind.slug(), *oid, Change::Delete, &format!("Deleted the {what} {name}"), &d)
            .await?;
    }
    // The search index forgets the rows (and what their delete takes with it: a company's contact
    // persons, a deal's payments).
    for (oid, _) in &fam {
        crate::crm::search::unindex(tx, kind, *oid).await?;
    }
    // Subtasks first (their parent's row is what they point at), then the item itself.
    for (oid, _) in fam.iter().rev() {
        tx.execute(Query::delete().from_table(table(kind)).and_where(Expr::col("id").eq(*oid))).await?;
    }
    files.sort_unstable();
    files.dedup();
    Ok(files)
}
