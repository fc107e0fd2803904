//! Shared steps for the shipping black-box tests: start the real accounts subgraph (tokens,
//! JWKS) and the real shipping subgraph pointed at it, sign in over HTTP, create zones and
//! methods as staff, publish orders' and catalog's events, sign and post carrier webhooks,
//! and read what the subgraph wrote to its outbox.

use kit::events::Event;
use kit::testing::{self, TestApp};
pub use kit::testing::{error_field as field, error_reason as reason, expect_code as error_code};
use serde_json::{json, Value};

pub use kit::testing::eventually;

/// The webhook secret the tests configure.
pub const SECRET: &str = "test-carrier-secret-0123456789";

pub const ZONE_FIELDS: &str =
    "id name countries regions postalCodePrefixes restOfWorld createdAt updatedAt";
pub const METHOD_FIELDS: &str = "id name carrier active estimatedDaysMin estimatedDaysMax \
    zones { id name } rates { currencyCode kind amount { amount currencyCode } \
    perKg { amount currencyCode } maxWeightGrams freeAbove { amount currencyCode } }";
pub const SHIPMENT_FIELDS: &str = "id orderId status carrier trackingNumber \
    method { id name carrier estimatedDaysMin estimatedDaysMax } \
    address { name line1 line2 city region postalCode countryCode phone } \
    lines { lineId variantId productId sku title quantity } \
    trackingHistory { status occurredAt location description source } createdAt updatedAt";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
}

pub async fn start() -> Env {
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
    let config = testing::config_trusting(
        "shipping",
        &accounts,
        &[
            ("CARRIER_WEBHOOK_SECRET", SECRET),
            ("CARRIER_WEBHOOK_TOLERANCE_SECS", "300"),
            ("DEFAULT_WEIGHT_GRAMS", "500"),
        ],
    );
    let app = testing::spawn::<shipping::Shipping>(config).await;
    Env {
        accounts,
        app,
        staff,
    }
}

