//! Task and project data: stages, priorities, the row types, the raw form and its validation.
//! Projects share the stage set, the priority scale and most of the form with tasks.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use sea_query::Iden;
use serde::Deserialize;

use crate::error::FormErrors;

#[derive(Iden, Clone, Copy)]
pub enum Tasks {
    Table,
    Id,
    Name,
    Description,
    NextStep,
    NextStepDate,
    DueDate,
    Priority,
    Stage,
    Active,
    OwnerId,
    CoOwnerId,
    ParentId,
    ProjectId,
    Team,
    ClosingDate,
    CreatedAt,
    UpdatedAt,
}

/// The stage of a task or project. The first two are active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Pending,
    InProgress,
    Done,
    Canceled,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Pending, Stage::InProgress, Stage::Done, Stage::Canceled];

    pub fn slug(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::InProgress => "in_progress",
            Stage::Done => "done",
            Stage::Canceled => "canceled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Stage::Pending => "Pending",
            Stage::InProgress => "In progress",
            Stage::Done => "Done",
            Stage::Canceled => "Canceled",
        }
    }
    pub fn from_slug(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.slug() == s)
    }
    pub fn active(self) -> bool {
        matches!(self, Stage::Pending | Stage::InProgress)
    }
    /// Stored text → stage (unknown text reads as pending rather than failing a page).
    pub fn of(s: &str) -> Stage {
        Stage::from_slug(s).unwrap_or(Stage::Pending)
    }
}

/// Priority 1 (low) … 3 (high); 2 is the default.
pub fn priority_label(p: i16) -> &'static str {
    match p {
        1 => "Low",
        3 => "High",
        _ => "Middle",
    }
}

/// A task row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Task {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub next_step: String,
    pub next_step_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub priority: i16,
    pub stage: String,
    pub active: bool,
    pub owner_id: i64,
    pub co_owner_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub project_id: Option<i64>,
    pub team: bool,
    pub closing_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Task {
    pub fn stage(&self) -> Stage {
        Stage::of(&self.stage)
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.active && self.due_date.is_some_and(|d| d < today)
    }
    pub fn is_subtask(&self) -> bool {
        self.parent_id.is_some()
    }
    /// What the access rules need to know of this task, for a viewer with relation `rel` to it who
    /// takes part in its main task or a subtask when `related` (lists of tasks loaded in bulk).
    pub fn access_item(&self, rel: crate::access::Rel, related: bool) -> crate::access::Item {
        crate::access::Item {
            kind: crate::access::ItemKind::Task,
            rel,
            department: None,
            draft: false,
            locked: false,
            team: self.team,
            subtask: self.is_subtask(),
            related,
        }
    }
}

/// The fields tasks and projects share, as stored (what history diffs and edit forms start from).
#[derive(Clone, Debug, Default)]
pub struct WorkFields {
    pub name: String,
    pub description: String,
    pub next_step: String,
    pub next_step_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub priority: i16,
    pub co_owner_id: Option<i64>,
    pub responsible: Vec<i64>,
    pub subscribers: Vec<i64>,
}

impl WorkFields {
    /// What a form about to be saved says.
    pub fn of_input(i: &WorkInput) -> WorkFields {
        WorkFields {
            name: i.name.clone(),
            description: i.description.clone(),
            next_step: i.next_step.clone(),
            next_step_date: i.next_step_date,
            due_date: i.due_date,
            priority: i.priority,
            co_owner_id: i.co_owner_id,
            responsible: i.responsible.clone(),
            subscribers: i.subscribers.clone(),
        }
    }

    /// Field-by-field history lines from `before` to `self` (`before` empty for a creation).
    pub fn diff(&self, before: &WorkFields, names: &std::collections::HashMap<i64, String>) -> crate::history::Diff {
        let people = |ids: &[i64]| crate::tasks::repo::people_text(ids, names);
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let prio = |p: i16| if p == 0 { "" } else { priority_label(p) };
        let co = |c: Option<i64>| people(&c.into_iter().collect::<Vec<_>>());
        let mut d = crate::history::Diff::default();
        d.field("Name", &before.name, &self.name)
            .field("Description", &before.description, &self.description)
            .field("Next step", &before.next_step, &self.next_step)
            .field("Next step date", date(before.next_step_date), date(self.next_step_date))
            .field("Due date", date(before.due_date), date(self.due_date))
            .field("Priority", prio(before.priority), prio(self.priority))
            .field("Co-owner", co(before.co_owner_id), co(self.co_owner_id))
            .field("Responsible", people(&before.responsible), people(&self.responsible))
            .field("Subscribers", people(&before.subscribers), people(&self.subscribers));
        d
    }

