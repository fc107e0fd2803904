//! Secret rotation: during the overlap every delivery carries two signatures, one verifying
//! with the old secret and one with the new; without an overlap only the new secret verifies.

use serde_json::json;

use crate::common::{start, verifies};
use crate::receiver::Receiver;

async fn ping(env: &crate::common::Env, id: &str) {
    let body = env
        .admin_gql(
            "mutation($id:ID!){ pingWebhookEndpoint(id:$id){ id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

async fn rotate(env: &crate::common::Env, id: &str, hours: i64) -> serde_json::Value {
    env.admin_gql(
        "mutation($id:ID!,$h:Int!){ rotateWebhookSecret(id:$id, overlapHours:$h){ secret endpoint { id previousSecretValidUntil } } }",
        json!({ "id": id, "h": hours }),
    )
    .await
}

#[tokio::test]
async fn during_the_overlap_both_secrets_verify_and_after_it_only_the_new_one() {
    let env = start().await;
    let rx = Receiver::answering(200).await;
    let ep = env.register(&rx.url, &["*"]).await;

    let body = rotate(&env, &ep.id, 2).await;
    assert!(body["errors"].is_null(), "{body}");
    let new_secret = body["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(new_secret.starts_with("whsec_"));
    assert_ne!(new_secret, ep.secret);
    assert!(
        body["data"]["rotateWebhookSecret"]["endpoint"]["previousSecretValidUntil"].is_string()
    );

    ping(&env, &ep.id).await;
    env.settled(&ep.id, 1, "SUCCEEDED").await;
    let hit = &rx.hits()[0];
    let sigs: Vec<&str> = hit.header("webhook-signature").split(' ').collect();
    assert_eq!(sigs.len(), 2, "{sigs:?}");
    assert!(verifies(&ep.secret, hit), "the old secret verifies");
    assert!(verifies(&new_secret, hit), "the new secret verifies");

    // A rotation without overlap: only the newest secret signs.
    let body = rotate(&env, &ep.id, 0).await;
    let newest = body["data"]["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        body["data"]["rotateWebhookSecret"]["endpoint"]["previousSecretValidUntil"],
        serde_json::Value::Null
    );
    ping(&env, &ep.id).await;
    env.settled(&ep.id, 2, "SUCCEEDED").await;
    let hit = &rx.hits()[1];
    assert_eq!(hit.header("webhook-signature").split(' ').count(), 1);
    assert!(verifies(&newest, hit));
    assert!(!verifies(&new_secret, hit));
    assert!(!verifies(&ep.secret, hit));

    let bad = rotate(&env, &ep.id, 500).await;
    assert_eq!(crate::common::error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(crate::common::field(&bad), "overlapHours");
    env.stop().await;
}
