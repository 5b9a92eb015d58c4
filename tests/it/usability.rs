//! What a person hits in a real browser (issue "Usable in a real browser"): buttons inside live
//! regions keep the page, stage buttons keep the layout, attachments download, "Considered" asks
//! first, Back shows what the URL says, nothing stale after a change; and the §3.3 rules a chief and
//! a main task's participants rely on.

use std::time::{Duration, Instant};

use crate::helpers::TestApp;
use crate::helpers::app::PASSWORD;
use crate::helpers::browser::Browser;
use crate::helpers::items::create;
use crate::helpers::spawn_app;

const WAIT: Duration = Duration::from_secs(5);

/// A memo from Carl to Helen with one attachment; returns its id.
async fn memo_with_file(app: &TestApp) -> i64 {
    let carl = app.login_as("Carl.CoWorker").await;
    let helen = app.uid("Helen.Head.Sales").await;
    let p = carl
        .post_multipart(
            "/memos",
            &[("name", "Need a new chair"), ("recipient_id", &helen)],
            &[("files", "notes.txt", "text/plain", b"chair: ergonomic".to_vec())],
        )
        .await;
    crate::helpers::items::created_id(&p)
}

/// The page has its shell and shows `h1`.
async fn assert_shell(b: &Browser, what: &str) {
    let shell = b
        .js("return [document.querySelectorAll('header.topbar').length, document.querySelectorAll('nav.sidebar').length, \
             document.querySelectorAll('main h1').length, (document.querySelector('main') || {innerText: ''}).innerText.trim().length > 0]")
        .await;
    assert_eq!(shell, serde_json::json!([1, 1, 1, true]), "{what}: the page lost its shell");
}

/// Waits until the path is `path` and the page (h1) says `h1`.
async fn arrives(b: &Browser, path: &str, h1: &str) {
    arrives_at(b, |at| at == path, h1).await
}

