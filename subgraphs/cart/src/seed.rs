//! Seeding the read models for the launcher's demo data, whose seeded catalog and inventory
//! rows publish no events. Idempotent upserts in multi-row batches (built for 10k–1M
//! variants); seeded rows carry event time 0, so they never overwrite what an event set.

use std::collections::HashMap;

use kit::db::placeholders;
use kit::money::Currency;
use kit::Service;

use crate::cache;

/// A variant as the catalog seed made it.
#[derive(Debug, Clone)]
pub struct VariantRow {
    pub variant_id: String,
    pub product_id: String,
    pub price_minor: i64,
    pub currency: String,
    /// Whether its product is published (else it is a draft).
    pub published: bool,
}

/// Rows per multi-row INSERT (5 parameters each: far below SQLite's and PostgreSQL's limits).
const BATCH: usize = 500;

/// `($1, $2, …), ($n, …)` for `rows` rows of `width` parameters.
fn values(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last row per key, in first-seen order: one upsert may not touch a row twice.
fn last_per_key<T>(rows: &[T], key: impl Fn(&T) -> &str) -> Vec<&T> {
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<&T> = Vec::new();
    for row in rows {
        match at.get(key(row)) {
            Some(&i) => out[i] = row,
            None => {
                at.insert(key(row), out.len());
                out.push(row);
            }
        }
    }
    out
}

/// Whether any cart has lines (if none, a reseeded price cannot be showing anywhere).
async fn carts_have_lines(svc: &Service) -> anyhow::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM cart_lines LIMIT 1) t")
        .fetch_one(svc.db.background())
        .await?;
    Ok(n > 0)
}

/// Upserts variants with their price and their products' status.
pub async fn variants(svc: &Service, rows: &[VariantRow]) -> anyhow::Result<()> {
    for row in rows {
        anyhow::ensure!(
            Currency::from_code(&row.currency).is_some(),
            "variant {}: unknown currency {}",
            row.variant_id,
            row.currency
        );
    }
    let check_carts = carts_have_lines(svc).await?;
    for chunk in rows.chunks(BATCH) {
        let mut tx = svc.db.begin().await?;
        let unique = last_per_key(chunk, |r| &r.variant_id);
        let sql = format!(
            "INSERT INTO variants (variant_id, product_id, price_minor, currency, changed_at) \
             VALUES {} ON CONFLICT (variant_id) DO UPDATE SET product_id = excluded.product_id, \
             price_minor = excluded.price_minor, currency = excluded.currency \
             WHERE variants.changed_at <= excluded.changed_at",
            values(unique.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for r in &unique {
            q = q
                .bind(&r.variant_id)
                .bind(&r.product_id)
                .bind(r.price_minor)
                .bind(&r.currency)
                .bind(0i64);
        }
        q.execute(tx.conn()).await?;

        let products = last_per_key(chunk, |r| &r.product_id);
        let sql = format!(
            "INSERT INTO products (id, status, changed_at) VALUES {} \
             ON CONFLICT (id) DO UPDATE SET status = excluded.status \
             WHERE products.changed_at <= excluded.changed_at",
            values(products.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for r in &products {
            let status = if r.published { "PUBLISHED" } else { "DRAFT" };
            q = q.bind(&r.product_id).bind(status).bind(0i64);
        }
        q.execute(tx.conn()).await?;

        let mut stale: Vec<String> = Vec::new();
        if check_carts {
            let sql = format!(
                "SELECT DISTINCT cart_id FROM cart_lines WHERE variant_id IN ({})",
                placeholders(1, unique.len())
            );
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for r in &unique {
                q = q.bind(&r.variant_id);
            }
            stale = q.fetch_all(tx.conn()).await?;
        }
        tx.commit().await?;
        cache::invalidate(svc, &stale).await;
    }
    Ok(())
}

/// Upserts units available per variant: `(variant id, available)`.
pub async fn stock(svc: &Service, rows: &[(String, i64)]) -> anyhow::Result<()> {
    for chunk in rows.chunks(BATCH) {
        let unique = last_per_key(chunk, |r| &r.0);
        let sql = format!(
            "INSERT INTO stock (variant_id, available, changed_at) VALUES {} \
             ON CONFLICT (variant_id) DO UPDATE SET available = excluded.available \
             WHERE stock.changed_at <= excluded.changed_at",
            values(unique.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (variant, available) in &unique {
            q = q.bind(variant).bind((*available).max(0)).bind(0i64);
        }
        let mut tx = svc.db.begin().await?;
        q.execute(tx.conn()).await?;
        tx.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_row_per_key_in_first_seen_order() {
        let rows = [("a", 1), ("b", 2), ("a", 3)];
        let out: Vec<_> = last_per_key(&rows, |r| r.0).into_iter().copied().collect();
        assert_eq!(out, vec![("a", 3), ("b", 2)]);
    }

    #[test]
    fn values_numbers_every_parameter() {
        assert_eq!(values(2, 2), "($1, $2), ($3, $4)");
    }
}
