//! The product-status read model several subgraphs keep from catalog's `product.created`,
//! `product.updated` and `product.archived` (data `{id, status, …}`, subject = product id):
//! reviews (which products may be reviewed), cart (which may be bought). Each keeps a table
//! `products (id TEXT PRIMARY KEY, status TEXT, changed_at BIGINT)`. Events may arrive out of
//! order, so a row only moves forward in event time.

use crate::db::Tx;
use crate::error::AppError;

use super::Event;

/// The status an event gives its product, upper case; `None` when it says nothing usable.
fn status_of(event: &Event) -> Option<String> {
    match event.data["status"].as_str() {
        Some(s) if !s.trim().is_empty() => Some(s.trim().to_ascii_uppercase()),
        _ if event.event_type == "product.archived" => Some("ARCHIVED".into()),
        _ => None,
    }
}

/// Records the product status `event` carries in the `products` table, inside `tx`.
pub async fn record(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
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
