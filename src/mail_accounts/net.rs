//! How the CRM reaches a mail server, for every mail connection (Test connection, the import and
//! its IDLE, the mailbox browser, sending letters, the notification outbox):
//!
//! - **Which certificates it trusts**: Mozilla's roots (webpki-roots) plus the certificate
//!   authorities of `FERROCRM_MAIL_CA_FILE` (a PEM file with one or more CA certificates, for
//!   company mail servers with an internal CA). A file that cannot be read or holds no usable
//!   certificate stops the start with a sentence saying so.
//! - **Which addresses it may connect to**: a user's host name is looked up once, refused when any
//!   of its addresses is private, loopback or link-local (unless `FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS`),
//!   and the connection goes to the address that was checked, never to a second look-up (lettre is
//!   given the IP address, while TLS still verifies the certificate against the host name).
//! - **What a failed handshake means** in words a person can act on (`tls_words`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{self, CertificateError, ClientConfig, RootCertStore};

use super::model::Tls;

/// The trust and address rules of mail connections, built once at start. Cheap to clone.
#[derive(Clone)]
pub struct Net {
    inner: Arc<Inner>,
}

struct Inner {
    tls: Arc<ClientConfig>,
    /// The certificates of `FERROCRM_MAIL_CA_FILE` (lettre is handed them one by one).
    extra: Vec<CertificateDer<'static>>,
    private_ok: bool,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net")
            .field("extra_authorities", &self.inner.extra.len())
            .field("private_ok", &self.inner.private_ok)
            .finish()
    }
}

/// Reads the CA file: every certificate in it, each usable as a trust anchor.
fn read_authorities(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let shown = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("FERROCRM_MAIL_CA_FILE={shown} cannot be read: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("FERROCRM_MAIL_CA_FILE={shown} is not a valid PEM file: {e}"))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "FERROCRM_MAIL_CA_FILE={shown} holds no certificate: it should contain one or more \
         \"-----BEGIN CERTIFICATE-----\" blocks of the certificate authorities to trust"
    );
    for (n, c) in certs.iter().enumerate() {
        RootCertStore::empty().add(c.clone()).map_err(|e| {
            anyhow::anyhow!("FERROCRM_MAIL_CA_FILE={shown}: certificate {} of the file cannot be used: {e}", n + 1)
        })?;
    }
    Ok(certs)
}

impl Net {
    /// Mozilla's roots, plus `ca_file`'s authorities when one is set.
    pub fn load(ca_file: Option<&PathBuf>, private_ok: bool) -> anyhow::Result<Net> {
        let extra = match ca_file {
            Some(p) => read_authorities(p)?,
            None => Vec::new(),
        };
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for c in &extra {
            roots.add(c.clone())?;
        }
        let tls = Arc::new(ClientConfig::builder().with_root_certificates(roots).with_no_client_auth());
        Ok(Net { inner: Arc::new(Inner { tls, extra, private_ok }) })
    }

    /// How many authorities the CA file added.
    pub fn extra_authorities(&self) -> usize {
        self.inner.extra.len()
    }

    pub fn private_ok(&self) -> bool {
        self.inner.private_ok
    }

    /// The TLS client of IMAP connections.
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::from(self.inner.tls.clone())
    }

    /// lettre's TLS parameters for `host` (the name the certificate must carry) with the same roots.
    pub fn smtp_tls(&self, host: &str) -> Result<TlsParameters, lettre::transport::smtp::Error> {
        let mut b = TlsParameters::builder(host.to_string());
        for c in &self.inner.extra {
            b = b.add_root_certificate(Certificate::from_der(c.to_vec())?);
        }
        b.build_rustls()
    }

    /// lettre's `Tls` for a mode of our settings.
    pub fn lettre_tls(&self, host: &str, tls: Tls) -> Result<LettreTls, lettre::transport::smtp::Error> {
        Ok(match tls {
            Tls::None => LettreTls::None,
            Tls::StartTls => LettreTls::Required(self.smtp_tls(host)?),
            Tls::Tls => LettreTls::Wrapper(self.smtp_tls(host)?),
        })
    }

    /// A lettre transport to `host`'s checked address `ip`: lettre connects to the address (no look-up
    /// of its own), and TLS verifies the certificate against `host`.
    pub fn smtp_builder(
        &self,
        host: &str,
        ip: IpAddr,
        port: u16,
        tls: Tls,
    ) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder, String> {
        let tls =
            self.lettre_tls(host, tls).map_err(|e| format!("The SMTP settings for {host} cannot be used: {e}."))?;
        Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ip.to_string()).port(port).tls(tls))
    }

    /// Looks `host` up once and refuses it when any address is private (unless allowed).
    pub async fn resolve(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
        limit: Duration,
    ) -> Result<Vec<SocketAddr>, Refusal> {
        let addrs = match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
            Err(_) => {
                return Err(Refusal::Unreachable(format!(
                    "Could not find the server {host}: the name lookup took over {}.",
                    secs(limit)
                )));
            }
            Ok(Err(_)) => {
                return Err(Refusal::Unreachable(format!(
                    "Could not find the server {host}: the name does not resolve."
                )));
            }
            Ok(Ok(a)) => a.collect::<Vec<_>>(),
        };
        if !self.inner.private_ok
            && let Some(bad) = addrs.iter().find(|a| is_private(a.ip()))
        {
            return Err(Refusal::Private(format!(
                "{host} is at {}, an address of a private, local or link-local network: mail servers there are not \
                 reached from the CRM (an administrator may allow them with FERROCRM_MAIL_ALLOW_PRIVATE_HOSTS=1).",
                bad.ip()
            )));
        }
        if addrs.is_empty() {
            return Err(Refusal::Unreachable(format!("Could not find the server {host}: the name has no address.")));
        }
        Ok(addrs)
    }

    /// Resolves (once, checked) and connects by `deadline`, with the reasons a person can act on.
    /// The connection goes to an address that was checked, not to a second look-up.
    pub async fn connect(
        &self,
        host: &str,
        port: u16,
        deadline: Instant,
        limit: Duration,
    ) -> Result<TcpStream, Refusal> {
        let addrs = self.resolve(host, port, deadline, limit).await?;
        let mut last = None;
        for addr in addrs {
            match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(e)) => last = Some(e),
                Err(_) => {
                    return Err(Refusal::Unreachable(format!(
                        "Could not reach {host}:{port}: no answer within {}.",
                        secs(limit)
                    )));
                }
            }
        }
        Err(Refusal::Unreachable(match last {
            Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                format!("Could not reach {host}:{port}: connection refused (nothing accepts connections on that port).")
            }
            Some(e) => format!("Could not reach {host}:{port}: {e}."),
            None => format!("Could not find the server {host}: the name has no address."),
        }))
    }
}

