//! A hostile HTML email in a real browser (issue 10): its scripts, event handlers and
//! `javascript:` links do nothing, and it makes no request to the outside until the user asks for
//! its images. A local server plays the outside world and records every request it gets; the
//! image it serves after "Show images" is the positive control (the server works, and the page
//! lets images through only then).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::emails::{Mail, mail};
use crate::helpers::browser::Browser;
use crate::helpers::{crm, spawn_app};

/// A web server on its own origin that answers every request with a 1×1 GIF and records its path.
async fn outside() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                log.lock().unwrap().push(path);
                const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    GIF.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(GIF).await;
            });
        }
    });
    (origin, seen)
}

#[tokio::test]
async fn a_hostile_html_email_runs_no_script_and_loads_nothing_until_asked() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let (out, seen) = outside().await;
    let html: &'static str = Box::leak(
        format!(
            r#"<p>Visible body</p>
<script>fetch("{out}/script"); parent.document.title = "pwned";</script>
<img src="x" onerror="fetch('{out}/onerror'); parent.document.title = 'pwned'">
<svg><script>fetch("{out}/svg")</script></svg>
<a id="bad" href="javascript:fetch('{out}/javascript')">click me</a>
<img src="{out}/pixel.gif" alt="pixel">
<form action="{out}/form" method="post"><input name="p" value="x"><button>Send</button></form>
<link rel="stylesheet" href="{out}/style.css"><div style="background:url({out}/bg.gif)">styled</div>"#
        )
        .into_boxed_str(),
    );
    let id = mail(
        &app,
        Mail { subject: "Hostile", html, incoming: true, owner: Some(mark), department: sales, ..Default::default() },
    )
    .await;

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&format!("{}/emails/{id}", app.base)).await;
    assert_eq!(b.text("h1").await, "Hostile");
    // The frame has loaded its document (the parent sees its load event; not its inside).
    let t = Instant::now();
    while b.js("return document.readyState").await != "complete" {
        assert!(t.elapsed() < Duration::from_secs(10), "the page did not load");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(b.attr("iframe.email-body", "sandbox").await.is_some_and(|s| !s.contains("allow-scripts")));
    b.shot("email-hostile.png").await;
    // A click on the javascript: link inside the frame (if it were there) could run nothing either:
    // the frame has no scripts. The user asks for the images.
    b.click("a.show-images").await;
    let t = Instant::now();
    loop {
        if seen.lock().unwrap().iter().any(|p| p == "/pixel.gif") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the image never loaded after Show images: {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests, vec!["/pixel.gif".to_string()], "only the image the user asked for was fetched");
    assert!(!b.js("return document.title").await.as_str().unwrap_or("").contains("pwned"), "a script ran");
    assert_eq!(b.text("h1").await, "Hostile");
    b.shot("email-hostile-images.png").await;
}

/// The list, a click to an HTML email, and the deal page's letters, as a person sees them; the
/// list follows a new email live.
#[tokio::test]
async fn the_email_list_leads_to_the_email_and_the_deal_shows_its_letters() {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let made = crm::spread(&app, &[sales], &[Some(mark)], None).await;
    let deal = made.rows.iter().find(|(k, _)| *k == "deal").map(|(_, i)| *i).unwrap();
    let contact = made.rows.iter().find(|(k, _)| *k == "contact").map(|(_, i)| *i);
    let base = |subject, age_days| Mail {
        subject,
        owner: Some(mark),
        department: sales,
        deal: Some(deal),
        contact,
        ticket: "DEMO000001",
        age_days,
        ..Default::default()
    };
    mail(&app, Mail { sent: true, content: "Please find our offer attached.", ..base("Offer for 12 pumps", 3) }).await;
    let reply = mail(
        &app,
        Mail {
            incoming: true,
            html: "<p>Hello,</p><p>Thank you for the offer. We would like to discuss the delivery terms.</p>\
<p>See our <a href=\"https://client.example/terms\">terms</a>.</p><p><img src=\"https://images.client.example/logo.png\" alt=\"Client logo\"></p>",
            content: "Hello, thank you for the offer.",
            ..base("Re: Offer for 12 pumps", 2)
        },
    )
    .await;
    mail(&app, Mail { content: "Draft of the contract", ..base("Contract draft", 1) }).await;

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    b.goto(&format!("{}/emails", app.base)).await;
    b.wait_text(&format!("tr#email-{reply}"), Duration::from_secs(10), |t| t.contains("Re: Offer for 12 pumps")).await;
    b.shot("email-list.png").await;
    b.wait_live().await;
    // A new email appears in the open list by itself.
    let live = mail(&app, Mail { incoming: true, ..base("Live arrival", 0) }).await;
    let it = ferrocrm::items::load_any(&app.db, ferrocrm::access::ItemKind::Email, live).await.unwrap();
    ferrocrm::items::publish_changed(&app.state.bus, &it);
    b.wait_text(&format!("tr#email-{live}"), Duration::from_secs(10), |t| t.contains("Live arrival")).await;
    b.click(&format!("tr#email-{reply} a")).await;
    b.wait_text("h1", Duration::from_secs(10), |t| t.contains("Re: Offer for 12 pumps")).await;
    assert!(b.attr("iframe.email-body", "srcdoc").await.is_some_and(|d| d.contains("delivery terms")));
    b.shot("email-page.png").await;
    b.goto(&format!("{}/deals/{deal}", app.base)).await;
    b.wait_text("section.letters", Duration::from_secs(10), |t| t.contains("Re: Offer for 12 pumps")).await;
    b.js("document.querySelector('section.letters').scrollIntoView()").await;
    b.shot("deal-letters.png").await;
}
