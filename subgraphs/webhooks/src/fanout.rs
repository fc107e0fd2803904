//! Turning events into deliveries. The consumer takes every event type (one `#` binding on
//! the durable queue `webhooks`) and, in one transaction with the claim of the event id, adds a
//! PENDING delivery for each enabled endpoint whose filters match. The delivery's unique
//! (event, endpoint) key and the claim make a redelivered event add nothing twice; the worker
//! then sends them.

use std::sync::Arc;

use kit::events::{claim, Event, QueueSpec};
use kit::ids::{new_id, now_millis};
use kit::{AppError, Service};
use tokio::sync::Notify;

use crate::delivery::Status;
use crate::{endpoint, filters};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "webhooks";

pub async fn start(svc: &Service, wake: Arc<Notify>) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(QueueSpec::durable(CONSUMER, &["#"]), move |event: Event| {
        let svc = handler_svc.clone();
        let wake = wake.clone();
        async move {
            let added = apply(&svc, &event).await.map_err(AppError::into_anyhow)?;
            if added > 0 {
                wake.notify_one();
            }
            Ok(())
        }
    })
    .await
}

/// Records the deliveries of one event; returns how many were added.
pub async fn apply(svc: &Service, event: &Event) -> Result<usize, AppError> {
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(0); // already fanned out
    }
    let endpoints = endpoint::enabled(tx.conn()).await?;
    let mut added = 0;
    for e in endpoints
        .iter()
        .filter(|e| filters::matches(&e.event_types, &event.event_type))
    {
        if enqueue(tx.conn(), &e.id, event).await?.is_some() {
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// Adds a delivery of `event` to `endpoint_id`, due now; `None` when it already exists.
pub async fn enqueue(
    conn: &mut sqlx::AnyConnection,
    endpoint_id: &str,
    event: &Event,
) -> Result<Option<String>, AppError> {
    let id = new_id();
    let now = now_millis();
    let payload = serde_json::to_string(event).map_err(AppError::internal)?;
    let inserted = sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, \
           next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7) \
         ON CONFLICT (event_id, endpoint_id) DO NOTHING",
    )
    .bind(&id)
    .bind(endpoint_id)
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(payload)
    .bind(Status::Pending.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some(id))
}
