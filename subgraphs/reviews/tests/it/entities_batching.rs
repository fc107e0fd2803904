//! `_entities` goes through DataLoaders, counted by the kit's statement counter on `/metrics`:
//! the rating of 100 products is one SQL statement; the first reviews of 24 products cost the
//! same as those of 6 (one windowed query, `ROW_NUMBER() OVER (PARTITION BY product_id …)`);
//! reviews by id and users' reviews are batched likewise.
//!
//! Batches are formed by the loaders' short collection window; on a heavily loaded machine a
//! request can occasionally straddle it, so each query is measured up to three times and its
//! best run must hit the exact count.

use crate::common::*;
use serde_json::{json, Value};

/// Runs `query` up to three times; returns the last response and the fewest statements a run
/// cost (stopping early once a run costs `target`).
async fn measure(env: &Env, query: &str, reps: &[Value], target: i64) -> (Value, i64) {
    let (mut best, mut last) = (i64::MAX, Value::Null);
    for _ in 0..3 {
        let before = env.app.metric("db_statements_total").await;
        last = env
            .app
            .gql(query, json!({ "r": reps }), Some(&env.staff))
            .await;
        let cost = env.app.metric("db_statements_total").await - before;
        best = best.min(cost);
        if cost == target {
            break;
        }
    }
    (last, best)
}

/// Writes `n` published reviews of `product` by generated authors straight into the database,
/// with the matching ratings row (set-up only; the API paths are tested elsewhere).
async fn seed_product(env: &Env, product: &str, n: i64) -> Vec<String> {
    let db = env.app.svc().db.background();
    let mut ids = Vec::new();
    let mut sum = 0;
    for i in 0..n {
        let id = kit::ids::new_id();
        let rating = (i % 5) + 1;
        sum += rating;
        sqlx::query(
            "INSERT INTO reviews (id, product_id, author_id, rating, title, body, verified_purchase, \
             helpful_count, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, '', 0, 0, 'PUBLISHED', $6, $6)",
        )
        .bind(&id)
        .bind(product)
        .bind(format!("author-{i}"))
        .bind(rating)
        .bind(format!("Review {i} of {product}"))
        .bind(1_700_000_000_000 + i)
        .execute(db)
        .await
        .unwrap();
        ids.push(id);
    }
    sqlx::query(
        "INSERT INTO product_ratings (product_id, review_count, rating_sum) VALUES ($1, $2, $3)",
    )
    .bind(product)
    .bind(n)
    .bind(sum)
    .execute(db)
    .await
    .unwrap();
    ids
}

fn products(ids: &[String]) -> Vec<Value> {
    ids.iter()
        .map(|id| json!({ "__typename": "Product", "id": id }))
        .collect()
}

#[tokio::test]
async fn rating_of_100_products_is_one_statement() {
    let env = start().await;
    let mut ids = Vec::new();
    for i in 0..100 {
        let p = kit::ids::new_id();
        if i % 2 == 0 {
            seed_product(&env, &p, 2).await; // ratings 1 and 2
        }
        ids.push(p);
    }
    let (body, best) = measure(
        &env,
        "query($r:[_Any!]!){ _entities(representations:$r){ ... on Product { id rating { average count } } } }",
        &products(&ids),
        1,
    )
    .await;
    let got = body["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(got.len(), 100);
    assert_eq!(
        got[0],
        json!({ "id": ids[0], "rating": { "average": 1.5, "count": 2 } })
    );
    assert_eq!(
        got[1],
        json!({ "id": ids[1], "rating": { "average": null, "count": 0 } })
    );
    println!("100 products' ratings: {best} statement(s)");
    assert_eq!(
        best, 1,
        "100 products' ratings must cost exactly one statement"
    );
    env.stop().await;
}

#[tokio::test]
async fn first_reviews_of_many_products_cost_a_constant_number_of_statements() {
    let env = start().await;
    let mut ids = Vec::new();
    let mut newest = Vec::new();
    for _ in 0..24 {
        let p = kit::ids::new_id();
        let reviews = seed_product(&env, &p, 5).await;
        newest.push(reviews[4].clone());
        ids.push(p);
    }
    let query = "query($r:[_Any!]!){ _entities(representations:$r){ ... on Product { reviews(first: 3) { edges { node { id title } } } } } }";
    let (_, six) = measure(&env, query, &products(&ids[..6]), 1).await;
    let (body, twenty_four) = measure(&env, query, &products(&ids), 1).await;
    let got = body["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(got.len(), 24);
    for (i, entity) in got.iter().enumerate() {
        let edges = entity["reviews"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 3, "{entity}");
        assert_eq!(edges[0]["node"]["id"], newest[i].as_str(), "newest first");
        let title = edges[0]["node"]["title"].as_str().unwrap();
        assert!(
            title.ends_with(ids[i].as_str()),
            "each product gets its own reviews"
        );
    }
    println!("first reviews of 6 products: {six}, of 24 products: {twenty_four} statement(s)");
    assert_eq!(six, twenty_four, "independent of the product count");
    assert_eq!(twenty_four, 1, "one windowed query");

    // With totalCount and the rating: one more statement (the ratings rows), still constant.
    let query = "query($r:[_Any!]!){ _entities(representations:$r){ ... on Product { rating { count } reviews(first: 2, sort: HIGHEST_RATING) { totalCount edges { node { rating } } } } } }";
    let (body, best) = measure(&env, query, &products(&ids), 2).await;
    let first = &body["data"]["_entities"][0];
    assert_eq!(first["rating"]["count"], 5, "{body}");
    assert_eq!(first["reviews"]["totalCount"], 5);
    assert_eq!(
        first["reviews"]["edges"],
        json!([{ "node": { "rating": 5 } }, { "node": { "rating": 4 } }])
    );
    assert_eq!(best, 2);
    env.stop().await;
}

#[tokio::test]
async fn reviews_and_users_resolve_in_batches() {
    let env = start().await;
    let product = kit::ids::new_id();
    let reviews = seed_product(&env, &product, 30).await;
    let reps: Vec<Value> = reviews
        .iter()
        .map(|id| json!({ "__typename": "Review", "id": id }))
        .chain([json!({ "__typename": "Review", "id": kit::ids::new_id() })])
        .collect();
    let (body, best) = measure(
        &env,
        "query($r:[_Any!]!){ _entities(representations:$r){ ... on Review { id rating product { id } } } }",
        &reps,
        1,
    )
    .await;
    let got = body["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(got.len(), 31);
    assert_eq!(got[7]["id"], reviews[7].as_str());
    assert_eq!(got[7]["product"]["id"], product.as_str());
    assert!(got[30].is_null(), "an unknown review resolves to null");
    println!("31 reviews by id: {best} statement(s)");
    assert_eq!(best, 1);

    let users: Vec<Value> = (0..30)
        .map(|i| json!({ "__typename": "User", "id": format!("author-{i}") }))
        .collect();
    let (body, best) = measure(
        &env,
        "query($r:[_Any!]!){ _entities(representations:$r){ ... on User { reviews(first: 2) { totalCount edges { node { title } } } } } }",
        &users,
        2,
    )
    .await;
    let got = body["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(got.len(), 30);
    assert_eq!(got[3]["reviews"]["totalCount"], 1, "{body}");
    assert_eq!(
        got[3]["reviews"]["edges"][0]["node"]["title"],
        format!("Review 3 of {product}")
    );
    println!("30 users' reviews with totals: {best} statement(s)");
    assert_eq!(best, 2, "one page query and one count query");
    env.stop().await;
}
