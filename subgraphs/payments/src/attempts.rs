//! `payment_attempts`: every attempt to move a payment — authorize, confirm, capture, void,
//! and the provider events (webhooks, transfers) that moved it — with provider, provider
//! reference, outcome, decline code and time. An attempt that asks a provider is written
//! PENDING before the call and finished after it, so a crash leaves a trace.

use std::time::Duration;

use async_graphql::{Object, ID};
use chrono::{DateTime, Utc};
use kit::ids::{from_millis, new_id, now_millis};
use kit::{AppError, Db, Tx};

pub const PENDING: &str = "PENDING";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentAttempt {
    id: String,
    kind: String,
    provider: String,
    provider_reference: Option<String>,
    outcome: String,
    decline_code: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str =
    "id, kind, provider, provider_reference, outcome, decline_code, created_at, updated_at";

/// A new attempt's facts.
pub struct NewAttempt<'a> {
    pub payment_id: &'a str,
    /// AUTHORIZE, CONFIRM, CAPTURE, VOID, WEBHOOK or TRANSFER.
    pub kind: &'a str,
    pub provider: &'a str,
    pub provider_reference: Option<&'a str>,
    pub outcome: &'a str,
    pub decline_code: Option<&'a str>,
    pub amount: Option<i64>,
    pub idempotency_key: Option<&'a str>,
}

/// Inserts an attempt; returns its id. A repeated `(payment, idempotency key)` fails with a
/// unique violation, which callers treat as "the first request answers".
pub async fn insert(tx: &mut Tx, attempt: &NewAttempt<'_>) -> Result<String, sqlx::Error> {
    let id = new_id();
    let now = now_millis();
    sqlx::query(
        "INSERT INTO payment_attempts (id, payment_id, kind, provider, provider_reference, \
           outcome, decline_code, amount, idempotency_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(attempt.payment_id)
    .bind(attempt.kind)
    .bind(attempt.provider)
    .bind(attempt.provider_reference)
    .bind(attempt.outcome)
    .bind(attempt.decline_code)
    .bind(attempt.amount)
    .bind(attempt.idempotency_key)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Records a PENDING attempt's result.
pub async fn finish(
    tx: &mut Tx,
    id: &str,
    outcome: &str,
    provider_reference: Option<&str>,
    decline_code: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE payment_attempts SET outcome = $1, \
           provider_reference = COALESCE($2, provider_reference), decline_code = $3, \
           updated_at = $4 WHERE id = $5",
    )
    .bind(outcome)
    .bind(provider_reference)
    .bind(decline_code)
    .bind(now_millis())
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn for_payment(db: &Db, payment_id: &str) -> Result<Vec<PaymentAttempt>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payment_attempts WHERE payment_id = $1 ORDER BY created_at, id"
    );
    Ok(sqlx::query_as(&sql)
        .bind(payment_id)
        .fetch_all(db.pool())
        .await?)
}

/// The outcome of the attempt a `(payment, idempotency key)` made, if any.
pub async fn outcome_by_key(
    db: &Db,
    payment_id: &str,
    key: &str,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT outcome FROM payment_attempts WHERE payment_id = $1 AND idempotency_key = $2",
    )
    .bind(payment_id)
    .bind(key)
    .fetch_optional(db.pool())
    .await?)
}

/// Waits (up to `patience`) for the attempt of `(payment, key)` to leave PENDING: a request
/// repeating a key in flight answers with the first request's result.
pub async fn await_settled(
    db: &Db,
    payment_id: &str,
    key: &str,
    patience: Duration,
) -> Result<(), AppError> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match outcome_by_key(db, payment_id, key).await?.as_deref() {
            Some(PENDING) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Some(PENDING) => {
                return Err(AppError::conflict(
                    "a payment attempt with this idempotencyKey is still in progress",
                ))
            }
            _ => return Ok(()),
        }
    }
}

#[Object]
impl PaymentAttempt {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    /// AUTHORIZE, CONFIRM, CAPTURE, VOID, WEBHOOK or TRANSFER.
    async fn kind(&self) -> &str {
        &self.kind
    }
    async fn provider(&self) -> &str {
        &self.provider
    }
    async fn provider_reference(&self) -> Option<&str> {
        self.provider_reference.as_deref()
    }
    /// PENDING, CAPTURED, AUTHORIZED, REQUIRES_ACTION, DECLINED, VOIDED, ERROR, PARTIAL,
    /// OVERPAID, MISMATCH, ...
    async fn outcome(&self) -> &str {
        &self.outcome
    }
    async fn decline_code(&self) -> Option<&str> {
        self.decline_code.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}
