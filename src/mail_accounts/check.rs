//! "Test connection": SMTP (connect, TLS as configured, AUTH) and IMAP (connect, TLS, LOGIN,
//! SELECT INBOX, UIDVALIDITY), side by side, each within the configured time limit, told in plain
//! words. Nothing here logs a password; lettre keeps credentials out of its `Debug`, and
//! async-imap's `log` records (which would show the LOGIN line at trace level) are not bridged
//! into the app's tracing output.

use std::sync::Arc;
use std::time::Duration;

use async_imap::Client;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use super::model::{MailAccount, Tls};

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
pub async fn run(a: &MailAccount, password: Result<String, String>, limit: Duration, private_ok: bool) -> Outcome {
    let password = match password {
        Ok(p) => p,
        Err(why) => {
            let text = format!("The stored password cannot be used: {why}.");
            return Outcome { smtp: Part::failed(text.clone()), imap: Part::failed(text) };
        }
    };
    let (smtp, imap) = tokio::join!(smtp(a, &password, limit, private_ok), imap(a, &password, limit, private_ok));
    Outcome { smtp, imap }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} seconds") } else { format!("{s:.1} seconds") }
}

/// An address on this machine or its networks rather than the internet: loopback, private
/// (RFC 1918, IPv6 unique local), link-local, carrier-grade NAT, unspecified, multicast or broadcast,
/// and IPv4 written inside IPv6.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_multicast()
                || v.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v) => {
            if let Some(v4) = v.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let seg = v.segments();
            v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Resolves and connects by `deadline` (`limit` after the side started), with the reasons a person
/// can act on. Unless `private_ok` (`FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS`), a name that resolves to a
/// private, loopback or link-local address is refused before any connection: the settings are the
/// user's, and the server must not become their way into its own network. The connection goes to
/// the address checked, not to a second lookup.
async fn connect(
    host: &str,
    port: u16,
    deadline: Instant,
    limit: Duration,
    private_ok: bool,
) -> Result<TcpStream, String> {
    let addrs = match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
        Err(_) => return Err(format!("Could not find the server {host}: the name lookup took over {}.", secs(limit))),
        Ok(Err(_)) => return Err(format!("Could not find the server {host}: the name does not resolve.")),
        Ok(Ok(a)) => a.collect::<Vec<_>>(),
    };
    if !private_ok && let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
        return Err(format!(
            "{host} is at {}, an address of a private, local or link-local network: mail servers there are not \
             reached from the CRM (an administrator may allow them with FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS=1).",
            bad.ip()
        ));
    }
    let mut last = None;
    for addr in addrs {
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(e)) => last = Some(e),
            Err(_) => return Err(format!("Could not reach {host}:{port}: no answer within {}.", secs(limit))),
        }
    }
    Err(match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("Could not reach {host}:{port}: connection refused (nothing accepts connections on that port).")
        }
        Some(e) => format!("Could not reach {host}:{port}: {e}."),
        None => format!("Could not find the server {host}: the name has no address."),
    })
}

fn mode(t: Tls) -> &'static str {
    match t {
        Tls::None => "without encryption",
        Tls::StartTls => "with STARTTLS",
        Tls::Tls => "with TLS",
    }
}

