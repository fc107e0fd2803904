//! Shared steps for the discounts black-box tests: start the real accounts subgraph (tokens,
//! JWKS) and the real discounts subgraph pointed at it, sign in over HTTP, and act as staff,
//! a customer, the router (`_entities` with Cart representations) or catalog (events on the
//! service's transport).
#![allow(dead_code)]

use kit::events::Event;
use kit::testing::{self, TestApp};
pub use kit::testing::{
    error_field as field, error_message as message, error_reason as reason,
    expect_code as error_code,
};
use serde_json::{json, Value};

pub use kit::testing::PASSWORD;

pub const COUPON_FIELDS: &str = "id code description kind percentOff amountOff { amount currencyCode } minimumSubtotal { amount currencyCode } startsAt endsAt scope { kind ids } usageLimit perCustomerLimit timesUsed active";
pub const CART_FIELDS: &str = "id couponCode couponNotice freeShipping discountTotal { amount currencyCode } estimatedTotal { amount currencyCode } discounts { kind code promotionId title amount { amount currencyCode } freeShipping allocations { lineId amount { amount } } }";
pub const HOLD_FIELDS: &str =
    "id orderId status discount { amount currencyCode } freeShipping coupon { id code timesUsed }";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
}

pub async fn accounts() -> (TestApp, String) {
    let (mut config, email) = testing::accounts_with_admin();
    for (k, v) in [
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let staff = accounts.login(&email, PASSWORD).await;
    (accounts, staff)
}

pub async fn start() -> Env {
    start_with(&[]).await
}

pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (accounts, staff) = accounts().await;
    let config = testing::config_trusting("discounts", &accounts, overrides);
    let app = testing::spawn::<discounts::Discounts>(config).await;
    Env {
        accounts,
        app,
        staff,
    }
}

/// Registers and signs in a fresh customer; returns (user id, token).
pub async fn register(accounts: &TestApp) -> (String, String) {
    accounts.register_customer().await
}

