//! Holding a coupon use for an order — the operation the checkout calls (with service/staff
//! credentials) when it places an order with a coupon:
//!
//! `holdCouponUse(input: {code, orderId, customerId, email, currencyCode, subtotal,
//! pricingLines, idempotencyKey})` validates the code against the order's snapshot exactly as
//! `applyCoupon` does (same `extensions.reason` values), computes the coupon's discount after
//! the running promotions, and holds one use. The use is then redeemed by `order.paid` or
//! given back by `order.cancelled` / `releaseCouponUse(orderId)` (see `usage`).
//!
//! **Exact under concurrency.** One transaction inserts the `coupon_uses` row (unique order id
//! and unique idempotency key), then takes the use with a conditional
//! `UPDATE coupons SET uses = uses + 1 WHERE id = $1 AND (usage_limit IS NULL OR uses <
//! usage_limit)` whose affected-row count says whether one was left; that UPDATE locks the
//! coupon row, so the per-customer count that follows it is exact on PostgreSQL READ
//! COMMITTED too (SQLite's `BEGIN IMMEDIATE` serialises writers anyway). A racer repeating an
//! idempotency key blocks on the unique key until the first commits, then answers with the
//! first hold.

use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis};
use kit::money::{Money, MoneyInput};
use kit::schema::service;
use kit::{AppError, Service};
use serde_json::json;

use crate::coupon::{self, Coupon};
use crate::eligibility::Reason;
use crate::engine::Basket;
use crate::hold::{self, CouponHold, HoldStatus};
use crate::snapshot::{CartPricingLineInput, RawCart};
use crate::{pricing, usage, validate};

const MAX_KEY: usize = 200;
const MAX_EMAIL: usize = 254;

#[derive(Debug, Clone, InputObject)]
pub struct HoldCouponUseInput {
    pub code: String,
    pub order_id: ID,
    pub customer_id: Option<ID>,
    /// For guests: the per-customer limit counts uses by email.
    pub email: Option<String>,
    pub currency_code: String,
    pub subtotal: MoneyInput,
    pub pricing_lines: Vec<CartPricingLineInput>,
    /// Repeating a key returns the first hold.
    pub idempotency_key: String,
}

/// A validated hold request.
struct Request {
    code: String,
    order_id: String,
    customer_id: Option<String>,
    email: Option<String>,
    basket: Basket,
    key: String,
}

fn parse(input: &HoldCouponUseInput) -> Result<Request, AppError> {
    let key = validate::text("input.idempotencyKey", &input.idempotency_key, MAX_KEY)?;
    let order_id = validate::text("input.orderId", &input.order_id, MAX_KEY)?;
    let customer_id = input
        .customer_id
        .as_deref()
        .map(|c| validate::text("input.customerId", c, MAX_KEY))
        .transpose()?;
    let email = input
        .email
        .as_deref()
        .map(|e| validate::text("input.email", e, MAX_EMAIL).map(|e| e.to_lowercase()))
        .transpose()?;
    let basket = RawCart {
        currency_code: &input.currency_code,
        subtotal: &input.subtotal,
        lines: &input.pricing_lines,
    }
    .basket("input")?;
    // A code that cannot exist is simply unknown.
    let code = validate::code("code", &input.code).map_err(|_| Reason::UnknownCode.error(None))?;
    Ok(Request {
        code,
        order_id,
        customer_id,
        email,
        basket,
        key,
    })
}

#[derive(Default)]
pub struct HoldQuery;

#[Object]
impl HoldQuery {
    /// The coupon use an order holds (in any status), if any. Staff/service only.
    #[graphql(requires_scopes = "staff")]
    async fn coupon_hold(&self, ctx: &Context<'_>, order_id: ID) -> Result<Option<CouponHold>> {
        require_role(ctx, Role::Staff)?;
        let order_id = validate::text("orderId", &order_id, MAX_KEY)?;
        Ok(hold::by_order(&service(ctx).db, &order_id).await?)
    }
}

#[derive(Default)]
pub struct HoldMutation;

#[Object]
impl HoldMutation {
    /// Holds one use of a coupon for an order (the checkout calls this; staff/service only).
    /// Validates like `applyCoupon` (same `extensions.reason` values), computes the coupon's
    /// discount for the snapshot after promotions, and takes a use atomically: with a usage
    /// limit of N, exactly N concurrent holds succeed and the rest get `EXHAUSTED`. Repeating
    /// an idempotency key returns the first hold; another hold for the same order is a
    /// `CONFLICT`.
    #[graphql(requires_scopes = "staff")]
    async fn hold_coupon_use(
        &self,
        ctx: &Context<'_>,
        input: HoldCouponUseInput,
    ) -> Result<CouponHold> {
        require_role(ctx, Role::Staff)?;
        let request = parse(&input)?;
        Ok(hold_use(service(ctx), &request).await?)
    }

