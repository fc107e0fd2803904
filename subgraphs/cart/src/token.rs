//! Guest cart tokens: 32 random bytes in base64url, handed out once by `createCart` and sent
//! back in the `X-Cart-Token` header. Only their SHA-256 is stored, so a leaked database or
//! cache does not open anyone's cart.

use async_graphql::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kit::server::RequestMeta;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "x-cart-token";

/// A fresh token and the hash to store for it.
pub fn issue() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.trim().as_bytes()))
}

/// The hash of the request's `X-Cart-Token`, if it sent one.
pub fn presented(ctx: &Context<'_>) -> Option<String> {
    ctx.data_opt::<RequestMeta>()?
        .header(HEADER)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (a, ha) = issue();
        let (b, hb) = issue();
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(a.len(), 43, "32 bytes in unpadded base64url");
        assert_eq!(hash(&a), ha);
        assert_ne!(hash(&a), a, "the token itself is never stored");
    }
}
