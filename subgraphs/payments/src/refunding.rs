//! Refunds: staff `refundPayment(paymentId, amount, reason, idempotencyKey)` (full when the
//! amount is omitted), the full refund `order.cancelled` asks for, and refunds a provider
//! reports that were made elsewhere.
//!
//! **Never more than captured, exact under concurrency.** One transaction inserts the PENDING
//! refund (unique per payment and idempotency key) and reserves its amount with
//! `UPDATE payments SET refund_pending = refund_pending + $a WHERE id = $p AND status IN
//! (CAPTURED, PARTIALLY_REFUNDED) AND refunded + refund_pending + $a <= captured`; the affected
//! row count says whether it fit. That UPDATE locks the payment row, and PostgreSQL re-checks
//! the condition against the committed row after the lock wait (SQLite's `BEGIN IMMEDIATE`
//! serialises writers anyway); a CHECK constraint backs it. Then the provider is asked
//! (outside the transaction) and a second transaction moves the amount from pending to
//! refunded — or gives it back when the provider refuses. A PENDING refund whose provider call
//! failed is driven again by repeating its idempotency key (the provider sees the same refund
//! id as its idempotency key).

use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis};
use kit::money::{Money, MoneyInput};
use kit::{AppError, Service, Tx};

use crate::events;
use crate::payment::{self, Payment};
use crate::providers::{RefundOutcome, RefundRequest};
use crate::refund::{self, Refund, RefundStatus};
use crate::state::PaymentsState;
use crate::validate;

#[derive(Default)]
pub struct RefundMutation;

#[Object]
impl RefundMutation {
    /// Refunds `amount` of a captured payment (all that is left when omitted). Staff only.
    /// More than is left to refund is `BAD_USER_INPUT` with reason `EXCEEDS_REFUNDABLE`;
    /// repeating an idempotency key returns the first refund.
    #[graphql(requires_scopes = "staff")]
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        payment_id: ID,
        amount: Option<MoneyInput>,
        reason: Option<String>,
        idempotency_key: String,
    ) -> Result<Refund> {
        require_role(ctx, Role::Staff)?;
        let payment_id = validate::key("paymentId", &payment_id)?;
        let key = validate::key("idempotencyKey", &idempotency_key)?;
        let reason = validate::optional("reason", reason.as_deref(), validate::MAX_REASON)?;
        let amount = amount
            .as_ref()
            .map(|a| validate::positive("amount", a))
            .transpose()?;
        let state = PaymentsState::of(ctx);
        let payment = payment::by_id(&state.svc.db, &payment_id)
            .await?
            .ok_or_else(|| AppError::not_found("paymentId: no such payment"))?;
        Ok(refund(state, &payment, amount, reason.as_deref(), &key).await?)
    }
}

/// Refunds `amount` (or everything left) of `payment` under idempotency key `key`.
pub async fn refund(
    state: &PaymentsState,
    payment: &Payment,
    amount: Option<Money>,
    reason: Option<&str>,
    key: &str,
) -> Result<Refund, AppError> {
    let db = &state.svc.db;
    if let Some(first) = refund::by_key(db, &payment.id, key).await? {
        return drive(state, payment, first).await;
    }
    if !payment.status.is_captured() {
        return Err(AppError::conflict(format!(
            "paymentId: a {} payment has nothing to refund",
            payment.status.as_str()
        )));
    }
    let amount = match amount {
        Some(a) if a.currency != payment.amount.currency => {
            return Err(AppError::bad_input(
                "amount.currencyCode",
                format!(
                    "must be the payment's currency {}",
                    payment.amount.currency.code()
                ),
            ))
        }
        Some(a) => a,
        None if payment.refundable() > 0 => payment.money(payment.refundable()),
        None => return Err(refusal(payment)),
    };
    let id = new_id();
    let now = now_millis();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO refunds (id, payment_id, amount, currency, status, reason, \
           idempotency_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&payment.id)
    .bind(amount.minor)
    .bind(amount.currency.code())
    .bind(reason)
    .bind(key)
    .bind(now)
    .execute(tx.conn())
    .await;
    match inserted {
        Err(err) if is_unique_violation(&err) => {
            drop(tx);
            let first = refund::by_key(db, &payment.id, key)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("refund key vanished")))?;
            return drive(state, payment, first).await;
        }
        Err(err) => return Err(err.into()),
        Ok(_) => {}
    }
    let reserved = sqlx::query(
        "UPDATE payments SET refund_pending = refund_pending + $1, updated_at = $2 \
         WHERE id = $3 AND status IN ('CAPTURED', 'PARTIALLY_REFUNDED') \
           AND refunded + refund_pending + $1 <= captured",
    )
    .bind(amount.minor)
    .bind(now)
    .bind(&payment.id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if reserved != 1 {
        drop(tx);
        let current = payment::by_id(db, &payment.id)
            .await?
            .unwrap_or_else(|| payment.clone());
        return Err(refusal(&current));
    }
    tx.commit().await?;
    let pending = refund::by_id(db, &id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("refund {id} vanished")))?;
    drive(state, payment, pending).await
}

