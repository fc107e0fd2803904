//! Carrier webhook signatures. A carrier signs each request with the shared secret
//! (`CARRIER_WEBHOOK_SECRET`): header `X-Carrier-Timestamp` is the Unix time in seconds and
//! `X-Carrier-Signature` is `sha256=<lower-case hex HMAC-SHA256 of "{timestamp}.{raw body}">`.
//! A request is accepted only when the timestamp is within the tolerance of now (either way)
//! and the HMAC matches, compared in constant time — checked before the body is parsed.

use axum::http::HeaderMap;
use ring::hmac;

pub const TIMESTAMP_HEADER: &str = "x-carrier-timestamp";
pub const SIGNATURE_HEADER: &str = "x-carrier-signature";

/// Why a request's signature is refused; the message names the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    MissingTimestamp,
    MalformedTimestamp,
    OutsideTolerance,
    MissingSignature,
    MalformedSignature,
    Mismatch,
}

impl Rejection {
    /// The header at fault, as clients spell it.
    pub fn field(self) -> &'static str {
        match self {
            Rejection::MissingTimestamp
            | Rejection::MalformedTimestamp
            | Rejection::OutsideTolerance => "X-Carrier-Timestamp",
            _ => "X-Carrier-Signature",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Rejection::MissingTimestamp => "is required",
            Rejection::MalformedTimestamp => "must be Unix time in whole seconds",
            Rejection::OutsideTolerance => "is too far from the current time",
            Rejection::MissingSignature => "is required",
            Rejection::MalformedSignature => "must be sha256=<64 hex digits>",
            Rejection::Mismatch => "does not match the request",
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Hex digits to bytes; `None` for anything else (an odd length leaves a short last pair).
fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The message a carrier signs.
fn signed_message(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    message
}

/// The `X-Carrier-Signature` value for `body` sent at `timestamp` (what a carrier computes).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, &signed_message(&timestamp.to_string(), body));
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Checks the request's signature headers against `body`, at Unix time `now` (seconds).
pub fn verify(
    secret: &[u8],
    tolerance_secs: i64,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), Rejection> {
    let timestamp = header(headers, TIMESTAMP_HEADER).ok_or(Rejection::MissingTimestamp)?;
    let seconds: i64 = timestamp
        .parse()
        .ok()
        .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(Rejection::MalformedTimestamp)?;
    if (now - seconds).abs() > tolerance_secs {
        return Err(Rejection::OutsideTolerance);
    }
    let signature = header(headers, SIGNATURE_HEADER).ok_or(Rejection::MissingSignature)?;
    let tag = signature
        .strip_prefix("sha256=")
        .filter(|hex| hex.len() == 64)
        .and_then(hex_decode)
        .ok_or(Rejection::MalformedSignature)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    // ring compares the tags in constant time.
    hmac::verify(&key, &signed_message(timestamp, body), &tag).map_err(|_| Rejection::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(timestamp: &str, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(TIMESTAMP_HEADER, timestamp.parse().unwrap());
        h.insert(SIGNATURE_HEADER, signature.parse().unwrap());
        h
    }

    #[test]
    fn accepts_only_a_fresh_matching_signature() {
        let secret = b"0123456789abcdef";
        let body = br#"{"eventId":"e1"}"#;
        let now = 1_700_000_000;
        let good = sign(secret, now, body);
        let ok = |h: &HeaderMap, b: &[u8], at: i64| verify(secret, 300, h, b, at);
        assert_eq!(ok(&headers("1700000000", &good), body, now), Ok(()));
        assert_eq!(ok(&headers("1700000000", &good), body, now + 300), Ok(()));
        assert_eq!(
            ok(&headers("1700000000", &good), body, now + 301),
            Err(Rejection::OutsideTolerance)
        );
        assert_eq!(
            ok(&headers("1700000000", &good), br#"{"eventId":"e2"}"#, now),
            Err(Rejection::Mismatch)
        );
        assert_eq!(
            ok(&headers("1700000001", &good), body, now),
            Err(Rejection::Mismatch)
        );
        assert_eq!(
            ok(&headers("1700000000", "sha256=zz"), body, now),
            Err(Rejection::MalformedSignature)
        );
        assert_eq!(
            ok(&headers("+1700000000", &good), body, now),
            Err(Rejection::MalformedTimestamp)
        );
        assert_eq!(
            verify(
                b"another secret!!",
                300,
                &headers("1700000000", &good),
                body,
                now
            ),
            Err(Rejection::Mismatch)
        );
        assert_eq!(
            ok(&HeaderMap::new(), body, now),
            Err(Rejection::MissingTimestamp)
        );
    }
}
