//! Appending to the hash chain. Every append locks the single chain-head row (an `UPDATE` that
//! takes the row lock on PostgreSQL; `BEGIN IMMEDIATE` already serialises writers on SQLite),
//! so concurrent consumers and instances extend one linear chain: each entry's hash covers the
//! hash of the entry appended just before it. An event id already in the log is a no-op.

use std::collections::HashSet;
use std::sync::Arc;

use kit::ids::now_millis;
use kit::{AppError, Db};
use parking_lot::Mutex;
use uuid::Uuid;

use crate::entry::Entry;

/// What an event contributes to its entry; the chain adds position, id, times and hash.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub event_id: String,
    pub event_type: String,
    pub source: String,
    pub subject: Option<String>,
    pub actor: Option<String>,
    pub occurred_at: i64,
    pub data: String,
}

/// Appends entries. Remembers the event types it has recorded (after commit), so the type
/// list behind `typePrefix` costs a write only the first time a type is seen.
#[derive(Clone, Default)]
pub struct Appender {
    known_types: Arc<Mutex<HashSet<String>>>,
}

impl Appender {
    /// Appends `new` to the chain; `None` when its event id is already recorded.
    pub async fn append(&self, db: &Db, new: NewEntry) -> Result<Option<Entry>, AppError> {
        let mut tx = db.begin().await?;
        let (last_seq, last_hash, last_recorded_at): (i64, String, i64) = sqlx::query_as(
            "UPDATE audit_chain SET last_seq = last_seq WHERE id = 1 \
             RETURNING last_seq, last_hash, last_recorded_at",
        )
        .fetch_one(tx.conn())
        .await?;
        // Checked under the head lock, so two deliveries of one event cannot both pass.
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM audit_entries WHERE event_id = $1")
                .bind(&new.event_id)
                .fetch_optional(tx.conn())
                .await?;
        if seen.is_some() {
            return Ok(None); // dropping the transaction rolls it back
        }
        let mut entry = Entry {
            id: id_at(new.occurred_at),
            seq: last_seq + 1,
            event_id: new.event_id,
            event_type: new.event_type,
            source: new.source,
            subject: new.subject,
            actor: new.actor,
            occurred_at: new.occurred_at,
            // Never before the previous entry: chain order and recording time agree, so a time
            // range of recording is one contiguous stretch of the chain.
            recorded_at: now_millis().max(last_recorded_at),
            data: new.data,
            hash: String::new(),
        };
        entry.hash = entry.chained_hash(&last_hash);
        sqlx::query(
            "INSERT INTO audit_entries (id, seq, event_id, event_type, source, subject, actor, \
             occurred_at, recorded_at, data, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&entry.id)
        .bind(entry.seq)
        .bind(&entry.event_id)
        .bind(&entry.event_type)
        .bind(&entry.source)
        .bind(&entry.subject)
        .bind(&entry.actor)
        .bind(entry.occurred_at)
        .bind(entry.recorded_at)
        .bind(&entry.data)
        .bind(&entry.hash)
        .execute(tx.conn())
        .await?;
        sqlx::query(
            "UPDATE audit_chain SET last_seq = $1, last_hash = $2, last_recorded_at = $3 \
             WHERE id = 1",
        )
        .bind(entry.seq)
        .bind(&entry.hash)
        .bind(entry.recorded_at)
        .execute(tx.conn())
        .await?;
        let new_type = !self.known_types.lock().contains(&entry.event_type);
        if new_type {
            sqlx::query(
                "INSERT INTO audit_types (event_type) VALUES ($1) \
                 ON CONFLICT (event_type) DO NOTHING",
            )
            .bind(&entry.event_type)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        if new_type {
            self.known_types.lock().insert(entry.event_type.clone());
        }
        Ok(Some(entry))
    }
}

/// A new entry id: a UUIDv7 carrying the event's own time, so ordering by id is ordering by
/// event time and a time range is an id range.
pub fn id_at(millis: i64) -> String {
    let millis = millis.max(0) as u64;
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        millis / 1000,
        (millis % 1000) as u32 * 1_000_000,
    );
    Uuid::new_v7(ts).to_string()
}

/// The smallest id an entry whose event happened at `millis` can have (inclusive lower bound
/// for "from", exclusive upper bound for "to").
pub fn id_floor(millis: i64) -> String {
    let millis = millis.clamp(0, (1i64 << 48) - 1) as u128;
    Uuid::from_u128(millis << 80).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_event_time_and_floors_bound_them() {
        let a = id_at(1_700_000_000_000);
        let b = id_at(1_700_000_000_001);
        assert!(a < b);
        assert!(id_floor(1_700_000_000_000) <= a);
        assert!(a < id_floor(1_700_000_000_001));
        assert!(id_floor(1_700_000_000_001) <= b);
        assert!(Uuid::parse_str(&a).is_ok());
    }
}
