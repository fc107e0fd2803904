//! The `cart.*` events, written to the outbox in the transaction that changed the cart. Subject
//! = cart id; data always carries `cartId` and `customerId` (null for guests) plus what changed.

use kit::{AppError, Service, Tx};
use serde_json::Value;

pub async fn emit(
    svc: &Service,
    tx: &mut Tx,
    event_type: &str,
    cart_id: &str,
    customer_id: Option<&str>,
    mut data: Value,
) -> Result<(), AppError> {
    data["cartId"] = Value::from(cart_id);
    data["customerId"] = customer_id.map_or(Value::Null, Value::from);
    tx.emit(&svc.event(event_type, Some(cart_id.to_string()), data))
        .await?;
    Ok(())
}
