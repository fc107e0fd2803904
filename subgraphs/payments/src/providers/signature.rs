//! The cryptographic checks webhooks rest on: HMAC (SHA-256 for Stripe, SHA-512 for Paystack)
//! verified in constant time by `ring`, and constant-time equality of shared secrets
//! (Flutterwave's `verif-hash`, Sepay's API key) done by comparing HMACs of both under a
//! random per-call key, so timing reveals nothing about the secret.

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `tag` is the HMAC of `message` under `secret` (constant time).
pub fn hmac_matches(algorithm: hmac::Algorithm, secret: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let key = hmac::Key::new(algorithm, secret);
    hmac::verify(&key, message, tag).is_ok()
}

/// Hex HMAC of `message` (what a signer computes).
pub fn hmac_hex(algorithm: hmac::Algorithm, secret: &[u8], message: &[u8]) -> String {
    hex(hmac::sign(&hmac::Key::new(algorithm, secret), message).as_ref())
}

/// `presented == expected` without a timing side channel.
pub fn secrets_equal(presented: &[u8], expected: &[u8]) -> bool {
    let mut salt = [0u8; 32];
    if SystemRandom::new().fill(&mut salt).is_err() {
        return false;
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, &salt);
    let tag = hmac::sign(&key, presented);
    hmac::verify(&key, expected, tag.as_ref()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(unhex(&hex(&[0, 1, 254, 255])), Some(vec![0, 1, 254, 255]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn hmac_and_secret_comparison() {
        let tag = hmac_hex(hmac::HMAC_SHA256, b"k", b"msg");
        assert!(hmac_matches(
            hmac::HMAC_SHA256,
            b"k",
            b"msg",
            &unhex(&tag).unwrap()
        ));
        assert!(!hmac_matches(
            hmac::HMAC_SHA256,
            b"k",
            b"msh",
            &unhex(&tag).unwrap()
        ));
        assert!(secrets_equal(b"same", b"same"));
        assert!(!secrets_equal(b"same", b"sam"));
        assert!(!secrets_equal(b"", b"x"));
    }
}