async fn arrives_at(b: &Browser, path: impl Fn(&str) -> bool, h1: &str) {
    let start = Instant::now();
    loop {
        let at = b.js("return location.pathname + location.search").await;
        let title = b.text("main h1").await;
        if path(at.as_str().unwrap_or_default())
            && title.contains(h1)
            && b.js("return !document.querySelector('.htmx-request')").await == true
        {
            break;
        }
        assert!(start.elapsed() < WAIT, "never arrived showing {h1:?}; at {at} showing {title:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn every_button_of_a_memo_page_opens_its_page_with_the_shell_and_back_returns() {
    let app = spawn_app().await;
    let memo = memo_with_file(&app).await;
    let b = Browser::start().await;
    b.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    let page = format!("/memos/{memo}");
    // (link, where it leads, what the page says)
    let links = [
        (format!("a[href='/memos/{memo}/history']"), format!("/memos/{memo}/history"), "History"),
        (format!("a[href='/tasks/new?memo={memo}']"), format!("/tasks/new?memo={memo}"), "task"),
        (format!("a[href='/projects/new?memo={memo}']"), format!("/projects/new?memo={memo}"), "project"),
    ];
    for (css, to, h1) in &links {
        b.goto(&format!("{}{page}", app.base)).await;
        b.wait_live().await;
        b.click(css).await;
        arrives(&b, to, h1).await;
        assert_shell(&b, css).await;
        b.client.back().await.expect("back");
        arrives(&b, &page, "Need a new chair").await;
        assert_shell(&b, "back").await;
    }
    b.close().await;
}

#[tokio::test]
async fn stage_buttons_keep_the_layout_and_considered_asks_first() {
    let app = spawn_app().await;
    let memo = memo_with_file(&app).await;
    let b = Browser::start().await;
    b.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    let page = format!("/memos/{memo}");
    b.goto(&format!("{}{page}", app.base)).await;
    b.wait_live().await;
    b.click("form.stage-buttons button[value=postponed]").await;
    b.wait_text("main h1", WAIT, |t| t.contains("Postponed")).await;
    assert_shell(&b, "after Postpone").await;
    assert_eq!(b.js("return document.querySelectorAll('#chat, #files').length").await, 2, "side panels gone");
    assert_eq!(app.field("memos", memo, "stage").await.as_deref(), Some("postponed"));

    // "Considered" asks first; Cancel changes nothing.
    b.click("form.stage-buttons button[value=considered]").await;
    b.client.wait().at_most(WAIT).for_element(fantoccini::Locator::Css("#confirm-dialog[open]")).await.expect("dialog");
    assert!(b.text("#confirm-dialog").await.contains("can no longer change it"));
    b.click("#confirm-dialog button[value=cancel]").await;
    // Positive control first: the dialog closed; then the memo is still postponed.
    let start = Instant::now();
    while b.js("return !!document.querySelector('#confirm-dialog[open]')").await == true {
        assert!(start.elapsed() < WAIT, "the dialog did not close");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(app.field("memos", memo, "stage").await.as_deref(), Some("postponed"), "Cancel changed the memo");
    // Confirm: considered, the page keeps its shell.
    b.click("form.stage-buttons button[value=considered]").await;
    b.client.wait().at_most(WAIT).for_element(fantoccini::Locator::Css("#confirm-dialog[open]")).await.expect("dialog");
    b.click("#confirm-dialog button[value=ok]").await;
    b.wait_text("main h1", WAIT, |t| t.contains("Considered")).await;
    assert_shell(&b, "after Considered").await;
    assert_eq!(app.field("memos", memo, "stage").await.as_deref(), Some("considered"));
    b.close().await;
}

#[tokio::test]
async fn an_attachment_downloads_without_replacing_the_page_and_its_remove_button_follows_the_lock() {
    let app = spawn_app().await;
    let memo = memo_with_file(&app).await;
    let b = Browser::start().await;
    b.login(&app.base, "Carl.CoWorker", PASSWORD).await;
    let page = format!("/memos/{memo}");
    b.goto(&format!("{}{page}", app.base)).await;
    b.wait_live().await;
    assert_eq!(b.attr("#files a[download]", "hx-boost").await.as_deref(), Some("false"));
    // How a click was handled: htmx prevents the default of a boosted link (and fires
    // htmx:beforeRequest) in the element's own listener, before the click bubbles to `window`.
    // Requests a link makes (not the menu counters' own, which a new page asks for by itself).
    b.js("window.__stay = true; window.__requests = 0; window.__clicks = []; \
          document.body.addEventListener('htmx:beforeRequest', function (e) { if (e.detail.elt && e.detail.elt.tagName === 'A') window.__requests++; }); \
          window.addEventListener('click', function (e) { window.__clicks.push(e.defaultPrevented); }); return true")
        .await;
    b.click("#files a[download]").await;
    let handled = b.js("return [window.__clicks, window.__requests]").await;
    assert_eq!(handled, serde_json::json!([[false], 0]), "the browser, not htmx, takes the download link");
    // The page stays as it was (a boosted link would have swapped the file's text in).
    let url = b.js("return location.pathname").await;
    assert_eq!(url.as_str(), Some(page.as_str()));
    assert_eq!(b.js("return window.__stay === true").await, true);
    assert_shell(&b, "after a download").await;
    assert!(!b.text("main").await.contains("chair: ergonomic"), "the file's text replaced the page");
    // The author may remove the file while the memo is open; once Helen considers it, the × goes
    // away on Carl's open page by itself.
    assert!(b.js("return !!document.querySelector('#files form[action$=\"/delete\"]')").await == true);
    let helen = app.login_as("Helen.Head.Sales").await;
    assert_eq!(helen.post_form(&format!("/memos/{memo}/stage"), &[("stage", "considered")]).await.status, 303);
    let start = Instant::now();
    while b.js("return !!document.querySelector('#files form[action$=\"/delete\"]')").await == true {
        assert!(start.elapsed() < WAIT, "the remove button stayed after the memo was considered");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(b.text("#files").await.contains("notes.txt"), "the file itself is still listed");
    // Positive control for the first check: a boosted link on the same page is taken by htmx.
    b.js("window.__clicks = []; window.__requests = 0; return true").await;
    b.click("a[href='/memos'].nav-link, nav.sidebar a[href='/memos']").await;
    let handled = b.js("return [window.__clicks, window.__requests]").await;
    assert_eq!(handled, serde_json::json!([[true], 1]), "a boosted link is htmx's");
    b.close().await;
}

#[tokio::test]
async fn back_shows_what_the_url_says_after_filtering_and_after_saving() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = app.uid("Helen.Head.Sales").await;
    let done = create(&helen, "/tasks", &[("name", "Finished job"), ("responsible", &me)]).await;
    assert_eq!(helen.post_form(&format!("/tasks/{done}/stage"), &[("stage", "done")]).await.status, 303);
    create(&helen, "/tasks", &[("name", "Open job"), ("responsible", &me)]).await;

    let b = Browser::start().await;
    b.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    b.goto(&format!("{}/tasks", app.base)).await;
    b.wait_live().await;
    assert!(!b.text("#task-list").await.contains("Finished job"));
    // All tasks: the list, its summary and the URL follow.
    b.js("var s = document.querySelector('select[name=show]'); s.value = 'all'; s.dispatchEvent(new Event('change', {bubbles: true})); return true").await;
    b.wait_text("#task-list", WAIT, |t| t.contains("Finished job")).await;
    assert!(b.text("#task-list .list-summary").await.contains("All tasks"));
    arrives_at(&b, |at| at.starts_with("/tasks?") && at.contains("show=all"), "Tasks").await;
    // Open a task, then Back: the filter and the rows agree.
    b.click(&format!("#task-list a[href='/tasks/{done}']")).await;
    arrives(&b, &format!("/tasks/{done}"), "Finished job").await;
    b.client.back().await.expect("back");
    arrives_at(&b, |at| at.starts_with("/tasks?") && at.contains("show=all"), "Tasks").await;
    b.wait_text("#task-list", WAIT, |t| t.contains("Finished job")).await;
    assert_eq!(b.js("return document.querySelector('select[name=show]').value").await, "all");

    // Saving a memo, then Back: an empty form, not the one just sent.
    b.goto(&format!("{}/memos/new", app.base)).await;
    b.type_into("#f-name", "Order paper").await;
    b.type_into("#f-recipient_id", "mark").await;
    b.wait_text("#f-recipient_id-list", WAIT, |t| t.contains("Mark")).await;
    b.type_into("#f-recipient_id", &fantoccini::key::Key::Enter.to_string()).await;
    b.click("main form button[type=submit].btn-primary").await;
    b.wait_text("main h1", WAIT, |t| t.contains("Order paper")).await;
    b.client.back().await.expect("back");
    arrives(&b, "/memos/new", "memo").await;
    assert_eq!(b.js("return document.querySelector('#f-name').value").await, "", "Back showed the sent form");
    b.close().await;
}

#[tokio::test]
async fn reloading_after_a_password_reset_shows_the_users_page() {
    let app = spawn_app().await;
    let carl = app.user_id("Carl.CoWorker").await;
    let b = Browser::start().await;
    b.login(&app.base, "Adam.Admin", PASSWORD).await;
    b.goto(&format!("{}/admin/users/{carl}", app.base)).await;
    b.wait_live().await;
    b.click(&format!("form[action='/admin/users/{carl}/password'] button[type=submit]")).await;
    b.client.wait().at_most(WAIT).for_element(fantoccini::Locator::Css("#confirm-dialog[open]")).await.expect("dialog");
    b.click("#confirm-dialog button[value=ok]").await;
    b.wait_text("main", WAIT, |t| t.contains("shown only this once")).await;
    arrives(&b, &format!("/admin/users/{carl}"), "Carl").await;
    b.client.refresh().await.expect("reload");
    arrives(&b, &format!("/admin/users/{carl}"), "Carl").await;
    assert!(!b.text("main").await.contains("shown only this once"), "the password was shown again");
    b.close().await;
}

#[tokio::test]
async fn the_home_page_counts_unread_notifications_like_the_bell() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl = app.uid("Carl.CoWorker").await;
    create(&helen, "/tasks", &[("name", "Welcome the visitors"), ("responsible", &carl)]).await;
    let b = Browser::start().await;
    b.login(&app.base, "Carl.CoWorker", PASSWORD).await;
    assert_eq!(b.text("#bell .badge").await, "1");
    assert!(b.text("#home-notices").await.contains("You have 1 unread notification"));
    b.shot("home.png").await;
    b.close().await;
}

#[tokio::test]
async fn a_subscriber_of_a_main_task_opens_its_subtasks_and_a_chief_may_change_others_tasks() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let (me, mark, carl) =
        (app.uid("Helen.Head.Sales").await, app.uid("Mark.Manager.Sales").await, app.uid("Carl.CoWorker").await);
    let main = create(
        &helen,
        "/tasks",
        &[("name", "Trade fair"), ("responsible", &me), ("responsible", &mark), ("subscribers", &carl)],
    )
    .await;
    let mark_c = app.login_as("Mark.Manager.Sales").await;
    let sub = create(
        &mark_c,
        "/tasks",
        &[("name", "Book the stand"), ("responsible", &mark), ("parent_id", &main.to_string())],
    )
    .await;
    // Carl follows the main task: he sees the subtask on its page, opens it, finds it in his list.
    let carl_c = app.login_as("Carl.CoWorker").await;
    let main_page = carl_c.get(&format!("/tasks/{main}")).await;
    assert!(main_page.exists(&format!("a[href='/tasks/{sub}']")), "the subtask is not listed on the main task");
    let sub_page = carl_c.get(&format!("/tasks/{sub}")).await;
    assert_eq!(sub_page.status, 200, "a participant of the main task could not open its subtask");
    let list = carl_c.get("/tasks?responsible=all").await;
    assert!(list.exists(&format!("#task-list a[href='/tasks/{sub}']")), "the subtask is missing from Carl's list");
    // Eve, unrelated, still gets 404.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get(&format!("/tasks/{sub}")).await.status, 404);

    // Garry (chief) gets the stage buttons and Edit on Helen's task, and they work.
    let garry = app.login_as("Garry.Chief").await;
    let page = garry.get(&format!("/tasks/{main}")).await;
    assert!(page.exists(&format!("form[action='/tasks/{main}/stage']")), "no stage buttons for the chief");
    assert!(page.exists(&format!("a[href='/tasks/{main}/edit']")), "no Edit for the chief");
    assert_eq!(garry.post_form(&format!("/tasks/{main}/stage"), &[("stage", "in_progress")]).await.status, 303);
    // A chief edits the rest, but who is responsible stays as the owner set it (§3.3).
    let p = garry
        .post_form(&format!("/tasks/{main}"), &[("name", "Trade fair 2027"), ("responsible", &carl), ("priority", "3")])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(app.field("tasks", main, "name").await.as_deref(), Some("Trade fair 2027"));
    let resp = ferrocrm::participants::of(&app.db, ferrocrm::access::ItemKind::Task, main).await.unwrap();
    let mut who = resp.users(ferrocrm::participants::PRole::Responsible);
    who.sort();
    let mut want = vec![me.parse::<i64>().unwrap(), mark.parse::<i64>().unwrap()];
    want.sort();
    assert_eq!(who, want, "the chief changed who is responsible");
}

#[tokio::test]
async fn history_records_attached_files_and_a_task_made_from_a_memo() {
    let app = spawn_app().await;
    let memo = memo_with_file(&app).await;
    let carl = app.login_as("Carl.CoWorker").await;
    let h = carl.get(&format!("/memos/{memo}/history")).await;
    assert!(
        h.texts(".history-meta .muted").iter().any(|t| t == "Attached a file"),
        "{:?}",
        h.texts(".history-meta .muted")
    );
    assert!(h.texts("td").iter().any(|t| t.contains("notes.txt")), "the file's name is in the entry");
    // Helen makes a task from it: both histories say so.
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = app.uid("Helen.Head.Sales").await;
    let task =
        create(&helen, "/tasks", &[("name", "Buy the chair"), ("responsible", &me), ("memo_id", &memo.to_string())])
            .await;
    let mh = helen.get(&format!("/memos/{memo}/history")).await;
    assert!(mh.texts(".history-meta .muted").iter().any(|t| t == "Created the task “Buy the chair” from this memo"));
    let th = helen.get(&format!("/tasks/{task}/history")).await;
    assert!(th.texts(".history-meta .muted").iter().any(|t| t == "Created from the memo “Need a new chair”"));
}

#[tokio::test]
async fn the_task_list_sorts_by_its_column_headers_and_ignores_the_header_search() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let me = app.uid("Helen.Head.Sales").await;
    create(&helen, "/tasks", &[("name", "Sooner"), ("responsible", &me), ("due_date", "2031-01-01")]).await;
    create(&helen, "/tasks", &[("name", "Later"), ("responsible", &me), ("due_date", "2031-05-01")]).await;
    let list = helen.get("/tasks?show=all").await;
    // Newest first by default; the Due header sorts soonest first and keeps the other filters.
    assert_eq!(list.texts("#task-list td.name a"), ["Later", "Sooner"]);
    let due = list.attr("th a.sort-link[href*='sort=due']", "href").expect("a Due header link");
    assert!(due.contains("show=all"), "{due}");
    let sorted = helen.get(&due).await;
    assert_eq!(sorted.texts("#task-list td.name a"), ["Sooner", "Later"]);
    assert_eq!(sorted.attr("th[aria-sort]", "aria-sort").as_deref(), Some("ascending"));
    // Typing in the top bar's search must not re-filter the list: its trigger listens inside the form only.
    let trigger = list.attr("#task-filters", "hx-trigger").unwrap_or_default();
    assert!(trigger.contains("from:find input[type=search]"), "{trigger}");
    // A draft's recipient is required, and says so.
    let form = helen.get("/memos/new").await;
    assert!(form.text("label[for=f-recipient_id]").contains('*'));
}

