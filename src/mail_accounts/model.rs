//! A mail account row, its form as typed, and the form's validation.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::FormErrors;

/// How a connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// Plain text (a local relay; never over the internet).
    None,
    /// Plain connect, then `STARTTLS` (SMTP 587, IMAP 143).
    StartTls,
    /// TLS from the first byte (SMTP 465, IMAP 993).
    Tls,
}

impl Tls {
    pub const ALL: [Tls; 3] = [Tls::Tls, Tls::StartTls, Tls::None];

    pub fn slug(self) -> &'static str {
        match self {
            Tls::None => "none",
            Tls::StartTls => "starttls",
            Tls::Tls => "tls",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Tls::None => "None (plain text)",
            Tls::StartTls => "STARTTLS",
            Tls::Tls => "TLS (SSL)",
        }
    }
    pub fn from_slug(s: &str) -> Option<Tls> {
        Tls::ALL.into_iter().find(|t| t.slug() == s)
    }
}

/// Purpose (associated data) of a sealed account password.
pub const PASSWORD_PURPOSE: &str = "mail_accounts.password";

/// One account as the pages show it. `password` is the sealed value; it never reaches a view.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MailAccount {
    pub id: i64,
    pub owner_id: i64,
    pub owner_name: String,
    pub co_owner_id: Option<i64>,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub name: String,
    pub email: String,
    pub from_name: String,
    pub smtp_host: String,
    pub smtp_port: i32,
    pub smtp_tls: String,
    pub smtp_login: String,
    pub password: String,
    pub imap_host: String,
    pub imap_port: i32,
    pub imap_tls: String,
    pub imap_login: String,
    pub main: bool,
    pub do_import: bool,
    pub sent_folder: String,
    pub spam_folder: String,
    pub trash_folder: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MailAccount {
    pub fn smtp_tls(&self) -> Tls {
        Tls::from_slug(&self.smtp_tls).unwrap_or(Tls::Tls)
    }
    pub fn imap_tls(&self) -> Tls {
        Tls::from_slug(&self.imap_tls).unwrap_or(Tls::Tls)
    }
    /// The IMAP login: its own, or the SMTP one.
    pub fn imap_user(&self) -> &str {
        if self.imap_login.is_empty() { &self.smtp_login } else { &self.imap_login }
    }
    pub fn has_password(&self) -> bool {
        !self.password.is_empty()
    }
}

/// The form as typed (strings, so a 422 shows it back). The password is never filled back in, and
/// `Debug` hides it.
#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    pub name: String,
    pub email: String,
    pub from_name: String,
    pub owner: String,
    pub co_owner_id: String,
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_tls: String,
    pub smtp_login: String,
    pub password: String,
    /// Ticked: forget the stored password (a server that needs no login).
    pub clear_password: Option<String>,
    pub imap_host: String,
    pub imap_port: String,
    pub imap_tls: String,
    pub imap_login: String,
    pub main: Option<String>,
    pub do_import: Option<String>,
    pub sent_folder: String,
    pub spam_folder: String,
    pub trash_folder: String,
}

impl std::fmt::Debug for AccountForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountForm")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_login", &self.smtp_login)
            .field("password", &if self.password.is_empty() { "" } else { "***" })
            .field("imap_host", &self.imap_host)
            .finish_non_exhaustive()
    }
}

impl Default for AccountForm {
    fn default() -> Self {
        AccountForm {
            name: String::new(),
            email: String::new(),
            from_name: String::new(),
            owner: String::new(),
            co_owner_id: String::new(),
            smtp_host: String::new(),
            smtp_port: "587".into(),
            smtp_tls: Tls::StartTls.slug().into(),
            smtp_login: String::new(),
            password: String::new(),
            clear_password: None,
            imap_host: String::new(),
            imap_port: "993".into(),
            imap_tls: Tls::Tls.slug().into(),
            imap_login: String::new(),
            main: None,
            do_import: None,
            sent_folder: String::new(),
            spam_folder: String::new(),
            trash_folder: String::new(),
        }
    }
}

