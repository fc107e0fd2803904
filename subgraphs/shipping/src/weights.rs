//! The variant weight read model, fed by catalog's `variant.created` and `variant.updated`
//! (data `{variantId, productId, sku, weightGrams (nullable), price}`): what a parcel weighs.
//! A null weight means catalog does not know it; quotes then count `DEFAULT_WEIGHT_GRAMS`, as
//! they do for variants never heard of. Events may arrive out of order, so a row only moves
//! forward in event time (seeded rows have time 0 and yield to any event).

use std::collections::HashMap;

use kit::db::placeholders;
use kit::events::Event;
use kit::{AppError, Db, Tx};

/// Heaviest weight accepted for one unit (a tonne): keeps parcel sums far from overflow.
pub const MAX_WEIGHT_GRAMS: i64 = 1_000_000;

/// A weight catalog sent, if usable: `Some(None)` for an explicit null (unknown), `None` when
/// the event does not mention a usable weight (then the known one stays).
fn weight_of(event: &Event) -> Option<Option<i64>> {
    match event.data.get("weightGrams") {
        None => None,
        Some(serde_json::Value::Null) => Some(None),
        Some(v) => match v.as_i64() {
            Some(g) if (0..=MAX_WEIGHT_GRAMS).contains(&g) => Some(Some(g)),
            _ => {
                tracing::warn!(event = %event.id, weight = %v, "unusable weightGrams; ignored");
                None
            }
        },
    }
}

/// Records the weight `event` carries, inside `tx`.
pub async fn apply(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let variant = event.data["variantId"]
        .as_str()
        .or(event.subject.as_deref())
        .filter(|v| !v.is_empty());
    let Some(variant) = variant else {
        tracing::warn!(event = %event.id, kind = %event.event_type, "variant event without variantId; ignored");
        return Ok(());
    };
    let Some(weight) = weight_of(event) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO variant_weights (variant_id, weight_grams, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (variant_id) DO UPDATE SET weight_grams = excluded.weight_grams, \
           changed_at = excluded.changed_at \
         WHERE variant_weights.changed_at <= excluded.changed_at",
    )
    .bind(variant)
    .bind(weight)
    .bind(event.time.timestamp_millis())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The known weights of `variants` (unknown ones are absent), in batches of one query.
pub async fn known(db: &Db, variants: &[&str]) -> Result<HashMap<String, i64>, AppError> {
    let mut out = HashMap::new();
    for chunk in variants.chunks(500) {
        let sql = format!(
            "SELECT variant_id, weight_grams FROM variant_weights \
             WHERE weight_grams IS NOT NULL AND variant_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for v in chunk {
            query = query.bind(*v);
        }
        out.extend(query.fetch_all(db.pool()).await?);
    }
    Ok(out)
}
