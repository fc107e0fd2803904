//! The delivery worker: takes due PENDING email, SMS and push deliveries with a lease (so
//! several instances share the work and a crashed worker's messages come back after the lease),
//! renders each from its template and sends it by its channel (SMTP or files, the SMS provider,
//! the push provider). Success marks it SENT; a transient failure (server down, an SMTP 4xx,
//! an HTTP provider's 5xx or 429) schedules another attempt with exponential backoff; a
//! permanent one (an SMTP 5xx, a bad address, an HTTP provider's 4xx) or too many attempts
//! marks it FAILED. The event was acknowledged once the row was
//! written, so a failing SMTP server delays mail but never loses it.

use std::sync::Arc;

use futures_util::StreamExt;
use kit::ids::{new_id, now_millis};
use kit::{Db, Service};
use serde_json::Value;
use tokio::sync::Notify;

use crate::deliveries::DeliveryChannel;
use crate::kinds::Kind;
use crate::mailer::{Mailer, SendError};
use crate::push::{Push, PushProvider};
use crate::settings::Settings;
use crate::sms::SmsProvider;
use crate::templates::Templates;

const BATCH: i64 = 50;

/// What the worker needs, shared with the consumer (which wakes it).
pub struct Worker {
    pub db: Db,
    pub settings: Settings,
    pub templates: Templates,
    pub mailer: Mailer,
    pub sms: Box<dyn SmsProvider>,
    pub push: Box<dyn PushProvider>,
    pub wake: Notify,
}

/// A claimed delivery: id, channel, recipient, kind, context, attempts so far.
type Claimed = (String, String, String, String, String, i64);

impl Worker {
    /// Runs until the service shuts down.
    pub fn spawn(self: Arc<Self>, svc: &Service) {
        let shutdown = svc.shutdown.clone();
        tokio::spawn(async move {
            loop {
                match self.run_once().await {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %format!("{err:#}"), "delivery worker"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.settings.poll) => {}
                }
            }
        });
    }

    /// Claims one batch of due deliveries and sends them; returns how many it took.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let token = new_id();
        let now = now_millis();
        // The lease condition is repeated outside the sub-select so that a concurrent worker
        // that took a row first (PostgreSQL re-checks the outer condition) keeps it.
        sqlx::query(
            "UPDATE deliveries SET claim_token = $1, claimed_until = $2 WHERE id IN (\
               SELECT id FROM deliveries WHERE status = 'PENDING' AND channel <> 'IN_APP' \
               AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3) \
               ORDER BY next_attempt_at LIMIT $4) \
             AND status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(&token)
        .bind(now + self.settings.lease.as_millis() as i64)
        .bind(now)
        .bind(BATCH)
        .execute(self.db.background())
        .await?;
        let claimed: Vec<Claimed> = sqlx::query_as(
            "SELECT id, channel, recipient, kind, context, attempts FROM deliveries \
             WHERE claim_token = $1",
        )
        .bind(&token)
        .fetch_all(self.db.background())
        .await?;
        let n = claimed.len();
        futures_util::stream::iter(claimed)
            .for_each_concurrent(self.settings.send_concurrency.max(1), |c| {
                let token = &token;
                async move {
                let id = c.0.clone();
                if let Err(err) = self.deliver(c, token).await {
                    tracing::warn!(delivery = %id, error = %format!("{err:#}"), "recording a delivery failed");
                }
                }
            })
            .await;
        Ok(n)
    }

    async fn deliver(&self, c: Claimed, token: &str) -> anyhow::Result<()> {
        let (id, channel, recipient, kind, context, attempts) = c;
        let outcome = self.send(&id, &channel, &recipient, &kind, &context).await;
        let now = now_millis();
        let attempts = attempts + 1;
        let (status, next, error, location, subject) = match outcome {
            Ok((location, subject)) => ("SENT", now, None, Some(location), Some(subject)),
            Err(err) if err.permanent || attempts >= self.settings.max_attempts => {
                tracing::warn!(delivery = %id, %recipient, error = %err.message, "delivery failed for good");
                ("FAILED", now, Some(err.message), None, None)
            }
            Err(err) => {
                let delay = self.settings.backoff(attempts).as_millis() as i64;
                tracing::info!(delivery = %id, %recipient, error = %err.message, retry_in_ms = delay, "delivery will be retried");
                ("PENDING", now + delay, Some(err.message), None, None)
            }
        };
        sqlx::query(
            "UPDATE deliveries SET status = $1, attempts = $2, next_attempt_at = $3, \
             last_error = COALESCE($4, last_error), location = COALESCE($5, location), \
             subject = COALESCE($6, subject), sent_at = CASE WHEN $1 = 'SENT' THEN $7 ELSE NULL END, \
             claimed_until = NULL, claim_token = NULL, updated_at = $7 \
             WHERE id = $8 AND claim_token = $9",
        )
        .bind(status)
        .bind(attempts)
        .bind(next)
        .bind(error)
        .bind(location)
        .bind(subject)
        .bind(now)
        .bind(&id)
        .bind(token)
        .execute(self.db.background())
        .await?;
        Ok(())
    }

    /// Renders and sends one message by its channel; returns where it went and its subject.
    async fn send(
        &self,
        id: &str,
        channel: &str,
        recipient: &str,
        kind: &str,
        context: &str,
    ) -> Result<(String, String), SendError> {
        let permanent = |message: String| SendError {
            permanent: true,
            message,
        };
        let kind = Kind::parse(kind).ok_or_else(|| permanent(format!("unknown kind {kind}")))?;
        let context: Value = serde_json::from_str(context)
            .map_err(|e| permanent(format!("stored context is not JSON: {e}")))?;
        let rendered = self
            .templates
            .render(kind, &context)
            .map_err(|e| permanent(format!("template {}: {e:#}", kind.name())))?;
        let link = context["link"].as_str();
        let location = match DeliveryChannel::parse(channel) {
            Some(DeliveryChannel::Sms) => {
                // A text message is the in-app summary and the link: short, no markup.
                let text = match link {
                    Some(link) => format!("{} {link}", rendered.summary),
                    None => rendered.summary.clone(),
                };
                self.sms.send(recipient, &text).await?
            }
            Some(DeliveryChannel::Push) => {
                let push = Push {
                    title: &rendered.subject,
                    body: &rendered.summary,
                    link,
                };
                self.push.send(recipient, &push).await?
            }
            Some(DeliveryChannel::Email) => {
                let message = self.mailer.message(recipient, &rendered)?;
                self.mailer.send(id, message).await?
            }
            Some(DeliveryChannel::InApp) | None => {
                return Err(permanent(format!(
                    "channel {channel} is not sent by the worker"
                )))
            }
        };
        Ok((location, rendered.subject))
    }
}
