//! Shared steps for the payments black-box tests: start the real accounts subgraph (tokens,
//! JWKS) and the real payments subgraph pointed at it, act as the checkout (`startPayment`), as
//! a shopper (bearer token or `X-Order-Token`), as staff and as a provider posting webhooks,
//! and read what payments published from its outbox.

use kit::events::Event;
use kit::testing::{self, TestApp};
pub use kit::testing::{error_field as field, error_reason as reason, expect_code as error_code};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use kit::testing::eventually;

pub const PAYMENT_FIELDS: &str = "id orderId customerId status amount { amount currencyCode } capturedAmount { amount } refundedAmount { amount } refundableAmount { amount } receivedAmount { amount } provider providerReference reference card { brand last4 expMonth expYear } declineCode failureReason nextAction { type redirectUrl reference amount { amount } }";
pub const REFUND_FIELDS: &str = "id paymentId status amount { amount currencyCode } reason";

pub const GOOD_CARD: &str = "4242424242424242";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
}

/// Who sends a request.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Nobody,
    Bearer(&'a str),
    OrderToken(&'a str),
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
    let staff = accounts.login(&email, testing::PASSWORD).await;
    (accounts, staff)
}

pub async fn start() -> Env {
    start_with(&[]).await
}

/// The webhook secrets every test environment is configured with.
pub const STRIPE_WHSEC: &str = "whsec_test_5f2b8c1d9e";
pub const PAYSTACK_SK: &str = "sk_test_paystack_8a7d6c";
pub const FLW_HASH: &str = "flw-hash-3b9e1f";
pub const SEPAY_KEY: &str = "sepay-key-71c2d4";

pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (accounts, staff) = accounts().await;
    let mut all = vec![
        ("STRIPE_WEBHOOK_SECRET", STRIPE_WHSEC),
        ("PAYSTACK_SECRET_KEY", PAYSTACK_SK),
        ("FLUTTERWAVE_SECRET_HASH", FLW_HASH),
        ("SEPAY_API_KEY", SEPAY_KEY),
    ];
    all.extend_from_slice(overrides);
    let config = testing::config_trusting("payments", &accounts, &all);
    let app = testing::spawn::<payments::Payments>(config).await;
    Env {
        accounts,
        app,
        staff,
    }
}

