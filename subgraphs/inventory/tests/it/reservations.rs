//! Reservation lifecycle over HTTP: deterministic warehouse choice with splitting,
//! all-or-nothing, idempotency keys, commit, release, expiry by the sweeper, and who may do what.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn reserve_takes_most_available_warehouse_first_and_splits() {
    let env = start().await;
    let v = variant();
    let a = env.warehouse("SPLIT-A").await;
    let b = env.warehouse("SPLIT-B").await;
    env.adjust(&v, &a, 3).await;
    env.adjust(&v, &b, 5).await;

    let body = env.reserve(&env.staff, "cart-1", &[(&v, 6)], None).await;
    let lines = body["data"]["reserve"]["lines"].clone();
    assert_eq!(
        lines,
        json!([
            { "variantId": v, "warehouseId": b, "quantity": 5 },
            { "variantId": v, "warehouseId": a, "quantity": 1 },
        ]),
        "{body}"
    );
    assert_eq!(env.available(&v).await, 2);
    env.stop().await;
}

#[tokio::test]
async fn a_reservation_is_all_lines_or_none() {
    let env = start().await;
    let (plenty, scarce) = (variant(), variant());
    let w = env.warehouse("ALL").await;
    env.adjust(&plenty, &w, 10).await;
    env.adjust(&scarce, &w, 1).await;

    let body = env
        .reserve(&env.staff, "cart", &[(&plenty, 4), (&scarce, 2)], None)
        .await;
    assert_eq!(code(&body), "CONFLICT");
    assert!(message(&body).contains(&scarce), "{body}");
    assert_eq!(
        env.available(&plenty).await,
        10,
        "nothing held for the other line"
    );
    assert_eq!(env.available(&scarce).await, 1);
    env.stop().await;
}

