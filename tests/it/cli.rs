//! The command line, run as the real binary against a fresh database of the backend under test.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::app::{fresh_pg_database, pg_admin_url};

struct Cli {
    database_url: String,
    dir: tempfile::TempDir,
}

impl Cli {
    async fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match pg_admin_url() {
            Some(admin) => fresh_pg_database(&admin).await,
            None => format!("sqlite://{}", dir.path().join("cli.db").display()),
        };
        Cli { database_url, dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ferrocrm"));
        c.args(args)
            .env("DATABASE_URL", &self.database_url)
            .env("FERROCRM_DATA_DIR", self.dir.path())
            .env("FERROCRM_LOG", "warn")
            .env_remove("FERROCRM_BASE_URL")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run ferrocrm")
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test]
async fn every_command_has_help() {
    let cli = Cli::new().await;
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "passwd", "--help"],
        vec!["user", "list", "--help"],
        vec!["backup", "--help"],
        vec!["seed", "--help"],
    ] {
        let o = cli.run(&args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("Usage:"), "{args:?}");
    }
}

#[tokio::test]
async fn user_add_creates_roles_and_a_department_and_list_shows_them() {
    let cli = Cli::new().await;
    let o = cli.run(&[
        "user",
        "add",
        "--username",
        "Rita.Head",
        "--password",
        "a long enough secret",
        "--email",
        "rita@example.com",
        "--role",
        "department-head",
        "--role",
        "sales-manager",
        "--department",
        "Wholesale",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let list = cli.run(&["user", "list"]);
    assert!(list.status.success(), "{}", text(&list));
    let out = String::from_utf8_lossy(&list.stdout);
    let line = out.lines().find(|l| l.contains("Rita.Head")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("Wholesale") && line.contains("department-head,sales-manager"), "{line}");

    // The same username twice is refused with a clear message.
    let again = cli.run(&["user", "add", "--username", "Rita.Head", "--password", "a long enough secret"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("taken"), "{}", text(&again));

    // A new password works and is checked like the web form checks it.
    let weak = cli.run(&["user", "passwd", "Rita.Head", "--password", "short"]);
    assert!(!weak.status.success());
    assert!(text(&weak).contains("at least 10"), "{}", text(&weak));
    let ok = cli.run(&["user", "passwd", "Rita.Head", "--password", "an even longer secret"]);
    assert!(ok.status.success(), "{}", text(&ok));
}

#[tokio::test]
async fn wrong_arguments_exit_non_zero_with_a_message() {
    let cli = Cli::new().await;
    let bad_role = cli.run(&["user", "add", "--username", "x", "--password", "long enough pw", "--role", "boss"]);
    assert!(!bad_role.status.success());
    assert!(text(&bad_role).contains("unknown role \"boss\""), "{}", text(&bad_role));
    let unknown = cli.run(&["frobnicate"]);
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("unrecognized subcommand"), "{}", text(&unknown));
    let no_user = cli.run(&["user", "passwd", "nobody", "--password", "long enough pw"]);
    assert!(!no_user.status.success());
    assert!(text(&no_user).contains("no user \"nobody\""));
}

#[tokio::test]
async fn backup_writes_a_checked_copy_on_sqlite_and_explains_pg_dump_on_postgresql() {
    let cli = Cli::new().await;
    assert!(cli.run(&["migrate"]).status.success());
    let target = cli.dir.path().join("backup.db");
    let o = cli.run(&["backup", target.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    if cli.database_url.starts_with("sqlite") {
        assert!(target.exists());
        assert!(text(&o).contains("integrity check ok"));
        // Refuses to overwrite.
        let again = cli.run(&["backup", target.to_str().unwrap()]);
        assert!(!again.status.success());
    } else {
        assert!(text(&o).contains("pg_dump --format=custom"), "{}", text(&o));
        assert!(!text(&o).contains("secret"), "a password leaked into the output");
    }
}

#[tokio::test]
async fn the_first_start_creates_an_administrator_and_prints_the_password_once() {
    let cli = Cli::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = cli
        .command(&["serve", "--bind", &bind])
        .env("FERROCRM_WORKERS", "false")
        .env_remove("MALLOC_ARENA_MAX")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut password = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(p) = line.trim().strip_prefix("password:") {
            password = Some(p.trim().to_string());
        }
        if line.contains("listening on") {
            break;
        }
    }
    let password = password.expect("the first start printed no password");
    // The server restarted itself (same process) with two malloc arenas (src/main.rs; glibc only).
    if GLIBC {
        assert_eq!(arena_max(child.id()).as_deref(), Some("2"));
    }
    let base = format!("http://{bind}");
    let c = crate::helpers::client::TestClient::new(&base);
    c.login("admin", &password).await;
    assert_eq!(c.get("/admin/users").await.status, 200);
    let _ = child.kill();
    let _ = child.wait();
    // A second start prints no password: the administrator exists.
    let mut child = cli
        .command(&["serve", "--bind", &bind])
        .env("FERROCRM_WORKERS", "false")
        .env("MALLOC_ARENA_MAX", "4")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        let done = line.contains("listening on");
        printed.push(line);
        if done {
            break;
        }
    }
    // An operator's own setting is kept.
    if GLIBC {
        assert_eq!(arena_max(child.id()).as_deref(), Some("4"));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(!printed.iter().any(|l| l.contains("password:")), "{printed:?}");
}

const GLIBC: bool = cfg!(all(target_os = "linux", target_env = "gnu"));

/// `MALLOC_ARENA_MAX` in the environment of the running process `pid` (Linux).
fn arena_max(pid: u32) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("the server's environment");
    environ
        .split(|b| *b == 0)
        .find_map(|kv| kv.strip_prefix(b"MALLOC_ARENA_MAX=").map(|v| String::from_utf8_lossy(v).into_owned()))
}
