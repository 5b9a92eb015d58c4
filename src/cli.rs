//! The command line: `serve`, `migrate`, `user add|passwd|list`, `backup`, `healthcheck`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::access::Role;
use crate::app::App;
use crate::auth::password;
use crate::config::Config;
use crate::db::{Backend, Db};
use crate::history::Actor;
use crate::users::model::{UserForm, UserInput};
use crate::users::repo;

#[derive(Parser, Debug)]
#[command(name = "ferrocrm", version, about = "FerroCRM: CRM and team tasks, served as a hypermedia web app.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app (the default command).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the SQLite database to PATH (on PostgreSQL, print the pg_dump line).
    Backup {
        /// Where to write the copy (must not exist yet).
        path: PathBuf,
    },
    /// Fill the database with realistic demo data (users in every role, memos, tasks, projects, chat,
    /// and the sales CRM: companies, contacts, leads, deals, payments).
    Seed {
        /// Also create the named demo users (Adam.Admin, Garry.Chief, …; password "demo-password").
        #[arg(long)]
        demo: bool,
        /// 1 = a lively demo; 10 = about 100k tasks, 200k chat messages, 50k companies, 100k contacts,
        /// 50k deals and 100k payments (the benchmark's data).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        scale: u32,
    },
    /// Exit 0 if the server at --url answers its health check (for container health checks).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8000/healthz")]
        url: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on (overrides FERROCRM_BIND).
    #[arg(long)]
    pub bind: Option<std::net::SocketAddr>,
    /// Also create demo users in every role (password "demo-password"), for a first look around.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user.
    Add(AddUser),
    /// Set a user's password (asked on standard input, or --password).
    Passwd {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// List users with their roles and departments.
    List,
}

#[derive(Args, Debug)]
pub struct AddUser {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub password: String,
    #[arg(long, default_value = "")]
    pub email: String,
    #[arg(long, default_value = "")]
    pub first_name: String,
    #[arg(long, default_value = "")]
    pub last_name: String,
    /// Role (repeatable): admin, chief, department-head, operator, sales-manager, task-operator, accountant, co-worker.
    #[arg(long = "role", value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// Department name (created if it does not exist yet).
    #[arg(long)]
    pub department: Option<String>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::from_slug(s).ok_or_else(|| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.slug()).collect();
        format!("unknown role {s:?}; use one of: {}", all.join(", "))
    })
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            if let Some(b) = args.bind {
                config.bind = b;
                if std::env::var("FERROCRM_BASE_URL").is_err() {
                    config.base_url = format!("http://{b}");
                }
            }
            serve(config, args.demo).await
        }
        Command::Migrate => {
            let db = Db::connect(&config.database_url, 2).await?;
            let applied = crate::migrate(&db).await?;
            println!("schema at version {} (applied now: {:?})", crate::migrations::latest(), applied);
            Ok(())
        }
        Command::User(u) => user(config, u).await,
        Command::Backup { path } => backup(config, path).await,
        Command::Seed { demo, scale } => {
            let db = Db::connect(&config.database_url, 4).await?;
            crate::migrate(&db).await?;
            if demo {
                seed_demo(&db).await?;
            }
            let s = crate::seed::run(&db, scale).await?;
            println!(
                "seeded in {:.1} s: {} users, {} projects, {} tasks, {} memos, {} chat messages; sales CRM: {} \
                 companies, {} contacts, {} leads, {} deals, {} deal items, {} payments, {} requests, {} products, {} tag \
                 links",
                s.seconds,
                s.users,
                s.projects,
                s.tasks,
                s.memos,
                s.chat_messages,
                s.companies,
                s.contacts,
                s.leads,
                s.deals,
                s.outputs,
                s.payments,
                s.requests,
                s.products,
                s.taggings
            );
            db.close().await;
            Ok(())
        }
        Command::Healthcheck { url } => healthcheck(&url),
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    tracing::info!(config = ?config, "starting");
    let app = App::build(config).await?;
    let state = app.state().clone();
    if repo::count(&state.db).await? == 0 {
        let pw = password::generate();
        create_user(&state.db, &input("admin", "", "Administrator", &[Role::Admin, Role::CoWorker]), &pw, None).await?;
        println!(
            "\n  First start: created the administrator account.\n    login:    admin\n    password: {pw}\n  (shown once; change it under Profile → Change password)\n"
        );
    }
    if demo {
        seed_demo(&state.db).await?;
        // A first look should show a working company: fill the Tasks section once.
        if crate::seed::is_empty(&state.db).await? {
            let s = crate::seed::run(&state.db, 1).await?;
            println!(
                "Demo: seeded {} tasks, {} memos, {} projects, {} chat messages; {} companies, {} contacts, {} \
                 leads, {} deals, {} payments, {} requests",
                s.tasks,
                s.memos,
                s.projects,
                s.chat_messages,
                s.companies,
                s.contacts,
                s.leads,
                s.deals,
                s.payments,
                s.requests
            );
        }
    }
    println!("FerroCRM listening on http://{} (public URL {})", state.config.bind, state.config.base_url);
    let _ = std::io::stdout().flush();
    app.run().await
}