impl AccountForm {
    /// The form of a saved account (password left empty: "keep the stored one").
    pub fn of(a: &MailAccount) -> AccountForm {
        AccountForm {
            name: a.name.clone(),
            email: a.email.clone(),
            from_name: a.from_name.clone(),
            owner: a.owner_id.to_string(),
            co_owner_id: a.co_owner_id.map(|i| i.to_string()).unwrap_or_default(),
            smtp_host: a.smtp_host.clone(),
            smtp_port: a.smtp_port.to_string(),
            smtp_tls: a.smtp_tls.clone(),
            smtp_login: a.smtp_login.clone(),
            password: String::new(),
            clear_password: None,
            imap_host: a.imap_host.clone(),
            imap_port: a.imap_port.to_string(),
            imap_tls: a.imap_tls.clone(),
            imap_login: a.imap_login.clone(),
            main: a.main.then(|| "on".into()),
            do_import: a.do_import.then(|| "on".into()),
            sent_folder: a.sent_folder.clone(),
            spam_folder: a.spam_folder.clone(),
            trash_folder: a.trash_folder.clone(),
        }
    }
}

/// What the password field asks for. `Debug` hides a new password.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// Empty field on edit: the stored one stays.
    Keep,
    /// Forget it (no login).
    Clear,
    Set(String),
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordChange::Keep => f.write_str("Keep"),
            PasswordChange::Clear => f.write_str("Clear"),
            PasswordChange::Set(_) => f.write_str("Set(***)"),
        }
    }
}

/// A validated account (owner and co-owner are checked by the handler against the users table).
#[derive(Clone, Debug)]
pub struct AccountInput {
    pub name: String,
    pub email: String,
    pub from_name: String,
    pub owner: Option<i64>,
    pub co_owner_id: Option<i64>,
    pub smtp_host: String,
    pub smtp_port: i32,
    pub smtp_tls: Tls,
    pub smtp_login: String,
    pub password: PasswordChange,
    pub imap_host: String,
    pub imap_port: i32,
    pub imap_tls: Tls,
    pub imap_login: String,
    pub main: bool,
    pub do_import: bool,
    pub sent_folder: String,
    pub spam_folder: String,
    pub trash_folder: String,
}

fn text(errs: &mut FormErrors, field: &'static str, value: &str, max: usize, required: bool) -> String {
    let v = value.trim().to_string();
    if required && v.is_empty() {
        errs.add(field, "This field is required.");
    } else if v.chars().count() > max {
        errs.add(field, format!("Use at most {max} characters."));
    } else if v.chars().any(char::is_control) {
        errs.add(field, "Remove the line breaks and control characters.");
    }
    v
}

/// A host name or IP address: letters, digits, dots, hyphens, colons (IPv6), brackets.
fn host(errs: &mut FormErrors, field: &'static str, value: &str, required: bool) -> String {
    let v = text(errs, field, value, 255, required);
    if !v.is_empty()
        && errs.get(field).is_none()
        && !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
    {
        errs.add(field, "Enter a server name like smtp.example.com (no scheme, no spaces).");
    }
    v
}

fn port(errs: &mut FormErrors, field: &'static str, value: &str) -> i32 {
    match value.trim().parse::<i32>() {
        Ok(p) if (1..=65535).contains(&p) => p,
        _ => {
            errs.add(field, "Enter a port number from 1 to 65535.");
            0
        }
    }
}

fn tls(errs: &mut FormErrors, field: &'static str, value: &str) -> Tls {
    Tls::from_slug(value).unwrap_or_else(|| {
        errs.add(field, "Choose how the connection is secured.");
        Tls::Tls
    })
}

fn user_id(errs: &mut FormErrors, field: &'static str, value: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    v.parse::<i64>().ok().or_else(|| {
        errs.add(field, "Choose a user from the list.");
        None
    })
}

