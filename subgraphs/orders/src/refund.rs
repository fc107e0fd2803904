//! `refundOrder` (staff): gives money back through payments' `refundPayment`, called as the
//! service. The order does not move here: it becomes REFUNDED or PARTIALLY_REFUNDED when
//! `payment.refunded` arrives (see `consumers`).

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::money::{Money, MoneyInput};
use kit::remote::Credentials;
use kit::AppError;
use serde_json::json;

use crate::order::{Order, OrdersById};
use crate::remotes::{money_input, Remotes};
use crate::status::{possible, OrderStatus, Trigger};

const REFUND: &str = "mutation($p: ID!, $a: MoneyInput!, $r: String!, $k: String!) { refundPayment(paymentId: $p, amount: $a, reason: $r, idempotencyKey: $k) { __typename } }";
const MAX_TEXT: usize = 500;

#[derive(Default)]
pub struct RefundMutation;

#[Object]
impl RefundMutation {
    /// Refunds `amount` of a paid order (what is left to refund when omitted). Staff only.
    /// The order becomes REFUNDED / PARTIALLY_REFUNDED once payments reports the refund.
    /// Repeating `idempotencyKey` refunds once.
    #[graphql(requires_scopes = "staff")]
    async fn refund_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        amount: Option<MoneyInput>,
        reason: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<Order> {
        require_role(ctx, Role::Staff)?;
        let order = ctx
            .data_unchecked::<DataLoader<OrdersById>>()
            .load_one(id.to_string())
            .await?
            .ok_or_else(|| AppError::not_found("id: no such order"))?;
        // A cancelled paid order is refunded in full by payments on its own.
        let refundable = order.status != OrderStatus::Cancelled
            && possible(order.status, Trigger::PaymentRefunded);
        let payment_id = match (&order.payment_id, refundable) {
            (Some(p), true) => p.clone(),
            _ => {
                return Err(AppError::conflict(format!(
                    "order {} is {}; only a paid order can be refunded",
                    order.number,
                    order.status.as_str()
                ))
                .into())
            }
        };
        let left = order.total - order.refunded_total;
        let amount = match amount {
            Some(input) => {
                let m = input.parse("amount")?;
                if m.currency.code() != order.currency {
                    return Err(AppError::bad_input(
                        "amount.currencyCode",
                        format!("the order is in {}", order.currency),
                    )
                    .into());
                }
                if m.minor == 0 || m.minor > left {
                    return Err(AppError::bad_input(
                        "amount.amount",
                        format!(
                            "must be more than zero and at most {} (not yet refunded)",
                            order.money(left)?.amount_string()
                        ),
                    )
                    .into());
                }
                m
            }
            None => Money::from_stored(left, &order.currency)?,
        };
        let text = |field: &str, raw: Option<String>, default: String| {
            let v = raw.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
            match v {
                Some(v) if v.chars().count() > MAX_TEXT => Err(AppError::bad_input(
                    field,
                    format!("must be at most {MAX_TEXT} characters"),
                )),
                Some(v) => Ok(v),
                None => Ok(default),
            }
        };
        let reason = text("reason", reason, "requested by staff".into())?;
        let key = text("idempotencyKey", idempotency_key, kit::ids::new_id())?;
        ctx.data_unchecked::<Remotes>()
            .payments
            .call(
                REFUND,
                json!({
                    "p": payment_id,
                    "a": money_input(amount),
                    "r": reason,
                    "k": format!("order-refund:{}:{key}", order.id),
                }),
                Credentials::Service,
            )
            .await?;
        Ok(Order(order))
    }
}