/// Why no connection was made.
#[derive(Debug)]
pub enum Refusal {
    /// The address is private and such hosts are not allowed: trying again will not help.
    Private(String),
    /// The name does not resolve, or nothing answered: may work later.
    Unreachable(String),
}

impl Refusal {
    pub fn text(self) -> String {
        match self {
            Refusal::Private(t) | Refusal::Unreachable(t) => t,
        }
    }
}

impl From<Refusal> for String {
    fn from(r: Refusal) -> String {
        r.text()
    }
}

pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 { format!("{s:.0} seconds") } else { format!("{s:.1} seconds") }
}

/// An address on this machine or its networks rather than the internet: loopback, private
/// (RFC 1918, IPv6 unique local), link-local, carrier-grade NAT, unspecified, multicast or broadcast,
/// and IPv4 written inside IPv6.
pub fn is_private(ip: IpAddr) -> bool {
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

/// The rustls error somewhere in `err`'s chain (also inside an `io::Error`, whose `source` skips it).
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|i| i.downcast_ref()) {
            return Some(r);
        }
        cur = e.source();
    }
    None
}

/// Whether the chain ends in the peer closing the connection (during a handshake: it does not
/// speak TLS there).
fn closed_early(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(io.kind(), std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset)
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// A failed TLS handshake with `host:port` told in plain words, or `None` when `err` is no TLS
/// failure. `starttls`: the handshake followed STARTTLS (the port spoke plain text first).
pub fn tls_words(err: &(dyn std::error::Error + 'static), host: &str, port: u16, starttls: bool) -> Option<String> {
    let not_tls = || {
        Some(if starttls {
            format!("{host}:{port} accepted STARTTLS but then did not speak TLS.")
        } else {
            format!(
                "{host}:{port} does not speak TLS from the first byte: choose STARTTLS (usually SMTP port 587 or \
                 IMAP port 143) or no encryption, or the TLS port (SMTP 465, IMAP 993)."
            )
        })
    };
    let Some(r) = rustls_error(err) else {
        return if closed_early(err) { not_tls() } else { None };
    };
    let cert = |why: &str| Some(format!("The certificate that {host}:{port} presented is not trusted: {why}"));
    match r {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => cert(
                "it was not issued by a certificate authority FerroCRM knows. If the server uses your company's own \
                 certificate authority, an administrator can add it with FERROCRM_MAIL_CA_FILE.",
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                cert(&format!("it was issued for another name than {host}. Use the server name the certificate names."))
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                cert("it has expired. The server's administrator must renew it.")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                cert("it is not valid yet (is this server's or the mail server's clock right?).")
            }
            CertificateError::Revoked => cert("it has been revoked."),
            other => cert(&format!("it cannot be verified ({other:?}).")),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => not_tls(),
        rustls::Error::AlertReceived(a) => Some(format!("{host}:{port} refused the TLS handshake ({a:?}).")),
        rustls::Error::PeerIncompatible(_) => Some(format!(
            "{host}:{port} and FerroCRM have no TLS version or cipher in common (the server may be too old)."
        )),
        other => Some(format!("The TLS handshake with {host}:{port} failed: {other}.")),
    }
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
    fn a_certificate_error_inside_an_io_error_is_told_in_words() {
        use tokio_rustls::rustls::{CertificateError, Error};
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let text = super::tls_words(&io, "mail.example.com", 993, false).unwrap();
        assert!(text.contains("not trusted") && text.contains("FERROCRM_MAIL_CA_FILE"), "{text}");
        let plain = std::io::Error::other("something else");
        assert_eq!(super::tls_words(&plain, "h", 1, false), None);
    }
}
