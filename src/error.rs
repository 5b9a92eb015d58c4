//! One error type for every handler. Its status is decided here; the page or htmx toast that shows it
//! is rendered by the error layer in `routes.rs`, which knows the request.

use poem::http::StatusCode;

/// The keys of `FormErrors::exists`.
pub const EXISTS: &str = "_exists";
pub const EXISTS_LINK: &str = "_exists_link";

/// Field-level validation messages, in form order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormErrors(pub Vec<(&'static str, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, msg: impl Into<String>) {
        self.0.push((field, msg.into()));
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// "Such an object already exists - `label`" (§11.1), `label` linking to `link` when given (the
    /// form-level message; `views::ui::form_errors` shows it).
    pub fn exists(&mut self, label: String, link: Option<String>) {
        self.0.push((EXISTS, label));
        if let Some(l) = link {
            self.0.push((EXISTS_LINK, l));
        }
    }
    /// `Ok(value)` when no message was added, else the messages.
    pub fn finish<T>(self, value: T) -> Result<T, FormErrors> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("The page you asked for does not exist, or you may not see it.")]
    NotFound,
    #[error("You do not have permission to do this.")]
    Forbidden,
    #[error("Please log in.")]
    Unauthenticated,
    #[error("{0}")]
    BadRequest(String),
    /// A CSRF check failed (403): the message says what to do.
    #[error("{0}")]
    CsrfRejected(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// 429; the answer carries `Retry-After` (whole seconds, rounded up).
    #[error("{0}")]
    TooManyRequests(String, std::time::Duration),
    #[error("The request is larger than the allowed {0} bytes.")]
    PayloadTooLarge(usize),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::CsrfRejected(_) => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Db(sqlx::Error::RowNotFound) => StatusCode::NOT_FOUND,
            AppError::Db(_) | AppError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// How long a refused client should wait before trying again (429 only).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            AppError::TooManyRequests(_, wait) => Some(*wait),
            _ => None,
        }
    }

    /// The message a person may read. Internal errors never show their cause.
    pub fn public_message(&self) -> String {
        match self.status() {
            StatusCode::INTERNAL_SERVER_ERROR => {
                "Something went wrong on our side. Nothing you sent was half-saved; please try again.".into()
            }
            StatusCode::NOT_FOUND => AppError::NotFound.to_string(),
            _ => self.to_string(),
        }
    }
}

impl poem::error::ResponseError for AppError {
    fn status(&self) -> StatusCode {
        AppError::status(self)
    }
}

/// A `Result` alias for handlers.
pub type AppResult<T> = Result<T, AppError>;
