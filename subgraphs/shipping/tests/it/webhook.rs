//! The carrier webhook over HTTP: a valid signature moves the shipment, appends history and
//! emits events; a bad or stale signature is a 400 that changes nothing; one eventId sent 100
//! times has one effect; out-of-order updates never move a shipment backwards.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::common::{id, money, order_paid, signed, start, Env, SECRET};

/// A shipment handed to UPS under `tracking`; returns its id.
async fn shipped(env: &Env, tracking: &str) -> String {
    let zone = env
        .zone(json!({ "name": "Domestic", "countries": ["US"] }))
        .await;
    let method = env
        .method(
            json!({ "name": "Standard", "carrier": "USPS", "zoneIds": [zone],
                        "rates": [{ "kind": "FLAT", "amount": money("4.99") }] }),
        )
        .await;
    let shipment = env.paid(order_paid(&id(), None, None, &method)).await;
    let sid = shipment["id"].as_str().unwrap().to_string();
    env.ship(&sid, tracking).await;
    sid
}

fn update(tracking: &str, status: &str, minutes_ago: i64, event: &str) -> Value {
    json!({
        "eventId": event,
        "trackingNumber": tracking,
        "status": status,
        "occurredAt": (Utc::now() - Duration::minutes(minutes_ago)).to_rfc3339(),
        "location": "Memphis, TN",
        "description": format!("{status} scan"),
    })
}

