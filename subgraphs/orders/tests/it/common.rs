//! Shared steps for the orders black-box tests: start the real accounts subgraph (tokens,
//! JWKS, the first admin and the service account) and the real orders subgraph pointed at it;
//! place orders as a checkout would (for the tests about what happens after checkout); act as
//! a customer, a guest with an order token, staff, or payments and shipping (events published
//! to orders' transport).

use kit::events::Event;
use kit::testing::{self, TestApp};
pub use kit::testing::{error_field as field, error_reason as reason, expect_code as error_code};
use orders::checkout::claim::{self, Claim};
use orders::checkout::place::{self, Placement};
use orders::status::OrderStatus;
use orders::view::{AddressView, LineView, OrderView};
use serde_json::{json, Value};

pub use kit::testing::{eventually, PASSWORD};

pub const SERVICE_PASSWORD: &str = "service account password 2026";
pub const ORDER_FIELDS: &str = "id number status customerId email currencyCode subtotal { amount currencyCode } discountTotal { amount } shippingTotal { amount } total { amount currencyCode } refundedTotal { amount } couponCode shippingMethodId carrier trackingNumber placedAt updatedAt paymentDeadline shippingAddress { name line1 city postalCode countryCode } lines { id variantId productId sku title quantity unitPrice { amount } lineTotal { amount } variant { id } } statusHistory { status previousStatus actor reason note at }";

/// Accounts with a first admin and a service account; returns (accounts, admin token,
/// service email).
pub async fn accounts() -> (TestApp, String, String) {
    let (mut config, email) = testing::accounts_with_admin();
    let service = format!("svc.{}@example.com", &kit::ids::new_id()[24..]);
    for (k, v) in [
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
        ("LOGIN_MAX_PER_EMAIL", "100000"),
        ("SERVICE_EMAIL", service.as_str()),
        ("SERVICE_PASSWORD", SERVICE_PASSWORD),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let admin = accounts.login(&email, PASSWORD).await;
    (accounts, admin, service)
}

/// Settings every subgraph under test needs to call others as the service.
pub fn service_settings(accounts: &TestApp, service: &str) -> Vec<(String, String)> {
    vec![
        ("SERVICE_EMAIL".into(), service.into()),
        ("SERVICE_PASSWORD".into(), SERVICE_PASSWORD.into()),
        ("ACCOUNTS_URL".into(), format!("{}/graphql", accounts.url)),
    ]
}

pub fn config(
    service_name: &str,
    accounts: &TestApp,
    service: &str,
    overrides: &[(&str, &str)],
) -> kit::Config {
    let mut config = testing::config_trusting(service_name, accounts, overrides);
    for (k, v) in service_settings(accounts, service) {
        config.overrides.entry(k).or_insert(v);
    }
    config
}

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub admin: String,
}

pub async fn start() -> Env {
    start_with(&[]).await
}

pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (accounts, admin, service) = accounts().await;
    let app =
        testing::spawn::<orders::Orders>(config("orders", &accounts, &service, overrides)).await;
    Env {
        accounts,
        app,
        admin,
    }
}

/// Who calls.
#[derive(Clone, Copy, Default)]
pub struct As<'a> {
    pub bearer: Option<&'a str>,
    pub order_token: Option<&'a str>,
    pub cart_token: Option<&'a str>,
}

impl<'a> As<'a> {
    pub fn bearer(token: &'a str) -> As<'a> {
        As {
            bearer: Some(token),
            ..As::default()
        }
    }
    pub fn order_token(token: &'a str) -> As<'a> {
        As {
            order_token: Some(token),
            ..As::default()
        }
    }
}

pub async fn gql_as(app: &TestApp, who: As<'_>, query: &str, variables: Value) -> Value {
    let mut req = app
        .http
        .post(format!("{}/graphql", app.url))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(bearer) = who.bearer {
        req = req.bearer_auth(bearer);
    }
    if let Some(token) = who.order_token {
        req = req.header("X-Order-Token", token);
    }
    if let Some(token) = who.cart_token {
        req = req.header("X-Cart-Token", token);
    }
    req.send().await.expect("sent").json().await.expect("JSON")
}

pub fn address() -> AddressView {
    AddressView {
        name: "Ada Lovelace".into(),
        line1: "1 Analytical St".into(),
        line2: None,
        city: "Springfield".into(),
        region: Some("CA".into()),
        postal_code: "90210".into(),
        country_code: "US".into(),
        phone: None,
    }
}

/// An order as a checkout would write it (PENDING_PAYMENT, USD, one line of 2 × 12.50 plus
/// 5.00 shipping).
pub fn order_view(customer: Option<&str>, email: &str, token_hash: Option<String>) -> OrderView {
    let now = kit::ids::now_millis();
    OrderView {
        id: kit::ids::new_id(),
        number: String::new(),
        status: OrderStatus::PendingPayment,
        version: 1,
        cart_id: kit::ids::new_id(),
        customer_id: customer.map(str::to_string),
        email: email.to_string(),
        currency: "USD".into(),
        lines: vec![LineView {
            id: kit::ids::new_id(),
            variant_id: kit::ids::new_id(),
            product_id: kit::ids::new_id(),
            sku: "MUG-BLUE".into(),
            title: "Mug – Blue".into(),
            quantity: 2,
            unit_price: 1250,
            line_total: 2500,
            livestream_id: None,
        }],
        subtotal: 2500,
        discount_total: 0,
        shipping_total: 500,
        total: 3000,
        refunded_total: 0,
        coupon_code: None,
        shipping_address: address(),
        shipping_method_id: "standard".into(),
        payment_id: Some(kit::ids::new_id()),
        shipment_id: None,
        carrier: None,
        tracking_number: None,
        placed_at: now,
        updated_at: now,
        payment_deadline: now + 900_000,
        token_hash,
        history: None,
    }
}

impl Env {
    pub async fn customer(&self) -> (String, String) {
        self.accounts.register_customer().await
    }

    pub async fn gql(&self, who: As<'_>, query: &str, variables: Value) -> Value {
        gql_as(&self.app, who, query, variables).await
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.admin)).await
    }