/// A list of many pages says how big it is: "Page 1 of 2 · 52 tasks" (asked for after the page is
/// shown, so the page itself stays as fast), exact on the last page without asking, "more than
/// 1,000" past the cap, and a change shows in the next total (the cache does not outlive it).
#[tokio::test]
async fn big_lists_say_how_many_results_they_have() {
    let app = spawn_app().await;
    let helen = app.login_as("Helen.Head.Sales").await;
    for i in 0..52 {
        crate::helpers::items::task(&app, &helen, &format!("Bulk {i}"), &["Helen.Head.Sales"], &[], &[]).await;
    }
    let first = helen.get("/tasks?q=Bulk").await;
    assert_eq!(first.text(".pagination .page-info"), "Page 1", "no count inside the page's own request");
    let total_url = first.attr(".pagination .page-info", "hx-get").expect("the total is asked for");
    // Helen's list defaults to the tasks she is responsible for (§14.1): the filter is in the URL.
    let helen_id = app.uid("Helen.Head.Sales").await;
    assert_eq!(total_url, format!("/tasks/total?responsible={helen_id}&q=Bulk"));
    assert_eq!(helen.hx_get(&total_url).await.text(".page-info"), "Page 1 of 2 · 52 tasks");
    let last = helen.get("/tasks?q=Bulk&page=2").await;
    assert_eq!(last.text(".pagination .page-info"), "Page 2 of 2 · 52 tasks", "the last page knows its total");
    // One more task: the next total counts it (the cached 52 is gone with the change).
    crate::helpers::items::task(&app, &helen, "Bulk 52", &["Helen.Head.Sales"], &[], &[]).await;
    assert_eq!(helen.hx_get(&total_url).await.text(".page-info"), "Page 1 of 2 · 53 tasks");
    // Another user's total is his own (the cache is per viewer): Carl sees none of these.
    let carl = app.login_as("Carl.CoWorker").await;
    assert_eq!(carl.hx_get(&total_url).await.text(".page-info"), "Page 1 of 1 · 0 tasks");
    // A short list shows its count without pages.
    let short = helen.get("/tasks?q=Bulk%205").await; // Bulk 5, Bulk 50..52
    assert_eq!(short.text("p.list-count"), "4 tasks");
    assert!(!short.exists(".pagination"));

    // Past the cap: 1,001 more tasks, seen by the chief, who sees every task.
    let owner = app.user_id("Helen.Head.Sales").await;
    let now = chrono::Utc::now();
    let mut insert = sea_query::Query::insert();
    insert.into_table("tasks").columns(["name", "stage", "owner_id", "created_at", "updated_at"]);
    for i in 0..1001 {
        insert.values_panic([format!("Many {i}").into(), "pending".into(), owner.into(), now.into(), now.into()]);
    }
    app.db.execute(&insert).await.unwrap();
    // Written behind the product's back: indexed for search as the seed's bulk load does.
    ferrocrm::crm::search::rebuild_items(&app.db).await.unwrap();
    let chief = app.login_as("Garry.Chief").await;
    let many = chief.get("/tasks?q=Many").await;
    let url = many.attr(".pagination .page-info", "hx-get").unwrap();
    assert_eq!(chief.hx_get(&url).await.text(".page-info"), "Page 1 · more than 1,000 tasks");
    // The last page, reached by its number, knows the exact total.
    assert_eq!(chief.get("/tasks?q=Many&page=21").await.text(".pagination .page-info"), "Page 21 of 21 · 1,001 tasks");
    // Memos, projects and reminders ask the same way.
    for list in ["/memos", "/projects", "/reminders"] {
        let p = chief.hx_get(&format!("{list}/total")).await;
        assert_eq!(p.status, 200, "{list}");
        assert!(p.text(".page-info").starts_with("Page 1 of 1 · 0 "), "{list}: {}", p.text(".page-info"));
    }
}

