//! The happy path as a partner sees it: an event matching an endpoint's filters arrives once,
//! signed per Standard Webhooks, with the CloudEvent as the body; endpoints whose filters do
//! not match get nothing; a redelivered event creates no second delivery; the delivery and its
//! attempt are queryable with the response status, timing and capped body.

use serde_json::{json, Value};

use crate::common::{event, start, verifies};
use crate::receiver::Receiver;

#[tokio::test]
async fn a_matching_event_arrives_once_signed_with_the_cloudevent_as_body() {
    let env = start().await;
    // Answers with more than the 1 KB the tests keep.
    let orders = Receiver::scripted(|_| (200, vec![], "x".repeat(5000))).await;
    let everything = Receiver::answering(204).await;
    let users = Receiver::answering(200).await;
    let a = env.register(&orders.url, &["order.*"]).await;
    let b = env.register(&everything.url, &["*"]).await;
    let c = env.register(&users.url, &["user.registered"]).await;
    assert!(a.secret.starts_with("whsec_"), "{}", a.secret);

    let paid = event("order.paid");
    // The broker may deliver an event twice: the second copy must change nothing.
    env.publish(std::slice::from_ref(&paid)).await;
    env.publish(std::slice::from_ref(&paid)).await;

    let delivered = env.settled(&a.id, 1, "SUCCEEDED").await;
    env.settled(&b.id, 1, "SUCCEEDED").await;
    assert_eq!(orders.count(), 1);
    let hit = &orders.hits()[0];
    assert_eq!(hit.header("content-type"), "application/json");
    assert_eq!(
        hit.header("webhook-id"),
        delivered[0]["id"].as_str().unwrap()
    );
    let ts: i64 = hit.header("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 300);
    assert!(verifies(&a.secret, hit), "signature verifies: {hit:?}");
    assert!(
        !verifies(&b.secret, hit),
        "another endpoint's secret does not"
    );
    let body: Value = serde_json::from_str(&hit.body).unwrap();
    assert_eq!(body, serde_json::to_value(&paid).unwrap());
    assert_eq!(body["specversion"], "1.0");
    assert_eq!(body["type"], "order.paid");
    assert!(verifies(&b.secret, &everything.hits()[0]));

    // The record: one attempt, its status, a duration and the body cut at the cap.
    let d = &delivered[0];
    assert_eq!(d["eventId"], paid.id);
    assert_eq!(d["eventType"], "order.paid");
    assert_eq!(d["attemptCount"], 1);
    assert_eq!(d["lastResponseStatus"], 200);
    assert_eq!(d["nextAttemptAt"], Value::Null);
    assert_eq!(
        serde_json::from_str::<Value>(d["payload"].as_str().unwrap()).unwrap(),
        body
    );
    let attempt = &d["attempts"][0];
    assert_eq!(attempt["responseStatus"], 200);
    assert_eq!(attempt["error"], Value::Null);
    assert!(attempt["durationMs"].as_i64().unwrap() >= 0);
    assert_eq!(attempt["responseBody"].as_str().unwrap().len(), 1024);
    assert_eq!(attempt["responseBodyTruncated"], true);

    // Nothing for the endpoint that wants only user.registered, until one comes.
    assert!(env.deliveries(&c.id).await.is_empty());
    assert_eq!(users.count(), 0);
    env.publish(&[event("user.registered")]).await;
    env.settled(&c.id, 1, "SUCCEEDED").await;
    env.settled(&b.id, 2, "SUCCEEDED").await;
    assert_eq!(
        env.deliveries(&a.id).await.len(),
        1,
        "order.* skips user events"
    );

    // Filtering by status.
    let body = env
        .admin_gql(
            "query($e:ID!){ webhookDeliveries(endpointId:$e, status:FAILED){ totalCount } }",
            json!({ "e": b.id }),
        )
        .await;
    assert_eq!(body["data"]["webhookDeliveries"]["totalCount"], 0, "{body}");
    env.stop().await;
}

#[tokio::test]
async fn disabled_endpoints_get_nothing_and_ping_sends_a_signed_test_event() {
    let env = start().await;
    let rx = Receiver::answering(200).await;
    let off = env
        .create_raw(json!({ "url": rx.url, "eventTypes": ["*"], "enabled": false }))
        .await;
    let off_id = off["data"]["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let on = env.register(&rx.url, &["inventory.low"]).await;
    env.publish(&[event("inventory.low")]).await;
    env.settled(&on.id, 1, "SUCCEEDED").await;
    assert!(env.deliveries(&off_id).await.is_empty());

    let ping = env
        .admin_gql(
            &format!(
                "mutation($id:ID!){{ pingWebhookEndpoint(id:$id){{ {} }} }}",
                crate::common::DELIVERY_FIELDS
            ),
            json!({ "id": on.id }),
        )
        .await;
    assert!(ping["errors"].is_null(), "{ping}");
    assert_eq!(
        ping["data"]["pingWebhookEndpoint"]["eventType"],
        "webhook.ping"
    );
    env.settled(&on.id, 2, "SUCCEEDED").await;
    let hit = rx
        .hits()
        .into_iter()
        .find(|h| h.body.contains("webhook.ping"))
        .expect("the ping arrived");
    assert!(verifies(&on.secret, &hit));
    let body: Value = serde_json::from_str(&hit.body).unwrap();
    assert_eq!(body["type"], "webhook.ping");
    assert_eq!(body["data"]["endpointId"], on.id);
    assert_eq!(
        hit.header("webhook-id"),
        ping["data"]["pingWebhookEndpoint"]["id"].as_str().unwrap()
    );

    // A disabled endpoint cannot be pinged.
    let refused = env
        .admin_gql(
            "mutation($id:ID!){ pingWebhookEndpoint(id:$id){ id } }",
            json!({ "id": off_id }),
        )
        .await;
    assert_eq!(crate::common::error_code(&refused), "CONFLICT");
    env.stop().await;
}