impl AccountForm {
    /// Checks the form. `editing`: an empty password keeps the stored one (else it means "none").
    pub fn validate(&self, editing: bool) -> Result<AccountInput, FormErrors> {
        let mut e = FormErrors::default();
        let name = text(&mut e, "name", &self.name, 100, true);
        let email = text(&mut e, "email", &self.email, 254, true);
        if !email.is_empty() && e.get("email").is_none() && !crate::users::model::valid_email(&email) {
            e.add("email", "Enter a valid email address, like name@example.com.");
        }
        let from_name = text(&mut e, "from_name", &self.from_name, 100, false);
        let owner = user_id(&mut e, "owner", &self.owner);
        let co_owner_id = user_id(&mut e, "co_owner_id", &self.co_owner_id);
        let smtp_host = host(&mut e, "smtp_host", &self.smtp_host, true);
        let smtp_port = port(&mut e, "smtp_port", &self.smtp_port);
        let smtp_tls = tls(&mut e, "smtp_tls", &self.smtp_tls);
        let smtp_login = text(&mut e, "smtp_login", &self.smtp_login, 254, false);
        let do_import = self.do_import.is_some();
        let imap_host = host(&mut e, "imap_host", &self.imap_host, do_import);
        if do_import && imap_host.is_empty() {
            e.add("imap_host", "Importing mail needs the IMAP server.");
        }
        let imap_port = port(&mut e, "imap_port", &self.imap_port);
        let imap_tls = tls(&mut e, "imap_tls", &self.imap_tls);
        let imap_login = text(&mut e, "imap_login", &self.imap_login, 254, false);
        // Passwords are taken as typed (spaces may belong to them); only length and line breaks,
        // which neither SMTP AUTH nor IMAP LOGIN can carry, are refused.
        let password = if self.clear_password.is_some() {
            PasswordChange::Clear
        } else if self.password.is_empty() {
            if editing { PasswordChange::Keep } else { PasswordChange::Clear }
        } else if self.password.chars().count() > 500 {
            e.add("password", "Use at most 500 characters.");
            PasswordChange::Keep
        } else if self.password.contains(['\n', '\r', '\0']) {
            e.add("password", "A password cannot contain line breaks.");
            PasswordChange::Keep
        } else {
            PasswordChange::Set(self.password.clone())
        };
        if smtp_login.is_empty() && matches!(password, PasswordChange::Set(_)) {
            e.add("smtp_login", "Enter the login that goes with the password.");
        }
        let folders = [
            text(&mut e, "sent_folder", &self.sent_folder, 100, false),
            text(&mut e, "spam_folder", &self.spam_folder, 100, false),
            text(&mut e, "trash_folder", &self.trash_folder, 100, false),
        ];
        let [sent_folder, spam_folder, trash_folder] = folders;
        e.finish(AccountInput {
            name,
            email,
            from_name,
            owner,
            co_owner_id,
            smtp_host,
            smtp_port,
            smtp_tls,
            smtp_login,
            password,
            imap_host,
            imap_port,
            imap_tls,
            imap_login,
            main: self.main.is_some(),
            do_import,
            sent_folder,
            spam_folder,
            trash_folder,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> AccountForm {
        AccountForm {
            name: "Work".into(),
            email: "me@example.com".into(),
            smtp_host: "smtp.example.com".into(),
            smtp_login: "me".into(),
            password: " pass word ".into(),
            ..AccountForm::default()
        }
    }

    #[test]
    fn a_good_form_keeps_the_password_as_typed() {
        let a = form().validate(false).unwrap();
        assert_eq!(a.password, PasswordChange::Set(" pass word ".into()));
        assert_eq!((a.smtp_port, a.smtp_tls, a.imap_port, a.imap_tls), (587, Tls::StartTls, 993, Tls::Tls));
    }

    #[test]
    fn an_empty_password_keeps_the_stored_one_on_edit_only() {
        let f = AccountForm { password: String::new(), ..form() };
        assert_eq!(f.validate(true).unwrap().password, PasswordChange::Keep);
        assert_eq!(f.validate(false).unwrap().password, PasswordChange::Clear);
        let f = AccountForm { clear_password: Some("on".into()), ..form() };
        assert_eq!(f.validate(true).unwrap().password, PasswordChange::Clear);
    }

    #[test]
    fn debug_output_hides_the_password() {
        let f = form();
        let shown = format!("{f:?} {:?}", f.validate(false).unwrap());
        assert!(!shown.contains("pass word"), "{shown}");
        assert!(shown.contains("Set(***)"), "{shown}");
    }

    #[test]
    fn bad_fields_are_named() {
        let f = AccountForm {
            email: "nope".into(),
            smtp_host: "smtp://x y".into(),
            smtp_port: "70000".into(),
            smtp_tls: "ssl3".into(),
            password: "a\nb".into(),
            do_import: Some("on".into()),
            ..form()
        };
        let e = f.validate(false).unwrap_err();
        for field in ["email", "smtp_host", "smtp_port", "smtp_tls", "password", "imap_host"] {
            assert!(e.get(field).is_some(), "{field}: {e:?}");
        }
    }
}