fn refusal(payment: &Payment) -> AppError {
    AppError::bad_input_because(
        "amount",
        "EXCEEDS_REFUNDABLE",
        format!(
            "exceeds what is left to refund ({} {})",
            payment.money(payment.refundable()).amount_string(),
            payment.amount.currency.code()
        ),
    )
}

/// Asks the provider for a PENDING refund and records the answer; a settled refund is returned
/// as it is.
async fn drive(
    state: &PaymentsState,
    payment: &Payment,
    pending: Refund,
) -> Result<Refund, AppError> {
    if pending.status != RefundStatus::Pending {
        return Ok(pending);
    }
    let name = payment.provider.as_deref().unwrap_or("test");
    let provider = state
        .providers
        .get(name)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown provider {name}")))?;
    let request = RefundRequest {
        payment: payment.provider_ref(state.settings.capture_mode, &pending.id),
        refund_id: &pending.id,
        amount: pending.amount,
        reason: pending.reason.as_deref(),
    };
    // An unreachable provider leaves the refund PENDING (reserved) for a retry with the key.
    let outcome = provider.refund(&request).await?;
    let mut tx = state.svc.db.begin().await?;
    let (status, provider_reference) = match &outcome {
        RefundOutcome::Succeeded { provider_reference } => {
            (RefundStatus::Succeeded, provider_reference.as_deref())
        }
        RefundOutcome::Manual => (RefundStatus::Manual, None),
        RefundOutcome::Failed { message } => {
            tracing::warn!(refund = %pending.id, %message, "provider refused a refund");
            (RefundStatus::Failed, None)
        }
    };
    let claimed = sqlx::query(
        "UPDATE refunds SET status = $1, provider_reference = $2, updated_at = $3 \
         WHERE id = $4 AND status = 'PENDING'",
    )
    .bind(status.as_str())
    .bind(provider_reference)
    .bind(now_millis())
    .bind(&pending.id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if claimed == 1 {
        let minor = pending.amount.minor;
        if status == RefundStatus::Failed {
            sqlx::query(
                "UPDATE payments SET refund_pending = refund_pending - $1, updated_at = $2 \
                 WHERE id = $3",
            )
            .bind(minor)
            .bind(now_millis())
            .bind(&payment.id)
            .execute(tx.conn())
            .await?;
        } else {
            let moved = book(&mut tx, &payment.id, minor, true).await?;
            events::refunded(&state.svc, &mut tx, &moved, &pending.id, pending.amount).await?;
        }
    }
    tx.commit().await?;
    refund::by_id(&state.svc.db, &pending.id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("refund vanished")))
}

/// Adds `minor` to the payment's refunded total (from pending when `was_pending`) and sets
/// PARTIALLY_REFUNDED or REFUNDED; returns the payment after.
async fn book(
    tx: &mut Tx,
    payment_id: &str,
    minor: i64,
    was_pending: bool,
) -> Result<Payment, AppError> {
    let release = if was_pending { minor } else { 0 };
    sqlx::query(
        "UPDATE payments SET refunded = refunded + $1, refund_pending = refund_pending - $2, \
           status = CASE WHEN refunded + $1 >= captured THEN 'REFUNDED' \
                         ELSE 'PARTIALLY_REFUNDED' END, \
           updated_at = $3 \
         WHERE id = $4 AND status IN ('CAPTURED', 'PARTIALLY_REFUNDED')",
    )
    .bind(minor)
    .bind(release)
    .bind(now_millis())
    .bind(payment_id)
    .execute(tx.conn())
    .await?;
    payment::in_tx(tx, payment_id).await
}

/// Records a refund the provider reports (made in its dashboard, or reported before ours
/// settled): `total` is the provider's refunded total when `cumulative`, else one refund's
/// amount known by `provider_reference`. Only what this service has not counted yet is
/// recorded, and never more than is left.
pub async fn record_external(
    svc: &Service,
    tx: &mut Tx,
    payment: &Payment,
    amount: i64,
    cumulative: bool,
    provider_reference: Option<&str>,
    key: &str,
) -> Result<&'static str, AppError> {
    if !payment.status.is_captured() {
        return Ok("NOT_CAPTURED");
    }
    if !cumulative {
        if let Some(reference) = provider_reference {
            if refund::known_in(tx, &payment.id, reference).await? {
                return Ok("KNOWN");
            }
        }
    }
    let counted = payment.refunded + payment.refund_pending;
    let new = if cumulative { amount - counted } else { amount };
    let new = new.min(payment.captured - counted);
    if new <= 0 {
        return Ok("KNOWN");
    }
    let id = new_id();
    let now = now_millis();
    sqlx::query(
        "INSERT INTO refunds (id, payment_id, amount, currency, status, reason, \
           idempotency_key, provider_reference, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'SUCCEEDED', 'reported by the provider', $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&payment.id)
    .bind(new)
    .bind(payment.amount.currency.code())
    .bind(key)
    .bind(provider_reference)
    .bind(now)
    .execute(tx.conn())
    .await?;
    let moved = book(tx, &payment.id, new, false).await?;
    events::refunded(svc, tx, &moved, &id, payment.money(new)).await?;
    Ok("REFUNDED")
}
