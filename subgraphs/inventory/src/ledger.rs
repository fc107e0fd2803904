//! Staff stock adjustments and their ledger: every change to on-hand stock by hand is recorded
//! with who made it, when, why and by how much. An adjustment can never take on-hand stock
//! below zero or below what is reserved.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::ids::{from_millis, new_id, now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::AppError;
use serde_json::json;

use crate::events::{emit_change, Touched};
use crate::settings::Settings;
use crate::stock::{level_in, StockLevel};
use crate::warehouses;

const MAX_DELTA: i64 = 1_000_000_000;
const MAX_REASON: usize = 500;
const COLUMNS: &str =
    "id, variant_id, warehouse_id, delta, on_hand_after, reason, actor_id, created_at";
type Row = (String, String, String, i64, i64, String, String, i64);

/// One ledger entry.
#[derive(Debug, Clone, SimpleObject)]
pub struct StockAdjustment {
    pub id: ID,
    pub variant_id: ID,
    pub warehouse_id: ID,
    pub delta: i64,
    pub on_hand_after: i64,
    pub reason: String,
    /// The staff member who made it.
    pub actor_id: ID,
    pub created_at: DateTime<Utc>,
}

impl StockAdjustment {
    fn from_row(row: Row) -> StockAdjustment {
        let (id, variant_id, warehouse_id, delta, on_hand_after, reason, actor_id, created_at) =
            row;
        StockAdjustment {
            id: ID(id),
            variant_id: ID(variant_id),
            warehouse_id: ID(warehouse_id),
            delta,
            on_hand_after,
            reason,
            actor_id: ID(actor_id),
            created_at: from_millis(created_at),
        }
    }
}

#[derive(SimpleObject)]
pub struct AdjustStockPayload {
    pub adjustment: StockAdjustment,
    pub level: StockLevel,
}

#[derive(Default)]
pub struct LedgerQuery;

#[Object]
impl LedgerQuery {
    /// The adjustments of a variant's stock, oldest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn stock_adjustments(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, StockAdjustment, Total>> {
        require_role(ctx, Role::Staff)?;
        let variant_id = parse_id("variantId", &variant_id)?;
        let window = Window::parse(first, after, last, before)?;
        let db = &service(ctx).db;
        let (op, order) = if window.backward {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        // Without a cursor, compare with the empty string: every id sorts after it.
        let from = window.cursor.clone().unwrap_or_default();
        let op = if window.cursor.is_none() && window.backward {
            ">"
        } else {
            op
        };
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM stock_adjustments WHERE variant_id = $1 AND id {op} $2 \
             ORDER BY id {order} LIMIT $3"
        ))
        .bind(&variant_id)
        .bind(&from)
        .bind(window.fetch())
        .fetch_all(db.pool())
        .await
        .map_err(AppError::from)?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM stock_adjustments WHERE variant_id = $1")
                .bind(&variant_id)
                .fetch_one(db.pool())
                .await
                .map_err(AppError::from)?;
        let list = rows.into_iter().map(StockAdjustment::from_row).collect();
        Ok(window.connection(list, |a: &StockAdjustment| a.id.to_string(), total))
    }
}

#[derive(Default)]
pub struct LedgerMutation;

#[Object]
impl LedgerMutation {
    /// Adds `delta` (negative to remove) to a variant's on-hand stock in a warehouse, recording
    /// the reason in the ledger. The first positive adjustment creates the stock level. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
        warehouse_id: ID,
        delta: i64,
        reason: String,
    ) -> Result<AdjustStockPayload> {
        let actor = require_role(ctx, Role::Staff)?.user_id.clone();
        let variant_id = parse_id("variantId", &variant_id)?;
        let warehouse_id = parse_id("warehouseId", &warehouse_id)?;
        if delta == 0 || delta.abs() > MAX_DELTA {
            return Err(AppError::bad_input(
                "delta",
                format!("must be non-zero and between -{MAX_DELTA} and {MAX_DELTA}"),
            )
            .into());
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > MAX_REASON {
            return Err(AppError::bad_input(
                "reason",
                format!("must be 1 to {MAX_REASON} characters"),
            )
            .into());
        }
        let svc = service(ctx);
        let threshold = ctx.data_unchecked::<Settings>().low_stock_threshold;
        let now = now_millis();
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        if !warehouses::exists(&mut tx, &warehouse_id).await? {
            return Err(AppError::not_found("warehouseId: no such warehouse").into());
        }
        let changed = if delta > 0 {
            sqlx::query(
                "INSERT INTO stock_levels \
                   (variant_id, warehouse_id, on_hand, reserved, low_threshold, updated_at) \
                 VALUES ($1, $2, $3, 0, $4, $5) \
                 ON CONFLICT (variant_id, warehouse_id) DO UPDATE \
                   SET on_hand = stock_levels.on_hand + excluded.on_hand, \
                       updated_at = excluded.updated_at",
            )
            .bind(&variant_id)
            .bind(&warehouse_id)
            .bind(delta)
            .bind(threshold)
            .bind(now)
        } else {
            sqlx::query(
                "UPDATE stock_levels SET on_hand = on_hand + $1, updated_at = $2 \
                 WHERE variant_id = $3 AND warehouse_id = $4 \
                   AND on_hand + $1 >= reserved AND on_hand + $1 >= 0",
            )
            .bind(delta)
            .bind(now)
            .bind(&variant_id)
            .bind(&warehouse_id)
        }
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?
        .rows_affected();
        let level = level_in(&mut tx, &variant_id, &warehouse_id).await?;
        let level = match (changed, level) {
            (1, Some(level)) => level,
            (_, level) => return Err(refusal(delta, level).into()),
        };
        let adjustment = StockAdjustment {
            id: ID(new_id()),
            variant_id: level.variant_id.clone(),
            warehouse_id: level.warehouse_id.clone(),
            delta,
            on_hand_after: level.on_hand,
            reason,
            actor_id: ID(actor),
            created_at: from_millis(now),
        };
        sqlx::query(&format!(
            "INSERT INTO stock_adjustments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(adjustment.id.as_str())
        .bind(&variant_id)
        .bind(&warehouse_id)
        .bind(delta)
        .bind(level.on_hand)
        .bind(&adjustment.reason)
        .bind(adjustment.actor_id.as_str())
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?;
        let data = json!({
            "adjustmentId": adjustment.id.as_str(),
            "variantId": variant_id,
            "warehouseId": warehouse_id,
            "delta": delta,
            "onHand": level.on_hand,
            "reason": adjustment.reason,
            "actorId": adjustment.actor_id.as_str(),
        });
        let touched = [Touched {
            variant_id: variant_id.clone(),
            warehouse_id: warehouse_id.clone(),
            available_before: level.available - delta,
        }];
        emit_change(
            svc,
            &mut tx,
            "inventory.adjusted",
            Some(variant_id.clone()),
            data,
            &touched,
        )
        .await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(AdjustStockPayload { adjustment, level })
    }
}

/// Why a removal was refused, naming the field.
fn refusal(delta: i64, level: Option<StockLevel>) -> AppError {
    let (on_hand, reserved) = level.map(|l| (l.on_hand, l.reserved)).unwrap_or((0, 0));
    let after = on_hand + delta;
    if after < 0 {
        AppError::bad_input(
            "delta",
            format!("would take onHand to {after}, below 0 (onHand is {on_hand})"),
        )
    } else {
        AppError::bad_input(
            "delta",
            format!("would take onHand to {after}, below the {reserved} units reserved"),
        )
    }
}
