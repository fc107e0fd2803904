//! Seeds for the launcher's demo: variant weights in bulk (so quotes weigh the seeded catalogue
//! without replaying its events) and the demo zones and methods. Both are idempotent and
//! publish no events. Seeded weights carry event time 0, so they never override what a real
//! event wrote, and any later event overrides them.

use std::collections::HashMap;

use kit::db::placeholders;
use kit::ids::new_id;
use kit::money::Currency;
use kit::Service;

use crate::method_spec::MethodSpec;
use crate::rate::{Rate, RateKind};
use crate::weights::MAX_WEIGHT_GRAMS;
use crate::zone_spec::ZoneSpec;
use crate::{methods, zones};

/// Rows per multi-row statement.
const ROWS: usize = 500;
/// Rows per transaction.
const PER_TX: usize = 10_000;

/// Upserts `(variant id, weight in grams or unknown)` rows, in chunked multi-row statements.
pub async fn weights(svc: &Service, rows: &[(String, Option<i64>)]) -> anyhow::Result<()> {
    if let Some((id, w)) = rows
        .iter()
        .find(|(_, w)| w.is_some_and(|g| !(0..=MAX_WEIGHT_GRAMS).contains(&g)))
    {
        anyhow::bail!("variant {id}: weight {w:?} g is outside 0..={MAX_WEIGHT_GRAMS}");
    }
    // The last row per variant (PostgreSQL refuses to upsert one row twice in a statement).
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, (id, _)) in rows.iter().enumerate() {
        last.insert(id, i);
    }
    let unique: Vec<&(String, Option<i64>)> = rows
        .iter()
        .enumerate()
        .filter(|(i, (id, _))| last.get(id.as_str()) == Some(i))
        .map(|(_, row)| row)
        .collect();
    for batch in unique.chunks(PER_TX) {
        let mut tx = svc.db.begin().await?;
        for chunk in batch.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({}, 0)", placeholders(i * 2 + 1, 2)))
                .collect();
            let sql = format!(
                "INSERT INTO variant_weights (variant_id, weight_grams, changed_at) VALUES {} \
                 ON CONFLICT (variant_id) DO UPDATE SET weight_grams = excluded.weight_grams \
                 WHERE variant_weights.changed_at <= 0",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (id, weight) in chunk {
                query = query.bind(id.as_str()).bind(*weight);
            }
            query.execute(tx.conn()).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

const EUROPE: [&str; 12] = [
    "DE", "FR", "NL", "IT", "ES", "GB", "IE", "BE", "AT", "PL", "SE", "DK",
];

async fn id_by_name(svc: &Service, table: &str, name: &str) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE name_key = $1"))
            .bind(name.to_lowercase())
            .fetch_optional(svc.db.pool())
            .await?,
    )
}

/// The zone named `spec.name`, created when missing.
async fn zone(svc: &Service, spec: ZoneSpec) -> anyhow::Result<String> {
    if let Some(id) = id_by_name(svc, "shipping_zones", &spec.name).await? {
        return Ok(id);
    }
    match zones::write(&svc.db, &new_id(), &spec, true).await {
        Ok(zone) => Ok(zone.id),
        // Another instance seeded it meanwhile.
        Err(kit::AppError::Conflict(_)) => id_by_name(svc, "shipping_zones", &spec.name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("zone {} vanished", spec.name)),
        Err(err) => Err(err.into_anyhow()),
    }
}

/// The method named `spec.name`, created when missing.
async fn method(svc: &Service, spec: MethodSpec) -> anyhow::Result<()> {
    if id_by_name(svc, "shipping_methods", &spec.name)
        .await?
        .is_some()
    {
        return Ok(());
    }
    match methods::write(&svc.db, &new_id(), &spec, true).await {
        Ok(_) | Err(kit::AppError::Conflict(_)) => Ok(()),
        Err(err) => Err(err.into_anyhow()),
    }
}

fn usd(kind: RateKind, amount: i64) -> Rate {
    Rate {
        currency: Currency::from_code("USD").expect("USD is supported"),
        kind,
        amount,
        per_kg: None,
        max_weight_grams: None,
        free_above: None,
    }
}

fn area(name: &str, countries: &[&str], rest_of_world: bool) -> ZoneSpec {
    ZoneSpec {
        name: name.into(),
        countries: countries.iter().map(|c| c.to_string()).collect(),
        regions: Vec::new(),
        postal_prefixes: Vec::new(),
        rest_of_world,
    }
}

/// Creates the demo zones ("Domestic" = US, "Europe", "Rest of world" = every country no other
/// zone lists) and methods ("Standard", "Express", "International") unless they exist.
pub async fn demo(svc: &Service) -> anyhow::Result<()> {
    let domestic = zone(svc, area("Domestic", &["US"], false)).await?;
    let europe = zone(svc, area("Europe", &EUROPE, false)).await?;
    let rest = zone(svc, area("Rest of world", &[], true)).await?;
    let spec =
        |name: &str, carrier: &str, zones: &[&String], days: (i64, i64), rate: Rate| MethodSpec {
            name: name.into(),
            carrier: carrier.into(),
            zone_ids: zones.iter().map(|z| z.to_string()).collect(),
            active: true,
            days_min: Some(days.0),
            days_max: Some(days.1),
            rates: vec![rate],
        };
    method(
        svc,
        spec(
            "Standard",
            "USPS",
            &[&domestic],
            (3, 5),
            Rate {
                free_above: Some(5_000),
                ..usd(RateKind::FreeAbove, 499)
            },
        ),
    )
    .await?;
    method(
        svc,
        spec(
            "Express",
            "UPS",
            &[&domestic],
            (1, 2),
            Rate {
                per_kg: Some(200),
                ..usd(RateKind::ByWeight, 999)
            },
        ),
    )
    .await?;
    method(
        svc,
        spec(
            "International",
            "DHL",
            &[&europe, &rest],
            (6, 12),
            usd(RateKind::Flat, 1_999),
        ),
    )
    .await?;
    Ok(())
}
