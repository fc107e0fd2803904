//! Applying a verified provider webhook. One transaction records the provider's event id in
//! `webhook_events` first (`ON CONFLICT DO NOTHING`): a replay — sequential or concurrent,
//! the insert serialises them — finds the row and changes nothing. Then the payment the event
//! names is moved through the transition table (so a reordered `payment_failed` after
//! `succeeded` changes nothing either), the attempt is recorded and any event emitted, all in
//! the same transaction.

use kit::ids::now_millis;
use kit::{AppError, Service, Tx};

use crate::attempts::{self, NewAttempt};
use crate::payment::{self, Payment, COLUMNS};
use crate::providers::{Change, Reported, Target, WebhookEvent};
use crate::refunding;
use crate::transitions::{self, Move};

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// First delivery; the outcome recorded for it.
    Done(&'static str),
    /// Seen before: nothing changed.
    Duplicate,
}

pub async fn apply(
    svc: &Service,
    provider: &str,
    event: &WebhookEvent,
) -> Result<Applied, AppError> {
    let mut tx = svc.db.begin().await?;
    let fresh = sqlx::query(
        "INSERT INTO webhook_events (provider, event_id, event_type, outcome, received_at) \
         VALUES ($1, $2, $3, 'RECEIVED', $4) ON CONFLICT (provider, event_id) DO NOTHING",
    )
    .bind(provider)
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(now_millis())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if fresh != 1 {
        return Ok(Applied::Duplicate);
    }
    let (payment_id, outcome) = match target_of(&event.change) {
        None => (None, "IGNORED"),
        Some(target) => match find(&mut tx, target).await? {
            None => (None, "UNMATCHED"),
            Some(payment) => {
                let outcome = change(svc, &mut tx, provider, event, &payment).await?;
                (Some(payment.id), outcome)
            }
        },
    };
    sqlx::query(
        "UPDATE webhook_events SET outcome = $1, payment_id = $2 \
         WHERE provider = $3 AND event_id = $4",
    )
    .bind(outcome)
    .bind(payment_id)
    .bind(provider)
    .bind(&event.id)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    if outcome == "UNMATCHED" {
        tracing::warn!(provider, event = %event.id, "webhook names no known payment");
    }
    Ok(Applied::Done(outcome))
}

fn target_of(change: &Change) -> Option<&Target> {
    match change {
        Change::Succeeded { target, .. }
        | Change::Failed { target, .. }
        | Change::Refunded { target, .. }
        | Change::Transfer { target, .. } => Some(target),
        Change::Ignored => None,
    }
}

/// The payment a webhook names: by the provider's id, else by our reference codes.
async fn find(tx: &mut Tx, target: &Target) -> Result<Option<Payment>, AppError> {
    let mut lookups: Vec<(&str, &str)> = Vec::new();
    if let Some(reference) = target.provider_reference.as_deref() {
        lookups.push(("provider_reference", reference));
    }
    for reference in &target.references {
        lookups.push(("reference", reference));
    }
    for (column, value) in lookups {
        let sql = format!("SELECT {COLUMNS} FROM payments WHERE {column} = $1 LIMIT 1");
        let row: Option<payment::Row> = sqlx::query_as(&sql)
            .bind(value)
            .fetch_optional(tx.conn())
            .await?;
        if let Some(row) = row {
            return Payment::from_row(row).map(Some);
        }
    }
    Ok(None)
}

fn matches(payment: &Payment, amount: &Reported) -> bool {
    amount.currency == payment.amount.currency.code() && amount.minor == payment.amount.minor
}

/// An attempt row for what a provider reported about `payment`.
fn reported<'a>(
    payment: &'a Payment,
    kind: &'a str,
    provider: &'a str,
    provider_reference: Option<&'a str>,
    outcome: &'a str,
) -> NewAttempt<'a> {
    NewAttempt {
        payment_id: &payment.id,
        kind,
        provider,
        provider_reference,
        outcome,
        decline_code: None,
        amount: None,
        idempotency_key: None,
    }
}

