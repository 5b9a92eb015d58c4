//! The permission golden table, over HTTP: every role-named user × relationship × kind of memo, task
//! and project × action, against the real handlers. `src/access_golden.txt` pins what `access::can`
//! answers; this test proves every route enforces exactly that answer — allowed actions succeed,
//! denied ones answer 404 (not visible) or 403 (visible, not allowed) and change nothing at all in the
//! database.

use std::collections::HashMap;

use ferrocrm::access::{self, Action, Item, ItemKind, Object, Viewer};
use ferrocrm::history::Actor;
use ferrocrm::participants::PRole;
use ferrocrm::tasks::model::{Stage, WorkInput};
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::client::TestClient;
use crate::helpers::snapshot::snapshot;
use crate::helpers::{TestApp, spawn_app};

/// The users whose access is tested, one per role (plus the co-worker role everyone has).
const VIEWERS: &[&str] = &[
    "Adam.Admin",
    "Garry.Chief",
    "Helen.Head.Sales",
    "Olga.Operator.Sales",
    "Mark.Manager.Sales",
    "Tina.TaskOperator",
    "Anna.Accountant",
    "Carl.CoWorker",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    Memo,
    MemoDraft,
    MemoConsidered,
    Task,
    TeamTask,
    Subtask,
    /// A subtask of a main task the viewer subscribes to (§3.3: participants see each other's subtasks).
    SubtaskOfMine,
    /// A main task with a subtask the viewer subscribes to.
    MainTaskOfMine,
    Project,
}

impl Variant {
    fn kind(self) -> ItemKind {
        match self {
            Variant::Memo | Variant::MemoDraft | Variant::MemoConsidered => ItemKind::Memo,
            Variant::Task | Variant::TeamTask | Variant::Subtask | Variant::SubtaskOfMine | Variant::MainTaskOfMine => {
                ItemKind::Task
            }
            Variant::Project => ItemKind::Project,
        }
    }
    /// The relationships a person can really have with this kind.
    fn relationships(self) -> &'static [Option<PRole>] {
        match self.kind() {
            ItemKind::Memo => &[Some(PRole::Owner), Some(PRole::Recipient), Some(PRole::Subscriber), None],
            _ => &[Some(PRole::Owner), Some(PRole::CoOwner), Some(PRole::Responsible), Some(PRole::Subscriber), None],
        }
    }
    fn actions(self) -> &'static [&'static str] {
        match self.kind() {
            ItemKind::Memo => &["view", "chat", "stage", "edit", "from-memo", "delete"],
            _ => &["view", "chat", "stage", "subtask", "edit", "delete"],
        }
    }
}

fn action(name: &str) -> Action {
    match name {
        "view" => Action::View,
        "chat" => Action::Chat,
        "stage" => Action::ChangeStage,
        "edit" => Action::Edit,
        "delete" => Action::Delete,
        "subtask" => Action::CreateSubtask,
        "from-memo" => Action::CreateFromMemo,
        other => unreachable!("{other}"),
    }
}

struct Fixture {
    other: i64,
    zed: i64,
    names: HashMap<i64, String>,
}

fn work(name: &str, responsible: Vec<i64>, subscribers: Vec<i64>, parent: Option<i64>) -> WorkInput {
    WorkInput {
        name: name.into(),
        description: String::new(),
        next_step: "Start".into(),
        next_step_date: None,
        due_date: None,
        priority: 2,
        stage: Stage::Pending,
        co_owner_id: None,
        responsible,
        subscribers,
        parent_id: parent,
        project_id: None,
        memo_id: None,
        memo_files: Vec::new(),
        tags: Vec::new(),
        new_tags: Vec::new(),
    }
}

