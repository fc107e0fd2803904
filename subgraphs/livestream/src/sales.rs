//! Live sales: orders' `order.paid` lines that came from a stream carry its `livestreamId`
//! (cart keeps it on the line, orders passes it through). For each stream an order bought
//! from, this records the order's units and revenue once (processed event ids plus the
//! (order, stream) key) and emits `livestream.sale_recorded`, which subscribers see as
//! `JustBought` — items and units, never who bought.

use std::collections::BTreeMap;

use kit::events::{claim, Event, QueueSpec};
use kit::ids::now_millis;
use kit::{AppError, Service};
use serde_json::{json, Value};

use crate::{events, stream};

const CONSUMER: &str = "livestream-sales";

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, &["order.paid"]),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { record(&svc, &event).await.map_err(AppError::into_anyhow) }
        },
    )
    .await
}

/// A stream's share of one order.
#[derive(Default)]
struct Share {
    units: i64,
    revenue_minor: i64,
    items: Vec<Value>,
}

async fn record(svc: &Service, event: &Event) -> Result<(), AppError> {
    let data = &event.data;
    let Some(order_id) = data["orderId"].as_str() else {
        return Ok(());
    };
    let currency = data["currencyCode"].as_str().unwrap_or_default();
    let mut shares: BTreeMap<String, Share> = BTreeMap::new();
    for line in data["lines"].as_array().into_iter().flatten() {
        let Some(stream_id) = line["livestreamId"].as_str() else {
            continue;
        };
        let quantity = line["quantity"].as_i64().unwrap_or(0);
        let share = shares.entry(stream_id.to_string()).or_default();
        share.units += quantity;
        share.revenue_minor += line["lineTotal"]["minorUnits"].as_i64().unwrap_or(0);
        share.items.push(json!({
            "productId": line["productId"],
            "variantId": line["variantId"],
            "title": line["title"],
            "quantity": quantity,
        }));
    }
    if shares.is_empty() {
        return Ok(());
    }
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(());
    }
    for (stream_id, share) in shares {
        // A stream this service does not know (deleted, or a forged id) is ignored.
        let Some(current) = stream::lock_next(&mut tx, &stream_id).await? else {
            continue;
        };
        let inserted = sqlx::query(
            "INSERT INTO livestream_sales (order_id, stream_id, units, revenue_minor, currency, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (order_id, stream_id) DO NOTHING",
        )
        .bind(order_id)
        .bind(&stream_id)
        .bind(share.units)
        .bind(share.revenue_minor)
        .bind(currency)
        .bind(now_millis())
        .execute(tx.conn())
        .await?
        .rows_affected();
        if inserted == 1 {
            events::emit(
                svc,
                &mut tx,
                "livestream.sale_recorded",
                &current,
                json!({ "orderId": order_id, "units": share.units, "items": share.items }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
