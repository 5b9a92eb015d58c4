//! The objects each role of the crawler's destructive pass makes through the forms (`crawler.rs`).

use crate::helpers::TestApp;
use crate::helpers::client::TestClient;
use crate::helpers::items::{create, created_id};

/// Objects the role makes for the destructive pass (through the real forms); the pages to visit.
pub(super) async fn make_objects(app: &TestApp, c: &TestClient, user: &str, admin: &TestClient) -> Vec<String> {
    let me = app.uid(user).await;
    let other = app.uid(if user == "Carl.CoWorker" { "Helen.Head.Sales" } else { "Carl.CoWorker" }).await;
    let mut urls = Vec::new();
    // A task of the role's own, with a file, a reminder and a chat message.
    let p = c
        .post_multipart(
            "/tasks",
            &[("name", &format!("Crawler task of {user}")), ("responsible", &me), ("next_step", "Start")],
            &[("files", "crawler-note.txt", "text/plain", b"made by the crawler".to_vec())],
        )
        .await;
    if p.status == 303 {
        let t = created_id(&p);
        c.post_form(&format!("/tasks/{t}/reminders"), &[("remind_at", "2099-01-01T09:00"), ("text", "Look again")])
            .await;
        c.post_form(&format!("/tasks/{t}/chat"), &[("body", "A message from the crawler")]).await;
        urls.push(format!("/tasks/{t}"));
        urls.push(format!("/tasks/{t}/delete"));
    }
    // A team task of the role and another user: its "Completed" (in the team notice) makes a done
    // subtask of the role's part (issue 12); the single task above has the plain "Completed".
    let team =
        [("name", format!("Crawler team task of {user}")), ("responsible", me.clone()), ("responsible", other.clone())];
    let team: Vec<(&str, &str)> = team.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = c.post_form("/tasks", &team).await;
    if p.status == 303 {
        urls.push(format!("/tasks/{}", created_id(&p)));
    }
    // Another whose part the role completed already: its done subtask has the "Hide main task"
    // switch (set by "Completed"; the crawler shows the main task again, then hides it).
    let p = c.post_form("/tasks", &team).await;
    if p.status == 303 {
        let main = created_id(&p);
        assert_eq!(c.post_form(&format!("/tasks/{main}/completed"), &[]).await.status, 303);
        let sub: Option<i64> = app
            .db
            .scalar(
                &sea_query::Query::select()
                    .column("id")
                    .from("tasks")
                    .and_where(sea_query::ExprTrait::eq(sea_query::Expr::col("parent_id"), main))
                    .to_owned(),
            )
            .await
            .expect("the done subtask");
        urls.push(format!("/tasks/{}", sub.expect("Completed made a subtask")));
    }
    // A tag of the role's department, on a task of its own: the tags page's Rename and Delete
    // (with its confirmation) are clicked on it (issue 12).
    let tagged = [
        ("name", format!("Tagged by {user}")),
        ("responsible", me.clone()),
        ("new_tags", format!("Crawler tag {user}")),
    ];
    let tagged: Vec<(&str, &str)> = tagged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if c.post_form("/tasks", &tagged).await.status == 303 && c.get("/tasks/tags").await.exists("#tag-list") {
        urls.push("/tasks/tags".to_string());
    }
    let p = c.post_form("/memos", &[("name", &format!("Crawler memo of {user}")), ("recipient_id", &other)]).await;
    if p.status == 303 {
        let m = created_id(&p);
        urls.push(format!("/memos/{m}"));
        urls.push(format!("/memos/{m}/delete"));
    }
    let p = c.post_form("/projects", &[("name", &format!("Crawler project of {user}")), ("responsible", &me)]).await;
    if p.status == 303 {
        let pr = created_id(&p);
        urls.push(format!("/projects/{pr}"));
        urls.push(format!("/projects/{pr}/delete"));
    }
    // Requests of the role's own, where it may add them (sales managers): a case (Close, then
    // Activate) and a plain one (Create deal).
    let day = ferrocrm::time::today().format("%Y-%m-%d").to_string();
    for case in ["on", ""] {
        let subject = format!("Crawler request of {user}");
        let form =
            [("request_for", subject.as_str()), ("first_name", "Ann"), ("receipt_date", &day), ("is_case", case)];
        let p = c.post_form("/requests", &form).await;
        if p.status == 303 {
            urls.push(p.header("location").unwrap_or_default());
        }
    }
    // Notifications for the role: someone else gives them a task.
    create(admin, "/tasks", &[("name", &format!("Handed to {user}")), ("responsible", &me)]).await;
    urls.push("/notifications".into());
    urls.push("/reminders".into());
    if user == "Adam.Admin" {
        let p = admin.post_form("/admin/departments", &[("name", "Crawler department")]).await;
        assert_eq!(p.status, 303, "add a department: {}", p.body);
        let list = admin.get("/admin/departments").await;
        let d = list
            .html
            .select(&scraper::Selector::parse("tr[id^=department-] a").expect("selector"))
            .find(|a| a.text().collect::<String>().trim() == "Crawler department")
            .and_then(|a| a.value().attr("href"))
            .expect("the new department in the list")
            .to_string();
        urls.push(d);
    }
    urls
}
