//! A remote subgraph's GraphQL error as our own [`AppError`]: the same `extensions.code`,
//! message, `field` and `reason`, so a client calling through this service sees what the
//! remote said. Anything without a known code is `INTERNAL` (logged, not shown).

use std::collections::HashSet;
use std::sync::OnceLock;

use parking_lot::Mutex;
use serde_json::Value;

use crate::error::AppError;

/// The `extensions.code` of a response's first error.
pub fn first_code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

/// Maps one GraphQL error object from subgraph `remote`.
pub fn from_graphql(remote: &str, error: &Value) -> AppError {
    let message = error["message"].as_str().unwrap_or("error").to_string();
    let ext = &error["extensions"];
    match ext["code"].as_str().unwrap_or_default() {
        "NOT_FOUND" => AppError::not_found(message),
        "FORBIDDEN" => AppError::forbidden(message),
        "UNAUTHENTICATED" => AppError::unauthenticated(message),
        "CONFLICT" => AppError::conflict(message),
        "BAD_USER_INPUT" => {
            let field = ext["field"].as_str().unwrap_or_default().to_string();
            // Our message is `field: message`; do not repeat the field.
            let message = message
                .strip_prefix(&format!("{field}: "))
                .unwrap_or(&message)
                .to_string();
            AppError::BadInput {
                field,
                message,
                reason: ext["reason"].as_str().and_then(intern),
            }
        }
        "RATE_LIMITED" => AppError::RateLimited {
            message,
            retry_after_secs: ext["retryAfterSeconds"].as_u64().unwrap_or(1),
        },
        _ => AppError::internal(anyhow::anyhow!("{remote} error: {message}")),
    }
}

/// `AppError` reasons are `&'static str` (a closed set per service); a remote's reason is
/// kept once per distinct value. Only reason-shaped values (upper snake case, short) are
/// kept, so the set stays as small as the remote's vocabulary.
fn intern(reason: &str) -> Option<&'static str> {
    let shaped = !reason.is_empty()
        && reason.len() <= 64
        && reason
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !shaped {
        return None;
    }
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN.get_or_init(Default::default).lock();
    if let Some(known) = seen.get(reason) {
        return Some(known);
    }
    let kept: &'static str = Box::leak(reason.to_string().into_boxed_str());
    seen.insert(kept);
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use serde_json::json;

    #[test]
    fn codes_messages_fields_and_reasons_survive() {
        let e = from_graphql(
            "cart",
            &json!({"message": "no such cart", "extensions": {"code": "NOT_FOUND"}}),
        );
        assert_eq!(e.code(), Code::NotFound);
        assert_eq!(e.message(), "no such cart");

        let e = from_graphql(
            "shipping",
            &json!({"message": "input.address.countryCode: not served", "extensions": {"code": "BAD_USER_INPUT", "field": "input.address.countryCode", "reason": "OUTSIDE_ZONES"}}),
        );
        match e {
            AppError::BadInput {
                field,
                message,
                reason,
            } => {
                assert_eq!(field, "input.address.countryCode");
                assert_eq!(message, "not served");
                assert_eq!(reason, Some("OUTSIDE_ZONES"));
            }
            other => panic!("expected bad input, got {other:?}"),
        }

        let e = from_graphql(
            "x",
            &json!({"message": "slow down", "extensions": {"code": "RATE_LIMITED", "retryAfterSeconds": 7}}),
        );
        assert!(matches!(
            e,
            AppError::RateLimited {
                retry_after_secs: 7,
                ..
            }
        ));
    }

    #[test]
    fn unknown_codes_are_internal_and_odd_reasons_dropped() {
        assert_eq!(
            from_graphql("x", &json!({"message": "boom"})).code(),
            Code::Internal
        );
        let e = from_graphql(
            "x",
            &json!({"message": "m", "extensions": {"code": "BAD_USER_INPUT", "field": "f", "reason": "not a reason!"}}),
        );
        assert!(matches!(e, AppError::BadInput { reason: None, .. }));
        assert_eq!(
            intern("EXPIRED").map(|r| r.as_ptr()),
            intern("EXPIRED").map(|r| r.as_ptr())
        );
    }
}
