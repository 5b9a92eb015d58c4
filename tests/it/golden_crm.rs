//! The sales CRM's permission golden table, over HTTP: every role-named user (and an operator of
//! another department, and a superoperator) × CRM kind × relationship (owner, co-owner where the kind
//! has one, none) × department (theirs or another) × action, each action the real request a user's
//! browser sends. The expected answer is `access::can` on the row as loaded, and it must also be the
//! line `src/access_golden_crm.txt` pins for that role, relationship and department (so a drift of
//! the rules and of the file together still shows). Allowed actions succeed and their change is in
//! the database; denied ones answer 404 (the row is not visible) or 403 (visible, not allowed) and
//! change no row at all (a snapshot of the whole database before and after).
//!
//! Runtime: one app; the rows are written straight into the tables once per viewer; for each viewer
//! and kind, the reads run first, then every denied write between two snapshots, then the allowed
//! writes (a delete last, on rows nobody else points at).

use std::collections::{BTreeMap, HashMap};

use ferrocrm::access::{self, Action, ItemKind, Object, Role, Viewer};
use ferrocrm::crm::form::Raw;
use ferrocrm::history::Actor;
use sea_query::{Condition, Expr, ExprTrait, Query, SimpleExpr};

use crate::helpers::client::TestClient;
use crate::helpers::snapshot::snapshot;
use crate::helpers::{TestApp, crm, spawn_app};

/// The users whose access is tested: one per role, as in `golden.rs`, then two operators made here.
const VIEWERS: &[&str] = &[
    "Adam.Admin",
    "Garry.Chief",
    "Helen.Head.Sales",
    "Olga.Operator.Sales",
    "Mark.Manager.Sales",
    "Tina.TaskOperator",
    "Anna.Accountant",
    "Carl.CoWorker",
    OSCAR,
    SUE,
];
/// An operator of the Export department (the rows of Sales are another department's to him).
const OSCAR: &str = "Oscar.Operator.Export";
/// An operator of Sales who also serves Bookkeeping: a superoperator (Export stays foreign to her).
const SUE: &str = "Sue.SuperOperator.Sales";

const KINDS: [ItemKind; 8] = [
    ItemKind::Company,
    ItemKind::Contact,
    ItemKind::Lead,
    ItemKind::Deal,
    ItemKind::Payment,
    ItemKind::Product,
    ItemKind::Request,
    ItemKind::Email,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rel {
    Owner,
    CoOwner,
    None,
    /// Emails: the viewer owns the email's deal, not the email.
    DealOwner,
    /// Emails: the viewer owns a received email.
    OwnerReceived,
    /// Emails: the viewer owns the deal of a received email.
    DealOwnerReceived,
}

impl Rel {
    fn label(self) -> &'static str {
        match self {
            Rel::Owner => "owner",
            Rel::CoOwner => "co-owner",
            Rel::None => "none",
            Rel::DealOwner => "deal owner",
            Rel::OwnerReceived => "owner, received",
            Rel::DealOwnerReceived => "deal owner, received",
        }
    }
}

/// The relationships a user can have with a row of `kind`: only deals (and so their payments) have
/// a co-owner; a product's `owner_id` is who added it, which gives no right (§2.2: not owned).
fn relationships(kind: ItemKind) -> &'static [Rel] {
    match kind {
        ItemKind::Deal | ItemKind::Payment | ItemKind::Request => &[Rel::Owner, Rel::CoOwner, Rel::None],
        // An email has no co-owner; its deal's owner may edit it, and a received one nobody (§3.3).
        ItemKind::Email => &[Rel::Owner, Rel::None, Rel::DealOwner, Rel::OwnerReceived, Rel::DealOwnerReceived],
        _ => &[Rel::Owner, Rel::None],
    }
}

