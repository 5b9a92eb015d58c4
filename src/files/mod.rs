//! Files and attachments. Owns tables `files` (one row per distinct content) and `attachments` (a file
//! linked to a memo, task, project or chat message, under the name it was uploaded with).
//!
//! A blob is stored once, at `<data dir>/files/<aa>/<sha256>`, however many objects link it: copying a
//! memo's files to the task made from it adds links, not bytes. An upload is streamed to a temporary
//! file (fsynced) under `files/tmp`; `Store::save` then, inside the transaction that links it, claims
//! the `files` row of its hash (an upsert, which locks the row) and hard-links the temporary file to
//! the blob's path if no blob is there (fsync directory). Content addressing makes this idempotent, so
//! there is no lock in the process: two uploads of the same bytes, on one instance or several, link the
//! same blob. When the last link to a file goes, `Store::collect` locks the file's row, deletes it only
//! if no attachment references it, removes the blob, and then commits; an upload of the same bytes
//! waits on the row lock and finds the blob missing, so it links it again. A blob left behind by a
//! crash is removed by the maintenance job's sweep.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_query::{Expr, ExprTrait, Iden, JoinType, OnConflict, Order, Query};
use sha2::{Digest, Sha256};

use crate::db::{self, Db, Tx};

pub mod handlers;
pub mod upload;

pub use upload::{Held, HoldsFiles, Upload, Uploaded};

