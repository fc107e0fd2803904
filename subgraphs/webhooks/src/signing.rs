//! Standard Webhooks signing: secrets are `whsec_` + base64 of 32 random bytes; a delivery's
//! signature is `v1,` + base64(HMAC-SHA256(secret bytes, "{webhook-id}.{webhook-timestamp}.{body}")).
//! During a rotation's overlap the header carries one signature per live secret, separated by
//! spaces, so a receiver holding either secret verifies it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

const PREFIX: &str = "whsec_";

/// A fresh signing secret.
pub fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow::anyhow!("no system randomness"))?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

/// The key bytes of a `whsec_…` secret.
fn key_bytes(secret: &str) -> anyhow::Result<Vec<u8>> {
    let encoded = secret
        .strip_prefix(PREFIX)
        .ok_or_else(|| anyhow::anyhow!("signing secret lacks the whsec_ prefix"))?;
    Ok(STANDARD.decode(encoded)?)
}

/// One `v1,<base64>` signature of `body` for message `id` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key_bytes(secret)?);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body.as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(ctx.sign().as_ref())))
}

/// The `webhook-signature` header value: a signature per secret, space separated.
pub fn header(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let sigs = secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(sigs.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example in the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_prefixed_and_decode_to_32_bytes() {
        let s = new_secret().unwrap();
        assert!(s.starts_with("whsec_"));
        assert_eq!(key_bytes(&s).unwrap().len(), 32);
        assert_ne!(s, new_secret().unwrap());
        let h = header(&[&s, &new_secret().unwrap()], "id", 1, "{}").unwrap();
        assert_eq!(h.split(' ').count(), 2);
        assert!(h.split(' ').all(|p| p.starts_with("v1,")));
    }
}