    /// The form that edits these fields.
    pub fn form(&self) -> WorkForm {
        let ids = |v: &[i64]| v.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        WorkForm {
            name: self.name.clone(),
            description: self.description.clone(),
            next_step: self.next_step.clone(),
            next_step_date: self.next_step_date.map(|d| d.to_string()).unwrap_or_default(),
            due_date: self.due_date.map(|d| d.to_string()).unwrap_or_default(),
            priority: self.priority.to_string(),
            co_owner_id: self.co_owner_id.map(|c| c.to_string()).unwrap_or_default(),
            responsible: ids(&self.responsible),
            subscribers: ids(&self.subscribers),
            ..Default::default()
        }
    }
}

/// What people newly in a task or project hear, by their role in it (`what`: "task", "project").
pub fn welcome_titles(what: &str, name: &str) -> [(crate::participants::PRole, String); 3] {
    use crate::participants::PRole;
    [
        (PRole::Responsible, format!("You have a new {what}: {name}")),
        (PRole::CoOwner, format!("You are the co-owner of the {what}: {name}")),
        (PRole::Subscriber, format!("You are subscribed to the {what}: {name}")),
    ]
}

/// The raw task/project form, as strings (re-rendered as typed when validation fails).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WorkForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub next_step: String,
    #[serde(default)]
    pub next_step_date: String,
    #[serde(default)]
    pub due_date: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub co_owner_id: String,
    #[serde(default)]
    pub responsible: Vec<String>,
    #[serde(default)]
    pub subscribers: Vec<String>,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub project_id: String,
    /// The memo this task or project is created from.
    #[serde(default)]
    pub memo_id: String,
    /// The deal a new task is made from ("Task +" on a deal page): `crm::deal_work`.
    #[serde(default)]
    pub deal_id: String,
    /// Attachments of the memo to link (ids).
    #[serde(default)]
    pub memo_files: Vec<String>,
    /// Tags chosen (ids of the viewer's departments' tags, `tasks::tags`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// New tags typed, comma separated (created in the viewer's department).
    #[serde(default)]
    pub new_tags: String,
    /// The form shows a stored object: its tags are read for the viewer when it is rendered (a
    /// form posted back shows what was posted).
    #[serde(skip)]
    pub tags_of: Option<(crate::access::ItemKind, i64)>,
    /// Files chosen before a validation error, kept for this submit (shown as ticked boxes).
    #[serde(skip)]
    pub held: Vec<crate::files::Held>,
}

/// A validated task or project form.
#[derive(Clone, Debug)]
pub struct WorkInput {
    pub name: String,
    pub description: String,
    pub next_step: String,
    pub next_step_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub priority: i16,
    pub stage: Stage,
    pub co_owner_id: Option<i64>,
    pub responsible: Vec<i64>,
    pub subscribers: Vec<i64>,
    pub parent_id: Option<i64>,
    pub project_id: Option<i64>,
    pub memo_id: Option<i64>,
    pub memo_files: Vec<i64>,
    /// Tags chosen (checked against the viewer's: `tasks::flow::check`) and new tag names.
    pub tags: Vec<i64>,
    pub new_tags: Vec<String>,
}

/// What the validation needs to know beyond the form.
pub struct Rules<'a> {
    pub today: NaiveDate,
    /// Users that may be picked (active users).
    pub users: &'a [i64],
    /// For edits: the stored dates, which may stay in the past.
    pub before: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    /// A subtask has exactly one responsible.
    pub subtask: bool,
    /// Projects do not need a responsible.
    pub need_responsible: bool,
}

pub const DEFAULT_TASK_STEP: &str = "Acquainted with the task";
pub const DEFAULT_PROJECT_STEP: &str = "Acquainted with the project";

/// The next working day after `d` (the default next-step date).
pub fn next_working_day(d: NaiveDate) -> NaiveDate {
    let mut n = d + Duration::days(1);
    while matches!(n.weekday(), Weekday::Sat | Weekday::Sun) {
        n += Duration::days(1);
    }
    n
}

fn parse_date(field: &'static str, raw: &str, errs: &mut FormErrors) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.add(field, "Enter a date like 2026-12-31.");
            None
        }
    }
}

