//! `cancelOrder`: the shopper (the customer, or a guest with `X-Order-Token`) or staff
//! cancels an order before it ships. The move is checked against the state machine (a shipped
//! order is a `CONFLICT`); `order.cancelled` then releases the stock and coupon use, and
//! payments voids or refunds the payment.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::{optional_caller, Caller};
use kit::schema::service;
use kit::AppError;

use crate::access;
use crate::order::{Order, OrdersById};
use crate::status::{OrderStatus, Trigger};
use crate::token;
use crate::transition::{self, Move};

const MAX_NOTE: usize = 500;

#[derive(Default)]
pub struct CancelMutation;

#[Object]
impl CancelMutation {
    /// Cancels an order that has not shipped yet. Its customer, its guest (with
    /// `X-Order-Token`) or staff; `reason` is a free-text note kept in the history.
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> Result<Order> {
        let svc = service(ctx);
        let note = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) if r.chars().count() > MAX_NOTE => {
                return Err(AppError::bad_input(
                    "reason",
                    format!("must be at most {MAX_NOTE} characters"),
                )
                .into())
            }
            other => other.map(str::to_string),
        };
        let order = ctx
            .data_unchecked::<DataLoader<OrdersById>>()
            .load_one(id.to_string())
            .await?
            .ok_or_else(|| AppError::not_found("id: no such order"))?;
        let caller = optional_caller(ctx);
        let presented = token::presented(ctx);
        let (actor, why) = if access::owns(caller, presented.as_deref(), &order) {
            (
                caller.map_or("guest".to_string(), |c| c.user_id.clone()),
                Trigger::Customer,
            )
        } else if caller.is_some_and(Caller::is_staff) {
            (
                caller.map(|c| c.user_id.clone()).unwrap_or_default(),
                Trigger::Staff,
            )
        } else {
            return Err(AppError::not_found("id: no such order").into());
        };
        let mut mv = Move::new(OrderStatus::Cancelled, &actor, why);
        mv.note = note;
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let moved = transition::apply(svc, &mut tx, &order.id, mv)
            .await?
            .into_result(OrderStatus::Cancelled)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(Order::new(moved))
    }
}
