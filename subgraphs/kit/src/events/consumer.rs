//! Exactly-once effects over at-least-once delivery: a consumer records each processed event id
//! in the same transaction as its effect, so a redelivered event is recognised and skipped.

use crate::db::Tx;

use super::Event;

/// Records that `consumer` processed `event` inside `tx`. Returns `false` when it already had:
/// the caller then commits nothing and acknowledges the duplicate.
pub async fn claim(tx: &mut Tx, consumer: &str, event: &Event) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind(consumer)
    .bind(&event.id)
    .bind(crate::ids::now_millis())
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
