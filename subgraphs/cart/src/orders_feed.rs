//! What cart learns from orders: `order.created` (data `{cartId, …}`) means the cart was
//! checked out, so it closes as CONVERTED and its customer can start a new one. Only an ACTIVE
//! cart converts; a replayed or late event changes nothing.

use kit::events::Event;
use kit::ids::now_millis;
use kit::{AppError, Tx};

/// Closes the cart the order was placed from; returns its id when it changed (for the cache).
pub async fn apply(tx: &mut Tx, event: &Event) -> Result<Option<String>, AppError> {
    let Some(cart) = event.data["cartId"].as_str().filter(|c| !c.is_empty()) else {
        tracing::warn!(event = %event.id, "order.created without cartId; ignored");
        return Ok(None);
    };
    let changed = sqlx::query(
        "UPDATE carts SET status = 'CONVERTED', updated_at = $1 WHERE id = $2 AND status = 'ACTIVE'",
    )
    .bind(now_millis())
    .bind(cart)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok((changed > 0).then(|| cart.to_string()))
}