    /// Gives an order's coupon use back (the checkout's compensation when placing the order
    /// fails). Staff/service only. Null when the order holds no use; releasing twice is
    /// harmless.
    #[graphql(requires_scopes = "staff")]
    async fn release_coupon_use(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<Option<CouponHold>> {
        require_role(ctx, Role::Staff)?;
        let order_id = validate::text("orderId", &order_id, MAX_KEY)?;
        let svc = service(ctx);
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        usage::release(svc, &mut tx, &order_id).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(hold::by_order(&svc.db, &order_id).await?)
    }
}

async fn hold_use(svc: &Service, request: &Request) -> Result<CouponHold, AppError> {
    if let Some(first) = hold::by_key(&svc.db, &request.key).await? {
        return Ok(first);
    }
    let coupon = coupon::by_code(&svc.db, &request.code)
        .await?
        .ok_or_else(|| Reason::UnknownCode.error(None))?;
    let counted = request.customer_id.is_some() || request.email.is_some();
    let customer_uses = if coupon.per_customer_limit.is_some() && counted {
        Some(
            usage::customer_uses(
                &svc.db,
                &coupon.id,
                request.customer_id.as_deref(),
                request.email.as_deref(),
            )
            .await?,
        )
    } else {
        None
    };
    if let Err(err) = pricing::check_coupon(&svc.db, &request.basket, &coupon, customer_uses).await
    {
        // A racer with the same key may have taken the last use: it answers for us.
        return match hold::by_key(&svc.db, &request.key).await? {
            Some(first) => Ok(first),
            None => Err(err),
        };
    }
    let pricing = pricing::price_with_coupon(&svc.db, &request.basket, &coupon).await?;
    let (discount, free_shipping) = pricing
        .coupon()
        .map(|a| (a.amount, a.free_shipping))
        .unwrap_or((0, false));
    let discount = Money::new(discount, request.basket.currency);
    match take_use(svc, request, &coupon, discount, free_shipping).await {
        Err(err) => match hold::by_key(&svc.db, &request.key).await? {
            Some(first) => Ok(first),
            None => Err(err),
        },
        ok => ok,
    }
}

/// The transaction that records and counts the use; see the module doc for why it is exact.
async fn take_use(
    svc: &Service,
    request: &Request,
    coupon: &Coupon,
    discount: Money,
    free_shipping: bool,
) -> Result<CouponHold, AppError> {
    let id = new_id();
    let now = now_millis();
    let mut tx = svc.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO coupon_uses (id, coupon_id, order_id, idempotency_key, customer_id, email, \
           status, discount, currency, free_shipping, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'HELD', $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&coupon.id)
    .bind(&request.order_id)
    .bind(&request.key)
    .bind(&request.customer_id)
    .bind(&request.email)
    .bind(discount.minor)
    .bind(discount.currency.code())
    .bind(free_shipping as i64)
    .bind(now)
    .execute(tx.conn())
    .await;
    match inserted {
        Err(err) if is_unique_violation(&err) => {
            drop(tx);
            // The key's first hold answers; otherwise the order already holds a use.
            return match hold::by_key(&svc.db, &request.key).await? {
                Some(first) => Ok(first),
                None => Err(AppError::conflict(format!(
                    "input.orderId: order {} already holds a coupon use",
                    request.order_id
                ))),
            };
        }
        Err(err) => return Err(err.into()),
        Ok(_) => {}
    }
    let taken = sqlx::query(
        "UPDATE coupons SET uses = uses + 1 \
         WHERE id = $1 AND (usage_limit IS NULL OR uses < usage_limit)",
    )
    .bind(&coupon.id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if taken != 1 {
        return Err(Reason::Exhausted.error(Some(coupon)));
    }
    if let Some(limit) = coupon.per_customer_limit {
        if request.customer_id.is_some() || request.email.is_some() {
            // Counts this use too, so more than the limit means one too many.
            let used = usage::customer_uses_in(
                &mut tx,
                &coupon.id,
                request.customer_id.as_deref(),
                request.email.as_deref(),
            )
            .await?;
            if used > limit {
                return Err(Reason::CustomerLimit.error(Some(coupon)));
            }
        }
    }
    let data = json!({
        "holdId": id,
        "couponId": coupon.id,
        "code": coupon.code,
        "orderId": request.order_id,
        "customerId": request.customer_id,
        "status": "HELD",
        "discount": { "amount": discount.amount_string(), "currencyCode": discount.currency.code() },
        "freeShipping": free_shipping,
    });
    tx.emit(&svc.event("coupon.held", Some(request.order_id.clone()), data))
        .await?;
    tx.commit().await?;
    Ok(CouponHold {
        id,
        coupon_id: coupon.id.clone(),
        order_id: request.order_id.clone(),
        status: HoldStatus::Held,
        discount,
        free_shipping,
        created_at: now,
    })
}
