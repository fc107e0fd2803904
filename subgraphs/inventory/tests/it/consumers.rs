//! Inventory reacts to other subgraphs' events published on the transport (the in-process bus,
//! or RabbitMQ in the real-server run): `payment.succeeded` commits the reservations of its
//! reference, `order.cancelled` releases them, and a redelivered event is applied once.

use crate::common::*;
use kit::events::Event;
use serde_json::json;

fn event(kind: &str, reference: &str) -> Event {
    Event::new(
        "test",
        kind,
        None,
        json!({ "orderId": kit::ids::new_id(), "reservationReference": reference }),
    )
}

async fn publish(env: &Env, event: &Event) {
    env.app
        .svc()
        .transport
        .publish_batch(std::slice::from_ref(event))
        .await
        .expect("published");
}

async fn reserve_id(env: &Env, reference: &str, variant: &str, quantity: i64) -> String {
    let body = env
        .reserve(&env.staff, reference, &[(variant, quantity)], None)
        .await;
    body["data"]["reserve"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}

#[tokio::test]
async fn payment_commits_and_cancellation_releases() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("CONSUME").await;
    env.adjust(&v, &w, 10).await;
    let paid = reserve_id(&env, "checkout-paid", &v, 3).await;
    let cancelled = reserve_id(&env, "checkout-cancelled", &v, 2).await;

    publish(&env, &event("payment.succeeded", "checkout-paid")).await;
    publish(&env, &event("order.cancelled", "checkout-cancelled")).await;
    eventually("both reservations to end", || async {
        env.reservation_status(&paid).await == "COMMITTED"
            && env.reservation_status(&cancelled).await == "RELEASED"
    })
    .await;
    assert_eq!(env.levels(&v).await, vec![(w.clone(), 7, 0)]);

    // An event without a reference, or for a reference with nothing held, changes nothing.
    publish(
        &env,
        &Event::new("test", "payment.succeeded", None, json!({})),
    )
    .await;
    publish(&env, &event("payment.succeeded", "checkout-unknown")).await;
    env.stop().await;
}

#[tokio::test]
async fn a_duplicate_event_is_applied_once() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("DUP").await;
    env.adjust(&v, &w, 10).await;
    let first = reserve_id(&env, "cart-dup", &v, 2).await;
    let cancel = event("order.cancelled", "cart-dup");
    publish(&env, &cancel).await;
    eventually("the first reservation to be released", || async {
        env.reservation_status(&first).await == "RELEASED"
    })
    .await;

    // The cart reserves again under the same reference; then the old cancellation is
    // redelivered. It must not release the new reservation.
    let second = reserve_id(&env, "cart-dup", &v, 4).await;
    publish(&env, &cancel).await;
    // A later event on the same queue: once it has taken effect, so has the duplicate.
    let marker = reserve_id(&env, "cart-marker", &v, 1).await;
    publish(&env, &event("order.cancelled", "cart-marker")).await;
    eventually("the marker to be released", || async {
        env.reservation_status(&marker).await == "RELEASED"
    })
    .await;
    assert_eq!(
        env.reservation_status(&second).await,
        "HELD",
        "duplicate ignored"
    );
    assert_eq!(env.levels(&v).await, vec![(w.clone(), 10, 4)]);
    let claimed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM processed_events WHERE consumer = 'inventory' AND event_id = $1",
    )
    .bind(&cancel.id)
    .fetch_one(env.app.svc().db.background())
    .await
    .unwrap();
    assert_eq!(claimed, 1);
    env.stop().await;
}
