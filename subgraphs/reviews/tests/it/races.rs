//! One review per product per user, even under races, and a product rating that stays exact
//! under concurrency: 50 users reviewing one product at once, and a mixed, partly concurrent
//! sequence of creates, updates, deletes, hides and unhides, each compared with a
//! recomputation from the review rows.

use crate::common::*;
use futures_util::future::join_all;
use serde_json::json;

#[tokio::test]
async fn a_second_review_of_the_same_product_conflicts() {
    let env = start().await;
    let product = env.product().await;
    let other = env.product().await;
    let user = env.customer().await;
    env.create(&user, &product, 5).await;
    let body = env
        .create_raw(Some(&user.token), &product, 3, "Again", "")
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    assert!(message(&body).contains("productId"), "{body}");
    // Another product is fine.
    env.create(&user, &other, 3).await;
    assert_eq!(
        env.rating(&product).await,
        (Some(5.0), 1, vec![0, 0, 0, 0, 1])
    );
    env.stop().await;
}

#[tokio::test]
async fn concurrent_duplicates_by_one_user_let_exactly_one_win() {
    let env = start().await;
    let product = env.product().await;
    let user = env.customer().await;
    let bodies = join_all(
        (1..=10).map(|i| env.create_raw(Some(&user.token), &product, (i % 5) + 1, "Race", "")),
    )
    .await;
    let won: Vec<_> = bodies.iter().filter(|b| b["errors"].is_null()).collect();
    assert_eq!(won.len(), 1, "exactly one create wins: {bodies:?}");
    for b in bodies.iter().filter(|b| !b["errors"].is_null()) {
        assert_eq!(code(b), "CONFLICT", "{b}");
    }
    let rating = won[0]["data"]["createReview"]["rating"].as_i64().unwrap();
    let (average, count, _) = env.rating(&product).await;
    assert_eq!((average, count), (Some(rating as f64), 1));
    assert_eq!(env.rating(&product).await, env.recomputed(&product).await);
    env.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_reviewers_keep_the_rating_exact() {
    let env = start().await;
    let product = env.product().await;
    let users = env.customers(50).await;
    let ratings: Vec<i64> = (0..50).map(|i| (i * 7 % 5) + 1).collect();
    let bodies = join_all(
        users
            .iter()
            .zip(&ratings)
            .map(|(u, r)| env.create_raw(Some(&u.token), &product, *r, "Concurrent", "")),
    )
    .await;
    for b in &bodies {
        assert!(b["errors"].is_null(), "{b}");
    }
    let sum: i64 = ratings.iter().sum();
    let (average, count, dist) = env.rating(&product).await;
    assert_eq!(count, 50);
    assert_eq!(average, Some((sum as f64 / 50.0 * 100.0).round() / 100.0));
    assert_eq!(dist, vec![10; 5]);
    assert_eq!((average, count, dist), env.recomputed(&product).await);
    let stored: (i64, i64) = sqlx::query_as(
        "SELECT review_count, rating_sum FROM product_ratings WHERE product_id = $1",
    )
    .bind(&product)
    .fetch_one(env.app.svc().db.background())
    .await
    .unwrap();
    assert_eq!(stored, (50, sum));
    env.stop().await;
}

#[tokio::test]
async fn a_mixed_concurrent_sequence_keeps_the_rating_exact() {
    let env = start().await;
    let product = env.product().await;
    let users = env.customers(12).await;
    let mut ids: Vec<String> = {
        let (env, product) = (&env, &product);
        join_all(
            users
                .iter()
                .enumerate()
                .map(|(i, u)| async move { env.create(u, product, (i as i64 % 5) + 1).await }),
        )
        .await
    };
    assert_eq!(env.rating(&product).await, env.recomputed(&product).await);

    // Round after round, every review gets one operation, all concurrently: rating changes,
    // hides, unhides, deletes and re-creates, including redundant ones.
    for round in 0..6usize {
        // Follow re-created reviews (a deleted one keeps its old, now unknown, id).
        for (u, id) in users.iter().zip(ids.iter_mut()) {
            let current: Option<String> = sqlx::query_scalar(
                "SELECT id FROM reviews WHERE author_id = $1 AND product_id = $2",
            )
            .bind(&u.id)
            .bind(&product)
            .fetch_optional(env.app.svc().db.background())
            .await
            .unwrap();
            if let Some(current) = current {
                *id = current;
            }
        }
        let ops = users.iter().zip(&ids).enumerate().map(|(i, (u, id))| {
            let env = &env;
            let product = product.clone();
            async move {
                match (i + round) % 6 {
                    0 => {
                        env.app
                            .gql(
                                "mutation($id:ID!,$r:Int!){ updateReview(id:$id,input:{rating:$r}){ id } }",
                                json!({ "id": id, "r": ((i + round) % 5) + 1 }),
                                Some(&u.token),
                            )
                            .await;
                    }
                    1 | 4 => {
                        env.on_review(
                            Some(&env.staff),
                            "hideReview(id:$id, reason:\"spam\")",
                            id,
                            "{ id }",
                        )
                        .await;
                    }
                    2 => {
                        env.on_review(Some(&env.staff), "unhideReview(id:$id)", id, "{ id }")
                            .await;
                    }
                    3 => {
                        env.on_review(Some(&u.token), "deleteReview(id:$id)", id, "")
                            .await;
                    }
                    _ => {
                        // Re-create (a conflict when the old one still exists).
                        env.create_raw(Some(&u.token), &product, 4, "Back", "").await;
                    }
                }
            }
        });
        join_all(ops).await;
        assert_eq!(
            env.rating(&product).await,
            env.recomputed(&product).await,
            "after round {round}"
        );
    }
    env.stop().await;
}
