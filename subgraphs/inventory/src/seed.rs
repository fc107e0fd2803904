//! Demo stock for the launcher's seeded catalogue: two warehouses, and for every given variant
//! that has no stock yet a level in one or both of them. Quantities are derived from the
//! variant id, so a run is deterministic; about one variant in twelve is out of stock and some
//! are low, so storefront badges have something to show. Bulk-loaded without ledger rows or
//! events (a seed has no history).

use kit::db::placeholders;
use kit::ids::{new_id, now_millis};
use kit::Service;

use crate::settings::Settings;

const WAREHOUSES: &[(&str, &str)] = &[
    ("MAIN", "Main warehouse"),
    ("EAST", "East fulfilment centre"),
];
/// Rows per multi-row INSERT: 5 parameters each, well under SQLite's limit.
const BATCH: usize = 150;

/// A stable 64-bit hash (FNV-1a) of a variant id: the seed's only source of variety.
fn spread(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// On-hand quantities for one variant: (main, east); `None` = not stocked there.
fn quantities(variant: &str) -> (i64, Option<i64>) {
    let h = spread(variant);
    let main = match h % 12 {
        0 => 0,
        1 => 1 + (h >> 8) as i64 % 4,
        _ => 5 + (h >> 8) as i64 % 120,
    };
    let east = (h >> 20).is_multiple_of(3);
    (main, east.then_some((h >> 24) as i64 % 40))
}

async fn warehouse(svc: &Service, code: &str, name: &str) -> anyhow::Result<String> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM warehouses WHERE code = $1")
        .bind(code)
        .fetch_optional(svc.db.pool())
        .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = new_id();
    sqlx::query("INSERT INTO warehouses (id, code, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(code)
        .bind(name)
        .bind(now_millis())
        .execute(svc.db.pool())
        .await?;
    Ok(id)
}

/// Gives every variant in `variants` without stock its demo levels. Idempotent.
pub async fn run(svc: &Service, variants: &[String]) -> anyhow::Result<()> {
    let settings = Settings::from_config(&svc.config)?;
    let main = warehouse(svc, WAREHOUSES[0].0, WAREHOUSES[0].1).await?;
    let east = warehouse(svc, WAREHOUSES[1].0, WAREHOUSES[1].1).await?;
    let now = now_millis();
    let mut added = 0usize;
    for chunk in variants.chunks(BATCH) {
        let mut sql = format!(
            "SELECT DISTINCT variant_id FROM stock_levels WHERE variant_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for v in chunk {
            q = q.bind(v);
        }
        let stocked: std::collections::HashSet<String> = q
            .fetch_all(svc.db.background())
            .await?
            .into_iter()
            .collect();
        let mut rows: Vec<(&str, &str, i64)> = Vec::new();
        for v in chunk.iter().filter(|v| !stocked.contains(*v)) {
            let (m, e) = quantities(v);
            rows.push((v, &main, m));
            if let Some(e) = e {
                rows.push((v, &east, e));
            }
        }
        if rows.is_empty() {
            continue;
        }
        let mut tx = svc.db.begin().await?;
        for part in rows.chunks(BATCH) {
            sql = String::from(
                "INSERT INTO stock_levels \
                 (variant_id, warehouse_id, on_hand, reserved, low_threshold, updated_at) VALUES ",
            );
            for i in 0..part.len() {
                let b = i * 5;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, 0, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                ));
            }
            let mut q = sqlx::query(&sql);
            for (variant, wh, on_hand) in part {
                q = q
                    .bind(*variant)
                    .bind(*wh)
                    .bind(*on_hand)
                    .bind(settings.low_stock_threshold)
                    .bind(now);
            }
            q.execute(tx.conn()).await?;
        }
        tx.commit().await?;
        added += rows.len();
    }
    if added > 0 {
        tracing::debug!(levels = added, "seeded demo stock");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::quantities;

    #[test]
    fn quantities_are_deterministic_and_varied() {
        assert_eq!(quantities("abc"), quantities("abc"));
        let ids: Vec<String> = (0..600).map(|i| format!("variant-{i}")).collect();
        let out = ids.iter().filter(|v| quantities(v).0 == 0).count();
        assert!(out > 10 && out < 120, "{out} of 600 out of stock");
        assert!(ids.iter().any(|v| quantities(v).1.is_some()));
        assert!(ids.iter().any(|v| quantities(v).1.is_none()));
    }
}
