//! Keyset pagination of `Product.reviews` in every sort (forwards and backwards, with ties
//! broken by id, hidden reviews left out), pages that stay stable while reviews are added, and
//! `User.reviews` with hidden reviews shown only to the user themself and staff.

use std::cmp::Reverse;

use crate::common::*;
use serde_json::{json, Value};

const SORTS: [&str; 4] = ["NEWEST", "MOST_HELPFUL", "HIGHEST_RATING", "LOWEST_RATING"];

/// (id, created_at, helpful_count, rating) of the product's published reviews.
async fn rows(env: &Env, product: &str) -> Vec<(String, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT id, created_at, helpful_count, rating FROM reviews \
         WHERE product_id = $1 AND status = 'PUBLISHED'",
    )
    .bind(product)
    .fetch_all(env.app.svc().db.background())
    .await
    .unwrap()
}

/// The order each sort promises, computed here from the rows.
fn expected(mut rows: Vec<(String, i64, i64, i64)>, sort: &str) -> Vec<String> {
    match sort {
        "NEWEST" => rows.sort_by_key(|r| Reverse((r.1, r.0.clone()))),
        "MOST_HELPFUL" => rows.sort_by_key(|r| Reverse((r.2, r.0.clone()))),
        "HIGHEST_RATING" => rows.sort_by_key(|r| Reverse((r.3, r.0.clone()))),
        _ => rows.sort_by_key(|r| (r.3, Reverse(r.0.clone()))),
    }
    rows.into_iter().map(|r| r.0).collect()
}

async fn page(env: &Env, product: &str, args: &str) -> Value {
    let body = env
        .app
        .gql(
            &format!("query($r:[_Any!]!){{ _entities(representations:$r){{ ... on Product {{ reviews({args}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ id }} }} }} }} }} }}"),
            json!({ "r": [{ "__typename": "Product", "id": product }] }),
            None,
        )
        .await;
    let conn = body["data"]["_entities"][0]["reviews"].clone();
    assert!(conn.is_object(), "{body}");
    conn
}

fn ids(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Walks every page forwards (`first`) then backwards (`last`), collecting ids.
async fn walk(env: &Env, product: &str, sort: &str, size: usize) -> (Vec<String>, Vec<String>) {
    let mut forward = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let args = match &after {
            Some(c) => format!("first: {size}, after: \"{c}\", sort: {sort}"),
            None => format!("first: {size}, sort: {sort}"),
        };
        let conn = page(env, product, &args).await;
        forward.extend(ids(&conn));
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], after.is_some());
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    let mut backward = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let args = match &before {
            Some(c) => format!("last: {size}, before: \"{c}\", sort: {sort}"),
            None => format!("last: {size}, sort: {sort}"),
        };
        let conn = page(env, product, &args).await;
        let mut got = ids(&conn);
        got.extend(backward);
        backward = got;
        if conn["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = conn["pageInfo"]["startCursor"].as_str().map(str::to_string);
    }
    (forward, backward)
}