#[tokio::test]
async fn repeating_an_idempotency_key_returns_the_first_reservation() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("IDEM").await;
    env.adjust(&v, &w, 5).await;

    let first = env
        .reserve(&env.staff, "chk-1", &[(&v, 2)], Some("key-1"))
        .await;
    let again = env
        .reserve(&env.staff, "chk-1", &[(&v, 2)], Some("key-1"))
        .await;
    assert!(first["errors"].is_null(), "{first}");
    assert_eq!(
        first["data"]["reserve"]["id"],
        again["data"]["reserve"]["id"]
    );
    assert_eq!(env.available(&v).await, 3, "held once");

    // Concurrent repeats also resolve to one reservation.
    let line = [(v.as_str(), 1)];
    let racers = (0..8).map(|_| env.reserve(&env.staff, "chk-2", &line, Some("key-2")));
    let results = futures_util::future::join_all(racers).await;
    let ids: std::collections::HashSet<_> = results
        .iter()
        .map(|b| {
            b["data"]["reserve"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{b}"))
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(env.available(&v).await, 2);
    env.stop().await;
}

#[tokio::test]
async fn commit_consumes_stock_and_release_returns_it() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("LIFE").await;
    env.adjust(&v, &w, 10).await;

    let paid = env.reserve(&env.staff, "order-1", &[(&v, 3)], None).await;
    let paid = paid["data"]["reserve"]["id"].as_str().unwrap().to_string();
    let cancelled = env.reserve(&env.staff, "order-2", &[(&v, 2)], None).await;
    let cancelled = cancelled["data"]["reserve"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(env.levels(&v).await, vec![(w.clone(), 10, 5)]);

    let commit = "mutation($id:ID!){ commitReservation(id:$id){ status } }";
    let release = "mutation($id:ID!){ releaseReservation(id:$id){ status } }";
    let body = env.staff_gql(commit, json!({ "id": paid })).await;
    assert_eq!(
        body["data"]["commitReservation"]["status"], "COMMITTED",
        "{body}"
    );
    assert_eq!(env.levels(&v).await, vec![(w.clone(), 7, 2)]);
    let body = env.staff_gql(commit, json!({ "id": paid })).await;
    assert_eq!(body["data"]["commitReservation"]["status"], "COMMITTED");
    assert_eq!(
        env.levels(&v).await,
        vec![(w.clone(), 7, 2)],
        "committing twice is harmless"
    );

    let body = env.staff_gql(release, json!({ "id": cancelled })).await;
    assert_eq!(
        body["data"]["releaseReservation"]["status"], "RELEASED",
        "{body}"
    );
    let body = env.staff_gql(release, json!({ "id": cancelled })).await;
    assert_eq!(body["data"]["releaseReservation"]["status"], "RELEASED");
    assert_eq!(env.levels(&v).await, vec![(w.clone(), 7, 0)]);
    assert_eq!(env.available(&v).await, 7);

    // Ended one way, it cannot end the other.
    let body = env.staff_gql(commit, json!({ "id": cancelled })).await;
    assert_eq!(code(&body), "CONFLICT");
    let body = env.staff_gql(release, json!({ "id": paid })).await;
    assert_eq!(code(&body), "CONFLICT");
    let body = env.staff_gql(release, json!({ "id": variant() })).await;
    assert_eq!(code(&body), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn expired_reservations_are_swept_and_their_stock_returns() {
    let env = start_with(&[("SWEEP_INTERVAL_MS", "100")]).await;
    let v = variant();
    let w = env.warehouse("TTL").await;
    env.adjust(&v, &w, 4).await;

    let short = env
        .app
        .gql(
            "mutation($v:ID!){ reserve(input:{reference:\"cart\",lines:[{variantId:$v,quantity:3}],ttlSeconds:1}){ id } }",
            json!({ "v": v }),
            Some(&env.staff),
        )
        .await;
    let short = short["data"]["reserve"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{short}"))
        .to_string();
    let long = env.reserve(&env.staff, "cart-2", &[(&v, 1)], None).await;
    let long = long["data"]["reserve"]["id"].as_str().unwrap().to_string();
    assert_eq!(env.available(&v).await, 0);

    eventually("the short reservation to expire", || async {
        env.reservation_status(&short).await == "EXPIRED"
    })
    .await;
    assert_eq!(env.available(&v).await, 3);
    assert_eq!(
        env.reservation_status(&long).await,
        "HELD",
        "unexpired holds stay"
    );
    env.stop().await;
}

#[tokio::test]
async fn who_may_reserve_see_and_end_reservations() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("AUTH").await;
    env.adjust(&v, &w, 5).await;

    let anonymous = env
        .app
        .gql(
            "mutation($v:ID!){ reserve(input:{reference:\"c\",lines:[{variantId:$v,quantity:1}]}){ id } }",
            json!({ "v": v }),
            None,
        )
        .await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    let alice = env.customer().await;
    let bob = env.customer().await;
    let mine = env.reserve(&alice, "alice-cart", &[(&v, 1)], None).await;
    let mine = mine["data"]["reserve"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{mine}"))
        .to_string();

    let see = "query($id:ID!){ reservation(id:$id){ id status } }";
    let body = env.app.gql(see, json!({ "id": mine }), Some(&alice)).await;
    assert_eq!(body["data"]["reservation"]["id"], mine.as_str());
    let body = env.app.gql(see, json!({ "id": mine }), Some(&bob)).await;
    assert_eq!(code(&body), "FORBIDDEN");

    let commit = "mutation($id:ID!){ commitReservation(id:$id){ status } }";
    let body = env
        .app
        .gql(commit, json!({ "id": mine }), Some(&alice))
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "customers cannot commit");
    let release = "mutation($id:ID!){ releaseReservation(id:$id){ status } }";
    let body = env
        .app
        .gql(release, json!({ "id": mine }), Some(&bob))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = env
        .app
        .gql(release, json!({ "id": mine }), Some(&alice))
        .await;
    assert_eq!(
        body["data"]["releaseReservation"]["status"], "RELEASED",
        "{body}"
    );
    env.stop().await;
}
