//! Operational endpoints answer as orchestrators expect.

use crate::common::*;
use serde_json::Value;

#[tokio::test]
async fn health_ready_and_metrics() {
    let app = start().await;
    let health = app
        .http
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = app
        .http
        .get(format!("{}/ready", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    let expected_broker = if std::env::var("TEST_AMQP_URL").is_ok() {
        "rabbitmq"
    } else {
        "memory"
    };
    assert_eq!(body["broker"]["backend"], expected_broker);
    let expected_cache = if std::env::var("TEST_REDIS_URL").is_ok() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["cache"]["backend"], expected_cache);
    assert!(app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("shop_db_statements_total"));
    let resp = app
        .http
        .post(format!("{}/graphql", app.url))
        .json(&serde_json::json!({"query":"{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers().get("x-request-id").is_some(),
        "responses carry a request id"
    );
    app.stop().await;
}
