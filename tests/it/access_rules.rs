//! Permission rules as the HTTP layer applies them (the golden table for `can` is in access.rs).

use crate::helpers::spawn_app;

#[tokio::test]
async fn non_admins_get_404_for_user_management_and_change_nothing() {
    let app = spawn_app().await;
    let target = app.user_id("Carl.CoWorker").await;
    for user in [
        "Garry.Chief",
        "Helen.Head.Sales",
        "Mark.Manager.Sales",
        "Tina.TaskOperator",
        "Anna.Accountant",
        "Olga.Operator.Sales",
    ] {
        let c = app.login_as(user).await;
        for path in [
            "/admin/users",
            "/admin/users/new",
            "/admin/departments",
            &format!("/admin/users/{target}"),
            &format!("/admin/users/{target}/history"),
        ] {
            let p = c.get(path).await;
            assert!(p.status == 404 || p.status == 403, "{user} GET {path}: {}", p.status);
        }
        let p = c.post_form(&format!("/admin/users/{target}/deactivate"), &[]).await;
        assert!(p.status == 404 || p.status == 403, "{user} deactivate: {}", p.status);
        let p = c.post_form("/admin/users", &[("username", "Sneaky"), ("roles", "admin")]).await;
        assert!(p.status == 404 || p.status == 403, "{user} create: {}", p.status);
    }
    let admin = app.login_as("Adam.Admin").await;
    let carl = admin.get(&format!("/admin/users/{target}")).await;
    assert!(!carl.exists("h1 .badge-muted"), "Carl must still be active");
    assert!(ferrocrm::users::repo::id_by_username(&app.db, "Sneaky").await.unwrap().is_none());
}

/// For every kind and every role (and a superoperator, and a manager of two departments), the rows a
/// list's scope lets through are exactly the rows `can(View)` allows one by one: the two are written
/// once (`access::scope`, `access::can`) and must never drift apart.
#[tokio::test]
async fn every_lists_scope_shows_exactly_the_rows_can_view_allows() {
    use std::collections::BTreeSet;

    use ferrocrm::access::{self, Action, ListKind};
    use ferrocrm::kinds::KINDS;
    use sea_query::{Expr, ExprTrait, Query};

    use crate::helpers::app::Options;
    use crate::helpers::{TestApp, crm};

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    ferrocrm::seed::run_sized(&app.db, ferrocrm::seed::Size::small()).await.unwrap();
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let third = crm::department(&app, "Local sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let helen = app.user_id("Helen.Head.Sales").await;
    let eve = app.user_id("Eve.Manager.Export").await;
    let owners = [Some(mark), Some(helen), Some(eve), None];
    crm::spread(&app, &[sales, export, third], &owners, None).await;
    crm::spread(&app, &[sales], &[Some(helen)], Some(mark)).await;
    // Olga serves Export too (a superoperator); Eve also sells for the third department.
    let olga = app.user_id("Olga.Operator.Sales").await;
    let mut tx = app.db.begin().await.unwrap();
    let actor = ferrocrm::history::Actor::system("test");
    ferrocrm::users::repo::set_departments_served(&mut tx, olga, &[export], &actor).await.unwrap();
    ferrocrm::users::repo::set_departments_served(&mut tx, eve, &[third], &actor).await.unwrap();
    tx.commit().await.unwrap();

    let mut checked = 0;
    for (name, _, _) in crate::helpers::app::USERS {
        let v = app.state_viewer(app.user_id(name).await).await;
        for k in &KINDS {
            let mut q = Query::select();
            q.column((k.table, "id")).from(k.table);
            let listed: BTreeSet<i64> = match access::scope(&v, ListKind::of(k.kind), &mut q) {
                Ok(()) => app.db.fetch_all::<(i64,)>(&q).await.unwrap().into_iter().map(|(i,)| i).collect(),
                Err(_) => BTreeSet::new(),
            };
            let all: Vec<(i64,)> = app.db.fetch_all(Query::select().column("id").from(k.table)).await.unwrap();
            assert!(!all.is_empty(), "no {} rows to test with", k.table);
            let mut allowed = BTreeSet::new();
            for (id,) in all {
                let it = ferrocrm::items::load_any(&app.db, k.kind, id).await.unwrap();
                if it.can(&v, Action::View) {
                    allowed.insert(id);
                }
            }
            assert_eq!(listed, allowed, "{name}: the {} list's scope against can(View)", k.table);
            checked += allowed.len();
        }
    }
    assert!(checked > 100, "the test saw too few visible rows to mean anything ({checked})");
    // The departments matter: Eve sees the third department's companies, Mark does not.
    let third_company: i64 = app
        .db
        .scalar(Query::select().column("id").from("companies").and_where(Expr::col("department_id").eq(third)).limit(1))
        .await
        .unwrap()
        .unwrap();
    let eve_v = app.state_viewer(eve).await;
    let mark_v = app.state_viewer(mark).await;
    let it = ferrocrm::items::load_any(&app.db, ferrocrm::access::ItemKind::Company, third_company).await.unwrap();
    assert!(it.can(&eve_v, Action::View) && !it.can(&mark_v, Action::View));
}
