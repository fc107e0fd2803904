//! The `order.*` events orders publishes (docs/checkout.md): every one carries the common
//! fields, each type adds its own. Also where an emitted event is appended to `order_events`,
//! the never-pruned log the read model is rebuilt from, in the same transaction as the outbox
//! row.

use chrono::SecondsFormat;
use kit::ids::{from_millis, now_millis};
use kit::{AppError, Service, Tx};
use serde_json::{json, Value};

use crate::status::OrderStatus;
use crate::view::{HistoryEntry, LineView, OrderView};

/// Money as events carry it: `{amount, currencyCode, minorUnits}`.
pub fn money(order: &OrderView, minor: i64) -> Result<Value, AppError> {
    let m = order.money(minor)?;
    Ok(json!({
        "amount": m.amount_string(),
        "currencyCode": m.currency.code(),
        "minorUnits": minor,
    }))
}

pub fn time(ms: i64) -> String {
    from_millis(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn lines(order: &OrderView) -> Result<Value, AppError> {
    let line = |l: &LineView| -> Result<Value, AppError> {
        Ok(json!({
            "lineId": l.id,
            "variantId": l.variant_id,
            "productId": l.product_id,
            "sku": l.sku,
            "title": l.title,
            "quantity": l.quantity,
            "unitPrice": money(order, l.unit_price)?,
            "lineTotal": money(order, l.line_total)?,
            "livestreamId": l.livestream_id,
        }))
    };
    Ok(Value::Array(
        order.lines.iter().map(line).collect::<Result<_, _>>()?,
    ))
}

/// The data of the event announcing `change` of `order` (already in its new state).
pub fn data(order: &OrderView, change: &HistoryEntry) -> Result<Value, AppError> {
    let mut data = json!({
        "orderId": order.id,
        "number": order.number,
        "status": change.status.as_str(),
        "previousStatus": change.previous_status.map(OrderStatus::as_str),
        "customerId": order.customer_id,
        "email": order.email,
        "currencyCode": order.currency,
        "total": money(order, order.total)?,
        "at": time(change.at),
        "actor": change.actor,
        "reason": change.reason,
        "note": change.note,
        "version": change.version,
    });
    let extra = match change.status {
        OrderStatus::PendingPayment => json!({
            "cartId": order.cart_id,
            "subtotal": money(order, order.subtotal)?,
            "discountTotal": money(order, order.discount_total)?,
            "shippingTotal": money(order, order.shipping_total)?,
            "lines": lines(order)?,
            "shippingAddress": order.shipping_address,
            "shippingMethodId": order.shipping_method_id,
            "couponCode": order.coupon_code,
            "reservationReference": order.id,
            "paymentId": order.payment_id,
            "placedAt": time(order.placed_at),
            "paymentDeadline": time(order.payment_deadline),
        }),
        OrderStatus::Paid => json!({
            "shippingAddress": order.shipping_address,
            "shippingMethodId": order.shipping_method_id,
            "lines": lines(order)?,
            "reservationReference": order.id,
            // A guest order's token hash, so shipping can show the guest its shipments too.
            "orderTokenHash": order.token_hash,
        }),
        OrderStatus::Fulfilling => json!({ "shipmentId": order.shipment_id }),
        OrderStatus::Shipped => json!({
            "shipmentId": order.shipment_id,
            "carrier": order.carrier,
            "trackingNumber": order.tracking_number,
        }),
        OrderStatus::Cancelled => json!({ "reservationReference": order.id }),
        OrderStatus::Refunded | OrderStatus::PartiallyRefunded => {
            json!({ "refundedTotal": money(order, order.refunded_total)? })
        }
        OrderStatus::Delivered => json!({}),
    };
    if let (Value::Object(data), Value::Object(extra)) = (&mut data, extra) {
        data.extend(extra);
    }
    Ok(data)
}

/// The event announcing `change` of `order` (already in its new state).
pub fn event(
    svc: &Service,
    order: &OrderView,
    change: &HistoryEntry,
) -> Result<kit::events::Event, AppError> {
    Ok(svc.event(
        &change.status.event_type(),
        Some(order.id.clone()),
        data(order, change)?,
    ))
}

/// Appends `event` (announcing version `version` of order `order_id`) to `order_events`, the
/// log the read model is folded from; publishes nothing.
pub async fn append(
    tx: &mut Tx,
    order_id: &str,
    version: i64,
    event: &kit::events::Event,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO order_events (order_id, version, event_id, event_type, payload, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order_id)
    .bind(version)
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(serde_json::to_string(event).map_err(AppError::internal)?)
    .bind(now_millis())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Emits the event for `change` through the outbox and appends it to `order_events`.
pub async fn emit(
    svc: &Service,
    tx: &mut Tx,
    order: &OrderView,
    change: &HistoryEntry,
) -> Result<kit::events::Event, AppError> {
    let event = event(svc, order, change)?;
    append(tx, &order.id, change.version, &event).await?;
    tx.emit(&event).await?;
    Ok(event)
}

/// Records `change` in the order's status history.
pub async fn record(tx: &mut Tx, order_id: &str, change: &HistoryEntry) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO order_status_history \
           (order_id, version, status, previous_status, actor, reason, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(order_id)
    .bind(change.version)
    .bind(change.status.as_str())
    .bind(change.previous_status.map(OrderStatus::as_str))
    .bind(&change.actor)
    .bind(&change.reason)
    .bind(&change.note)
    .bind(change.at)
    .execute(tx.conn())
    .await?;
    Ok(())
}
