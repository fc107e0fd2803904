//! The delivery worker. Deliveries are rows, so the work survives a restart: the worker claims
//! due PENDING rows with a lease (`claimed_until`; several instances can share the table, and a
//! crashed instance's rows come back when the lease ends), sends each in its own task and
//! records the outcome. It wakes when the fan-out adds rows, when a task finishes, and every
//! `WORKER_POLL_MS` for retries coming due.
//!
//! A slow endpoint cannot stall the others: at most `MAX_IN_FLIGHT_PER_ENDPOINT` of its
//! deliveries are in flight, endpoints at that limit are left out of the next claim, and the
//! instance sends at most `MAX_IN_FLIGHT` at once.

use std::collections::HashMap;
use std::sync::Arc;

use kit::db::placeholders;
use kit::ids::{new_id, now_millis};
use kit::{AppError, Service};
use parking_lot::Mutex;
use tokio::sync::{Notify, Semaphore};

use crate::delivery::Status;
use crate::endpoint;
use crate::outcome::{self, Claimed};
use crate::sender::Sender;
use crate::settings::Settings;

/// Candidates read per claim.
const SCAN: i64 = 200;

#[derive(Clone)]
pub struct Worker {
    svc: Service,
    settings: Arc<Settings>,
    sender: Arc<Sender>,
    wake: Arc<Notify>,
    /// Deliveries in flight per endpoint on this instance.
    busy: Arc<Mutex<HashMap<String, usize>>>,
    slots: Arc<Semaphore>,
}

impl Worker {
    pub fn new(
        svc: &Service,
        settings: Arc<Settings>,
        sender: Arc<Sender>,
        wake: Arc<Notify>,
    ) -> Worker {
        Worker {
            svc: svc.clone(),
            slots: Arc::new(Semaphore::new(settings.max_in_flight)),
            settings,
            sender,
            wake,
            busy: Arc::default(),
        }
    }

