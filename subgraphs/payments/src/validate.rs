//! Parsing of API arguments shared by the mutations: each function names the offending field
//! in its `BAD_USER_INPUT`.

use kit::money::{Money, MoneyInput};
use kit::AppError;

pub const MAX_KEY: usize = 200;
pub const MAX_REASON: usize = 500;

/// Required text, trimmed: 1 to `max` characters.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 || len > max {
        return Err(AppError::bad_input(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(text.to_string())
}

/// An idempotency key or an id the caller names: 1–200 characters.
pub fn key(field: &str, raw: &str) -> Result<String, AppError> {
    text(field, raw, MAX_KEY)
}

/// A positive amount of money.
pub fn positive(field: &str, input: &MoneyInput) -> Result<Money, AppError> {
    let money = input.parse(field)?;
    if money.minor <= 0 {
        return Err(AppError::bad_input(
            format!("{field}.amount"),
            "must be greater than zero",
        ));
    }
    Ok(money)
}

/// A plausible email address, lower-cased.
pub fn email(field: &str, raw: &str) -> Result<String, AppError> {
    let email = text(field, raw, 254)?.to_lowercase();
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => Ok(email),
        _ => Err(AppError::bad_input(field, "is not an email address")),
    }
}

/// A SHA-256 hex digest (64 hex characters), lower-cased.
pub fn sha256_hex(field: &str, raw: &str) -> Result<String, AppError> {
    let hash = raw.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::bad_input(
            field,
            "must be a SHA-256 hex digest (64 hex characters)",
        ));
    }
    Ok(hash)
}

/// Optional free text: at most `max` characters, empty means none.
pub fn optional(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) if r.chars().count() > max => Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        )),
        Some(r) => Ok(Some(r.to_string())),
    }
}
