//! Events leave through the outbox: a registration's `user.registered` reaches a consumer on
//! the configured transport (the in-process bus, or RabbitMQ in the real-server run), and a
//! consumer that receives the same event twice applies it once.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use kit::events::{claim, Event, QueueSpec};
use kit::testing::TestApp;
use parking_lot::Mutex;

/// A consumer with an effect (a row per event) made idempotent by `claim`.
async fn effect_consumer(app: &TestApp, queue: &str) -> Arc<Mutex<Vec<Event>>> {
    let db = app.svc().db.clone();
    sqlx::query("CREATE TABLE IF NOT EXISTS test_effects (event_id TEXT NOT NULL, event_type TEXT NOT NULL)")
        .execute(db.background())
        .await
        .unwrap();
    let deliveries = Arc::new(Mutex::new(Vec::new()));
    let seen = deliveries.clone();
    app.svc()
        .consume(
            QueueSpec::durable(queue, &["user.*"]),
            move |event: Event| {
                let db = db.clone();
                let seen = seen.clone();
                async move {
                    seen.lock().push(event.clone());
                    let mut tx = db.begin().await?;
                    if claim(&mut tx, "test-effects", &event).await? {
                        sqlx::query(
                            "INSERT INTO test_effects (event_id, event_type) VALUES ($1, $2)",
                        )
                        .bind(&event.id)
                        .bind(&event.event_type)
                        .execute(tx.conn())
                        .await?;
                        tx.commit().await?;
                    }
                    Ok(())
                }
            },
        )
        .await
        .unwrap();
    deliveries
}

pub async fn effects(app: &TestApp, event_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM test_effects WHERE event_id = $1")
        .bind(event_id)
        .fetch_one(app.svc().db.background())
        .await
        .unwrap()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn registration_publishes_user_registered_and_duplicates_apply_once() {
    let app = start().await;
    let deliveries = effect_consumer(&app, "events-test").await;
    let email = unique_email("evt");
    let id = register(&app, &email, "Evt").await;

    wait_for("user.registered", || {
        deliveries
            .lock()
            .iter()
            .any(|e| e.subject.as_deref() == Some(&id))
    })
    .await;
    let event = deliveries
        .lock()
        .iter()
        .find(|e| e.subject.as_deref() == Some(&id))
        .cloned()
        .unwrap();
    assert_eq!(event.event_type, "user.registered");
    assert_eq!(event.specversion, "1.0");
    assert_eq!(event.source, "/subgraphs/accounts");
    assert_eq!(event.data["email"], serde_json::json!(email));
    // The relay marks the row published after the broker confirms, which can trail delivery.
    for _ in 0..100 {
        if app.metric("outbox_pending").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.metric("outbox_pending").await, 0);

    // Redeliver the very same event (as a broker would after a lost ack).
    app.svc()
        .transport
        .publish_batch(std::slice::from_ref(&event))
        .await
        .unwrap();
    let id2 = event.id.clone();
    wait_for("the duplicate", || {
        deliveries.lock().iter().filter(|e| e.id == id2).count() == 2
    })
    .await;
    assert_eq!(
        effects(&app, &event.id).await,
        1,
        "the duplicate must have no second effect"
    );
    app.stop().await;
}
