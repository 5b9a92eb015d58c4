//! One HTTPS POST of a url-encoded form, answer body returned (the captcha's siteverify). HTTP/1.1
//! with `Connection: close`, rustls with Mozilla's roots; answers larger than 64 KiB are refused.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

const MAX_ANSWER: usize = 64 * 1024;

pub async fn post_form(url: &str, body: &str) -> anyhow::Result<Vec<u8>> {
    let rest = url.strip_prefix("https://").ok_or_else(|| anyhow::anyhow!("not an https URL"))?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect((host, 443)).await?;
    let name = ServerName::try_from(host.to_string())?;
    let mut tls = TlsConnector::from(Arc::new(config)).connect(name, tcp).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
Content-Length: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    (&mut tls).take(MAX_ANSWER as u64 + 1).read_to_end(&mut answer).await?;
    anyhow::ensure!(answer.len() <= MAX_ANSWER, "answer too large");
    let split = memchr::memmem::find(&answer, b"\r\n\r\n").ok_or_else(|| anyhow::anyhow!("no HTTP header end"))?;
    let head = String::from_utf8_lossy(&answer[..split]);
    anyhow::ensure!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "status: {}",
        head.lines().next().unwrap_or("")
    );
    let mut payload = answer[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        payload = dechunk(&payload).ok_or_else(|| anyhow::anyhow!("bad chunked body"))?;
    }
    Ok(payload)
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = memchr::memmem::find(b, b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunked_answers_are_joined() {
        assert_eq!(super::dechunk(b"4\r\n{\"su\r\n3;x\r\nc\":\r\n0\r\n\r\n").as_deref(), Some(&b"{\"suc\":"[..]));
        assert_eq!(super::dechunk(b"zz\r\n"), None);
    }
}
