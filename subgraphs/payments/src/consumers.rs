//! Payments' reaction to other subgraphs' events, on one durable queue `payments`:
//! `order.cancelled` voids the order's payments that took no money and refunds captured ones
//! in full (emitting `payment.voided` / `payment.refunded`).
//!
//! The effects need provider calls, which cannot sit inside a database transaction, so each is
//! idempotent on its own — a void is a conditional status move, the refund carries the key
//! `order.cancelled:<orderId>` — and the event is claimed in `processed_events` once they are
//! done: a redelivery after the claim is skipped, one before it repeats only no-ops.

use kit::events::{claim, Event, QueueSpec};
use kit::AppError;

use crate::payment;
use crate::refunding;
use crate::state::PaymentsState;
use crate::voiding;

/// The consumer's name in `processed_events` and its queue name.
pub const CONSUMER: &str = "payments";

const BINDINGS: [&str; 1] = ["order.cancelled"];

pub async fn start(state: &PaymentsState) -> anyhow::Result<()> {
    let handler_state = state.clone();
    state
        .svc
        .consume(
            QueueSpec::durable(CONSUMER, &BINDINGS),
            move |event: Event| {
                let state = handler_state.clone();
                async move { apply(&state, &event).await.map_err(AppError::into_anyhow) }
            },
        )
        .await
}

/// Applies one event (others are acknowledged and ignored).
pub async fn apply(state: &PaymentsState, event: &Event) -> Result<(), AppError> {
    if !BINDINGS.contains(&event.event_type.as_str()) {
        return Ok(());
    }
    let Some(order_id) = event.data["orderId"]
        .as_str()
        .or(event.subject.as_deref())
        .filter(|o| !o.is_empty())
    else {
        tracing::warn!(event = %event.id, "order.cancelled without orderId; ignored");
        return Ok(());
    };
    let svc = &state.svc;
    if already_processed(state, event).await? {
        return Ok(());
    }
    for payment in payment::all_for_order(&svc.db, order_id).await? {
        if payment.status.is_captured() {
            if payment.refundable() > 0 {
                let key = format!("order.cancelled:{order_id}");
                refunding::refund(state, &payment, None, Some("order cancelled"), &key).await?;
            }
        } else if !payment.status.is_dead() {
            voiding::void(state, &payment).await?;
        }
    }
    let mut tx = svc.db.begin().await?;
    claim(&mut tx, CONSUMER, event).await?;
    tx.commit().await?;
    Ok(())
}

async fn already_processed(state: &PaymentsState, event: &Event) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM processed_events WHERE consumer = $1 AND event_id = $2",
    )
    .bind(CONSUMER)
    .bind(&event.id)
    .fetch_one(state.svc.db.pool())
    .await?;
    Ok(n > 0)
}
