//! SMS and push through real HTTP: a local receiver (axum on 127.0.0.1:0) stands in for
//! Twilio's Messages API and for an ntfy server. The test checks what the provider is sent
//! (method, path, auth header, body), that a 5xx is retried until it succeeds and a 4xx is
//! recorded FAILED at once; phone numbers and push topics are validated; the SMS and push
//! switches of a category are respected, and the log provider is the default.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Statuses to answer with, in order; 200 once they run out.
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start() -> (String, Receiver) {
        let me = Receiver::default();
        let app = axum::Router::new().fallback(record).with_state(me.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, me)
    }

    fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn record(State(me): State<Receiver>, req: Request) -> StatusCode {
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    me.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).to_string(),
    });
    let status = me.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// `application/x-www-form-urlencoded` → pairs (for reading what Twilio is sent).
fn form(body: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

const CONTACTS: &str = "{ phone pushSubscriptions { id topic } }";

async fn set_phone(env: &Env, user: &User, phone: &str) -> Value {
    env.gql(
        &format!("mutation($p: String) {{ setNotificationPhone(phone: $p) {CONTACTS} }}"),
        json!({ "p": phone }),
        Some(&user.token),
    )
    .await
}

async fn add_topic(env: &Env, user: &User, topic: &str) -> Value {
    env.gql(
        &format!("mutation($t: String!) {{ addPushSubscription(topic: $t) {CONTACTS} }}"),
        json!({ "t": topic }),
        Some(&user.token),
    )
    .await
}

/// A fresh customer whose welcome has been handled (on RabbitMQ it may arrive after the test
/// registered a phone, and would then be texted and pushed too).
async fn welcomed_customer(env: &Env) -> User {
    let user = env.customer().await;
    eventually("the welcome handled", || async {
        env.deliveries(&user.id)
            .await
            .iter()
            .any(|(_, _, channel, kind)| channel == "IN_APP" && kind == "welcome")
    })
    .await;
    user
}

/// The delivery of `kind` to `recipient` once it is no longer PENDING: (status, attempts).
async fn settled(env: &Env, recipient: &str, kind: &str) -> (String, i64) {
    let done = |rows: Vec<(String, i64, String, String)>| {
        rows.into_iter()
            .find(|(status, _, _, k)| k == kind && status != "PENDING")
            .map(|(status, attempts, _, _)| (status, attempts))
    };
    eventually(&format!("{kind} to {recipient} settled"), || async {
        done(env.deliveries(recipient).await).is_some()
    })
    .await;
    done(env.deliveries(recipient).await).unwrap()
}

#[tokio::test]
async fn twilio_gets_form_encoded_messages_with_basic_auth_retried_on_5xx_failed_on_4xx() {
    let (url, twilio) = Receiver::start().await;
    let env = start(
        None,
        &[
            ("SMS_PROVIDER", "twilio"),
            ("TWILIO_API_URL", &url),
            ("TWILIO_ACCOUNT_SID", "AC123"),
            ("TWILIO_AUTH_TOKEN", "secret-token"),
            ("TWILIO_FROM", "+15550001111"),
        ],
    )
    .await;
    let ada = welcomed_customer(&env).await;
    let set = set_phone(&env, &ada, "+1 (555) 123-4567").await;
    assert_eq!(
        set["data"]["setNotificationPhone"]["phone"], "+15551234567",
        "{set}"
    );

    // A server error first: the message is tried again and delivered.
    twilio.answer(&[503, 201]);
    env.publish(&order_event(
        "order.paid",
        Some(&ada),
        &ada.email,
        json!({}),
    ))
    .await;
    assert_eq!(
        settled(&env, "+15551234567", "order_paid").await,
        ("SENT".to_string(), 2)
    );
    let seen = twilio.seen();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(s.path, "/2010-04-01/Accounts/AC123/Messages.json");
        // base64("AC123:secret-token")
        assert_eq!(s.headers["authorization"], "Basic QUMxMjM6c2VjcmV0LXRva2Vu");
        assert_eq!(
            s.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        let fields = form(&s.body);
        assert_eq!(fields["To"], "+15551234567", "{s:?}");
        assert_eq!(fields["From"], "+15550001111", "{s:?}");
        assert!(fields["Body"].contains("SO-1001"), "{s:?}");
        assert!(
            fields["Body"].contains("https://shop.example/orders/"),
            "{s:?}"
        );
    }

    // A refusal (bad number, say) will not get better: FAILED after one attempt.
    twilio.answer(&[400]);
    env.publish(&order_event(
        "order.cancelled",
        Some(&ada),
        &ada.email,
        json!({ "reason": "CUSTOMER_REQUEST" }),
    ))
    .await;
    assert_eq!(
        settled(&env, "+15551234567", "order_cancelled").await,
        ("FAILED".to_string(), 1)
    );
    assert_eq!(twilio.seen().len(), 3);
    let log = env
        .gql(
            "{ notificationDeliveries(filter: { channel: SMS, status: FAILED }) { edges { node { recipient lastError } } } }",
            json!({}),
            Some(&env.staff),
        )
        .await;
    let failed = &log["data"]["notificationDeliveries"]["edges"][0]["node"];
    assert_eq!(failed["recipient"], "+15551234567", "{log}");
    assert!(
        failed["lastError"].as_str().unwrap().contains("400"),
        "{log}"
    );
}

#[tokio::test]
async fn ntfy_gets_each_push_with_title_click_and_token_retried_on_5xx_failed_on_4xx() {
    let (url, ntfy) = Receiver::start().await;
    let env = start(
        None,
        &[
            ("PUSH_PROVIDER", "ntfy"),
            ("NTFY_URL", &url),
            ("NTFY_TOKEN", "tk_push"),
        ],
    )
    .await;
    let ada = welcomed_customer(&env).await;
    let added = add_topic(&env, &ada, "ada-phone-7f3a").await;
    assert_eq!(
        added["data"]["addPushSubscription"]["pushSubscriptions"][0]["topic"], "ada-phone-7f3a",
        "{added}"
    );

    ntfy.answer(&[502, 200]);
    env.publish(&order_event(
        "order.paid",
        Some(&ada),
        &ada.email,
        json!({}),
    ))
    .await;
    assert_eq!(
        settled(&env, "ada-phone-7f3a", "order_paid").await,
        ("SENT".to_string(), 2)
    );
    let seen = ntfy.seen();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    for s in &seen {
        assert_eq!(s.method, "POST");
        assert_eq!(s.path, "/ada-phone-7f3a");
        assert_eq!(s.headers["authorization"], "Bearer tk_push");
        assert!(s.headers["title"].contains("SO-1001"), "{s:?}");
        assert!(
            s.headers["click"].starts_with("https://shop.example/orders/"),
            "{s:?}"
        );
        assert!(s.body.contains("SO-1001"), "{s:?}");
    }

    ntfy.answer(&[404]);
    env.publish(&order_event(
        "order.cancelled",
        Some(&ada),
        &ada.email,
        json!({ "reason": "CUSTOMER_REQUEST" }),
    ))
    .await;
    assert_eq!(
        settled(&env, "ada-phone-7f3a", "order_cancelled").await,
        ("FAILED".to_string(), 1)
    );
    assert_eq!(ntfy.seen().len(), 3);
}

#[tokio::test]
async fn contacts_are_validated_and_sms_and_push_switches_respected_with_the_log_provider() {
    let env = start(None, &[]).await;
    let ada = welcomed_customer(&env).await;

    for bad in ["12345", "+0123456789", "+1 555 CALL NOW", "+1234567"] {
        let body = set_phone(&env, &ada, bad).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}: {body}");
        assert_eq!(kit::testing::error_field(&body), "phone");
    }
    for bad in ["../admin", "", "a b", &"x".repeat(65)] {
        let body = add_topic(&env, &ada, bad).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}: {body}");
        assert_eq!(kit::testing::error_field(&body), "topic");
    }
    let anonymous = env
        .gql(
            "mutation { setNotificationPhone(phone: \"+15551234567\") { phone } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    set_phone(&env, &ada, "+447700900123").await;
    add_topic(&env, &ada, "ada-tablet").await;
    let prefs = env
        .gql(
            "mutation { updateNotificationPreferences(input: [{ category: ORDERS, sms: false }]) { category email inApp sms push } }",
            json!({}),
            Some(&ada.token),
        )
        .await;
    let orders = prefs["data"]["updateNotificationPreferences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["category"] == "ORDERS")
        .cloned()
        .unwrap();
    assert_eq!(
        orders,
        json!({ "category": "ORDERS", "email": true, "inApp": true, "sms": false, "push": true })
    );

    env.publish(&order_event(
        "order.paid",
        Some(&ada),
        &ada.email,
        json!({}),
    ))
    .await;
    // The log provider (the default) counts the push as sent.
    assert_eq!(
        settled(&env, "ada-tablet", "order_paid").await,
        ("SENT".to_string(), 1)
    );
    // Recorded in the same transaction as the push: no SMS row means none was planned.
    assert!(env.deliveries("+447700900123").await.is_empty());

    // Removing the subscription stops pushes; the phone is back on for orders.
    let contacts = env
        .gql(
            &format!("{{ notificationContacts {CONTACTS} }}"),
            json!({}),
            Some(&ada.token),
        )
        .await;
    let sub = contacts["data"]["notificationContacts"]["pushSubscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let removed = env
        .gql(
            &format!("mutation($i: ID!) {{ removePushSubscription(id: $i) {CONTACTS} }}"),
            json!({ "i": sub }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(
        removed["data"]["removePushSubscription"]["pushSubscriptions"],
        json!([])
    );
    env.gql(
        "mutation { updateNotificationPreferences(input: [{ category: ORDERS, sms: true }]) { category } }",
        json!({}),
        Some(&ada.token),
    )
    .await;
    env.publish(&order_event(
        "order.cancelled",
        Some(&ada),
        &ada.email,
        json!({}),
    ))
    .await;
    assert_eq!(
        settled(&env, "+447700900123", "order_cancelled").await,
        ("SENT".to_string(), 1)
    );
    assert_eq!(env.deliveries("ada-tablet").await.len(), 1);
}
