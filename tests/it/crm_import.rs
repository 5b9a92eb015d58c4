//! The Excel import of companies, contact persons and leads (§9.3): preview (created / skipped with
//! row numbers and reasons, nothing written), confirm → background job in batches with live
//! progress, the report; the export → import round trip; bad files; rights.

use std::time::{Duration, Instant};

use ferrocrm::excel::Cell;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::{Options, TestApp};
use crate::helpers::client::TestClient;
use crate::helpers::crm;
use crate::helpers::html::Page;

/// id, name, country, owner, department, type, massmail, phone, last contact.
type CompanyRow = (i64, String, Option<i64>, Option<i64>, i64, Option<i64>, bool, String, Option<chrono::NaiveDate>);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn text(s: &str) -> Cell {
    if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) }
}

fn xlsx(headers: &[&str], rows: Vec<Vec<Cell>>) -> Vec<u8> {
    ferrocrm::excel::write_sheet("Sheet1", headers, chrono_tz::Tz::UTC, rows).expect("a workbook")
}

async fn upload(c: &TestClient, path: &str, name: &str, bytes: Vec<u8>) -> Page {
    c.post_multipart(path, &[], &[("file", name, XLSX, bytes)]).await
}

/// Uploads and returns the import's id (the preview's URL).
async fn import(c: &TestClient, path: &str, bytes: Vec<u8>) -> i64 {
    let p = upload(c, path, "list.xlsx", bytes).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let to = p.header("location").expect("a redirect");
    to.strip_prefix("/imports/").and_then(|i| i.parse().ok()).unwrap_or_else(|| panic!("redirect to {to}"))
}

async fn run_jobs(app: &TestApp) {
    while ferrocrm::jobs::run_once(&app.state).await.unwrap() {}
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.db
        .scalar(Query::select().expr(Expr::cust("COUNT(*)")).from(sea_query::Alias::new(table)))
        .await
        .unwrap()
        .unwrap_or(0)
}

async fn id_of(app: &TestApp, table: &str, name: &str) -> i64 {
    app.db
        .scalar(
            Query::select()
                .column("id")
                .from(sea_query::Alias::new(table))
                .and_where(Expr::col("name").eq(name))
                .limit(1),
        )
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{table} {name}"))
}

/// Everything the CRM holds, to prove a refused or previewed file wrote nothing.
async fn crm_counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in ["companies", "contacts", "leads", "company_industries", "lead_industries", "history", "jobs"] {
        out.push(count(app, t).await);
    }
    out
}

fn skipped(p: &Page) -> Vec<(String, String)> {
    let rows = p.texts("table.import-skipped tbody td");
    rows.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect()
}

