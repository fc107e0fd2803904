//! Discounts for the order's snapshot, from the discounts subgraph: the running promotions
//! (its `Cart` entity, priced from a representation carrying catalog's prices, exactly as the
//! router would send it), the coupon applied to the cart, and — when the order uses a coupon —
//! a held use of it (`holdCouponUse`, as the service), which also says what the coupon takes
//! off after the promotions. `releaseCouponUse` gives the use back when the checkout fails.

use kit::money::Money;
use kit::remote::Credentials;
use kit::AppError;
use serde_json::{json, Value};

use super::catalog::PricedLine;
use crate::remotes::{money_input, money_of, rename_field, Remotes};

const CART: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Cart { couponCode discounts { kind amount { amount currencyCode } } } } }";
const HOLD: &str = "mutation($i: HoldCouponUseInput!) { holdCouponUse(input: $i) { id discount { amount currencyCode } freeShipping } }";
const RELEASE: &str = "mutation($o: ID!) { releaseCouponUse(orderId: $o) { id } }";

/// What the promotions take off, and the cart's applied coupon.
#[derive(Debug, Clone)]
pub struct Promotions {
    pub total: i64,
    pub cart_coupon: Option<String>,
}

/// A held coupon use.
#[derive(Debug, Clone)]
pub struct Hold {
    pub discount: i64,
    pub free_shipping: bool,
}

fn pricing_lines(lines: &[PricedLine], subtotal: Money) -> Vec<Value> {
    lines
        .iter()
        .map(|l| {
            json!({
                "lineId": l.line_id,
                "variantId": l.variant_id,
                "productId": l.product_id,
                "quantity": l.quantity,
                "unitPrice": money_input(Money::new(l.unit_price, subtotal.currency)),
            })
        })
        .collect()
}

pub async fn promotions(
    remotes: &Remotes,
    cart_id: &str,
    customer_id: Option<&str>,
    lines: &[PricedLine],
    subtotal: Money,
) -> Result<Promotions, AppError> {
    let representation = json!({
        "__typename": "Cart",
        "id": cart_id,
        "currencyCode": subtotal.currency.code(),
        "customerId": customer_id,
        "subtotal": money_input(subtotal),
        "pricingLines": pricing_lines(lines, subtotal),
    });
    let data = remotes
        .discounts
        .call(
            CART,
            json!({ "r": [representation] }),
            Credentials::Anonymous,
        )
        .await?;
    let cart = &data["_entities"][0];
    let mut total = 0;
    for discount in cart["discounts"].as_array().into_iter().flatten() {
        // The coupon is priced by its hold; only promotions count here.
        if discount["kind"].as_str() == Some("PROMOTION") {
            total += money_of("discounts", &discount["amount"])?.minor;
        }
    }
    Ok(Promotions {
        total,
        cart_coupon: cart["couponCode"].as_str().map(str::to_string),
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn hold(
    remotes: &Remotes,
    code: &str,
    order_id: &str,
    customer_id: Option<&str>,
    email: &str,
    lines: &[PricedLine],
    subtotal: Money,
    key: &str,
) -> Result<Hold, AppError> {
    let input = json!({
        "code": code,
        "orderId": order_id,
        "customerId": customer_id,
        "email": email,
        "currencyCode": subtotal.currency.code(),
        "subtotal": money_input(subtotal),
        "pricingLines": pricing_lines(lines, subtotal),
        "idempotencyKey": key,
    });
    let data = remotes
        .discounts
        .call(HOLD, json!({ "i": input }), Credentials::Service)
        .await
        .map_err(|e| rename_field(e, &[("code", "input.couponCode")]))?;
    let hold = &data["holdCouponUse"];
    Ok(Hold {
        discount: money_of("discounts", &hold["discount"])?.minor,
        free_shipping: hold["freeShipping"].as_bool().unwrap_or(false),
    })
}

pub async fn release(remotes: &Remotes, order_id: &str) -> Result<(), AppError> {
    remotes
        .discounts
        .call(RELEASE, json!({ "o": order_id }), Credentials::Service)
        .await
        .map(|_| ())
}
