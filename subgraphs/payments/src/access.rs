//! Who may see or pay a payment: staff; the order's customer (a bearer token whose user id is
//! the payment's `customerId`); or whoever presents the guest order's token in `X-Order-Token`
//! (its SHA-256 hex must equal the `orderTokenHash` the checkout gave `startPayment`).
//! Otherwise `FORBIDDEN` for a caller who showed some credential, `UNAUTHENTICATED` for one who
//! showed none.

use async_graphql::Context;
use kit::auth::optional_caller;
use kit::server::RequestMeta;
use kit::AppError;
use sha2::{Digest, Sha256};

use crate::payment::Payment;
use crate::providers::signature::{hex, secrets_equal};

pub const ORDER_TOKEN_HEADER: &str = "x-order-token";

/// SHA-256 hex of an order token, as `orderTokenHash` carries it.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

fn order_token<'a>(ctx: &'a Context<'_>) -> Option<&'a str> {
    ctx.data_opt::<RequestMeta>()?
        .header(ORDER_TOKEN_HEADER)
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Whether the caller may act on `payment`.
pub fn allowed(ctx: &Context<'_>, payment: &Payment) -> bool {
    if let Some(caller) = optional_caller(ctx) {
        if caller.is_staff() || payment.customer_id.as_deref() == Some(caller.user_id.as_str()) {
            return true;
        }
    }
    match (order_token(ctx), payment.order_token_hash.as_deref()) {
        (Some(token), Some(hash)) => secrets_equal(
            token_hash(token).as_bytes(),
            hash.to_ascii_lowercase().as_bytes(),
        ),
        _ => false,
    }
}

/// `Ok` when allowed, else the error for this caller.
pub fn check(ctx: &Context<'_>, payment: &Payment) -> Result<(), AppError> {
    if allowed(ctx, payment) {
        Ok(())
    } else {
        Err(denied(ctx))
    }
}

/// The error for a caller who may not act on a payment.
pub fn denied(ctx: &Context<'_>) -> AppError {
    if optional_caller(ctx).is_some() || order_token(ctx).is_some() {
        AppError::forbidden("this payment belongs to another order or customer")
    } else {
        AppError::unauthenticated("sign in, or send the order's X-Order-Token")
    }
}
