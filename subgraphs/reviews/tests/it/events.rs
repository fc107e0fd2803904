//! Every review change publishes its event through the outbox with the product's new rating:
//! `review.created`, `review.updated`, `review.hidden`, `review.unhidden` and `review.deleted`,
//! data `{reviewId, productId, authorId, rating, productRating {average, count}}`, subject =
//! product id. Observed on the transport, as catalog would consume them.

use std::sync::{Arc, Mutex};

use crate::common::*;
use kit::events::{Event, QueueSpec};
use serde_json::{json, Value};

#[tokio::test]
async fn review_changes_publish_events_with_the_product_rating() {
    let env = start().await;
    let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = seen.clone();
    env.app
        .svc()
        .consume(QueueSpec::durable("observer", &["review.*"]), move |e| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(e);
                Ok(())
            }
        })
        .await
        .unwrap();

    let product = env.product().await;
    let (alice, bob) = (env.customer().await, env.customer().await);
    let first = env.create(&alice, &product, 4).await;
    let second = env.create(&bob, &product, 5).await;
    let body = env
        .app
        .gql(
            "mutation($id:ID!){ updateReview(id:$id,input:{rating:2}){ id } }",
            json!({ "id": first }),
            Some(&alice.token),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    env.on_review(
        Some(&env.staff),
        "hideReview(id:$id, reason:\"x\")",
        &second,
        "{ id }",
    )
    .await;
    env.on_review(Some(&env.staff), "unhideReview(id:$id)", &second, "{ id }")
        .await;
    env.on_review(Some(&alice.token), "deleteReview(id:$id)", &first, "")
        .await;
    // Votes and repeated moderation change no rating and publish nothing.
    env.on_review(
        Some(&alice.token),
        "markReviewHelpful(id:$id)",
        &second,
        "{ id }",
    )
    .await;
    env.on_review(Some(&env.staff), "unhideReview(id:$id)", &second, "{ id }")
        .await;

    let expected = [
        (
            "review.created",
            &first,
            &alice.id,
            4,
            json!({ "average": 4.0, "count": 1 }),
        ),
        (
            "review.created",
            &second,
            &bob.id,
            5,
            json!({ "average": 4.5, "count": 2 }),
        ),
        (
            "review.updated",
            &first,
            &alice.id,
            2,
            json!({ "average": 3.5, "count": 2 }),
        ),
        (
            "review.hidden",
            &second,
            &bob.id,
            5,
            json!({ "average": 2.0, "count": 1 }),
        ),
        (
            "review.unhidden",
            &second,
            &bob.id,
            5,
            json!({ "average": 3.5, "count": 2 }),
        ),
        (
            "review.deleted",
            &first,
            &alice.id,
            2,
            json!({ "average": 5.0, "count": 1 }),
        ),
    ];
    eventually("six review events", || async {
        seen.lock().unwrap().len() >= expected.len()
    })
    .await;
    // Give a stray seventh event the chance to show up.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mut events = seen.lock().unwrap().clone();
    assert_eq!(events.len(), expected.len(), "{events:#?}");
    events.sort_by(|a, b| a.id.cmp(&b.id)); // ids are time-ordered
    for (event, (kind, review, author, rating, product_rating)) in events.iter().zip(expected) {
        assert_eq!(event.event_type, kind);
        assert_eq!(event.subject.as_deref(), Some(product.as_str()));
        assert_eq!(event.source, "/subgraphs/reviews");
        let want: Value = json!({
            "reviewId": review,
            "productId": product,
            "authorId": author,
            "rating": rating,
            "productRating": product_rating,
        });
        assert_eq!(event.data, want, "{kind}");
    }
    env.stop().await;
}
