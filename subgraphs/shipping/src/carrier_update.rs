//! The one generic carrier tracking format `POST /webhooks/carrier` accepts (JSON):
//!
//! ```json
//! { "eventId": "evt-123",                  // unique per update; replays have one effect
//!   "trackingNumber": "1Z999AA10123456784", // as staff entered it in markShipmentShipped
//!   "status": "IN_TRANSIT",                // IN_TRANSIT | OUT_FOR_DELIVERY | DELIVERED | EXCEPTION
//!   "occurredAt": "2026-07-01T10:00:00Z",  // RFC 3339, when the carrier saw it
//!   "location": "Memphis, TN",             // optional
//!   "description": "Departed facility" }   // optional
//! ```
//!
//! Parsed only after the signature checks out; every error names its field.

use chrono::DateTime;
use kit::AppError;
use serde_json::Value;

use crate::status::ShipmentStatus;

const MAX_ID: usize = 200;
const MAX_TEXT: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierUpdate {
    pub event_id: String,
    pub tracking_number: String,
    pub status: ShipmentStatus,
    /// Unix ms.
    pub occurred_at: i64,
    pub location: Option<String>,
    pub description: Option<String>,
}

fn required<'a>(body: &'a Value, field: &str, max: usize) -> Result<&'a str, AppError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(AppError::bad_input(field, "is required")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(AppError::bad_input(field, "must not be empty"))
        }
        Some(Value::String(s)) if s.trim().chars().count() > max => Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        )),
        Some(Value::String(s)) => Ok(s.trim()),
        Some(_) => Err(AppError::bad_input(field, "must be a string")),
    }
}

fn optional(body: &Value, field: &str) -> Result<Option<String>, AppError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(_)) => required(body, field, MAX_TEXT).map(|s| Some(s.to_string())),
        Some(_) => Err(AppError::bad_input(field, "must be a string")),
    }
}

impl CarrierUpdate {
    /// Parses the raw body; `latest_ms` is the newest `occurredAt` accepted (now plus the clock
    /// tolerance), so a far-future time cannot make every later update look stale.
    pub fn parse(raw: &[u8], latest_ms: i64) -> Result<CarrierUpdate, AppError> {
        let body: Value = serde_json::from_slice(raw)
            .map_err(|_| AppError::bad_input("body", "must be a JSON object"))?;
        if !body.is_object() {
            return Err(AppError::bad_input("body", "must be a JSON object"));
        }
        let event_id = required(&body, "eventId", MAX_ID)?.to_string();
        let tracking_number = required(&body, "trackingNumber", MAX_ID)?.to_string();
        let status = match ShipmentStatus::parse(required(&body, "status", MAX_ID)?) {
            Some(
                s @ (ShipmentStatus::InTransit
                | ShipmentStatus::OutForDelivery
                | ShipmentStatus::Delivered
                | ShipmentStatus::Exception),
            ) => s,
            _ => {
                return Err(AppError::bad_input(
                    "status",
                    "must be IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED or EXCEPTION",
                ))
            }
        };
        let occurred_at = DateTime::parse_from_rfc3339(required(&body, "occurredAt", MAX_ID)?)
            .map_err(|_| AppError::bad_input("occurredAt", "must be an RFC 3339 time"))?
            .timestamp_millis();
        if occurred_at > latest_ms {
            return Err(AppError::bad_input(
                "occurredAt",
                "must not be in the future",
            ));
        }
        Ok(CarrierUpdate {
            event_id,
            tracking_number,
            status,
            occurred_at,
            location: optional(&body, "location")?,
            description: optional(&body, "description")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(raw: &str) -> String {
        CarrierUpdate::parse(raw.as_bytes(), i64::MAX)
            .unwrap_err()
            .message()
            .split(':')
            .next()
            .unwrap()
            .to_string()
    }

    #[test]
    fn parses_the_format_and_names_bad_fields() {
        let ok = CarrierUpdate::parse(
            br#"{"eventId":"e1","trackingNumber":"T1","status":"DELIVERED","occurredAt":"2026-07-01T10:00:00Z","location":" Memphis "}"#,
            i64::MAX,
        )
        .unwrap();
        assert_eq!(ok.status, ShipmentStatus::Delivered);
        assert_eq!(ok.occurred_at, 1_782_900_000_000);
        assert_eq!(ok.location.as_deref(), Some("Memphis"));
        assert_eq!(ok.description, None);
        assert_eq!(field("[1]"), "body");
        assert_eq!(field("not json"), "body");
        assert_eq!(field(r#"{"trackingNumber":"T"}"#), "eventId");
        assert_eq!(
            field(r#"{"eventId":"e","trackingNumber":7}"#),
            "trackingNumber"
        );
        assert_eq!(
            field(r#"{"eventId":"e","trackingNumber":"T","status":"SHIPPED"}"#),
            "status"
        );
        assert_eq!(
            field(
                r#"{"eventId":"e","trackingNumber":"T","status":"IN_TRANSIT","occurredAt":"yesterday"}"#
            ),
            "occurredAt"
        );
        let future = CarrierUpdate::parse(
            br#"{"eventId":"e","trackingNumber":"T","status":"IN_TRANSIT","occurredAt":"2026-07-01T10:00:00Z"}"#,
            0,
        );
        assert!(future.unwrap_err().message().starts_with("occurredAt"));
    }
}