/// A file chosen in a form that then fails validation is not lost: the form comes back with it kept
/// (a ticked box with its name), and the next submit attaches it without choosing it again. A kept
/// file is its chooser's only, and is used once.
#[tokio::test]
async fn a_chosen_attachment_is_kept_through_a_validation_error() {
    let app = spawn_app().await;
    let carl = app.login_as("Carl.CoWorker").await;
    let helen_id = app.uid("Helen.Head.Sales").await;
    let file = ("files", "quote.txt", "text/plain", b"three chairs, 120 EUR".to_vec());
    let bad =
        carl.post_multipart("/memos", &[("name", ""), ("recipient_id", &helen_id)], std::slice::from_ref(&file)).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.text("fieldset.held-files label"), "quote.txt · 21 B");
    assert_eq!(bad.attr("fieldset.held-files input", "checked").as_deref(), Some(""), "kept unless unticked");
    let token = bad.attr("fieldset.held-files input[name=held]", "value").expect("a token for the kept file");
    assert_eq!(app.count("attachments", sea_query::Cond::all()).await, 0, "nothing attached yet");

    // Someone else cannot use Carl's token, and nothing is created.
    let helen = app.login_as("Helen.Head.Sales").await;
    let carl_id = app.uid("Carl.CoWorker").await;
    let stolen =
        helen.post_multipart("/memos", &[("name", "Mine"), ("recipient_id", &carl_id), ("held", &token)], &[]).await;
    assert_eq!(stolen.status, 400);
    assert!(stolen.body.contains("no longer kept"), "{}", stolen.body);
    assert_eq!(app.count("memos", sea_query::Cond::all()).await, 0);

    // A second failure keeps it again (under a new token); then the fixed form attaches it.
    let again =
        carl.post_multipart("/memos", &[("name", ""), ("recipient_id", &helen_id), ("held", &token)], &[]).await;
    assert_eq!(again.status, 422);
    let token2 = again.attr("fieldset.held-files input[name=held]", "value").unwrap();
    assert_ne!(token2, token);
    let ok =
        carl.post_multipart("/memos", &[("name", "Chairs"), ("recipient_id", &helen_id), ("held", &token2)], &[]).await;
    let memo = crate::helpers::items::created_id(&ok);
    let page = carl.get(&format!("/memos/{memo}")).await;
    assert_eq!(page.texts("#files a[download]"), ["quote.txt"]);
    let link = page.attr("#files a[download]", "href").unwrap();
    assert_eq!(carl.raw("GET", &link, &[], vec![]).await.body, "three chairs, 120 EUR");
    // Used once: the same token again is refused.
    let reused =
        carl.post_multipart("/memos", &[("name", "Again"), ("recipient_id", &helen_id), ("held", &token2)], &[]).await;
    assert_eq!(reused.status, 400);
    assert_eq!(app.count("memos", sea_query::Cond::all()).await, 1);

    // Tasks and projects keep files the same way (their own form).
    let t = helen.post_multipart("/tasks", &[("name", "")], std::slice::from_ref(&file)).await;
    assert_eq!(t.status, 422);
    assert_eq!(t.text("fieldset.held-files label"), "quote.txt · 21 B");
    let p = helen.post_multipart("/projects", &[("name", "")], &[file]).await;
    assert_eq!(p.status, 422);
    assert_eq!(p.text("fieldset.held-files label"), "quote.txt · 21 B");
}

