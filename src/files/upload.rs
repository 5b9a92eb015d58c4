//! A form that may carry files: the `Uploaded<T>` extractor reads either an url-encoded body or a
//! multipart one. Text fields deserialize into `T` (like `web::Form`); every part with a file name and
//! content becomes an `Upload`. A file's bytes are streamed to a temporary file under the store's
//! `tmp` directory while they are hashed, never held in memory whole. A file over the configured size
//! is refused with 413 before anything is stored, so a refused upload leaves nothing behind (the
//! temporary file is removed when the `Upload` is dropped).

use std::path::Path;
use std::sync::Arc;

use poem::web::Multipart;
use poem::{FromRequest, Request, RequestBody};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::app::AppState;
use crate::error::AppError;

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
        sink.finish(clean_name(name), clean_type(Some(content_type))).await
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

    /// Flushes and fsyncs the file (a blob is linked from it and must be durable).
    async fn finish(mut self, name: String, content_type: String) -> std::io::Result<Upload> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        Ok(Upload {
            name,
            content_type,
            sha256: hex::encode(self.hash.finalize()),
            size: self.size,
            file: Arc::new(self.path),
        })
    }
}

/// Form fields `T` plus the files sent with them.
pub struct Uploaded<T> {
    pub form: T,
    pub files: Vec<Upload>,
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
        if !ct.starts_with("multipart/form-data") {
            let crate::web::Form(form) = crate::web::Form::<T>::from_request(req, body).await?;
            return Ok(Uploaded { form, files: Vec::new() });
        }
        let mut mp = Multipart::from_request(req, body).await?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = mp.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let content_type = clean_type(field.content_type());
                    let mut sink = Sink::new(&state.files.tmp_dir()).await.map_err(io)?;
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
                    files.push(sink.finish(clean_name(&file_name), content_type).await.map_err(io)?);
                }
                None => pairs.push((name, field.text().await.map_err(bad)?)),
            }
        }
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
