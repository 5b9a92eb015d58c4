//! The embedded web form in a real browser (issue 9): a page on a second local origin embeds the
//! snippet and a visitor submits it; a page on an origin the lead source does not list can neither
//! submit (no CORS, 403) nor frame the form (`frame-ancestors`). The operator's live requests list
//! is the last test, which needs the requests list of the req-kind branch.

use std::time::{Duration, Instant};

use ferrocrm::requests::intake::IntakeConfig;
use sea_query::{Expr, ExprTrait, Query};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;
use crate::helpers::browser::Browser;
use crate::requests_intake::{app_with, requests};

const WAIT: Duration = Duration::from_secs(10);

/// A tiny website on its own origin (`http://127.0.0.1:<port>`): `/embed` carries the script
/// snippet, `/frame` the iframe snippet of the CRM's form at `form_url`.
async fn website(form_url: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let form_url = form_url.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = 0;
                while got < buf.len() {
                    match s.read(&mut buf[got..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got += n,
                    }
                    if buf[..got].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf[..got]);
                let body = if head.starts_with("GET /embed ") {
                    format!(
                        "<!doctype html><html><head><title>Shop</title></head><body><h1>Our shop</h1>\
<p>Write to us:</p><script src=\"{form_url}embed.js\" async></script><footer>Shop footer</footer></body></html>"
                    )
                } else if head.starts_with("GET /frame ") {
                    format!(
                        "<!doctype html><html><head><title>Shop</title></head><body><h1>Our shop</h1>\
<iframe src=\"{form_url}\" title=\"Contact form\" width=\"480\" height=\"720\"></iframe></body></html>"
                    )
                } else {
                    String::new()
                };
                let status = if body.is_empty() { "404 Not Found" } else { "200 OK" };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    origin
}

/// The app with a City database that puts the loopback visitor in Berlin, a lead source of Sales
/// and two websites: the first listed on the lead source, the second not. Returns (app, token,
/// allowed site, foreign site).
async fn setup() -> (TestApp, tempfile::TempDir, String, String, String) {
    use mmdb_writer::ipnet::IpNet;
    let dir = tempfile::tempdir().unwrap();
    let mut w = mmdb_writer::Writer::new("GeoLite2-City");
    let berlin = serde_json::json!({ "country": { "iso_code": "DE", "names": { "en": "Germany" } }, "city": { "names": { "en": "Berlin" } } });
    w.insert("127.0.0.0/8".parse::<IpNet>().unwrap(), &berlin).unwrap();
    let db = dir.path().join("city.mmdb");
    std::fs::write(&db, w.to_bytes().unwrap()).unwrap();
    let intake = IntakeConfig {
        geoip_db: Some(db),
        per_ip: 1_000,
        per_source: 1_000,
        // A person takes longer than this; the visitor below waits for it, as a person would.
        min_fill: Duration::from_secs(1),
        ..Default::default()
    };
    let app = app_with(intake).await;
    let (id, token) = crate::requests_intake::lead_source(&app).await;
    let form_url = format!("{}/contact-form/{token}/", app.base);
    let allowed = website(form_url.clone()).await;
    let foreign = website(form_url).await;
    app.db
        .execute(
            &Query::update()
                .table("lead_sources")
                .value("allowed_origins", allowed.clone())
                .and_where(Expr::col("id").eq(id))
                .to_owned(),
        )
        .await
        .unwrap();
    (app, dir, token, allowed, foreign)
}

/// Fills the embedded form like a person (at least a second after the page came) and sends it.
async fn fill_and_send(b: &Browser, subject: &str, shown: Instant) {
    b.client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css(".ferrocrm-form input[name=name]"))
        .await
        .expect("the embedded form appears");
    for (name, value) in [
        ("name", "Greta <b>Berg</b>"),
        ("email", "greta@harbour.example"),
        ("phone", "+49 40 555 0101"),
        ("company", "Harbour Pumps GmbH"),
        ("subject", subject),
    ] {
        b.type_into(&format!(".ferrocrm-form input[name={name}]"), value).await;
    }
    b.type_into(".ferrocrm-form textarea[name=message]", "Forty pumps, please.").await;
    if let Some(rest) = Duration::from_millis(1100).checked_sub(shown.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    b.click(".ferrocrm-form button[type=submit]").await;
}

#[tokio::test]
async fn a_page_on_a_listed_origin_embeds_the_form_and_a_visitor_sends_it() {
    let (app, _dir, token, allowed, _) = setup().await;
    let b = Browser::start().await;
    b.goto(&format!("{allowed}/embed")).await;
    let shown = Instant::now();
    fill_and_send(&b, "Pumps for the harbour", shown).await;
    b.wait_text(".ferrocrm-thanks", WAIT, |t| t == "Dear Greta <b>Berg</b>, thanks for your request!").await;
    // Rendered as text: no <b> element came from the visitor's name.
    assert_eq!(b.js("return document.querySelectorAll('.ferrocrm-thanks b').length").await, serde_json::json!(0));
    b.shot("intake-embed-thanks.png").await;
    let stored = requests(&app).await;
    assert_eq!(stored.len(), 1);
    let germany: i64 = app
        .db
        .scalar(Query::select().column("id").from("countries").and_where(Expr::col("name").eq("Germany")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored[0].5, stored[0].6.as_str()), (Some(germany), "Berlin"), "located by its address");
    assert_eq!(stored[0].3, "Harbour Pumps GmbH");

    // The iframe snippet on the same site shows the CRM-hosted form.
    b.goto(&format!("{allowed}/frame")).await;
    b.client.wait().at_most(WAIT).for_element(fantoccini::Locator::Css("iframe")).await.unwrap();
    b.client.enter_frame(0).await.unwrap();
    b.client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css("#contact-form"))
        .await
        .expect("the framed form");
    assert_eq!(b.text("h1").await, "Contact us");
    b.client.enter_parent_frame().await.unwrap();
    b.shot("intake-iframe.png").await;

    // The lead source page: both snippets and the live preview (a framed form on the CRM's origin).
    b.login(&app.base, "Adam.Admin", crate::helpers::app::PASSWORD).await;
    let id: i64 = app
        .db
        .scalar(Query::select().column("id").from("lead_sources").and_where(Expr::col("token").eq(token.as_str())))
        .await
        .unwrap()
        .unwrap();
    b.goto(&format!("{}/dictionaries/lead-sources/{id}", app.base)).await;
    b.client.wait().at_most(WAIT).for_element(fantoccini::Locator::Css("#snippet-script")).await.expect("snippets");
    let snippet = b.js("return document.querySelector('#snippet-script').value").await;
    assert!(snippet.as_str().is_some_and(|s| s.contains(&format!("/contact-form/{token}/embed.js"))), "{snippet}");
    b.client.enter_frame(0).await.unwrap();
    b.client
        .wait()
        .at_most(WAIT)
        .for_element(fantoccini::Locator::Css("#contact-form-preview"))
        .await
        .expect("the preview");
    b.client.enter_parent_frame().await.unwrap();
    b.shot("intake-lead-source-page.png").await;
    b.close().await;
}

