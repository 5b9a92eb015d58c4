//! `spawn_app`: the real application on 127.0.0.1:0 with a fresh database and role-named users.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocrm::access::Role;
use ferrocrm::app::{App, AppState};
use ferrocrm::config::Config;
use ferrocrm::db::Db;
use ferrocrm::history::Actor;
use ferrocrm::users::model::UserInput;
use ferrocrm::users::repo;
use tokio::sync::OnceCell;

use super::client::TestClient;

/// Password of every seeded test user.
pub const PASSWORD: &str = "test-password-1";

/// The role-named users every test app has (Django-CRM naming: Name.Role[.Department]).
pub const USERS: &[(&str, &[Role], Option<&str>)] = &[
    ("Adam.Admin", &[Role::Admin, Role::CoWorker], None),
    ("Garry.Chief", &[Role::Chief, Role::CoWorker], None),
    ("Helen.Head.Sales", &[Role::DepartmentHead, Role::SalesManager, Role::CoWorker], Some("Sales")),
    ("Olga.Operator.Sales", &[Role::Operator, Role::CoWorker], Some("Sales")),
    ("Mark.Manager.Sales", &[Role::SalesManager, Role::CoWorker], Some("Sales")),
    ("Eve.Manager.Export", &[Role::SalesManager, Role::CoWorker], Some("Export")),
    ("Tina.TaskOperator", &[Role::TaskOperator, Role::CoWorker], None),
    ("Anna.Accountant", &[Role::Accountant, Role::CoWorker], Some("Bookkeeping")),
    ("Carl.CoWorker", &[Role::CoWorker], Some("Sales")),
];

/// Options for `TestApp::with`.
#[derive(Clone, Default)]
pub struct Options {
    pub smtp_url: Option<String>,
    pub workers: bool,
    pub max_body_bytes: Option<usize>,
    pub max_upload_bytes: Option<usize>,
    pub sse_per_user: Option<usize>,
    /// Request body limits: whole-body deadline, minimum rate (bytes/s) and its grace period.
    pub body_timeout: Option<Duration>,
    pub body_min_rate: Option<u64>,
    pub body_grace: Option<Duration>,
    /// Reuse this database URL (a second instance on the same database).
    pub database_url: Option<String>,
    pub seed_users: bool,
    /// Request intake settings (geolocation database, trusted proxies, limits).
    pub intake: Option<ferrocrm::requests::intake::IntakeConfig>,
    /// Addresses the CRM's letters may not go to (`FERROCRM_NOT_ALLOWED_EMAILS`).
    pub not_allowed_emails: Vec<String>,
    /// The key sealing stored passwords (a restarted instance of another's database needs its key).
    pub secret_key: Option<ferrocrm::secrets::Key>,
    /// The mail import's largest message (`FERROCRM_MAIL_IMPORT_MAX_BYTES`).
    pub mail_import_max_bytes: Option<usize>,
    /// Refuse mail servers on private and loopback addresses, as production does (the tests' own
    /// servers run on 127.0.0.1, so they are allowed unless this is set).
    pub refuse_private_mail_hosts: bool,
    /// Certificate authorities trusted for mail servers (`FERROCRM_MAIL_CA_FILE`).
    pub mail_ca_file: Option<PathBuf>,
}

pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub state: AppState,
    pub db: Db,
    pub database_url: String,
    pub dir: Arc<tempfile::TempDir>,
}

/// A fresh app with the standard users, no background workers, no SMTP.
pub async fn spawn_app() -> TestApp {
    TestApp::with(Options { seed_users: true, ..Default::default() }).await
}

/// The PostgreSQL admin URL of this run, if the suite runs on PostgreSQL.
pub fn pg_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// A PostgreSQL server for tests that need one whatever the backend under test (e.g. the
/// multi-instance bridge). `scripts/test` always provides it.
pub fn pg_server_url() -> String {
    std::env::var("FERROCRM_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(pg_admin_url)
        .expect("FERROCRM_TEST_PG_URL is not set: run the suite with scripts/test, which starts a PostgreSQL server")
}

/// Creates a new, empty PostgreSQL database on the server at `admin_url`; returns its URL.
pub async fn fresh_pg_database(admin_url: &str) -> String {
    let name = format!("t_{:016x}", rand::random::<u64>());
    let pool = sqlx::PgPool::connect(admin_url).await.expect("connect to the PostgreSQL test server");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    let (head, _) = admin_url.rsplit_once('/').expect("database URL has a path");
    format!("{head}/{name}")
}

pub fn test_tmp_root() -> PathBuf {
    std::env::var("FERROCRM_TEST_TMP").map(PathBuf::from).unwrap_or_else(|_| std::env::temp_dir())
}

/// One argon2 hash for every seeded user: hashing is deliberately slow, tests need not pay it 9×.
async fn shared_hash() -> String {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async { ferrocrm::auth::password::hash(PASSWORD).await.expect("hash") }).await.clone()
}