async fn state(env: &Env, sid: &str) -> (String, Vec<(String, String)>) {
    let body = env
        .staff_gql(
            "query($id:ID!){ shipment(id:$id){ status trackingHistory { status source location description } } }",
            json!({ "id": sid }),
        )
        .await;
    let s = &body["data"]["shipment"];
    let history = s["trackingHistory"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|h| {
            (
                h["status"].as_str().unwrap().to_string(),
                h["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (s["status"].as_str().unwrap().to_string(), history)
}

async fn updates(env: &Env, kind: &str) -> Vec<Value> {
    env.outbox(kind)
        .await
        .into_iter()
        .map(|e| e["data"].clone())
        .collect()
}

#[tokio::test]
async fn signed_updates_move_the_shipment_record_history_and_emit_events() {
    let env = start().await;
    let sid = shipped(&env, "TRK1").await;

    let (status, body) = env.webhook(&update("TRK1", "IN_TRANSIT", 30, "e1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "outcome": "APPLIED", "shipmentId": sid, "status": "IN_TRANSIT" })
    );
    // A scan at a new place keeps the status: history, but no status event.
    let (_, body) = env.webhook(&update("TRK1", "IN_TRANSIT", 20, "e2")).await;
    assert_eq!(body["outcome"], "SCANNED", "{body}");
    let (_, body) = env
        .webhook(&update("TRK1", "OUT_FOR_DELIVERY", 10, "e3"))
        .await;
    assert_eq!(body["outcome"], "APPLIED", "{body}");
    let (_, body) = env.webhook(&update("TRK1", "DELIVERED", 1, "e4")).await;
    assert_eq!(body["status"], "DELIVERED", "{body}");

    let (status, history) = state(&env, &sid).await;
    assert_eq!(status, "DELIVERED");
    let carrier: Vec<&str> = history
        .iter()
        .filter(|(_, source)| source == "CARRIER")
        .map(|(s, _)| s.as_str())
        .collect();
    assert_eq!(
        carrier,
        ["IN_TRANSIT", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"]
    );
    let full = env
        .staff_gql(
            "query($id:ID!){ shipment(id:$id){ trackingHistory { location description occurredAt } } }",
            json!({ "id": sid }),
        )
        .await;
    let last = full["data"]["shipment"]["trackingHistory"]
        .as_array()
        .and_then(|h| h.last())
        .unwrap_or_else(|| panic!("{full}"));
    assert_eq!(last["location"], "Memphis, TN", "{full}");
    assert_eq!(last["description"], "DELIVERED scan");

    let moves: Vec<(String, String)> = updates(&env, "shipment.updated")
        .await
        .iter()
        .map(|d| {
            (
                d["previousStatus"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("PENDING", "SHIPPED"),
        ("SHIPPED", "IN_TRANSIT"),
        ("IN_TRANSIT", "OUT_FOR_DELIVERY"),
        ("OUT_FOR_DELIVERY", "DELIVERED"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(moves, expected);
    let delivered = updates(&env, "shipment.delivered").await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["shipmentId"], sid.as_str());
    assert_eq!(delivered[0]["trackingNumber"], "TRK1");
    assert_eq!(delivered[0]["carrier"], "UPS");
    env.stop().await;
}

#[tokio::test]
async fn bad_or_stale_signatures_are_refused_and_change_nothing() {
    let env = start().await;
    let sid = shipped(&env, "TRK2").await;
    let body = update("TRK2", "DELIVERED", 1, "evil").to_string();
    let now = Utc::now().timestamp();
    let mut tampered = signed(SECRET, now, &body);
    tampered[1].1 = signed(SECRET, now, "{}")[1].1.clone();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![], "X-Carrier-Timestamp"),
        (
            signed(SECRET, now, &body)[..1].to_vec(),
            "X-Carrier-Signature",
        ),
        (
            signed("another-secret-0123456789", now, &body),
            "X-Carrier-Signature",
        ),
        (tampered, "X-Carrier-Signature"),
        (signed(SECRET, now - 301, &body), "X-Carrier-Timestamp"),
        (signed(SECRET, now + 301, &body), "X-Carrier-Timestamp"),
        (
            vec![
                ("X-Carrier-Timestamp", now.to_string()),
                ("X-Carrier-Signature", "sha256=abc".into()),
            ],
            "X-Carrier-Signature",
        ),
        (
            vec![
                ("X-Carrier-Timestamp", "yesterday".into()),
                (
                    "X-Carrier-Signature",
                    signed(SECRET, now, &body)[1].1.clone(),
                ),
            ],
            "X-Carrier-Timestamp",
        ),
    ];
    for (headers, field) in cases {
        let (status, answer) = env.webhook_raw(&body, &headers).await;
        assert_eq!(status, 400, "{headers:?}: {answer}");
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], field,
            "{headers:?}: {answer}"
        );
    }
    // A signed body that is not JSON is refused after the signature, naming the body.
    let garbage = "not json";
    let (status, answer) = env
        .webhook_raw(garbage, &signed(SECRET, now, garbage))
        .await;
    assert_eq!(status, 400);
    assert_eq!(answer["errors"][0]["extensions"]["field"], "body");

    let (status, history) = state(&env, &sid).await;
    assert_eq!(status, "SHIPPED");
    assert!(history.iter().all(|(_, source)| source != "CARRIER"));
    let recorded: i64 = kit::sqlx::query_scalar("SELECT COUNT(*) FROM carrier_events")
        .fetch_one(env.app.svc().db.pool())
        .await
        .unwrap();
    assert_eq!(recorded, 0);
    assert!(updates(&env, "shipment.delivered").await.is_empty());

    // Well signed, but not a usable update: named field, still nothing changes.
    let (status, answer) = env.webhook(&update("NOPE", "IN_TRANSIT", 1, "x1")).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let (status, answer) = env.webhook(&update("TRK2", "SHIPPED", 1, "x2")).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["field"], "status");
    let (status, answer) = env.webhook(&update("TRK2", "IN_TRANSIT", -60, "x3")).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["field"], "occurredAt");
    assert_eq!(state(&env, &sid).await.0, "SHIPPED");
    env.stop().await;
}

#[tokio::test]
async fn one_event_id_sent_a_hundred_times_has_one_effect() {
    let env = start().await;
    let sid = shipped(&env, "TRK3").await;
    let body = update("TRK3", "IN_TRANSIT", 5, "evt-replayed").to_string();
    let headers = signed(SECRET, Utc::now().timestamp(), &body);
    let answers =
        futures_util::future::join_all((0..100).map(|_| env.webhook_raw(&body, &headers))).await;
    let mut outcomes: Vec<String> = answers
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, 200, "{answer}");
            answer["outcome"].as_str().unwrap().to_string()
        })
        .collect();
    outcomes.sort();
    outcomes.dedup_by(|a, b| a == b);
    assert_eq!(outcomes, ["APPLIED", "DUPLICATE"]);
    let applied = answers
        .iter()
        .filter(|(_, a)| a["outcome"] == "APPLIED")
        .count();
    assert_eq!(applied, 1);

    let (status, history) = state(&env, &sid).await;
    assert_eq!(status, "IN_TRANSIT");
    assert_eq!(history.iter().filter(|(_, s)| s == "CARRIER").count(), 1);
    let moves = updates(&env, "shipment.updated").await;
    assert_eq!(
        moves.iter().filter(|d| d["status"] == "IN_TRANSIT").count(),
        1
    );
    env.stop().await;
}

#[tokio::test]
async fn out_of_order_updates_never_move_a_shipment_backwards() {
    let env = start().await;
    let sid = shipped(&env, "TRK4").await;
    let send = |status: &'static str, minutes_ago: i64| {
        let env = &env;
        async move {
            let (code, answer) = env
                .webhook(&update("TRK4", status, minutes_ago, &id()))
                .await;
            assert_eq!(code, 200, "{answer}");
            answer["outcome"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(send("OUT_FOR_DELIVERY", 50).await, "APPLIED");
    // Older news arriving late, and a step backwards.
    assert_eq!(send("IN_TRANSIT", 60).await, "IGNORED");
    assert_eq!(send("IN_TRANSIT", 45).await, "IGNORED");
    // An exception may be followed by IN_TRANSIT again.
    assert_eq!(send("EXCEPTION", 40).await, "APPLIED");
    assert_eq!(send("IN_TRANSIT", 30).await, "APPLIED");
    // A stale exception (older than the last applied update) does not undo the progress.
    assert_eq!(send("EXCEPTION", 35).await, "IGNORED");
    assert_eq!(send("DELIVERED", 20).await, "APPLIED");
    for late in ["IN_TRANSIT", "OUT_FOR_DELIVERY", "EXCEPTION"] {
        assert_eq!(send(late, 10).await, "IGNORED", "{late} after DELIVERED");
    }
    let (status, history) = state(&env, &sid).await;
    assert_eq!(status, "DELIVERED");
    let carrier: Vec<&str> = history
        .iter()
        .filter(|(_, s)| s == "CARRIER")
        .map(|(s, _)| s.as_str())
        .collect();
    assert_eq!(
        carrier,
        ["OUT_FOR_DELIVERY", "EXCEPTION", "IN_TRANSIT", "DELIVERED"]
    );
    // Staff cannot move it either.
    let staff = env
        .staff_gql(
            "mutation($id:ID!){ markShipmentPacked(id:$id){ id } }",
            json!({ "id": sid }),
        )
        .await;
    assert_eq!(crate::common::error_code(&staff), "CONFLICT");
    assert_eq!(updates(&env, "shipment.delivered").await.len(), 1);
    env.stop().await;
}