    /// Places `view` as the checkout's last step does (claim, then the order's transaction).
    pub async fn place(&self, view: OrderView) -> OrderView {
        let db = &self.app.svc().db;
        let key = kit::ids::new_id();
        let claim = claim::acquire(db, &key, &view.cart_id, std::time::Duration::from_secs(60))
            .await
            .expect("claim");
        let Claim::Mine(order_id) = claim else {
            panic!("fresh claim expected")
        };
        let view = OrderView {
            id: order_id,
            ..view
        };
        let actor = view.customer_id.clone().unwrap_or_else(|| "guest".into());
        place::place(
            self.app.svc(),
            view,
            Placement {
                key_hash: &key,
                token_salt: None,
                actor: &actor,
            },
        )
        .await
        .expect("order placed")
    }

    /// A customer's order; returns (order, customer id, customer token).
    pub async fn customer_order(&self) -> (OrderView, String, String) {
        let (id, token) = self.customer().await;
        let order = self
            .place(order_view(Some(&id), "c@example.com", None))
            .await;
        (order, id, token)
    }

    /// An order's status as staff see it.
    pub async fn status(&self, id: &str) -> String {
        let body = self
            .staff_gql(
                "query($id:ID!){ order(id:$id){ status } }",
                json!({ "id": id }),
            )
            .await;
        body["data"]["order"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("order query failed: {body}"))
            .to_string()
    }

    pub async fn order(&self, who: As<'_>, id: &str) -> Value {
        self.gql(
            who,
            &format!("query($id:ID!){{ order(id:$id){{ {ORDER_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await
    }

    /// Publishes events to orders' transport, as payments or shipping would.
    pub async fn publish(&self, events: &[Event]) {
        self.app
            .svc()
            .transport
            .publish_batch(events)
            .await
            .expect("events published");
    }

    /// Waits until orders' consumer has taken `event` (applied or ignored).
    pub async fn processed(&self, event: &Event) {
        let db = self.app.svc().db.clone();
        let id = event.id.clone();
        eventually("orders consumed the event", || {
            let db = db.clone();
            let id = id.clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM processed_events WHERE consumer = 'orders' AND event_id = $1",
                )
                .bind(&id)
                .fetch_one(db.background())
                .await
                .unwrap()
                    == 1
            }
        })
        .await;
    }

    /// Publishes one event and waits for the consumer to take it.
    /// Waits until the service issues no statement for a while (its consumers are idle), so a
    /// statement count measures only the request that follows.
    pub async fn quiet(&self) {
        let db = &self.app.svc().db;
        let mut last = db.statements();
        let mut still = 0;
        while still < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let now = db.statements();
            still = if now == last { still + 1 } else { 0 };
            last = now;
        }
    }

    pub async fn deliver(&self, event: Event) {
        self.publish(std::slice::from_ref(&event)).await;
        self.processed(&event).await;
    }

    pub async fn ignored(&self, event: &Event) -> Option<String> {
        sqlx::query_scalar("SELECT reason FROM ignored_events WHERE event_id = $1")
            .bind(&event.id)
            .fetch_optional(self.app.svc().db.background())
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

pub fn money(amount: &str) -> Value {
    let minor: i64 = amount.replace('.', "").parse().unwrap();
    json!({ "amount": amount, "currencyCode": "USD", "minorUnits": minor })
}

/// Payments' events.
pub fn payment_succeeded(order: &OrderView) -> Event {
    Event::new(
        "payments",
        "payment.succeeded",
        order.payment_id.clone(),
        json!({ "paymentId": order.payment_id, "orderId": order.id, "amount": money("30.00"),
                "provider": "test", "providerReference": "ref", "reservationReference": order.id }),
    )
}

pub fn payment_failed(order: &OrderView) -> Event {
    Event::new(
        "payments",
        "payment.failed",
        order.payment_id.clone(),
        json!({ "paymentId": order.payment_id, "orderId": order.id, "amount": money("30.00"),
                "provider": "test", "reason": "card declined", "declineCode": "insufficient_funds" }),
    )
}

pub fn payment_refunded(order: &OrderView, refunded: &str, full: bool) -> Event {
    Event::new(
        "payments",
        "payment.refunded",
        order.payment_id.clone(),
        json!({ "paymentId": order.payment_id, "refundId": kit::ids::new_id(), "orderId": order.id,
                "amount": money(refunded), "refundedTotal": money(refunded), "fullyRefunded": full }),
    )
}

/// Shipping's events.
pub fn shipment(order: &OrderView, event_type: &str, status: &str) -> Event {
    Event::new(
        "shipping",
        event_type,
        Some(format!("shp-{}", order.id)),
        json!({ "shipmentId": format!("shp-{}", order.id), "orderId": order.id, "status": status,
                "previousStatus": null, "carrier": "UPS", "trackingNumber": "1Z999",
                "at": "2026-12-04T12:00:00Z" }),
    )
}
