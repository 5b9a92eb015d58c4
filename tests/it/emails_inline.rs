//! `cid:` images (issue 10): a letter with an inline image, appended to a real Dovecot and
//! imported, shows the image from its stored original. The frame's source is the inline route with
//! a sealed `k` (the frame sends no session cookie); the route answers the image's bytes without a
//! cookie, refuses a part that is not an image and a Content-ID the original lacks, and answers 404
//! to a user who may not see the email, to a `k` moved to another email or tampered with, and after
//! logout. In Chromium the frame loads the image (no failed load, no CSP violation), while a
//! missing part's failed load shows that the console does see the frame's requests.

use std::time::{Duration, Instant};

use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::browser::Browser;
use crate::helpers::imap::Dovecot;
use crate::helpers::spawn_app;
use crate::mail_import::{account, deal_of, import};

/// A 24×24 red PNG.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAAAH0lEQVR42mO4o6FBFcQwatCoQaMGjRo0atCoQQNvEADnQaMfvfzvTgAAAABJRU5ErkJggg==";

fn letter(ticket: &str) -> Vec<u8> {
    format!(
        "From: Clara Client <clara@client.example>\r\nTo: mark@example.com\r\n\
         Subject: Our logo - [ticket:{ticket}]\r\nMessage-ID: <logo-1@client.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n\
         --rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Our new logo:</p><p><img src=\"cid:logo@client.example\" alt=\"Logo\" width=\"48\" height=\"48\"></p>\
         <p><img src=\"cid:missing@client.example\" alt=\"Missing\"> <img src=\"cid:page@client.example\" alt=\"Page\"></p>\r\n\
         --rel\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-ID: <logo@client.example>\r\n\
         Content-Disposition: inline; filename=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{PNG_B64}\r\n\
         --rel\r\nContent-Type: text/html; charset=utf-8\r\nContent-ID: <page@client.example>\r\n\r\n\
         <script>alert(1)</script>\r\n--rel--\r\n"
    )
    .into_bytes()
}

fn png() -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(PNG_B64).unwrap()
}

#[tokio::test]
async fn a_cid_image_is_served_from_the_stored_original_to_whoever_may_see_the_email() {
    let app = spawn_app().await;
    let imap = Dovecot::start().await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let (_, ticket) = deal_of(&app, "Mark.Manager.Sales").await;
    let acc = account(&mark, &imap, true).await;
    imap.append("INBOX", &letter(&ticket)).await;
    import(&app, acc).await;
    let id: i64 = app
        .db
        .scalar(Query::select().column("id").from("crm_emails").and_where(Expr::col("account_id").eq(acc)))
        .await
        .unwrap()
        .expect("the letter was filed");

    // Indexed after its batch (the import writes index rows in one sorted step): search finds it.
    let pending: bool =
        app.db.scalar(Query::select().column("search_pending").from("crm_emails")).await.unwrap().unwrap();
    assert!(!pending);
    assert!(mark.get("/emails?q=logo").await.exists(&format!("tr#email-{id}")));
    assert!(!mark.get("/emails?q=nosuchwordhere").await.exists(&format!("tr#email-{id}")));

    // The frame points at the route, with the sealed session; remote images stay blocked.
    let page = mark.get(&format!("/emails/{id}")).await;
    assert_eq!(page.status, 200);
    let frame = scraper::Html::parse_document(&page.attr("iframe.email-body", "srcdoc").expect("the frame"));
    let src = |alt: &str| {
        let sel = scraper::Selector::parse(&format!("img[alt={alt}]")).unwrap();
        frame.select(&sel).next().and_then(|e| e.value().attr("src")).map(str::to_string)
    };
    let logo = src("Logo").expect("the logo keeps a source");
    let prefix = format!("/emails/{id}/inline/logo%40client%2Eexample?k=");
    assert!(logo.starts_with(&prefix), "{logo}");
    assert!(page.header("content-security-policy").unwrap().contains("img-src 'self' data:;"));

    // Without a cookie (as the sandboxed frame asks), the sealed session lets it through.
    let anon = app.client();
    let (status, headers, bytes) = anon.get_bytes(&logo).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, png());
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("sandbox"), "{csp}");
    // With the cookie and no `k` too (an image opened on its own).
    let plain = format!("/emails/{id}/inline/logo@client.example");
    assert_eq!(mark.get_bytes(&plain).await.2, png());
    // A part that is not an image, a Content-ID the original lacks.
    let k = &logo[prefix.len()..];
    let page_part = anon.get_bytes(&format!("/emails/{id}/inline/page%40client.example?k={k}")).await;
    assert_eq!(page_part.0, 415);
    assert!(!String::from_utf8_lossy(&page_part.2).contains("<script"));
    assert_eq!(anon.get_bytes(&format!("/emails/{id}/inline/missing%40client.example?k={k}")).await.0, 404);

    // Someone who may not see the email; a `k` moved to another email, tampered with, or of no one.
    let eve = app.login_as("Eve.Manager.Export").await;
    assert_eq!(eve.get(&format!("/emails/{id}")).await.status, 404);
    assert_eq!(eve.get_bytes(&plain).await.0, 404);
    assert_eq!(anon.get_bytes(&plain).await.0, 404);
    assert_eq!(anon.get_bytes(&format!("/emails/{}/inline/logo%40client.example?k={k}", id + 1)).await.0, 404);
    let tampered = format!("{}{}", &logo[..logo.len() - 3], if logo.ends_with("AAA") { "BBB" } else { "AAA" });
    assert_eq!(anon.get_bytes(&tampered).await.0, 404);
    assert_eq!(anon.get_bytes(&format!("{prefix}v1%3Ax%3Ay")).await.0, 404);

    // In Chromium the frame draws the logo (a red square: its pixels on screen, since no script
    // can look inside the sandboxed frame), with no CSP violation on the way.
    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", crate::helpers::app::PASSWORD).await;
    let _ = b.console().await;
    b.goto(&format!("{}/emails/{id}", app.base)).await;
    let t = Instant::now();
    loop {
        let (_, rows) = b.pixels("iframe.email-body").await;
        let red = rows.iter().flatten().filter(|p| p[0] > 200 && p[1] < 70 && p[2] < 70).count();
        if red >= 24 * 24 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "the frame never drew the logo ({red} red pixels)");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let console = b.console().await;
    assert!(!console.iter().any(|l| l.contains("Content Security Policy")), "{console:?}");
    b.shot("email-cid-image.png").await;

    // Logging out ends what `k` stands for.
    assert_eq!(mark.post_form("/logout", &[]).await.status, 303);
    assert_eq!(anon.get_bytes(&logo).await.0, 404);
}
