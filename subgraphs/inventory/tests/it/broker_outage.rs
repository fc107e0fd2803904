//! With RabbitMQ stopped, reservations still succeed (their `inventory.reserved` events wait in
//! the outbox); once the broker is back every event arrives, and inventory's own consumer has
//! reconnected: a `payment.succeeded` then commits.
//!
//! Needs the real broker and a way to stop it: `TEST_AMQP_URL` and `TEST_RABBITMQ_CTL`. The
//! test command runs it alone, after the rest. Without them it fails, never skips.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::common::*;
use kit::events::{Event, QueueSpec};
use serde_json::json;

#[tokio::test]
async fn broker_outage_delays_inventory_events_but_loses_none() {
    assert!(
        std::env::var("TEST_AMQP_URL").is_ok(),
        "this test needs the real RabbitMQ (TEST_AMQP_URL)"
    );
    let env = start().await;
    let received = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = received.clone();
    env.app
        .svc()
        .consume(
            QueueSpec::durable("inventory-outage-test", &["inventory.reserved"]),
            move |e: Event| {
                sink.lock().unwrap().push(e);
                async { Ok(()) }
            },
        )
        .await
        .unwrap();
    let v = variant();
    let w = env.warehouse("OUTAGE").await;
    env.adjust(&v, &w, 10).await;

    let back = kit::testing::BrokerOutage::begin();
    let mut ids = HashSet::new();
    for i in 0..5 {
        let body = env
            .reserve(&env.staff, &format!("outage-{i}"), &[(&v, 1)], None)
            .await;
        ids.insert(
            body["data"]["reserve"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_string(),
        );
    }
    assert!(
        env.app.metric("outbox_pending").await >= 5,
        "events wait in the outbox"
    );
    assert_eq!(env.available(&v).await, 5);
    drop(back);

    eventually("every inventory.reserved after the outage", || async {
        let got: HashSet<String> = received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| e.data["reservationId"].as_str().map(str::to_string))
            .collect();
        ids.is_subset(&got)
    })
    .await;

    let paid = ids.iter().next().unwrap().clone();
    let reference = {
        let body = env
            .staff_gql(
                "query($id:ID!){ reservation(id:$id){ reference } }",
                json!({ "id": paid }),
            )
            .await;
        body["data"]["reservation"]["reference"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let event = Event::new(
        "test",
        "payment.succeeded",
        None,
        json!({ "reservationReference": reference }),
    );
    // The publisher may still be reconnecting: retry until the broker takes the event (the
    // durable queue keeps it until the consumer is back too).
    let mut published = false;
    for _ in 0..100 {
        if env
            .app
            .svc()
            .transport
            .publish_batch(std::slice::from_ref(&event))
            .await
            .is_ok()
        {
            published = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(published, "the broker takes events again");
    eventually("the payment to commit", || async {
        env.reservation_status(&paid).await == "COMMITTED"
    })
    .await;
    env.stop().await;
}