#[tokio::test]
async fn every_sort_pages_forwards_and_backwards() {
    let env = start().await;
    let product = env.product().await;
    let users = env.customers(9).await;
    let mut review_ids = Vec::new();
    for (i, u) in users.iter().enumerate() {
        review_ids.push(env.create(u, &product, (i as i64 % 3) + 2).await);
    }
    // Ties on every sort key, so the id tiebreaker matters: shared creation times and
    // helpful counts set straight in the database.
    let db = env.app.svc().db.background();
    for (i, id) in review_ids.iter().enumerate() {
        sqlx::query("UPDATE reviews SET created_at = $1, helpful_count = $2 WHERE id = $3")
            .bind(1_700_000_000_000i64 + (i as i64 / 3) * 1000)
            .bind((i as i64 * 5) % 4)
            .bind(id)
            .execute(db)
            .await
            .unwrap();
    }
    // A hidden review is never listed.
    let hidden = &review_ids[4];
    let body = env
        .on_review(
            Some(&env.staff),
            "hideReview(id:$id, reason:\"x\")",
            hidden,
            "{ id }",
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let rows = rows(&env, &product).await;
    assert_eq!(rows.len(), 8);
    for sort in SORTS {
        let want = expected(rows.clone(), sort);
        for size in [1, 3, 8] {
            let (forward, backward) = walk(&env, &product, sort, size).await;
            assert_eq!(forward, want, "{sort} forwards by {size}");
            assert_eq!(backward, want, "{sort} backwards by {size}");
        }
        let conn = page(&env, &product, &format!("first: 100, sort: {sort}")).await;
        assert_eq!(conn["totalCount"], 8);
        assert!(!ids(&conn).contains(hidden));
    }
    // The default sort is NEWEST; `first: 0` is an empty page that knows more exist.
    let conn = page(&env, &product, "first: 3").await;
    assert_eq!(ids(&conn), expected(rows.clone(), "NEWEST")[..3].to_vec());
    let conn = page(&env, &product, "first: 0").await;
    assert_eq!(ids(&conn), Vec::<String>::new());
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    env.stop().await;
}

#[tokio::test]
async fn pages_stay_stable_while_reviews_are_added() {
    let env = start().await;
    let product = env.product().await;
    let users = env.customers(8).await;
    for (i, u) in users[..6].iter().enumerate() {
        env.create(u, &product, (i as i64 % 2) + 3).await; // 3s and 4s
    }
    for sort in ["NEWEST", "HIGHEST_RATING"] {
        let before_insert = expected(rows(&env, &product).await, sort);
        let first = page(&env, &product, &format!("first: 3, sort: {sort}")).await;
        assert_eq!(ids(&first), before_insert[..3].to_vec());
        // A new review that sorts before the cursor (newest; five stars).
        let newcomer = if sort == "NEWEST" {
            &users[6]
        } else {
            &users[7]
        };
        let new_id = env.create(newcomer, &product, 5).await;
        let after = first["pageInfo"]["endCursor"].as_str().unwrap();
        let second = page(
            &env,
            &product,
            &format!("first: 3, after: \"{after}\", sort: {sort}"),
        )
        .await;
        assert_eq!(
            ids(&second),
            before_insert[3..6].to_vec(),
            "{sort}: the next page continues where the first ended"
        );
        assert!(!ids(&second).contains(&new_id));
        // Walking back from the second page reaches the newcomer first.
        let start = second["pageInfo"]["startCursor"].as_str().unwrap();
        let back = page(
            &env,
            &product,
            &format!("last: 10, before: \"{start}\", sort: {sort}"),
        )
        .await;
        let mut want = vec![new_id.clone()];
        want.extend(before_insert[..3].iter().cloned());
        assert_eq!(ids(&back), want, "{sort}");
        assert_eq!(back["pageInfo"]["hasPreviousPage"], false);
        assert_eq!(back["pageInfo"]["hasNextPage"], true);
    }
    env.stop().await;
}

async fn user_reviews(env: &Env, user: &str, args: &str, token: Option<&str>) -> Value {
    let body = env
        .app
        .gql(
            &format!("query($r:[_Any!]!){{ _entities(representations:$r){{ ... on User {{ id reviews({args}) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ id product {{ id }} }} }} }} }} }} }}"),
            json!({ "r": [{ "__typename": "User", "id": user }] }),
            token,
        )
        .await;
    let conn = body["data"]["_entities"][0]["reviews"].clone();
    assert!(conn.is_object(), "{body}");
    conn
}

#[tokio::test]
async fn a_users_reviews_show_hidden_ones_only_to_them_and_staff() {
    let env = start().await;
    let author = env.customer().await;
    let other = env.customer().await;
    let mut written = Vec::new();
    for _ in 0..5 {
        let product = env.product().await;
        written.push(env.create(&author, &product, 4).await);
    }
    let hidden = written[1].clone();
    env.on_review(
        Some(&env.staff),
        "hideReview(id:$id, reason:\"x\")",
        &hidden,
        "{ id }",
    )
    .await;
    let newest_first: Vec<String> = written.iter().rev().cloned().collect();
    let public: Vec<String> = newest_first
        .iter()
        .filter(|id| **id != hidden)
        .cloned()
        .collect();

    for (token, want) in [
        (None, &public),
        (Some(other.token.as_str()), &public),
        (Some(author.token.as_str()), &newest_first),
        (Some(env.staff.as_str()), &newest_first),
    ] {
        let all = user_reviews(&env, &author.id, "first: 10", token).await;
        assert_eq!(&ids(&all), want);
        assert_eq!(all["totalCount"], want.len());
        // Two pages of three.
        let first = user_reviews(&env, &author.id, "first: 3", token).await;
        let cursor = first["pageInfo"]["endCursor"].as_str().unwrap();
        let second = user_reviews(
            &env,
            &author.id,
            &format!("first: 3, after: \"{cursor}\""),
            token,
        )
        .await;
        let mut got = ids(&first);
        got.extend(ids(&second));
        assert_eq!(&got, want);
        assert_eq!(second["pageInfo"]["hasNextPage"], false);
    }
    let none = user_reviews(&env, &other.id, "first: 10", None).await;
    assert_eq!(none["totalCount"], 0);
    env.stop().await;
}
