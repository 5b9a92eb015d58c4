//! Making memos, tasks and projects through the real forms, and reading what the app recorded.

use std::time::Duration;

use sea_query::{Expr, ExprTrait, Query};

use super::TestApp;
use super::client::TestClient;
use super::html::Page;

/// The id at the end of a redirect's `Location` (`/tasks/12` → 12).
pub fn created_id(p: &Page) -> i64 {
    assert_eq!(p.status, 303, "expected a redirect after saving, got {}:\n{}", p.status, p.body);
    let loc = p.header("location").unwrap_or_default();
    loc.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no id in {loc:?}"))
}

/// Posts a form and returns the new object's id (asserting success).
pub async fn create(c: &TestClient, path: &str, fields: &[(&str, &str)]) -> i64 {
    created_id(&c.post_form(path, fields).await)
}

/// Creates a task through the form as `c`; `resp`/`subs` are usernames, `extra` more form fields.
pub async fn task(
    app: &TestApp,
    c: &TestClient,
    name: &str,
    resp: &[&str],
    subs: &[&str],
    extra: &[(&str, &str)],
) -> i64 {
    let mut ids = Vec::new();
    for r in resp {
        ids.push(("responsible", app.uid(r).await));
    }
    for s in subs {
        ids.push(("subscribers", app.uid(s).await));
    }
    let mut fields: Vec<(&str, &str)> = vec![("name", name)];
    fields.extend(ids.iter().map(|(k, v)| (*k, v.as_str())));
    fields.extend_from_slice(extra);
    create(c, "/tasks", &fields).await
}

/// Carl's memo to Helen, and the task Helen made from it (Carl subscribed): `(memo, task, Helen)`.
/// The memo list then shows a "View task" button that follows the task's stage.
pub async fn memo_with_task(app: &TestApp) -> (i64, i64, TestClient) {
    let carl = app.login_as("Carl.CoWorker").await;
    let helen_id = app.uid("Helen.Head.Sales").await;
    let memo = create(&carl, "/memos", &[("name", "Need a new chair"), ("recipient_id", &helen_id)]).await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl_id = app.uid("Carl.CoWorker").await;
    let fields = [
        ("name", "Order a chair"),
        ("responsible", helen_id.as_str()),
        ("subscribers", carl_id.as_str()),
        ("memo_id", &memo.to_string()),
    ];
    let task = create(&helen, "/tasks", &fields).await;
    (memo, task, helen)
}

impl TestApp {
    /// `id` of a user as a form value.
    pub async fn uid(&self, username: &str) -> String {
        self.user_id(username).await.to_string()
    }

    /// Titles of the user's notifications, newest first.
    pub async fn notices(&self, username: &str) -> Vec<String> {
        let uid = self.user_id(username).await;
        let rows: Vec<(String,)> = self
            .db
            .fetch_all(
                &Query::select()
                    .column("title")
                    .from("notifications")
                    .and_where(Expr::col("user_id").eq(uid))
                    .order_by("id", sea_query::Order::Desc)
                    .to_owned(),
            )
            .await
            .unwrap();
        rows.into_iter().map(|(t,)| t).collect()
    }

    /// Users who have a notification whose title contains `text`.
    pub async fn notified(&self, text: &str) -> Vec<String> {
        let rows: Vec<(String,)> = self
            .db
            .fetch_all(
                &Query::select()
                    .column(("users", "username"))
                    .from("notifications")
                    .inner_join("users", Expr::col(("users", "id")).equals(("notifications", "user_id")))
                    .and_where(Expr::col(("notifications", "title")).like(format!("%{text}%")))
                    .order_by(("users", "username"), sea_query::Order::Asc)
                    .to_owned(),
            )
            .await
            .unwrap();
        rows.into_iter().map(|(u,)| u).collect()
    }

    /// Sends what the outbox holds (the worker's job, run by hand).
    pub async fn send_mail(&self) -> usize {
        ferrocrm::outbox::run_once(&self.db, &self.state.mailer).await.unwrap()
    }

    /// A column of one row, as text (tests read state straight from the database).
    pub async fn field(&self, table: &'static str, id: i64, col: &'static str) -> Option<String> {
        self.db
            .scalar::<Option<String>>(
                &Query::select()
                    .expr(Expr::col(col).cast_as("TEXT"))
                    .from(table)
                    .and_where(Expr::col("id").eq(id))
                    .to_owned(),
            )
            .await
            .unwrap()
            .flatten()
    }

    /// A boolean column of one row.
    pub async fn flag(&self, table: &'static str, id: i64, col: &'static str) -> bool {
        self.db
            .scalar::<bool>(&Query::select().column(col).from(table).and_where(Expr::col("id").eq(id)).to_owned())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no row {table} {id}"))
    }

    pub async fn count(&self, table: &'static str, cond: sea_query::Condition) -> i64 {
        self.db
            .scalar::<i64>(&Query::select().expr(Expr::cust("COUNT(*)")).from(table).cond_where(cond).to_owned())
            .await
            .unwrap()
            .unwrap_or(0)
    }

    /// Runs due jobs until none is left (reminders and the like).
    /// Moves every waiting job's due time into the past (time passing, without waiting for it).
    pub async fn make_jobs_due(&self) {
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        self.db
            .execute(
                &Query::update()
                    .table("jobs")
                    .value("run_at", past)
                    .and_where(Expr::col("status").eq("queued"))
                    .to_owned(),
            )
            .await
            .unwrap();
    }

    pub async fn run_jobs(&self) {
        for _ in 0..100 {
            if !ferrocrm::jobs::run_once(&self.state).await.unwrap() {
                return;
            }
        }
        panic!("jobs kept coming");
    }
}

/// Waits until `check` holds, polling; panics with `what` after `wait`.
pub async fn eventually<F, Fut>(what: &str, wait: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if check().await {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen within {wait:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
