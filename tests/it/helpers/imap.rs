//! A real IMAP server on loopback: Dovecot with a throwaway configuration (its own base, state and
//! log directories, a passwd-file user, a Maildir, plain LOGIN allowed on 127.0.0.1), one per
//! test: without TLS (`start`), or with `ssl = required`, STARTTLS on `port` and TLS from the first
//! byte on `tls_port` (`start_tls`, the certificate of `helpers::tls`). `scripts/test` installs Debian's dovecot-imapd. Runs as root (as the test script does):
//! the mail belongs to `nobody`, the login processes to the package's `dovecot`/`dovenull` users.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

pub const DOVECOT: &str = "/usr/sbin/dovecot";

pub struct Dovecot {
    pub host: String,
    /// The IMAP port (STARTTLS offered, and required, on a TLS server).
    pub port: u16,
    /// The implicit-TLS port (imaps) of a TLS server.
    pub tls_port: Option<u16>,
    pub user: String,
    pub password: String,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn id_of(args: &[&str]) -> String {
    let out = Command::new(args[0]).args(&args[1..]).output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Dovecot {
    /// Starts a server with user `test@example.com` (password `imap-secret-1`) and an empty INBOX.
    pub async fn start() -> Dovecot {
        Self::launch(false).await
    }

    /// The same server with `ssl = required`: STARTTLS on `port`, TLS on `tls_port`.
    pub async fn start_tls() -> Dovecot {
        Self::launch(true).await
    }

    async fn launch(tls: bool) -> Dovecot {
        assert!(
            std::path::Path::new(DOVECOT).exists(),
            "{DOVECOT} is missing: install Debian's dovecot-imapd (scripts/test does, as root)"
        );
        assert_eq!(id_of(&["id", "-u"]), "0", "the Dovecot test server is started as root (scripts/test runs as root)");
        // In the run's directory (scripts/test makes it traversable, 0711, and stops what is left
        // running there); this one is 0755: Dovecot's unprivileged processes reach their sockets.
        let dir = tempfile::Builder::new().prefix("dovecot").tempdir_in(super::app::test_tmp_root()).expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let d = dir.path().to_path_buf();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(d.join(sub)).expect("mkdir");
        }
        let uid = id_of(&["id", "-u", "nobody"]);
        let gid = id_of(&["getent", "group", "nogroup"]).split(':').nth(2).unwrap_or("65534").to_string();
        let port = free_port();
        let tls_port = tls.then(free_port);
        let ssl = match tls {
            false => "ssl = no".to_string(),
            true => {
                let ca = super::tls::ca();
                format!("ssl = required\nssl_cert = <{}\nssl_key = <{}", ca.cert.display(), ca.key.display())
            }
        };
        let imaps = match tls_port {
            Some(p) => format!("address = 127.0.0.1\n    port = {p}"),
            None => "port = 0".to_string(),
        };
        let (user, password) = ("test@example.com".to_string(), "imap-secret-1".to_string());
        let conf = format!(
            r#"base_dir = {d}/run
state_dir = {d}/state
instance_name = ferrocrm-test-{port}
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
first_valid_uid = {uid}
last_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"#,
            d = d.display()
        );
        std::fs::write(d.join("dovecot.conf"), conf).expect("write dovecot.conf");
        std::fs::write(d.join("users"), format!("{user}:{{PLAIN}}{password}\n")).expect("write users");
        let maildir = d.join("mail").join(&user);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("mkdir");
        }
        let chown = Command::new("chown").args(["-R", &format!("{uid}:{gid}")]).arg(d.join("mail")).status();
        assert!(chown.map(|s| s.success()).unwrap_or(false), "chown the Maildir");
        let started = Command::new(DOVECOT).arg("-c").arg(d.join("dovecot.conf")).status().expect("run dovecot");
        let server = Dovecot { host: "127.0.0.1".into(), port, tls_port, user, password, dir };
        assert!(started.success(), "dovecot did not start: {}", server.log());
        for _ in 0..200 {
            let up = |p: u16| async move { tokio::net::TcpStream::connect(("127.0.0.1", p)).await.is_ok() };
            if up(port).await && (tls_port.is_none() || up(tls_port.unwrap_or(port)).await) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("dovecot did not listen on {port}: {}", server.log());
    }

    /// A logged-in session as a mail client has it: over TLS (trusting the test authority) on a TLS
    /// server, plain otherwise.
    async fn session(&self) -> async_imap::Session<Box<dyn ferrocrm::mail_accounts::check::Stream>> {
        use ferrocrm::mail_accounts::check::Stream;
        let (port, tls) = match self.tls_port {
            Some(p) => (p, true),
            None => (self.port, false),
        };
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), port)).await.expect("connect");
        let stream: Box<dyn Stream> = if tls {
            let connector = tokio_rustls::TlsConnector::from(super::tls::ca().client_config());
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(self.host.clone()).expect("name");
            Box::new(connector.connect(name, tcp).await.expect("TLS to the test Dovecot"))
        } else {
            Box::new(tcp)
        };
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.expect("greeting");
        client.login(&self.user, &self.password).await.map_err(|(e, _)| e).expect("login")
    }

    /// Dovecot's own log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.path().join("run").join("master.pid")
    }

    /// Appends a raw RFC 5322 message to `folder` (created when missing) over IMAP, as a mail client
    /// would; returns the folder's UIDVALIDITY and the new message count.
    pub async fn append(&self, folder: &str, raw: &[u8]) -> (u32, u32) {
        let mut s = self.session().await;
        if folder != "INBOX" {
            let _ = s.create(folder).await;
        }
        s.append(folder, None, None, raw).await.expect("append");
        let mb = s.select(folder).await.expect("select");
        let _ = s.logout().await;
        (mb.uid_validity.unwrap_or(0), mb.exists)
    }

    /// Appends many messages to `folder` (created when missing) in one session; each message's
    /// answer (`Err`: the server refused it, with its words).
    pub async fn append_all(&self, folder: &str, raws: &[Vec<u8>]) -> Vec<Result<(), String>> {
        let mut s = self.session().await;
        if folder != "INBOX" {
            let _ = s.create(folder).await;
        }
        let mut out = Vec::with_capacity(raws.len());
        for raw in raws {
            out.push(s.append(folder, None, None, raw).await.map_err(|e| e.to_string()));
        }
        let _ = s.logout().await;
        out
    }

    /// Gives `folder` a new UIDVALIDITY (`doveadm mailbox update`), as a server does after its
    /// index is rebuilt: every UID a client knew is void.
    pub fn set_uidvalidity(&self, folder: &str, value: u32) {
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .args(["mailbox", "update", "-u", &self.user, "--uid-validity", &value.to_string(), folder])
            .output()
            .expect("run doveadm");
        assert!(
            out.status.success(),
            "doveadm mailbox update: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A folder's UIDVALIDITY and message count, as a client sees them.
    pub async fn status(&self, folder: &str) -> (u32, u32) {
        let mut s = self.session().await;
        let mb = s.examine(folder).await.expect("examine");
        let _ = s.logout().await;
        (mb.uid_validity.unwrap_or(0), mb.exists)
    }

    /// Stops the server (every child exits within about a second).
    pub fn stop(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.pid_file()) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}