fn parse_id(raw: &str) -> Option<i64> {
    raw.trim().parse::<i64>().ok().filter(|i| *i > 0)
}

fn parse_people(field: &'static str, raw: &[String], users: &[i64], errs: &mut FormErrors) -> Vec<i64> {
    let mut out = Vec::new();
    for r in raw.iter().filter(|r| !r.trim().is_empty()) {
        match parse_id(r) {
            Some(id) if users.contains(&id) => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            _ => {
                errs.add(field, "Choose people from the list (a chosen user is no longer active).");
                break;
            }
        }
    }
    out
}

impl WorkForm {
    /// The form of a new task or project: `step` as the next step on the next working day, middle
    /// priority, `viewer` responsible.
    pub fn new_for(step: &str, viewer: i64, today: NaiveDate) -> WorkForm {
        WorkForm {
            next_step: step.into(),
            next_step_date: next_working_day(today).to_string(),
            priority: "2".into(),
            responsible: vec![viewer.to_string()],
            ..Default::default()
        }
    }

    pub fn validate(&self, rules: &Rules<'_>) -> Result<WorkInput, FormErrors> {
        let mut errs = FormErrors::default();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.eq_ignore_ascii_case("untitled") {
            errs.add("name", "Please specify a name.");
        } else if name.chars().count() > 250 {
            errs.add("name", "Use at most 250 characters.");
        }
        if self.description.chars().count() > 20_000 {
            errs.add("description", "Use at most 20,000 characters.");
        }
        let next_step = self.next_step.trim().to_string();
        if next_step.chars().count() > 250 {
            errs.add("next_step", "Use at most 250 characters.");
        }
        let next_step_date = parse_date("next_step_date", &self.next_step_date, &mut errs);
        let due_date = parse_date("due_date", &self.due_date, &mut errs);
        let (old_step, old_due) = rules.before.unwrap_or((None, None));
        if let Some(d) = due_date
            && d < rules.today
            && Some(d) != old_due
        {
            errs.add("due_date", "The due date cannot be in the past.");
        }
        if let Some(d) = next_step_date
            && d < rules.today
            && Some(d) != old_step
        {
            errs.add("next_step_date", "The next step date cannot be in the past.");
        }
        let priority = match self.priority.trim() {
            "" => 2,
            p => match p.parse::<i16>() {
                Ok(n @ 1..=3) => n,
                _ => {
                    errs.add("priority", "Choose a priority from the list.");
                    2
                }
            },
        };
        let stage = match self.stage.trim() {
            "" => Stage::Pending,
            s => Stage::from_slug(s).unwrap_or_else(|| {
                errs.add("stage", "Choose a stage from the list.");
                Stage::Pending
            }),
        };
        let co_owner_id = match self.co_owner_id.trim() {
            "" => None,
            c => match parse_id(c).filter(|id| rules.users.contains(id)) {
                Some(id) => Some(id),
                None => {
                    errs.add("co_owner_id", "Choose the co-owner from the list.");
                    None
                }
            },
        };
        let responsible = parse_people("responsible", &self.responsible, rules.users, &mut errs);
        if errs.get("responsible").is_none() {
            if rules.need_responsible && responsible.is_empty() {
                errs.add("responsible", "Please specify a responsible.");
            } else if rules.subtask && responsible.len() > 1 {
                errs.add("responsible", "This is a sub-task, so specify only one responsible.");
            }
        }
        let subscribers = parse_people("subscribers", &self.subscribers, rules.users, &mut errs);
        errs.finish(WorkInput {
            name,
            description: self.description.trim_end().to_string(),
            next_step,
            next_step_date,
            due_date,
            priority,
            stage,
            co_owner_id,
            responsible,
            subscribers,
            parent_id: parse_id(&self.parent_id),
            project_id: parse_id(&self.project_id),
            memo_id: parse_id(&self.memo_id),
            memo_files: self.memo_files.iter().filter_map(|f| parse_id(f)).collect(),
            tags: Vec::new(),
            new_tags: Vec::new(),
        })
    }
}

