//! An endpoint failing past the threshold is disabled, says why, and announces it with a
//! `webhook.endpoint_disabled` event naming its owner (for notifications); its deliveries wait.
//! Enabling it again clears the streak and the held deliveries go out.

use serde_json::json;

use crate::common::{event, start_with};
use crate::receiver::Receiver;

#[tokio::test]
async fn an_endpoint_failing_past_the_threshold_is_disabled_and_its_owner_told() {
    let env = start_with(&[
        ("DISABLE_AFTER_FAILURES", "3"),
        ("DISABLE_AFTER_SECS", "0"),
        ("RETRY_SCHEDULE", "50ms,50ms,50ms,50ms,50ms,50ms"),
    ])
    .await;
    // Fails its first five requests.
    let rx = Receiver::failing_first(5).await;
    let healthy = Receiver::answering(200).await;
    let ep = env.register(&rx.url, &["*"]).await;
    let ok = env.register(&healthy.url, &["order.*"]).await;
    env.publish(&[event("order.paid")]).await;

    crate::common::eventually("the endpoint disabled", || async {
        env.endpoint(&ep.id).await["enabled"] == false
    })
    .await;
    let e = env.endpoint(&ep.id).await;
    assert!(
        e["disabledReason"]
            .as_str()
            .unwrap()
            .contains("3 delivery attempts failed"),
        "{e}"
    );
    assert!(e["disabledAt"].is_string());
    assert_eq!(e["consecutiveFailures"], 3);
    let announced = env.outbox("webhook.endpoint_disabled").await;
    assert_eq!(announced.len(), 1, "announced once");
    assert_eq!(announced[0]["subject"], ep.id);
    assert_eq!(announced[0]["data"]["endpointId"], ep.id);
    assert_eq!(announced[0]["data"]["ownerId"], env.admin_id);
    assert_eq!(announced[0]["data"]["url"], rx.url);
    assert_eq!(rx.count(), 3, "no attempts after disabling");
    // The healthy endpoint is unaffected.
    env.settled(&ok.id, 1, "SUCCEEDED").await;

    // Disabled: new events are not queued for it, and a redeliver is a CONFLICT.
    let d = env.deliveries(&ep.id).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["status"], "PENDING");
    let refused = env
        .admin_gql(
            "mutation($d:ID!){ redeliverWebhook(deliveryId:$d){ id } }",
            json!({ "d": d[0]["id"] }),
        )
        .await;
    assert_eq!(crate::common::error_code(&refused), "CONFLICT");

    // Enabled again: the streak is cleared and the held delivery goes out (the receiver now
    // fails twice more, then succeeds).
    let body = env
        .admin_gql(
            "mutation($id:ID!){ updateWebhookEndpoint(id:$id, input:{enabled:true}){ enabled disabledReason consecutiveFailures } }",
            json!({ "id": ep.id }),
        )
        .await;
    assert_eq!(
        body["data"]["updateWebhookEndpoint"],
        json!({ "enabled": true, "disabledReason": null, "consecutiveFailures": 0 }),
        "{body}"
    );
    env.settled(&ep.id, 1, "SUCCEEDED").await;
    assert_eq!(rx.count(), 6);
    assert_eq!(env.endpoint(&ep.id).await["consecutiveFailures"], 0);
    env.stop().await;
}
