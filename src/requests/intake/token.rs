//! The web form's minimum-fill-time token: `<unix seconds>.<HMAC-SHA256(key, lead source id . seconds)>`.
//! A form posted without it, with a forged one, sooner than the minimum fill time after it was
//! shown, or after the maximum age is treated as a bot's: thanked, not stored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new().chain_update(&ipad).chain_update(msg).finalize();
    Sha256::new().chain_update(&opad).chain_update(inner).finalize().into()
}

fn mac(key: &[u8], source: i64, at: i64) -> String {
    hex::encode(hmac(key, format!("fill.{source}.{at}").as_bytes()))
}

/// The token of a form of lead source `source` shown at `at` (unix seconds).
pub fn issue(key: &[u8], source: i64, at: i64) -> String {
    format!("{at}.{}", mac(key, source, at))
}

/// Why a token is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    Missing,
    Forged,
    TooFast,
    Expired,
}

/// Checks a token posted `now` (unix seconds) with lead source `source`.
pub fn check(key: &[u8], source: i64, token: &str, now: i64, min_secs: i64, max_secs: i64) -> Result<(), Refused> {
    if token.is_empty() {
        return Err(Refused::Missing);
    }
    let (at, sig) = token.split_once('.').ok_or(Refused::Forged)?;
    let at: i64 = at.parse().map_err(|_| Refused::Forged)?;
    let want = mac(key, source, at);
    if !bool::from(want.as_bytes().ct_eq(sig.as_bytes())) {
        return Err(Refused::Forged);
    }
    let age = now - at;
    if age < min_secs {
        return Err(Refused::TooFast);
    }
    if age > max_secs {
        return Err(Refused::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        assert_eq!(
            hex::encode(hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_are_bound_to_key_source_and_time() {
        let t = issue(b"k1", 7, 1000);
        assert_eq!(check(b"k1", 7, &t, 1005, 3, 100), Ok(()));
        assert_eq!(check(b"k1", 7, &t, 1001, 3, 100), Err(Refused::TooFast));
        assert_eq!(check(b"k1", 7, &t, 1200, 3, 100), Err(Refused::Expired));
        assert_eq!(check(b"k2", 7, &t, 1005, 3, 100), Err(Refused::Forged));
        assert_eq!(check(b"k1", 8, &t, 1005, 3, 100), Err(Refused::Forged));
        let older = t.replacen("1000", "900", 1);
        assert_eq!(check(b"k1", 7, &older, 1005, 3, 1000), Err(Refused::Forged), "the time is signed");
        assert_eq!(check(b"k1", 7, "", 1005, 3, 100), Err(Refused::Missing));
        assert_eq!(check(b"k1", 7, "x.y", 1005, 3, 100), Err(Refused::Forged));
    }
}
