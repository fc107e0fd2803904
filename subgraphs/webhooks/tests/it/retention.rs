//! Finished deliveries leave the log after the retention period, pending ones stay, and the
//! event seen again afterwards is not sent a second time.

use crate::common::{event, start_with};
use crate::receiver::Receiver;

#[tokio::test]
async fn finished_deliveries_are_removed_after_the_retention_and_pending_ones_stay() {
    let env = start_with(&[
        ("DELIVERY_RETENTION_SECS", "0"),
        ("RETENTION_SWEEP_INTERVAL_MS", "100"),
        // A failed attempt waits an hour: that delivery stays PENDING through the test.
        ("RETRY_SCHEDULE", "1h"),
    ])
    .await;
    let ok = Receiver::answering(200).await;
    let failing = Receiver::answering(500).await;
    let a = env.register(&ok.url, &["*"]).await;
    let b = env.register(&failing.url, &["*"]).await;
    let paid = event("order.paid");
    env.publish(std::slice::from_ref(&paid)).await;

    crate::common::eventually("both endpoints tried", || async {
        ok.count() == 1 && failing.count() == 1
    })
    .await;
    crate::common::eventually("the succeeded delivery removed", || async {
        env.deliveries(&a.id).await.is_empty()
    })
    .await;
    let pending = env.deliveries(&b.id).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["status"], "PENDING");
    assert_eq!(pending[0]["attemptCount"], 1);

    // The broker delivering the same event again creates nothing anew.
    env.publish(std::slice::from_ref(&paid)).await;
    env.publish(&[event("order.shipped")]).await;
    crate::common::eventually("the next event delivered", || async { ok.count() == 2 }).await;
    // The consumer takes events in order, so the repeat was handled before the next one.
    let hits = ok.hits();
    assert_eq!(hits.len(), 2, "the repeated event was not sent again");
    assert!(hits[0].body.contains(&paid.id));
    assert!(hits[1].body.contains("order.shipped"));
    env.stop().await;
}
