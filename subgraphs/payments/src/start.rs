//! The checkout's calls (staff/service only, see docs/checkout.md): `startPayment` creates an
//! order's payment in REQUIRES_PAYMENT_METHOD — the same idempotency key returns the same
//! payment, and an order has at most one live payment (the unique `live_order_id`) — and
//! `cancelPayment(orderId)` voids it before capture (checkout compensation).

use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis};
use kit::money::MoneyInput;
use kit::AppError;

use crate::payment::{self, Payment};
use crate::reference;
use crate::state::PaymentsState;
use crate::{validate, voiding};

#[derive(Debug, Clone, InputObject)]
pub struct StartPaymentInput {
    pub order_id: ID,
    pub amount: MoneyInput,
    /// The order's customer; null for a guest order.
    pub customer_id: Option<ID>,
    pub email: String,
    /// SHA-256 hex of a guest order's token: whoever sends the token in `X-Order-Token` may pay.
    pub order_token_hash: Option<String>,
    /// Repeating a key returns the first payment.
    pub idempotency_key: String,
}

struct Request {
    order_id: String,
    amount: kit::money::Money,
    customer_id: Option<String>,
    email: String,
    order_token_hash: Option<String>,
    key: String,
}

fn parse(input: &StartPaymentInput) -> Result<Request, AppError> {
    Ok(Request {
        order_id: validate::key("input.orderId", &input.order_id)?,
        amount: validate::positive("input.amount", &input.amount)?,
        customer_id: input
            .customer_id
            .as_deref()
            .map(|c| validate::key("input.customerId", c))
            .transpose()?,
        email: validate::email("input.email", &input.email)?,
        order_token_hash: input
            .order_token_hash
            .as_deref()
            .map(|h| validate::sha256_hex("input.orderTokenHash", h))
            .transpose()?,
        key: validate::key("input.idempotencyKey", &input.idempotency_key)?,
    })
}

#[derive(Default)]
pub struct StartMutation;

#[Object]
impl StartMutation {
    /// Creates the order's payment in REQUIRES_PAYMENT_METHOD (staff/service only). The same
    /// idempotencyKey returns the same payment; another live payment for the order is a
    /// CONFLICT.
    #[graphql(requires_scopes = "staff")]
    async fn start_payment(&self, ctx: &Context<'_>, input: StartPaymentInput) -> Result<Payment> {
        require_role(ctx, Role::Staff)?;
        let request = parse(&input)?;
        Ok(start(PaymentsState::of(ctx), &request).await?)
    }

    /// Voids the order's payment before capture (staff/service only; checkout compensation).
    /// Null when the order has no payment; a captured payment is a CONFLICT (refund it).
    #[graphql(requires_scopes = "staff")]
    async fn cancel_payment(&self, ctx: &Context<'_>, order_id: ID) -> Result<Option<Payment>> {
        require_role(ctx, Role::Staff)?;
        let order_id = validate::key("orderId", &order_id)?;
        let state = PaymentsState::of(ctx);
        let Some(payment) = payment::for_order(&state.svc.db, &order_id).await? else {
            return Ok(None);
        };
        Ok(Some(voiding::void(state, &payment).await?))
    }
}

/// The first payment of `request.key`, if it is for the same order.
async fn repeated(state: &PaymentsState, request: &Request) -> Result<Option<Payment>, AppError> {
    match payment::by_key(&state.svc.db, &request.key).await? {
        Some(first) if first.order_id == request.order_id => Ok(Some(first)),
        Some(_) => Err(AppError::bad_input_because(
            "input.idempotencyKey",
            "KEY_REUSED",
            "was already used for another order",
        )),
        None => Ok(None),
    }
}

async fn start(state: &PaymentsState, request: &Request) -> Result<Payment, AppError> {
    if let Some(first) = repeated(state, request).await? {
        return Ok(first);
    }
    // A reference code collision (one in 10^12) just draws again.
    for _ in 0..3 {
        let id = new_id();
        let now = now_millis();
        let inserted = sqlx::query(
            "INSERT INTO payments (id, order_id, live_order_id, idempotency_key, customer_id, \
               email, order_token_hash, amount, currency, status, reference, created_at, \
               updated_at) \
             VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, 'REQUIRES_PAYMENT_METHOD', $9, $10, $10)",
        )
        .bind(&id)
        .bind(&request.order_id)
        .bind(&request.key)
        .bind(&request.customer_id)
        .bind(&request.email)
        .bind(&request.order_token_hash)
        .bind(request.amount.minor)
        .bind(request.amount.currency.code())
        .bind(reference::generate())
        .bind(now)
        .execute(state.svc.db.pool())
        .await;
        match inserted {
            Ok(_) => {
                return payment::by_id(&state.svc.db, &id)
                    .await?
                    .ok_or_else(|| AppError::internal(anyhow::anyhow!("payment {id} vanished")))
            }
            Err(err) if is_unique_violation(&err) => {
                if let Some(first) = repeated(state, request).await? {
                    return Ok(first);
                }
                if let Some(live) = payment::for_order(&state.svc.db, &request.order_id).await? {
                    if !live.status.is_dead() {
                        return Err(AppError::conflict(format!(
                            "input.orderId: order {} already has a live payment {}",
                            request.order_id, live.id
                        )));
                    }
                }
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "could not draw a unique payment reference"
    )))
}
