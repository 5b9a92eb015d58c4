use clap::Parser;

/// The Rust side's allocator. glibc's malloc gives every thread that allocates its own arena (up
/// to 8 a core), and a long job that allocates on many threads (a mail import: tokio workers, the
/// blocking pool, each SQLite connection's thread) left them fragmented: the server grew from 28 to
/// 183 MB over a 10,000-letter import, and kept growing. mimalloc's per-thread heaps return their
/// free pages; see docs/benchmarks.md, "Mail import: memory".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
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