/// Creates an object of `variant` where `viewer` holds `rel` (or none); everyone else is Eve or Zed.
async fn make(app: &TestApp, f: &Fixture, variant: Variant, viewer: i64, rel: Option<PRole>) -> i64 {
    let is = |r: PRole| rel == Some(r);
    let actor = Actor::system("golden test");
    let mut tx = app.db.begin().await.unwrap();
    let owner = if is(PRole::Owner) { viewer } else { f.other };
    let co = is(PRole::CoOwner).then_some(viewer);
    let subs: Vec<i64> = if is(PRole::Subscriber) { vec![viewer] } else { vec![] };
    let id = match variant.kind() {
        ItemKind::Memo => {
            let input = ferrocrm::memos::model::MemoInput {
                name: "Golden memo".into(),
                draft: variant == Variant::MemoDraft,
                recipient_id: if is(PRole::Recipient) { viewer } else { f.zed },
                purpose: None,
                description: String::new(),
                subscribers: subs,
            };
            let id = ferrocrm::memos::repo::insert(&mut tx, &input, owner, &actor, &f.names).await.unwrap();
            if variant == Variant::MemoConsidered {
                tx.execute(
                    &Query::update()
                        .table("memos")
                        .value("stage", "considered")
                        .and_where(Expr::col("id").eq(id))
                        .to_owned(),
                )
                .await
                .unwrap();
            }
            id
        }
        ItemKind::Task => {
            let resp = |team: bool| -> Vec<i64> {
                match (is(PRole::Responsible), team) {
                    (true, true) => vec![viewer, f.zed],
                    (true, false) => vec![viewer],
                    (false, true) => vec![f.zed, f.other],
                    (false, false) => vec![f.zed],
                }
            };
            let parent = if matches!(variant, Variant::Subtask | Variant::SubtaskOfMine) {
                let main_subs = if variant == Variant::SubtaskOfMine { vec![viewer] } else { vec![] };
                let main = work("Golden main", vec![f.zed, f.other], main_subs, None);
                Some(ferrocrm::tasks::repo::insert(&mut tx, &main, f.other, None, &actor, &f.names).await.unwrap())
            } else {
                None
            };
            let input = work("Golden task", resp(variant == Variant::TeamTask), subs, parent);
            let id = ferrocrm::tasks::repo::insert(&mut tx, &input, owner, co, &actor, &f.names).await.unwrap();
            if variant == Variant::MainTaskOfMine {
                let sub = work("Golden subtask", vec![f.zed], vec![viewer], Some(id));
                ferrocrm::tasks::repo::insert(&mut tx, &sub, f.other, None, &actor, &f.names).await.unwrap();
            }
            id
        }
        ItemKind::Project => {
            let mut input =
                work("Golden project", if is(PRole::Responsible) { vec![viewer] } else { vec![f.zed] }, subs, None);
            input.co_owner_id = co;
            ferrocrm::projects::repo::insert(&mut tx, &input, owner, &actor, &f.names).await.unwrap()
        }
        other => unreachable!("the Tasks-section golden test makes no {other:?}"),
    };
    tx.commit().await.unwrap();
    id
}

/// Sends the request for `act` on the object; returns the status.
async fn attempt(app: &TestApp, c: &TestClient, variant: Variant, id: i64, act: &str, me: i64) -> u16 {
    let kind = variant.kind();
    let url = format!("/{}s/{id}", kind.slug());
    let parts = ferrocrm::participants::of(&app.db, kind, id).await.unwrap();
    let people = |r: PRole| parts.users(r).into_iter().map(|u| u.to_string()).collect::<Vec<_>>();
    let me_s = me.to_string();
    let p = match act {
        "view" => c.get(&url).await,
        "chat" => c.post_form(&format!("{url}/chat"), &[("body", "golden")]).await,
        "stage" => {
            let to = if kind == ItemKind::Memo { "postponed" } else { "in_progress" };
            c.post_form(&format!("{url}/stage"), &[("stage", to)]).await
        }
        "edit" => {
            let mut fields: Vec<(&str, String)> = vec![("name", "Edited".into())];
            match kind {
                ItemKind::Memo => fields.push(("recipient_id", people(PRole::Recipient)[0].clone())),
                _ => {
                    fields.extend(people(PRole::Responsible).into_iter().map(|r| ("responsible", r)));
                    fields.extend(people(PRole::Subscriber).into_iter().map(|r| ("subscribers", r)));
                    fields.extend(people(PRole::CoOwner).into_iter().map(|r| ("co_owner_id", r)));
                }
            }
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post_form(&url, &f).await
        }
        "delete" => c.post_form(&format!("{url}/delete"), &[]).await,
        "subtask" => {
            // A subtask goes to one of the main task's responsible; a project's task to oneself.
            let (link, who) = match kind {
                ItemKind::Task => ("parent_id", people(PRole::Responsible)[0].clone()),
                _ => ("project_id", me_s.clone()),
            };
            c.post_form("/tasks", &[("name", "Golden sub"), ("responsible", &who), (link, &id.to_string())]).await
        }
        "from-memo" => {
            c.post_form("/tasks", &[("name", "From memo"), ("responsible", &me_s), ("memo_id", &id.to_string())]).await
        }
        other => unreachable!("{other}"),
    };
    p.status.as_u16()
}

