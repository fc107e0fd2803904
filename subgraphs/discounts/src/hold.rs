//! `CouponHold`: one use of a coupon by one order (HELD, then REDEEMED or RELEASED), with the
//! discount the coupon gave that order's snapshot.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, Object, Result, ID};
use chrono::{DateTime, Utc};
use kit::ids::from_millis;
use kit::money::{Money, MoneyObject};
use kit::{AppError, Db};

use crate::coupon::{Coupon, CouponsById};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum HoldStatus {
    /// Counted against the limits; the order is not paid yet.
    Held,
    /// The order was paid.
    Redeemed,
    /// The order was cancelled; the use no longer counts.
    Released,
}

impl HoldStatus {
    fn parse(raw: &str) -> HoldStatus {
        match raw {
            "REDEEMED" => HoldStatus::Redeemed,
            "RELEASED" => HoldStatus::Released,
            _ => HoldStatus::Held,
        }
    }
}

#[derive(Debug, Clone)]
pub struct CouponHold {
    pub id: String,
    pub coupon_id: String,
    pub order_id: String,
    pub status: HoldStatus,
    pub discount: Money,
    pub free_shipping: bool,
    pub created_at: i64,
}

type Row = (String, String, String, String, i64, String, i64, i64);

const COLUMNS: &str =
    "id, coupon_id, order_id, status, discount, currency, free_shipping, created_at";

impl CouponHold {
    fn from_row(r: Row) -> Result<CouponHold, AppError> {
        Ok(CouponHold {
            id: r.0,
            coupon_id: r.1,
            order_id: r.2,
            status: HoldStatus::parse(&r.3),
            discount: Money::from_stored(r.4, &r.5)?,
            free_shipping: r.6 != 0,
            created_at: r.7,
        })
    }
}

async fn one(db: &Db, column: &str, value: &str) -> Result<Option<CouponHold>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM coupon_uses WHERE {column} = $1");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(value)
        .fetch_optional(db.pool())
        .await?;
    row.map(CouponHold::from_row).transpose()
}

pub async fn by_key(db: &Db, key: &str) -> Result<Option<CouponHold>, AppError> {
    one(db, "idempotency_key", key).await
}

pub async fn by_order(db: &Db, order_id: &str) -> Result<Option<CouponHold>, AppError> {
    one(db, "order_id", order_id).await
}

#[Object]
impl CouponHold {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    async fn coupon(&self, ctx: &Context<'_>) -> Result<Option<Coupon>> {
        Ok(ctx
            .data_unchecked::<DataLoader<CouponsById>>()
            .load_one(self.coupon_id.clone())
            .await?)
    }
    async fn order_id(&self) -> ID {
        ID(self.order_id.clone())
    }
    async fn status(&self) -> HoldStatus {
        self.status
    }
    /// What the coupon took off the order's snapshot (after promotions); zero for free
    /// shipping.
    async fn discount(&self) -> MoneyObject {
        self.discount.into()
    }
    async fn free_shipping(&self) -> bool {
        self.free_shipping
    }
    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }
}
