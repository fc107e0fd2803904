//! The `WebhookEndpoint` entity: a partner URL, the event types it wants, whether it is
//! enabled (and why not), and its failure streak. The signing secret is never readable after
//! it was handed out (create and rotate return it once).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Object, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::{from_millis, now_millis};
use kit::{AppError, Db};

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub consecutive_failures: i64,
    pub failing_since: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Columns in [`Row`] order.
pub const COLUMNS: &str = "id, url, description, event_types, enabled, disabled_reason, \
    disabled_at, secret, previous_secret, previous_secret_until, consecutive_failures, \
    failing_since, created_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    url: String,
    description: Option<String>,
    event_types: String,
    enabled: i64,
    disabled_reason: Option<String>,
    disabled_at: Option<i64>,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<i64>,
    consecutive_failures: i64,
    failing_since: Option<i64>,
    created_by: String,
    created_at: i64,
    updated_at: i64,
}

impl Endpoint {
    pub fn from_row(r: Row) -> Result<Endpoint, AppError> {
        Ok(Endpoint {
            event_types: serde_json::from_str(&r.event_types)
                .map_err(|e| AppError::internal(anyhow::anyhow!("endpoint event types: {e}")))?,
            enabled: r.enabled != 0,
            id: r.id,
            url: r.url,
            description: r.description,
            disabled_reason: r.disabled_reason,
            disabled_at: r.disabled_at,
            secret: r.secret,
            previous_secret: r.previous_secret,
            previous_secret_until: r.previous_secret_until,
            consecutive_failures: r.consecutive_failures,
            failing_since: r.failing_since,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    /// The secrets a delivery made `at` is signed with: the current one, and the previous one
    /// while its overlap window lasts.
    pub fn signing_secrets(&self, at: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(prev), Some(until)) = (&self.previous_secret, self.previous_secret_until) {
            if at < until {
                secrets.push(prev);
            }
        }
        secrets
    }
}

#[Object(name = "WebhookEndpoint")]
impl Endpoint {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn url(&self) -> &str {
        &self.url
    }

    async fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Filters: an exact type (`order.paid`), every type under a prefix (`order.*`), or `*`.
    async fn event_types(&self) -> &[String] {
        &self.event_types
    }

    async fn enabled(&self) -> bool {
        self.enabled
    }

    /// Why the endpoint was disabled: by an admin, or automatically after failing too long.
    async fn disabled_reason(&self) -> Option<&str> {
        self.disabled_reason.as_deref()
    }

    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.disabled_at.map(from_millis)
    }

    /// While set, deliveries are signed with the previous secret too (a rotation's overlap).
    async fn previous_secret_valid_until(&self) -> Option<DateTime<Utc>> {
        self.previous_secret_until
            .filter(|until| *until > now_millis())
            .map(from_millis)
    }

    /// Attempts that failed in a row since the last success.
    async fn consecutive_failures(&self) -> i64 {
        self.consecutive_failures
    }

    /// The admin who registered the endpoint (told when it is disabled automatically).
    async fn created_by(&self) -> ID {
        ID(self.created_by.clone())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}

/// Endpoints by id, one query per batch.
pub struct EndpointsById {
    pub db: Db,
}

impl Loader<String> for EndpointsById {
    type Value = Endpoint;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Endpoint>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE id IN ({})",
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
            .map(|r| Endpoint::from_row(r).map(|e| (e.id.clone(), e)))
            .collect()
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Endpoint>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Endpoint::from_row).transpose()
}

/// Every enabled endpoint (the fan-out reads them per event; there are few).
pub async fn enabled(conn: &mut sqlx::AnyConnection) -> Result<Vec<Endpoint>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE enabled = 1"
    ))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Endpoint::from_row).collect()
}
