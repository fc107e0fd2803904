//! The shopper's side: `payOrder` charges a card for the order's payment and
//! `confirmPayment` completes the extra step a REQUIRES_ACTION payment waits for. Both are for
//! the order's customer or a guest with the order's `X-Order-Token` (see [`crate::access`]).
//! The card is validated before anything else and only its brand and last four digits are
//! kept. `payOrder` is idempotent by key, even for concurrent repeats: the first request
//! charges, the others wait for its result (see [`crate::processing`]).

use std::time::Duration;

use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::AppError;

use crate::access;
use crate::attempts;
use crate::card::{Card, CardInput};
use crate::payment::{self, Payment};
use crate::processing::{self, Claim, Claimed};
use crate::providers::{Charge, Outcome, ProviderError};
use crate::state::PaymentsState;
use crate::status::PaymentStatus;
use crate::transitions::{self, outcome_name};
use crate::validate;

#[derive(Debug, Clone, InputObject)]
pub struct PayOrderInput {
    pub order_id: ID,
    pub card: CardInput,
    /// Repeating a key returns the first attempt's result; the card is charged once.
    pub idempotency_key: String,
}

#[derive(Default)]
pub struct PayMutation;

#[Object]
impl PayMutation {
    /// Pays the order's payment by card (the order's customer, or a guest sending the order's
    /// `X-Order-Token`). The result may be CAPTURED (or AUTHORIZED with manual capture),
    /// FAILED with a `declineCode`, or REQUIRES_ACTION (see `nextAction`).
    async fn pay_order(&self, ctx: &Context<'_>, input: PayOrderInput) -> Result<Payment> {
        let card = Card::parse("input.card", &input.card)?;
        let order_id = validate::key("input.orderId", &input.order_id)?;
        let key = validate::key("input.idempotencyKey", &input.idempotency_key)?;
        let state = PaymentsState::of(ctx);
        let payment = payment::for_order(&state.svc.db, &order_id)
            .await?
            .ok_or_else(|| AppError::not_found("input.orderId: the order has no payment"))?;
        access::check(ctx, &payment)?;
        Ok(pay(state, &payment, &card, &key).await?)
    }

    /// Completes a REQUIRES_ACTION payment with the code the shopper received (same access as
    /// payOrder). A wrong code fails the payment.
    async fn confirm_payment(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
        code: String,
    ) -> Result<Payment> {
        let payment_id = validate::key("paymentId", &payment_id)?;
        let code = validate::text("code", &code, 64)?;
        let state = PaymentsState::of(ctx);
        let payment = payment::by_id(&state.svc.db, &payment_id)
            .await?
            .ok_or_else(|| AppError::not_found("paymentId: no such payment"))?;
        access::check(ctx, &payment)?;
        Ok(confirm(state, &payment, &code).await?)
    }
}

fn patience(state: &PaymentsState) -> Duration {
    state.settings.attempt_lease + state.settings.provider_timeout
}

async fn reload(state: &PaymentsState, payment: &Payment) -> Result<Payment, AppError> {
    Ok(payment::by_id(&state.svc.db, &payment.id)
        .await?
        .unwrap_or_else(|| payment.clone()))
}

async fn pay(
    state: &PaymentsState,
    payment: &Payment,
    card: &Card,
    key: &str,
) -> Result<Payment, AppError> {
    let db = &state.svc.db;
    if attempts::outcome_by_key(db, &payment.id, key)
        .await?
        .is_some()
    {
        attempts::await_settled(db, &payment.id, key, patience(state)).await?;
        return reload(state, payment).await;
    }
    let provider = state.providers.charging();
    let summary = card.summary();
    let claim = Claim {
        kind: "AUTHORIZE",
        provider: provider.name(),
        from: &[PaymentStatus::RequiresPaymentMethod],
        idempotency_key: Some(key),
        card: Some(&summary),
    };
    let attempt = match processing::claim(&state.svc, payment, &claim, state.lease_ms()).await? {
        Claimed::Ours(attempt) => attempt,
        Claimed::Repeated => {
            attempts::await_settled(db, &payment.id, key, patience(state)).await?;
            return reload(state, payment).await;
        }
    };
    let charge = Charge {
        payment_id: &payment.id,
        order_id: &payment.order_id,
        reference: &payment.reference,
        email: &payment.email,
        amount: payment.amount,
        card,
        capture: state.settings.capture_mode,
        idempotency_key: &attempt,
    };
    let result = provider.authorize(&charge).await;
    finish(state, payment, &attempt, provider.name(), result).await?;
    reload(state, payment).await
}

async fn confirm(
    state: &PaymentsState,
    payment: &Payment,
    code: &str,
) -> Result<Payment, AppError> {
    match payment.status {
        PaymentStatus::RequiresAction => {}
        // Already through (a repeated confirmation): the payment as it stands.
        s if s == PaymentStatus::Authorized || s.is_captured() => return Ok(payment.clone()),
        _ => {
            return Err(AppError::conflict(
                "the payment is not waiting for a confirmation",
            ))
        }
    }
    let name = payment.provider.as_deref().unwrap_or("test");
    let provider = state
        .providers
        .get(name)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown provider {name}")))?;
    let claim = Claim {
        kind: "CONFIRM",
        provider: name,
        from: &[PaymentStatus::RequiresAction],
        idempotency_key: None,
        card: None,
    };
    let attempt = match processing::claim(&state.svc, payment, &claim, state.lease_ms()).await? {
        Claimed::Ours(attempt) => attempt,
        Claimed::Repeated => return reload(state, payment).await,
    };
    let result = provider
        .confirm(
            &payment.provider_ref(state.settings.capture_mode, &attempt),
            code,
        )
        .await;
    finish(state, payment, &attempt, name, result).await?;
    reload(state, payment).await
}

/// Settles an authorize/confirm/capture attempt with the provider's answer.
pub async fn finish(
    state: &PaymentsState,
    payment: &Payment,
    attempt: &str,
    provider: &str,
    result: Result<Outcome, ProviderError>,
) -> Result<(), AppError> {
    match result {
        Ok(outcome) => {
            let (reference, decline) = match &outcome {
                Outcome::Authorized { provider_reference }
                | Outcome::Captured { provider_reference } => {
                    (Some(provider_reference.as_str()), None)
                }
                Outcome::RequiresAction {
                    provider_reference, ..
                } => (provider_reference.as_deref(), None),
                Outcome::Declined {
                    provider_reference,
                    decline_code,
                    ..
                } => (provider_reference.as_deref(), Some(decline_code.as_str())),
            };
            let mv = transitions::for_outcome(provider, &outcome, payment.amount.minor);
            processing::settle(
                &state.svc,
                &payment.id,
                attempt,
                outcome_name(&outcome),
                reference,
                decline,
                Some(&mv),
            )
            .await
        }
        Err(err) => {
            processing::settle(&state.svc, &payment.id, attempt, "ERROR", None, None, None).await?;
            Err(err.into())
        }
    }
}
