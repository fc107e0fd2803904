//! Writing a placed order: the order, its lines, the first status-history entry, the next
//! order number and `order.created` (outbox + `order_events`), and the claim marked placed —
//! in ONE transaction, so an order exists with all of it or not at all. [`write`] is the part
//! the demo seed shares (it appends the event to `order_events` without publishing it).

use kit::error::is_unique_violation;
use kit::{AppError, Service, Tx};

use super::claim;
use crate::events;
use crate::view::{HistoryEntry, OrderView};

/// What placing needs beyond the order itself.
pub struct Placement<'a> {
    pub key_hash: &'a str,
    pub token_salt: Option<&'a str>,
    pub actor: &'a str,
}

/// Writes `order` (its `number` is assigned here); returns it as stored.
pub async fn place(
    svc: &Service,
    mut order: OrderView,
    placement: Placement<'_>,
) -> Result<OrderView, AppError> {
    let mut tx = svc.db.begin().await?;
    let first = write(&mut tx, &mut order, &placement).await?;
    events::emit(svc, &mut tx, &order, &first).await?;
    if !claim::mark_placed(&mut tx, placement.key_hash, &order.id).await? {
        return Err(AppError::conflict(
            "input.idempotencyKey: this checkout was taken over by another request",
        ));
    }
    tx.commit().await?;
    Ok(order)
}

/// In `tx`: takes the next order number for `order`, inserts the order with its lines and
/// records its first status-history entry (placed by `placement.actor`, reason CHECKOUT),
/// which it returns; the caller announces it. A used cart id or idempotency key is a
/// `CONFLICT`.
pub async fn write(
    tx: &mut Tx,
    order: &mut OrderView,
    placement: &Placement<'_>,
) -> Result<HistoryEntry, AppError> {
    let next: i64 = sqlx::query_scalar(
        "UPDATE order_counter SET value = value + 1 WHERE name = 'order_number' RETURNING value",
    )
    .fetch_one(tx.conn())
    .await?;
    order.number = format!("SO-{next}");
    let address = serde_json::to_string(&order.shipping_address).map_err(AppError::internal)?;
    let inserted = sqlx::query(
        "INSERT INTO orders (id, number, status, version, cart_id, idempotency_key, \
           customer_id, email, currency, subtotal, discount_total, shipping_total, total, \
           refunded_total, coupon_code, shipping_address, shipping_method_id, payment_id, \
           token_hash, token_salt, placed_at, updated_at, payment_deadline) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15, $16, \
           $17, $18, $19, $20, $20, $21)",
    )
    .bind(&order.id)
    .bind(&order.number)
    .bind(order.status.as_str())
    .bind(order.version)
    .bind(&order.cart_id)
    .bind(placement.key_hash)
    .bind(&order.customer_id)
    .bind(&order.email)
    .bind(&order.currency)
    .bind(order.subtotal)
    .bind(order.discount_total)
    .bind(order.shipping_total)
    .bind(order.total)
    .bind(&order.coupon_code)
    .bind(address)
    .bind(&order.shipping_method_id)
    .bind(&order.payment_id)
    .bind(&order.token_hash)
    .bind(placement.token_salt)
    .bind(order.placed_at)
    .bind(order.payment_deadline)
    .execute(tx.conn())
    .await;
    match inserted {
        Err(err) if is_unique_violation(&err) => {
            return Err(AppError::conflict(
                "input.cartId: this cart has already been checked out",
            ))
        }
        other => {
            other?;
        }
    }
    for (position, line) in order.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO order_lines (id, order_id, position, variant_id, product_id, sku, \
               title, quantity, unit_price, line_total, livestream_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&line.id)
        .bind(&order.id)
        .bind(position as i64)
        .bind(&line.variant_id)
        .bind(&line.product_id)
        .bind(&line.sku)
        .bind(&line.title)
        .bind(line.quantity)
        .bind(line.unit_price)
        .bind(line.line_total)
        .bind(&line.livestream_id)
        .execute(tx.conn())
        .await?;
    }
    let first = HistoryEntry {
        version: order.version,
        status: order.status,
        previous_status: None,
        actor: placement.actor.to_string(),
        reason: "CHECKOUT".into(),
        note: None,
        at: order.placed_at,
    };
    events::record(tx, &order.id, &first).await?;
    Ok(first)
}
