//! A real SMTP server on loopback (Python aiosmtpd writing a Maildir), one per test.

use std::path::PathBuf;
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
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// aiosmtpd's Mailbox handler behind AUTH (PLAIN and LOGIN, allowed without TLS on loopback):
/// only the login and password given in the environment get in.
const WITH_LOGIN: &str = r#"
import os, signal, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
user, password = os.environ["SINK_USER"].encode(), os.environ["SINK_PASSWORD"].encode()
def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == user and data.password == password
    # handled=False: aiosmtpd answers 535 itself (with the default, True, it would answer nothing).
    return AuthResult(success=ok, handled=False)
c = Controller(Mailbox(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]), authenticator=check,
               auth_require_tls=False, auth_required=True)
c.start()
signal.sigwait({signal.SIGTERM, signal.SIGINT})
c.stop()
"#;

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        Self::launch(None).await
    }

    /// A sink that requires AUTH with this login and password.
    pub async fn start_with_login(user: &str, password: &str) -> SmtpSink {
        Self::launch(Some((user, password))).await
    }

    async fn launch(login: Option<(&str, &str)>) -> SmtpSink {
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
                cmd.args(["-c", WITH_LOGIN, &port.to_string()]).env("SINK_USER", user).env("SINK_PASSWORD", password);
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
