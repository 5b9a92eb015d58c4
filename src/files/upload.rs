//! A form that may carry files: the `Uploaded<T>` extractor reads either an url-encoded body or a
//! multipart one. Text fields deserialize into `T` (like `web::Form`); every part with a file name and
//! content becomes an `Upload`. A file's bytes are streamed to a temporary file under the store's
//! `tmp` directory while they are hashed, never held in memory whole. A file over the configured size
//! is refused with 413 before anything is stored, so a refused upload leaves nothing behind (the
//! temporary file is removed when the `Upload` is dropped).
//!
//! A form that fails validation keeps the files it carried (`Uploaded::hold`): each is linked to
//! `tmp/held-<token>` with a note of its owner, name and type, and the form comes back with a ticked
//! "held" checkbox per file. Submitted again, the extractor turns the tokens back into uploads, after
//! checking that they are the same user's. Held files live a day (the maintenance sweep).

use std::path::Path;
use std::sync::Arc;

use poem::web::Multipart;
use poem::{FromRequest, Request, RequestBody};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::access::Viewer;
use crate::app::AppState;
use crate::error::{AppError, AppResult};

/// The form field that brings held files back (one token per file).
pub const HELD_FIELD: &str = "held";

/// A file chosen in a form that failed validation, kept for the next submit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub token: String,
    pub name: String,
    pub size: u64,
}

/// What is known of a held file, next to its bytes.
#[derive(serde::Serialize, serde::Deserialize)]
struct HeldNote {
    user: i64,
    name: String,
    content_type: String,
    sha256: String,
    size: u64,
}

fn held_paths(tmp_dir: &Path, token: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    (tmp_dir.join(format!("held-{token}")), tmp_dir.join(format!("held-{token}.json")))
}

/// Turns a held token back into an upload of `user`'s. A token that is not ours, or no longer kept,
/// is a clear error rather than a silently missing attachment.
async fn unhold(tmp_dir: &Path, user: i64, token: &str) -> Result<Upload, poem::Error> {
    let gone = || {
        AppError::BadRequest(
            "A file chosen earlier is no longer kept (files are kept for a day). Please choose it again.".into(),
        )
    };
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(gone().into());
    }
    let (path, note) = held_paths(tmp_dir, token);
    let Ok(raw) = tokio::fs::read(&note).await else { return Err(gone().into()) };
    let Ok(n) = serde_json::from_slice::<HeldNote>(&raw) else { return Err(gone().into()) };
    let size = tokio::fs::metadata(&path).await.map(|m| m.len()).ok();
    if n.user != user || size != Some(n.size) {
        return Err(gone().into());
    }
    let Ok(file) = tempfile::TempPath::try_from_path(path) else { return Err(gone().into()) };
    let _ = tokio::fs::remove_file(&note).await;
    Ok(Upload { name: n.name, content_type: n.content_type, sha256: n.sha256, size: n.size, file: Arc::new(file) })
}

/// One uploaded file, in a temporary file that is removed when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Upload {
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub size: u64,
    file: Arc<tempfile::TempPath>,
}

impl Upload {
    /// The temporary file holding the bytes (written and fsynced).
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Stores `bytes` as an upload (tests, and callers that already hold the bytes).
    pub async fn from_bytes(tmp_dir: &Path, name: &str, content_type: &str, bytes: &[u8]) -> std::io::Result<Upload> {
        let mut sink = Sink::new(tmp_dir).await?;
        sink.write(bytes).await?;
        sink.finish(clean_name(name), clean_type(Some(content_type)), true).await
    }

    /// `from_bytes` without the fsync: the caller fsyncs a batch of them together
    /// (`files::sync_all_paths` on their `path`s) before any is linked.
    pub async fn from_bytes_unsynced(
        tmp_dir: &Path,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> std::io::Result<Upload> {
        let mut sink = Sink::new(tmp_dir).await?;
        sink.write(bytes).await?;
        sink.finish(clean_name(name), clean_type(Some(content_type)), false).await
    }
}

/// A temporary file being written, hashed and counted.
struct Sink {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    hash: Sha256,
    size: u64,
}

impl Sink {
    async fn new(tmp_dir: &Path) -> std::io::Result<Sink> {
        tokio::fs::create_dir_all(tmp_dir).await?;
        let dir = tmp_dir.to_path_buf();
        let named = tokio::task::spawn_blocking(move || tempfile::Builder::new().prefix("up-").tempfile_in(dir))
            .await
            .map_err(std::io::Error::other)??;
        let (file, path) = named.into_parts();
        Ok(Sink { file: tokio::fs::File::from_std(file), path, hash: Sha256::new(), size: 0 })
    }

    async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.hash.update(chunk);
        self.size += chunk.len() as u64;
        self.file.write_all(chunk).await
    }

    /// Flushes and (with `sync`) fsyncs the file (a blob is linked from it and must be durable).
    async fn finish(mut self, name: String, content_type: String, sync: bool) -> std::io::Result<Upload> {
        self.file.flush().await?;
        if sync {
            self.file.sync_all().await?;
        }
        Ok(Upload {
            name,
            content_type,
            sha256: hex::encode(self.hash.finalize()),
            size: self.size,
            file: Arc::new(self.path),
        })
    }
}

/// Form fields `T` plus the files sent with them (new ones and held ones).
pub struct Uploaded<T> {
    pub form: T,
    pub files: Vec<Upload>,
}

