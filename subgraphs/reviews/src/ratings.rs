//! A product's rating: the `product_ratings` row (count, sum and count per star of its
//! published reviews), changed by a signed delta in the same transaction as each review change
//! and never recomputed by scanning. The upsert adds the delta in one statement, so concurrent
//! changes to one product serialise on its row and the totals stay exact.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, SimpleObject};
use kit::db::placeholders;
use kit::{AppError, Db, Tx};
use serde_json::{json, Value};

/// Published-review totals of one product, or a change to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: i64,
    pub sum: i64,
    /// Reviews with 1..5 stars, at indices 0..4.
    pub stars: [i64; 5],
}

impl Tally {
    /// The contribution of one published review with `rating` stars.
    pub fn one(rating: i64) -> Tally {
        let mut stars = [0; 5];
        stars[(rating.clamp(1, 5) - 1) as usize] = 1;
        Tally {
            count: 1,
            sum: rating,
            stars,
        }
    }

    pub fn plus(self, other: Tally) -> Tally {
        let mut stars = self.stars;
        for (s, o) in stars.iter_mut().zip(other.stars) {
            *s += o;
        }
        Tally {
            count: self.count + other.count,
            sum: self.sum + other.sum,
            stars,
        }
    }

    pub fn negated(self) -> Tally {
        Tally {
            count: -self.count,
            sum: -self.sum,
            stars: self.stars.map(|s| -s),
        }
    }

    pub fn minus(self, other: Tally) -> Tally {
        self.plus(other.negated())
    }

    /// Mean stars rounded to two decimals; `None` without reviews.
    pub fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.sum as f64 / self.count as f64 * 100.0).round() / 100.0)
    }

    /// `{average, count}` as carried in `review.*` events.
    pub fn summary(&self) -> Value {
        json!({ "average": self.average(), "count": self.count })
    }
}

type Row = (String, i64, i64, i64, i64, i64, i64, i64);
const COLUMNS: &str =
    "product_id, review_count, rating_sum, stars_1, stars_2, stars_3, stars_4, stars_5";

fn from_row(r: &Row) -> Tally {
    Tally {
        count: r.1,
        sum: r.2,
        stars: [r.3, r.4, r.5, r.6, r.7],
    }
}

/// Adds `delta` to the product's totals (creating its row) and returns the new totals.
pub async fn apply(tx: &mut Tx, product_id: &str, delta: Tally) -> Result<Tally, AppError> {
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO product_ratings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (product_id) DO UPDATE SET \
           review_count = product_ratings.review_count + excluded.review_count, \
           rating_sum = product_ratings.rating_sum + excluded.rating_sum, \
           stars_1 = product_ratings.stars_1 + excluded.stars_1, \
           stars_2 = product_ratings.stars_2 + excluded.stars_2, \
           stars_3 = product_ratings.stars_3 + excluded.stars_3, \
           stars_4 = product_ratings.stars_4 + excluded.stars_4, \
           stars_5 = product_ratings.stars_5 + excluded.stars_5 \
         RETURNING {COLUMNS}"
    ))
    .bind(product_id)
    .bind(delta.count)
    .bind(delta.sum)
    .bind(delta.stars[0])
    .bind(delta.stars[1])
    .bind(delta.stars[2])
    .bind(delta.stars[3])
    .bind(delta.stars[4])
    .fetch_one(tx.conn())
    .await?;
    Ok(from_row(&row))
}

/// Current totals inside `tx` (zero when the product has never had a review).
pub async fn current(tx: &mut Tx, product_id: &str) -> Result<Tally, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM product_ratings WHERE product_id = $1"
    ))
    .bind(product_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.as_ref().map(from_row).unwrap_or_default())
}

/// `Product.rating`.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductRating {
    /// Mean stars, rounded to two decimals; null while there are no published reviews.
    pub average: Option<f64>,
    /// Published reviews.
    pub count: i64,
    /// How many published reviews gave each star count, 1 to 5.
    pub distribution: Vec<StarCount>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct StarCount {
    pub stars: i64,
    pub count: i64,
}

impl From<Tally> for ProductRating {
    fn from(t: Tally) -> Self {
        ProductRating {
            average: t.average(),
            count: t.count,
            distribution: (1..=5)
                .zip(t.stars)
                .map(|(stars, count)| StarCount { stars, count })
                .collect(),
        }
    }
}

/// Loads the totals of many products in one `IN (…)` query.
pub struct RatingsByProduct {
    pub db: Db,
}

impl Loader<String> for RatingsByProduct {
    type Value = Tally;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Tally>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM product_ratings WHERE product_id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(rows.iter().map(|r| (r.0.clone(), from_row(r))).collect())
    }
}

/// A product's totals through the batching loader (zero when it has none).
pub async fn load(ctx: &Context<'_>, product_id: &str) -> Result<Tally, AppError> {
    Ok(ctx
        .data_unchecked::<DataLoader<RatingsByProduct>>()
        .load_one(product_id.to_string())
        .await?
        .unwrap_or_default())
}
