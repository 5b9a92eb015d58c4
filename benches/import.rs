//! Import speed (issue 8: 10,000 rows in under 10 s): builds a 10,000-row companies workbook, then
//! does what `POST /companies/import` and `POST /imports/:id/confirm` do — read the sheet, plan the
//! rows (the §9.3 look-ups), store the preview — and runs the import job to the end, printing each
//! phase's time. Not a timed test: a measurement to run on a quiet machine.
//!
//!   cargo bench --bench import                      # SQLite, a fresh file in a temp dir
//!   BENCH_DATABASE_URL=postgres://…/db cargo bench --bench import   # an empty PostgreSQL database
//!   BENCH_ROWS=20000 FERROCRM_LOG=warn,sqlx::query=debug cargo bench --bench import   # statement timings

use std::time::Instant;

use ferrocrm::access::{Role, Viewer};
use ferrocrm::app::App;
use ferrocrm::config::Config;
use ferrocrm::excel::Cell;
use ferrocrm::history::Actor;
use ferrocrm::users::model::UserInput;
use ferrocrm::users::repo;
use sea_query::ExprTrait;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERROCRM_LOG").unwrap_or_else(|_| "warn,sqlx=warn".into()),
        )
        .init();
    let rows: usize = std::env::var("BENCH_ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let url = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let config = Config {
        bind: "127.0.0.1:0".parse()?,
        database_url: url,
        data_dir: dir.path().to_path_buf(),
        workers: false,
        ..Config::default()
    };
    let app = App::build(config).await?;
    let state = app.state().clone();
    let db = state.db.clone();

    // A sales manager of department Sales imports.
    let actor = Actor::system("bench");
    let mut tx = db.begin().await?;
    let sales = repo::department_by_name_or_create(&mut tx, "Sales", &actor).await?;
    let input = UserInput {
        username: "Mark.Manager.Sales".into(),
        email: "mark@example.com".into(),
        first_name: "Mark".into(),
        last_name: "Manager".into(),
        department_id: Some(sales),
        roles: vec![Role::SalesManager, Role::CoWorker],
    };
    let id = repo::insert(&mut tx, &input, "not-a-login", &actor)
        .await
        .map_err(|_| anyhow::anyhow!("could not create the user"))?;
    tx.commit().await?;
    let u = repo::get(&db, id).await?;
    let viewer = Viewer {
        id,
        username: u.username.clone(),
        display_name: u.full_name(),
        roles: u.roles,
        department_id: u.department_id,
        departments: repo::departments_of(&db, id).await?,
        csrf: String::new(),
        session_id: String::new(),
        tz: chrono_tz::Tz::UTC,
    };

    // The workbook: the columns an export has that an import converts most (country, type, industry).
    let cells: Vec<Vec<Cell>> = (1..=rows)
        .map(|i| {
            vec![
                Cell::Text(format!("Company {i:06}")),
                Cell::Text(format!("c{i}@example.com")),
                Cell::Text("Germany".into()),
                Cell::Text(format!("+49 30 {i}")),
                Cell::Text("Berlin".into()),
                Cell::Text("reseller".into()),
                Cell::Text("railway, aviation".into()),
                Cell::Text(format!("Street {i}")),
            ]
        })
        .collect();
    let headers = ["full_name", "email", "country", "phone", "city_name", "type", "industry", "address"];
    let t = Instant::now();
    let bytes = ferrocrm::excel::write_sheet("Sheet1", &headers, chrono_tz::Tz::UTC, cells)?;
    println!("workbook: {rows} rows, {} KB, written in {:.2} s", bytes.len() / 1024, t.elapsed().as_secs_f64());

    let spec = ferrocrm::crm::handlers::spec(ferrocrm::access::ItemKind::Company).ok_or(anyhow::anyhow!("spec"))?;
    let start = Instant::now();
    let t = Instant::now();
    let limits = ferrocrm::excel::Limits::default();
    let table = tokio::task::spawn_blocking(move || ferrocrm::excel::read_sheet(&bytes, &limits)).await??;
    let read = t.elapsed();
    let t = Instant::now();
    let allowed = vec![(sales, "Sales".to_string())];
    let plan = ferrocrm::crm::import::plan::plan(&db, &viewer, spec, &table, &allowed)
        .await
        .map_err(|e| anyhow::anyhow!("plan: {e:?}"))?;
    let planned = t.elapsed();
    let t = Instant::now();
    let import = ferrocrm::crm::import::store(&db, id, spec, "bench.xlsx", table.rows.len(), &plan).await?;
    let stored = t.elapsed();
    let preview = start.elapsed();

    // Confirm: what `POST /imports/:id/confirm` writes, then the job to the end.
    let t = Instant::now();
    let mut tx = db.begin().await?;
    tx.execute(
        sea_query::Query::update()
            .table("imports")
            .value("status", "queued")
            .and_where(sea_query::Expr::col("id").eq(import)),
    )
    .await?;
    let key = format!("import:{import}");
    let payload = serde_json::json!({ "id": import });
    ferrocrm::jobs::enqueue(&mut tx, ferrocrm::crm::import::JOB, &payload, ferrocrm::db::now(), Some(&key), 5).await?;
    tx.commit().await?;
    while ferrocrm::jobs::run_once(&state).await? {}
    let job = t.elapsed();
    let done = ferrocrm::crm::import::get(&db, import).await?.ok_or(anyhow::anyhow!("import"))?;
    anyhow::ensure!(
        done.status == "done" && done.created == rows as i64,
        "import ended {} with {} created",
        done.status,
        done.created
    );

    println!("{backend}, {rows} companies:");
    println!(
        "  preview {:.2} s (read {:.2} s, plan {:.2} s, store {:.2} s)",
        preview.as_secs_f64(),
        read.as_secs_f64(),
        planned.as_secs_f64(),
        stored.as_secs_f64()
    );
    println!("  import job {:.2} s ({} created)", job.as_secs_f64(), done.created);
    println!("  total {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
