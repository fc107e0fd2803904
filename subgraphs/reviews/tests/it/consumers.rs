//! Reviews reacts to other subgraphs' events on the transport (the in-process bus, or RabbitMQ
//! in the real-server run): catalog's product events decide which products may be reviewed
//! (published → reviewable, archived or draft → `NOT_FOUND`, out-of-order and duplicate
//! deliveries applied once), and `order.paid` marks the buyer's reviews as verified purchases,
//! also when the payment event arrives after the review.

use crate::common::*;
use kit::events::Event;
use serde_json::json;

async fn status(env: &Env, product: &str) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM products WHERE id = $1")
        .bind(product)
        .fetch_optional(env.app.svc().db.background())
        .await
        .unwrap()
}

async fn claims(env: &Env, event: &Event) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM processed_events WHERE consumer = 'reviews' AND event_id = $1",
    )
    .bind(&event.id)
    .fetch_one(env.app.svc().db.background())
    .await
    .unwrap()
}

#[tokio::test]
async fn product_events_decide_what_can_be_reviewed() {
    let env = start().await;
    let users = env.customers(3).await;
    let product = kit::ids::new_id();

    // Unknown to reviews.
    let body = env
        .create_raw(Some(&users[0].token), &product, 5, "Early", "")
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    assert!(message(&body).contains("productId"), "{body}");

    // Created as a draft: known, still not reviewable.
    let created = product_event("product.created", &product, "draft");
    env.publish(&created).await;
    eventually("the draft to arrive", || async {
        status(&env, &product).await.as_deref() == Some("DRAFT")
    })
    .await;
    let body = env
        .create_raw(Some(&users[0].token), &product, 5, "Early", "")
        .await;
    assert_eq!(code(&body), "NOT_FOUND");

    // Published (catalog's upper-case spelling works too): reviewable.
    let published = product_event("product.updated", &product, "PUBLISHED");
    env.publish(&published).await;
    eventually("the product to be published", || async {
        status(&env, &product).await.as_deref() == Some("PUBLISHED")
    })
    .await;
    env.create(&users[0], &product, 5).await;

    // Archived: no new reviews; existing ones stay.
    let archived = product_event("product.archived", &product, "archived");
    env.publish(&archived).await;
    eventually("the product to be archived", || async {
        status(&env, &product).await.as_deref() == Some("ARCHIVED")
    })
    .await;
    let body = env
        .create_raw(Some(&users[1].token), &product, 4, "Late", "")
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    assert_eq!(env.rating(&product).await.1, 1);

    // The older "published" event delivered again (a duplicate, and out of order): it was
    // already applied, so it changes nothing and is recorded once. A later event on the same
    // queue shows when the redelivery has been dealt with.
    env.publish(&published).await;
    let marker = kit::ids::new_id();
    env.publish(&product_event("product.created", &marker, "draft"))
        .await;
    eventually("the marker to arrive", || async {
        status(&env, &marker).await.is_some()
    })
    .await;
    assert_eq!(status(&env, &product).await.as_deref(), Some("ARCHIVED"));
    assert_eq!(claims(&env, &published).await, 1);

    // A new, distinct event that is older than the archive (delayed in transit) cannot
    // revive the product either.
    let mut stale = product_event("product.updated", &product, "published");
    stale.time = archived.time - chrono::Duration::seconds(5);
    env.publish(&stale).await;
    eventually("the stale event to be processed", || async {
        claims(&env, &stale).await == 1
    })
    .await;
    assert_eq!(status(&env, &product).await.as_deref(), Some("ARCHIVED"));
    let body = env
        .create_raw(Some(&users[2].token), &product, 4, "Late", "")
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    env.stop().await;
}

fn order_paid(user: &str, products: &[&str]) -> Event {
    let lines: Vec<_> = products
        .iter()
        .map(|p| json!({ "productId": p, "variantId": kit::ids::new_id(), "quantity": 1 }))
        .collect();
    Event::new(
        "orders",
        "order.paid",
        None,
        json!({ "orderId": kit::ids::new_id(), "userId": user, "lines": lines }),
    )
}

async fn purchased(env: &Env, user: &str, product: &str) -> bool {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM purchases WHERE user_id = $1 AND product_id = $2")
            .bind(user)
            .bind(product)
            .fetch_one(env.app.svc().db.background())
            .await
            .unwrap();
    n == 1
}

async fn verified(env: &Env, review: &str) -> bool {
    let body = env
        .app
        .gql(
            "query($id:ID!){ review(id:$id){ verifiedPurchase } }",
            json!({ "id": review }),
            None,
        )
        .await;
    body["data"]["review"]["verifiedPurchase"]
        .as_bool()
        .unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn paid_orders_verify_purchases() {
    let env = start().await;
    let users = env.customers(3).await;
    let (p1, p2, p3) = (
        env.product().await,
        env.product().await,
        env.product().await,
    );

    // Bought, then reviewed: verified from the start.
    env.publish(&order_paid(&users[0].id, &[&p1, &p2])).await;
    eventually("the purchase to be recorded", || async {
        purchased(&env, &users[0].id, &p1).await && purchased(&env, &users[0].id, &p2).await
    })
    .await;
    let body = env
        .create_raw(Some(&users[0].token), &p1, 5, "Bought it", "")
        .await;
    assert_eq!(
        body["data"]["createReview"]["verifiedPurchase"], true,
        "{body}"
    );

    // Paid before the review, but the event arrives after it: verified once it does.
    let paid_earlier = order_paid(&users[1].id, &[&p1]);
    let late = env.create(&users[1], &p1, 4).await;
    assert!(!verified(&env, &late).await);
    env.publish(&paid_earlier).await;
    eventually("the late payment to verify the review", || async {
        verified(&env, &late).await
    })
    .await;

    // Reviewed first, bought afterwards: not a verified purchase.
    let before_buying = env.create(&users[2], &p3, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    env.publish(&order_paid(&users[2].id, &[&p3])).await;
    eventually("the purchase to be recorded", || async {
        purchased(&env, &users[2].id, &p3).await
    })
    .await;
    assert!(!verified(&env, &before_buying).await);

    // Someone else's purchase verifies nothing of theirs.
    let other = env.create(&users[2], &p1, 3).await;
    assert!(!verified(&env, &other).await);
    env.stop().await;
}
