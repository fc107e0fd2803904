//! `applyCoupon` and `removeCoupon`: a shopper puts a code on their cart or takes it off. The
//! cart is read from the cart subgraph as the caller (so cart decides who may touch it), must
//! be ACTIVE, and the coupon must be valid for it now; the reasons it may not be are listed in
//! `eligibility`. A cart holds at most one coupon: applying another replaces it. A guest's
//! coupon follows its lines into the customer's cart at sign-in (`cart.merged`), unless that
//! cart has a coupon of its own, which wins.

use async_graphql::{Context, Object, Result, ID};
use kit::events::Event;
use kit::ids::{now_millis, parse_id};
use kit::schema::service;
use kit::server::RequestMeta;
use kit::{AppError, Tx};

use crate::cart::Cart;
use crate::cart_client::{CartClient, CartSnapshot};
use crate::coupon;
use crate::eligibility::Reason;
use crate::{pricing, usage, validate};

#[derive(Default)]
pub struct ApplyMutation;

#[Object]
impl ApplyMutation {
    /// Applies a coupon code (any case) to a cart, replacing any coupon it had. The caller
    /// must be able to see the cart (its customer, or a guest with the `X-Cart-Token`).
    /// A code that cannot apply is `BAD_USER_INPUT` on `code` with `extensions.reason`:
    /// UNKNOWN_CODE, INACTIVE, NOT_STARTED, EXPIRED, EXHAUSTED, CUSTOMER_LIMIT,
    /// BELOW_MINIMUM, OUT_OF_SCOPE or CURRENCY_MISMATCH.
    async fn apply_coupon(&self, ctx: &Context<'_>, cart_id: ID, code: String) -> Result<Cart> {
        let cart_id = parse_id("cartId", &cart_id)?;
        let svc = service(ctx);
        let cart = active_cart(ctx, &cart_id).await?;
        let code = validate::code("code", &code).map_err(|_| Reason::UnknownCode.error(None))?;
        let coupon = coupon::by_code(&svc.db, &code)
            .await?
            .ok_or_else(|| Reason::UnknownCode.error(None))?;
        let customer_uses = match &cart.customer_id {
            Some(customer) if coupon.per_customer_limit.is_some() => {
                Some(usage::customer_uses(&svc.db, &coupon.id, Some(customer), None).await?)
            }
            _ => None,
        };
        pricing::check_coupon(&svc.db, &cart.basket, &coupon, customer_uses).await?;
        sqlx::query(
            "INSERT INTO cart_coupons (cart_id, coupon_id, applied_at) VALUES ($1, $2, $3) \
             ON CONFLICT (cart_id) DO UPDATE SET coupon_id = excluded.coupon_id, \
             applied_at = excluded.applied_at",
        )
        .bind(&cart_id)
        .bind(&coupon.id)
        .bind(now_millis())
        .execute(svc.db.pool())
        .await
        .map_err(AppError::from)?;
        Ok(Cart::reference(cart_id))
    }

    /// Takes the coupon off a cart (harmless when it has none). Same access as applying.
    async fn remove_coupon(&self, ctx: &Context<'_>, cart_id: ID) -> Result<Cart> {
        let cart_id = parse_id("cartId", &cart_id)?;
        active_cart(ctx, &cart_id).await?;
        sqlx::query("DELETE FROM cart_coupons WHERE cart_id = $1")
            .bind(&cart_id)
            .execute(service(ctx).db.pool())
            .await
            .map_err(AppError::from)?;
        Ok(Cart::reference(cart_id))
    }
}

/// Keeps applied coupons in step with cart's lifecycle events: `cart.merged` (subject and
/// `cartId` the customer's cart, `guestCartId` the closed guest cart) moves the guest cart's
/// coupon over unless the customer's cart has one; `cart.abandoned` forgets a removed cart's.
pub async fn follow_cart(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let text = |key: &str| event.data[key].as_str().filter(|s| !s.is_empty());
    let Some(cart) = text("cartId").or(event.subject.as_deref()) else {
        tracing::warn!(event = %event.id, "cart event without cartId; ignored");
        return Ok(());
    };
    if event.event_type == "cart.merged" {
        if let Some(guest) = text("guestCartId") {
            sqlx::query(
                "INSERT INTO cart_coupons (cart_id, coupon_id, applied_at) \
                 SELECT $1, coupon_id, applied_at FROM cart_coupons WHERE cart_id = $2 \
                 ON CONFLICT (cart_id) DO NOTHING",
            )
            .bind(cart)
            .bind(guest)
            .execute(tx.conn())
            .await?;
            forget(tx, guest).await?;
        }
    } else {
        forget(tx, cart).await?;
    }
    Ok(())
}

async fn forget(tx: &mut Tx, cart: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM cart_coupons WHERE cart_id = $1")
        .bind(cart)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The cart as the caller may see it; `CONFLICT` unless it is still being shopped.
async fn active_cart(ctx: &Context<'_>, cart_id: &str) -> Result<CartSnapshot, AppError> {
    let client = ctx.data_unchecked::<CartClient>();
    let cart = client.fetch(cart_id, ctx.data_opt::<RequestMeta>()).await?;
    if cart.status != "ACTIVE" {
        return Err(AppError::conflict(format!(
            "cartId: cart is {}, coupons can change only on an active cart",
            cart.status
        )));
    }
    Ok(cart)
}
