//! Partner webhooks through the launcher: an admin registers an endpoint through the router
//! (the launcher allows loopback targets only because this test sets
//! `WEBHOOKS_ALLOW_LOOPBACK_TARGETS`), a customer signs up, and the partner's receiver on
//! 127.0.0.1 gets the `user.registered` CloudEvent with the Standard Webhooks headers, once;
//! the delivery is visible through the router, and customers are refused it at the router
//! (`@requiresScopes`).

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::launcher::{Shop, ADMIN};

/// A minimal HTTP receiver: records each request's head and body, answers 204.
pub(crate) async fn receiver() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let head = text[..end].to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            let body = text[end + 4..end + 4 + length].to_string();
                            record.lock().unwrap().push((head, body));
                            let _ = socket
                                .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                                .await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_sign_up_reaches_a_registered_partner_endpoint_once() {
    let shop = Shop::start_with(
        20,
        &[
            ("WEBHOOKS_ALLOW_LOOPBACK_TARGETS", "true"),
            ("WEBHOOKS_WORKER_POLL_MS", "100"),
        ],
    )
    .await;
    let admin = shop.login(ADMIN.0, ADMIN.1).await;
    let (url, seen) = receiver().await;
    let created = shop
        .data(
            Some(&admin),
            "mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: [\"user.*\"], description: \"CRM\" }) { secret endpoint { id enabled } } }",
            json!({ "u": url }),
        )
        .await;
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(created["createWebhookEndpoint"]["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));

    let email = format!("partner.{}@example.com", std::process::id());
    let user = shop
        .data(
            None,
            "mutation($e: String!) { register(email: $e, password: \"a-long-password-2026\", name: \"Webhook Watcher\") { id } }",
            json!({ "e": email }),
        )
        .await;
    let user_id = user["register"]["id"].as_str().unwrap().to_string();

    let deliveries = |status: &'static str| {
        let shop = &shop;
        let admin = admin.clone();
        let endpoint = endpoint.clone();
        async move {
            shop.data(
                Some(&admin),
                "query($e: ID!, $s: WebhookDeliveryStatus) { webhookDeliveries(endpointId: $e, status: $s) { totalCount edges { node { id eventType attemptCount endpoint { url } } } } }",
                json!({ "e": endpoint, "s": status }),
            )
            .await["webhookDeliveries"]
                .clone()
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let registered: Value = loop {
        let page = deliveries("SUCCEEDED").await;
        let found = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["eventType"] == "user.registered")
            .cloned();
        if let Some(edge) = found {
            break edge["node"].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no user.registered delivery: {page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(registered["endpoint"]["url"], url.as_str());

    let hits: Vec<(String, String)> = seen.lock().unwrap().clone();
    let ours: Vec<&(String, String)> = hits
        .iter()
        .filter(|(_, body)| body.contains(&user_id) && body.contains("\"user.registered\""))
        .collect();
    assert_eq!(ours.len(), 1, "exactly once: {hits:?}");
    let (head, body) = ours[0];
    assert!(
        head.contains(&format!(
            "webhook-id: {}",
            registered["id"].as_str().unwrap()
        )),
        "{head}"
    );
    assert!(head.contains("webhook-timestamp: "), "{head}");
    assert!(head.contains("webhook-signature: v1,"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], "user.registered");

    // Customers see none of it.
    let customer = shop.login(&email, "a-long-password-2026").await;
    let body = shop
        .gql(
            Some(&customer),
            "{ webhookEndpoints { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHORIZED_FIELD_OR_TYPE",
        "{body}"
    );
}