/// A participant of a subtask only may open its main task (§3.3, the family rule). The lists loaded
/// in bulk say the same as the task page: the project page lists the main task, and the memo it came
/// from shows its "View task" button. A stranger gets neither.
#[tokio::test]
async fn a_subtask_participant_finds_the_main_task_on_its_project_and_its_memo() {
    let app = spawn_app().await;
    let (helen_id, eve_id, carl_id) =
        (app.uid("Helen.Head.Sales").await, app.uid("Eve.Manager.Export").await, app.uid("Carl.CoWorker").await);
    let carl = app.login_as("Carl.CoWorker").await;
    let memo =
        create(&carl, "/memos", &[("name", "Trade fair"), ("recipient_id", &helen_id), ("subscribers", &eve_id)]).await;
    let helen = app.login_as("Helen.Head.Sales").await;
    let project =
        create(&helen, "/projects", &[("name", "Fairs 2027"), ("subscribers", &eve_id), ("subscribers", &carl_id)])
            .await;
    let main = create(
        &helen,
        "/tasks",
        &[
            ("name", "Plan the fair"),
            ("responsible", &helen_id),
            ("memo_id", &memo.to_string()),
            ("project_id", &project.to_string()),
        ],
    )
    .await;
    assert_eq!(app.field("memos", memo, "task_id").await, Some(main.to_string()));
    let sub = create(
        &helen,
        "/tasks",
        &[
            ("name", "Book the stand"),
            ("responsible", &helen_id),
            ("subscribers", &eve_id),
            ("parent_id", &main.to_string()),
        ],
    )
    .await;
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(
        eve.get(&format!("/tasks/{main}")).await.status,
        200,
        "Eve follows a subtask: she may open its main task"
    );
    let project_page = eve.get(&format!("/projects/{project}")).await;
    assert!(project_page.exists(&format!("a[href='/tasks/{main}']")), "the main task is missing from the project page");
    let memo_link = format!("a[href='/tasks/{main}']");
    assert!(eve.get(&format!("/memos/{memo}")).await.exists(&memo_link), "no View task on the memo page");
    assert!(eve.get("/memos").await.exists(&memo_link), "no View task in the memo list");
    // Carl follows the memo and the project, not the tasks (the memo's author is not made a
    // participant of the task unless chosen): he sees neither the link nor the task.
    let carl_parts = ferrocrm::participants::of(&app.db, ferrocrm::access::ItemKind::Task, main).await.unwrap();
    assert!(!carl_parts.relation(carl_id.parse().unwrap()).any());
    assert_eq!(carl.get(&format!("/tasks/{main}")).await.status, 404);
    assert_eq!(carl.get(&format!("/tasks/{sub}")).await.status, 404);
    assert!(!carl.get(&format!("/projects/{project}")).await.exists(&format!("a[href='/tasks/{main}']")));
    assert!(!carl.get(&format!("/memos/{memo}")).await.exists(&memo_link));
}

