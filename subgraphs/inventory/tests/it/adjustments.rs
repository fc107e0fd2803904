//! Staff stock adjustments: the ledger records who, when, why and how much; on hand can never
//! go below zero or below what is reserved; `inventory.adjusted` and `inventory.low` (once,
//! when available crosses below the threshold) leave through the outbox.

use std::sync::{Arc, Mutex};

use crate::common::*;
use kit::events::{Event, QueueSpec};
use serde_json::json;

#[tokio::test]
async fn adjustments_are_recorded_in_the_ledger() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("LEDGER").await;
    let body = env
        .staff_gql(
            "mutation($v:ID!,$w:ID!){ adjustStock(variantId:$v,warehouseId:$w,delta:12,reason:\"  delivery 42 \"){ adjustment { delta onHandAfter reason actorId } level { onHand reserved available } } }",
            json!({ "v": v, "w": w }),
        )
        .await;
    let p = &body["data"]["adjustStock"];
    assert_eq!(p["adjustment"]["delta"], 12, "{body}");
    assert_eq!(p["adjustment"]["reason"], "delivery 42");
    assert_eq!(
        p["level"],
        json!({ "onHand": 12, "reserved": 0, "available": 12 })
    );
    let admin = p["adjustment"]["actorId"].as_str().unwrap().to_string();
    env.adjust(&v, &w, -2).await;

    let body = env
        .staff_gql(
            "query($v:ID!){ stockAdjustments(variantId:$v, first: 10){ totalCount edges { node { delta onHandAfter reason actorId warehouseId createdAt } } } }",
            json!({ "v": v }),
        )
        .await;
    let conn = &body["data"]["stockAdjustments"];
    assert_eq!(conn["totalCount"], 2, "{body}");
    let nodes: Vec<_> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(
        (nodes[0]["delta"].as_i64(), nodes[0]["onHandAfter"].as_i64()),
        (Some(12), Some(12))
    );
    assert_eq!(
        (nodes[1]["delta"].as_i64(), nodes[1]["onHandAfter"].as_i64()),
        (Some(-2), Some(10))
    );
    assert_eq!(nodes[1]["reason"], "count");
    assert_eq!(nodes[1]["actorId"], admin.as_str());
    assert_eq!(nodes[1]["warehouseId"], w.as_str());
    assert!(
        nodes[1]["createdAt"].as_str().unwrap().ends_with('Z')
            || nodes[1]["createdAt"].as_str().unwrap().contains("+00:00")
    );
    env.stop().await;
}

#[tokio::test]
async fn on_hand_never_goes_below_reserved_or_zero() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("FLOOR").await;
    env.adjust(&v, &w, 5).await;
    let body = env.reserve(&env.staff, "cart", &[(&v, 3)], None).await;
    assert!(body["errors"].is_null(), "{body}");

    let body = env.adjust_raw(&v, &w, -3).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "delta");
    assert!(message(&body).contains("reserved"), "{body}");

    let other = variant();
    let body = env.adjust_raw(&other, &w, -1).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(message(&body).contains("below 0"), "{body}");

    env.adjust(&v, &w, -2).await;
    assert_eq!(env.levels(&v).await, vec![(w.clone(), 3, 3)]);

    let body = env.adjust_raw(&v, &variant(), 1).await;
    assert_eq!(code(&body), "NOT_FOUND", "unknown warehouse");
    let body = env.adjust_raw(&v, &w, 0).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let body = env.adjust_raw("not-an-id", &w, 1).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "variantId");
    env.stop().await;
}

#[tokio::test]
async fn staff_only() {
    let env = start().await;
    let customer = env.customer().await;
    let create = "mutation{ createWarehouse(input:{code:\"X\",name:\"X\"}){ id } }";
    assert_eq!(
        code(&env.app.gql(create, json!({}), None).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&env.app.gql(create, json!({}), Some(&customer)).await),
        "FORBIDDEN"
    );
    let w = env.warehouse("STAFF").await;
    let adjust = "mutation($v:ID!,$w:ID!){ adjustStock(variantId:$v,warehouseId:$w,delta:1,reason:\"r\"){ level { onHand } } }";
    let body = env
        .app
        .gql(adjust, json!({ "v": variant(), "w": w }), Some(&customer))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let list = "{ warehouses(first: 5){ totalCount edges { node { code } } } }";
    assert_eq!(
        code(&env.app.gql(list, json!({}), Some(&customer)).await),
        "FORBIDDEN"
    );
    let body = env.staff_gql(list, json!({})).await;
    assert_eq!(body["data"]["warehouses"]["totalCount"], 1, "{body}");
    assert_eq!(
        body["data"]["warehouses"]["edges"][0]["node"]["code"],
        "STAFF"
    );
    env.stop().await;
}

#[tokio::test]
async fn adjustments_and_low_stock_are_published() {
    let env = start().await;
    let seen = Arc::new(Mutex::new(Vec::<Event>::new()));
    let sink = seen.clone();
    env.app
        .svc()
        .consume(
            QueueSpec::durable("adjust-test", &["inventory.*"]),
            move |e: Event| {
                sink.lock().unwrap().push(e);
                async { Ok(()) }
            },
        )
        .await
        .unwrap();
    let v = variant();
    let w = env.warehouse("LOW").await;
    env.adjust(&v, &w, 8).await; // available 8: not low (threshold 5)
    env.adjust(&v, &w, -4).await; // 4: crosses below 5
    env.adjust(&v, &w, -1).await; // 3: already low, no second event
    let body = env.reserve(&env.staff, "cart", &[(&v, 1)], None).await;
    assert!(body["errors"].is_null(), "{body}");

    eventually("four stock events", || async {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|e| e.event_type != "inventory.low")
            .count()
            == 4
    })
    .await;
    let events = seen.lock().unwrap().clone();
    let adjusted: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "inventory.adjusted")
        .collect();
    assert_eq!(adjusted.len(), 3);
    assert_eq!(adjusted[1].data["delta"], -4);
    assert_eq!(adjusted[1].data["reason"], "count");
    assert_eq!(
        adjusted[1].data["stock"],
        json!([{ "variantId": v, "onHand": 4, "reserved": 0, "available": 4 }])
    );
    let low: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "inventory.low")
        .collect();
    assert_eq!(low.len(), 1, "low fires once, when crossing: {events:?}");
    assert_eq!(
        low[0].data,
        json!({ "variantId": v, "warehouseId": w, "available": 4, "threshold": 5 })
    );
    let reserved = events
        .iter()
        .find(|e| e.event_type == "inventory.reserved")
        .unwrap();
    assert_eq!(reserved.data["stock"][0]["available"], 2);
    assert_eq!(reserved.source, "/subgraphs/inventory");
    env.stop().await;
}
