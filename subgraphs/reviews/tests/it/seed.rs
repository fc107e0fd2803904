//! The launcher's demo seed: registers products as published, gives them reviews from
//! distinct authors with ratings kept consistent (compared with a recomputation), writes no
//! events, and is idempotent (a second run adds nothing; a longer product list tops up).

use std::collections::HashSet;

use crate::common::*;

async fn count(env: &Env, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap()
}

#[tokio::test]
async fn seeding_is_consistent_and_idempotent() {
    let env = start().await;
    let products: Vec<String> = (0..300).map(|_| kit::ids::new_id()).collect();
    let authors: Vec<String> = (0..12).map(|_| kit::ids::new_id()).collect();
    let svc = env.app.svc();

    reviews::seed::run(svc, &products[..200], &authors)
        .await
        .unwrap();
    let reviews = count(&env, "SELECT COUNT(*) FROM reviews").await;
    let ratings = count(&env, "SELECT COUNT(*) FROM product_ratings").await;
    assert!(reviews > 200 && reviews <= 200 * 8, "{reviews} reviews");
    assert_eq!(ratings, 200, "every seeded product has its ratings row");
    assert_eq!(
        count(&env, "SELECT COUNT(*) FROM outbox").await,
        0,
        "no events"
    );

    // Again: nothing added.
    reviews::seed::run(svc, &products[..200], &authors)
        .await
        .unwrap();
    assert_eq!(count(&env, "SELECT COUNT(*) FROM reviews").await, reviews);
    assert_eq!(
        count(&env, "SELECT COUNT(*) FROM product_ratings").await,
        200
    );

    // A longer list tops up only the new products.
    reviews::seed::run(svc, &products, &authors).await.unwrap();
    assert_eq!(
        count(&env, "SELECT COUNT(*) FROM product_ratings").await,
        300
    );
    let all = count(&env, "SELECT COUNT(*) FROM reviews").await;
    assert!(all > reviews);

    // Published, reviewable, and every rating matches its rows.
    let published = count(
        &env,
        "SELECT COUNT(*) FROM products WHERE status = 'PUBLISHED'",
    )
    .await;
    assert_eq!(published, 300);
    let mut sizes = HashSet::new();
    for p in products.iter().step_by(7) {
        let (average, n, dist) = env.rating(p).await;
        assert_eq!((average, n, dist), env.recomputed(p).await, "{p}");
        assert!(n <= 8);
        sizes.insert(n);
        let authors_of: Vec<String> =
            sqlx::query_scalar("SELECT author_id FROM reviews WHERE product_id = $1")
                .bind(p)
                .fetch_all(svc.db.background())
                .await
                .unwrap();
        let distinct: HashSet<_> = authors_of.iter().collect();
        assert_eq!(distinct.len(), authors_of.len(), "distinct authors");
        assert!(authors_of.iter().all(|a| authors.contains(a)));
    }
    assert!(sizes.len() > 3, "varied review counts: {sizes:?}");
    let user = env.customer().await;
    env.create(&user, &products[0], 5).await;
    env.stop().await;
}
