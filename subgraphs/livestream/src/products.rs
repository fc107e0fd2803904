//! `Product` (owned by catalog) extended with the streams that feature it, loaded for a whole
//! `_entities` batch in one query.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result, ID};
use kit::db::placeholders;
use kit::{AppError, Db};

use crate::stream::{Livestream, Row, COLUMNS};

/// Most streams listed per product (newest first).
const PER_PRODUCT: usize = 20;

/// A catalog product as livestream knows it: by id.
pub struct Product {
    pub id: ID,
}

#[Object]
impl Product {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Streams featuring the product (cancelled ones left out), newest first, at most 20.
    async fn livestreams(&self, ctx: &Context<'_>) -> Result<Vec<Livestream>> {
        Ok(ctx
            .data_unchecked::<DataLoader<StreamsByProduct>>()
            .load_one(self.id.to_string())
            .await?
            .unwrap_or_default())
    }
}

pub struct StreamsByProduct {
    pub db: Db,
}

impl Loader<String> for StreamsByProduct {
    type Value = Vec<Livestream>;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Vec<Livestream>>, AppError> {
        let columns = COLUMNS
            .split(',')
            .map(|c| format!("s.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, lp.product_id FROM livestream_products lp \
             JOIN livestreams s ON s.id = lp.stream_id \
             WHERE lp.product_id IN ({}) AND s.status <> 'CANCELLED' ORDER BY s.id DESC",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, WithProduct>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let mut out: HashMap<String, Vec<Livestream>> = HashMap::new();
        for r in query.fetch_all(self.db.pool()).await? {
            let list = out.entry(r.13.clone()).or_default();
            if list.len() < PER_PRODUCT {
                let row: Row = (
                    r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12,
                );
                list.push(Livestream::from_row(row));
            }
        }
        Ok(out)
    }
}

/// A stream row followed by the featured product's id.
type WithProduct = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    String,
);