async fn smtp(a: &MailAccount, password: &str, limit: Duration, private_ok: bool) -> Part {
    let (host, port, tls) = (a.smtp_host.as_str(), a.smtp_port as u16, a.smtp_tls());
    let deadline = Instant::now() + limit;
    // Reachability first, on its own: lettre's errors do not tell a refused port from a dead host.
    if let Err(e) = connect(host, port, deadline, limit, private_ok).await {
        return Part::failed(e);
    }
    let builder = match tls {
        Tls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
        Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
        Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
    };
    let mut builder = match builder {
        // lettre's own limit a little later than ours, so ours is the one that speaks.
        Ok(b) => b.port(port).timeout(Some(limit + Duration::from_secs(2))),
        Err(e) => return Part::failed(format!("The SMTP settings for {host} cannot be used: {e}.")),
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

fn smtp_error(host: &str, port: u16, tls: Tls, e: &lettre::transport::smtp::Error) -> String {
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
        return format!("{host}:{port} does not offer STARTTLS: choose TLS (usually port 465) or no encryption.");
    }
    if e.is_tls() {
        return format!("The TLS handshake with {host}:{port} failed: {words}.");
    }
    if e.is_timeout() {
        return format!("{host}:{port} stopped answering: {words}.");
    }
    if tls == Tls::Tls && words.contains("InvalidContentType") {
        return format!("{host}:{port} does not speak TLS from the start: choose STARTTLS (usually port 587).");
    }
    format!("The SMTP server at {host}:{port} answered with an error: {words}.")
}

fn tls_connector() -> TlsConnector {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    TlsConnector::from(Arc::new(ClientConfig::builder().with_root_certificates(roots).with_no_client_auth()))
}

async fn imap(a: &MailAccount, password: &str, limit: Duration, private_ok: bool) -> Part {
    if a.imap_host.is_empty() {
        return Part { ok: None, text: "No IMAP server is set, so there was nothing to check.".into() };
    }
    let (host, port, tls) = (a.imap_host.as_str(), a.imap_port as u16, a.imap_tls());
    let deadline = Instant::now() + limit;
    match tokio::time::timeout_at(
        deadline,
        imap_dialogue(host, port, tls, a.imap_user(), password, (deadline, limit), private_ok),
    )
    .await
    {
        Err(_) => Part::failed(format!("{host}:{port} stopped answering: no reply within {}.", secs(limit))),
        Ok(Ok(text)) => Part::ok(text),
        Ok(Err(text)) => Part::failed(text),
    }
}

async fn imap_dialogue(
    host: &str,
    port: u16,
    tls: Tls,
    user: &str,
    password: &str,
    (deadline, limit): (Instant, Duration),
    private_ok: bool,
) -> Result<String, String> {
    let tcp = connect(host, port, deadline, limit, private_ok).await?;
    let name =
        ServerName::try_from(host.to_string()).map_err(|_| format!("{host} is not a valid server name for TLS."))?;
    let handshake = |e: std::io::Error| format!("The TLS handshake with {host}:{port} failed: {e}.");
    match tls {
        Tls::None => {
            let mut c = Client::new(tcp);
            greeting(&mut c, host, port).await?;
            session(c, host, port, tls, user, password).await
        }
        Tls::Tls => {
            let stream = tls_connector().connect(name, tcp).await.map_err(handshake)?;
            let mut c = Client::new(stream);
            greeting(&mut c, host, port).await?;
            session(c, host, port, tls, user, password).await
        }
        Tls::StartTls => {
            let mut c = Client::new(tcp);
            greeting(&mut c, host, port).await?;
            c.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| {
                format!("{host}:{port} does not offer STARTTLS ({e}): choose TLS (usually port 993) or no encryption.")
            })?;
            let stream = tls_connector().connect(name, c.into_inner()).await.map_err(handshake)?;
            session(Client::new(stream), host, port, tls, user, password).await
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

async fn session<S>(c: Client<S>, host: &str, port: u16, tls: Tls, user: &str, password: &str) -> Result<String, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut s = match c.login(user, password).await {
        Ok(s) => s,
        Err((async_imap::error::Error::No(words), _)) => {
            return Err(format!("The IMAP server refused the login: {}", server_words(&words)));
        }
        Err((async_imap::error::Error::Validate(_), _)) => {
            return Err("The login or password holds a character IMAP cannot send (a line break).".into());
        }
        Err((e, _)) => return Err(format!("The IMAP login at {host}:{port} failed: {e}.")),
    };
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

/// Connects, secures and logs in as the account's settings say (the import's way in), within
/// `limit`; failures in the same plain words as Test connection.
pub async fn imap_login(
    a: &MailAccount,
    password: &str,
    limit: Duration,
    private_ok: bool,
) -> Result<ImapSession, String> {
    let (host, port, tls) = (a.imap_host.as_str(), a.imap_port as u16, a.imap_tls());
    if host.is_empty() {
        return Err("No IMAP server is set for this account.".into());
    }
    let deadline = Instant::now() + limit;
    let work = async {
        let tcp = connect(host, port, deadline, limit, private_ok).await?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| format!("{host} is not a valid server name for TLS."))?;
        let handshake = |e: std::io::Error| format!("The TLS handshake with {host}:{port} failed: {e}.");
        let stream: Box<dyn Stream> = match tls {
            Tls::None => Box::new(tcp),
            Tls::Tls => Box::new(tls_connector().connect(name, tcp).await.map_err(handshake)?),
            Tls::StartTls => {
                let mut c = Client::new(tcp);
                greeting(&mut c, host, port).await?;
                c.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| {
                    format!(
                        "{host}:{port} does not offer STARTTLS ({e}): choose TLS (usually port 993) or no encryption."
                    )
                })?;
                Box::new(tls_connector().connect(name, c.into_inner()).await.map_err(handshake)?)
            }
        };
        let mut c = Client::new(stream);
        if tls != Tls::StartTls {
            greeting(&mut c, host, port).await?;
        }
        match c.login(a.imap_user(), password).await {
            Ok(s) => Ok(s),
            Err((async_imap::error::Error::No(words), _)) => {
                Err(format!("The IMAP server refused the login: {}", server_words(&words)))
            }
            Err((async_imap::error::Error::Validate(_), _)) => {
                Err("The login or password holds a character IMAP cannot send (a line break).".to_string())
            }
            Err((e, _)) => Err(format!("The IMAP login at {host}:{port} failed: {e}.")),
        }
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
    fn private_loopback_and_link_local_addresses_are_recognised() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"] {
            assert!(super::is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::"] {
            assert!(super::is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!super::is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn an_imap_no_is_told_in_the_servers_words() {
        let raw = r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#;
        assert_eq!(super::server_words(raw), "[AUTHENTICATIONFAILED] Authentication failed.");
        assert_eq!(super::server_words("Mailbox does not exist"), "Mailbox does not exist.");
    }
}