/// In Chromium: a file chosen on the new task form survives a validation error (a due date in the
/// past, which only the server checks) and is attached when the form is sent again; the task list
/// then says how many tasks there are.
#[tokio::test]
async fn in_the_browser_a_chosen_file_survives_a_validation_error() {
    let app = spawn_app().await;
    let file = tempfile::Builder::new()
        .prefix("agenda-")
        .suffix(".txt")
        .tempfile_in(crate::helpers::app::test_tmp_root())
        .unwrap();
    std::fs::write(file.path(), "1. budget\n2. stand").unwrap();
    let name = file.path().file_name().unwrap().to_string_lossy().to_string();
    let b = Browser::start().await;
    b.login(&app.base, "Helen.Head.Sales", PASSWORD).await;
    b.goto(&format!("{}/tasks/new", app.base)).await;
    b.type_into("#f-name", "Fair agenda").await;
    b.js("document.getElementById('f-due_date').value = '2001-01-01'; return true").await;
    b.type_into("#f-files", &file.path().to_string_lossy()).await; // a file input takes a path
    b.click("main form button[type=submit].btn-primary").await;
    b.wait_text("fieldset.held-files", WAIT, |t| t.contains(&name)).await;
    assert!(b.text("main").await.contains("The due date cannot be in the past."));
    b.js("document.querySelector('fieldset.held-files').scrollIntoView({block: 'center'}); return true").await;
    b.shot("form-kept-file.png").await;
    b.js("document.getElementById('f-due_date').value = ''; return true").await;
    b.click("main form button[type=submit].btn-primary").await;
    b.wait_text("main h1", WAIT, |t| t.contains("Fair agenda")).await;
    b.wait_text("#files", WAIT, |t| t.contains(&name)).await;
    let id: i64 = b.js("return location.pathname.split('/').pop()").await.as_str().unwrap().parse().unwrap();
    let files = ferrocrm::files::of(&app.db, "task", id).await.unwrap();
    assert_eq!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), [name.as_str()]);

    // 60 tasks: the list's footer fills in its total after the page is shown.
    let helen = app.login_as("Helen.Head.Sales").await;
    for i in 0..60 {
        crate::helpers::items::task(&app, &helen, &format!("Stand item {i}"), &["Helen.Head.Sales"], &[], &[]).await;
    }
    b.goto(&format!("{}/tasks", app.base)).await;
    b.wait_text(".pagination .page-info", WAIT, |t| t == "Page 1 of 2 · 61 tasks").await;
    b.js("document.querySelector('.pagination').scrollIntoView({block: 'center'}); return true").await;
    b.shot("task-list-total.png").await;
    b.close().await;
}