    /// Runs until the service shuts down.
    pub fn spawn(self) {
        tokio::spawn(async move {
            loop {
                if self.svc.shutdown.is_cancelled() {
                    return; // the pool closes next
                }
                let claimed = match self.claim().await {
                    Ok(n) => n,
                    Err(err) => {
                        tracing::warn!(error = %format!("{:#}", err.clone().into_anyhow()), "webhook worker: claim failed");
                        0
                    }
                };
                if claimed > 0 {
                    continue; // more may be due
                }
                tokio::select! {
                    _ = self.svc.shutdown.cancelled() => return,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.settings.worker_poll) => {}
                }
            }
        });
    }

    /// Claims due deliveries of endpoints with free capacity and starts them; returns how many.
    async fn claim(&self) -> Result<usize, AppError> {
        let free = self.slots.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let limit = self.settings.max_in_flight_per_endpoint;
        let saturated: Vec<String> = self
            .busy
            .lock()
            .iter()
            .filter(|(_, n)| **n >= limit)
            .map(|(e, _)| e.clone())
            .collect();
        let now = now_millis();
        let mut sql = "SELECT d.id, d.endpoint_id FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.status = $1 AND d.next_attempt_at <= $2 \
               AND (d.claimed_until IS NULL OR d.claimed_until < $2) AND e.enabled = 1"
            .to_string();
        if !saturated.is_empty() {
            sql.push_str(&format!(
                " AND d.endpoint_id NOT IN ({})",
                placeholders(4, saturated.len())
            ));
        }
        sql.push_str(" ORDER BY d.next_attempt_at LIMIT $3");
        let mut query = sqlx::query_as::<_, (String, String)>(&sql)
            .bind(Status::Pending.as_str())
            .bind(now)
            .bind(SCAN);
        for e in &saturated {
            query = query.bind(e);
        }
        let candidates = query.fetch_all(self.svc.db.pool()).await?;

        // Take what capacity allows: per endpoint and in all.
        let mut picked = Vec::new();
        {
            let busy = self.busy.lock();
            let mut taking: HashMap<&str, usize> = HashMap::new();
            for (id, endpoint) in &candidates {
                if picked.len() >= free {
                    break;
                }
                let n = taking.entry(endpoint).or_default();
                if busy.get(endpoint).copied().unwrap_or(0) + *n < limit {
                    *n += 1;
                    picked.push(id.clone());
                }
            }
        }
        if picked.is_empty() {
            return Ok(0);
        }

        // The lease is taken only where no one else took it meanwhile (the conditions are
        // re-checked on the row itself).
        let token = new_id();
        let sql = format!(
            "UPDATE webhook_deliveries SET claim_token = $1, claimed_until = $2 \
             WHERE status = $3 AND (claimed_until IS NULL OR claimed_until < $4) \
               AND id IN ({})",
            placeholders(5, picked.len())
        );
        let mut update = sqlx::query(&sql)
            .bind(&token)
            .bind(now + self.settings.lease().as_millis() as i64)
            .bind(Status::Pending.as_str())
            .bind(now);
        for id in &picked {
            update = update.bind(id);
        }
        if update.execute(self.svc.db.pool()).await?.rows_affected() == 0 {
            return Ok(0);
        }
        let claimed: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT id, endpoint_id, round_attempts FROM webhook_deliveries WHERE claim_token = $1",
        )
        .bind(&token)
        .fetch_all(self.svc.db.pool())
        .await?;
        let count = claimed.len();
        for (id, endpoint_id, round) in claimed {
            let permit = self
                .slots
                .clone()
                .try_acquire_owned()
                .map_err(|_| AppError::internal(anyhow::anyhow!("worker slots miscounted")))?;
            *self.busy.lock().entry(endpoint_id.clone()).or_default() += 1;
            let worker = self.clone();
            let token = token.clone();
            tokio::spawn(async move {
                if let Err(err) = worker.deliver(&id, &endpoint_id, &token, round).await {
                    tracing::warn!(delivery = %id, error = %format!("{:#}", err.into_anyhow()), "webhook delivery not recorded; retried after the lease");
                }
                {
                    let mut busy = worker.busy.lock();
                    if let Some(n) = busy.get_mut(&endpoint_id) {
                        *n -= 1;
                        if *n == 0 {
                            busy.remove(&endpoint_id);
                        }
                    }
                }
                drop(permit);
                worker.wake.notify_one();
            });
        }
        Ok(count)
    }

    /// Sends one claimed delivery and records the outcome.
    async fn deliver(
        &self,
        id: &str,
        endpoint_id: &str,
        token: &str,
        round_attempts: i64,
    ) -> Result<(), AppError> {
        let db = &self.svc.db;
        let endpoint = match endpoint::by_id(db, endpoint_id).await? {
            Some(e) if e.enabled => e,
            _ => {
                // Disabled (or deleted) since the claim: leave the delivery for later.
                sqlx::query(
                    "UPDATE webhook_deliveries SET claim_token = NULL, claimed_until = NULL \
                     WHERE id = $1 AND claim_token = $2",
                )
                .bind(id)
                .bind(token)
                .execute(db.pool())
                .await?;
                return Ok(());
            }
        };
        let payload: Option<String> = sqlx::query_scalar(
            "SELECT payload FROM webhook_deliveries WHERE id = $1 AND claim_token = $2",
        )
        .bind(id)
        .bind(token)
        .fetch_optional(db.pool())
        .await?;
        let Some(payload) = payload else {
            return Ok(()); // redelivered or deleted meanwhile
        };
        let secrets = endpoint.signing_secrets(now_millis());
        let outcome = self
            .sender
            .send(&endpoint.url, id, &secrets, &payload)
            .await;
        let claimed = Claimed {
            delivery_id: id,
            claim_token: token,
            round_attempts,
            endpoint: &endpoint,
        };
        outcome::record(&self.svc, &self.settings, &claimed, &outcome).await
    }
}
