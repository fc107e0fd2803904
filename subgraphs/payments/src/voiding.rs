//! Voiding a payment that has taken no money (cancelPayment, order.cancelled): the provider
//! releases any authorization, then the payment becomes VOIDED and `payment.voided` goes out.
//! Voiding a failed or voided payment is a no-op; a captured one must be refunded instead.

use kit::AppError;

use crate::payment::{self, Payment};
use crate::processing::{self, Claim, Claimed};
use crate::state::PaymentsState;
use crate::status::PaymentStatus;
use crate::transitions::Move;

const VOIDABLE: [PaymentStatus; 3] = [
    PaymentStatus::RequiresPaymentMethod,
    PaymentStatus::RequiresAction,
    PaymentStatus::Authorized,
];

pub async fn void(state: &PaymentsState, payment: &Payment) -> Result<Payment, AppError> {
    if payment.status.is_dead() {
        return Ok(payment.clone());
    }
    if payment.status.is_captured() {
        return Err(AppError::conflict(
            "the payment has been captured; refund it instead",
        ));
    }
    let svc = &state.svc;
    let provider_name = payment
        .provider
        .clone()
        .unwrap_or_else(|| state.providers.charging().name().to_string());
    let claim = Claim {
        kind: "VOID",
        provider: &provider_name,
        from: &VOIDABLE,
        idempotency_key: None,
        card: None,
    };
    let attempt = match processing::claim(svc, payment, &claim, state.lease_ms()).await? {
        Claimed::Ours(attempt) => attempt,
        // Voids carry no idempotency key, so none can repeat; answer with the payment as is.
        Claimed::Repeated => return Ok(payment.clone()),
    };
    let called = match (&payment.provider, state.providers.get(&provider_name)) {
        (Some(_), Some(provider)) => {
            provider
                .void(&payment.provider_ref(state.settings.capture_mode, &attempt))
                .await
        }
        // Never reached a provider: nothing to release.
        _ => Ok(()),
    };
    match called {
        Ok(()) => {
            processing::settle(
                svc,
                &payment.id,
                &attempt,
                "VOIDED",
                None,
                None,
                Some(&Move::Void),
            )
            .await?
        }
        Err(err) => {
            processing::settle(svc, &payment.id, &attempt, "ERROR", None, None, None).await?;
            return Err(err.into());
        }
    }
    Ok(payment::by_id(&svc.db, &payment.id)
        .await?
        .unwrap_or_else(|| payment.clone()))
}
