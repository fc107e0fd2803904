//! The `WebhookDelivery` entity (one event for one endpoint, with the exact body sent) and its
//! `WebhookAttempt`s. Attempts and endpoints are loaded in batches.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::{AppError, Db};

use crate::endpoint::{Endpoint, EndpointsById};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "WebhookDeliveryStatus")]
pub enum Status {
    /// Waiting for its next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Every attempt of the retry schedule failed.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
        }
    }

    fn parse(raw: &str) -> Result<Status, AppError> {
        match raw {
            "PENDING" => Ok(Status::Pending),
            "SUCCEEDED" => Ok(Status::Succeeded),
            "FAILED" => Ok(Status::Failed),
            other => Err(AppError::internal(anyhow::anyhow!(
                "unknown delivery status {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: Status,
    pub attempt_count: i64,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_response_status: Option<i64>,
    pub created_at: i64,
}

/// Columns in [`Row`] order.
pub const COLUMNS: &str = "id, endpoint_id, event_id, event_type, payload, status, \
    attempt_count, next_attempt_at, last_attempt_at, last_response_status, created_at";

#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    payload: String,
    status: String,
    attempt_count: i64,
    next_attempt_at: Option<i64>,
    last_attempt_at: Option<i64>,
    last_response_status: Option<i64>,
    created_at: i64,
}

impl Delivery {
    pub fn from_row(r: Row) -> Result<Delivery, AppError> {
        Ok(Delivery {
            status: Status::parse(&r.status)?,
            id: r.id,
            endpoint_id: r.endpoint_id,
            event_id: r.event_id,
            event_type: r.event_type,
            payload: r.payload,
            attempt_count: r.attempt_count,
            next_attempt_at: r.next_attempt_at,
            last_attempt_at: r.last_attempt_at,
            last_response_status: r.last_response_status,
            created_at: r.created_at,
        })
    }
}

#[Object(name = "WebhookDelivery")]
impl Delivery {
    /// Also the `webhook-id` header of every attempt: receivers deduplicate on it.
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn endpoint_id(&self) -> ID {
        ID(self.endpoint_id.clone())
    }

    async fn endpoint(&self, ctx: &Context<'_>) -> Result<Option<Endpoint>> {
        Ok(ctx
            .data_unchecked::<DataLoader<EndpointsById>>()
            .load_one(self.endpoint_id.clone())
            .await?)
    }

    async fn event_id(&self) -> ID {
        ID(self.event_id.clone())
    }

    async fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The body sent: the CloudEvent as JSON.
    async fn payload(&self) -> &str {
        &self.payload
    }

    async fn status(&self) -> Status {
        self.status
    }

    async fn attempt_count(&self) -> i64 {
        self.attempt_count
    }

    /// When the next attempt is due (PENDING only).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            Status::Pending => self.next_attempt_at.map(from_millis),
            _ => None,
        }
    }

    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.last_attempt_at.map(from_millis)
    }

    async fn last_response_status(&self) -> Option<i64> {
        self.last_response_status
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }

    /// Every attempt, oldest first.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<Attempt>> {
        Ok(ctx
            .data_unchecked::<DataLoader<AttemptsByDelivery>>()
            .load_one(self.id.clone())
            .await?
            .unwrap_or_default())
    }
}

/// One HTTP attempt of a delivery.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "WebhookAttempt")]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    /// The response status; null when no response came (refused target, timeout, connection
    /// error).
    pub response_status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the response body (at most `RESPONSE_BODY_MAX_BYTES`).
    pub response_body: Option<String>,
    /// Whether the body was longer than what was kept.
    pub response_body_truncated: bool,
}

/// Attempts of deliveries, one query per batch.
pub struct AttemptsByDelivery {
    pub db: Db,
}

type AttemptRow = (
    String,
    i64,
    Option<i64>,
    i64,
    Option<String>,
    Option<String>,
    i64,
);

impl Loader<String> for AttemptsByDelivery {
    type Value = Vec<Attempt>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<Attempt>>, AppError> {
        let sql = format!(
            "SELECT delivery_id, attempted_at, response_status, duration_ms, error, \
               response_body, response_truncated FROM webhook_attempts \
             WHERE delivery_id IN ({}) ORDER BY id",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, AttemptRow>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        let mut out: HashMap<String, Vec<Attempt>> = HashMap::new();
        for (delivery, at, status, ms, error, body, truncated) in
            query.fetch_all(self.db.pool()).await?
        {
            out.entry(delivery).or_default().push(Attempt {
                attempted_at: from_millis(at),
                response_status: status,
                duration_ms: ms,
                error,
                response_body: body,
                response_body_truncated: truncated != 0,
            });
        }
        Ok(out)
    }
}

/// Deliveries by id, one query per batch.
pub struct DeliveriesById {
    pub db: Db,
}

impl Loader<String> for DeliveriesById {
    type Value = Delivery;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Delivery>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM webhook_deliveries WHERE id IN ({})",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        query
            .fetch_all(self.db.pool())
            .await?
            .into_iter()
            .map(|r| Delivery::from_row(r).map(|d| (d.id.clone(), d)))
            .collect()
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Delivery>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhook_deliveries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Delivery::from_row).transpose()
}
