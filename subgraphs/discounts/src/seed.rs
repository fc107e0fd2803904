//! Seeds for the launcher's demo: the scope read models in bulk (so promotions can target the
//! seeded catalogue without replaying its events) and a handful of demo coupons plus one
//! promotion. Both are idempotent and publish no events (a seed has no history). Seeded scope
//! rows carry event time 0, so they never override what a real event wrote, and any later
//! event overrides them.

use std::collections::HashMap;

use kit::db::placeholders;
use kit::ids::{new_id, now_millis};
use kit::{AppError, Service};

/// Rows per multi-row statement (at most 4 parameters each).
const ROWS: usize = 500;
/// Rows per transaction.
const PER_TX: usize = 10_000;

/// Upserts the category tree `(id, parent)` and products `(id, category)`; for up to a
/// million products in chunked multi-row statements.
pub async fn scopes(
    svc: &Service,
    categories: &[(String, Option<String>)],
    products: &[(String, Option<String>)],
) -> anyhow::Result<()> {
    upsert(
        svc,
        "scope_categories (id, parent_id, changed_at)",
        "parent_id = excluded.parent_id",
        "scope_categories",
        &dedup(categories),
    )
    .await?;
    upsert(
        svc,
        "scope_products (id, category_id, status, changed_at)",
        "category_id = excluded.category_id",
        "scope_products",
        &dedup(products),
    )
    .await?;
    Ok(())
}

/// The last pair per id (PostgreSQL refuses to upsert one row twice in a statement).
fn dedup(pairs: &[(String, Option<String>)]) -> Vec<(&str, Option<&str>)> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(pairs.len());
    for (i, (id, _)) in pairs.iter().enumerate() {
        last.insert(id, i);
    }
    pairs
        .iter()
        .enumerate()
        .filter(|(i, (id, _))| last.get(id.as_str()) == Some(i))
        .map(|(_, (id, other))| (id.as_str(), other.as_deref()))
        .collect()
}

async fn upsert(
    svc: &Service,
    target: &str,
    set: &str,
    table: &str,
    rows: &[(&str, Option<&str>)],
) -> anyhow::Result<()> {
    let products = table == "scope_products";
    for batch in rows.chunks(PER_TX) {
        let mut tx = svc.db.begin().await?;
        for chunk in batch.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = placeholders(i * 2 + 1, 2);
                    if products {
                        format!("({p}, 'PUBLISHED', 0)")
                    } else {
                        format!("({p}, 0)")
                    }
                })
                .collect();
            let sql = format!(
                "INSERT INTO {target} VALUES {} ON CONFLICT (id) DO UPDATE SET {set} \
                 WHERE {table}.changed_at <= 0",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (id, other) in chunk {
                query = query.bind(*id).bind(*other);
            }
            query.execute(tx.conn()).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// A demo coupon: (code, description, kind, percent, amount, minimum, usage limit).
type DemoCoupon = (
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const DEMO: [DemoCoupon; 4] = [
    (
        "WELCOME10",
        "10% off your order",
        "PERCENTAGE",
        Some(10),
        None,
        None,
        None,
    ),
    (
        "SAVE5",
        "USD 5.00 off orders of USD 25.00 or more",
        "FIXED_AMOUNT",
        None,
        Some(500),
        Some(2_500),
        None,
    ),
    (
        "FREESHIP",
        "Free shipping",
        "FREE_SHIPPING",
        None,
        None,
        None,
        None,
    ),
    (
        "SOLDOUT",
        "Used up: for trying the error",
        "PERCENTAGE",
        Some(50),
        None,
        None,
        Some(1),
    ),
];

/// Creates the demo coupons (`WELCOME10`, `SAVE5`, `FREESHIP`, `SOLDOUT` — whose one use is
/// recorded as redeemed, so it is exhausted for real) and, given a category id, a "10% off"
/// promotion on it. Existing codes and an existing promotion on that category are left alone.
pub async fn demo(svc: &Service, promoted_category: Option<&str>) -> anyhow::Result<()> {
    let now = now_millis();
    for (code, description, kind, percent, amount, minimum, limit) in DEMO {
        let id = new_id();
        let usd = |m: Option<i64>| m.map(|_| "USD");
        let exhausted = limit == Some(1);
        let mut tx = svc.db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO coupons (id, code, description, kind, percent_off, amount_off, \
               amount_currency, minimum_subtotal, minimum_currency, scope, scope_ids, usage_limit, \
               uses, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ALL', '[]', $10, $11, 1, $12, $12) \
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(&id)
        .bind(code)
        .bind(description)
        .bind(kind)
        .bind(percent)
        .bind(amount)
        .bind(usd(amount))
        .bind(minimum)
        .bind(usd(minimum))
        .bind(limit)
        .bind(exhausted as i64)
        .bind(now)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if inserted == 1 && exhausted {
            sqlx::query(
                "INSERT INTO coupon_uses (id, coupon_id, order_id, idempotency_key, status, \
                   discount, currency, free_shipping, created_at, updated_at) \
                 VALUES ($1, $2, $3, $3, 'REDEEMED', 0, 'USD', 0, $4, $4)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(format!("demo-{}", code.to_ascii_lowercase()))
            .bind(now)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
    }
    if let Some(category) = promoted_category {
        promote(svc, category, now)
            .await
            .map_err(AppError::into_anyhow)?;
    }
    Ok(())
}

async fn promote(svc: &Service, category: &str, now: i64) -> Result<(), AppError> {
    let scope_ids = serde_json::to_string(&[category]).map_err(AppError::internal)?;
    let mut tx = svc.db.begin().await?;
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT id FROM promotions WHERE scope = 'CATEGORIES' AND scope_ids = $1",
    )
    .bind(&scope_ids)
    .fetch_optional(tx.conn())
    .await?;
    if existing.is_none() {
        let name: Option<Option<String>> =
            sqlx::query_scalar("SELECT name FROM scope_categories WHERE id = $1")
                .bind(category)
                .fetch_optional(tx.conn())
                .await?;
        let title = match name.flatten() {
            Some(name) => format!("10% off {name}"),
            None => "10% off this category".to_string(),
        };
        sqlx::query(
            "INSERT INTO promotions (id, title, kind, percent_off, priority, combinable, scope, \
               scope_ids, active, created_at, updated_at) \
             VALUES ($1, $2, 'PERCENT_OFF', 10, 100, 1, 'CATEGORIES', $3, 1, $4, $4)",
        )
        .bind(new_id())
        .bind(title)
        .bind(&scope_ids)
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
