//! A throwaway certificate authority and a server certificate for 127.0.0.1 and localhost, made at
//! test time with the `openssl` command (Debian's openssl, which `scripts/test` makes sure of), once
//! per test process: the TLS test servers (Dovecot, aiosmtpd) present the server certificate, and an
//! app trusts it only when `FERROCRM_MAIL_CA_FILE` names `ca_pem`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

pub struct TestCa {
    /// The authority's certificate (PEM): what `FERROCRM_MAIL_CA_FILE` names.
    pub ca_pem: PathBuf,
    /// The server's certificate (PEM, for IP 127.0.0.1 and DNS localhost) and its key.
    pub cert: PathBuf,
    pub key: PathBuf,
    _dir: tempfile::TempDir,
}

const CA_CONFIG: &str = "[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = FerroCRM Test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
";

const SERVER_EXT: &str = "basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (install Debian's openssl: scripts/test does)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The process's test authority (made on first use).
pub fn ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("test-ca").tempdir_in(super::app::test_tmp_root()).expect("tempdir");
        let d = dir.path();
        std::fs::write(d.join("ca.cnf"), CA_CONFIG).expect("write ca.cnf");
        std::fs::write(d.join("server.ext"), SERVER_EXT).expect("write server.ext");
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        let mut ca = vec!["req", "-x509", "-config", "ca.cnf", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30"];
        ca.extend(ec);
        openssl(d, &ca);
        let mut req = vec!["req", "-new", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"];
        req.extend(ec);
        openssl(d, &req);
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "30",
                "-extfile",
                "server.ext",
            ],
        );
        // Dovecot's and aiosmtpd's processes read the certificate and key (Dovecot's config reader
        // runs as root, aiosmtpd as this user): readable, in a traversable directory.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        TestCa { ca_pem: d.join("ca.pem"), cert: d.join("server.pem"), key: d.join("server.key"), _dir: dir }
    })
}

impl TestCa {
    /// A TLS client that trusts this authority only (the test servers' own helpers use it).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(&self.ca_pem).expect("read ca.pem") {
            roots.add(c.expect("a certificate")).expect("add the test CA");
        }
        Arc::new(ClientConfig::builder().with_root_certificates(roots).with_no_client_auth())
    }
}
