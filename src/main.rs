use clap::Parser;

fn main() -> std::process::ExitCode {
    fewer_malloc_arenas();
    run()
}

#[tokio::main]
async fn run() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERROCRM_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = ferrocrm::cli::Cli::parse();
    match ferrocrm::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc's malloc gives each thread that allocates an arena of its own, up to 8 per core, and
/// every one keeps the memory it once held. The server allocates on many threads (tokio's workers,
/// its blocking pool, one thread per SQLite connection), so a long job grew it for good: a
/// 10,000-letter mail import took it from 28 to 183 MB, and 30,000 letters further. With two
/// arenas it stays near 80 MB (docs/benchmarks.md, "Mail import: memory"). glibc reads
/// `MALLOC_ARENA_MAX` only when the process starts, so the binary starts itself again with it, in
/// the same process (`exec` keeps the PID), unless the variable is already set (an operator's own
/// choice wins). A failed `exec` only costs the bound: the server goes on.
fn fewer_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else { return };
        let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).env("MALLOC_ARENA_MAX", "2").exec();
        eprintln!("warning: could not restart with MALLOC_ARENA_MAX=2 ({err}); going on with glibc's default arenas");
    }
}