#[derive(Iden, Clone, Copy)]
pub enum Files {
    Table,
    Id,
    Sha256,
    Size,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Attachments {
    Table,
    Id,
    FileId,
    ObjectType,
    ObjectId,
    Name,
    ContentType,
    UploadedBy,
    CreatedAt,
}

/// Blob directories a batch has linked new blobs into, to fsync once each before its commit.
#[derive(Default, Debug)]
pub struct Dirs(std::collections::BTreeSet<PathBuf>);

impl Dirs {
    /// Fsyncs every directory, several at a time (the file system's journal takes them together).
    pub async fn sync(self) -> std::io::Result<()> {
        sync_all_paths(self.0.into_iter().collect()).await
    }
}

/// Fsyncs the files or directories at `paths`, up to 16 at a time.
pub async fn sync_all_paths(paths: Vec<PathBuf>) -> std::io::Result<()> {
    use futures_util::StreamExt;
    let mut running = futures_util::stream::iter(paths)
        .map(|p| tokio::task::spawn_blocking(move || std::fs::File::open(p)?.sync_all()))
        .buffer_unordered(16);
    while let Some(r) = running.next().await {
        r.map_err(std::io::Error::other)??;
    }
    Ok(())
}

/// One attachment as pages list it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub file_id: i64,
    pub object_type: String,
    pub object_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl Attachment {
    pub fn url(&self) -> String {
        crate::paths::file(self.id)
    }
}

/// The blob store under the data directory.
#[derive(Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(data_dir: &Path) -> Store {
        Store { root: data_dir.join("files") }
    }

    fn blob_path(&self, sha: &str) -> PathBuf {
        self.root.join(sha.get(..2).unwrap_or("00")).join(sha)
    }

    /// Where uploads wait, as temporary files, until they are linked (same file system as the blobs).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The bytes of a stored file.
    pub async fn read(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.blob_path(sha)).await
    }

    /// Whether the blob of `sha` is on disk (tests and the sweep use it).
    pub fn exists(&self, sha: &str) -> bool {
        self.blob_path(sha).exists()
    }

    /// Makes the blob of an upload exist: hard-links the upload's (fsynced) temporary file to the
    /// blob's path, then fsyncs the directory — or, with `dirs`, leaves the directory for the caller
    /// to fsync (`sync_dirs`) before its commit, so a batch syncs each directory once. Idempotent: a
    /// blob already there (same hash, same bytes) is kept, and its time refreshed so the sweep does
    /// not take it for a crash's leftover.
    async fn put(&self, up: &Upload, dirs: Option<&mut Dirs>) -> std::io::Result<()> {
        let path = self.blob_path(&up.sha256);
        let tmp = up.path().to_path_buf();
        let defer = dirs.is_some();
        let linked_in = tokio::task::spawn_blocking(move || -> std::io::Result<Option<PathBuf>> {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            std::fs::create_dir_all(&dir)?;
            match std::fs::hard_link(&tmp, &path) {
                Ok(()) if defer => Ok(Some(dir)),
                Ok(()) => std::fs::File::open(&dir)?.sync_all().map(|_| None),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    std::fs::File::options().write(true).open(&path)?.set_modified(std::time::SystemTime::now())?;
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(std::io::Error::other)??;
        if let (Some(dirs), Some(dir)) = (dirs, linked_in) {
            dirs.0.insert(dir);
        }
        Ok(())
    }

    /// Stores `uploads` and links them to `(kind, id)` inside `tx`. Returns the attachment ids.
    ///
    /// The `files` row is claimed first (an upsert, which locks it until `tx` ends), then the blob is
    /// made to exist: a concurrent `collect` of the same content either finished before (its row and
    /// blob are gone; both are made again here) or waits for this transaction and then finds the link.
    pub async fn save(
        &self,
        tx: &mut Tx,
        uploads: &[Upload],
        kind: &str,
        id: i64,
        by: &crate::history::Actor,
    ) -> Result<Vec<i64>, crate::error::AppError> {
        self.save_in(tx, uploads, kind, id, by, None).await
    }

    /// `save`, with the blobs' directories left in `dirs` for one `sync_dirs` before the commit
    /// (the mail import files a batch of messages in one transaction).
    pub async fn save_in(
        &self,
        tx: &mut Tx,
        uploads: &[Upload],
        kind: &str,
        id: i64,
        by: &crate::history::Actor,
        mut dirs: Option<&mut Dirs>,
    ) -> Result<Vec<i64>, crate::error::AppError> {
        let mut out = Vec::with_capacity(uploads.len());
        // The object's history says which files came (a chat message's files show in the chat).
        if !uploads.is_empty() && kind != "chat" {
            let names: Vec<&str> = uploads.iter().map(|u| u.name.as_str()).collect();
            let mut d = crate::history::Diff::default();
            d.field("Attachments", "", names.join(", "));
            let summary = if names.len() == 1 { "Attached a file" } else { "Attached files" };
            crate::history::record(tx, by, kind, id, crate::history::Change::Update, summary, &d).await?;
        }
        for up in uploads {
            let file_id = self.blob_in(tx, up, dirs.as_deref_mut()).await?;
            out.push(insert_link(tx, file_id, kind, id, &up.name, &up.content_type, by.id).await?);
        }
        Ok(out)
    }

    /// Makes the `files` row and blob of `up` exist inside `tx` (claimed as `save` does) and returns
    /// the file's id, without linking it: the caller points at it (an email's stored original).
    pub async fn blob(&self, tx: &mut Tx, up: &Upload) -> Result<i64, crate::error::AppError> {
        self.blob_in(tx, up, None).await
    }

    /// `blob`, with the directory left in `dirs` (see `save_in`).
    pub async fn blob_in(
        &self,
        tx: &mut Tx,
        up: &Upload,
        dirs: Option<&mut Dirs>,
    ) -> Result<i64, crate::error::AppError> {
        let file_id = tx
            .insert_id(
                Query::insert()
                    .into_table(Files::Table)
                    .columns([Files::Sha256, Files::Size, Files::CreatedAt])
                    .values_panic([up.sha256.as_str().into(), (up.size as i64).into(), db::now().into()])
                    .on_conflict(OnConflict::column(Files::Sha256).update_column(Files::Sha256).to_owned())
                    .returning_col(Files::Id),
            )
            .await?;
        self.put(up, dirs).await.map_err(|e| anyhow::anyhow!("storing an upload: {e}"))?;
        Ok(file_id)
    }

    /// After a commit that removed links: deletes each file no attachment links any more, row and blob.
    ///
    /// Per file, in one transaction: lock the row (a no-op update), delete it only if no attachment
    /// references it (a new statement, so it sees links committed while it waited for the lock), remove
    /// the blob, commit. An upload of the same content waits on the row until then and re-creates both.
    /// A file that cannot be collected now (an error) is logged and left: the next collection or the
    /// sweep gets it, and the change that unlinked it has committed already.
    pub async fn collect(&self, db: &Db, file_ids: &[i64]) -> Result<usize, sqlx::Error> {
        let mut removed = 0;
        for &fid in file_ids {
            match self.collect_one(db, fid).await {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, file = fid, "could not collect a file; left for later"),
            }
        }
        Ok(removed)
    }

    async fn collect_one(&self, db: &Db, fid: i64) -> Result<bool, sqlx::Error> {
        let mut tx = db.begin().await?;
        let locked: Option<String> = tx
            .scalar(
                Query::update()
                    .table(Files::Table)
                    .value(Files::Sha256, Expr::col(Files::Sha256))
                    .and_where(Expr::col(Files::Id).eq(fid))
                    .returning_col(Files::Sha256),
            )
            .await?;
        if locked.is_none() {
            tx.commit().await?;
            return Ok(false);
        }
        let sha: Option<String> = tx
            .scalar(
                Query::delete()
                    .from_table(Files::Table)
                    .and_where(Expr::col(Files::Id).eq(fid))
                    .and_where(
                        Expr::exists(
                            Query::select()
                                .expr(Expr::val(1))
                                .from(Attachments::Table)
                                .and_where(Expr::col((Attachments::Table, Attachments::FileId)).eq(fid))
                                .to_owned(),
                        )
                        .not(),
                    )
                    // An email's stored original (`crm_emails.raw_file_id`) keeps its file too.
                    .and_where(
                        Expr::exists(
                            Query::select()
                                .expr(Expr::val(1))
                                .from("crm_emails")
                                .and_where(Expr::col(("crm_emails", "raw_file_id")).eq(fid))
                                .to_owned(),
                        )
                        .not(),
                    )
                    .returning_col(Files::Sha256),
            )
            .await?;
        let Some(sha) = sha else {
            tx.commit().await?;
            return Ok(false);
        };
        match tokio::fs::remove_file(self.blob_path(&sha)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, %sha, "could not remove a file's blob"),
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Removes blobs that no `files` row names and that are older than `min_age` (left by a crash
    /// between writing a blob and committing its row). Run by the maintenance job.
    /// Temporary upload files older than `min_age` (a crash mid-request) go too.
    pub async fn sweep(&self, db: &Db, min_age: std::time::Duration) -> Result<usize, crate::error::AppError> {
        let root = self.root.clone();
        let candidates = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let Ok(dirs) = std::fs::read_dir(&root) else { return out };
            for d in dirs.flatten() {
                if d.file_name() == "tmp" {
                    for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
                        let old = f.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                        // Files held for a form that failed validation wait a day for its next submit.
                        let held = f.file_name().to_string_lossy().starts_with("held-");
                        let min_age = if held { min_age.max(HELD_FOR) } else { min_age };
                        if old.is_some_and(|age| age >= min_age) {
                            let _ = std::fs::remove_file(f.path());
                        }
                    }
                    continue;
                }
                for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
                    let old = f.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                    if old.is_some_and(|age| age >= min_age) {
                        out.push((f.path(), f.file_name().to_string_lossy().to_string()));
                    }
                }
            }
            out
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut removed = 0;
        for chunk in candidates.chunks(500) {
            let shas: Vec<&str> = chunk.iter().map(|(_, s)| s.as_str()).collect();
            let known: Vec<(String,)> = db
                .fetch_all(
                    Query::select()
                        .column(Files::Sha256)
                        .from(Files::Table)
                        .and_where(Expr::col(Files::Sha256).is_in(shas)),
                )
                .await?;
            for (path, sha) in chunk {
                if !known.iter().any(|(k,)| k == sha) && tokio::fs::remove_file(path).await.is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// How long a file chosen in a form that failed validation is kept for the form's next submit.
pub const HELD_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// SHA-256 of bytes, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn insert_link(
    tx: &mut Tx,
    file_id: i64,
    kind: &str,
    id: i64,
    name: &str,
    content_type: &str,
    by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    tx.insert_id(
        Query::insert()
            .into_table(Attachments::Table)
            .columns([
                Attachments::FileId,
                Attachments::ObjectType,
                Attachments::ObjectId,
                Attachments::Name,
                Attachments::ContentType,
                Attachments::UploadedBy,
                Attachments::CreatedAt,
            ])
            .values_panic([
                file_id.into(),
                kind.into(),
                id.into(),
                name.into(),
                content_type.into(),
                by.into(),
                db::now().into(),
            ])
            .returning_col(Attachments::Id),
    )
    .await
}

fn select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            (Attachments::Table, Attachments::Id),
            (Attachments::Table, Attachments::FileId),
            (Attachments::Table, Attachments::ObjectType),
            (Attachments::Table, Attachments::ObjectId),
            (Attachments::Table, Attachments::Name),
            (Attachments::Table, Attachments::ContentType),
            (Attachments::Table, Attachments::CreatedAt),
        ])
        .columns([(Files::Table, Files::Size), (Files::Table, Files::Sha256)])
        .from(Attachments::Table)
        .join(
            JoinType::InnerJoin,
            Files::Table,
            Expr::col((Files::Table, Files::Id)).equals((Attachments::Table, Attachments::FileId)),
        )
        .to_owned()
}

/// One attachment by id.
pub async fn get(db: &Db, id: i64) -> Result<Option<Attachment>, sqlx::Error> {
    db.fetch_optional(select().and_where(Expr::col((Attachments::Table, Attachments::Id)).eq(id))).await
}

/// The attachments of many objects of one kind, in upload order (one query).
pub async fn of_many(db: &Db, kind: &str, ids: &[i64]) -> Result<HashMap<i64, Vec<Attachment>>, sqlx::Error> {
    let mut out: HashMap<i64, Vec<Attachment>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<Attachment> = db
        .fetch_all(
            select()
                .and_where(Expr::col((Attachments::Table, Attachments::ObjectType)).eq(kind))
                .and_where(Expr::col((Attachments::Table, Attachments::ObjectId)).is_in(ids.iter().copied()))
                .order_by((Attachments::Table, Attachments::Id), Order::Asc),
        )
        .await?;
    for a in rows {
        out.entry(a.object_id).or_default().push(a);
    }
    Ok(out)
}

/// The attachments of one object.
pub async fn of(db: &Db, kind: &str, id: i64) -> Result<Vec<Attachment>, sqlx::Error> {
    Ok(of_many(db, kind, &[id]).await?.remove(&id).unwrap_or_default())
}

/// Links existing attachments of `from` (only those: ids of other objects are ignored) to `to`,
/// without copying bytes. Returns how many were linked.
pub async fn link(
    tx: &mut Tx,
    attachment_ids: &[i64],
    from: (&str, i64),
    to: (&str, i64),
    by: i64,
) -> Result<usize, sqlx::Error> {
    if attachment_ids.is_empty() {
        return Ok(0);
    }
    let rows: Vec<(i64, String, String)> = tx
        .fetch_all(
            Query::select()
                .columns([Attachments::FileId, Attachments::Name, Attachments::ContentType])
                .from(Attachments::Table)
                .and_where(Expr::col(Attachments::Id).is_in(attachment_ids.iter().copied()))
                .and_where(Expr::col(Attachments::ObjectType).eq(from.0))
                .and_where(Expr::col(Attachments::ObjectId).eq(from.1))
                .order_by(Attachments::Id, Order::Asc),
        )
        .await?;
    for (file_id, name, ct) in &rows {
        insert_link(tx, *file_id, to.0, to.1, name, ct, Some(by)).await?;
    }
    Ok(rows.len())
}

/// Removes one attachment; returns its file id (pass it to `Store::collect` after commit).
pub async fn unlink(tx: &mut Tx, attachment_id: i64) -> Result<Option<i64>, sqlx::Error> {
    tx.scalar(
        Query::delete()
            .from_table(Attachments::Table)
            .and_where(Expr::col(Attachments::Id).eq(attachment_id))
            .returning_col(Attachments::FileId),
    )
    .await
}

/// Removes every attachment of the given objects; returns their file ids.
pub async fn unlink_all(tx: &mut Tx, kind: &str, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            Query::delete()
                .from_table(Attachments::Table)
                .and_where(Expr::col(Attachments::ObjectType).eq(kind))
                .and_where(Expr::col(Attachments::ObjectId).is_in(ids.iter().copied()))
                .returning_col(Attachments::FileId),
        )
        .await?;
    let mut out: Vec<i64> = rows.into_iter().map(|(f,)| f).collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// "2.4 MB", "512 B".
pub fn human_size(n: i64) -> String {
    let n = Ord::max(n, 0) as f64;
    if n < 1024.0 {
        format!("{n} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KB", n / 1024.0)
    } else {
        format!("{:.1} MB", n / (1024.0 * 1024.0))
    }
}
