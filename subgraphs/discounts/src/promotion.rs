//! The `Promotion` entity (automatic discounts, no code): its stored row, its API shape, the
//! lookups and the engine rule it becomes. See `engine` for how promotions stack.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Enum, Object, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::money::{Money, MoneyObject};
use kit::{AppError, Db};

use crate::coupon::stored_money;
use crate::engine::{Benefit, Rule, Source};
use crate::scope::{Scope, ScopeObject};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum PromotionKind {
    /// `percentOff` percent off each in-scope line.
    PercentOff,
    /// Spend `minimumSubtotal`, get `amountOff` off the in-scope lines.
    OrderAmountOff,
    /// Per in-scope line: buy `buyQuantity`, get `getQuantity` more free.
    BuyXGetY,
}

impl PromotionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PromotionKind::PercentOff => "PERCENT_OFF",
            PromotionKind::OrderAmountOff => "ORDER_AMOUNT_OFF",
            PromotionKind::BuyXGetY => "BUY_X_GET_Y",
        }
    }

    fn parse(raw: &str) -> PromotionKind {
        match raw {
            "PERCENT_OFF" => PromotionKind::PercentOff,
            "ORDER_AMOUNT_OFF" => PromotionKind::OrderAmountOff,
            _ => PromotionKind::BuyXGetY,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub id: String,
    pub title: String,
    pub kind: PromotionKind,
    pub percent_off: Option<i64>,
    pub amount_off: Option<Money>,
    pub minimum: Option<Money>,
    pub buy_quantity: Option<i64>,
    pub get_quantity: Option<i64>,
    pub priority: i64,
    pub combinable: bool,
    pub scope: Scope,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const COLUMNS: &str = "id, title, kind, percent_off, amount_off, amount_currency, \
     minimum_subtotal, minimum_currency, buy_quantity, get_quantity, priority, combinable, \
     scope, scope_ids, starts_at, ends_at, active, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    title: String,
    kind: String,
    percent_off: Option<i64>,
    amount_off: Option<i64>,
    amount_currency: Option<String>,
    minimum_subtotal: Option<i64>,
    minimum_currency: Option<String>,
    buy_quantity: Option<i64>,
    get_quantity: Option<i64>,
    priority: i64,
    combinable: i64,
    scope: String,
    scope_ids: String,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    active: i64,
    created_at: i64,
    updated_at: i64,
}

impl Promotion {
    pub fn from_row(r: Row) -> Result<Promotion, AppError> {
        Ok(Promotion {
            amount_off: stored_money(r.amount_off, r.amount_currency.as_deref())?,
            minimum: stored_money(r.minimum_subtotal, r.minimum_currency.as_deref())?,
            scope: Scope::from_stored(&r.scope, &r.scope_ids),
            kind: PromotionKind::parse(&r.kind),
            id: r.id,
            title: r.title,
            percent_off: r.percent_off,
            buy_quantity: r.buy_quantity,
            get_quantity: r.get_quantity,
            priority: r.priority,
            combinable: r.combinable != 0,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            active: r.active != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    pub fn rule(&self) -> Rule {
        let benefit = match self.kind {
            PromotionKind::PercentOff => Benefit::Percent(self.percent_off.unwrap_or(0)),
            PromotionKind::OrderAmountOff => match self.amount_off {
                Some(money) => Benefit::AmountOff(money),
                None => Benefit::Percent(0),
            },
            PromotionKind::BuyXGetY => Benefit::BuyGet {
                buy: self.buy_quantity.unwrap_or(1),
                get: self.get_quantity.unwrap_or(0),
            },
        };
        Rule {
            source: Source::Promotion {
                id: self.id.clone(),
            },
            title: self.title.clone(),
            benefit,
            scope: self.scope.clone(),
            minimum: self.minimum,
            priority: self.priority,
            combinable: self.combinable,
        }
    }
}

#[Object]
impl Promotion {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    async fn title(&self) -> &str {
        &self.title
    }
    async fn kind(&self) -> PromotionKind {
        self.kind
    }
    /// For `PERCENT_OFF`: 1–100.
    async fn percent_off(&self) -> Option<i64> {
        self.percent_off
    }
    /// For `ORDER_AMOUNT_OFF`; applies only to carts in this currency.
    async fn amount_off(&self) -> Option<MoneyObject> {
        self.amount_off.map(Into::into)
    }
    /// The cart's subtotal before discounts must reach this.
    async fn minimum_subtotal(&self) -> Option<MoneyObject> {
        self.minimum.map(Into::into)
    }
    /// For `BUY_X_GET_Y`: units to buy per free batch.
    async fn buy_quantity(&self) -> Option<i64> {
        self.buy_quantity
    }
    /// For `BUY_X_GET_Y`: free units per batch.
    async fn get_quantity(&self) -> Option<i64> {
        self.get_quantity
    }
    /// Promotions apply in priority order, lower first, each to what earlier ones left.
    async fn priority(&self) -> i64 {
        self.priority
    }
    /// A non-combinable promotion applies only if no promotion applied before it, and then
    /// no later promotion applies. A coupon may still apply after it.
    async fn combinable(&self) -> bool {
        self.combinable
    }
    async fn scope(&self) -> ScopeObject {
        (&self.scope).into()
    }
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at.map(from_millis)
    }
    async fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.ends_at.map(from_millis)
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

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Promotion>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM promotions WHERE id = $1");
    let row = sqlx::query_as::<_, Row>(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(Promotion::from_row).transpose()
}

/// Promotions running at `now` (active, started, not ended), in one query.
pub async fn running(db: &Db, now: i64) -> Result<Vec<Promotion>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM promotions WHERE active = 1 \
         AND (starts_at IS NULL OR starts_at <= $1) AND (ends_at IS NULL OR ends_at > $1) \
         ORDER BY priority, id"
    );
    sqlx::query_as::<_, Row>(&sql)
        .bind(now)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(Promotion::from_row)
        .collect()
}

/// Promotions by id, one query per batch.
pub struct PromotionsById {
    pub db: Db,
}

impl Loader<String> for PromotionsById {
    type Value = Promotion;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Promotion>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM promotions WHERE id IN ({})",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        let mut out = HashMap::new();
        for row in query.fetch_all(self.db.pool()).await? {
            let p = Promotion::from_row(row)?;
            out.insert(p.id.clone(), p);
        }
        Ok(out)
    }
}