/// Filters and sort of the task list, from the query string.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TaskFilter {
    /// "active" (default) or "all".
    #[serde(default)]
    pub show: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub responsible: String,
    /// "" (any), "mine" (owner or co-owner), "assigned" (responsible), "subscribed".
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub q: String,
    /// "" (default: main tasks with their subtasks, newest main task first), "id" (newest first),
    /// "due", "step" (the next-step-date toggle).
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub project: String,
    /// A tag id (of the viewer's departments; another matches nothing).
    #[serde(default)]
    pub tag: String,
    /// Sent by the filter form: an empty Responsible then means "any", not the default "me".
    #[serde(default)]
    pub filtered: String,
    #[serde(default, deserialize_with = "crate::paging::lenient")]
    pub page: Option<u32>,
}

impl TaskFilter {
    pub fn all(&self) -> bool {
        self.show == "all"
    }
    /// Whether the list's Responsible is left to the default (none chosen, and `v` is one whom
    /// the default may name: `access::task_list_defaults_to_own`).
    pub fn wants_default(&self, v: &crate::access::Viewer) -> bool {
        self.responsible.trim().is_empty() && crate::access::task_list_defaults_to_own(v)
    }
    /// Applies the default of §14.1, "responsible (default = me for non-chiefs, if I have any)":
    /// without a Responsible chosen, a non-chief who is responsible for some task (`has_own`, see
    /// `repo::resolve`) sees the tasks they are responsible for; anyone else, every task they may
    /// see. "all" (or the filter form sent with the field empty) means any responsible.
    pub fn resolve(&mut self, v: &crate::access::Viewer, has_own: bool) {
        if !self.wants_default(v) {
            return;
        }
        if self.filtered.is_empty() && has_own {
            self.responsible = v.id.to_string();
        } else if !self.filtered.is_empty() {
            self.responsible = ANY.to_string();
        }
        self.filtered.clear();
    }
    /// The list shows every responsible's tasks.
    pub fn any_responsible(&self) -> bool {
        self.responsible.trim().is_empty() || self.responsible == ANY
    }
    /// The query string that reproduces this filter (for pagination and live refresh).
    pub fn query(&self, page: u64) -> String {
        crate::views::ui::query(&[
            ("show", self.show.clone()),
            ("stage", self.stage.clone()),
            ("owner", self.owner.clone()),
            ("responsible", self.responsible.clone()),
            ("role", self.role.clone()),
            ("q", self.q.clone()),
            ("sort", self.sort.clone()),
            ("project", self.project.clone()),
            ("tag", self.tag.clone()),
            ("page", if page > 1 { page.to_string() } else { String::new() }),
        ])
    }
}

/// `responsible=all`: the task list's Responsible filter cleared.
pub const ANY: &str = "all";

impl crate::files::HoldsFiles for WorkForm {
    fn held_mut(&mut self) -> &mut Vec<crate::files::Held> {
        &mut self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(users: &[i64]) -> Rules<'_> {
        Rules {
            today: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default(),
            users,
            before: None,
            subtask: false,
            need_responsible: true,
        }
    }

    #[test]
    fn a_task_needs_a_name_and_a_responsible() {
        let e = WorkForm { name: "Untitled".into(), ..Default::default() }.validate(&rules(&[1])).unwrap_err();
        assert_eq!(e.get("name"), Some("Please specify a name."));
        assert_eq!(e.get("responsible"), Some("Please specify a responsible."));
    }

    #[test]
    fn dates_in_the_past_are_refused_unless_unchanged() {
        let f = WorkForm {
            name: "x".into(),
            responsible: vec!["1".into()],
            due_date: "2026-11-01".into(),
            ..Default::default()
        };
        assert!(f.validate(&rules(&[1])).unwrap_err().get("due_date").is_some());
        let old = NaiveDate::from_ymd_opt(2026, 11, 1);
        let r = Rules { before: Some((None, old)), ..rules(&[1]) };
        assert!(f.validate(&r).is_ok());
    }

    #[test]
    fn a_subtask_has_one_responsible_and_people_must_be_active_users() {
        let f = WorkForm { name: "x".into(), responsible: vec!["1".into(), "2".into()], ..Default::default() };
        let r = Rules { subtask: true, ..rules(&[1, 2]) };
        assert_eq!(
            f.validate(&r).unwrap_err().get("responsible"),
            Some("This is a sub-task, so specify only one responsible.")
        );
        let f = WorkForm { name: "x".into(), responsible: vec!["9".into()], ..Default::default() };
        assert!(f.validate(&rules(&[1])).unwrap_err().get("responsible").is_some());
    }

    #[test]
    fn the_next_working_day_skips_weekends() {
        let fri = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
        assert_eq!(next_working_day(fri), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default());
    }
}
