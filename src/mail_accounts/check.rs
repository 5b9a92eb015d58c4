//! "Test connection": SMTP (connect, TLS as configured, AUTH) and IMAP (connect, TLS, LOGIN,
//! SELECT INBOX, UIDVALIDITY), side by side, each within the configured time limit, told in plain
//! words. Nothing here logs a password; lettre keeps credentials out of its `Debug`, and
//! async-imap's `log` records (which would show the LOGIN line at trace level) are not bridged
//! into the app's tracing output.

use std::time::Duration;

use async_imap::Client;
use lettre::AsyncSmtpTransport;
use lettre::Tokio1Executor;
use lettre::transport::smtp::authentication::Credentials;
use tokio::time::Instant;
use tokio_rustls::rustls::pki_types::ServerName;

use super::model::{MailAccount, Tls};
pub use super::net::is_private;
use super::net::{Net, secs, tls_words};

/// One side's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// `None`: not checked (no IMAP server set).
    pub ok: Option<bool>,
    pub text: String,
}

impl Part {
    fn ok(text: String) -> Part {
        Part { ok: Some(true), text }
    }
    fn failed(text: String) -> Part {
        Part { ok: Some(false), text }
    }
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub smtp: Part,
    pub imap: Part,
}

/// Checks both servers at once; `password` is the opened password (`Err`: why it could not be).
pub async fn run(a: &MailAccount, password: Result<String, String>, limit: Duration, net: &Net) -> Outcome {
    let password = match password {
        Ok(p) => p,
        Err(why) => {
            let text = format!("The stored password cannot be used: {why}.");
            return Outcome { smtp: Part::failed(text.clone()), imap: Part::failed(text) };
        }
    };
    let (smtp, imap) = tokio::join!(smtp(a, &password, limit, net), imap(a, &password, limit, net));
    Outcome { smtp, imap }
}

fn mode(t: Tls) -> &'static str {
    match t {
        Tls::None => "without encryption",
        Tls::StartTls => "with STARTTLS",
        Tls::Tls => "with TLS",
    }
}

async fn smtp(a: &MailAccount, password: &str, limit: Duration, net: &Net) -> Part {
    let (host, port, tls) = (a.smtp_host.as_str(), a.smtp_port as u16, a.smtp_tls());
    let deadline = Instant::now() + limit;
    // Reachability first, on its own: lettre's errors do not tell a refused port from a dead host.
    // The address it reached is the one lettre is given: no second look-up.
    let ip = match net.connect(host, port, deadline, limit).await {
        Ok(tcp) => match tcp.peer_addr() {
            Ok(a) => a.ip(),
            Err(e) => return Part::failed(format!("Could not reach {host}:{port}: {e}.")),
        },
        Err(e) => return Part::failed(e.text()),
    };
    let mut builder = match net.smtp_builder(host, ip, port, tls) {
        // lettre's own limit a little later than ours, so ours is the one that speaks.
        Ok(b) => b.timeout(Some(limit + Duration::from_secs(2))),
        Err(e) => return Part::failed(e),
    };
    let login = !a.smtp_login.is_empty();
    if login {
        builder = builder.credentials(Credentials::new(a.smtp_login.clone(), password.to_string()));
    }
    let transport: AsyncSmtpTransport<Tokio1Executor> = builder.build();
    let answer = tokio::time::timeout_at(deadline, transport.test_connection()).await;
    match answer {
        Err(_) => Part::failed(format!("{host}:{port} stopped answering: no reply within {}.", secs(limit))),
        Ok(Ok(true)) => Part::ok(format!(
            "Connected to {host}:{port} {}; {}.",
            mode(tls),
            if login { "the login was accepted" } else { "no login is set, so none was tried" }
        )),
        Ok(Ok(false)) => Part::failed(format!("{host}:{port} closed the connection after the greeting.")),
        Ok(Err(e)) => Part::failed(smtp_error(host, port, tls, &e)),
    }
}

