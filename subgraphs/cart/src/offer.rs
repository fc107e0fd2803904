//! What the local read models say about variants being put in a cart: product, current price,
//! whether the product is published and how many units are available. Fed by catalog and
//! inventory events (see `catalog_feed` and `stock_feed`); read inside the cart's write
//! transaction.

use std::collections::HashMap;

use kit::db::placeholders;
use kit::{AppError, Tx};

#[derive(Debug, Clone)]
pub struct Offer {
    pub product_id: String,
    pub price_minor: i64,
    pub currency: String,
    /// Only variants of published products can be added.
    pub published: bool,
    /// Units available to buy; 0 when inventory never reported the variant.
    pub available: i64,
}

type Row = (String, String, i64, String, Option<String>, Option<i64>);

/// The offers for `variant_ids` that catalog has announced, by variant id.
pub async fn find(tx: &mut Tx, variant_ids: &[&str]) -> Result<HashMap<String, Offer>, AppError> {
    if variant_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT v.variant_id, v.product_id, v.price_minor, v.currency, p.status, s.available \
         FROM variants v LEFT JOIN products p ON p.id = v.product_id \
         LEFT JOIN stock s ON s.variant_id = v.variant_id WHERE v.variant_id IN ({})",
        placeholders(1, variant_ids.len())
    );
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for id in variant_ids {
        query = query.bind(*id);
    }
    Ok(query
        .fetch_all(tx.conn())
        .await?
        .into_iter()
        .map(
            |(id, product_id, price_minor, currency, status, available)| {
                let offer = Offer {
                    product_id,
                    price_minor,
                    currency,
                    published: status.as_deref() == Some("PUBLISHED"),
                    available: available.unwrap_or(0).max(0),
                };
                (id, offer)
            },
        )
        .collect())
}

/// The offer for one variant, or `NOT_FOUND` naming `field`.
pub async fn find_one(tx: &mut Tx, variant_id: &str, field: &str) -> Result<Offer, AppError> {
    find(tx, &[variant_id])
        .await?
        .remove(variant_id)
        .ok_or_else(|| AppError::not_found(format!("{field}: no variant {variant_id}")))
}

/// `CONFLICT` saying how many units can be had.
pub fn not_enough(available: i64, in_cart: i64) -> AppError {
    let already = if in_cart > 0 {
        format!(" ({in_cart} already in the cart)")
    } else {
        String::new()
    };
    AppError::conflict(format!("only {available} available{already}"))
}
