//! A real SMTP server on loopback (Python aiosmtpd writing a Maildir), one per test.

use std::path::PathBuf;

use mail_parser::MimeHeaders;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    pub port: u16,
    pub maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

/// One delivered message, parsed.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    /// The login the sender authenticated with (sinks with a login).
    pub auth_login: String,
    pub cc: String,
    pub in_reply_to: String,
    pub references: String,
    /// `Disposition-Notification-To` (a read receipt asked for).
    pub receipt_to: String,
    pub html: String,
    /// Names of the attached files.
    pub attachments: Vec<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// How a sink secures its connections (the certificate of `helpers::tls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkTls {
    None,
    /// STARTTLS offered and required before MAIL and AUTH.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

/// aiosmtpd's Mailbox handler behind AUTH (PLAIN and LOGIN, allowed without TLS on loopback unless
/// the sink does STARTTLS): only the login and password given in the environment get in.
/// SINK_TLS=starttls offers (and requires) STARTTLS, SINK_TLS=tls speaks TLS from the first byte.
const WITH_LOGIN: &str = r#"
import os, signal, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
user, password = os.environ["SINK_USER"].encode(), os.environ["SINK_PASSWORD"].encode()
def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == user and data.password == password
    # handled=False: aiosmtpd answers 535 itself (with the default, True, it would answer nothing).
    return AuthResult(success=ok, handled=False, auth_data=data)
class Scripted(Mailbox):
    # Recipients containing "reject" get a permanent 550; the first SINK_TEMPFAIL letters a 451.
    tempfail = int(os.environ.get("SINK_TEMPFAIL", "0"))
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "reject" in address:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        if Scripted.tempfail > 0:
            Scripted.tempfail -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)
    def prepare_message(self, session, envelope):
        m = super().prepare_message(session, envelope)
        a = session.auth_data
        m["X-AuthLogin"] = a.login.decode() if isinstance(a, LoginPassword) else ""
        return m
mode, kw = os.environ.get("SINK_TLS", ""), {}
if mode:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.environ["SINK_CERT"], os.environ["SINK_KEY"])
    if mode == "starttls":
        kw = dict(tls_context=ctx, require_starttls=True)
    else:
        kw = dict(ssl_context=ctx, server_hostname="localhost")
c = Controller(Scripted(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]), authenticator=check,
               auth_require_tls=(mode == "starttls"), auth_required=True, **kw)
c.start()
signal.sigwait({signal.SIGTERM, signal.SIGINT})
c.stop()
"#;

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::launch(None, 0, SinkTls::None).await
    }

    /// A sink that requires AUTH with this login and password.
    pub async fn start_with_login(user: &str, password: &str) -> SmtpSink {
        Self::launch(Some((user, password)), 0, SinkTls::None).await
    }

    /// A sink with a login that speaks TLS as `tls` says, with the test authority's certificate.
    pub async fn start_tls(user: &str, password: &str, tls: SinkTls) -> SmtpSink {
        Self::launch(Some((user, password)), 0, tls).await
    }

    /// A sink with a login that answers the first `tempfail` letters with 451 (try again later)
    /// and every recipient containing "reject" with 550 (user unknown).
    pub async fn start_scripted(user: &str, password: &str, tempfail: usize) -> SmtpSink {
        Self::launch(Some((user, password)), tempfail, SinkTls::None).await
    }

    async fn launch(login: Option<(&str, &str)>, tempfail: usize, tls: SinkTls) -> SmtpSink {
        let python = std::env::var("FERROCRM_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let ok = Command::new(&python).args(["-c", "import aiosmtpd"]).status().map(|s| s.success()).unwrap_or(false);
        assert!(
            ok,
            "{python} cannot import aiosmtpd: install Debian's python3-aiosmtpd (scripts/test does) or set FERROCRM_TEST_PYTHON"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        // aiosmtpd's Mailbox handler wants a path that does not exist yet (it creates the Maildir).
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let mut cmd = Command::new(&python);
        match login {
            None if tempfail > 0 || tls != SinkTls::None => panic!("a scripted or TLS sink needs a login"),
            None => {
                cmd.args([
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    &format!("127.0.0.1:{port}"),
                    "-c",
                    "aiosmtpd.handlers.Mailbox",
                ]);
            }
            Some((user, password)) => {
                cmd.args(["-c", WITH_LOGIN, &port.to_string()])
                    .env("SINK_USER", user)
                    .env("SINK_PASSWORD", password)
                    .env("SINK_TEMPFAIL", tempfail.to_string());
                if tls != SinkTls::None {
                    let ca = super::tls::ca();
                    cmd.env("SINK_TLS", if tls == SinkTls::StartTls { "starttls" } else { "tls" })
                        .env("SINK_CERT", &ca.cert)
                        .env("SINK_KEY", &ca.key);
                }
            }
        }
        let child = cmd.arg(&maildir).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start aiosmtpd");
        let mut sink = SmtpSink { port, maildir, child, _dir: dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        sink.stop();
        panic!("aiosmtpd did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message delivered so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<_> = std::fs::read_dir(self.maildir.join("new"))
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|raw| {
                let m = mail_parser::MessageParser::default().parse(&raw)?;
                let header = |n: &str| m.header_raw(n).map(|v| v.trim().to_string()).unwrap_or_default();
                Some(Mail {
                    to: header("X-RcptTo").split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
                    from: header("From"),
                    subject: m.subject().unwrap_or_default().to_string(),
                    body: m.body_text(0).map(|b| b.to_string()).unwrap_or_default(),
                    message_id: m.message_id().unwrap_or_default().to_string(),
                    auth_login: header("X-AuthLogin"),
                    cc: header("Cc"),
                    in_reply_to: header("In-Reply-To"),
                    references: header("References"),
                    receipt_to: header("Disposition-Notification-To"),
                    html: m.body_html(0).map(|b| b.to_string()).unwrap_or_default(),
                    attachments: m.attachments().filter_map(|a| a.attachment_name().map(str::to_string)).collect(),
                })
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived (panics after `wait`).
    pub async fn wait_for(&self, n: usize, wait: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} messages within {wait:?}, got {}: {m:?}",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (to test retries), keeping what it received.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
