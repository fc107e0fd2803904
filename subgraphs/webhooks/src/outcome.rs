//! Recording what an attempt came to, in one transaction: the attempt row; the delivery
//! SUCCEEDED, rescheduled by the backoff or FAILED when the schedule is used up; the endpoint's
//! failure streak; and, when the streak passes the threshold (`DISABLE_AFTER_FAILURES` attempts
//! in a row over at least `DISABLE_AFTER_SECS`), the endpoint disabled with a
//! `webhook.endpoint_disabled` event in the outbox. That event names the admin who registered
//! the endpoint (`ownerId`), so the notifications service can tell them.

use kit::ids::{new_id, now_millis};
use kit::{AppError, Service};
use serde_json::json;

use crate::backoff;
use crate::delivery::Status;
use crate::endpoint::Endpoint;
use crate::sender::Outcome;
use crate::settings::Settings;

pub const DISABLED_EVENT: &str = "webhook.endpoint_disabled";

/// The claimed delivery an outcome belongs to.
pub struct Claimed<'a> {
    pub delivery_id: &'a str,
    pub claim_token: &'a str,
    /// Attempts made since the delivery was (re)queued, before this one.
    pub round_attempts: i64,
    pub endpoint: &'a Endpoint,
}

pub async fn record(
    svc: &Service,
    settings: &Settings,
    claimed: &Claimed<'_>,
    outcome: &Outcome,
) -> Result<(), AppError> {
    let now = now_millis();
    let mut tx = svc.db.begin().await?;
    sqlx::query(
        "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, response_status, \
           duration_ms, error, response_body, response_truncated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(claimed.delivery_id)
    .bind(now - outcome.duration_ms)
    .bind(outcome.status.map(i64::from))
    .bind(outcome.duration_ms)
    .bind(outcome.error.as_deref())
    .bind(outcome.body.as_deref())
    .bind(outcome.truncated as i64)
    .execute(tx.conn())
    .await?;

    let round = claimed.round_attempts + 1;
    let (status, next) = if outcome.succeeded() {
        (Status::Succeeded, None)
    } else {
        match backoff::delay(&settings.retry_schedule, round as usize) {
            Some(d) => (Status::Pending, Some(now + d.as_millis() as i64)),
            None => (Status::Failed, None),
        }
    };
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, \
           attempt_count = attempt_count + 1, round_attempts = $3, last_attempt_at = $4, \
           last_response_status = $5, claim_token = NULL, claimed_until = NULL, updated_at = $4 \
         WHERE id = $6 AND claim_token = $7",
    )
    .bind(status.as_str())
    .bind(next)
    .bind(round)
    .bind(now)
    .bind(outcome.status.map(i64::from))
    .bind(claimed.delivery_id)
    .bind(claimed.claim_token)
    .execute(tx.conn())
    .await?;

    if outcome.succeeded() {
        sqlx::query(
            "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL \
             WHERE id = $1 AND consecutive_failures > 0",
        )
        .bind(&claimed.endpoint.id)
        .execute(tx.conn())
        .await?;
    } else {
        let (failures, since): (i64, i64) = sqlx::query_as(
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
               failing_since = COALESCE(failing_since, $1) WHERE id = $2 \
             RETURNING consecutive_failures, failing_since",
        )
        .bind(now)
        .bind(&claimed.endpoint.id)
        .fetch_one(tx.conn())
        .await?;
        if failures >= settings.disable_after_failures
            && now - since >= settings.disable_after.as_millis() as i64
        {
            disable(svc, &mut tx, claimed.endpoint, failures, since, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Disables a failing endpoint and announces it (once: only the attempt that flips it emits).
async fn disable(
    svc: &Service,
    tx: &mut kit::Tx,
    endpoint: &Endpoint,
    failures: i64,
    since: i64,
    now: i64,
) -> Result<(), AppError> {
    let reason = format!(
        "disabled automatically: {failures} delivery attempts failed in a row since {}",
        kit::ids::from_millis(since).to_rfc3339()
    );
    let flipped = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1, disabled_at = $2, \
           updated_at = $2 WHERE id = $3 AND enabled = 1",
    )
    .bind(&reason)
    .bind(now)
    .bind(&endpoint.id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if flipped == 1 {
        tracing::warn!(endpoint = %endpoint.id, url = %endpoint.url, failures, "webhook endpoint disabled");
        let event = svc.event(
            DISABLED_EVENT,
            Some(endpoint.id.clone()),
            json!({
                "endpointId": endpoint.id,
                "url": endpoint.url,
                "ownerId": endpoint.created_by,
                "reason": reason,
                "consecutiveFailures": failures,
                "failingSince": kit::ids::from_millis(since).to_rfc3339(),
                "disabledAt": kit::ids::from_millis(now).to_rfc3339(),
            }),
        );
        tx.emit(&event).await?;
    }
    Ok(())
}