impl TestApp {
    pub async fn with(o: Options) -> TestApp {
        let root = test_tmp_root();
        std::fs::create_dir_all(&root).ok();
        let dir = tempfile::Builder::new().prefix("ferrocrm-it").tempdir_in(root).expect("tempdir");
        let database_url = match (&o.database_url, pg_admin_url()) {
            (Some(u), _) => u.clone(),
            (None, Some(admin)) => fresh_pg_database(&admin).await,
            (None, None) => format!("sqlite://{}", dir.path().join("test.db").display()),
        };
        let mut config = Config {
            bind: "127.0.0.1:0".parse().expect("addr"),
            database_url: database_url.clone(),
            data_dir: dir.path().to_path_buf(),
            base_url: "http://127.0.0.1:0".into(),
            smtp_url: o.smtp_url.clone(),
            workers: o.workers,
            db_pool: 5,
            poll_interval: Duration::from_millis(200),
            mail_from: "FerroCRM <crm@example.com>".into(),
            ..Config::default()
        };
        if let Some(n) = o.max_upload_bytes {
            config.max_upload_bytes = n;
        }
        if let Some(n) = o.max_body_bytes {
            config.max_body_bytes = n;
        }
        if let Some(n) = o.sse_per_user {
            config.sse_per_user = n;
        }
        if let Some(d) = o.body_timeout {
            config.body_timeout = d;
        }
        if let Some(n) = o.body_min_rate {
            config.body_min_rate = n;
        }
        if let Some(d) = o.body_grace {
            config.body_grace = d;
        }
        config.not_allowed_emails = o.not_allowed_emails.clone();
        if let Some(i) = &o.intake {
            config.intake = i.clone();
        }
        if let Some(n) = o.mail_import_max_bytes {
            config.mail_import_max_bytes = n;
        }
        config.mail_allow_private_hosts = !o.refuse_private_mail_hosts;
        config.mail_ca_file = o.mail_ca_file.clone();
        if let Some(k) = &o.secret_key {
            config.secret_key = Some(k.clone());
        }
        let app = App::build(config).await.expect("build the app");
        let port = app.port();
        let state = app.state().clone();
        let db = state.db.clone();
        tokio::spawn(app.run());
        let t = TestApp { base: format!("http://127.0.0.1:{port}"), port, state, db, database_url, dir: Arc::new(dir) };
        if o.seed_users {
            t.seed_users().await;
        }
        t
    }

    async fn seed_users(&self) {
        let hash = shared_hash().await;
        let actor = Actor::system("test setup");
        let mut tx = self.db.begin().await.expect("begin");
        for (name, roles, dept) in USERS {
            let department_id = match dept {
                Some(d) => Some(repo::department_by_name_or_create(&mut tx, d, &actor).await.expect("department")),
                None => None,
            };
            let first = name.split('.').next().unwrap_or(name);
            let input = UserInput {
                username: name.to_string(),
                email: format!("{}@example.com", name.to_lowercase()),
                first_name: first.to_string(),
                last_name: name.split('.').nth(1).unwrap_or("").to_string(),
                department_id,
                roles: roles.to_vec(),
            };
            if repo::insert(&mut tx, &input, &hash, &actor).await.is_err() {
                panic!("could not seed user {name}");
            }
        }
        tx.commit().await.expect("commit");
    }

    /// The id of a seeded user.
    pub async fn user_id(&self, username: &str) -> i64 {
        repo::id_by_username(&self.db, username).await.expect("query").unwrap_or_else(|| panic!("no user {username}"))
    }

    /// A client with no session.
    pub fn client(&self) -> TestClient {
        TestClient::new(&self.base)
    }

    /// A client logged in (through the real login form) as `username` with the test password.
    pub async fn login_as(&self, username: &str) -> TestClient {
        let c = self.client();
        c.login(username, PASSWORD).await;
        c
    }

    /// The `Viewer` of a user as handlers see it (for calling repo functions directly).
    pub async fn state_viewer(&self, id: i64) -> ferrocrm::access::Viewer {
        let u = repo::get(&self.db, id).await.expect("user");
        ferrocrm::access::Viewer {
            id,
            username: u.username.clone(),
            display_name: u.full_name(),
            roles: u.roles,
            department_id: u.department_id,
            departments: repo::departments_of(&self.db, id).await.expect("departments"),
            csrf: String::new(),
            session_id: String::new(),
            tz: chrono_tz::Tz::UTC,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}
