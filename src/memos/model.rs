//! Memo data: stages, purposes, the row type, the form and its validation, the list filter.

use chrono::{DateTime, Utc};
use sea_query::Iden;
use serde::Deserialize;

use crate::error::FormErrors;

#[derive(Iden, Clone, Copy)]
pub enum Memos {
    Table,
    Id,
    Name,
    Draft,
    RecipientId,
    Purpose,
    Description,
    Stage,
    OwnerId,
    TaskId,
    ProjectId,
    ReviewedAt,
    CreatedAt,
    UpdatedAt,
}

/// A shared memo's stage (a draft is pending and flagged `draft`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoStage {
    Pending,
    Postponed,
    Considered,
}

impl MemoStage {
    pub const ALL: [MemoStage; 3] = [MemoStage::Pending, MemoStage::Postponed, MemoStage::Considered];
    pub fn slug(self) -> &'static str {
        match self {
            MemoStage::Pending => "pending",
            MemoStage::Postponed => "postponed",
            MemoStage::Considered => "considered",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            MemoStage::Pending => "Pending",
            MemoStage::Postponed => "Postponed",
            MemoStage::Considered => "Considered",
        }
    }
    pub fn from_slug(s: &str) -> Option<MemoStage> {
        MemoStage::ALL.into_iter().find(|m| m.slug() == s)
    }
    pub fn of(s: &str) -> MemoStage {
        MemoStage::from_slug(s).unwrap_or(MemoStage::Pending)
    }
}

/// What a memo is for (Django-CRM's "resolutions"), stored by slug.
pub const PURPOSES: &[(&str, &str)] = &[
    ("for-information", "For information"),
    ("for-consideration", "For consideration"),
    ("on-approval", "On approval"),
    ("for-the-record", "For the record"),
    ("to-make-a-decision", "To make a decision"),
    ("payment-of-regular-expenses", "Payment of regular expenses"),
];

pub fn purpose_label(slug: &str) -> &'static str {
    PURPOSES.iter().find(|(s, _)| *s == slug).map(|(_, l)| *l).unwrap_or("")
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Memo {
    pub id: i64,
    pub name: String,
    pub draft: bool,
    pub recipient_id: i64,
    pub purpose: Option<String>,
    pub description: String,
    pub stage: String,
    pub owner_id: i64,
    pub task_id: Option<i64>,
    pub project_id: Option<i64>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Memo {
    pub fn stage(&self) -> MemoStage {
        MemoStage::of(&self.stage)
    }
    pub fn locked(&self) -> bool {
        self.stage() == MemoStage::Considered
    }
    /// "Draft", or the stage's label.
    pub fn status_label(&self) -> &'static str {
        if self.draft { "Draft" } else { self.stage().label() }
    }
}

/// The raw memo form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MemoForm {
    #[serde(default)]
    pub name: String,
    /// The deal a new memo is made from ("Office memo +" on a deal page): `crm::deal_work`.
    #[serde(default)]
    pub deal_id: String,
    /// The Draft checkbox ("on" when ticked).
    #[serde(default)]
    pub draft: Option<String>,
    #[serde(default)]
    pub recipient_id: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub subscribers: Vec<String>,
    /// Files chosen before a validation error, kept for this submit (shown as ticked boxes).
    #[serde(skip)]
    pub held: Vec<crate::files::Held>,
}

#[derive(Clone, Debug)]
pub struct MemoInput {
    pub name: String,
    pub draft: bool,
    pub recipient_id: i64,
    pub purpose: Option<String>,
    pub description: String,
    pub subscribers: Vec<i64>,
}

impl MemoForm {
    pub fn from_memo(m: &Memo, subscribers: &[i64]) -> MemoForm {
        MemoForm {
            name: m.name.clone(),
            draft: m.draft.then(|| "on".to_string()),
            recipient_id: m.recipient_id.to_string(),
            purpose: m.purpose.clone().unwrap_or_default(),
            description: m.description.clone(),
            subscribers: subscribers.iter().map(|s| s.to_string()).collect(),
            held: Vec::new(),
            deal_id: String::new(),
        }
    }

    pub fn is_draft(&self) -> bool {
        self.draft.as_deref().is_some_and(|d| !d.is_empty() && d != "false")
    }

    /// `users`: the active users a memo may go to.
    pub fn validate(&self, users: &[i64]) -> Result<MemoInput, FormErrors> {
        let mut errs = FormErrors::default();
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errs.add("name", "Give the memo a title.");
        } else if name.chars().count() > 250 {
            errs.add("name", "Use at most 250 characters.");
        }
        let recipient_id = match self.recipient_id.trim().parse::<i64>() {
            Ok(id) if users.contains(&id) => id,
            Ok(_) => {
                errs.add("recipient_id", "Choose the recipient from the list (that user is not active).");
                0
            }
            Err(_) => {
                errs.add("recipient_id", "Choose who the memo is for.");
                0
            }
        };
        let purpose = match self.purpose.trim() {
            "" => None,
            p if PURPOSES.iter().any(|(s, _)| *s == p) => Some(p.to_string()),
            _ => {
                errs.add("purpose", "Choose a purpose from the list.");
                None
            }
        };
        if self.description.chars().count() > 20_000 {
            errs.add("description", "Use at most 20,000 characters.");
        }
        let mut subscribers = Vec::new();
        for s in self.subscribers.iter().filter(|s| !s.trim().is_empty()) {
            match s.trim().parse::<i64>() {
                Ok(id) if users.contains(&id) => {
                    if !subscribers.contains(&id) {
                        subscribers.push(id);
                    }
                }
                _ => {
                    errs.add("subscribers", "Choose subscribers from the list.");
                    break;
                }
            }
        }
        errs.finish(MemoInput {
            name,
            draft: self.is_draft(),
            recipient_id,
            purpose,
            description: self.description.trim_end().to_string(),
            subscribers,
        })
    }
}

/// Filters of the memo list.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MemoFilter {
    /// "", "draft", or a stage slug.
    #[serde(default)]
    pub stage: String,
    /// "", "mine" (I wrote it), "to-me" (I am the recipient), "subscribed".
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub q: String,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
}

impl MemoFilter {
    pub fn query(&self, page: u64) -> String {
        crate::views::ui::query(&[
            ("stage", self.stage.clone()),
            ("role", self.role.clone()),
            ("q", self.q.clone()),
            ("page", if page > 1 { page.to_string() } else { String::new() }),
        ])
    }
}

impl crate::files::HoldsFiles for MemoForm {
    fn held_mut(&mut self) -> &mut Vec<crate::files::Held> {
        &mut self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_needs_a_title_and_an_active_recipient() {
        let e = MemoForm { recipient_id: "7".into(), ..Default::default() }.validate(&[1]).unwrap_err();
        assert!(e.get("name").is_some());
        assert!(e.get("recipient_id").is_some());
        let ok =
            MemoForm { name: "Hi".into(), recipient_id: "1".into(), draft: Some("on".into()), ..Default::default() }
                .validate(&[1])
                .unwrap();
        assert!(ok.draft);
    }

    #[test]
    fn purposes_come_from_the_list() {
        let f = MemoForm { name: "x".into(), recipient_id: "1".into(), purpose: "bribe".into(), ..Default::default() };
        assert!(f.validate(&[1]).unwrap_err().get("purpose").is_some());
    }
}