#[tokio::test]
async fn a_page_on_an_unlisted_origin_can_neither_send_nor_frame_the_form() {
    let (app, _dir, _token, _, foreign) = setup().await;
    let b = Browser::start().await;
    // The script itself loads anywhere (it is public), but its post is refused and unreadable.
    b.goto(&format!("{foreign}/embed")).await;
    let shown = Instant::now();
    fill_and_send(&b, "Not from here", shown).await;
    b.wait_text(".ferrocrm-status", WAIT, |t| t.contains("could not be sent")).await;
    assert!(requests(&app).await.is_empty(), "a post from an unlisted origin was stored");
    let log = b.console().await;
    assert!(log.iter().any(|l| l.contains("Access-Control-Allow-Origin")), "no CORS refusal in {log:?}");

    // Framing: Chromium refuses to show the form (frame-ancestors), the frame holds no form.
    b.goto(&format!("{foreign}/frame")).await;
    let start = Instant::now();
    loop {
        let log = b.console().await;
        if log.iter().any(|l| l.contains("frame-ancestors")) {
            break;
        }
        assert!(start.elapsed() < WAIT, "no frame-ancestors refusal: {log:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.client.enter_frame(0).await.unwrap();
    assert_eq!(b.js("return document.querySelector('#contact-form') === null").await, serde_json::json!(true));
    b.client.enter_parent_frame().await.unwrap();
    b.close().await;
}

/// Needs `/requests` (the requests list of the req-kind branch) and the live event of
/// `requests::create::create_incoming` (req-match's): runs after the merge.
#[tokio::test]
async fn the_operators_open_requests_list_shows_a_web_form_request_within_a_second() {
    let (app, _dir, _token, allowed, _) = setup().await;
    let (operator, visitor) = Browser::pair().await;
    operator.login(&app.base, "Olga.Operator.Sales", crate::helpers::app::PASSWORD).await;
    operator.goto(&format!("{}/requests", app.base)).await;
    operator.wait_live().await;
    visitor.goto(&format!("{allowed}/embed")).await;
    let shown = Instant::now();
    fill_and_send(&visitor, "Pumps for the dry dock", shown).await;
    visitor.wait_text(".ferrocrm-thanks", WAIT, |t| t.contains("thanks for your request")).await;
    let ticket = requests(&app).await.pop().expect("stored").4;
    operator
        .wait_text("main", Duration::from_secs(1), |t| {
            t.contains("Pumps for the dry dock") && t.contains(&ticket) && t.contains("Berlin")
        })
        .await;
    operator.shot("intake-operator-list.png").await;
    operator.close().await;
    visitor.close().await;
}