/// An SMTP failure (Test connection and sending) in words a person can act on.
pub fn smtp_error(host: &str, port: u16, tls: Tls, e: &lettre::transport::smtp::Error) -> String {
    let words = e.to_string();
    let code = e.status().map(|c| c.to_string());
    if matches!(code.as_deref(), Some("535" | "534" | "530" | "454")) {
        return format!("The SMTP server refused the login: {words}.");
    }
    if words.contains("No compatible authentication mechanism") {
        return format!(
            "The SMTP server offers no login method FerroCRM can use{}.",
            if tls == Tls::None { " (many servers allow a login only after STARTTLS: choose STARTTLS)" } else { "" }
        );
    }
    if words.contains("STARTTLS is not supported") {
        return format!(
            "{host}:{port} does not offer STARTTLS: choose TLS (usually port 465) or no encryption, or the STARTTLS \
             port (usually 587)."
        );
    }
    if tls != Tls::None
        && !e.is_response()
        && let Some(text) = tls_words(e, host, port, tls == Tls::StartTls)
    {
        return text;
    }
    if e.is_tls() {
        return format!("The TLS handshake with {host}:{port} failed: {words}.");
    }
    if e.is_timeout() {
        return format!("{host}:{port} stopped answering: {words}.");
    }
    format!("The SMTP server at {host}:{port} answered with an error: {words}.")
}

async fn imap(a: &MailAccount, password: &str, limit: Duration, net: &Net) -> Part {
    if a.imap_host.is_empty() {
        return Part { ok: None, text: "No IMAP server is set, so there was nothing to check.".into() };
    }
    let (host, port, tls) = (a.imap_host.as_str(), a.imap_port as u16, a.imap_tls());
    let deadline = Instant::now() + limit;
    let work = async {
        let c = open(net, host, port, tls, (deadline, limit)).await?;
        session(c, host, port, tls, a.imap_user(), password).await
    };
    match tokio::time::timeout_at(deadline, work).await {
        Err(_) => Part::failed(format!("{host}:{port} stopped answering: no reply within {}.", secs(limit))),
        Ok(Ok(text)) => Part::ok(text),
        Ok(Err(text)) => Part::failed(text),
    }
}

/// Connects to the checked address, secures the connection as `tls` says (TLS from the first byte,
/// or STARTTLS after the plain greeting) and reads the greeting: a client ready for LOGIN.
async fn open(
    net: &Net,
    host: &str,
    port: u16,
    tls: Tls,
    (deadline, limit): (Instant, Duration),
) -> Result<Client<Box<dyn Stream>>, String> {
    let tcp = net.connect(host, port, deadline, limit).await?;
    let name =
        ServerName::try_from(host.to_string()).map_err(|_| format!("{host} is not a valid server name for TLS."))?;
    let handshake = |starttls: bool| {
        move |e: std::io::Error| {
            tls_words(&e, host, port, starttls)
                .unwrap_or_else(|| format!("The TLS handshake with {host}:{port} failed: {e}."))
        }
    };
    match tls {
        Tls::None => {
            let mut c = Client::new(Box::new(tcp) as Box<dyn Stream>);
            greeting(&mut c, host, port).await?;
            Ok(c)
        }
        Tls::Tls => {
            let stream = net.connector().connect(name, tcp).await.map_err(handshake(false))?;
            let mut c = Client::new(Box::new(stream) as Box<dyn Stream>);
            greeting(&mut c, host, port).await?;
            Ok(c)
        }
        Tls::StartTls => {
            let mut c = Client::new(tcp);
            greeting(&mut c, host, port).await?;
            c.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| {
                let said = match e {
                    async_imap::error::Error::Bad(w) | async_imap::error::Error::No(w) => server_words(&w),
                    e => format!("{e}."),
                };
                format!(
                    "{host}:{port} does not offer STARTTLS (it answered \"{}\"): choose TLS (usually port 993) or no \
                     encryption, or the STARTTLS port (usually 143).",
                    said.trim_end_matches('.')
                )
            })?;
            let stream = net.connector().connect(name, c.into_inner()).await.map_err(handshake(true))?;
            Ok(Client::new(Box::new(stream) as Box<dyn Stream>))
        }
    }
}