impl<T> Uploaded<T> {
    /// After a validation error: keeps the files for the next submit of the form and says what the
    /// form should show. Each file gets a new token (a held file sent again is held anew).
    pub async fn hold(&self, tmp_dir: &Path, v: &Viewer) -> AppResult<Vec<Held>> {
        let mut out = Vec::with_capacity(self.files.len());
        for up in &self.files {
            let token = format!("{:032x}", rand::random::<u128>());
            let (path, note) = held_paths(tmp_dir, &token);
            let from = up.path().to_path_buf();
            let meta = HeldNote {
                user: v.id,
                name: up.name.clone(),
                content_type: up.content_type.clone(),
                sha256: up.sha256.clone(),
                size: up.size,
            };
            let json = serde_json::to_vec(&meta).map_err(|e| anyhow::anyhow!("{e}"))?;
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::hard_link(&from, &path)?;
                std::fs::write(&note, json)
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .map_err(|e| anyhow::anyhow!("keeping an upload: {e}"))?;
            out.push(Held { token, name: up.name.clone(), size: up.size });
        }
        Ok(out)
    }
}

/// A form that shows held files (`held`, not read from the request: the tokens come back as
/// `HELD_FIELD` fields, which the extractor turns into uploads).
pub trait HoldsFiles: Clone {
    fn held_mut(&mut self) -> &mut Vec<Held>;
}

impl<T: HoldsFiles> Uploaded<T> {
    /// `f` (this request's form, maybe adjusted) to show again after a validation error, with the
    /// files of this request kept for its next submit.
    pub async fn again(&self, f: &T, state: &AppState, v: &Viewer) -> AppResult<T> {
        let mut f = f.clone();
        *f.held_mut() = self.hold(&state.files.tmp_dir(), v).await?;
        Ok(f)
    }
}

/// Splits the held tokens off a form's fields and turns them into uploads of the viewer's.
async fn take_held(
    req: &Request,
    tmp_dir: &Path,
    pairs: &mut Vec<(String, String)>,
) -> Result<Vec<Upload>, poem::Error> {
    if !pairs.iter().any(|(k, _)| k == HELD_FIELD) {
        return Ok(Vec::new());
    }
    let user = req.extensions().get::<Viewer>().map(|v| v.id).ok_or(AppError::Unauthenticated)?;
    let mut out = Vec::new();
    let mut rest = Vec::with_capacity(pairs.len());
    for (k, v) in pairs.drain(..) {
        if k == HELD_FIELD {
            out.push(unhold(tmp_dir, user, v.trim()).await?);
        } else {
            rest.push((k, v));
        }
    }
    *pairs = rest;
    Ok(out)
}

/// A file name safe to show and to send back in `Content-Disposition`: no path, no control characters,
/// no direction controls (`evil\u{202E}gnp.exe` would show as "evilexe.png").
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && !crate::text::is_direction_control(*c)).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() { "file".to_string() } else { cleaned }
}

fn clean_type(raw: Option<&str>) -> String {
    match raw {
        Some(t) if t.len() <= 127 && t.contains('/') && t.chars().all(|c| c.is_ascii_graphic()) => t.to_string(),
        _ => "application/octet-stream".to_string(),
    }
}

fn bad(e: impl std::fmt::Display) -> poem::Error {
    AppError::BadRequest(format!("The form could not be read: {e}")).into()
}

fn io(e: std::io::Error) -> poem::Error {
    AppError::Other(anyhow::anyhow!("storing an upload: {e}")).into()
}

impl<'a, T: DeserializeOwned> FromRequest<'a> for Uploaded<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let Some(state) = req.data::<AppState>() else {
            return Err(AppError::Other(anyhow::anyhow!("no application state")).into());
        };
        let limit = state.config.max_upload_bytes as u64;
        let ct = req.header("content-type").unwrap_or("");
        let tmp_dir = state.files.tmp_dir();
        if !ct.starts_with("multipart/form-data") {
            let mut pairs = crate::web::form_pairs(body).await?;
            let files = take_held(req, &tmp_dir, &mut pairs).await?;
            return Ok(Uploaded { form: crate::web::form_from_pairs(pairs)?, files });
        }
        let mut mp = Multipart::from_request(req, body).await?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = mp.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let content_type = clean_type(field.content_type());
                    let mut sink = Sink::new(&tmp_dir).await.map_err(io)?;
                    let mut reader = std::pin::pin!(field.into_async_read());
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = reader.read(&mut buf).await.map_err(bad)?;
                        if n == 0 {
                            break;
                        }
                        if sink.size + n as u64 > limit {
                            return Err(AppError::PayloadTooLarge(limit as usize).into());
                        }
                        sink.write(&buf[..n]).await.map_err(io)?;
                    }
                    if file_name.is_empty() && sink.size == 0 {
                        continue; // an empty file input
                    }
                    files.push(sink.finish(clean_name(&file_name), content_type, true).await.map_err(io)?);
                }
                None => pairs.push((name, field.text().await.map_err(bad)?)),
            }
        }
        files.extend(take_held(req, &tmp_dir, &mut pairs).await?);
        Ok(Uploaded { form: crate::web::form_from_pairs(pairs)?, files })
    }
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\r\nb.txt"), "ab.txt");
        assert_eq!(clean_name("..."), "file");
        assert_eq!(clean_name(".htaccess"), "htaccess");
        assert_eq!(clean_name("a\0b.txt"), "ab.txt");
        assert_eq!(clean_name("evil\u{202E}gnp.exe"), "evilgnp.exe");
        assert_eq!(clean_name("\u{2066}\u{200F}x\u{061C}\u{202A}.pdf\u{2069}"), "x.pdf");
        assert_eq!(clean_name("\u{202E}"), "file");
    }
}
