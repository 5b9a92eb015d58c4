//! Secrets at rest: values the app must read back (mail account passwords) are sealed with
//! AES-256-GCM under one installation key.
//!
//! The key is `FERROCRM_SECRET_KEY` (32 bytes as 64 hex digits or base64), or else the file
//! `secret.key` in the data directory, created with mode 0600 on the first start. A sealed value is
//! `v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: a fresh random 96-bit nonce per value, the
//! purpose (`mail_accounts.password`) as associated data so a value cannot be moved to another
//! column, and the key's id (8 hex digits of a SHA-256 of the key) so a value sealed under another
//! key is recognised as such (and a later rotation knows which key opens what).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// The name of the key file in the data directory.
pub const KEY_FILE: &str = "secret.key";
const VERSION: &str = "v1";

/// 32 key bytes. Its `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}

impl Key {
    /// Reads 32 bytes written as 64 hex digits or as base64 (standard or URL-safe, padded or not).
    pub fn parse(text: &str) -> Result<Key, String> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|e| e.to_string())?
        } else {
            [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
                .iter()
                .find_map(|e| e.decode(t).ok())
                .ok_or_else(|| format!("it is neither 64 hex digits nor base64 ({} characters)", t.chars().count()))?
        };
        let n = bytes.len();
        let key: [u8; 32] = bytes.try_into().map_err(|_| format!("it decodes to {n} bytes, not 32"))?;
        Ok(Key(key))
    }

    fn random() -> Key {
        Key(rand::random())
    }

    fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// 8 hex digits naming the key (not the key: a hash of it).
    fn id(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"ferrocrm key id\0");
        h.update(self.0);
        hex::encode(&h.finalize()[..4])
    }
}

/// Why a sealed value could not be opened. Never a panic: the page says which it was.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error(
        "it was saved with another secret key (key {saved}; this server's key is {current}). Restore that key, or enter the password again"
    )]
    OtherKey { saved: String, current: String },
    #[error(
        "it does not decrypt with this server's secret key (the stored value was changed). Enter the password again"
    )]
    Damaged,
    #[error("the stored value is not in a format this version knows. Enter the password again")]
    Malformed,
}

/// The installation's cipher. Cheap to clone; `Debug` shows only the key id.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    /// A key derived from the installation key for signatures (`sign`), never used to encrypt.
    mac_key: [u8; 32],
    id: String,
    /// Where the key came from, for messages ("FERROCRM_SECRET_KEY" or the key file's path).
    pub source: String,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher").field("id", &self.id).field("source", &self.source).finish()
    }
}

impl Cipher {
    pub fn new(key: &Key, source: impl Into<String>) -> Cipher {
        let mut h = Sha256::new();
        h.update(b"ferrocrm signing key\0");
        h.update(key.0);
        let mac_key = h.finalize().into();
        Cipher { aead: Aes256Gcm::new((&key.0).into()), mac_key, id: key.id(), source: source.into() }
    }

    /// The configured key, or the data directory's key file (created on first start).
    pub fn load(key: Option<&Key>, data_dir: &Path) -> anyhow::Result<Cipher> {
        if let Some(k) = key {
            return Ok(Cipher::new(k, "FERROCRM_SECRET_KEY"));
        }
        let path = data_dir.join(KEY_FILE);
        let key = key_file(&path)?;
        Ok(Cipher::new(&key, path.display().to_string()))
    }

    /// The key's id, as sealed values carry it.
    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// Seals `plain` for the column `purpose`.
    pub fn seal(&self, purpose: &str, plain: &str) -> anyhow::Result<String> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .aead
            .encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: purpose.as_bytes() })
            .map_err(|_| anyhow::anyhow!("could not encrypt a value"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}:{}:{}", self.id, URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a value `seal` made for `purpose`.
    pub fn open(&self, purpose: &str, stored: &str) -> Result<String, OpenError> {
        let mut parts = stored.splitn(3, ':');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(OpenError::Malformed);
        };
        if id != self.id {
            return Err(OpenError::OtherKey { saved: id.to_string(), current: self.id.clone() });
        }
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| OpenError::Malformed)?;
        if raw.len() < 12 + 16 {
            return Err(OpenError::Malformed);
        }
        let (nonce, sealed) = raw.split_at(12);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: purpose.as_bytes() })
            .map_err(|_| OpenError::Damaged)?;
        String::from_utf8(plain).map_err(|_| OpenError::Damaged)
    }

    /// HMAC-SHA256 of `msg` for `purpose` (a link's signature), as 64 hex digits. The purpose is
    /// part of what is signed, so a signature made for one use is worthless for another.
    pub fn sign(&self, purpose: &str, msg: &str) -> String {
        let mut data = Vec::with_capacity(purpose.len() + 1 + msg.len());
        data.extend_from_slice(purpose.as_bytes());
        data.push(0);
        data.extend_from_slice(msg.as_bytes());
        hex::encode(hmac_sha256(&self.mac_key, &data))
    }

    /// Whether `sig` is `sign(purpose, msg)` (compared in constant time).
    pub fn verify(&self, purpose: &str, msg: &str, sig: &str) -> bool {
        use subtle::ConstantTimeEq;
        let want = self.sign(purpose, msg);
        want.len() == sig.len() && bool::from(want.as_bytes().ct_eq(sig.as_bytes()))
    }

    /// The key id a sealed value names, if it is one.
    pub fn id_of(stored: &str) -> Option<&str> {
        let mut parts = stored.splitn(3, ':');
        match (parts.next(), parts.next()) {
            (Some(VERSION), Some(id)) => Some(id),
            _ => None,
        }
    }
}