/// What `can` says for this viewer and object as it is now.
async fn expected(app: &TestApp, v: &Viewer, variant: Variant, id: i64, act: Action) -> (bool, bool) {
    let kind = variant.kind();
    let parts = ferrocrm::participants::of(&app.db, kind, id).await.unwrap();
    let locked = kind == ItemKind::Memo && app.field("memos", id, "stage").await.as_deref() == Some("considered");
    let draft = kind == ItemKind::Memo && app.flag("memos", id, "draft").await;
    let item = Item {
        kind,
        rel: parts.relation(v.id),
        department: None,
        draft,
        locked,
        team: variant == Variant::TeamTask,
        subtask: matches!(variant, Variant::Subtask | Variant::SubtaskOfMine),
        related: kind == ItemKind::Task && ferrocrm::participants::family(&app.db, id).await.unwrap().contains(&v.id),
    };
    (access::can(v, Action::View, &Object::Item(item)), access::can(v, act, &Object::Item(item)))
}

#[tokio::test]
async fn every_route_enforces_the_golden_table_and_denied_writes_change_nothing() {
    let app = spawn_app().await;
    let other = app.user_id("Eve.Manager.Export").await;
    // A second outsider, so that team tasks can have two responsible users none of whom is the viewer.
    let zed = {
        let mut tx = app.db.begin().await.unwrap();
        let input = ferrocrm::users::model::UserInput {
            username: "Zed.Other".into(),
            email: String::new(),
            first_name: "Zed".into(),
            last_name: "Other".into(),
            department_id: None,
            roles: vec![ferrocrm::access::Role::CoWorker],
        };
        let id = ferrocrm::users::repo::insert(&mut tx, &input, "x", &Actor::system("test")).await.ok().unwrap();
        tx.commit().await.unwrap();
        id
    };
    let (_, names) = ferrocrm::users::repo::pickable(&app.db, &[]).await.unwrap();
    let f = Fixture { other, zed, names };
    let variants = [
        Variant::Memo,
        Variant::MemoDraft,
        Variant::MemoConsidered,
        Variant::Task,
        Variant::TeamTask,
        Variant::Subtask,
        Variant::SubtaskOfMine,
        Variant::MainTaskOfMine,
        Variant::Project,
    ];
    let mut wrong = Vec::new();
    let mut cases = 0;
    for who in VIEWERS {
        let c = app.login_as(who).await;
        let me = app.user_id(who).await;
        let v = app.state_viewer(me).await;
        for variant in variants {
            for rel in variant.relationships() {
                let id = make(&app, &f, variant, me, *rel).await;
                let mut snap = None;
                for act in variant.actions() {
                    cases += 1;
                    let (visible, allowed) = expected(&app, &v, variant, id, action(act)).await;
                    if !allowed && *act != "view" && snap.is_none() {
                        snap = Some(snapshot(&app.db).await);
                    }
                    let status = attempt(&app, &c, variant, id, act, me).await;
                    let case = format!("{who} {rel:?} {variant:?} {act}");
                    if allowed {
                        if !(200..400).contains(&status) {
                            wrong.push(format!("{case}: allowed, but got {status}"));
                        }
                        // The state changed: the next denied write takes a fresh snapshot.
                        if *act != "view" {
                            snap = None;
                        }
                    } else {
                        let want = if visible { 403 } else { 404 };
                        if status != want {
                            wrong.push(format!("{case}: denied, expected {want}, got {status}"));
                        }
                        if let Some(before) = &snap
                            && *act != "view"
                            && &snapshot(&app.db).await != before
                        {
                            wrong.push(format!("{case}: denied, but the database changed"));
                            snap = None;
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 1500, "only {cases} cases ran");
    assert!(wrong.is_empty(), "{} of {cases} cases disagree with access::can:\n{}", wrong.len(), wrong.join("\n"));
}
