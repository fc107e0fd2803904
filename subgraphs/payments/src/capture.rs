//! Staff `capturePayment(paymentId)`: takes the money of an AUTHORIZED payment (with
//! `CAPTURE_MODE=manual`; automatic capture needs no call). Capturing a captured payment
//! returns it unchanged.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::AppError;

use crate::paying::finish;
use crate::payment::{self, Payment};
use crate::processing::{self, Claim, Claimed};
use crate::state::PaymentsState;
use crate::status::PaymentStatus;
use crate::validate;

#[derive(Default)]
pub struct CaptureMutation;

#[Object]
impl CaptureMutation {
    /// Captures an AUTHORIZED payment in full. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn capture_payment(&self, ctx: &Context<'_>, payment_id: ID) -> Result<Payment> {
        require_role(ctx, Role::Staff)?;
        let payment_id = validate::key("paymentId", &payment_id)?;
        let state = PaymentsState::of(ctx);
        let payment = payment::by_id(&state.svc.db, &payment_id)
            .await?
            .ok_or_else(|| AppError::not_found("paymentId: no such payment"))?;
        Ok(capture(state, &payment).await?)
    }
}

async fn capture(state: &PaymentsState, payment: &Payment) -> Result<Payment, AppError> {
    if payment.status.is_captured() {
        return Ok(payment.clone());
    }
    let name = payment.provider.as_deref().unwrap_or("test");
    let provider = state
        .providers
        .get(name)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown provider {name}")))?;
    let claim = Claim {
        kind: "CAPTURE",
        provider: name,
        from: &[PaymentStatus::Authorized],
        idempotency_key: None,
        card: None,
    };
    let attempt = match processing::claim(&state.svc, payment, &claim, state.lease_ms()).await? {
        Claimed::Ours(attempt) => attempt,
        Claimed::Repeated => return Ok(payment.clone()),
    };
    let result = provider
        .capture(&payment.provider_ref(state.settings.capture_mode, &attempt))
        .await;
    finish(state, payment, &attempt, name, result).await?;
    Ok(payment::by_id(&state.svc.db, &payment.id)
        .await?
        .unwrap_or_else(|| payment.clone()))
}
