//! The `Coupon` entity: its stored row, its API shape, lookups by id and code (batched by
//! [`CouponsById`]) and the engine rule it becomes when applied to a cart.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Enum, Object, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::money::{Money, MoneyObject};
use kit::{AppError, Db};

use crate::engine::{Benefit, Rule, Source};
use crate::scope::{Scope, ScopeObject};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum CouponKind {
    /// `percentOff` percent off each in-scope line.
    Percentage,
    /// `amountOff` off the in-scope lines together (in the cart's currency only).
    FixedAmount,
    /// Free shipping; no amount.
    FreeShipping,
}

impl CouponKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponKind::Percentage => "PERCENTAGE",
            CouponKind::FixedAmount => "FIXED_AMOUNT",
            CouponKind::FreeShipping => "FREE_SHIPPING",
        }
    }

    fn parse(raw: &str) -> CouponKind {
        match raw {
            "PERCENTAGE" => CouponKind::Percentage,
            "FIXED_AMOUNT" => CouponKind::FixedAmount,
            _ => CouponKind::FreeShipping,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    pub id: String,
    pub code: String,
    pub description: String,
    pub kind: CouponKind,
    pub percent_off: Option<i64>,
    pub amount_off: Option<Money>,
    pub minimum: Option<Money>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub scope: Scope,
    pub usage_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    /// Held plus redeemed uses.
    pub uses: i64,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Columns in [`Row`] order, for `SELECT {COLUMNS} FROM coupons`.
pub const COLUMNS: &str = "id, code, description, kind, percent_off, amount_off, amount_currency, \
     minimum_subtotal, minimum_currency, starts_at, ends_at, scope, scope_ids, usage_limit, \
     per_customer_limit, uses, active, created_at, updated_at";

/// [`COLUMNS`] qualified with the `c.` alias, for joins.
pub fn columns_as_c() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    code: String,
    description: String,
    kind: String,
    percent_off: Option<i64>,
    amount_off: Option<i64>,
    amount_currency: Option<String>,
    minimum_subtotal: Option<i64>,
    minimum_currency: Option<String>,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    scope: String,
    scope_ids: String,
    usage_limit: Option<i64>,
    per_customer_limit: Option<i64>,
    uses: i64,
    active: i64,
    created_at: i64,
    updated_at: i64,
}

/// Stored money from an optional (minor units, currency) pair.
pub fn stored_money(minor: Option<i64>, currency: Option<&str>) -> Result<Option<Money>, AppError> {
    match (minor, currency) {
        (Some(minor), Some(code)) => Money::from_stored(minor, code).map(Some),
        _ => Ok(None),
    }
}

impl Coupon {
    pub fn from_row(r: Row) -> Result<Coupon, AppError> {
        Ok(Coupon {
            amount_off: stored_money(r.amount_off, r.amount_currency.as_deref())?,
            minimum: stored_money(r.minimum_subtotal, r.minimum_currency.as_deref())?,
            scope: Scope::from_stored(&r.scope, &r.scope_ids),
            kind: CouponKind::parse(&r.kind),
            id: r.id,
            code: r.code,
            description: r.description,
            percent_off: r.percent_off,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            usage_limit: r.usage_limit,
            per_customer_limit: r.per_customer_limit,
            uses: r.uses,
            active: r.active != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    /// The engine rule for this coupon (eligibility is checked separately).
    pub fn rule(&self) -> Rule {
        let benefit = match self.kind {
            CouponKind::Percentage => Benefit::Percent(self.percent_off.unwrap_or(0)),
            CouponKind::FixedAmount => match self.amount_off {
                Some(money) => Benefit::AmountOff(money),
                None => Benefit::Percent(0),
            },
            CouponKind::FreeShipping => Benefit::FreeShipping,
        };
        Rule {
            source: Source::Coupon {
                id: self.id.clone(),
                code: self.code.clone(),
            },
            title: self.title(),
            benefit,
            scope: self.scope.clone(),
            minimum: self.minimum,
            priority: 0,
            combinable: true,
        }
    }

    /// The description, or the code when there is none.
    pub fn title(&self) -> String {
        if self.description.is_empty() {
            self.code.clone()
        } else {
            self.description.clone()
        }
    }
}

#[Object]
impl Coupon {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    /// Upper case; customers may type it in any case.
    async fn code(&self) -> &str {
        &self.code
    }
    async fn description(&self) -> &str {
        &self.description
    }
    async fn kind(&self) -> CouponKind {
        self.kind
    }
    /// For `PERCENTAGE`: 1–100.
    async fn percent_off(&self) -> Option<i64> {
        self.percent_off
    }
    /// For `FIXED_AMOUNT`; applies only to carts in this currency.
    async fn amount_off(&self) -> Option<MoneyObject> {
        self.amount_off.map(Into::into)
    }
    /// The cart's subtotal before discounts must reach this.
    async fn minimum_subtotal(&self) -> Option<MoneyObject> {
        self.minimum.map(Into::into)
    }
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at.map(from_millis)
    }
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.ends_at.map(from_millis)
    }
    async fn scope(&self) -> ScopeObject {
        (&self.scope).into()
    }
    /// Total uses allowed (held plus redeemed); unlimited when null.
    async fn usage_limit(&self) -> Option<i64> {
        self.usage_limit
    }
    /// Uses allowed per customer; unlimited when null.
    async fn per_customer_limit(&self) -> Option<i64> {
        self.per_customer_limit
    }
    /// Uses held by placed orders plus uses redeemed by paid ones.
    async fn times_used(&self) -> i64 {
        self.uses
    }
    async fn active(&self) -> bool {
        self.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Coupon>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM coupons WHERE id = $1");
    let row = sqlx::query_as::<_, Row>(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(Coupon::from_row).transpose()
}

/// `code` must already be normalised (upper case).
pub async fn by_code(db: &Db, code: &str) -> Result<Option<Coupon>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM coupons WHERE code = $1");
    let row = sqlx::query_as::<_, Row>(&sql)
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    row.map(Coupon::from_row).transpose()
}

/// Coupons by id, one query per batch.
pub struct CouponsById {
    pub db: Db,
}

impl Loader<String> for CouponsById {
    type Value = Coupon;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Coupon>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM coupons WHERE id IN ({})",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        let mut out = HashMap::new();
        for row in query.fetch_all(self.db.pool()).await? {
            let coupon = Coupon::from_row(row)?;
            out.insert(coupon.id.clone(), coupon);
        }
        Ok(out)
    }
}
