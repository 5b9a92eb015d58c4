//! Password hashing with argon2id. Hashing is CPU-heavy, so it runs on the blocking pool and at most
//! one hash per core runs at once: a login flood cannot starve the rest of the server.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::FormErrors;

static SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(1)));

/// ASVS 5.0 appendix C minimum for argon2id: m = 19 MiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (PHC string).
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let _slot = SLOTS.acquire().await?;
    let pw = password.to_owned();
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a stored PHC hash. A malformed hash never matches.
pub async fn verify(password: &str, stored: &str) -> anyhow::Result<bool> {
    let _slot = SLOTS.acquire().await?;
    let (pw, stored) = (password.to_owned(), stored.to_owned());
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).map(|h| hasher().verify_password(pw.as_bytes(), &h).is_ok()).unwrap_or(false)
    })
    .await?)
}

/// Burns the same time as a real check, for an unknown username, so timing does not tell which
/// usernames exist.
pub async fn verify_dummy(password: &str) {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    if let Ok(h) = DUMMY.get_or_try_init(|| hash("an unguessable dummy password")).await {
        let _ = verify(password, h).await;
    }
}

/// The password rules (NIST 800-63B style: length, not composition).
pub fn check_new(password: &str, username: &str, field: &'static str, errs: &mut FormErrors) {
    let n = password.chars().count();
    if n < 10 {
        errs.add(field, "Use at least 10 characters.");
    } else if n > 256 {
        errs.add(field, "Use at most 256 characters.");
    } else if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        errs.add(field, "The password must not contain the username.");
    } else if password.chars().all(|c| c.is_ascii_digit()) {
        errs.add(field, "The password must not be only digits.");
    } else if COMMON.contains(&password.to_lowercase().as_str()) {
        errs.add(field, "This password is too common.");
    }
}

const COMMON: &[&str] = &[
    "password123",
    "1234567890",
    "qwertyuiop",
    "password1234",
    "iloveyou123",
    "administrator",
    "letmein1234",
    "welcome123",
    "changeme123",
    "passw0rd123",
    "qwerty12345",
    "1q2w3e4r5t",
];

/// A random password for generated accounts: 16 characters from an unambiguous alphabet.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse battery").await.unwrap();
        assert!(verify("correct horse battery", &h).await.unwrap());
        assert!(!verify("wrong horse battery", &h).await.unwrap());
        assert!(!verify("anything", "not a hash").await.unwrap());
    }

    #[test]
    fn rejects_short_and_username_passwords() {
        let mut e = FormErrors::default();
        check_new("short", "bob", "password", &mut e);
        check_new("bob-is-the-best", "bob", "password", &mut e);
        check_new("a long enough one", "bob", "password", &mut e);
        assert_eq!(e.0.len(), 2);
    }
}
