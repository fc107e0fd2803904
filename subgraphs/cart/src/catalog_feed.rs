//! The local copy of catalog's prices: variants with their current price (`variant.created`,
//! `variant.price_changed`); product status is the kit's shared read model
//! (`kit::events::product_status`). Events may arrive out of order, so a row only moves forward
//! in event time.
//! A price change returns the carts showing that variant, whose cached copies must go.

use kit::events::Event;
use kit::money::{Currency, Money};
use kit::{AppError, Tx};
use serde_json::Value;

/// A price as catalog sends it: `{amount, currencyCode, minorUnits}` (minor units preferred).
fn price_of(value: &Value) -> Option<(i64, &'static str)> {
    let currency = Currency::from_code(value["currencyCode"].as_str()?)?;
    let minor = match value["minorUnits"].as_i64() {
        Some(minor) => minor,
        None => {
            Money::parse("price", value["amount"].as_str()?, currency)
                .ok()?
                .minor
        }
    };
    (minor >= 0).then_some((minor, currency.code()))
}

/// Applies a variant event; returns the ids of the carts whose shown price it changed.
pub async fn apply_variant(tx: &mut Tx, event: &Event) -> Result<Vec<String>, AppError> {
    let data = &event.data;
    let variant = data["variantId"].as_str().or(event.subject.as_deref());
    let price = match event.event_type.as_str() {
        "variant.price_changed" => &data["newPrice"],
        _ => &data["price"],
    };
    let (Some(variant), Some(product), Some((minor, currency))) =
        (variant, data["productId"].as_str(), price_of(price))
    else {
        tracing::warn!(event = %event.id, kind = %event.event_type, "variant event without variant, product or price; ignored");
        return Ok(Vec::new());
    };
    let changed = sqlx::query(
        "INSERT INTO variants (variant_id, product_id, price_minor, currency, changed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (variant_id) DO UPDATE \
         SET product_id = excluded.product_id, price_minor = excluded.price_minor, \
         currency = excluded.currency, changed_at = excluded.changed_at \
         WHERE variants.changed_at <= excluded.changed_at",
    )
    .bind(variant)
    .bind(product)
    .bind(minor)
    .bind(currency)
    .bind(event.time.timestamp_millis())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(Vec::new());
    }
    Ok(
        sqlx::query_scalar("SELECT DISTINCT cart_id FROM cart_lines WHERE variant_id = $1")
            .bind(variant)
            .fetch_all(tx.conn())
            .await?,
    )
}