fn input(username: &str, first: &str, last: &str, roles: &[Role]) -> UserInput {
    UserInput {
        username: username.into(),
        email: String::new(),
        first_name: first.into(),
        last_name: last.into(),
        department_id: None,
        roles: roles.to_vec(),
    }
}

async fn create_user(db: &Db, u: &UserInput, pw: &str, department: Option<&str>) -> anyhow::Result<i64> {
    let hash = password::hash(pw).await?;
    let actor = Actor::system("command line");
    let mut tx = db.begin().await?;
    let mut u = u.clone();
    if let Some(d) = department {
        u.department_id = Some(repo::department_by_name_or_create(&mut tx, d, &actor).await?);
    }
    let id = match repo::insert(&mut tx, &u, &hash, &actor).await {
        Ok(id) => id,
        Err(repo::WriteError::UsernameTaken) => anyhow::bail!("the username {:?} is taken", u.username),
        Err(repo::WriteError::NoSuchDepartment) => anyhow::bail!("no such department"),
        Err(repo::WriteError::Db(e)) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(id)
}

/// The password of every demo account (listed in the README).
pub const DEMO_PASSWORD: &str = "demo-password";

/// Demo users, one per role, named in Django-CRM's style. Idempotent.
pub async fn seed_demo(db: &Db) -> anyhow::Result<()> {
    use Role::*;
    type Person = (&'static str, &'static str, &'static str, &'static [Role], Option<&'static str>);
    let people: &[Person] = &[
        ("Adam.Admin", "Adam", "Admin", &[Admin, CoWorker], None),
        ("Garry.Chief", "Garry", "Chief", &[Chief, CoWorker], None),
        ("Helen.Head.Global", "Helen", "Head", &[DepartmentHead, SalesManager, CoWorker], Some("Global sales")),
        ("Olga.Operator.Global", "Olga", "Operator", &[Operator, CoWorker], Some("Global sales")),
        ("Mark.Manager.Global", "Mark", "Manager", &[SalesManager, CoWorker], Some("Global sales")),
        ("Luke.Manager.Local", "Luke", "Manager", &[SalesManager, CoWorker], Some("Local sales")),
        ("Tina.TaskOperator", "Tina", "Task-Operator", &[TaskOperator, CoWorker], None),
        ("Anna.Accountant", "Anna", "Accountant", &[Accountant, CoWorker], Some("Bookkeeping")),
        ("Carl.CoWorker", "Carl", "Co-Worker", &[CoWorker], Some("Local sales")),
    ];
    let mut made = 0;
    for (username, first, last, roles, dept) in people {
        if repo::id_by_username(db, username).await?.is_some() {
            continue;
        }
        create_user(db, &input(username, first, last, roles), DEMO_PASSWORD, *dept).await?;
        made += 1;
    }
    if made > 0 {
        println!("Demo: created {made} users (password \"{DEMO_PASSWORD}\"): see README → Demo accounts.");
    }
    if let Some(token) = crate::requests::intake::demo::web_form(db).await? {
        let site = crate::requests::intake::demo::ORIGINS.replace('\n', ", ");
        println!(
            "Demo web form: /contact-form/{token}/ (embed script: /contact-form/{token}/embed.js; embeddable from {site})"
        );
    }
    Ok(())
}

async fn user(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let db = Db::connect(&config.database_url, 2).await?;
    crate::migrate(&db).await?;
    match cmd {
        UserCommand::Add(a) => {
            let form = UserForm {
                username: a.username.clone(),
                email: a.email.clone(),
                first_name: a.first_name.clone(),
                last_name: a.last_name.clone(),
                department_id: String::new(),
                password: String::new(),
                roles: a.roles.iter().map(|r| r.slug().to_string()).collect(),
                served: Vec::new(),
            };
            let input = form.validate().map_err(|e| {
                anyhow::anyhow!(e.0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))
            })?;
            let mut errs = crate::error::FormErrors::default();
            password::check_new(&a.password, &input.username, "password", &mut errs);
            if let Some(m) = errs.get("password") {
                anyhow::bail!("password: {m}");
            }
            let dept = a.department.as_deref().map(str::trim).filter(|d| !d.is_empty());
            let id = create_user(&db, &input, &a.password, dept).await?;
            println!("created user {} (ID {id})", input.username);
        }
        UserCommand::Passwd { username, password: given } => {
            let id =
                repo::id_by_username(&db, &username).await?.ok_or_else(|| anyhow::anyhow!("no user {username:?}"))?;
            let pw = match given {
                Some(p) => p,
                None => {
                    eprint!("New password for {username}: ");
                    let _ = std::io::stderr().flush();
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let mut errs = crate::error::FormErrors::default();
            password::check_new(&pw, &username, "password", &mut errs);
            if let Some(m) = errs.get("password") {
                anyhow::bail!("password: {m}");
            }
            let hash = password::hash(&pw).await?;
            let mut tx = db.begin().await?;
            repo::set_password(&mut tx, id, &hash, &Actor::system("command line"), "Password set on the command line")
                .await?;
            crate::auth::session::delete_for_user(&mut tx, id, None).await?;
            tx.commit().await?;
            println!("password of {username} changed; their sessions were ended");
        }
        UserCommand::List => {
            let users = all_users(&db).await?;
            println!("{:<6} {:<28} {:<26} {:<8} ROLES", "ID", "USERNAME", "DEPARTMENT", "ACTIVE");
            for u in users {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.slug()).collect();
                println!(
                    "{:<6} {:<28} {:<26} {:<8} {}",
                    u.id,
                    u.username,
                    u.department_name.as_deref().unwrap_or("-"),
                    if u.is_active { "yes" } else { "no" },
                    roles.join(",")
                );
            }
        }
    }
    db.close().await;
    Ok(())
}

async fn all_users(db: &Db) -> anyhow::Result<Vec<crate::users::model::User>> {
    let admin = crate::access::Viewer {
        id: 0,
        username: String::new(),
        display_name: String::new(),
        roles: crate::access::Roles::of(&[Role::Admin]),
        department_id: None,
        departments: Vec::new(),
        csrf: String::new(),
        session_id: String::new(),
        tz: chrono_tz::Tz::UTC,
    };
    let mut out = Vec::new();
    let mut page = 1u32;
    loop {
        let f = crate::users::model::UserFilter { status: "all".into(), page: Some(page), ..Default::default() };
        let p = repo::list(db, &admin, &f).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let more = p.has_next();
        out.extend(p.items);
        if !more {
            return Ok(out);
        }
        page += 1;
    }
}

async fn backup(config: Config, path: PathBuf) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} exists already; choose a new file", path.display());
    }
    let db = Db::connect(&config.database_url, 2).await?;
    match (db.backend(), &db) {
        (Backend::Sqlite, Db::Sqlite(pool)) => {
            let target = path.to_string_lossy().to_string();
            // VACUUM INTO writes a consistent, compacted copy while other connections keep writing.
            sqlx::query("VACUUM INTO ?").bind(&target).execute(pool).await?;
            let ok: (String,) = {
                let copy = Db::connect(&format!("sqlite://{target}"), 1).await?;
                let Db::Sqlite(p) = &copy else { anyhow::bail!("unexpected backend") };
                let r = sqlx::query_as("PRAGMA integrity_check").fetch_one(p).await?;
                copy.close().await;
                r
            };
            if ok.0 != "ok" {
                anyhow::bail!("the copy failed its integrity check: {}", ok.0);
            }
            println!("backup written to {} (integrity check ok)", path.display());
        }
        _ => {
            println!(
                "PostgreSQL: back up with\n  pg_dump --format=custom --file={} \"{}\"",
                path.display(),
                crate::config::redact_url(&config.database_url)
            );
        }
    }
    db.close().await;
    Ok(())
}

fn healthcheck(url: &str) -> anyhow::Result<()> {
    use std::io::Read;
    let rest = url.strip_prefix("http://").ok_or_else(|| anyhow::anyhow!("only http:// URLs are supported"))?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let addr: std::net::SocketAddr =
        host.parse().map_err(|_| anyhow::anyhow!("use an IP:port URL, e.g. http://127.0.0.1:8000/healthz"))?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(3))?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(3)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    if buf.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        anyhow::bail!("unhealthy: {}", buf.lines().next().unwrap_or("no answer"))
    }
}