/// The requests tried on a row of `kind`, the reads first and the delete last.
fn actions(kind: ItemKind) -> Vec<&'static str> {
    let parts = kind.info().parts;
    let spec = ferrocrm::crm::handlers::spec(kind).expect("a CRM kind");
    let mut out = vec!["view", "list"];
    // Nothing refers to an email through a picker.
    if kind != ItemKind::Email {
        out.push("pick");
    }
    if !spec.export.is_empty() {
        out.push("export");
    }
    if parts.files {
        out.push("download");
    }
    if parts.reminders {
        out.push("reminder");
    }
    if parts.chat {
        out.extend(["chat", "attach"]);
    }
    out.push("edit");
    if parts.files {
        // Removing the row's file: one attached to the row itself is the editors' to remove; one
        // in its chat goes only with its message (nobody removes it alone).
        out.push("unattach");
    }
    if parts.stages {
        out.push("stage");
    }
    if kind == ItemKind::Payment {
        // Another payment of the same deal (§3.3: the deal's owner or co-owner adds).
        out.push("add");
    }
    if kind == ItemKind::Deal {
        // A transaction-quality event on the deal (§3.1 quality rights and the deal's line-item rule).
        out.push("quality");
    }
    out.push("delete");
    out
}

fn is_read(act: &str) -> bool {
    matches!(act, "view" | "list" | "pick" | "export" | "download")
}

/// The action of `access::can` a request needs, and its name in `src/access_golden_crm.txt`.
fn rule(act: &str) -> (Action, &'static str) {
    match act {
        "view" | "list" | "pick" | "export" | "download" | "reminder" => (Action::View, "view"),
        "chat" | "attach" => (Action::Chat, "chat"),
        "edit" | "unattach" | "quality" => (Action::Edit, "edit"),
        "stage" => (Action::ChangeStage, "stage"),
        "add" => (Action::Create, "create"),
        "delete" => (Action::Delete, "delete"),
        other => unreachable!("{other}"),
    }
}

/// `src/access_golden_crm.txt`: (viewer, relationship, department, kind) → the allowed actions.
fn golden_file() -> HashMap<(String, String, String, String), Vec<String>> {
    include_str!("../../src/access_golden_crm.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(" | ").collect();
            assert_eq!(f.len(), 5, "a line of access_golden_crm.txt: {l}");
            let allowed = f[4].split(' ').filter(|a| *a != "-").map(str::to_string).collect();
            ((f[0].into(), f[1].into(), f[2].into(), f[3].into()), allowed)
        })
        .collect()
}

/// The golden file's answer for `v`: the union of its lines for each of `v`'s roles (a co-worker
/// role adds nothing in the CRM), or the superoperator's line. "department 10" is one the viewer
/// works in, "department 12" one they do not.
fn golden_allows(
    golden: &HashMap<(String, String, String, String), Vec<String>>,
    v: &Viewer,
    rel: Rel,
    department: i64,
    kind: ItemKind,
    action: &str,
) -> bool {
    let names: Vec<String> = if v.is_superoperator() {
        vec!["operator of 10 and 11 (superoperator)".into()]
    } else {
        Role::ALL.into_iter().filter(|r| v.is(*r)).map(|r| r.slug().to_string()).collect()
    };
    let dept = if v.works_in(department) { "department 10" } else { "department 12" };
    names.iter().any(|n| {
        let key = (n.clone(), rel.label().to_string(), dept.to_string(), kind.slug().to_string());
        golden.get(&key).unwrap_or_else(|| panic!("no golden line for {key:?}")).iter().any(|a| a == action)
    })
}

struct Fixture {
    /// The owner of the rows that are not the viewer's (a manager of Export, not a tested viewer).
    other: i64,
    currency: i64,
    /// Per department: a stage other than the one a deal starts in (where "stage" moves it).
    target_stage: HashMap<i64, i64>,
    default_stage: HashMap<i64, i64>,
    /// One stored file: every fixture attachment links to it.
    file_id: i64,
    admin: i64,
    next: std::sync::atomic::AtomicUsize,
}

async fn insert(app: &TestApp, table: &str, cols: &[&str], values: Vec<SimpleExpr>) -> i64 {
    let mut q = Query::insert();
    q.into_table(sea_query::Alias::new(table))
        .columns(cols.iter().map(|c| sea_query::Alias::new(*c)))
        .values_panic(values)
        .returning_col(sea_query::Alias::new("id"));
    // One statement, committed on its own.
    app.db.scalar(&q).await.unwrap().expect("id")
}

