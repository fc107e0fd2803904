//! Failing receivers: retried on the schedule with the same `webhook-id` until one answers
//! 2xx; a delivery whose schedule runs out is FAILED, and `redeliverWebhook` sends it again
//! (same id and body) with its earlier attempts kept.

use serde_json::json;

use crate::common::{error_code, event, start, verifies, DELIVERY_FIELDS};
use crate::receiver::Receiver;

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt_with_the_same_id() {
    let env = start().await;
    let rx = Receiver::failing_first(3).await;
    let ep = env.register(&rx.url, &["order.paid"]).await;
    env.publish(&[event("order.paid")]).await;

    let d = env.settled(&ep.id, 1, "SUCCEEDED").await;
    let hits = rx.hits();
    assert_eq!(hits.len(), 4, "three failures and the success");
    let id = d[0]["id"].as_str().unwrap();
    for hit in &hits {
        assert_eq!(hit.header("webhook-id"), id, "stable across retries");
        assert_eq!(hit.body, hits[0].body, "the same body every time");
        assert!(verifies(&ep.secret, hit), "each attempt is signed");
    }
    assert_eq!(d[0]["attemptCount"], 4);
    let statuses: Vec<i64> = d[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["responseStatus"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![500, 500, 500, 200]);
    assert_eq!(d[0]["attempts"][0]["error"], "HTTP 500");
    assert_eq!(d[0]["attempts"][3]["responseBody"], "answer 3");
    env.stop().await;
}

#[tokio::test]
async fn an_exhausted_schedule_fails_the_delivery_and_redeliver_sends_it_again() {
    let env = start_with_two_retries().await;
    // Fails the three attempts of the schedule, then succeeds.
    let rx = Receiver::failing_first(3).await;
    let ep = env.register(&rx.url, &["order.*"]).await;
    env.publish(&[event("order.cancelled")]).await;

    let d = env.settled(&ep.id, 1, "FAILED").await;
    assert_eq!(d[0]["attemptCount"], 3);
    assert_eq!(d[0]["nextAttemptAt"], serde_json::Value::Null);
    assert_eq!(rx.count(), 3);

    let again = env
        .admin_gql(
            &format!(
                "mutation($d:ID!){{ redeliverWebhook(deliveryId:$d){{ {DELIVERY_FIELDS} }} }}"
            ),
            json!({ "d": d[0]["id"] }),
        )
        .await;
    assert!(again["errors"].is_null(), "{again}");
    let d2 = env.settled(&ep.id, 1, "SUCCEEDED").await;
    assert_eq!(d2[0]["id"], d[0]["id"]);
    assert_eq!(d2[0]["attemptCount"], 4, "earlier attempts stay on record");
    let hits = rx.hits();
    assert_eq!(hits.len(), 4);
    assert_eq!(hits[3].header("webhook-id"), hits[0].header("webhook-id"));
    assert_eq!(hits[3].body, hits[0].body);

    // A succeeded delivery can be sent again too; unknown ids are NOT_FOUND.
    let again = env
        .admin_gql(
            "mutation($d:ID!){ redeliverWebhook(deliveryId:$d){ status } }",
            json!({ "d": d[0]["id"] }),
        )
        .await;
    assert!(again["errors"].is_null(), "{again}");
    crate::common::eventually("the fifth request", || async { rx.count() == 5 }).await;
    env.settled(&ep.id, 1, "SUCCEEDED").await;
    let missing = env
        .admin_gql(
            "mutation($d:ID!){ redeliverWebhook(deliveryId:$d){ status } }",
            json!({ "d": kit::ids::new_id() }),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    env.stop().await;
}

async fn start_with_two_retries() -> crate::common::Env {
    crate::common::start_with(&[("RETRY_SCHEDULE", "50ms,50ms")]).await
}

#[tokio::test]
async fn a_pending_retry_survives_a_restart_of_the_subgraph() {
    // The retry is due two seconds after the first failure; the subgraph is stopped before
    // that and a new instance on the same database sends it: the state is in rows, not memory.
    let mut env = crate::common::start_with(&[("RETRY_SCHEDULE", "2s")]).await;
    let rx = Receiver::failing_first(1).await;
    let ep = env.register(&rx.url, &["*"]).await;
    env.publish(&[event("shipment.created")]).await;
    crate::common::eventually("the first, failed attempt", || async {
        env.deliveries(&ep.id)
            .await
            .first()
            .is_some_and(|d| d["attemptCount"] == 1 && d["status"] == "PENDING")
    })
    .await;
    env.restart().await;
    let d = env.settled(&ep.id, 1, "SUCCEEDED").await;
    assert_eq!(d[0]["attemptCount"], 2);
    let hits = rx.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].header("webhook-id"), hits[1].header("webhook-id"));
    env.stop().await;
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_and_the_attempt_says_so() {
    let env =
        crate::common::start_with(&[("REQUEST_TIMEOUT_MS", "300"), ("RETRY_SCHEDULE", "50ms")])
            .await;
    let rx = Receiver::gated().await; // holds every request, never answers
    let ep = env.register(&rx.url, &["*"]).await;
    env.publish(&[event("order.paid")]).await;
    let d = env.settled(&ep.id, 1, "FAILED").await;
    assert_eq!(d[0]["attemptCount"], 2);
    for attempt in d[0]["attempts"].as_array().unwrap() {
        assert_eq!(attempt["responseStatus"], serde_json::Value::Null);
        let error = attempt["error"].as_str().unwrap();
        assert!(error.contains("timed out"), "{error}");
    }
    assert_eq!(rx.count(), 2, "both attempts reached the receiver");
    rx.open();
    env.stop().await;
}
