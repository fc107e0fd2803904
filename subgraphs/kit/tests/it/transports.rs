//! The event transports behave alike: on the in-process bus in the embedded run, on RabbitMQ in
//! the real-server run. Fan-out queues give every instance every event; a durable queue gives
//! each event to one consumer; a handler that keeps failing gets its event dead-lettered after
//! the configured attempts (3 in tests) instead of blocking the queue.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use kit::events::{handler, Event, QueueSpec};
use kit::testing;
use parking_lot::Mutex;
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn event(kind: &str) -> Event {
    Event::new("test", kind, Some("subject".into()), json!({ "n": 1 }))
}

async fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..200 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn fan_out_delivers_every_event_to_every_instance() {
    let shutdown = CancellationToken::new();
    let (transport, _) = testing::transport("fanout", &shutdown);
    let inboxes: Vec<Arc<Mutex<Vec<String>>>> = (0..2).map(|_| Arc::default()).collect();
    for inbox in &inboxes {
        let inbox = inbox.clone();
        transport
            .consume(
                QueueSpec::fan_out("live", &["stock.*"]),
                handler(move |e: Event| {
                    let inbox = inbox.clone();
                    async move {
                        let tag = match e.subject.as_deref() {
                            Some("marker") => format!("{}/marker", e.event_type),
                            _ => e.event_type,
                        };
                        inbox.lock().push(tag);
                        Ok(())
                    }
                }),
            )
            .await
            .unwrap();
    }
    // Fan-out queues appear when each instance connects; publish until both have one.
    for _ in 0..100 {
        transport
            .publish_batch(&[event("stock.changed")])
            .await
            .unwrap();
        if inboxes.iter().all(|i| !i.lock().is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        inboxes.iter().all(|i| !i.lock().is_empty()),
        "every instance receives"
    );
    // A type outside the bindings reaches nobody: publish it before a marker event; per-queue
    // order means once the marker is in, the unbound one would have been too.
    let mut marker = event("stock.changed");
    marker.subject = Some("marker".into());
    transport
        .publish_batch(&[event("order.created"), marker])
        .await
        .unwrap();
    let marker_in =
        |i: &Arc<Mutex<Vec<String>>>| i.lock().iter().any(|t| t == "stock.changed/marker");
    eventually("the marker", || inboxes.iter().all(marker_in)).await;
    assert!(inboxes
        .iter()
        .all(|i| i.lock().iter().all(|t| t.starts_with("stock.changed"))));
    shutdown.cancel();
}

#[tokio::test]
async fn a_durable_queue_delivers_each_event_once_in_order() {
    let shutdown = CancellationToken::new();
    let (transport, stats) = testing::transport("durable", &shutdown);
    let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
    let sink = seen.clone();
    transport
        .consume(
            QueueSpec::durable("orders", &["order.#"]),
            handler(move |e: Event| {
                let sink = sink.clone();
                async move {
                    sink.lock().push(e.data["n"].as_i64().unwrap());
                    Ok(())
                }
            }),
        )
        .await
        .unwrap();
    let batch: Vec<Event> = (0..50)
        .map(|n| Event::new("test", "order.created", None, json!({ "n": n })))
        .collect();
    transport.publish_batch(&batch).await.unwrap();
    eventually("50 events", || seen.lock().len() == 50).await;
    assert_eq!(*seen.lock(), (0..50).collect::<Vec<_>>());
    assert!(stats.published.load(Ordering::Relaxed) >= 50);
    shutdown.cancel();
}

#[tokio::test]
async fn a_failing_handler_dead_letters_after_max_attempts() {
    let shutdown = CancellationToken::new();
    let (transport, stats) = testing::transport("dlq", &shutdown);
    let attempts = Arc::new(Mutex::new(0u32));
    let count = attempts.clone();
    let ok: Arc<Mutex<Vec<String>>> = Arc::default();
    let ok_sink = ok.clone();
    transport
        .consume(
            QueueSpec::durable("fragile", &["job.*"]),
            handler(move |e: Event| {
                let count = count.clone();
                let ok_sink = ok_sink.clone();
                async move {
                    if e.event_type == "job.poison" {
                        *count.lock() += 1;
                        anyhow::bail!("cannot handle this one");
                    }
                    ok_sink.lock().push(e.id);
                    Ok(())
                }
            }),
        )
        .await
        .unwrap();
    transport
        .publish_batch(&[event("job.poison"), event("job.fine")])
        .await
        .unwrap();
    eventually("dead-lettering", || {
        stats.dead_lettered.load(Ordering::Relaxed) == 1
    })
    .await;
    assert_eq!(
        *attempts.lock(),
        3,
        "tried exactly EVENT_MAX_ATTEMPTS times"
    );
    eventually("the healthy event", || ok.lock().len() == 1).await;
    shutdown.cancel();
}
