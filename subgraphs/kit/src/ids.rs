//! Identifiers and timestamps in the platform's portable forms: UUIDv7 strings for ids,
//! integer Unix milliseconds in the database, RFC 3339 UTC in the API.

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::error::AppError;

/// A new time-ordered id (UUIDv7) as a string.
pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

/// Parses a client-supplied id, naming the field when it is malformed. Returns the canonical
/// lowercase hyphenated form so lookups match stored ids.
pub fn parse_id(field: &str, raw: &str) -> Result<String, AppError> {
    Uuid::parse_str(raw)
        .map(|u| u.to_string())
        .map_err(|_| AppError::bad_input(field, "is not a valid id"))
}

pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

pub fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