impl Env {
    pub async fn customer(&self) -> String {
        register(&self.accounts).await.1
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.staff)).await
    }

    /// `createCoupon` with `input`; returns the whole response.
    pub async fn create_coupon_raw(&self, input: Value) -> Value {
        self.staff_gql(
            &format!(
                "mutation($i:CreateCouponInput!){{ createCoupon(input:$i){{ {COUPON_FIELDS} }} }}"
            ),
            json!({ "i": input }),
        )
        .await
    }

    /// Creates a coupon; returns it.
    pub async fn coupon(&self, input: Value) -> Value {
        let body = self.create_coupon_raw(input).await;
        assert!(body["errors"].is_null(), "createCoupon failed: {body}");
        body["data"]["createCoupon"].clone()
    }

    pub async fn create_promotion_raw(&self, input: Value) -> Value {
        self.staff_gql(
            "mutation($i:CreatePromotionInput!){ createPromotion(input:$i){ id title kind priority combinable active percentOff amountOff { amount } minimumSubtotal { amount } buyQuantity getQuantity scope { kind ids } } }",
            json!({ "i": input }),
        )
        .await
    }

    /// Creates a promotion; returns its id.
    pub async fn promotion(&self, input: Value) -> String {
        let body = self.create_promotion_raw(input).await;
        body["data"]["createPromotion"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createPromotion failed: {body}"))
            .to_string()
    }

    /// The coupon's `timesUsed`, as staff see it.
    pub async fn times_used(&self, id: &str) -> i64 {
        let body = self
            .staff_gql(
                "query($id:ID!){ coupon(id:$id){ timesUsed } }",
                json!({ "id": id }),
            )
            .await;
        body["data"]["coupon"]["timesUsed"]
            .as_i64()
            .unwrap_or_else(|| panic!("coupon query failed: {body}"))
    }

    /// Resolves Cart representations as the router would; returns the `_entities` list.
    pub async fn carts(&self, representations: Vec<Value>) -> Vec<Value> {
        let body = self
            .app
            .gql(
                &format!("query($r:[_Any!]!){{ _entities(representations:$r){{ ... on Cart {{ {CART_FIELDS} }} }} }}"),
                json!({ "r": representations }),
                None,
            )
            .await;
        body["data"]["_entities"]
            .as_array()
            .unwrap_or_else(|| panic!("_entities failed: {body}"))
            .clone()
    }

    pub async fn cart(&self, representation: Value) -> Value {
        self.carts(vec![representation]).await.remove(0)
    }

    /// Puts coupon `coupon_id` on cart `cart_id` as applyCoupon would (for tests about pricing,
    /// which need no cart subgraph).
    pub async fn attach(&self, cart_id: &str, coupon_id: &str) {
        sqlx::query("INSERT INTO cart_coupons (cart_id, coupon_id, applied_at) VALUES ($1, $2, 0)")
            .bind(cart_id)
            .bind(coupon_id)
            .execute(self.app.svc().db.pool())
            .await
            .expect("cart coupon stored");
    }

    /// `holdCouponUse` as the checkout calls it.
    pub async fn hold(&self, input: Value) -> Value {
        self.staff_gql(
            &format!(
                "mutation($i:HoldCouponUseInput!){{ holdCouponUse(input:$i){{ {HOLD_FIELDS} }} }}"
            ),
            json!({ "i": input }),
        )
        .await
    }

    pub async fn hold_status(&self, order: &str) -> Option<String> {
        let body = self
            .staff_gql(
                "query($o:ID!){ couponHold(orderId:$o){ status } }",
                json!({ "o": order }),
            )
            .await;
        assert!(body["errors"].is_null(), "couponHold failed: {body}");
        body["data"]["couponHold"]["status"]
            .as_str()
            .map(str::to_string)
    }

    /// Publishes events to the discounts consumer's transport, as another subgraph would.
    pub async fn publish(&self, events: &[Event]) {
        self.app
            .svc()
            .transport
            .publish_batch(events)
            .await
            .expect("events published");
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

/// A Cart representation with `(line id, product id, quantity, unit price)` lines, all in
/// `currency`, the subtotal being their sum.
pub fn cart_rep(id: &str, currency: &str, lines: &[(&str, &str, i64, &str)]) -> Value {
    let exponent = if currency == "JPY" { 0 } else { 2 };
    let minor = |amount: &str| -> i64 {
        let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
        whole.parse::<i64>().unwrap() * 10i64.pow(exponent)
            + if frac.is_empty() {
                0
            } else {
                frac.parse::<i64>().unwrap()
            }
    };
    let subtotal: i64 = lines.iter().map(|(_, _, q, p)| q * minor(p)).sum();
    let shown = if exponent == 0 {
        subtotal.to_string()
    } else {
        format!("{}.{:02}", subtotal / 100, subtotal % 100)
    };
    json!({
        "__typename": "Cart",
        "id": id,
        "currencyCode": currency,
        "customerId": null,
        "subtotal": { "amount": shown, "currencyCode": currency },
        "pricingLines": pricing_lines(currency, lines),
    })
}

pub fn pricing_lines(currency: &str, lines: &[(&str, &str, i64, &str)]) -> Vec<Value> {
    lines
        .iter()
        .map(|(line, product, quantity, price)| {
            json!({
                "lineId": line,
                "variantId": format!("v-{product}"),
                "productId": product,
                "quantity": quantity,
                "unitPrice": { "amount": price, "currencyCode": currency },
            })
        })
        .collect()
}

/// A `holdCouponUse` input for a USD order of `lines`.
pub fn hold_input(code: &str, order: &str, key: &str, lines: &[(&str, &str, i64, &str)]) -> Value {
    let rep = cart_rep(order, "USD", lines);
    json!({
        "code": code,
        "orderId": order,
        "currencyCode": "USD",
        "subtotal": rep["subtotal"],
        "pricingLines": rep["pricingLines"],
        "idempotencyKey": key,
    })
}

pub fn id() -> String {
    kit::ids::new_id()
}

/// A unique coupon code with `prefix`.
pub fn code(prefix: &str) -> String {
    format!("{prefix}{}", &kit::ids::new_id().replace('-', "")[20..]).to_ascii_uppercase()
}

pub use kit::testing::eventually;

/// A catalog event.
pub fn catalog(event_type: &str, subject: &str, data: Value) -> Event {
    Event::new("catalog", event_type, Some(subject.to_string()), data)
}
