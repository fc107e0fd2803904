//! Who may see an order: its customer, staff, or a guest presenting the order's token. Anyone
//! else is told it does not exist (`NOT_FOUND` / null), so order ids and numbers cannot be
//! probed.

use async_graphql::Context;
use kit::auth::{optional_caller, Caller};

use crate::token;
use crate::view::OrderView;

/// Whether `caller`, presenting a token with hash `token_hash`, may read `order`.
pub fn may_read(caller: Option<&Caller>, token_hash: Option<&str>, order: &OrderView) -> bool {
    caller.is_some_and(Caller::is_staff) || owns(caller, token_hash, order)
}

/// Whether they are the order's own shopper (the customer, or the guest with its token).
pub fn owns(caller: Option<&Caller>, token_hash: Option<&str>, order: &OrderView) -> bool {
    match &order.customer_id {
        Some(customer) => caller.is_some_and(|c| &c.user_id == customer),
        None => token_hash.is_some_and(|h| order.token_hash.as_deref() == Some(h)),
    }
}

/// Whether the current request may read `order`.
pub fn readable(ctx: &Context<'_>, order: &OrderView) -> bool {
    may_read(
        optional_caller(ctx),
        token::presented(ctx).as_deref(),
        order,
    )
}