/// HMAC-SHA256 (RFC 2104) with a key of at most 64 bytes.
fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(key);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new().chain_update(&ipad).chain_update(msg).finalize();
    Sha256::new().chain_update(&opad).chain_update(inner).finalize().into()
}

/// Reads the key file, or creates it (0600, written and synced before use) when there is none.
/// Two instances starting at once on one data directory: `create_new` lets one write it and the
/// other read what was written.
fn key_file(path: &PathBuf) -> anyhow::Result<Key> {
    let read = |path: &PathBuf| -> anyhow::Result<Key> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the secret key file {}: {e}", path.display()))?;
        let key = Key::parse(&text).map_err(|e| {
            anyhow::anyhow!(
                "the secret key file {} does not hold a key (32 bytes as 64 hex digits or base64): {e}",
                path.display()
            )
        })?;
        warn_if_readable_by_others(path);
        Ok(key)
    };
    if path.exists() {
        return read(path);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the data directory {}: {e}", dir.display()))?;
    }
    let key = Key::random();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut f) => {
            f.write_all(format!("{}\n", key.to_base64()).as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| anyhow::anyhow!("cannot write the secret key file {}: {e}", path.display()))?;
            if let Some(dir) = path.parent()
                && let Ok(d) = std::fs::File::open(dir)
            {
                let _ = d.sync_all();
            }
            tracing::warn!(
                path = %path.display(),
                "created a new secret key file: it encrypts the stored mail passwords; back it up with the database"
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(anyhow::anyhow!("cannot create the secret key file {}: {e}", path.display())),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the secret key file is readable by other users: chmod 600 it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_as_hex_or_base64_and_other_lengths_are_refused() {
        let k = Key([7u8; 32]);
        assert_eq!(Key::parse(&hex::encode([7u8; 32])), Ok(k.clone()));
        assert_eq!(Key::parse(&format!("  {}\n", STANDARD.encode([7u8; 32]))), Ok(k.clone()));
        assert_eq!(Key::parse(&URL_SAFE_NO_PAD.encode([7u8; 32])), Ok(k));
        assert_eq!(Key::parse(&STANDARD.encode([7u8; 16])), Err("it decodes to 16 bytes, not 32".to_string()));
        assert!(Key::parse("not a key!").unwrap_err().contains("neither 64 hex digits nor base64"));
        assert_eq!(format!("{:?}", Key([1; 32])), "Key(***)");
    }

    #[test]
    fn a_sealed_value_opens_with_its_key_and_purpose_only() {
        let c = Cipher::new(&Key([1; 32]), "test");
        let a = c.seal("p", "hunter2").unwrap();
        let b = c.seal("p", "hunter2").unwrap();
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("hunter2"));
        assert!(a.starts_with(&format!("v1:{}:", c.key_id())));
        assert_eq!(c.open("p", &a).unwrap(), "hunter2");
        assert_eq!(c.open("q", &a), Err(OpenError::Damaged));
        let other = Cipher::new(&Key([2; 32]), "test");
        assert!(matches!(other.open("p", &a), Err(OpenError::OtherKey { .. })));
        // One bit of the sealed bytes flipped (in the tag, then in the nonce), re-encoded canonically:
        // swapping the text's last character instead sometimes made non-canonical base64 (its
        // unused low bits set), which is Malformed, not Damaged — a test that failed 1 run in 16.
        let (head, body) = a.rsplit_once(':').unwrap();
        for at in [usize::MAX, 0] {
            let mut raw = URL_SAFE_NO_PAD.decode(body).unwrap();
            let i = at.min(raw.len() - 1);
            raw[i] ^= 0x01;
            let tampered = format!("{head}:{}", URL_SAFE_NO_PAD.encode(&raw));
            assert_eq!(c.open("p", &tampered), Err(OpenError::Damaged), "byte {i} flipped");
        }
        assert_eq!(c.open("p", "plain text"), Err(OpenError::Malformed));
        assert_eq!(c.open("p", &format!("v1:{}:AAAA", c.key_id())), Err(OpenError::Malformed));
    }

    #[test]
    fn signatures_are_bound_to_key_purpose_and_message() {
        let c = Cipher::new(&Key([1; 32]), "test");
        let s = c.sign("task-done", "1.2.3");
        assert_eq!(s.len(), 64);
        assert!(c.verify("task-done", "1.2.3", &s));
        assert!(!c.verify("task-done", "1.2.4", &s));
        assert!(!c.verify("other", "1.2.3", &s));
        assert!(!c.verify("task-done", "1.2.3", &s[..63]));
        assert!(!Cipher::new(&Key([2; 32]), "test").verify("task-done", "1.2.3", &s));
        // The HMAC itself: RFC 4231 test case 1 (a 20-byte key of 0x0b, zero-padded to 32 bytes
        // changes nothing: HMAC pads the key with zeros to the block size).
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&[0x0b; 20]);
        assert_eq!(
            hex::encode(hmac_sha256(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn the_key_file_is_created_once_with_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let a = Cipher::load(None, &data).unwrap();
        let sealed = a.seal("p", "secret").unwrap();
        let b = Cipher::load(None, &data).unwrap();
        assert_eq!(b.open("p", &sealed).unwrap(), "secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(data.join(KEY_FILE), "short").unwrap();
        let e = Cipher::load(None, &data).unwrap_err().to_string();
        assert!(e.contains("does not hold a key"), "{e}");
    }
}