pub fn id() -> String {
    kit::ids::new_id()
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn card(number: &str) -> Value {
    json!({ "number": number, "expMonth": 12, "expYear": 2031, "cvc": "123" })
}

impl Env {
    pub async fn customer(&self) -> (String, String) {
        self.accounts.register_customer().await
    }

    /// A GraphQL request as `who`.
    pub async fn gql_as(&self, who: As<'_>, query: &str, variables: Value) -> Value {
        let mut req = self
            .app
            .http
            .post(format!("{}/graphql", self.app.url))
            .json(&json!({ "query": query, "variables": variables }));
        match who {
            As::Nobody => {}
            As::Bearer(token) => req = req.bearer_auth(token),
            As::OrderToken(token) => req = req.header("X-Order-Token", token),
        }
        req.send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON response")
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(As::Bearer(&self.staff), query, variables).await
    }

    /// `startPayment` as the checkout calls it; returns the response.
    pub async fn start_payment_raw(&self, input: Value) -> Value {
        self.staff_gql(
            &format!(
                "mutation($i:StartPaymentInput!){{ startPayment(input:$i){{ {PAYMENT_FIELDS} }} }}"
            ),
            json!({ "i": input }),
        )
        .await
    }

    /// Starts a payment of `amount` USD for a new order of `customer` (or a guest with
    /// `order_token`); returns (order id, payment).
    pub async fn order(
        &self,
        amount: &str,
        customer: Option<&str>,
        order_token: Option<&str>,
    ) -> (String, Value) {
        self.order_in(amount, "USD", customer, order_token).await
    }

    pub async fn order_in(
        &self,
        amount: &str,
        currency: &str,
        customer: Option<&str>,
        order_token: Option<&str>,
    ) -> (String, Value) {
        let order = id();
        let body = self
            .start_payment_raw(json!({
                "orderId": order,
                "amount": { "amount": amount, "currencyCode": currency },
                "customerId": customer,
                "email": "shopper@example.com",
                "orderTokenHash": order_token.map(token_hash),
                "idempotencyKey": format!("start-{order}"),
            }))
            .await;
        assert!(body["errors"].is_null(), "startPayment failed: {body}");
        (order, body["data"]["startPayment"].clone())
    }

    /// `payOrder` as `who`; returns the response.
    pub async fn pay(&self, who: As<'_>, order: &str, card: Value, key: &str) -> Value {
        self.gql_as(
            who,
            &format!("mutation($i:PayOrderInput!){{ payOrder(input:$i){{ {PAYMENT_FIELDS} }} }}"),
            json!({ "i": { "orderId": order, "card": card, "idempotencyKey": key } }),
        )
        .await
    }

    /// A customer's order paid with the good card; returns (order id, payment, customer token).
    pub async fn paid_order(&self, amount: &str) -> (String, Value, String) {
        let (user, token) = self.customer().await;
        let (order, _) = self.order(amount, Some(&user), None).await;
        let body = self
            .pay(As::Bearer(&token), &order, card(GOOD_CARD), "k1")
            .await;
        assert_eq!(
            body["data"]["payOrder"]["status"], "CAPTURED",
            "payOrder failed: {body}"
        );
        (order, body["data"]["payOrder"].clone(), token)
    }

    pub async fn payment(&self, id: &str) -> Value {
        let body = self
            .staff_gql(
                &format!("query($id:ID!){{ payment(id:$id){{ {PAYMENT_FIELDS} refunds {{ {REFUND_FIELDS} }} attempts {{ kind provider outcome declineCode }} }} }}"),
                json!({ "id": id }),
            )
            .await;
        assert!(body["errors"].is_null(), "payment query failed: {body}");
        body["data"]["payment"].clone()
    }

    /// `refundPayment` as staff; returns the response.
    pub async fn refund(&self, payment: &str, amount: Option<&str>, key: &str) -> Value {
        let amount = amount.map(|a| json!({ "amount": a, "currencyCode": "USD" }));
        self.staff_gql(
            &format!("mutation($p:ID!,$a:MoneyInput,$k:String!){{ refundPayment(paymentId:$p, amount:$a, reason:\"test\", idempotencyKey:$k){{ {REFUND_FIELDS} }} }}"),
            json!({ "p": payment, "a": amount, "k": key }),
        )
        .await
    }

    /// Events payments wrote to its outbox with `event_type` and `subject`.
    pub async fn events(&self, event_type: &str, subject: &str) -> Vec<Event> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id")
                .bind(event_type)
                .fetch_all(self.app.svc().db.pool())
                .await
                .expect("outbox readable");
        rows.into_iter()
            .map(|(p,)| serde_json::from_str::<Event>(&p).expect("event"))
            .filter(|e| e.subject.as_deref() == Some(subject))
            .collect()
    }

    /// Publishes events to the payments consumer's transport, as orders would.
    pub async fn publish(&self, events: &[Event]) {
        self.app
            .svc()
            .transport
            .publish_batch(events)
            .await
            .expect("events published");
    }

    /// POSTs a webhook body with `headers`; returns (status, JSON body).
    pub async fn webhook(
        &self,
        provider: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> (u16, Value) {
        let mut req = self
            .app
            .http
            .post(format!("{}/webhooks/{provider}", self.app.url))
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let resp = req.send().await.expect("webhook sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Rows in `table` (for counting effects).
    pub async fn count(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query_scalar(sql)
            .bind(bind)
            .fetch_one(self.app.svc().db.pool())
            .await
            .expect("count")
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

/// An `order.*` event as orders publishes it.
pub fn order_event(event_type: &str, order: &str, reason: &str) -> Event {
    Event::new(
        "orders",
        event_type,
        Some(order.to_string()),
        json!({
            "orderId": order,
            "number": "1001",
            "status": "CANCELLED",
            "previousStatus": "PENDING_PAYMENT",
            "customerId": null,
            "email": "shopper@example.com",
            "currencyCode": "USD",
            "total": { "amount": "10.00", "currencyCode": "USD", "minorUnits": 1000 },
            "at": "2026-05-01T00:00:00Z",
            "actor": "system",
            "reason": reason,
            "reservationReference": order,
        }),
    )
}

/// A fixture from `tests/it/fixtures/` with `{{NAME}}` placeholders replaced.
pub fn fixture(name: &str, values: &[(&str, &str)]) -> String {
    let path = format!("{}/tests/it/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("fixture {path}"));
    for (k, v) in values {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    assert!(
        !text.contains("{{"),
        "fixture {name} has unfilled placeholders"
    );
    text
}
