//! Guest order tokens. A guest order opens with its token (header `X-Order-Token`, or the
//! `orderToken` argument of `orderStatusChanged`); only the token's SHA-256 hex is stored
//! (and handed to payments as `orderTokenHash`). The token is derived from the guest's cart
//! token, the order id and a stored random salt, so a guest repeating its checkout (same
//! idempotency key and cart token) gets the same token back, while neither the database nor
//! the cart token alone reveals it.

use async_graphql::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kit::server::RequestMeta;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "x-order-token";

/// Lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The stored form of an order token.
pub fn hash(token: &str) -> String {
    sha256_hex(token.trim())
}

/// A fresh salt for a new guest order.
pub fn salt() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The order token of guest order `order_id` placed with cart token `cart_token`.
pub fn derive(cart_token: &str, order_id: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!(
        "shop-order-token\n{salt}\n{}\n{order_id}",
        cart_token.trim()
    ));
    URL_SAFE_NO_PAD.encode(digest)
}

/// The hash of the request's `X-Order-Token`, if it sent one.
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
    fn tokens_depend_on_every_input_and_only_their_hash_is_kept() {
        let t = derive("cart-token", "order-1", "salt");
        assert_eq!(t, derive(" cart-token ", "order-1", "salt"), "stable");
        assert_ne!(t, derive("cart-token", "order-2", "salt"));
        assert_ne!(t, derive("cart-token", "order-1", "pepper"));
        assert_ne!(t, derive("other-cart", "order-1", "salt"));
        assert_eq!(hash(&t).len(), 64);
        assert_ne!(hash(&t), t);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(salt(), salt());
    }
}
