//! Shared steps for the webhooks black-box tests: start the real accounts subgraph (tokens,
//! JWKS) and the real webhooks subgraph with short retry delays and loopback targets allowed
//! (the receivers run on 127.0.0.1), register endpoints as an admin, publish events as the
//! other subgraphs would, read deliveries back, and verify signatures the way a partner does —
//! written here from the Standard Webhooks specification, independently of the crate's code.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use kit::events::Event;
use kit::testing::{self, TestApp};
pub use kit::testing::{error_field as field, eventually, expect_code as error_code};
use serde_json::{json, Value};

pub const DELIVERY_FIELDS: &str = "id endpointId eventId eventType payload status attemptCount \
    lastResponseStatus nextAttemptAt lastAttemptAt createdAt \
    attempts { attemptedAt responseStatus durationMs error responseBody responseBodyTruncated }";
pub const ENDPOINT_FIELDS: &str = "id url description eventTypes enabled disabledReason \
    disabledAt previousSecretValidUntil consecutiveFailures createdBy createdAt updatedAt";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token.
    pub admin: String,
    pub admin_id: String,
    config: kit::Config,
}

/// Settings of every test app: loopback allowed, retries 50 ms apart, a small body cap.
const DEFAULTS: [(&str, &str); 5] = [
    ("ALLOW_LOOPBACK_TARGETS", "true"),
    ("RETRY_SCHEDULE", "50ms,50ms,50ms,50ms,50ms"),
    ("RESPONSE_BODY_MAX_BYTES", "1024"),
    ("WORKER_POLL_MS", "50"),
    ("REQUEST_TIMEOUT_MS", "60000"),
];

pub async fn start() -> Env {
    start_with(&[]).await
}

/// Starts with `overrides` on top of [`DEFAULTS`].
pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (mut config, email) = testing::accounts_with_admin();
    for (k, v) in [
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let admin = accounts.login(&email, testing::PASSWORD).await;
    let me = accounts.gql("{ me { id } }", json!({}), Some(&admin)).await;
    let admin_id = me["data"]["me"]["id"].as_str().unwrap().to_string();
    let mut settings: Vec<(&str, &str)> = DEFAULTS.to_vec();
    settings.retain(|(k, _)| !overrides.iter().any(|(o, _)| o == k));
    settings.extend_from_slice(overrides);
    let config = testing::config_trusting("webhooks", &accounts, &settings);
    let app = testing::spawn::<webhooks::Webhooks>(config.clone()).await;
    Env {
        accounts,
        app,
        admin,
        admin_id,
        config,
    }
}

/// A registered endpoint: its id and signing secret.
pub struct Registered {
    pub id: String,
    pub secret: String,
}

impl Env {
    pub async fn customer(&self) -> (String, String) {
        self.accounts.register_customer().await
    }

    pub async fn admin_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.admin)).await
    }

    pub async fn create_raw(&self, input: Value) -> Value {
        self.admin_gql(
            &format!("mutation($i:CreateWebhookEndpointInput!){{ createWebhookEndpoint(input:$i){{ secret endpoint {{ {ENDPOINT_FIELDS} }} }} }}"),
            json!({ "i": input }),
        )
        .await
    }

    /// Registers `url` for `event_types`.
    pub async fn register(&self, url: &str, event_types: &[&str]) -> Registered {
        let body = self
            .create_raw(json!({ "url": url, "eventTypes": event_types }))
            .await;
        let created = &body["data"]["createWebhookEndpoint"];
        Registered {
            id: created["endpoint"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("createWebhookEndpoint failed: {body}"))
                .to_string(),
            secret: created["secret"].as_str().unwrap().to_string(),
        }
    }

    pub async fn endpoint(&self, id: &str) -> Value {
        let body = self
            .admin_gql(
                &format!("query($id:ID!){{ webhookEndpoint(id:$id){{ {ENDPOINT_FIELDS} }} }}"),
                json!({ "id": id }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["webhookEndpoint"].clone()
    }

    /// Publishes events to the webhooks consumer's transport, as other subgraphs would.
    pub async fn publish(&self, events: &[Event]) {
        self.app
            .svc()
            .transport
            .publish_batch(events)
            .await
            .expect("events published");
    }

    /// Deliveries of `endpoint`, newest first.
    pub async fn deliveries(&self, endpoint: &str) -> Vec<Value> {
        let body = self
            .admin_gql(
                &format!("query($e:ID!){{ webhookDeliveries(endpointId:$e, first:100){{ totalCount edges {{ node {{ {DELIVERY_FIELDS} }} }} }} }}"),
                json!({ "e": endpoint }),
            )
            .await;
        body["data"]["webhookDeliveries"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("webhookDeliveries failed: {body}"))
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    }

    /// Waits until `endpoint` has `n` deliveries, all in `status`; returns them.
    pub async fn settled(&self, endpoint: &str, n: usize, status: &str) -> Vec<Value> {
        eventually(&format!("{n} {status} deliveries"), || async {
            let d = self.deliveries(endpoint).await;
            d.len() == n && d.iter().all(|d| d["status"] == status)
        })
        .await;
        self.deliveries(endpoint).await
    }

    /// Events of `event_type` in the outbox (what this subgraph published).
    pub async fn outbox(&self, event_type: &str) -> Vec<Value> {
        let rows: Vec<(String,)> =
            kit::sqlx::query_as("SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id")
                .bind(event_type)
                .fetch_all(self.app.svc().db.pool())
                .await
                .expect("outbox readable");
        rows.into_iter()
            .map(|(p,)| serde_json::from_str(&p).unwrap())
            .collect()
    }

    /// Stops the webhooks subgraph and starts a new instance on the same database.
    pub async fn restart(&mut self) {
        let fresh = testing::spawn::<webhooks::Webhooks>(self.config.clone()).await;
        let old = std::mem::replace(&mut self.app, fresh);
        old.stop().await;
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

/// An event as another subgraph would publish it.
pub fn event(event_type: &str) -> Event {
    let subject = kit::ids::new_id();
    Event::new(
        "orders",
        event_type,
        Some(subject.clone()),
        json!({ "orderId": subject, "total": { "amount": "54.98", "currencyCode": "USD" } }),
    )
}

/// Whether `signature_header` carries a valid signature by `secret` for the hit, following
/// Standard Webhooks: HMAC-SHA256 keyed with the base64-decoded part of `whsec_…` over
/// "{webhook-id}.{webhook-timestamp}.{body}", base64, sent as `v1,<sig>` (space separated when
/// there are several).
pub fn verifies(secret: &str, hit: &crate::receiver::Hit) -> bool {
    let key_bytes = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key_bytes);
    let signed = format!(
        "{}.{}.{}",
        hit.header("webhook-id"),
        hit.header("webhook-timestamp"),
        hit.body
    );
    hit.header("webhook-signature").split(' ').any(|sig| {
        sig.strip_prefix("v1,")
            .and_then(|b64| STANDARD.decode(b64).ok())
            .is_some_and(|tag| ring::hmac::verify(&key, signed.as_bytes(), &tag).is_ok())
    })
}
