//! The local copy of which products exist and their status, fed by catalog's
//! `product.created`, `product.updated` and `product.archived` (data `{id, status, …}`, subject
//! = product id). Only published products may be reviewed. Events may arrive out of order, so
//! a row only moves forward in event time.

use kit::events::Event;
use kit::{AppError, Tx};

/// The status an event gives its product, upper case; `None` when it says nothing usable.
fn status_of(event: &Event) -> Option<String> {
    match event.data["status"].as_str() {
        Some(s) if !s.trim().is_empty() => Some(s.trim().to_ascii_uppercase()),
        _ if event.event_type == "product.archived" => Some("ARCHIVED".into()),
        _ => None,
    }
}

pub async fn apply(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let id = event.data["id"]
        .as_str()
        .or(event.subject.as_deref())
        .filter(|id| !id.is_empty());
    let (Some(id), Some(status)) = (id, status_of(event)) else {
        tracing::warn!(event = %event.id, kind = %event.event_type, "product event without id or status; ignored");
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO products (id, status, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at \
         WHERE products.changed_at <= excluded.changed_at",
    )
    .bind(id)
    .bind(status)
    .bind(event.time.timestamp_millis())
    .execute(tx.conn())
    .await?;
    Ok(())
}
