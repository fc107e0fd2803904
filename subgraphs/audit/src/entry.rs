//! The audit entry: its row, its GraphQL shape (`AuditEntry`, staff only) and the canonical
//! content its hash covers. The hash is what makes the log tamper-evident, so what it covers is
//! defined once, here, and used by both the appender and the verifier.

use async_graphql::{Json, Object, ID};
use chrono::{DateTime, Utc};
use kit::ids::from_millis;
use kit::AppError;
use sha2::{Digest, Sha256};

/// The columns a row is read from, in [`Row`]'s order.
pub const COLUMNS: &str =
    "id, seq, event_id, event_type, source, subject, actor, occurred_at, recorded_at, data, hash";

/// The hash the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub type Row = (
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
    String,
);

/// One recorded event.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: String,
    pub seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub source: String,
    pub subject: Option<String>,
    pub actor: Option<String>,
    pub occurred_at: i64,
    pub recorded_at: i64,
    /// The event's data exactly as stored (JSON text); hashed as stored.
    pub data: String,
    pub hash: String,
}

impl Entry {
    pub fn from_row(row: Row) -> Result<Entry, AppError> {
        let (
            id,
            seq,
            event_id,
            event_type,
            source,
            subject,
            actor,
            occurred_at,
            recorded_at,
            data,
            hash,
        ) = row;
        Ok(Entry {
            id,
            seq,
            event_id,
            event_type,
            source,
            subject,
            actor,
            occurred_at,
            recorded_at,
            data,
            hash,
        })
    }

    /// Everything the hash covers except the previous hash, as one unambiguous string (a JSON
    /// array: no field can bleed into the next).
    pub fn canonical(&self) -> String {
        serde_json::json!([
            self.seq,
            self.id,
            self.event_id,
            self.event_type,
            self.source,
            self.subject,
            self.actor,
            self.occurred_at,
            self.recorded_at,
            self.data,
        ])
        .to_string()
    }

    /// SHA-256 over `previous || canonical content`, lowercase hex.
    pub fn chained_hash(&self, previous: &str) -> String {
        let mut h = Sha256::new();
        h.update(previous.as_bytes());
        h.update(self.canonical().as_bytes());
        hex(&h.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An immutable record of one event, hash-chained to the entry recorded before it.
pub struct AuditEntry(pub Entry);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The CloudEvents id of the recorded event.
    async fn event_id(&self) -> &str {
        &self.0.event_id
    }
    /// The event type, e.g. `order.paid`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// The publishing service, e.g. `/subgraphs/orders`.
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// What the event is about (usually the entity id), when the event says.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// Who caused the event (a user id, `guest` or `system`), when the event says.
    async fn actor(&self) -> Option<&str> {
        self.0.actor.as_deref()
    }
    /// When the event happened (the event's own time).
    async fn time(&self) -> DateTime<Utc> {
        from_millis(self.0.occurred_at)
    }
    /// When this log recorded it.
    async fn recorded_at(&self) -> DateTime<Utc> {
        from_millis(self.0.recorded_at)
    }
    /// The event's data.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.data).unwrap_or(serde_json::Value::Null))
    }
    /// SHA-256 (hex) over the previous entry's hash and this entry's content.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            id: "0190".into(),
            seq: 1,
            event_id: "e".into(),
            event_type: "order.paid".into(),
            source: "/subgraphs/orders".into(),
            subject: None,
            actor: Some("u".into()),
            occurred_at: 1,
            recorded_at: 2,
            data: "{\"a\":1}".into(),
            hash: String::new(),
        }
    }

    #[test]
    fn hash_covers_previous_hash_and_every_field() {
        let base = entry().chained_hash(GENESIS);
        assert_eq!(base.len(), 64);
        assert_ne!(entry().chained_hash(&"1".repeat(64)), base);
        let mut edited = entry();
        edited.data = "{\"a\":2}".into();
        assert_ne!(edited.chained_hash(GENESIS), base);
        let mut moved = entry();
        moved.subject = Some("u".into());
        moved.actor = None;
        assert_ne!(moved.chained_hash(GENESIS), base);
    }
}
