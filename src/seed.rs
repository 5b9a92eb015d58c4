//! Realistic demo data for the Tasks section, in bulk: `ferrocrm seed --demo --scale N`.
//!
//! Scale 1 is a lively demo; scale 10 gives about 100k tasks and 200k chat messages (the benchmark's
//! data). Rows go in with multi-row inserts inside a few large transactions, so the seed is fast; it
//! writes one history row per user and department (through the normal repo functions) but not per
//! seeded memo, task or message, which are demo data rather than anybody's changes.
//!
//! After the Tasks section, `sales` fills the sales CRM (companies, contacts, leads, deals, payments…)
//! with its own random stream, so the Tasks data (and its ids) stay what they were without it.

use std::time::Instant;

use chrono::{Duration as ChronoDuration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_query::{InsertStatement, Query, SimpleExpr};

use crate::access::Role;
use crate::db::{self, Db, Tx};
use crate::history::Actor;
use crate::users::model::UserInput;
use crate::users::repo;

mod sales;

pub use sales::SALES_DEPARTMENTS;

/// What a seed run created.
#[derive(Debug, Default)]
pub struct Stats {
    pub users: usize,
    pub projects: usize,
    pub tasks: usize,
    pub memos: usize,
    pub chat_messages: usize,
    pub companies: usize,
    pub contacts: usize,
    pub leads: usize,
    pub deals: usize,
    pub outputs: usize,
    pub payments: usize,
    pub requests: usize,
    pub emails: usize,
    pub products: usize,
    pub taggings: usize,
    pub seconds: f64,
}

/// Rows per multi-row INSERT (kept under SQLite's 32,766 bound parameters).
const CHUNK: usize = 1000;

const TASK_NAMES: &[&str] = &[
    "Prepare the quarterly report",
    "Call back the supplier",
    "Update the price list",
    "Check the contract draft",
    "Plan the trade fair stand",
    "Renew the software licences",
    "Review the marketing budget",
    "Fix the website form",
    "Order office supplies",
    "Onboard the new colleague",
    "Collect customer feedback",
    "Reconcile the invoices",
    "Translate the product sheet",
    "Book the team offsite",
    "Audit the warehouse stock",
    "Draft the tender answer",
];
const STEPS: &[&str] =
    &["Acquainted with the task", "Waiting for an answer", "Draft sent for review", "In progress", "Call on Monday"];
const MEMO_NAMES: &[&str] = &[
    "Request for a new laptop",
    "Proposal: flexible hours",
    "Travel expense approval",
    "Supplier change proposal",
    "Budget for the spring campaign",
    "Hiring an intern",
    "Office move options",
    "Complaint from a key customer",
];
const PURPOSES: &[&str] = &[
    "for-information",
    "for-consideration",
    "on-approval",
    "for-the-record",
    "to-make-a-decision",
    "payment-of-regular-expenses",
];
const CHAT_LINES: &[&str] = &[
    "I will take care of it today.",
    "Can you send me the latest version?",
    "Done, please check.",
    "The customer asked for a delay.",
    "Let's discuss it at the Monday meeting.",
    "Attached the numbers from last year.",
    "Who is responsible for the follow-up?",
    "Thanks, looks good to me.",
];

/// A main task before insertion: its people, stage and project.
struct TaskPlan {
    owner: i64,
    co_owner: Option<i64>,
    responsible: Vec<i64>,
    subscribers: Vec<i64>,
    stage: &'static str,
    project: Option<i64>,
}

struct Pool {
    ids: Vec<i64>,
}

impl Pool {
    fn pick(&self, rng: &mut StdRng) -> i64 {
        // Skewed: the first users (the named demo accounts) take part far more often, so logging in as
        // one of them shows full lists, as a busy colleague's would.
        let n = self.ids.len();
        let i = if rng.random_bool(0.35) { rng.random_range(0..n.min(9)) } else { rng.random_range(0..n) };
        self.ids[i]
    }
    fn pick_n(&self, rng: &mut StdRng, k: usize, not: &[i64]) -> Vec<i64> {
        let mut out: Vec<i64> = Vec::with_capacity(k);
        for _ in 0..k * 4 {
            if out.len() == k {
                break;
            }
            let u = self.pick(rng);
            if !out.contains(&u) && !not.contains(&u) {
                out.push(u);
            }
        }
        out
    }
}

fn date(days_from_today: i64) -> NaiveDate {
    (Utc::now() + ChronoDuration::days(days_from_today)).date_naive()
}

async fn insert_chunks(
    tx: &mut Tx,
    base: &InsertStatement,
    rows: Vec<Vec<SimpleExpr>>,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids = Vec::with_capacity(rows.len());
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let mut q = base.clone();
        for row in it.by_ref().take(CHUNK) {
            q.values_panic(row);
        }
        let got: Vec<(i64,)> = tx.fetch_all(&q).await?;
        ids.extend(got.into_iter().map(|(i,)| i));
    }
    Ok(ids)
}

