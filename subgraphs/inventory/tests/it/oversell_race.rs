//! The no-oversell proof: 200 reservations race over HTTP for the last 10 units of a variant
//! (6 in one warehouse, 4 in another). Exactly 10 succeed; the other 190 get `CONFLICT` saying
//! the variant is out of stock; afterwards exactly 10 units are reserved and no level is
//! negative. Runs on SQLite (embedded run) and PostgreSQL (real-server run).

use crate::common::*;
use futures_util::future::join_all;

#[tokio::test]
async fn two_hundred_racers_for_ten_units_yield_exactly_ten_reservations() {
    let env = start().await;
    let variant = variant();
    let big = env.warehouse("RACE-A").await;
    let small = env.warehouse("RACE-B").await;
    env.adjust(&variant, &big, 6).await;
    env.adjust(&variant, &small, 4).await;

    let racers = (0..200).map(|i| {
        let env = &env;
        let variant = variant.clone();
        async move {
            env.reserve(&env.staff, &format!("cart-{i}"), &[(&variant, 1)], None)
                .await
        }
    });
    let results = join_all(racers).await;

    let mut won = Vec::new();
    let mut lost = 0;
    for body in &results {
        if body["errors"].is_null() {
            won.push(body["data"]["reserve"].clone());
            continue;
        }
        assert_eq!(code(body), "CONFLICT", "{body}");
        let msg = message(body);
        assert!(
            msg.contains("out of stock") && msg.contains(&variant),
            "the error says out of stock and names the variant: {msg}"
        );
        lost += 1;
    }
    println!("race: {} reservations, {lost} conflicts", won.len());
    assert_eq!(won.len(), 10, "exactly ten racers win");
    assert_eq!(lost, 190);
    for r in &won {
        assert_eq!(r["status"], "HELD");
        assert_eq!(r["lines"][0]["quantity"], 1);
    }
    let from_big = won
        .iter()
        .filter(|r| r["lines"][0]["warehouseId"] == big.as_str())
        .count();
    assert_eq!(from_big, 6, "every unit of both warehouses is used once");

    let mut levels = env.levels(&variant).await;
    levels.sort();
    let mut expected = vec![(big.clone(), 6, 6), (small.clone(), 4, 4)];
    expected.sort();
    assert_eq!(
        levels, expected,
        "reserved = 10 in total, available 0, none negative"
    );
    assert_eq!(env.available(&variant).await, 0);

    // One more, after the race: still a clean conflict.
    let body = env
        .reserve(&env.staff, "late", &[(&variant, 1)], None)
        .await;
    assert_eq!(code(&body), "CONFLICT");
    env.stop().await;
}

/// Racers that need more than one warehouse can give: 40 reservations of 4 units against
/// 30 + 31 units. Splitting lets exactly 15 succeed (60 units); the last unit stays.
#[tokio::test]
async fn racers_splitting_across_warehouses_never_oversell() {
    let env = start().await;
    let variant = variant();
    let a = env.warehouse("SPLIT-RACE-A").await;
    let b = env.warehouse("SPLIT-RACE-B").await;
    env.adjust(&variant, &a, 30).await;
    env.adjust(&variant, &b, 31).await;

    let racers = (0..40).map(|i| {
        let env = &env;
        let variant = variant.clone();
        async move {
            env.reserve(&env.staff, &format!("split-{i}"), &[(&variant, 4)], None)
                .await
        }
    });
    let results = join_all(racers).await;
    let mut won = 0;
    for body in &results {
        if body["errors"].is_null() {
            let lines = body["data"]["reserve"]["lines"].as_array().unwrap();
            let units: i64 = lines.iter().map(|l| l["quantity"].as_i64().unwrap()).sum();
            assert_eq!(units, 4, "{body}");
            won += 1;
        } else {
            assert_eq!(code(body), "CONFLICT", "{body}");
        }
    }
    println!("split race: {won} reservations, {} conflicts", 40 - won);
    assert_eq!(won, 15);
    let levels = env.levels(&variant).await;
    let reserved: i64 = levels.iter().map(|l| l.2).sum();
    assert_eq!(reserved, 60);
    assert!(levels
        .iter()
        .all(|(_, on_hand, reserved)| reserved <= on_hand));
    assert_eq!(env.available(&variant).await, 1);
    env.stop().await;
}
