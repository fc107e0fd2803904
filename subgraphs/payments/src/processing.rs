//! One provider call against a payment, made safe under concurrency: **claim** (one
//! transaction records a PENDING attempt — unique per payment and idempotency key — and takes
//! the payment's processing lease with a conditional UPDATE on its status), then the provider
//! call outside any transaction, then **settle** (one transaction finishes the attempt,
//! applies the outcome's move and releases the lease). Two requests can never both talk to the
//! provider about the same payment; a request repeating an idempotency key waits for the first
//! one's result instead of charging again.

use kit::error::is_unique_violation;
use kit::ids::now_millis;
use kit::{AppError, Service};

use crate::attempts::{self, NewAttempt, PENDING};
use crate::card::CardSummary;
use crate::payment::{self, Payment};
use crate::status::PaymentStatus;
use crate::transitions::{self, Move};

pub struct Claim<'a> {
    pub kind: &'a str,
    pub provider: &'a str,
    /// Statuses the payment must be in.
    pub from: &'a [PaymentStatus],
    pub idempotency_key: Option<&'a str>,
    /// The card of an authorization (brand and last four only).
    pub card: Option<&'a CardSummary>,
}

pub enum Claimed {
    /// This request holds the lease; the attempt's id.
    Ours(String),
    /// The idempotency key was used before: its first request answers.
    Repeated,
}

/// Takes the payment for one provider call, or says why not.
pub async fn claim(
    svc: &Service,
    payment: &Payment,
    claim: &Claim<'_>,
    lease_ms: i64,
) -> Result<Claimed, AppError> {
    let now = now_millis();
    let mut tx = svc.db.begin().await?;
    let inserted = attempts::insert(
        &mut tx,
        &NewAttempt {
            payment_id: &payment.id,
            kind: claim.kind,
            provider: claim.provider,
            provider_reference: payment.provider_reference.as_deref(),
            outcome: PENDING,
            decline_code: None,
            amount: Some(payment.amount.minor),
            idempotency_key: claim.idempotency_key,
        },
    )
    .await;
    let attempt_id = match inserted {
        Ok(id) => id,
        Err(err) if is_unique_violation(&err) => return Ok(Claimed::Repeated),
        Err(err) => return Err(err.into()),
    };
    let statuses = claim
        .from
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let card = claim.card;
    let taken = sqlx::query(&format!(
        "UPDATE payments SET processing_attempt = $1, processing_until = $2, \
           card_brand = COALESCE($3, card_brand), card_last4 = COALESCE($4, card_last4), \
           card_exp_month = COALESCE($5, card_exp_month), \
           card_exp_year = COALESCE($6, card_exp_year), updated_at = $7 \
         WHERE id = $8 AND status IN ({statuses}) \
           AND (processing_attempt IS NULL OR processing_until < $7)"
    ))
    .bind(&attempt_id)
    .bind(now + lease_ms)
    .bind(card.map(|c| c.brand.clone()))
    .bind(card.map(|c| c.last4.clone()))
    .bind(card.map(|c| c.exp_month as i64))
    .bind(card.map(|c| c.exp_year as i64))
    .bind(now)
    .bind(&payment.id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if taken != 1 {
        drop(tx);
        let current = payment::by_id(&svc.db, &payment.id)
            .await?
            .unwrap_or_else(|| payment.clone());
        return Err(busy(&current, claim.from));
    }
    tx.commit().await?;
    Ok(Claimed::Ours(attempt_id))
}

/// Why a payment could not be taken.
fn busy(current: &Payment, wanted: &[PaymentStatus]) -> AppError {
    use PaymentStatus::*;
    if wanted.contains(&current.status) {
        return AppError::conflict("another attempt at this payment is in progress; retry shortly");
    }
    AppError::conflict(match current.status {
        RequiresPaymentMethod => "the payment has no payment method yet".to_string(),
        RequiresAction => "the payment is waiting for its next action (confirmPayment)".into(),
        Authorized => "the payment is already authorized".into(),
        Captured | PartiallyRefunded | Refunded => "the payment has already been made".into(),
        Failed => "the payment failed; the order needs a new checkout".into(),
        Voided => "the payment was cancelled".into(),
    })
}

/// Records the attempt's result, applies `mv` (if any) and releases the lease.
pub async fn settle(
    svc: &Service,
    payment_id: &str,
    attempt_id: &str,
    outcome: &str,
    provider_reference: Option<&str>,
    decline_code: Option<&str>,
    mv: Option<&Move<'_>>,
) -> Result<(), AppError> {
    let mut tx = svc.db.begin().await?;
    attempts::finish(
        &mut tx,
        attempt_id,
        outcome,
        provider_reference,
        decline_code,
    )
    .await?;
    if let Some(mv) = mv {
        if transitions::apply(svc, &mut tx, payment_id, mv)
            .await?
            .is_none()
        {
            tracing::info!(
                payment = payment_id,
                target = mv.target().as_str(),
                "payment moved on meanwhile; outcome recorded only"
            );
        }
    }
    sqlx::query(
        "UPDATE payments SET processing_attempt = NULL, processing_until = NULL \
         WHERE id = $1 AND processing_attempt = $2",
    )
    .bind(payment_id)
    .bind(attempt_id)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}