async fn greeting<S>(c: &mut Client<S>, host: &str, port: u16) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    match c.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(format!("{host}:{port} closed the connection without an IMAP greeting.")),
        Err(e) => Err(format!("{host}:{port} took the connection but did not greet like an IMAP server: {e}.")),
    }
}

async fn login<S>(
    c: Client<S>,
    host: &str,
    port: u16,
    user: &str,
    password: &str,
) -> Result<async_imap::Session<S>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    match c.login(user, password).await {
        Ok(s) => Ok(s),
        Err((async_imap::error::Error::No(words), _)) => {
            Err(format!("The IMAP server refused the login: {}", server_words(&words)))
        }
        Err((async_imap::error::Error::Validate(_), _)) => {
            Err("The login or password holds a character IMAP cannot send (a line break).".into())
        }
        Err((e, _)) => Err(format!("The IMAP login at {host}:{port} failed: {e}.")),
    }
}

async fn session<S>(c: Client<S>, host: &str, port: u16, tls: Tls, user: &str, password: &str) -> Result<String, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut s = login(c, host, port, user, password).await?;
    let inbox = s.select("INBOX").await.map_err(|e| match e {
        async_imap::error::Error::No(words) => {
            format!("Logged in, but the server did not open INBOX: {}", server_words(&words))
        }
        e => format!("Logged in, but the server did not open INBOX: {e}."),
    });
    let _ = s.logout().await;
    let inbox = inbox?;
    Ok(format!(
        "Logged in to {host}:{port} {}; INBOX has {} message{}, UIDVALIDITY {}.",
        mode(tls),
        inbox.exists,
        if inbox.exists == 1 { "" } else { "s" },
        inbox.uid_validity.map(|u| u.to_string()).unwrap_or_else(|| "not given".into())
    ))
}

/// A connection of either kind (plain or TLS) behind one type, for the import's session.
pub trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

/// A logged-in IMAP session over a plain or TLS connection.
pub type ImapSession = async_imap::Session<Box<dyn Stream>>;

/// Connects, secures and logs in as the account's settings say (the import's, IDLE's and the
/// mailbox browser's way in), within `limit`; failures in the same plain words as Test connection.
pub async fn imap_login(a: &MailAccount, password: &str, limit: Duration, net: &Net) -> Result<ImapSession, String> {
    let (host, port, tls) = (a.imap_host.as_str(), a.imap_port as u16, a.imap_tls());
    if host.is_empty() {
        return Err("No IMAP server is set for this account.".into());
    }
    let deadline = Instant::now() + limit;
    let work = async {
        let c = open(net, host, port, tls, (deadline, limit)).await?;
        login(c, host, port, a.imap_user(), password).await
    };
    match tokio::time::timeout_at(deadline, work).await {
        Err(_) => Err(format!("{host}:{port} stopped answering: no reply within {}.", secs(limit))),
        Ok(r) => r,
    }
}

/// The text of an IMAP `NO` answer: async-imap hands it over as `code: …, info: Some("…")`.
pub fn server_words(raw: &str) -> String {
    let info = raw
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map(|(text, _)| text.replace("\\\"", "\""))
        .unwrap_or_else(|| raw.trim().to_string());
    let text = info.trim();
    if text.ends_with('.') { text.to_string() } else { format!("{text}.") }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_imap_no_is_told_in_the_servers_words() {
        let raw = r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#;
        assert_eq!(super::server_words(raw), "[AUTHENTICATIONFAILED] Authentication failed.");
        assert_eq!(super::server_words("Mailbox does not exist"), "Mailbox does not exist.");
    }
}