impl Env {
    /// A fresh customer: (user id, token).
    pub async fn customer(&self) -> (String, String) {
        self.accounts.register_customer().await
    }

    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.app.gql(query, variables, token).await
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.staff)).await
    }

    /// A GraphQL request with an `X-Order-Token` header and optionally a bearer token.
    pub async fn gql_with_order_token(
        &self,
        query: &str,
        variables: Value,
        order_token: &str,
        bearer: Option<&str>,
    ) -> Value {
        let mut req = self
            .app
            .http
            .post(format!("{}/graphql", self.app.url))
            .header("X-Order-Token", order_token)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    pub async fn create_zone_raw(&self, input: Value) -> Value {
        self.staff_gql(
            &format!("mutation($i:CreateShippingZoneInput!){{ createShippingZone(input:$i){{ {ZONE_FIELDS} }} }}"),
            json!({ "i": input }),
        )
        .await
    }

    /// Creates a zone; returns its id.
    pub async fn zone(&self, input: Value) -> String {
        let body = self.create_zone_raw(input).await;
        body["data"]["createShippingZone"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createShippingZone failed: {body}"))
            .to_string()
    }

    pub async fn create_method_raw(&self, input: Value) -> Value {
        self.staff_gql(
            &format!("mutation($i:CreateShippingMethodInput!){{ createShippingMethod(input:$i){{ {METHOD_FIELDS} }} }}"),
            json!({ "i": input }),
        )
        .await
    }

    /// Creates a method; returns its id.
    pub async fn method(&self, input: Value) -> String {
        let body = self.create_method_raw(input).await;
        body["data"]["createShippingMethod"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createShippingMethod failed: {body}"))
            .to_string()
    }

    /// Publishes events to the shipping consumer's transport, as another subgraph would.
    pub async fn publish(&self, events: &[Event]) {
        self.app
            .svc()
            .transport
            .publish_batch(events)
            .await
            .expect("events published");
    }

    /// The shipment of `order` as staff see it, if it exists.
    pub async fn shipment_of(&self, order: &str) -> Option<Value> {
        let body = self
            .staff_gql(
                &format!("query($o:ID!){{ shipments(filter:{{orderId:$o}}){{ totalCount edges {{ node {{ {SHIPMENT_FIELDS} }} }} }} }}"),
                json!({ "o": order }),
            )
            .await;
        let edges = body["data"]["shipments"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("shipments failed: {body}"))
            .clone();
        assert!(edges.len() <= 1, "one shipment per order: {body}");
        edges.into_iter().next().map(|e| e["node"].clone())
    }

    /// Publishes `order.paid` and waits for its shipment; returns it.
    pub async fn paid(&self, event: Event) -> Value {
        let order = event.data["orderId"].as_str().unwrap().to_string();
        self.publish(&[event]).await;
        eventually("the shipment of the paid order", || async {
            self.shipment_of(&order).await.is_some()
        })
        .await;
        self.shipment_of(&order).await.unwrap()
    }

    /// Staff hand shipment `id` to a carrier with `tracking`.
    pub async fn ship(&self, id: &str, tracking: &str) -> Value {
        let body = self
            .staff_gql(
                &format!("mutation($id:ID!,$t:String!){{ markShipmentShipped(id:$id, carrier:\"UPS\", trackingNumber:$t){{ {SHIPMENT_FIELDS} }} }}"),
                json!({ "id": id, "t": tracking }),
            )
            .await;
        assert!(
            body["errors"].is_null(),
            "markShipmentShipped failed: {body}"
        );
        body["data"]["markShipmentShipped"].clone()
    }

    /// Posts `body` to the carrier webhook with the given headers; returns (status, JSON).
    pub async fn webhook_raw(&self, body: &str, headers: &[(&str, String)]) -> (u16, Value) {
        let mut req = self
            .app
            .http
            .post(format!("{}/webhooks/carrier", self.app.url))
            .header("content-type", "application/json")
            .body(body.to_string());
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let resp = req.send().await.expect("webhook sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON answer"))
    }

    /// Posts a carrier update signed with the test secret at the current time.
    pub async fn webhook(&self, update: &Value) -> (u16, Value) {
        let body = update.to_string();
        let now = chrono::Utc::now().timestamp();
        self.webhook_raw(&body, &signed(SECRET, now, &body)).await
    }

    /// Events of `event_type` in the outbox, oldest first (the subgraph's published record).
    pub async fn outbox(&self, event_type: &str) -> Vec<Value> {
        let rows: Vec<(String,)> = kit::sqlx::query_as(
            "SELECT payload FROM outbox WHERE event_type = $1 ORDER BY created_at, id",
        )
        .bind(event_type)
        .fetch_all(self.app.svc().db.pool())
        .await
        .expect("outbox readable");
        rows.into_iter()
            .map(|(p,)| serde_json::from_str::<Value>(&p).unwrap())
            .collect()
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

/// The signature headers a carrier sends for `body` at `timestamp`, computed independently of
/// the subgraph's code: HMAC-SHA256 of "{timestamp}.{body}", hex.
pub fn signed(secret: &str, timestamp: i64, body: &str) -> Vec<(&'static str, String)> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, format!("{timestamp}.{body}").as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("X-Carrier-Timestamp", timestamp.to_string()),
        ("X-Carrier-Signature", format!("sha256={hex}")),
    ]
}

pub fn sha256_hex(text: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn id() -> String {
    kit::ids::new_id()
}

/// A unique name with `prefix`.
pub fn name(prefix: &str) -> String {
    format!("{prefix} {}", &id()[24..])
}

pub fn money(amount: &str) -> Value {
    json!({ "amount": amount, "currencyCode": "USD" })
}

/// An `order.paid` as orders emits it, for a USD order shipped to the US with `method`.
pub fn order_paid(
    order: &str,
    customer: Option<&str>,
    token_hash: Option<&str>,
    method: &str,
) -> Event {
    let mut data = json!({
        "orderId": order,
        "number": "SO-1001",
        "status": "PAID",
        "previousStatus": "PENDING_PAYMENT",
        "customerId": customer,
        "email": "buyer@example.com",
        "currencyCode": "USD",
        "total": { "amount": "54.98", "currencyCode": "USD", "minorUnits": 5498 },
        "at": "2026-07-01T10:00:00Z",
        "actor": "payments",
        "reason": null,
        "shippingAddress": {
            "name": "Ada Buyer", "line1": "1 Main St", "line2": null, "city": "Springfield",
            "region": "IL", "postalCode": "62701", "countryCode": "US", "phone": "+15550100"
        },
        "shippingMethodId": method,
        "lines": [
            { "lineId": "l1", "variantId": "v-mug", "productId": "p-mug", "sku": "MUG-1",
              "title": "Mug", "quantity": 2,
              "unitPrice": { "amount": "12.50", "currencyCode": "USD", "minorUnits": 1250 },
              "lineTotal": { "amount": "25.00", "currencyCode": "USD", "minorUnits": 2500 } },
            { "lineId": "l2", "variantId": "v-tee", "productId": "p-tee", "sku": "TEE-1",
              "title": "Tee", "quantity": 1,
              "unitPrice": { "amount": "29.98", "currencyCode": "USD", "minorUnits": 2998 },
              "lineTotal": { "amount": "29.98", "currencyCode": "USD", "minorUnits": 2998 } }
        ],
        "reservationReference": order,
    });
    if let Some(hash) = token_hash {
        data["orderTokenHash"] = hash.into();
    }
    Event::new("orders", "order.paid", Some(order.to_string()), data)
}

/// A catalog variant event with a weight.
pub fn variant(event_type: &str, variant: &str, weight: Option<i64>) -> Event {
    Event::new(
        "catalog",
        event_type,
        Some(variant.to_string()),
        json!({
            "variantId": variant,
            "productId": "p-1",
            "sku": format!("SKU-{variant}"),
            "weightGrams": weight,
            "price": { "amount": "10.00", "currencyCode": "USD", "minorUnits": 1000 },
        }),
    )
}
