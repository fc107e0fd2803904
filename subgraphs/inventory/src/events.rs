//! The `inventory.*` events, written to the outbox in the transaction that changed the stock.
//! Every stock-changing event carries the new totals of the variants it touched (`stock`), which
//! is what `stockChanged` subscribers receive; a level whose available quantity crosses below
//! its threshold also emits `inventory.low`.

use std::collections::BTreeMap;

use kit::{AppError, Service, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use kit::db::placeholders as params;

/// A stock level a change touched, with its available quantity before the change.
#[derive(Debug, Clone)]
pub struct Touched {
    pub variant_id: String,
    pub warehouse_id: String,
    pub available_before: i64,
}

/// A variant's totals after a change, as carried in events.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VariantTotals {
    pub variant_id: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
}

/// Emits `event_type` with `data` plus `stock` (the touched variants' new totals), and an
/// `inventory.low` for each touched level that dropped below its threshold.
pub async fn emit_change(
    svc: &Service,
    tx: &mut Tx,
    event_type: &str,
    subject: Option<String>,
    mut data: Value,
    touched: &[Touched],
) -> Result<(), AppError> {
    let mut variants: Vec<&str> = touched.iter().map(|t| t.variant_id.as_str()).collect();
    variants.sort_unstable();
    variants.dedup();
    let rows = if variants.is_empty() {
        Vec::new()
    } else {
        let sql = format!(
            "SELECT variant_id, warehouse_id, on_hand, reserved, low_threshold FROM stock_levels \
             WHERE variant_id IN ({}) ORDER BY variant_id, warehouse_id",
            params(1, variants.len())
        );
        let mut query = sqlx::query_as::<_, (String, String, i64, i64, i64)>(&sql);
        for v in &variants {
            query = query.bind(*v);
        }
        query.fetch_all(tx.conn()).await?
    };

    let mut totals: BTreeMap<&str, VariantTotals> = BTreeMap::new();
    let mut low = Vec::new();
    for (variant_id, warehouse_id, on_hand, reserved, threshold) in &rows {
        let t = totals
            .entry(variant_id.as_str())
            .or_insert_with(|| VariantTotals {
                variant_id: variant_id.clone(),
                on_hand: 0,
                reserved: 0,
                available: 0,
            });
        t.on_hand += on_hand;
        t.reserved += reserved;
        t.available += on_hand - reserved;
        let available = on_hand - reserved;
        let crossed = touched.iter().any(|t| {
            &t.variant_id == variant_id
                && &t.warehouse_id == warehouse_id
                && t.available_before >= *threshold
                && available < *threshold
        });
        if crossed {
            low.push(json!({
                "variantId": variant_id,
                "warehouseId": warehouse_id,
                "available": available,
                "threshold": threshold,
            }));
        }
    }
    let stock: Vec<VariantTotals> = totals.into_values().collect();
    data["stock"] = serde_json::to_value(&stock).map_err(AppError::internal)?;
    tx.emit(&svc.event(event_type, subject, data)).await?;
    for entry in low {
        let subject = entry["variantId"].as_str().map(str::to_string);
        tx.emit(&svc.event("inventory.low", subject, entry)).await?;
    }
    Ok(())
}

/// The new totals an event carries, if it is a stock-changing one.
pub fn totals_of(data: &Value) -> Vec<VariantTotals> {
    data.get("stock")
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default()
}
