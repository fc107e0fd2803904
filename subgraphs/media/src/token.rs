//! Pre-signed upload tokens: `<upload id>.<expiry ms>.<HMAC-SHA256 signature>`, the signature
//! (base64url) covering the id and expiry with a secret every instance shares. A token proves
//! that staff created the upload and until when it may be used; single use is enforced by the
//! upload row, not the token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Malformed or not signed with our secret (403).
    Forged,
    /// Correctly signed but past its expiry (401).
    Expired,
}

#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl Signer {
    pub fn new(secret: &[u8]) -> Signer {
        Signer {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, message: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC accepts keys of any length");
        mac.update(message.as_bytes());
        mac
    }

    /// A token for upload `id` valid until `expires_ms`.
    pub fn sign(&self, id: &str, expires_ms: i64) -> String {
        let message = format!("{id}.{expires_ms}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&message).finalize().into_bytes());
        format!("{message}.{signature}")
    }

    /// The upload id a token grants, checking the signature (in constant time) before expiry.
    pub fn verify(&self, token: &str, now_ms: i64) -> Result<String, TokenError> {
        let (message, signature) = token.rsplit_once('.').ok_or(TokenError::Forged)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Forged)?;
        self.mac(message)
            .verify_slice(&signature)
            .map_err(|_| TokenError::Forged)?;
        let (id, expires) = message.rsplit_once('.').ok_or(TokenError::Forged)?;
        let expires: i64 = expires.parse().map_err(|_| TokenError::Forged)?;
        if expires <= now_ms {
            return Err(TokenError::Expired);
        }
        Ok(id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{Signer, TokenError};

    #[test]
    fn accepts_its_own_tokens_until_they_expire() {
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef");
        let token = signer.sign("upload-1", 2_000);
        assert_eq!(signer.verify(&token, 1_999).as_deref(), Ok("upload-1"));
        assert_eq!(signer.verify(&token, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn refuses_tampered_or_foreign_tokens() {
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef");
        let token = signer.sign("upload-1", 2_000);
        let longer = token.replacen("2000", "9000", 1);
        assert_eq!(signer.verify(&longer, 0), Err(TokenError::Forged));
        let other = Signer::new(b"another secret, just as long as the first");
        assert_eq!(other.verify(&token, 0), Err(TokenError::Forged));
        assert_eq!(signer.verify("nonsense", 0), Err(TokenError::Forged));
        assert_eq!(signer.verify("a.b.c", 0), Err(TokenError::Forged));
    }
}