/// The preview lists what will be created and what will be skipped (row numbers, §9.3 reasons) and
/// writes nothing; confirming writes the rows with §9.3's conversions, once, and reports.
#[tokio::test]
async fn an_import_previews_created_and_skipped_rows_then_writes_them_once_on_confirmation() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    crm::department(&app, "Export").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let mark_id = app.user_id("Mark.Manager.Sales").await;
    let helen_id = app.user_id("Helen.Head.Sales").await;
    let germany = id_of(&app, "countries", "Germany").await;
    let p = mark
        .post_form(
            "/companies",
            &[("full_name", "Old Corp"), ("email", "old@x.org"), ("country_id", &germany.to_string())],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);

    // The list offers the import; its page names the columns.
    let list = mark.get("/companies").await;
    assert_eq!(list.attr("a[href='/companies/import']", "href").as_deref(), Some("/companies/import"));
    let form = mark.get("/companies/import").await;
    assert_eq!(form.status, 200);
    assert!(form.text("main").contains("Only the following columns will be imported"), "{}", form.body);
    assert!(form.texts("main code").contains(&"full_name".to_string()));

    let headers = [
        "full_name",
        "email",
        "country",
        "owner",
        "type",
        "industry",
        "department",
        "was_in_touch",
        "massmail",
        "phone",
    ];
    let row = |cells: &[&str]| cells.iter().map(|c| text(c)).collect::<Vec<Cell>>();
    let rows = vec![
        // Row 2: created, with every conversion.
        row(&[
            "  Acme\nGmbH ",
            "info@acme.de",
            "Germany",
            "Helen.Head.Sales",
            "dealer",
            "railway, aviation, no such",
            "Export",
            "2026-03-01",
            "False",
            "+49 30 1",
        ]),
        // 3: exists already (name + country).
        row(&["Old Corp", "o@x.org", "Germany", "", "", "", "", "", "", ""]),
        // 4: invalid email.
        row(&["Bad Mail", "nope", "", "", "", "", "", "", "", ""]),
        // 5: unknown owner.
        row(&["Ghost Owned", "g@x.org", "", "Nobody.Here", "", "", "", "", "", ""]),
        // 6: created; invalid date → empty; unknown country → none; empty owner → the importer.
        row(&["Beta", "b@x.org", "Atlantis", "", "", "", "", "31.02.2026x", "", ""]),
        // 7: the same as row 6 (twice in the file).
        row(&["Beta", "b2@x.org", "Atlantis", "", "", "", "", "", "", ""]),
    ];
    let before = crm_counts(&app).await;
    let id = import(&mark, "/companies/import", xlsx(&headers, rows)).await;
    assert_eq!(crm_counts(&app).await, before, "a preview writes nothing to the CRM (nor queues a job)");

    let preview = mark.get(&format!("/imports/{id}")).await;
    assert_eq!(preview.status, 200);
    let summary = preview.text(".import-summary");
    assert!(
        summary.contains("6 rows read")
            && summary.contains("2 will be created")
            && summary.contains("4 will be skipped"),
        "{summary}"
    );
    let created = preview.texts("table.import-created tbody tr td:nth-child(2)");
    assert_eq!(created, ["Acme GmbH", "Beta"]);
    let s = skipped(&preview);
    assert_eq!(s.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(), ["3", "4", "5", "7"]);
    assert_eq!(s[0].1, "Already exists: Old Corp");
    assert_eq!(s[1].1, "Invalid email address: nope");
    assert!(s[2].1.contains("Nobody.Here"), "{}", s[2].1);
    assert_eq!(s[3].1, "Already exists: Beta");

    // Another user cannot see or confirm it.
    let helen = app.login_as("Helen.Head.Sales").await;
    assert_eq!(helen.get(&format!("/imports/{id}")).await.status, 404);
    assert_eq!(helen.post_form(&format!("/imports/{id}/confirm"), &[]).await.status, 404);
    assert_eq!(crm_counts(&app).await, before);

    // Confirm (twice: the second changes nothing), then the job runs.
    assert_eq!(mark.post_form(&format!("/imports/{id}/confirm"), &[]).await.status, 303);
    assert_eq!(mark.post_form(&format!("/imports/{id}/confirm"), &[]).await.status, 303);
    assert_eq!(ferrocrm::jobs::by_kind(&app.db, ferrocrm::crm::import::JOB).await.unwrap().len(), 1);
    run_jobs(&app).await;
    assert_eq!(count(&app, "companies").await, 3);

    let acme: CompanyRow = app
        .db
        .fetch_optional(
            Query::select()
                .columns([
                    "id",
                    "full_name",
                    "country_id",
                    "owner_id",
                    "department_id",
                    "type_id",
                    "massmail",
                    "phone",
                    "was_in_touch",
                ])
                .from("companies")
                .and_where(Expr::col("full_name").eq("Acme GmbH")),
        )
        .await
        .unwrap()
        .expect("Acme imported");
    // Imported rows are in the search index (§10): a word search finds them, an ID search too.
    let found = mark.get("/companies?owner=all&q=acme").await;
    assert!(found.text("main table").contains("Acme GmbH"), "{}", found.body);
    let export = crm::department(&app, "Export").await;
    assert_eq!(acme.2, Some(germany));
    assert_eq!(acme.3, Some(helen_id), "owner by username");
    // Mark may not create in Export: the row goes to his department.
    assert_eq!(acme.4, sales, "a department the importer may not use → theirs");
    assert_ne!(acme.4, export);
    let dealer: Option<i64> = app
        .db
        .scalar(
            Query::select()
                .column("id")
                .from("client_types")
                .and_where(Expr::col("name").eq("dealer"))
                .and_where(Expr::col("department_id").eq(sales)),
        )
        .await
        .unwrap();
    assert_eq!(acme.5, dealer, "type by name, in the row's department");
    assert!(!acme.6, "massmail False");
    assert_eq!(acme.7, "+49 30 1");
    assert_eq!(acme.8, Some(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()));
    let industries: Vec<(String,)> = app
        .db
        .fetch_all(
            Query::select()
                .column(("industries", "name"))
                .from("company_industries")
                .inner_join("industries", Expr::col(("industries", "id")).equals(("company_industries", "industry_id")))
                .and_where(Expr::col(("company_industries", "company_id")).eq(acme.0)),
        )
        .await
        .unwrap();
    let mut industries: Vec<String> = industries.into_iter().map(|i| i.0).collect();
    industries.sort();
    assert_eq!(industries, ["aviation", "railway"], "known industries; unknown ignored");
    let beta: (Option<i64>, Option<i64>, Option<chrono::NaiveDate>) = app
        .db
        .fetch_optional(
            Query::select()
                .columns(["country_id", "owner_id", "was_in_touch"])
                .from("companies")
                .and_where(Expr::col("full_name").eq("Beta")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(beta, (None, Some(mark_id), None));
    // History rows, as the form writes them.
    let history: i64 = app
        .db
        .scalar(
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from("history")
                .and_where(Expr::col("object_type").eq("company"))
                .and_where(Expr::col("object_id").eq(acme.0)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history, 1);

    // The report; a third confirm after the end writes nothing more.
    let report = mark.get(&format!("/imports/{id}")).await;
    let result = report.text(".import-result");
    assert!(result.contains("2 companies created") && result.contains("4 skipped"), "{result}");
    assert_eq!(skipped(&report).len(), 4);
    assert_eq!(mark.post_form(&format!("/imports/{id}/confirm"), &[]).await.status, 303);
    run_jobs(&app).await;
    assert_eq!(count(&app, "companies").await, 3);
    let bell = mark.get("/notifications").await;
    assert!(bell.body.contains("Import of companies finished: 2 created, 4 skipped"), "the importer is notified");

    // Contacts: the company by exact name; without one, "Company was not assigned".
    let id = import(
        &mark,
        "/contacts/import",
        xlsx(
            &["first_name", "last_name", "email", "company", "sex", "birth_date"],
            vec![
                vec![
                    text("Anna"),
                    text("Berg"),
                    text("anna@acme.de"),
                    text("Acme GmbH"),
                    text("Female"),
                    Cell::Date(chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap()),
                ],
                vec![text("Nils"), text("Holm"), text("nils@x.org"), text("No Such Company"), text(""), Cell::Empty],
            ],
        ),
    )
    .await;
    let preview = mark.get(&format!("/imports/{id}")).await;
    let s = skipped(&preview);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, "3");
    assert!(s[0].1.starts_with("Error with: Nils Holm") && s[0].1.contains("Company was not assigned"), "{}", s[0].1);
    assert_eq!(mark.post_form(&format!("/imports/{id}/confirm"), &[]).await.status, 303);
    run_jobs(&app).await;
    let anna: (i64, i64, Option<i64>, String) = app
        .db
        .fetch_optional(Query::select().columns(["company_id", "department_id", "owner_id", "sex"]).from("contacts"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(anna, (acme.0, sales, Some(helen_id), "F".to_string()), "the company's department and owner (§2.2)");
}

/// Export a list and import the file: into an empty database every row comes back with the same
/// values (the second export equals the first); into the same database every row is skipped as
/// "Already exists".
#[tokio::test]
async fn an_exported_list_imports_back_equal_and_a_second_import_skips_every_row() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let germany = id_of(&app, "countries", "Germany").await.to_string();
    let pick = |table: &'static str, name: &'static str| {
        let app = &app;
        async move {
            let id: Option<i64> = app
                .db
                .scalar(
                    Query::select()
                        .column("id")
                        .from(sea_query::Alias::new(table))
                        .and_where(Expr::col("name").eq(name))
                        .and_where(Expr::col("department_id").eq(sales)),
                )
                .await
                .unwrap();
            id.unwrap().to_string()
        }
    };
    let dealer = pick("client_types", "dealer").await;
    let fair = pick("lead_sources", "exhibition").await;
    for (name, email, extra) in [
        (
            "Acme GmbH",
            "info@acme.de, sales@acme.de",
            vec![
                ("country_id", germany.as_str()),
                ("type_id", dealer.as_str()),
                ("lead_source_id", fair.as_str()),
                ("was_in_touch", "2026-02-03"),
                ("website", "acme.de"),
                ("description", "Two\nlines"),
            ],
        ),
        (
            "Beta Ltd",
            "b@beta.co",
            vec![("phone", "+44 20 1"), ("city_name", "London"), ("address", "1 High St"), ("disqualified", "on")],
        ),
    ] {
        let mut form = vec![("full_name", name), ("email", email)];
        form.extend(extra);
        assert_eq!(mark.post_form("/companies", &form).await.status, 303);
    }
    let acme: i64 = app
        .db
        .scalar(Query::select().column("id").from("companies").and_where(Expr::col("full_name").eq("Acme GmbH")))
        .await
        .unwrap()
        .unwrap();
    for name in ["railway", "aviation"] {
        let industry = pick("industries", name).await;
        let mut tx = app.db.begin().await.unwrap();
        tx.execute(
            Query::insert()
                .into_table("company_industries")
                .columns(["company_id", "industry_id"])
                .values_panic([acme.into(), industry.parse::<i64>().unwrap().into()]),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let acme_s = acme.to_string();
    for (first, last, email, extra) in [
        (
            "Anna",
            "Berg",
            "anna@acme.de",
            vec![("sex", "F"), ("birth_date", "1990-05-17"), ("title", "CEO"), ("mobile", "+49 1")],
        ),
        ("Jon", "", "jon@acme.de", vec![("massmail", "")]),
    ] {
        let mut form =
            vec![("first_name", first), ("last_name", last), ("email", email), ("company_id", acme_s.as_str())];
        form.extend(extra);
        let p = mark.post_form("/contacts", &form).await;
        assert_eq!(p.status, 303, "{}", p.body);
    }
    for (first, email, extra) in [
        (
            "Lena",
            "lena@gamma.io",
            vec![
                ("company_name", "Gamma"),
                ("company_email", "office@gamma.io"),
                ("lead_source_id", fair.as_str()),
                ("country_id", germany.as_str()),
                ("sex", "F"),
            ],
        ),
        ("Ole", "ole@delta.no", vec![("website", "https://delta.no"), ("description", "Met at the fair")]),
    ] {
        let mut form = vec![("first_name", first), ("email", email)];
        form.extend(extra);
        let p = mark.post_form("/leads", &form).await;
        assert_eq!(p.status, 303, "{}", p.body);
    }

    let mut files = Vec::new();
    for path in ["/companies", "/contacts", "/leads"] {
        let (status, _, bytes) = mark.get_bytes(&format!("{path}/export?owner=all")).await;
        assert_eq!(status, 200);
        assert_eq!(ferrocrm::excel::read_sheet(&bytes, &Default::default()).unwrap().rows.len(), 2, "{path}");
        files.push((path, bytes));
    }

    // Into the same database: everything is there already.
    let before = crm_counts(&app).await;
    for (path, bytes) in &files {
        let id = import(&mark, &format!("{path}/import"), bytes.clone()).await;
        let preview = mark.get(&format!("/imports/{id}")).await;
        assert!(
            preview.text(".import-summary").contains("0 will be created"),
            "{path}: {}",
            preview.text(".import-summary")
        );
        let s = skipped(&preview);
        assert_eq!(s.len(), 2, "{path}");
        assert!(s.iter().all(|(_, r)| r.starts_with("Already exists: ")), "{path}: {s:?}");
        assert!(!preview.exists("form[action$='/confirm']"), "nothing to confirm");
    }
    assert_eq!(crm_counts(&app).await, before);

    // Into an empty database: the same rows come back (the export of the copy equals the original's).
    let copy = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&copy, "Sales").await;
    let mark2 = copy.login_as("Mark.Manager.Sales").await;
    for (path, bytes) in &files {
        let id = import(&mark2, &format!("{path}/import"), bytes.clone()).await;
        let preview = mark2.get(&format!("/imports/{id}")).await;
        assert!(preview.text(".import-summary").contains("2 will be created"), "{path}: {}", preview.body);
        assert_eq!(mark2.post_form(&format!("/imports/{id}/confirm"), &[]).await.status, 303);
        run_jobs(&copy).await;
        let (_, _, again) = mark2.get_bytes(&format!("{path}/export?owner=all")).await;
        let a = ferrocrm::excel::read_sheet(bytes, &Default::default()).unwrap();
        let b = ferrocrm::excel::read_sheet(&again, &Default::default()).unwrap();
        assert_eq!(a.headers, b.headers);
        assert_eq!(a.rows, b.rows, "{path}: the same field values");
    }
}

/// A confirmed import runs in the background: its page's progress region gets an event after
/// every batch, and 10,000 rows all arrive.
#[tokio::test]
async fn ten_thousand_rows_import_in_the_background_with_live_progress_events() {
    let app = TestApp::with(Options { seed_users: true, workers: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let rows: Vec<Vec<Cell>> = (1..=10_000)
        .map(|i| {
            vec![
                text(&format!("Company {i:05}")),
                text(&format!("c{i}@example.com")),
                text("Germany"),
                text("+49 30 {i}"),
            ]
        })
        .collect();
    let id = import(&mark, "/companies/import", xlsx(&["full_name", "email", "country", "phone"], rows)).await;
    let page = mark.get(&format!("/imports/{id}")).await;
    assert!(page.text(".import-summary").contains("10,000 will be created"));
    let mut sse = mark.sse().await;
    let started = Instant::now();
    assert_eq!(mark.post_form(&format!("/imports/{id}/confirm"), &[]).await.status, 303);
    let name = format!("import-{id}-changed");
    let running = mark.get(&format!("/imports/{id}")).await;
    let region = format!("#import-{id}-progress");
    assert_eq!(running.attr(&region, "data-live").as_deref(), Some(format!("/imports/{id}/progress").as_str()));
    assert!(running.attr(&region, "data-live-on").unwrap().contains(&name));
    // One event per batch of 500 and one at the end: the region re-fetches on each.
    let mut events = 0;
    loop {
        sse.expect(&name, Duration::from_secs(120)).await;
        events += 1;
        let region_now = mark.hx_get(&format!("/imports/{id}/progress")).await;
        if region_now.exists(".import-result") {
            assert!(region_now.text(".import-result").contains("10,000 companies created, 0 skipped"));
            break;
        }
        assert!(region_now.exists(&format!("{region} progress")), "{}", region_now.body);
    }
    let took = started.elapsed();
    assert!(events >= 2, "progress events during the import ({events})");
    assert_eq!(count(&app, "companies").await, 10_000);
    println!(
        "BENCH import 10000 companies ({}): {:.2} s",
        if std::env::var("TEST_DATABASE_URL").is_ok() { "postgres" } else { "sqlite" },
        took.as_secs_f64()
    );
}

/// A file that is not a usable workbook gets a clear message in the page and changes nothing.
#[tokio::test]
async fn bad_files_get_a_clear_message_and_change_nothing() {
    use std::io::{Read, Write};

    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let mark = app.login_as("Mark.Manager.Sales").await;
    let before = crm_counts(&app).await;
    let imports = count(&app, "imports").await;

    let good = xlsx(&["full_name", "email", "phone"], vec![vec![text("Acme"), text("a@x.org"), Cell::Int(4242424242)]]);
    // The same workbook with the phone cell turned into an error value.
    let broken = {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(good.clone())).unwrap();
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            if name == "xl/worksheets/sheet1.xml" {
                let xml = String::from_utf8(data).unwrap();
                let at = xml.find("<v>4242424242</v>").expect("the number cell");
                let cell = xml[..at].rfind("<c ").unwrap();
                let xml = format!("{}<c t=\"e\" {}", &xml[..cell], &xml[cell + 3..])
                    .replace("<v>4242424242</v>", "<v>#DIV/0!</v>");
                data = xml.into_bytes();
            }
            out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&data).unwrap();
        }
        out.finish().unwrap().into_inner()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("notes.xlsx", b"just some text, not a workbook".to_vec(), "This is not an Excel workbook"),
        ("list.xlsx", b"full_name,email\nAcme,a@x.org\n".to_vec(), "This is not an Excel workbook"),
        ("other.xlsx", xlsx(&["name", "mail"], vec![vec![text("Acme"), text("a@x.org")]]), "has no column “full_name”"),
        ("empty.xlsx", xlsx(&["full_name", "email"], vec![]), "no rows below its header"),
        ("broken.xlsx", broken, "Cell C2 holds the error #DIV/0!"),
        ("big.xlsx", vec![b'x'; 11 * 1024 * 1024], "larger than the 10 MB allowed"),
    ];
    for (name, bytes, message) in cases {
        let p = upload(&mark, "/companies/import", name, bytes).await;
        assert_eq!(p.status, 422, "{name}: {}", p.status);
        assert!(p.text("#import-error").contains(message), "{name}: {}", p.text("#import-error"));
        assert!(p.exists("input[type=file][name=file]"), "{name}: the form again");
    }
    // No file chosen.
    let p = mark.post_multipart("/companies/import", &[], &[]).await;
    assert_eq!(p.status, 422);
    assert!(p.text("#import-error").contains("Choose an Excel file"));
    // 50 MB: over the request cap, refused before the body is read, with a message.
    let p = upload(&mark, "/companies/import", "huge.xlsx", vec![0u8; 50 * 1024 * 1024]).await;
    assert_eq!(p.status, 413);
    assert!(p.body.contains("larger than the allowed"), "{}", p.body);
    assert_eq!(crm_counts(&app).await, before);
    assert_eq!(count(&app, "imports").await, imports, "no plan stored either");
}

/// Importing is creating: whoever may not create the kind gets no link and 403.
#[tokio::test]
async fn only_those_who_may_create_the_kind_may_import_it() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let file = xlsx(&["full_name", "email"], vec![vec![text("Acme"), text("a@x.org")]]);
    for user in ["Carl.CoWorker", "Anna.Accountant", "Tina.TaskOperator"] {
        let c = app.login_as(user).await;
        assert_eq!(c.get("/companies/import").await.status, 403, "{user}");
        assert_eq!(upload(&c, "/companies/import", "a.xlsx", file.clone()).await.status, 403, "{user}");
    }
    let garry = app.login_as("Garry.Chief").await;
    let list = garry.get("/companies").await;
    let may = list.exists("a[href='/companies/new']");
    assert_eq!(list.exists("a[href='/companies/import']"), may, "the link goes with the right to create");
    assert_eq!(garry.get("/companies/import").await.status, if may { 200 } else { 403 });
    assert_eq!(count(&app, "companies").await, 0);
    assert_eq!(count(&app, "imports").await, 0);
}

/// In a real browser: choose the file, read the preview, confirm; the page's progress region
/// follows the job over the live stream and ends on the report, without a reload.
#[tokio::test]
async fn in_the_browser_the_import_page_follows_the_job_live_to_its_report() {
    use crate::helpers::app::PASSWORD;
    use crate::helpers::browser::Browser;

    let app = TestApp::with(Options { seed_users: true, workers: true, ..Default::default() }).await;
    crm::department(&app, "Sales").await;
    let rows: Vec<Vec<Cell>> = (1..=2_000)
        .map(|i| vec![text(&format!("Firm {i:04}")), text(&format!("f{i}@example.com"))])
        .chain([vec![text("No Mail Ltd"), text("not-an-address")]])
        .collect();
    let path = app.dir.path().join("companies.xlsx");
    std::fs::write(&path, xlsx(&["full_name", "email"], rows)).unwrap();

    let b = Browser::start().await;
    b.login(&app.base, "Mark.Manager.Sales", PASSWORD).await;
    b.goto(&app.url("/companies")).await;
    b.click("a[href='/companies/import']").await;
    b.wait_text("h1", Duration::from_secs(10), |t| t == "Import companies").await;
    b.shot("import-form.png").await;
    b.type_into("#import-file", path.to_str().unwrap()).await;
    b.click("form[action='/companies/import'] button[type=submit]").await;
    b.wait_text(".import-summary", Duration::from_secs(30), |t| t.contains("2,000 will be created")).await;
    assert!(b.text("table.import-skipped").await.contains("Invalid email address: not-an-address"));
    b.shot("import-preview.png").await;
    assert_eq!(count(&app, "companies").await, 0);
    b.wait_live().await;
    b.click("form[action$='/confirm'] button[type=submit]").await;
    b.wait_text(".import-result", Duration::from_secs(120), |t| t.contains("2,000 companies created, 1 skipped")).await;
    b.shot("import-report.png").await;
    assert_eq!(count(&app, "companies").await, 2_000);
    b.close().await;
}