impl Fixture {
    fn n(&self) -> usize {
        self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    async fn company(&self, app: &TestApp, d: i64, owner: i64) -> i64 {
        let n = self.n();
        let name = format!("Golden company {n}");
        let now = ferrocrm::db::now();
        insert(
            app,
            "companies",
            &["full_name", "name_key", "email", "token", "department_id", "owner_id", "created_at", "updated_at"],
            vec![
                name.clone().into(),
                ferrocrm::text::match_key(&name).into(),
                format!("gc{n}@example.com").into(),
                format!("tok-golden-company-{n}").into(),
                d.into(),
                owner.into(),
                now.into(),
                now.into(),
            ],
        )
        .await
    }

    async fn person(&self, app: &TestApp, table: &str, d: i64, owner: i64, company: Option<i64>) -> i64 {
        let n = self.n();
        let now = ferrocrm::db::now();
        let mut cols = vec![
            "first_name",
            "last_name",
            "first_name_key",
            "last_name_key",
            "email",
            "token",
            "department_id",
            "owner_id",
            "created_at",
            "updated_at",
        ];
        let mut values: Vec<SimpleExpr> = vec![
            format!("Golden{n}").into(),
            "Tester".into(),
            ferrocrm::text::fold(&format!("Golden{n}")).into(),
            "tester".into(),
            format!("gp{n}@example.com").into(),
            format!("tok-golden-{table}-{n}").into(),
            d.into(),
            owner.into(),
            now.into(),
            now.into(),
        ];
        if let Some(c) = company {
            cols.push("company_id");
            values.push(c.into());
        }
        insert(app, table, &cols, values).await
    }

    async fn deal(&self, app: &TestApp, d: i64, owner: i64, co_owner: Option<i64>) -> i64 {
        let n = self.n();
        let now = ferrocrm::db::now();
        let soon = chrono::Utc::now().date_naive() + chrono::Days::new(7);
        insert(
            app,
            "deals",
            &[
                "name",
                "next_step",
                "next_step_date",
                "stage_id",
                "ticket",
                "co_owner_id",
                "department_id",
                "owner_id",
                "created_at",
                "updated_at",
            ],
            vec![
                format!("Golden deal {n}").into(),
                "Call".into(),
                soon.into(),
                self.default_stage[&d].into(),
                format!("G{n:07}").into(),
                co_owner.into(),
                d.into(),
                owner.into(),
                now.into(),
                now.into(),
            ],
        )
        .await
    }

    /// A row of `kind` in department `d` where `viewer` holds `rel`; its parents (a contact's
    /// company, a payment's deal) are its alone, so that deleting it or them meets no other row.
    async fn make(&self, app: &TestApp, kind: ItemKind, d: i64, viewer: i64, rel: Rel) -> i64 {
        let owner = if rel == Rel::Owner { viewer } else { self.other };
        let co = (rel == Rel::CoOwner).then_some(viewer);
        let now = ferrocrm::db::now();
        match kind {
            ItemKind::Company => self.company(app, d, owner).await,
            ItemKind::Contact => {
                let company = self.company(app, d, owner).await;
                self.person(app, "contacts", d, owner, Some(company)).await
            }
            ItemKind::Lead => self.person(app, "leads", d, owner, None).await,
            ItemKind::Deal => self.deal(app, d, owner, co).await,
            ItemKind::Payment => {
                let deal = self.deal(app, d, owner, co).await;
                let today = chrono::Utc::now().date_naive();
                insert(
                    app,
                    "payments",
                    &["deal_id", "amount_cents", "currency_id", "payment_date", "created_at", "updated_at"],
                    vec![deal.into(), 10_000i64.into(), self.currency.into(), today.into(), now.into(), now.into()],
                )
                .await
            }
            ItemKind::Product => {
                let n = self.n();
                insert(
                    app,
                    "products",
                    &["name", "department_id", "owner_id", "created_at", "updated_at"],
                    vec![format!("Golden product {n}").into(), d.into(), owner.into(), now.into(), now.into()],
                )
                .await
            }
            ItemKind::Request => {
                let n = self.n();
                let today = chrono::Utc::now().date_naive();
                insert(
                    app,
                    "requests",
                    &[
                        "request_for",
                        "first_name",
                        "receipt_date",
                        "ticket",
                        "co_owner_id",
                        "department_id",
                        "owner_id",
                        "created_at",
                        "updated_at",
                    ],
                    vec![
                        format!("Golden request {n}").into(),
                        "Golden".into(),
                        today.into(),
                        format!("R{n:07}").into(),
                        co.into(),
                        d.into(),
                        owner.into(),
                        now.into(),
                        now.into(),
                    ],
                )
                .await
            }
            ItemKind::Email => {
                let n = self.n();
                let received = matches!(rel, Rel::OwnerReceived | Rel::DealOwnerReceived);
                let deal = match rel {
                    Rel::DealOwner | Rel::DealOwnerReceived => Some(self.deal(app, d, viewer, None).await),
                    _ => None,
                };
                let owner = if matches!(rel, Rel::Owner | Rel::OwnerReceived) { viewer } else { self.other };
                insert(
                    app,
                    "crm_emails",
                    &[
                        "subject",
                        "content",
                        "to",
                        "from_field",
                        "incoming",
                        "deal_id",
                        "department_id",
                        "owner_id",
                        "created_at",
                        "updated_at",
                    ],
                    vec![
                        format!("Golden email {n}").into(),
                        "Golden body".into(),
                        "client@example.com".into(),
                        "manager@example.com".into(),
                        received.into(),
                        deal.into(),
                        d.into(),
                        owner.into(),
                        now.into(),
                        now.into(),
                    ],
                )
                .await
            }
            other => unreachable!("{other:?}"),
        }
    }

    /// An attachment of the row: in its chat (a message of the administrator's), or on the row itself
    /// for a kind with files and no chat.
    async fn attachment(&self, app: &TestApp, kind: ItemKind, id: i64) -> i64 {
        let now = ferrocrm::db::now();
        let (object_type, object_id) = if kind.info().parts.chat {
            let msg = insert(
                app,
                "chat_messages",
                &["object_type", "object_id", "author_id", "body", "created_at"],
                vec![kind.slug().into(), id.into(), self.admin.into(), "Golden file".into(), now.into()],
            )
            .await;
            ("chat", msg)
        } else {
            (kind.slug(), id)
        };
        insert(
            app,
            "attachments",
            &["file_id", "object_type", "object_id", "name", "content_type", "uploaded_by", "created_at"],
            vec![
                self.file_id.into(),
                object_type.into(),
                object_id.into(),
                "golden.txt".into(),
                "text/plain".into(),
                self.admin.into(),
                now.into(),
            ],
        )
        .await
    }
}

/// A user made for this test (the standard users have no operator of Export, no superoperator).
async fn add_operator(app: &TestApp, username: &str, department: i64, serves: &[i64]) {
    let hash = app.field("users", app.user_id("Adam.Admin").await, "password_hash").await.unwrap();
    let actor = Actor::system("golden test");
    let mut tx = app.db.begin().await.unwrap();
    let input = ferrocrm::users::model::UserInput {
        username: username.into(),
        email: format!("{}@example.com", username.to_lowercase()),
        first_name: username.split('.').next().unwrap().into(),
        last_name: "Operator".into(),
        department_id: Some(department),
        roles: vec![Role::Operator, Role::CoWorker],
    };
    let id = ferrocrm::users::repo::insert(&mut tx, &input, &hash, &actor).await.ok().expect("a new user");
    ferrocrm::users::repo::set_departments_served(&mut tx, id, serves, &actor).await.unwrap();
    tx.commit().await.unwrap();
}

async fn count(app: &TestApp, table: &'static str, cond: Condition) -> i64 {
    app.count(table, cond).await
}

fn on(kind: ItemKind, id: i64) -> Condition {
    Condition::all().add(Expr::col("object_type").eq(kind.slug())).add(Expr::col("object_id").eq(id))
}

/// One row under test with what `can` answers for each of its actions.
struct Case {
    kind: ItemKind,
    id: i64,
    rel: Rel,
    department: i64,
    /// The row's attachment (kinds with files).
    file: Option<i64>,
    /// (action, visible, allowed)
    expect: Vec<(&'static str, bool, bool)>,
}

impl Case {
    fn name(&self, who: &str, act: &str, departments: &BTreeMap<i64, &str>) -> String {
        format!(
            "{who} | {} | {} #{} in {} | {act}",
            self.rel.label(),
            self.kind.slug(),
            self.id,
            departments[&self.department]
        )
    }
}

/// What `can` answers for `v` on the row as it is stored now: (visible, allowed) for each action.
async fn expected(app: &TestApp, v: &Viewer, kind: ItemKind, id: i64) -> Vec<(&'static str, bool, bool)> {
    let it = ferrocrm::items::load_any(&app.db, kind, id).await.unwrap();
    let item = Object::Item(it.access_of(v));
    let visible = access::can(v, Action::View, &item);
    let chat_file = kind.info().parts.chat;
    actions(kind)
        .into_iter()
        .map(|act| {
            let allowed = match act {
                "unattach" if chat_file => false,
                // Not `can` alone: the static quality rights too (`crm::quality::can_change`).
                "quality" => visible && ferrocrm::crm::quality::can_change(v, &it),
                _ => access::can(v, rule(act).0, &item),
            };
            (act, visible, allowed)
        })
        .collect()
}

/// The edit form of the row as its edit page fills it, with one field changed: (form, column, value).
async fn edit_form(app: &TestApp, kind: ItemKind, id: i64, n: usize) -> (Vec<(String, String)>, &'static str, String) {
    let spec = ferrocrm::crm::handlers::spec(kind).unwrap();
    let record = ferrocrm::crm::repo::get(&app.db, spec, id).await.unwrap().expect("the row");
    let mut raw = Raw::of(spec, &record);
    // A field every allowed editor may change (a chief's few fields of a deal include the next step).
    let col = match kind {
        ItemKind::Deal => "next_step",
        ItemKind::Payment => "contract_number",
        ItemKind::Email => "content",
        _ => "description",
    };
    let value = format!("Golden edit {n}");
    raw.0.insert(col.to_string(), value.clone());
    (raw.0.into_iter().collect(), col, value)
}

fn refs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Sends the write `act` on the row; returns the status and a description of what must have changed
/// when it is allowed (checked by `changed`).
async fn write(app: &TestApp, fx: &Fixture, c: &TestClient, case: &Case, act: &str) -> (u16, Effect) {
    let (kind, id) = (case.kind, case.id);
    let url = ferrocrm::paths::item(kind, id);
    let n = fx.n();
    match act {
        "reminder" => {
            let at = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%dT09:30").to_string();
            let before = count(app, "reminders", on(kind, id)).await;
            let p = c.post_form(&format!("{url}/reminders"), &[("remind_at", &at), ("text", "Golden reminder")]).await;
            (p.status.as_u16(), Effect::More("reminders", on(kind, id), before))
        }
        "chat" => {
            let before = count(app, "chat_messages", on(kind, id)).await;
            let p = c.post_form(&format!("{url}/chat"), &[("body", "Golden message")]).await;
            (p.status.as_u16(), Effect::More("chat_messages", on(kind, id), before))
        }
        "attach" => {
            let cond = Condition::all().add(Expr::col("object_type").eq("chat")).add(
                Expr::col("object_id").in_subquery(
                    Query::select()
                        .column("id")
                        .from("chat_messages")
                        .and_where(Expr::col("object_type").eq(kind.slug()))
                        .and_where(Expr::col("object_id").eq(id))
                        .to_owned(),
                ),
            );
            let before = count(app, "attachments", cond.clone()).await;
            let file = ("files", "golden-upload.txt", "text/plain", format!("golden upload {n}").into_bytes());
            let p = c.post_multipart(&format!("{url}/chat"), &[("body", "")], &[file]).await;
            (p.status.as_u16(), Effect::More("attachments", cond, before))
        }
        "edit" => {
            let (form, col, value) = edit_form(app, kind, id, n).await;
            let p = c.post_form(&url, &refs(&form)).await;
            (p.status.as_u16(), Effect::Field(kind.info().table, col, value))
        }
        "unattach" => {
            let file = case.file.expect("an attachment");
            let p = c.post_form(&ferrocrm::paths::file_delete(file), &[]).await;
            (p.status.as_u16(), Effect::Gone("attachments", file))
        }
        "stage" => {
            let department: i64 = app.field("deals", id, "department_id").await.unwrap().parse().unwrap();
            let to = fx.target_stage[&department].to_string();
            let p = c.post_form(&format!("{url}/stage"), &[("stage", &to)]).await;
            (p.status.as_u16(), Effect::Field("deals", "stage_id", to))
        }
        "add" => {
            let deal = app.field("payments", id, "deal_id").await.unwrap();
            let cond = Condition::all().add(Expr::col("deal_id").eq(deal.parse::<i64>().unwrap()));
            let before = count(app, "payments", cond.clone()).await;
            let currency = fx.currency.to_string();
            let form = [
                ("deal_id", deal.as_str()),
                ("amount_cents", "250.00"),
                ("currency_id", currency.as_str()),
                ("payment_date", "2026-12-01"),
                ("status", "received"),
            ];
            let p = c.post_form("/payments", &form).await;
            if p.status.as_u16() == 422 {
                // A form refusal names the deal: the only field a refused payment can be about.
                assert!(p.field_error("deal_id").is_some(), "a refused payment names the deal: {}", p.body);
            }
            (p.status.as_u16(), Effect::More("payments", cond, before))
        }
        "quality" => {
            let department: i64 = app.field("deals", id, "department_id").await.unwrap().parse().unwrap();
            let signal: i64 = app
                .db
                .scalar(
                    Query::select()
                        .column("id")
                        .from("quality_signals")
                        .and_where(Expr::col("department_id").eq(department))
                        .limit(1),
                )
                .await
                .unwrap()
                .expect("the department's signals");
            let cond = Condition::all().add(Expr::col("deal_id").eq(id));
            let before = count(app, "quality_events", cond.clone()).await;
            let p = c
                .post_form(&format!("{url}/quality"), &[("signal_id", &signal.to_string()), ("details", "Golden")])
                .await;
            (p.status.as_u16(), Effect::More("quality_events", cond, before))
        }
        "delete" => {
            let p = c.post_form(&format!("{url}/delete"), &[]).await;
            (p.status.as_u16(), Effect::Gone(kind.info().table, id))
        }
        other => unreachable!("{other}"),
    }
}

/// What an allowed write must have changed.
enum Effect {
    /// More rows of the table match than `before`.
    More(&'static str, Condition, i64),
    /// The row's column starts with this value (a chief's or a colleague's next step is signed).
    Field(&'static str, &'static str, String),
    Gone(&'static str, i64),
}

impl Effect {
    async fn seen(self, app: &TestApp, id: i64) -> bool {
        match self {
            Effect::More(table, cond, before) => count(app, table, cond).await > before,
            Effect::Field(table, col, value) => app.field(table, id, col).await.is_some_and(|v| v.starts_with(&value)),
            Effect::Gone(table, row) => app.field(table, row, "id").await.is_none(),
        }
    }
}

/// Sends the read `act`; returns whether the row showed (the page, a list row, a picker option, an
/// export row, the file), or the wrong status.
async fn read(c: &TestClient, v: &Viewer, case: &Case, act: &str) -> Result<bool, String> {
    let (kind, id) = (case.kind, case.id);
    let path = ferrocrm::paths::list(kind);
    let search = format!("owner=all&q=ID%20{id}");
    // A list the viewer may not open at all answers 403 (and shows nothing).
    let list_status = if access::reads_crm(v, kind) { 200 } else { 403 };
    let status = |got: u16, want: u16| if got == want { Ok(()) } else { Err(format!("status {got}, expected {want}")) };
    match act {
        "view" => {
            let p = c.get(&ferrocrm::paths::item(kind, id)).await;
            match p.status.as_u16() {
                200 => Ok(true),
                404 => Ok(false),
                s => Err(format!("status {s}")),
            }
        }
        "list" => {
            let p = c.get(&format!("{path}?{search}")).await;
            status(p.status.as_u16(), list_status)?;
            Ok(p.exists(&format!("tr#{}-{id}", kind.slug())))
        }
        "pick" => {
            let p = c.get(&format!("{path}/pick?{search}")).await;
            status(p.status.as_u16(), list_status)?;
            Ok(p.attrs("li.picker-option", "data-id").contains(&id.to_string()))
        }
        "export" => {
            let (s, _, bytes) = c.get_bytes(&format!("{path}/export?{search}")).await;
            status(s.as_u16(), list_status)?;
            if s != 200 {
                return Ok(false);
            }
            let table = ferrocrm::excel::read_sheet(&bytes, &Default::default()).map_err(|e| format!("{e:?}"))?;
            Ok(table.rows.len() == 1)
        }
        "download" => {
            let (s, _, bytes) = c.get_bytes(&ferrocrm::paths::file(case.file.expect("an attachment"))).await;
            match s.as_u16() {
                200 if bytes == b"golden file" => Ok(true),
                404 => Ok(false),
                s => Err(format!("status {s}")),
            }
        }
        other => unreachable!("{other}"),
    }
}

#[tokio::test]
async fn every_crm_route_enforces_the_golden_table_and_denied_writes_change_nothing() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let bookkeeping = crm::department(&app, "Bookkeeping").await;
    add_operator(&app, OSCAR, export, &[]).await;
    add_operator(&app, SUE, sales, &[bookkeeping]).await;
    let departments: BTreeMap<i64, &str> = [(sales, "Sales"), (export, "Export")].into();
    let admin = app.user_id("Adam.Admin").await;

    // One stored file, uploaded for real, that every fixture attachment links to.
    let file_id = {
        let c = app.login_as("Adam.Admin").await;
        let p = c
            .post_multipart(
                "/tasks",
                &[("name", "Holder of the golden file"), ("responsible", &admin.to_string())],
                &[("files", "golden.txt", "text/plain", b"golden file".to_vec())],
            )
            .await;
        assert_eq!(p.status, 303, "{}", p.body);
        let id: Option<i64> = app.db.scalar(Query::select().expr(Expr::col("id").max()).from("files")).await.unwrap();
        id.expect("a stored file")
    };
    let stage = |d: i64, name: &'static str| {
        let db = app.db.clone();
        async move {
            let id: Option<i64> = db
                .scalar(
                    Query::select()
                        .column("id")
                        .from("deal_stages")
                        .and_where(Expr::col("department_id").eq(d))
                        .and_where(Expr::col("name").eq(name)),
                )
                .await
                .unwrap();
            id.unwrap_or_else(|| panic!("stage {name}"))
        }
    };
    let mut target_stage = HashMap::new();
    let mut default_stage = HashMap::new();
    for d in [sales, export] {
        target_stage.insert(d, stage(d, "price offer").await);
        default_stage.insert(d, stage(d, "request").await);
    }
    let currency: i64 = app.db.scalar(Query::select().column("id").from("currencies").limit(1)).await.unwrap().unwrap();
    let fx = Fixture {
        other: app.user_id("Eve.Manager.Export").await,
        currency,
        target_stage,
        default_stage,
        file_id,
        admin,
        next: std::sync::atomic::AtomicUsize::new(1),
    };
    let golden = golden_file();