async fn insert_plain(tx: &mut Tx, base: &InsertStatement, rows: Vec<Vec<SimpleExpr>>) -> Result<(), sqlx::Error> {
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let mut q = base.clone();
        for row in it.by_ref().take(CHUNK) {
            q.values_panic(row);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

fn participant(kind: &str, id: i64, role: &str, user: i64) -> Vec<SimpleExpr> {
    vec![kind.into(), id.into(), role.into(), user.into()]
}

/// True when there is no task yet (the demo seeds only an empty section).
pub async fn is_empty(db: &Db) -> Result<bool, sqlx::Error> {
    let n: Option<i64> =
        db.scalar(&Query::select().expr(sea_query::Expr::cust("COUNT(*)")).from("tasks").to_owned()).await?;
    Ok(n.unwrap_or(0) == 0)
}

/// How much a seed run makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Extra users (`user0001`…), besides the named demo users.
    pub users: usize,
    pub projects: usize,
    /// Main tasks; a quarter are team tasks with a subtask per responsible.
    pub main_tasks: usize,
    pub memos: usize,
    pub chat_messages: usize,
    /// Sales CRM: companies, their contact persons (each company has at least one while there are
    /// enough), leads, deals and the deals' payments, spread over the three sales departments.
    pub companies: usize,
    pub contacts: usize,
    pub leads: usize,
    pub deals: usize,
    pub payments: usize,
}

impl Size {
    /// What `ferrocrm seed --demo --scale N` makes.
    pub fn scale(n: u32) -> Size {
        let s = n.max(1) as usize;
        Size {
            users: 20 * s,
            projects: 200 * s,
            main_tasks: 6000 * s,
            memos: 2000 * s,
            chat_messages: 20_000 * s,
            companies: 5000 * s,
            contacts: 10_000 * s,
            leads: 3000 * s,
            deals: 5000 * s,
            payments: 10_000 * s,
        }
    }

    /// A small but complete demo (every stage, team tasks with subtasks, projects, memos linked to
    /// tasks, chat): a few pages of each list, for browser tests.
    pub fn small() -> Size {
        Size {
            users: 6,
            projects: 8,
            main_tasks: 60,
            memos: 40,
            chat_messages: 200,
            companies: 60,
            contacts: 120,
            leads: 40,
            deals: 80,
            payments: 120,
        }
    }
}

/// Creates `20 × scale` extra users, the Tasks section's data and the sales CRM's. The named demo
/// users must exist first.
pub async fn run(db: &Db, scale: u32) -> anyhow::Result<Stats> {
    let started = Instant::now();
    let mut stats = run_sized(db, Size::scale(scale)).await?;
    // The query planner's statistics of the bulk load (the chief's rare-word deal search walked
    // every active deal without them: 96 ms instead of 0.4).
    db.analyze().await?;
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// Creates the users and the section's data `size` asks for. The named demo users must exist first.
pub async fn run_sized(db: &Db, size: Size) -> anyhow::Result<Stats> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(20261125);
    let mut stats = Stats::default();
    let users = seed_users(db, size.users, &mut stats).await?;
    let pool = Pool { ids: users };
    let now = db::now();
    let mut tx = db.begin().await?;
    let participants_q =
        Query::insert().into_table("participants").columns(["object_type", "object_id", "role", "user_id"]).to_owned();

    // Projects.
    let project_q = Query::insert()
        .into_table("projects")
        .columns([
            "name",
            "description",
            "next_step",
            "next_step_date",
            "due_date",
            "priority",
            "stage",
            "active",
            "owner_id",
            "created_at",
            "updated_at",
        ])
        .returning_col("id")
        .to_owned();
    let mut rows = Vec::new();
    let mut owners = Vec::new();
    for i in 0..size.projects {
        let owner = pool.pick(&mut rng);
        owners.push(owner);
        let stage = ["pending", "in_progress", "in_progress", "done"][rng.random_range(0..4)];
        rows.push(vec![
            format!("Project {} #{i}", ["Phoenix", "Atlas", "Nova", "Orion", "Vega"][i % 5]).into(),
            "Collects the tasks of one initiative.".into(),
            STEPS[i % STEPS.len()].into(),
            date(rng.random_range(-5..20)).into(),
            date(rng.random_range(-30..120)).into(),
            rng.random_range(1..=3i16).into(),
            stage.into(),
            (stage != "done").into(),
            owner.into(),
            now.into(),
            now.into(),
        ]);
    }
    let projects = insert_chunks(&mut tx, &project_q, rows).await?;
    stats.projects = projects.len();
    let mut parts = Vec::new();
    for (p, owner) in projects.iter().zip(&owners) {
        parts.push(participant("project", *p, "owner", *owner));
        for u in pool.pick_n(&mut rng, 2, &[*owner]) {
            parts.push(participant("project", *p, "responsible", u));
        }
    }
    insert_plain(&mut tx, &participants_q, parts).await?;

    // Tasks: main tasks, a quarter of them team tasks whose responsible each have a subtask.
    let task_cols = [
        "name",
        "description",
        "next_step",
        "next_step_date",
        "due_date",
        "priority",
        "stage",
        "active",
        "owner_id",
        "co_owner_id",
        "parent_id",
        "project_id",
        "team",
        "created_at",
        "updated_at",
    ];
    let task_q = Query::insert().into_table("tasks").columns(task_cols).returning_col("id").to_owned();
    let mains = size.main_tasks;
    let mut rows = Vec::with_capacity(mains);
    let mut plan: Vec<TaskPlan> = Vec::with_capacity(mains);
    for i in 0..mains {
        let owner = pool.pick(&mut rng);
        let team = rng.random_bool(0.25);
        let (k_resp, k_subs) = (rng.random_range(2..=4), rng.random_range(0..=2));
        let responsible = if team { pool.pick_n(&mut rng, k_resp, &[]) } else { vec![pool.pick(&mut rng)] };
        let subscribers = pool.pick_n(&mut rng, k_subs, &responsible);
        let co_owner = rng.random_bool(0.3).then(|| pool.pick(&mut rng)).filter(|c| *c != owner);
        let stage =
            ["pending", "pending", "in_progress", "in_progress", "done", "done", "canceled"][rng.random_range(0..7)];
        let project = rng.random_bool(0.3).then(|| projects[rng.random_range(0..projects.len())]);
        rows.push(vec![
            format!("{} #{i}", TASK_NAMES[i % TASK_NAMES.len()]).into(),
            "Details are in the attached notes; ask the owner when in doubt.".into(),
            STEPS[rng.random_range(0..STEPS.len())].into(),
            date(rng.random_range(-10..15)).into(),
            date(rng.random_range(-20..90)).into(),
            rng.random_range(1..=3i16).into(),
            stage.into(),
            matches!(stage, "pending" | "in_progress").into(),
            owner.into(),
            co_owner.into(),
            Option::<i64>::None.into(),
            project.into(),
            team.into(),
            (now - ChronoDuration::minutes(rng.random_range(0..200_000))).into(),
            now.into(),
        ]);
        plan.push(TaskPlan { owner, co_owner, responsible, subscribers, stage, project });
    }
    let main_ids = insert_chunks(&mut tx, &task_q, rows).await?;
    let mut parts = Vec::new();
    let mut sub_rows = Vec::new();
    let mut sub_plan = Vec::new();
    for (id, TaskPlan { owner, co_owner, responsible, subscribers, stage, project }) in main_ids.iter().zip(&plan) {
        parts.push(participant("task", *id, "owner", *owner));
        if let Some(c) = co_owner {
            parts.push(participant("task", *id, "co_owner", *c));
        }
        for r in responsible {
            parts.push(participant("task", *id, "responsible", *r));
        }
        for s in subscribers {
            parts.push(participant("task", *id, "subscriber", *s));
        }
        if responsible.len() > 1 {
            for r in responsible {
                let sub_stage =
                    if *stage == "done" { "done" } else { ["pending", "in_progress", "done"][rng.random_range(0..3)] };
                sub_rows.push(vec![
                    format!("My part of task {id}").into(),
                    "".into(),
                    "In progress".into(),
                    date(rng.random_range(-5..10)).into(),
                    date(rng.random_range(0..60)).into(),
                    2i16.into(),
                    sub_stage.into(),
                    (sub_stage != "done").into(),
                    (*r).into(),
                    (*owner).into(),
                    (*id).into(),
                    (*project).into(),
                    false.into(),
                    now.into(),
                    now.into(),
                ]);
                sub_plan.push((*r, *owner));
            }
        }
    }
    let sub_ids = insert_chunks(&mut tx, &task_q, sub_rows).await?;
    for (id, (resp, owner)) in sub_ids.iter().zip(&sub_plan) {
        parts.push(participant("task", *id, "owner", *resp));
        parts.push(participant("task", *id, "co_owner", *owner));
        parts.push(participant("task", *id, "responsible", *resp));
    }
    insert_plain(&mut tx, &participants_q, parts).await?;
    stats.tasks = main_ids.len() + sub_ids.len();
    tx.commit().await?;

    stats.memos = seed_memos(db, &pool, &main_ids, size.memos, &mut rng).await?;
    let people: Vec<(i64, Vec<i64>)> = main_ids
        .iter()
        .zip(&plan)
        .map(|(id, TaskPlan { owner, responsible, subscribers, .. })| {
            let mut p = vec![*owner];
            p.extend(responsible);
            p.extend(subscribers);
            (*id, p)
        })
        .collect();
    stats.chat_messages = seed_chat(db, &people, size.chat_messages, &mut rng).await?;
    // Last, so the Tasks section's ids do not move; only into an empty CRM (tickets and tokens are
    // unique, and a second run of the same random stream would repeat them).
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "seed: the Tasks section done");
    if sales::is_empty(db).await? {
        // Its last step indexes everything for search, tasks, memos and projects included.
        sales::run(db, &size, &mut stats).await?;
    } else {
        crate::crm::search::rebuild_items(db).await?;
    }
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

async fn seed_users(db: &Db, n: usize, stats: &mut Stats) -> anyhow::Result<Vec<i64>> {
    let hash = crate::auth::password::hash(crate::cli::DEMO_PASSWORD).await?;
    let actor = Actor::system("seed");
    let mut tx = db.begin().await?;
    let departments = ["Global sales", "Local sales", "Bookkeeping", "Marketing", "Operations"];
    let mut dept_ids = Vec::new();
    for d in departments {
        dept_ids.push(repo::department_by_name_or_create(&mut tx, d, &actor).await?);
    }
    let mut sales_ids = Vec::new();
    for d in SALES_DEPARTMENTS {
        sales_ids.push(repo::department_by_name_or_create(&mut tx, d, &actor).await?);
    }
    for i in 0..n {
        let username = format!("user{:04}", i + 1);
        if repo::id_by_username(db, &username).await?.is_some() {
            continue;
        }
        let mut roles = vec![Role::CoWorker];
        match i % 10 {
            0 => roles.push(Role::DepartmentHead),
            1..=3 => roles.push(Role::SalesManager),
            4 => roles.push(Role::Operator),
            5 if i % 40 == 5 => roles.push(Role::Chief),
            6 if i % 30 == 6 => roles.push(Role::TaskOperator),
            7 if i % 20 == 7 => roles.push(Role::Accountant),
            _ => {}
        }
        let input = UserInput {
            username,
            email: format!("user{:04}@example.com", i + 1),
            first_name: ["Alex", "Sam", "Robin", "Kim", "Jo", "Max", "Lee", "Noa"][i % 8].into(),
            last_name: format!("Seed{:04}", i + 1),
            // Sales managers work in a sales department, one in three in each (they own the CRM's rows).
            department_id: Some(match i % 10 {
                k @ 1..=3 => sales_ids[(k - 1) % sales_ids.len()],
                _ => dept_ids[i % dept_ids.len()],
            }),
            roles,
        };
        if repo::insert(&mut tx, &input, &hash, &actor).await.is_ok() {
            stats.users += 1;
        }
    }
    tx.commit().await?;
    let mut ids: Vec<i64> = repo::choices(db).await?.into_iter().map(|c| c.id).collect();
    // Named demo users first (lowest ids), so `Pool::pick` favours them.
    ids.sort_unstable();
    Ok(ids)
}

async fn seed_memos(db: &Db, pool: &Pool, tasks: &[i64], n: usize, rng: &mut StdRng) -> anyhow::Result<usize> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let q = Query::insert()
        .into_table("memos")
        .columns([
            "name",
            "draft",
            "recipient_id",
            "purpose",
            "description",
            "stage",
            "owner_id",
            "task_id",
            "reviewed_at",
            "created_at",
            "updated_at",
        ])
        .returning_col("id")
        .to_owned();
    let mut rows = Vec::with_capacity(n);
    let mut plan = Vec::with_capacity(n);
    for i in 0..n {
        let owner = pool.pick(rng);
        let recipient = pool.pick_n(rng, 1, &[owner]).first().copied().unwrap_or(owner);
        let draft = rng.random_bool(0.1);
        let stage = if draft {
            "pending"
        } else {
            ["pending", "postponed", "considered", "considered"][rng.random_range(0..4)]
        };
        let task = (stage == "considered" && rng.random_bool(0.5)).then(|| tasks[rng.random_range(0..tasks.len())]);
        rows.push(vec![
            format!("{} #{i}", MEMO_NAMES[i % MEMO_NAMES.len()]).into(),
            draft.into(),
            recipient.into(),
            Some(PURPOSES[i % PURPOSES.len()].to_string()).into(),
            "Please see the reasons below and let me know your decision.".into(),
            stage.into(),
            owner.into(),
            task.into(),
            (stage == "considered").then_some(now).into(),
            (now - ChronoDuration::minutes(rng.random_range(0..200_000))).into(),
            now.into(),
        ]);
        let k = rng.random_range(0..=2);
        plan.push((owner, recipient, pool.pick_n(rng, k, &[owner, recipient])));
    }
    let ids = insert_chunks(&mut tx, &q, rows).await?;
    let mut parts = Vec::new();
    for (id, (owner, recipient, subs)) in ids.iter().zip(&plan) {
        parts.push(participant("memo", *id, "owner", *owner));
        parts.push(participant("memo", *id, "recipient", *recipient));
        for s in subs {
            parts.push(participant("memo", *id, "subscriber", *s));
        }
    }
    let pq =
        Query::insert().into_table("participants").columns(["object_type", "object_id", "role", "user_id"]).to_owned();
    insert_plain(&mut tx, &pq, parts).await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Chat on tasks, each message written by one of the task's participants.
async fn seed_chat(db: &Db, tasks: &[(i64, Vec<i64>)], n: usize, rng: &mut StdRng) -> anyhow::Result<usize> {
    let q = Query::insert()
        .into_table("chat_messages")
        .columns(["object_type", "object_id", "author_id", "body", "created_at"])
        .to_owned();
    let now = db::now();
    let mut done = 0;
    // Several transactions: one huge one would hold SQLite's write lock for long.
    while done < n {
        let batch = (n - done).min(50_000);
        let mut rows = Vec::with_capacity(batch);
        for k in 0..batch {
            let (task, people) = &tasks[rng.random_range(0..tasks.len())];
            let author = people[rng.random_range(0..people.len())];
            // Later rows are newer, so every chat reads in order.
            let age = ((n - done - k) as i64) * 97;
            rows.push(vec![
                "task".into(),
                (*task).into(),
                author.into(),
                CHAT_LINES[rng.random_range(0..CHAT_LINES.len())].into(),
                (now - ChronoDuration::seconds(age)).into(),
            ]);
        }
        let mut tx = db.begin().await?;
        insert_plain(&mut tx, &q, rows).await?;
        tx.commit().await?;
        done += batch;
    }
    Ok(n)
}
