//! The CQRS read side: `order_read_model`, one row per order with the whole order as a JSON
//! document, projected from the order's events. A consumer of orders' own `order.*` events
//! (durable queue `orders-projection`) refolds the order's log in `order_events` each time one
//! arrives, so redelivered or out-of-order events change nothing; `rebuild` wipes the table
//! and refolds every order's log (the outbox is pruned, `order_events` never is).

use std::collections::BTreeMap;

use chrono::DateTime;
use kit::events::{Event, QueueSpec};
use kit::{AppError, Service, Tx};
use serde_json::Value;

use crate::status::OrderStatus;
use crate::view::{AddressView, HistoryEntry, LineView, OrderView};

pub const QUEUE: &str = "orders-projection";

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(QUEUE, &["order.*"]),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move {
                let Some(order_id) = event.data["orderId"].as_str().or(event.subject.as_deref())
                else {
                    tracing::warn!(event = %event.id, "order event without orderId; ignored");
                    return Ok(());
                };
                project(&svc, order_id).await.map_err(AppError::into_anyhow)
            }
        },
    )
    .await
}

/// Refolds one order's events into its read-model row.
pub async fn project(svc: &Service, order_id: &str) -> Result<(), AppError> {
    let mut tx = svc.db.begin().await?;
    refold(&mut tx, order_id).await?;
    tx.commit().await?;
    Ok(())
}

/// [`project`] in the caller's transaction (which may have just appended the events).
pub async fn refold(tx: &mut Tx, order_id: &str) -> Result<(), AppError> {
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM order_events WHERE order_id = $1 ORDER BY version")
            .bind(order_id)
            .fetch_all(tx.conn())
            .await?;
    if let Some(order) = fold(&parse_all(&payloads)?)? {
        upsert(tx, &order).await?;
    }
    Ok(())
}

/// Empties the read model and projects every order again from `order_events`; returns how
/// many orders it holds afterwards.
pub async fn rebuild(svc: &Service) -> Result<usize, AppError> {
    let mut tx = svc.db.begin().await?;
    sqlx::query("DELETE FROM order_read_model")
        .execute(tx.conn())
        .await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT order_id, payload FROM order_events ORDER BY order_id, version")
            .fetch_all(tx.conn())
            .await?;
    let mut logs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (order_id, payload) in rows {
        logs.entry(order_id).or_default().push(payload);
    }
    let mut projected = 0;
    for payloads in logs.values() {
        if let Some(order) = fold(&parse_all(payloads)?)? {
            upsert(&mut tx, &order).await?;
            projected += 1;
        }
    }
    tx.commit().await?;
    tracing::info!(projected, "order read model rebuilt");
    Ok(projected)
}

fn parse_all(payloads: &[String]) -> Result<Vec<Event>, AppError> {
    payloads
        .iter()
        .map(|p| serde_json::from_str(p).map_err(AppError::internal))
        .collect()
}

async fn upsert(tx: &mut Tx, order: &OrderView) -> Result<(), AppError> {
    let document = serde_json::to_string(order).map_err(AppError::internal)?;
    sqlx::query(
        "INSERT INTO order_read_model \
           (id, number, status, customer_id, email, placed_at, updated_at, version, document) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
           updated_at = excluded.updated_at, version = excluded.version, \
           document = excluded.document \
         WHERE order_read_model.version <= excluded.version",
    )
    .bind(&order.id)
    .bind(&order.number)
    .bind(order.status.as_str())
    .bind(&order.customer_id)
    .bind(order.email.to_lowercase())
    .bind(order.placed_at)
    .bind(order.updated_at)
    .bind(order.version)
    .bind(document)
    .execute(tx.conn())
    .await?;
    Ok(())
}

fn bad(event: &Event, what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "order event {} ({}) has no valid {what}",
        event.id,
        event.event_type
    ))
}

fn text(event: &Event, key: &str) -> Result<String, AppError> {
    event.data[key]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| bad(event, key))
}

fn optional(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn minor(event: &Event, value: &Value, what: &str) -> Result<i64, AppError> {
    value["minorUnits"].as_i64().ok_or_else(|| bad(event, what))
}

fn millis(event: &Event, key: &str) -> Result<i64, AppError> {
    event.data[key]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| bad(event, key))
}

