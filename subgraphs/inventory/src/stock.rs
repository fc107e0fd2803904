//! Stock levels: quantities per variant per warehouse (on hand, reserved, available), the
//! public per-variant summary `Stock`, the loaders that fetch either for a batch of variants in
//! one query (warehouse included), and the staff setting of a level's low-stock threshold.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::ids::{from_millis, now_millis, parse_id};
use kit::schema::service;
use kit::{AppError, Db};

use crate::warehouses::Warehouse;
use kit::db::placeholders as params;

/// Public stock of a variant, summed over warehouses.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct Stock {
    /// Units that can still be bought (on hand minus reserved).
    pub available: i64,
    pub in_stock: bool,
}

impl Stock {
    pub fn of(available: i64) -> Stock {
        Stock {
            available,
            in_stock: available > 0,
        }
    }
}

/// Levels with their warehouse joined in, so per-warehouse detail is one query per batch.
const LEVEL_SELECT: &str = "SELECT s.variant_id, s.warehouse_id, s.on_hand, s.reserved, \
     s.low_threshold, s.updated_at, w.code, w.name, w.created_at \
     FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id";
type LevelRow = (String, String, i64, i64, i64, i64, String, String, i64);

/// A variant's stock in one warehouse.
#[derive(Debug, Clone, SimpleObject)]
pub struct StockLevel {
    pub variant_id: ID,
    pub warehouse_id: ID,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// `inventory.low` fires when `available` drops below this.
    pub low_stock_threshold: i64,
    pub updated_at: DateTime<Utc>,
    pub warehouse: Warehouse,
}

impl StockLevel {
    fn from_row(row: LevelRow) -> StockLevel {
        let (variant_id, warehouse_id, on_hand, reserved, low, updated_at, code, name, created) =
            row;
        StockLevel {
            variant_id: ID(variant_id),
            warehouse: Warehouse {
                id: ID(warehouse_id.clone()),
                code,
                name,
                created_at: from_millis(created),
            },
            warehouse_id: ID(warehouse_id),
            on_hand,
            reserved,
            available: on_hand - reserved,
            low_stock_threshold: low,
            updated_at: from_millis(updated_at),
        }
    }
}

/// Public stock per variant: one grouped query per batch.
pub struct StockByVariant {
    pub db: Db,
}

impl Loader<String> for StockByVariant {
    type Value = Stock;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Stock>, AppError> {
        let sql = format!(
            "SELECT variant_id, CAST(SUM(on_hand - reserved) AS BIGINT) FROM stock_levels \
             WHERE variant_id IN ({}) GROUP BY variant_id",
            params(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|(id, available)| (id, Stock::of(available)))
            .collect())
    }
}

/// Per-warehouse levels per variant: one query per batch.
pub struct LevelsByVariant {
    pub db: Db,
}

impl Loader<String> for LevelsByVariant {
    type Value = Vec<StockLevel>;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Vec<StockLevel>>, AppError> {
        let sql = format!(
            "{LEVEL_SELECT} WHERE s.variant_id IN ({}) ORDER BY s.variant_id, s.warehouse_id",
            params(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, LevelRow>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let mut out: HashMap<String, Vec<StockLevel>> = HashMap::new();
        for row in query.fetch_all(self.db.pool()).await? {
            out.entry(row.0.clone())
                .or_default()
                .push(StockLevel::from_row(row));
        }
        Ok(out)
    }
}

pub async fn stock(ctx: &Context<'_>, variant_id: &str) -> Result<Stock, AppError> {
    Ok(ctx
        .data_unchecked::<DataLoader<StockByVariant>>()
        .load_one(variant_id.to_string())
        .await?
        .unwrap_or(Stock::of(0)))
}

pub async fn levels(ctx: &Context<'_>, variant_id: &str) -> Result<Vec<StockLevel>, AppError> {
    Ok(ctx
        .data_unchecked::<DataLoader<LevelsByVariant>>()
        .load_one(variant_id.to_string())
        .await?
        .unwrap_or_default())
}

/// One level, read inside a transaction.
pub async fn level_in(
    tx: &mut kit::Tx,
    variant_id: &str,
    warehouse_id: &str,
) -> Result<Option<StockLevel>, AppError> {
    let row: Option<LevelRow> = sqlx::query_as(&format!(
        "{LEVEL_SELECT} WHERE s.variant_id = $1 AND s.warehouse_id = $2"
    ))
    .bind(variant_id)
    .bind(warehouse_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(StockLevel::from_row))
}

#[derive(Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    /// Sets the level below which `inventory.low` fires for a variant in a warehouse. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn set_low_stock_threshold(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
        warehouse_id: ID,
        threshold: i64,
    ) -> Result<StockLevel> {
        require_role(ctx, Role::Staff)?;
        let variant_id = parse_id("variantId", &variant_id)?;
        let warehouse_id = parse_id("warehouseId", &warehouse_id)?;
        if !(0..=1_000_000_000).contains(&threshold) {
            return Err(
                AppError::bad_input("threshold", "must be between 0 and 1000000000").into(),
            );
        }
        let db = &service(ctx).db;
        let mut tx = db.begin().await.map_err(AppError::from)?;
        let updated = sqlx::query(
            "UPDATE stock_levels SET low_threshold = $1, updated_at = $2 \
             WHERE variant_id = $3 AND warehouse_id = $4",
        )
        .bind(threshold)
        .bind(now_millis())
        .bind(&variant_id)
        .bind(&warehouse_id)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?
        .rows_affected();
        if updated == 0 {
            return Err(
                AppError::not_found("no stock level for this variant in this warehouse").into(),
            );
        }
        let level = level_in(&mut tx, &variant_id, &warehouse_id)
            .await?
            .ok_or_else(|| AppError::not_found("stock level"))?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(level)
    }
}