    let mut wrong: Vec<String> = Vec::new();
    let mut cases = 0;
    let (mut allowed_writes, mut denied_writes) = (0, 0);
    let mut tally: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for who in VIEWERS {
        let c = app.login_as(who).await;
        let me = app.user_id(who).await;
        let v = app.state_viewer(me).await;
        for kind in KINDS {
            // The rows, and what `can` (and the golden file) says of each action on them.
            let mut rows: Vec<Case> = Vec::new();
            for &department in departments.keys() {
                for &rel in relationships(kind) {
                    let id = fx.make(&app, kind, department, me, rel).await;
                    let file = if kind.info().parts.files { Some(fx.attachment(&app, kind, id).await) } else { None };
                    let expect = expected(&app, &v, kind, id).await;
                    for (act, _, ok) in &expect {
                        let t = tally.entry(*act).or_insert((0, 0));
                        if *ok { t.0 += 1 } else { t.1 += 1 }
                    }
                    let case = Case { kind, id, rel, department, file, expect };
                    for &(act, _, allowed) in &case.expect {
                        // A chat file's removal is nobody's: not a line of the golden file.
                        let chat_file = act == "unattach" && kind.info().parts.chat;
                        // Quality rights are not a line of the golden file (not `can` alone).
                        if !chat_file
                            && act != "quality"
                            && golden_allows(&golden, &v, rel, department, kind, rule(act).1) != allowed
                        {
                            wrong.push(format!(
                                "{}: access::can says {allowed}, src/access_golden_crm.txt says otherwise",
                                case.name(who, act, &departments)
                            ));
                        }
                    }
                    rows.push(case);
                }
            }
            // The reads.
            for case in &rows {
                for &(act, _, allowed) in case.expect.iter().filter(|(a, ..)| is_read(a)) {
                    cases += 1;
                    match read(&c, &v, case, act).await {
                        Ok(shown) if shown == allowed => {}
                        Ok(shown) => wrong.push(format!(
                            "{}: can says {allowed}, the row {} shown",
                            case.name(who, act, &departments),
                            if shown { "was" } else { "was not" }
                        )),
                        Err(e) => wrong.push(format!("{}: {e}", case.name(who, act, &departments))),
                    }
                }
            }
            // Every denied write, between two snapshots of the whole database.
            let denied: Vec<(&Case, &str, bool)> = rows
                .iter()
                .flat_map(|case| {
                    case.expect.iter().filter(|(a, _, ok)| !is_read(a) && !ok).map(move |(a, vis, _)| (case, *a, *vis))
                })
                .collect();
            if !denied.is_empty() {
                let before = snapshot(&app.db).await;
                for &(case, act, visible) in &denied {
                    cases += 1;
                    denied_writes += 1;
                    let (status, _) = write(&app, &fx, &c, case, act).await;
                    let ok = if act == "add" {
                        // A new payment is refused by its form (422: the deal is not one the
                        // viewer may add to) or, with no department to add in at all, by 403.
                        matches!(status, 403 | 422)
                    } else {
                        status == if visible { 403 } else { 404 }
                    };
                    if !ok {
                        wrong.push(format!(
                            "{}: denied (visible: {visible}), but got {status}",
                            case.name(who, act, &departments)
                        ));
                    }
                }
                let after = snapshot(&app.db).await;
                if after != before {
                    let tables: Vec<&String> = after.keys().filter(|t| after.get(*t) != before.get(*t)).collect();
                    let tried: Vec<String> =
                        denied.iter().map(|(c, a, _)| format!("{} #{} {a}", c.kind.slug(), c.id)).collect();
                    wrong.push(format!(
                        "{who} {kind:?}: denied writes changed the tables {tables:?}; the writes: {}",
                        tried.join(", ")
                    ));
                }
            }
            // The allowed writes, each with its change checked; a delete last.
            for case in &rows {
                for &(act, ..) in case.expect.iter().filter(|(a, _, ok)| !is_read(a) && *ok) {
                    cases += 1;
                    allowed_writes += 1;
                    let name = case.name(who, act, &departments);
                    let now = expected(&app, &v, kind, case.id).await;
                    assert!(now == case.expect, "{name}: an earlier allowed write changed what can answers");
                    let (status, effect) = write(&app, &fx, &c, case, act).await;
                    if status != 303 {
                        wrong.push(format!("{name}: allowed, but got {status}"));
                    } else if !effect.seen(&app, case.id).await {
                        wrong.push(format!("{name}: allowed and answered {status}, but the change is not there"));
                    }
                }
            }
        }
    }
    eprintln!(
        "golden_crm: {cases} cases, {allowed_writes} allowed and {denied_writes} denied writes; per action (allowed, denied): {tally:?}"
    );
    assert!(cases > 2000, "only {cases} cases ran");
    assert!(allowed_writes > 200 && denied_writes > 500, "{allowed_writes} allowed and {denied_writes} denied writes");
    assert!(wrong.is_empty(), "{} of {cases} cases disagree with access::can:\n{}", wrong.len(), wrong.join("\n"));
}
