//! A slow endpoint cannot stall the others: with a receiver that holds every request until the
//! test lets it go, another endpoint still gets all its deliveries, and the slow one never has
//! more than `MAX_IN_FLIGHT_PER_ENDPOINT` requests open. Once released it gets everything.

use crate::common::{event, start_with};
use crate::receiver::Receiver;

#[tokio::test]
async fn a_slow_endpoint_does_not_stall_another() {
    let env = start_with(&[("MAX_IN_FLIGHT_PER_ENDPOINT", "2"), ("MAX_IN_FLIGHT", "4")]).await;
    let slow = Receiver::gated().await;
    let fast = Receiver::answering(200).await;
    let s = env.register(&slow.url, &["*"]).await;
    let f = env.register(&fast.url, &["*"]).await;
    let events: Vec<_> = (0..10).map(|_| event("order.paid")).collect();
    env.publish(&events).await;

    // Every delivery to the fast endpoint succeeds while the slow one holds its requests.
    env.settled(&f.id, 10, "SUCCEEDED").await;
    assert_eq!(fast.count(), 10);
    assert!(
        slow.count() <= 2,
        "at most two requests to the slow endpoint: {}",
        slow.count()
    );
    assert!(slow.max_in_flight() <= 2);

    slow.open();
    env.settled(&s.id, 10, "SUCCEEDED").await;
    assert_eq!(slow.count(), 10);
    assert!(slow.max_in_flight() <= 2, "{}", slow.max_in_flight());
    env.stop().await;
}
