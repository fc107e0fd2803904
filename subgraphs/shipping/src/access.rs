//! Who may read a shipment: staff; the order's customer (the `customerId` of `order.paid`);
//! for a guest order, whoever presents header `X-Order-Token` whose SHA-256 hex is the order's
//! `orderTokenHash`. A guest order whose event carried no hash is for staff only. Anyone else
//! gets `FORBIDDEN` when signed in, `UNAUTHENTICATED` when not.

use async_graphql::Context;
use kit::auth::optional_caller;
use kit::server::RequestMeta;
use kit::AppError;

use crate::shipment::Shipment;

pub const ORDER_TOKEN_HEADER: &str = "x-order-token";

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hash of the order token this request presents, if any.
fn presented(ctx: &Context<'_>) -> Option<String> {
    let token = ctx
        .data_opt::<RequestMeta>()?
        .header(ORDER_TOKEN_HEADER)?
        .trim();
    (!token.is_empty()).then(|| sha256_hex(token.as_bytes()))
}

/// Whether the request may read `shipment`.
pub fn may_read(ctx: &Context<'_>, shipment: &Shipment) -> bool {
    if let Some(caller) = optional_caller(ctx) {
        if caller.is_staff() || shipment.customer_id.as_deref() == Some(caller.user_id.as_str()) {
            return true;
        }
    }
    // Comparing digests: timing reveals nothing an attacker can steer towards the token.
    match (&shipment.order_token_hash, presented(ctx)) {
        (Some(expected), Some(given)) => *expected == given,
        _ => false,
    }
}

/// `Ok` when the request may read every one of `shipments`.
pub fn require(ctx: &Context<'_>, shipments: &[Shipment]) -> Result<(), AppError> {
    if shipments.iter().all(|s| may_read(ctx, s)) {
        Ok(())
    } else if optional_caller(ctx).is_some() {
        Err(AppError::forbidden(
            "this order's shipments belong to another customer",
        ))
    } else {
        Err(AppError::unauthenticated(
            "sign in, or present the order's X-Order-Token",
        ))
    }
}
