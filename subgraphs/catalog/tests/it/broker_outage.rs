//! With RabbitMQ stopped, staff edits still succeed (their events wait in the outbox); after
//! the broker is back every `product.created` arrives.
//!
//! Needs the real broker and a way to stop it: `TEST_AMQP_URL` and `TEST_RABBITMQ_CTL` (a
//! command taking `stop_app` / `start_app`). The test command runs it on its own, after the
//! rest. Without them it fails, never skips.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use kit::events::{Event, QueueSpec};
use parking_lot::Mutex;
use serde_json::json;

#[tokio::test]
async fn broker_outage_delays_but_loses_no_product_event() {
    assert!(
        std::env::var("TEST_AMQP_URL").is_ok(),
        "this test needs the real RabbitMQ (TEST_AMQP_URL)"
    );
    let env = start().await;
    let received = Arc::new(Mutex::new(Vec::<Event>::new()));
    let seen = received.clone();
    env.catalog
        .svc()
        .consume(
            QueueSpec::durable("catalog-outage-test", &["product.created"]),
            move |event: Event| {
                let seen = seen.clone();
                async move {
                    seen.lock().push(event);
                    Ok(())
                }
            },
        )
        .await
        .unwrap();

    let restart = kit::testing::BrokerOutage::begin();
    let mut ids = HashSet::new();
    for i in 0..3 {
        ids.insert(product(&env, json!({ "title": format!("Outage {i}") })).await);
    }
    assert!(
        env.catalog.metric("outbox_pending").await >= 3,
        "events wait in the outbox"
    );
    drop(restart);

    let got = || -> HashSet<String> {
        received
            .lock()
            .iter()
            .filter_map(|e| e.subject.clone())
            .collect()
    };
    for _ in 0..600 {
        if ids.is_subset(&got()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ids.is_subset(&got()), "missing product.created events");
    env.stop().await;
}
