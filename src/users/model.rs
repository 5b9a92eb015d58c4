//! User and department rows, the user form and its validation.

use chrono::{DateTime, Utc};
use sea_query::Iden;
use serde::Deserialize;

use crate::access::{Role, Roles};
use crate::error::FormErrors;

#[derive(Iden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Username,
    Email,
    FirstName,
    LastName,
    PasswordHash,
    IsActive,
    DepartmentId,
    EmailNotifications,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
    TimeZone,
}

#[derive(Iden, Clone, Copy)]
pub enum UserRoles {
    Table,
    UserId,
    Role,
}

#[derive(Iden, Clone, Copy)]
pub enum Departments {
    Table,
    Id,
    Name,
    CreatedAt,
}

/// A user as lists and pages show it (never the password hash).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub email_notifications: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// IANA zone name, empty until set (`crate::time`).
    pub time_zone: String,
    #[sqlx(skip)]
    pub roles: Roles,
}

impl User {
    pub fn full_name(&self) -> String {
        let n = format!("{} {}", self.first_name, self.last_name);
        let n = n.trim();
        if n.is_empty() { self.username.clone() } else { n.to_string() }
    }
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Department {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub members: i64,
}

/// The raw user form, as posted (new and edit share it; `password` only matters for new).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub department_id: String,
    #[serde(default)]
    pub password: String,
    /// Role slugs (checkboxes named `roles`, repeated).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Departments an operator serves besides their own (checkboxes named `served`, repeated; §3.1
    /// superoperators).
    #[serde(default)]
    pub served: Vec<String>,
}

/// A validated user form.
#[derive(Clone, Debug)]
pub struct UserInput {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub department_id: Option<i64>,
    pub roles: Vec<Role>,
}

impl UserForm {
    pub fn from_user(u: &User) -> UserForm {
        UserForm {
            username: u.username.clone(),
            email: u.email.clone(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            department_id: u.department_id.map(|d| d.to_string()).unwrap_or_default(),
            password: String::new(),
            roles: u.roles.iter().map(|r| r.slug().to_string()).collect(),
            served: Vec::new(),
        }
    }

    /// The departments an operator serves besides their own: each one of `known`, only for
    /// operators. Messages go to `errs`.
    pub fn served_departments(&self, input: &UserInput, known: &[i64], errs: &mut FormErrors) -> Vec<i64> {
        let mut out = Vec::new();
        for raw in &self.served {
            match raw.trim().parse::<i64>() {
                Ok(d) if known.contains(&d) => {
                    if Some(d) != input.department_id && !out.contains(&d) {
                        out.push(d);
                    }
                }
                _ => {
                    errs.add("served", "Choose departments from the list.");
                    return Vec::new();
                }
            }
        }
        if !out.is_empty() && !input.roles.contains(&Role::Operator) {
            errs.add("served", "Only operators serve other departments: tick the Operator role, or none of these.");
        }
        out
    }

    pub fn has_role(&self, r: Role) -> bool {
        self.roles.iter().any(|s| s == r.slug())
    }

    /// Checks every field; returns all messages at once.
    pub fn validate(&self) -> Result<UserInput, FormErrors> {
        let mut errs = FormErrors::default();
        let username = self.username.trim().to_string();
        if username.is_empty() {
            errs.add("username", "Enter a username.");
        } else if username.chars().count() > 150 {
            errs.add("username", "Use at most 150 characters.");
        } else if !username.chars().all(|c| c.is_alphanumeric() || "._-@+".contains(c)) {
            errs.add("username", "Use letters, digits and . _ - @ + only.");
        }
        let email = self.email.trim().to_string();
        if !email.is_empty() && !valid_email(&email) {
            errs.add("email", "Enter a valid email address, like name@example.com.");
        }
        for (field, value) in [("first_name", &self.first_name), ("last_name", &self.last_name)] {
            if value.trim().chars().count() > 150 {
                errs.add(field, "Use at most 150 characters.");
            }
        }
        let department_id = match self.department_id.trim() {
            "" => None,
            d => match d.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errs.add("department_id", "Choose a department from the list.");
                    None
                }
            },
        };
        let mut roles = Vec::new();
        for slug in &self.roles {
            match Role::from_slug(slug) {
                Some(r) if !roles.contains(&r) => roles.push(r),
                Some(_) => {}
                None => errs.add("roles", format!("Unknown role {slug:?}.")),
            }
        }
        errs.finish(UserInput {
            username,
            email,
            first_name: self.first_name.trim().to_string(),
            last_name: self.last_name.trim().to_string(),
            department_id,
            roles,
        })
    }
}

/// A pragmatic email check: one `@`, something before it, a dotted domain after it, no spaces.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.contains(char::is_whitespace)
        && !domain.contains('@')
        && e.len() <= 254
}

/// Filters of the user list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub department: String,
    /// "active" (default), "inactive" or "all".
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_username_email_and_roles() {
        let f = UserForm {
            username: "bad name!".into(),
            email: "nope".into(),
            roles: vec!["chief".into(), "wizard".into()],
            ..Default::default()
        };
        let e = f.validate().unwrap_err();
        assert!(e.get("username").is_some());
        assert!(e.get("email").is_some());
        assert!(e.get("roles").is_some());
        let ok = UserForm { username: "Ann.Chief".into(), roles: vec!["chief".into()], ..Default::default() };
        assert_eq!(ok.validate().unwrap().roles, vec![Role::Chief]);
    }

    #[test]
    fn email_check() {
        assert!(valid_email("a@b.co"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.de"));
    }
}