fn status(event: &Event, key: &str) -> Result<Option<OrderStatus>, AppError> {
    match &event.data[key] {
        Value::Null => Ok(None),
        v => v
            .as_str()
            .and_then(OrderStatus::parse)
            .map(Some)
            .ok_or_else(|| bad(event, key)),
    }
}

fn change(event: &Event) -> Result<HistoryEntry, AppError> {
    Ok(HistoryEntry {
        version: event.data["version"]
            .as_i64()
            .ok_or_else(|| bad(event, "version"))?,
        status: status(event, "status")?.ok_or_else(|| bad(event, "status"))?,
        previous_status: status(event, "previousStatus")?,
        actor: text(event, "actor")?,
        reason: text(event, "reason")?,
        note: optional(&event.data["note"]),
        at: millis(event, "at")?,
    })
}

fn created(event: &Event) -> Result<OrderView, AppError> {
    let d = &event.data;
    let lines = d["lines"]
        .as_array()
        .ok_or_else(|| bad(event, "lines"))?
        .iter()
        .map(|l| {
            Ok(LineView {
                id: optional(&l["lineId"]).ok_or_else(|| bad(event, "lines[].lineId"))?,
                variant_id: optional(&l["variantId"]).ok_or_else(|| bad(event, "variantId"))?,
                product_id: optional(&l["productId"]).ok_or_else(|| bad(event, "productId"))?,
                sku: optional(&l["sku"]).unwrap_or_default(),
                title: optional(&l["title"]).unwrap_or_default(),
                quantity: l["quantity"]
                    .as_i64()
                    .ok_or_else(|| bad(event, "quantity"))?,
                unit_price: minor(event, &l["unitPrice"], "unitPrice")?,
                line_total: minor(event, &l["lineTotal"], "lineTotal")?,
                livestream_id: optional(&l["livestreamId"]),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let address: AddressView = serde_json::from_value(d["shippingAddress"].clone())
        .map_err(|_| bad(event, "shippingAddress"))?;
    let first = change(event)?;
    Ok(OrderView {
        id: text(event, "orderId")?,
        number: text(event, "number")?,
        status: first.status,
        version: first.version,
        cart_id: text(event, "cartId")?,
        customer_id: optional(&d["customerId"]),
        email: text(event, "email")?,
        currency: text(event, "currencyCode")?,
        lines,
        subtotal: minor(event, &d["subtotal"], "subtotal")?,
        discount_total: minor(event, &d["discountTotal"], "discountTotal")?,
        shipping_total: minor(event, &d["shippingTotal"], "shippingTotal")?,
        total: minor(event, &d["total"], "total")?,
        refunded_total: 0,
        coupon_code: optional(&d["couponCode"]),
        shipping_address: address,
        shipping_method_id: text(event, "shippingMethodId")?,
        payment_id: optional(&d["paymentId"]),
        shipment_id: None,
        carrier: None,
        tracking_number: None,
        placed_at: millis(event, "placedAt")?,
        updated_at: first.at,
        payment_deadline: millis(event, "paymentDeadline")?,
        // Lists are for customers and staff: a guest's token never opens a list.
        token_hash: None,
        history: Some(vec![first]),
    })
}

/// The order as its events, oldest first, describe it; `None` without an `order.created`.
pub fn fold(events: &[Event]) -> Result<Option<OrderView>, AppError> {
    let mut order: Option<OrderView> = None;
    for event in events {
        if event.event_type == "order.created" {
            order = Some(created(event)?);
            continue;
        }
        let Some(current) = order.as_mut() else {
            continue;
        };
        let entry = change(event)?;
        current.status = entry.status;
        current.version = entry.version;
        current.updated_at = entry.at;
        let d = &event.data;
        if d["refundedTotal"].is_object() {
            current.refunded_total = minor(event, &d["refundedTotal"], "refundedTotal")?;
        }
        for (field, key) in [
            (&mut current.shipment_id, "shipmentId"),
            (&mut current.carrier, "carrier"),
            (&mut current.tracking_number, "trackingNumber"),
        ] {
            if let Some(value) = optional(&d[key]) {
                *field = Some(value);
            }
        }
        current.history.get_or_insert_with(Vec::new).push(entry);
    }
    Ok(order)
}
