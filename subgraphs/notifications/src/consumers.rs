//! Notifications' one durable queue over the user-facing events. For each event, in one
//! transaction: claim the event id, update the read models, and record what to deliver —
//! in-app notifications written at once, email, SMS and push deliveries PENDING for the
//! worker — as the
//! recipient's preferences allow. Then the event is acknowledged and the worker woken: a
//! redelivered event is recognised by its id (and each delivery row by its unique key) and
//! sends nothing twice.

use std::sync::Arc;

use kit::events::{claim, Event, QueueSpec};
use kit::{AppError, Service};

use crate::deliveries::{self, DeliveryChannel, NewDelivery};
use crate::kinds::NotificationCategory;
use crate::messages::{self, EVENT_TYPES};
use crate::preferences;
use crate::worker::Worker;
use crate::{contacts, inbox};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "notifications";

pub async fn start(svc: &Service, worker: Arc<Worker>) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, EVENT_TYPES),
        move |event: Event| {
            let svc = handler_svc.clone();
            let worker = worker.clone();
            async move {
                let queued = apply(&svc, &worker, &event)
                    .await
                    .map_err(AppError::into_anyhow)?;
                if queued > 0 {
                    worker.wake.notify_one();
                }
                Ok(())
            }
        },
    )
    .await
}

/// Applies one event; returns how many messages it queued for the worker.
pub async fn apply(svc: &Service, worker: &Worker, event: &Event) -> Result<usize, AppError> {
    if !EVENT_TYPES.contains(&event.event_type.as_str()) {
        return Ok(0);
    }
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(0); // already applied
    }
    let planned = messages::plan(&mut tx, &worker.settings, event).await?;
    let mut queued = 0;
    for m in planned {
        let category = m.kind.category();
        let prefs = match &m.user_id {
            Some(user) => Some(preferences::for_user(&mut tx, user, category).await?),
            None => None,
        };
        let email_on = category == NotificationCategory::Account || prefs.is_none_or(|p| p.email);
        if let (Some(email), true) = (&m.email, email_on) {
            let recorded = deliveries::record(
                &mut tx,
                NewDelivery {
                    event_id: &event.id,
                    event_type: &event.event_type,
                    channel: DeliveryChannel::Email,
                    recipient: email,
                    user_id: m.user_id.as_deref(),
                    kind: m.kind,
                    context: &m.context,
                    sent_subject: None,
                },
            )
            .await?;
            queued += recorded as usize;
        }
        // Text and push messages go to users who registered a phone or a subscription, for the
        // kinds that also appear in the app (a reset link belongs in the mailbox only).
        if let (Some(user), Some(p), true) = (&m.user_id, prefs, m.kind.in_app()) {
            if p.sms || p.push {
                let (phone, targets) = contacts::for_user(&mut tx, user).await?;
                let mut outgoing: Vec<(DeliveryChannel, String)> = Vec::new();
                if let (true, Some(phone)) = (p.sms, phone) {
                    outgoing.push((DeliveryChannel::Sms, phone));
                }
                if p.push {
                    outgoing.extend(targets.into_iter().map(|t| (DeliveryChannel::Push, t)));
                }
                for (channel, recipient) in outgoing {
                    let recorded = deliveries::record(
                        &mut tx,
                        NewDelivery {
                            event_id: &event.id,
                            event_type: &event.event_type,
                            channel,
                            recipient: &recipient,
                            user_id: Some(user),
                            kind: m.kind,
                            context: &m.context,
                            sent_subject: None,
                        },
                    )
                    .await?;
                    queued += recorded as usize;
                }
            }
        }
        let in_app_on = prefs.is_some_and(|p| p.in_app) && m.kind.in_app();
        if let (Some(user), true) = (&m.user_id, in_app_on) {
            let rendered = worker
                .templates
                .render(m.kind, &m.context)
                .map_err(AppError::internal)?;
            let link = m.context["link"].as_str();
            let written = inbox::insert(
                svc,
                &mut tx,
                user,
                &event.id,
                m.kind,
                &rendered.subject,
                &rendered.summary,
                link,
            )
            .await?;
            if written.is_some() {
                deliveries::record(
                    &mut tx,
                    NewDelivery {
                        event_id: &event.id,
                        event_type: &event.event_type,
                        channel: DeliveryChannel::InApp,
                        recipient: user,
                        user_id: Some(user),
                        kind: m.kind,
                        context: &m.context,
                        sent_subject: Some(&rendered.subject),
                    },
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(queued)
}
