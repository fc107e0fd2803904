//! With RabbitMQ stopped, registrations still succeed (their events wait in the outbox); after
//! the broker is back every `user.registered` arrives, and a duplicate is applied once.
//!
//! Needs the real broker and a way to stop it: `TEST_AMQP_URL` and `TEST_RABBITMQ_CTL` (a
//! command taking `stop_app` / `start_app`). The test command runs it on its own, after the
//! rest, because it takes the broker away from everyone. Without them it fails, never skips.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use kit::events::{claim, Event, QueueSpec};
use parking_lot::Mutex;

#[tokio::test]
async fn broker_outage_delays_but_loses_no_event() {
    assert!(
        std::env::var("TEST_AMQP_URL").is_ok(),
        "this test needs the real RabbitMQ (TEST_AMQP_URL)"
    );
    let app = start().await;
    let db = app.svc().db.clone();
    sqlx::query("CREATE TABLE test_effects (event_id TEXT NOT NULL)")
        .execute(db.background())
        .await
        .unwrap();
    let received = Arc::new(Mutex::new(Vec::<Event>::new()));
    let seen = received.clone();
    app.svc()
        .consume(
            QueueSpec::durable("outage-test", &["user.registered"]),
            move |event: Event| {
                let db = db.clone();
                let seen = seen.clone();
                async move {
                    let mut tx = db.begin().await?;
                    if claim(&mut tx, "outage-test", &event).await? {
                        sqlx::query("INSERT INTO test_effects (event_id) VALUES ($1)")
                            .bind(&event.id)
                            .execute(tx.conn())
                            .await?;
                        tx.commit().await?;
                    }
                    seen.lock().push(event);
                    Ok(())
                }
            },
        )
        .await
        .unwrap();

    // Whatever happens below, the broker comes back for the rest of the run.
    let restart = kit::testing::BrokerOutage::begin();
    let mut ids = HashSet::new();
    for i in 0..5 {
        ids.insert(register(&app, &unique_email(&format!("outage{i}")), "Outage").await);
    }
    assert!(
        app.metric("outbox_pending").await >= 5,
        "events wait in the outbox"
    );
    drop(restart);

    for _ in 0..600 {
        let got: HashSet<String> = received
            .lock()
            .iter()
            .filter_map(|e| e.subject.clone())
            .collect();
        if ids.is_subset(&got) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got: HashSet<String> = received
        .lock()
        .iter()
        .filter_map(|e| e.subject.clone())
        .collect();
    assert!(
        ids.is_subset(&got),
        "missing events for {:?}",
        ids.difference(&got).collect::<Vec<_>>()
    );
    for _ in 0..100 {
        if app.metric("outbox_pending").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.metric("outbox_pending").await, 0);

    // A duplicate delivery through the restarted broker has no second effect.
    let first = received.lock()[0].clone();
    app.svc()
        .transport
        .publish_batch(std::slice::from_ref(&first))
        .await
        .unwrap();
    for _ in 0..300 {
        if received.lock().iter().filter(|e| e.id == first.id).count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        received.lock().iter().filter(|e| e.id == first.id).count(),
        2,
        "duplicate delivered"
    );
    let effects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM test_effects WHERE event_id = $1")
        .bind(&first.id)
        .fetch_one(app.svc().db.background())
        .await
        .unwrap();
    assert_eq!(effects, 1);
    app.stop().await;
}