/// Applies the event's change to `payment`; returns the outcome recorded.
async fn change(
    svc: &Service,
    tx: &mut Tx,
    provider: &str,
    event: &WebhookEvent,
    payment: &Payment,
) -> Result<&'static str, AppError> {
    let outcome = match &event.change {
        Change::Succeeded {
            amount,
            provider_reference,
            ..
        } => {
            let reference = provider_reference.as_deref();
            if !matches(payment, amount) {
                // Paid a different amount or currency than the payment asks: never succeed it.
                let attempt = reported(payment, "WEBHOOK", provider, reference, "MISMATCH");
                attempts::insert(
                    tx,
                    &NewAttempt {
                        amount: Some(amount.minor),
                        ..attempt
                    },
                )
                .await?;
                return Ok("MISMATCH");
            }
            let mv = Move::Capture {
                provider,
                provider_reference: reference,
                amount: payment.amount.minor,
            };
            let moved = transitions::apply(svc, tx, &payment.id, &mv).await?;
            let outcome = if moved.is_some() {
                "CAPTURED"
            } else {
                "UNCHANGED"
            };
            let attempt = reported(payment, "WEBHOOK", provider, reference, outcome);
            attempts::insert(
                tx,
                &NewAttempt {
                    amount: Some(amount.minor),
                    ..attempt
                },
            )
            .await?;
            outcome
        }
        Change::Failed {
            decline_code,
            reason,
            ..
        } => {
            let mv = Move::Fail {
                provider,
                provider_reference: None,
                decline_code,
                reason,
            };
            let moved = transitions::apply(svc, tx, &payment.id, &mv).await?;
            let outcome = if moved.is_some() {
                "FAILED"
            } else {
                "UNCHANGED"
            };
            let attempt = reported(payment, "WEBHOOK", provider, None, outcome);
            let decline_code = Some(decline_code.as_str());
            attempts::insert(
                tx,
                &NewAttempt {
                    decline_code,
                    ..attempt
                },
            )
            .await?;
            outcome
        }
        Change::Refunded {
            amount,
            cumulative,
            provider_reference,
            ..
        } => {
            if amount.currency != payment.amount.currency.code() {
                return Ok("MISMATCH");
            }
            let key = format!("webhook:{provider}:{}", event.id);
            refunding::record_external(
                svc,
                tx,
                payment,
                amount.minor,
                *cumulative,
                provider_reference.as_deref(),
                &key,
            )
            .await?
        }
        Change::Transfer {
            amount,
            provider_reference,
            ..
        } => transfer(svc, tx, provider, payment, amount, provider_reference).await?,
        Change::Ignored => "IGNORED",
    };
    Ok(outcome)
}

/// A bank transfer: counted in `received`; the payment succeeds once that covers it.
async fn transfer(
    svc: &Service,
    tx: &mut Tx,
    provider: &str,
    payment: &Payment,
    amount: &Reported,
    provider_reference: &str,
) -> Result<&'static str, AppError> {
    let reference = Some(provider_reference);
    if amount.currency != payment.amount.currency.code() {
        let attempt = reported(payment, "TRANSFER", provider, reference, "MISMATCH");
        attempts::insert(
            tx,
            &NewAttempt {
                amount: Some(amount.minor),
                ..attempt
            },
        )
        .await?;
        return Ok("MISMATCH");
    }
    sqlx::query("UPDATE payments SET received = received + $1, updated_at = $2 WHERE id = $3")
        .bind(amount.minor)
        .bind(now_millis())
        .bind(&payment.id)
        .execute(tx.conn())
        .await?;
    let received = payment.received + amount.minor;
    let outcome = if received < payment.amount.minor {
        "PARTIAL"
    } else {
        let mv = Move::Capture {
            provider,
            provider_reference: reference,
            amount: payment.amount.minor,
        };
        let moved = transitions::apply(svc, tx, &payment.id, &mv)
            .await?
            .is_some();
        match (moved, received > payment.amount.minor) {
            (true, false) => "CAPTURED",
            (true, true) => "OVERPAID",
            // More money for a payment already made.
            (false, _) if payment.status.is_captured() => "OVERPAID",
            // Money for a payment that can no longer take it (failed, voided): staff returns it.
            (false, _) => "UNAPPLIED",
        }
    };
    let attempt = reported(payment, "TRANSFER", provider, reference, outcome);
    attempts::insert(
        tx,
        &NewAttempt {
            amount: Some(amount.minor),
            ..attempt
        },
    )
    .await?;
    Ok(outcome)
}
