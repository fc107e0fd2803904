//! The embedded test provider (`PAYMENT_PROVIDER=test`, the default): no network, outcomes
//! decided by the card number as with the well-known test cards —
//! `4242424242424242` succeeds, `4000000000000002` is declined (`card_declined`),
//! `4000000000009995` has insufficient funds (`insufficient_funds`), `4000002500003155` needs a
//! confirmation code (`000000` passes, anything else fails with `authentication_failed`); any
//! other valid card succeeds. Refunds and voids always succeed. It receives no webhooks.

use axum::http::HeaderMap;

use super::{
    Charge, NextAction, Outcome, PaymentRef, Provider, ProviderError, RefundOutcome, RefundRequest,
    WebhookError, WebhookEvent,
};
use crate::settings::CaptureMode;

pub const SUCCEEDS: &str = "4242424242424242";
pub const DECLINED: &str = "4000000000000002";
pub const INSUFFICIENT_FUNDS: &str = "4000000000009995";
pub const REQUIRES_CONFIRMATION: &str = "4000002500003155";
/// The code that passes the confirmation step.
pub const CONFIRMATION_CODE: &str = "000000";

pub struct TestProvider;

fn reference(payment_id: &str) -> String {
    format!("test_{payment_id}")
}

fn approved(payment_id: &str, capture: CaptureMode) -> Outcome {
    let provider_reference = reference(payment_id);
    match capture {
        CaptureMode::Automatic => Outcome::Captured { provider_reference },
        CaptureMode::Manual => Outcome::Authorized { provider_reference },
    }
}

fn declined(payment_id: &str, code: &str, message: &str) -> Outcome {
    Outcome::Declined {
        provider_reference: Some(reference(payment_id)),
        decline_code: code.into(),
        message: message.into(),
    }
}

#[async_trait::async_trait]
impl Provider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }

    async fn authorize(&self, charge: &Charge<'_>) -> Result<Outcome, ProviderError> {
        Ok(match charge.card.number() {
            DECLINED => declined(charge.payment_id, "card_declined", "the card was declined"),
            INSUFFICIENT_FUNDS => declined(
                charge.payment_id,
                "insufficient_funds",
                "the card has insufficient funds",
            ),
            REQUIRES_CONFIRMATION => Outcome::RequiresAction {
                provider_reference: Some(reference(charge.payment_id)),
                next_action: NextAction::ConfirmationCode,
            },
            _ => approved(charge.payment_id, charge.capture),
        })
    }

    async fn confirm(
        &self,
        payment: &PaymentRef<'_>,
        code: &str,
    ) -> Result<Outcome, ProviderError> {
        Ok(if code.trim() == CONFIRMATION_CODE {
            approved(payment.payment_id, payment.capture)
        } else {
            declined(
                payment.payment_id,
                "authentication_failed",
                "the confirmation code was wrong",
            )
        })
    }

    async fn capture(&self, payment: &PaymentRef<'_>) -> Result<Outcome, ProviderError> {
        Ok(Outcome::Captured {
            provider_reference: reference(payment.payment_id),
        })
    }

    async fn void(&self, _payment: &PaymentRef<'_>) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn refund(&self, refund: &RefundRequest<'_>) -> Result<RefundOutcome, ProviderError> {
        Ok(RefundOutcome::Succeeded {
            provider_reference: Some(format!("test_re_{}", refund.refund_id)),
        })
    }

    fn verify_webhook(
        &self,
        _headers: &HeaderMap,
        _body: &[u8],
        _now: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        // Nothing outside this process speaks for the test provider.
        Err(WebhookError::NotConfigured)
    }
}
