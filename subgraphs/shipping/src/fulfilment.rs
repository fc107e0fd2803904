//! A shipment for every paid order, from `order.paid` (data per `docs/checkout.md`:
//! `{orderId, customerId, shippingAddress: {name, line1, line2, city, region, postalCode,
//! countryCode, phone}, shippingMethodId, lines: [{lineId, variantId, productId, sku, title,
//! quantity}]}`, optionally `orderTokenHash` for guest orders). Idempotent per order: the
//! shipment's unique `order_id` makes a second `order.paid` for the same order a no-op. The
//! shipment starts PENDING with a first history row and `shipment.created`.

use kit::events::Event;
use kit::ids::{new_id, now_millis};
use kit::{AppError, Service, Tx};
use serde_json::{json, Value};

use crate::method;
use crate::status::{ShipmentStatus, TrackingSource};
use crate::transitions::{self, Change};

/// Longest text copied from an event field.
const MAX_TEXT: usize = 500;

fn text(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(MAX_TEXT).collect())
}

/// A SHA-256 hex digest, lower case, or nothing.
fn token_hash(value: &Value) -> Option<String> {
    let hash = value.as_str()?.trim().to_ascii_lowercase();
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hash)
}

struct Line {
    line_id: Option<String>,
    variant_id: String,
    product_id: Option<String>,
    sku: Option<String>,
    title: Option<String>,
    quantity: i64,
}

fn lines(event: &Event) -> Vec<Line> {
    let Some(items) = event.data["lines"].as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|l| {
            let line = Line {
                line_id: text(&l["lineId"]),
                variant_id: text(&l["variantId"])?,
                product_id: text(&l["productId"]),
                sku: text(&l["sku"]),
                title: text(&l["title"]),
                quantity: l["quantity"].as_i64().filter(|q| *q > 0)?,
            };
            Some(line)
        })
        .collect()
}

/// Creates the shipment of the order `event` reports paid, unless it exists.
pub async fn order_paid(svc: &Service, tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let data = &event.data;
    let order = text(&data["orderId"]).or_else(|| event.subject.clone());
    let address = &data["shippingAddress"];
    let country = text(&address["countryCode"]).map(|c| c.to_ascii_uppercase());
    let (Some(order), Some(country)) = (order, country) else {
        tracing::warn!(event = %event.id, "order.paid without orderId or shippingAddress.countryCode; no shipment");
        return Ok(());
    };
    let method_id = text(&data["shippingMethodId"]);
    let chosen = match &method_id {
        Some(id) => method::by_id(&svc.db, id).await?,
        None => None,
    };
    let id = new_id();
    let now = now_millis();
    let inserted = sqlx::query(
        "INSERT INTO shipments (id, order_id, customer_id, order_token_hash, status, carrier, \
           method_id, method_name, method_carrier, days_min, days_max, address_name, \
           address_line1, address_line2, address_city, address_region, address_postal_code, \
           address_country, address_phone, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6, $9, $10, $11, $12, $13, $14, $15, $16, \
           $17, $18, 1, $19, $19) \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&order)
    .bind(text(&data["customerId"]))
    .bind(token_hash(&data["orderTokenHash"]))
    .bind(ShipmentStatus::Pending.as_str())
    .bind(chosen.as_ref().map(|m| m.carrier.clone()))
    .bind(&method_id)
    .bind(chosen.as_ref().map(|m| m.name.clone()))
    .bind(chosen.as_ref().and_then(|m| m.days_min))
    .bind(chosen.as_ref().and_then(|m| m.days_max))
    .bind(text(&address["name"]))
    .bind(text(&address["line1"]))
    .bind(text(&address["line2"]))
    .bind(text(&address["city"]))
    .bind(text(&address["region"]))
    .bind(text(&address["postalCode"]))
    .bind(&country)
    .bind(text(&address["phone"]))
    .bind(now)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if inserted == 0 {
        tracing::info!(%order, "order already has its shipment");
        return Ok(());
    }
    for (position, line) in lines(event).iter().enumerate() {
        sqlx::query(
            "INSERT INTO shipment_lines (shipment_id, position, line_id, variant_id, product_id, \
               sku, title, quantity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(position as i64)
        .bind(&line.line_id)
        .bind(&line.variant_id)
        .bind(&line.product_id)
        .bind(&line.sku)
        .bind(&line.title)
        .bind(line.quantity)
        .execute(tx.conn())
        .await?;
    }
    let created = Change {
        to: ShipmentStatus::Pending,
        by: TrackingSource::System,
        occurred_at: now,
        location: None,
        description: Some("Order paid; shipment created"),
        carrier: None,
        tracking_number: None,
    };
    transitions::record(tx, &id, 1, &created, now).await?;
    let data = json!({ "shipmentId": id, "orderId": order, "status": "PENDING" });
    tx.emit(&svc.event("shipment.created", Some(id.clone()), data))
        .await?;
    Ok(())
}
