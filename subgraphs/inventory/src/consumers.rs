//! Inventory's reactions to other subgraphs' events, on one durable queue: a paid checkout
//! (`payment.succeeded`) commits its held reservations, a cancelled order (`order.cancelled`)
//! releases them. Each event is claimed in the same transaction as its effect, so a redelivered
//! event changes nothing the second time.

use kit::events::{claim, Event, QueueSpec};
use kit::{AppError, Service};

use crate::reservations::{finish, held_by_reference, Outcome};

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "inventory";

/// The events inventory acts on, and what each does to the reservations of its reference.
fn outcome_of(event_type: &str) -> Option<Outcome> {
    match event_type {
        "payment.succeeded" => Some(Outcome::Commit),
        "order.cancelled" => Some(Outcome::Release),
        _ => None,
    }
}

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let bindings = ["payment.succeeded", "order.cancelled"];
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, &bindings),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { apply(&svc, &event).await.map_err(AppError::into_anyhow) }
        },
    )
    .await
}

/// Applies one event. Events without a reservation reference have nothing to act on.
pub async fn apply(svc: &Service, event: &Event) -> Result<(), AppError> {
    let Some(outcome) = outcome_of(&event.event_type) else {
        return Ok(());
    };
    let reference = event.data["reservationReference"]
        .as_str()
        .or_else(|| event.data["reference"].as_str());
    let Some(reference) = reference else {
        tracing::warn!(event = %event.id, kind = %event.event_type, "event has no reservationReference; ignored");
        return Ok(());
    };
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(()); // already applied
    }
    for id in held_by_reference(&mut tx, reference).await? {
        finish(svc, &mut tx, &id, outcome).await?;
    }
    tx.commit().await?;
    Ok(())
}
