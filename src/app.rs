//! The application: state shared by every request and worker, start-up, and the HTTP server.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use poem::Endpoint;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::Db;
use crate::events::Bus;
use crate::outbox::Mailer;

/// What handlers and workers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub bus: Bus,
    pub config: Arc<Config>,
    pub mailer: Mailer,
    /// Uploaded files, stored by content hash under the data directory.
    pub files: crate::files::Store,
    /// The active users pickers offer (cached).
    pub people: crate::users::people::People,
    /// Wakes the background worker after a commit that queued mail or jobs.
    pub wake: Arc<Notify>,
    /// List totals, counted lazily and cached until the next change.
    pub totals: crate::paging::Totals,
    /// The payments list's "Total sum" line, per viewer and filter, until the next change.
    pub payment_sums: crate::paging::Cached<Option<crate::crm::payments::Sum>>,
    /// The reports' figures per scope, until a change could move them.
    pub figures: crate::analytics::cache::Figures,
    /// Public request intake: rate limiters, geolocation database, form-signing key.
    pub intake: crate::requests::intake::Intake,
    /// Mail accounts: the cipher of their stored passwords, and who is testing a connection now.
    pub mail: crate::mail_accounts::Shared,
}

/// A built application, bound to its port, ready to `run`.
pub struct App {
    state: AppState,
    listener: TcpListener,
    port: u16,
}

/// Time allowed for a client to send a complete request head (slow-header attacks).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);

impl App {
    /// Connects to the database, applies migrations, joins the event bridge (PostgreSQL),
    /// and binds the listener. Does not accept connections until `run`.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        config.check()?;
        // Before anything else: a CA file that cannot be used is a start-up error, not a surprise
        // at the first TLS connection.
        let net = crate::mail_accounts::net::Net::load(config.mail_ca_file.as_ref(), config.mail_allow_private_hosts)?;
        if net.extra_authorities() > 0 {
            tracing::info!(
                authorities = net.extra_authorities(),
                "mail servers: trusting the CA file's authorities too"
            );
        }
        let db = Db::connect(&config.database_url, config.db_pool).await?;
        db.limit_sqlite_heap(config.sqlite_heap_mb).await?;
        crate::migrate(&db).await?;
        let mut bus = Bus::new(config.sse_per_user);
        if let Db::Postgres(pool) = &db {
            bus.bridge_postgres(pool.clone()).await?;
        }
        let mailer = Mailer::new(&config, &net)?;
        let listener = listen(config.bind)?;
        let port = listener.local_addr()?.port();
        let mut config = config;
        // Port 0 means "any free port"; a base URL that names port 0 follows the port actually bound.
        if config.base_url.ends_with(":0") {
            config.base_url = format!("{}{port}", config.base_url.trim_end_matches('0'));
        }
        let files = crate::files::Store::new(&config.data_dir);
        let totals = crate::paging::Totals::new(&bus);
        let payment_sums = crate::paging::Cached::new(&bus);
        let figures = crate::analytics::cache::Figures::new(&bus, config.report_cache);
        let intake = crate::requests::intake::Intake::new(&config.intake)?;
        let cipher = crate::secrets::Cipher::load(config.secret_key.as_ref(), &config.data_dir)?;
        crate::mail_accounts::repo::warn_of_other_keys(&db, &cipher).await?;
        let mail = crate::mail_accounts::Shared::new(cipher, net);
        let state = AppState {
            db,
            bus,
            config: Arc::new(config),
            mailer,
            files,
            people: Default::default(),
            wake: Arc::new(Notify::new()),
            totals,
            payment_sums,
            figures,
            intake,
            mail,
        };
        Ok(App { state, listener, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process is stopped; starts the background worker when configured.
    pub async fn run(self) -> anyhow::Result<()> {
        if self.state.config.workers {
            tokio::spawn(crate::jobs::worker::run(self.state.clone()));
        }
        if let crate::db::Db::Sqlite(_) = &self.state.db {
            let db = self.state.db.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(crate::db::CHECKPOINT_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if let Err(e) = db.checkpoint().await {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
            });
        }
        let ep = Arc::new(crate::routes::endpoint(self.state.clone()));
        serve(self.listener, ep).await
    }
}

/// Binds with a listen backlog of 1024 (tokio's default of 128 made a burst of new connections, such
/// as a thousand browser tabs re-opening their live streams, wait for SYN retransmits).
fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// The accept loop: hyper (HTTP/1.1 and HTTP/2) with a header read timeout, calling the poem endpoint.
async fn serve<E>(listener: TcpListener, ep: Arc<E>) -> anyhow::Result<()>
where
    E: Endpoint<Output = poem::Response> + 'static,
{
    let local = listener.local_addr()?;
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let ep = ep.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let ep = ep.clone();
                async move {
                    let req = poem::Request::from((
                        req,
                        LocalAddr(poem::Addr::SocketAddr(local)),
                        RemoteAddr(poem::Addr::SocketAddr(remote)),
                        poem::http::uri::Scheme::HTTP,
                    ));
                    let resp = ep.get_response(req).await;
                    let resp: hyper::Response<_> = resp.into();
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).max_buf_size(64 * 1024);
            if let Err(e) = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).await {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
        });
    }
}
