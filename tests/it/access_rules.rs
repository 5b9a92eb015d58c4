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
