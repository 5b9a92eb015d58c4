//! A form that may carry files: the `Uploaded<T>` extractor reads either an url-encoded body or a
//! multipart one. Text fields deserialize into `T` (like `web::Form`); every part with a file name and
//! content becomes an `Upload`. A file over the configured size is refused with 413 before anything is
//! stored, so a refused upload leaves nothing behind.

use bytes::Bytes;
use poem::web::Multipart;
use poem::{FromRequest, Request, RequestBody};
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::error::AppError;

/// One uploaded file, held in memory (the request body is capped by `max_body_bytes`).
#[derive(Clone, Debug)]
pub struct Upload {
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Bytes,
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

impl<'a, T: DeserializeOwned> FromRequest<'a> for Uploaded<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let limit = req.data::<AppState>().map(|s| s.config.max_upload_bytes).unwrap_or(20 * 1024 * 1024);
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
                    let bytes = field.bytes().await.map_err(bad)?;
                    if file_name.is_empty() && bytes.is_empty() {
                        continue; // an empty file input
                    }
                    if bytes.len() > limit {
                        return Err(AppError::PayloadTooLarge(limit).into());
                    }
                    files.push(Upload {
                        name: clean_name(&file_name),
                        content_type,
                        sha256: super::sha256_hex(&bytes),
                        bytes: Bytes::from(bytes),
                    });
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
