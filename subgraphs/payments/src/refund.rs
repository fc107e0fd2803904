//! `Refund`: money given back from a captured payment — PENDING while the provider is asked
//! (already counted against what may be refunded), then SUCCEEDED, MANUAL (staff pays a bank
//! transfer back by hand) or FAILED.

use async_graphql::{Enum, Object, ID};
use chrono::{DateTime, Utc};
use kit::ids::from_millis;
use kit::money::{Money, MoneyObject};
use kit::{AppError, Db, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RefundStatus {
    Pending,
    Succeeded,
    /// Owed to the payer and paid out by staff (bank transfers cannot be refunded by API).
    Manual,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "PENDING",
            RefundStatus::Succeeded => "SUCCEEDED",
            RefundStatus::Manual => "MANUAL",
            RefundStatus::Failed => "FAILED",
        }
    }

    fn parse(raw: &str) -> RefundStatus {
        match raw {
            "SUCCEEDED" => RefundStatus::Succeeded,
            "MANUAL" => RefundStatus::Manual,
            "FAILED" => RefundStatus::Failed,
            _ => RefundStatus::Pending,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub amount: Money,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub provider_reference: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

type Row = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

const COLUMNS: &str =
    "id, payment_id, amount, currency, status, reason, provider_reference, created_at, updated_at";

impl Refund {
    fn from_row(r: Row) -> Result<Refund, AppError> {
        Ok(Refund {
            id: r.0,
            payment_id: r.1,
            amount: Money::from_stored(r.2, &r.3)?,
            status: RefundStatus::parse(&r.4),
            reason: r.5,
            provider_reference: r.6,
            created_at: r.7,
            updated_at: r.8,
        })
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Refund>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM refunds WHERE id = $1");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(Refund::from_row).transpose()
}

pub async fn by_key(db: &Db, payment_id: &str, key: &str) -> Result<Option<Refund>, AppError> {
    let sql =
        format!("SELECT {COLUMNS} FROM refunds WHERE payment_id = $1 AND idempotency_key = $2");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(payment_id)
        .bind(key)
        .fetch_optional(db.pool())
        .await?;
    row.map(Refund::from_row).transpose()
}

/// Whether the payment already has a refund the provider knows as `provider_reference`.
pub async fn known_in(
    tx: &mut Tx,
    payment_id: &str,
    provider_reference: &str,
) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM refunds WHERE payment_id = $1 AND provider_reference = $2",
    )
    .bind(payment_id)
    .bind(provider_reference)
    .fetch_one(tx.conn())
    .await?;
    Ok(n > 0)
}

pub async fn for_payment(db: &Db, payment_id: &str) -> Result<Vec<Refund>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY id");
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(payment_id)
        .fetch_all(db.pool())
        .await?;
    rows.into_iter().map(Refund::from_row).collect()
}

#[Object]
impl Refund {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    async fn payment_id(&self) -> ID {
        ID(self.payment_id.clone())
    }
    async fn amount(&self) -> MoneyObject {
        self.amount.into()
    }
    async fn status(&self) -> RefundStatus {
        self.status
    }
    async fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    async fn provider_reference(&self) -> Option<&str> {
        self.provider_reference.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}
