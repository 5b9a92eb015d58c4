//! `ferrocrm seed`: realistic data in every role, stage and shape the Tasks section has.

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::{TestApp, app::Options};

async fn count(app: &TestApp, table: &'static str, cond: Option<sea_query::SimpleExpr>) -> i64 {
    let mut q = Query::select();
    q.expr(Expr::col("id").count()).from(table);
    if let Some(c) = cond {
        q.and_where(c);
    }
    app.db.scalar::<i64>(&q).await.unwrap().unwrap_or(0)
}

#[tokio::test]
async fn seed_scale_one_creates_a_lively_demo() {
    let app = TestApp::with(Options::default()).await;
    ferrocrm::cli::seed_demo(&app.db).await.unwrap();
    let stats = ferrocrm::seed::run(&app.db, 1).await.unwrap();
    assert!(stats.tasks > 10_000 && stats.chat_messages == 20_000 && stats.memos == 2_000, "{stats:?}");
    for role in ferrocrm::access::Role::ALL {
        let q = Query::select()
            .expr(Expr::col("user_id").count())
            .from("user_roles")
            .and_where(Expr::col("role").eq(role.slug()))
            .to_owned();
        assert!(app.db.scalar::<i64>(&q).await.unwrap().unwrap_or(0) > 0, "no user with role {role:?}");
    }
    for stage in ["pending", "postponed", "considered"] {
        assert!(count(&app, "memos", Some(Expr::col("stage").eq(stage))).await > 0, "no memo in {stage}");
    }
    assert!(count(&app, "memos", Some(Expr::col("draft").eq(true))).await > 0, "no draft memo");
    assert!(count(&app, "tasks", Some(Expr::col("team").eq(true))).await > 0, "no team task");
    assert!(count(&app, "tasks", Some(Expr::col("parent_id").is_not_null())).await > 0, "no subtask");
    for stage in ["pending", "in_progress", "done", "canceled"] {
        assert!(count(&app, "tasks", Some(Expr::col("stage").eq(stage))).await > 0, "no task in {stage}");
    }
    // The named demo users take part in plenty of work, as the benchmark's logins need.
    let mark = app.user_id("Mark.Manager.Global").await;
    let q = Query::select()
        .expr(Expr::col("object_id").count())
        .from("participants")
        .and_where(Expr::col("user_id").eq(mark))
        .and_where(Expr::col("object_type").eq("task"))
        .to_owned();
    assert!(app.db.scalar::<i64>(&q).await.unwrap().unwrap_or(0) > 100);
}
