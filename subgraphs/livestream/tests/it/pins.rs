//! Pins and live deals: staff pin products with a deal on an open stream (bad deal input named),
//! carts claim units with a service (staff) identity — exactly the cap under 50 concurrent
//! claims, idempotent per key, released units return — and a subscriber sees the pin, each
//! change of the units left and the unpin.

use serde_json::{json, Value};

use crate::common::*;
use crate::subscriptions::{event, event_or_pong, feed_ready, send, subscribe};

const PIN: &str = "mutation($s:ID!,$p:ID!,$d:LiveDealInput){ pinProduct(streamId:$s,productId:$p,deal:$d){ id product { id } deal { variantId price { amount currencyCode } quantityCap remaining endsAt } } }";
const CLAIM: &str = "mutation($p:ID!,$q:Int!,$c:String!,$k:String!){ claimLiveDeal(pinId:$p,quantity:$q,cartId:$c,idempotencyKey:$k){ id quantity cartId price { amount currencyCode } variantId livestreamId releasedAt } }";

fn deal(cap: i64) -> Value {
    let ends = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    json!({ "variantId": kit::ids::new_id(), "price": { "amount": "9.99", "currencyCode": "USD" },
            "quantityCap": cap, "endsAt": ends })
}

async fn pin(env: &Env, stream: &str, product: &str, deal: Value) -> Value {
    env.staff_gql(PIN, json!({ "s": stream, "p": product, "d": deal }))
        .await
}

async fn remaining(env: &Env, stream: &str) -> i64 {
    let body = env
        .gql(
            "query($id:ID!){ livestream(id:$id){ pinnedProducts { deal { remaining } } } }",
            json!({ "id": stream }),
            None,
        )
        .await;
    body["data"]["livestream"]["pinnedProducts"][0]["deal"]["remaining"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn pinning_checks_its_input_and_who_pins() {
    let env = start().await;
    let stream = env.live("Pins").await;
    let product = kit::ids::new_id();
    let customer = env.customer().await;
    let body = env
        .gql(
            PIN,
            json!({ "s": stream.id, "p": product, "d": deal(5) }),
            Some(&customer.token),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");

    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let cases = [
        (json!({ "quantityCap": 0 }), "deal.quantityCap"),
        (json!({ "endsAt": past }), "deal.endsAt"),
        (
            json!({ "price": { "amount": "-1", "currencyCode": "USD" } }),
            "deal.price.amount",
        ),
        (
            json!({ "price": { "amount": "1", "currencyCode": "XXX" } }),
            "deal.price.currencyCode",
        ),
        (json!({ "variantId": "v" }), "deal.variantId"),
    ];
    for (change, expected) in cases {
        let mut d = deal(5);
        for (k, v) in change.as_object().unwrap() {
            d[k] = v.clone();
        }
        let body = pin(&env, &stream.id, &product, d).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{expected}: {body}");
        assert_eq!(field(&body), expected);
    }
    let body = pin(&env, &stream.id, &product, deal(5)).await;
    let pinned = &body["data"]["pinProduct"];
    assert_eq!(
        pinned["deal"]["price"],
        json!({ "amount": "9.99", "currencyCode": "USD" }),
        "{body}"
    );
    assert_eq!(pinned["deal"]["remaining"], 5);
    let again = pin(&env, &stream.id, &product, Value::Null).await;
    assert_eq!(code(&again), "CONFLICT", "pinned twice: {again}");

    let unpin = "mutation($p:ID!){ unpinProduct(pinId:$p){ id unpinnedAt } }";
    let body = env.staff_gql(unpin, json!({ "p": pinned["id"] })).await;
    assert!(
        body["data"]["unpinProduct"]["unpinnedAt"].is_string(),
        "{body}"
    );
    let body = env
        .gql(
            "query($id:ID!){ livestream(id:$id){ pinnedProducts { id } } }",
            json!({ "id": stream.id }),
            None,
        )
        .await;
    assert_eq!(body["data"]["livestream"]["pinnedProducts"], json!([]));
    env.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_claims_on_a_cap_of_five_take_exactly_five() {
    let env = start().await;
    let stream = env.live("Flash sale").await;
    let body = pin(&env, &stream.id, &kit::ids::new_id(), deal(5)).await;
    let pin_id = body["data"]["pinProduct"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let customer = env.customer().await;
    let body = env
        .gql(
            CLAIM,
            json!({ "p": pin_id, "q": 1, "c": "cart", "k": "k" }),
            Some(&customer.token),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "service identities only: {body}");

    let claims = futures_util::future::join_all((0..50).map(|i| {
        let env = &env;
        let pin_id = pin_id.clone();
        async move {
            env.staff_gql(
                CLAIM,
                json!({ "p": pin_id, "q": 1, "c": format!("cart-{i}"), "k": format!("key-{i}") }),
            )
            .await
        }
    }))
    .await;
    let won: Vec<&Value> = claims.iter().filter(|b| b["errors"].is_null()).collect();
    assert_eq!(won.len(), 5, "exactly the cap");
    for b in &claims {
        if !b["errors"].is_null() {
            assert_eq!(code(b), "CONFLICT", "{b}");
        }
    }
    for b in &won {
        assert_eq!(b["data"]["claimLiveDeal"]["price"]["amount"], "9.99");
    }
    assert_eq!(remaining(&env, &stream.id).await, 0);
    // PostgreSQL's SUM is NUMERIC: cast it for the Any driver.
    let (taken,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM live_deal_claims")
            .fetch_one(env.app.svc().db.background())
            .await
            .unwrap();
    assert_eq!(taken, 5);

    // The same key again is the same claim, not a sixth unit.
    let first = &won[0]["data"]["claimLiveDeal"];
    let cart = first["cartId"].as_str().unwrap();
    let key = format!("key-{}", cart.trim_start_matches("cart-"));
    let again = env
        .staff_gql(CLAIM, json!({ "p": pin_id, "q": 1, "c": cart, "k": key }))
        .await;
    assert_eq!(again["data"]["claimLiveDeal"]["id"], first["id"], "{again}");

    // Releasing gives the unit back, once.
    let release = "mutation($c:ID!){ releaseLiveDeal(claimId:$c){ id releasedAt } }";
    for _ in 0..2 {
        let body = env.staff_gql(release, json!({ "c": first["id"] })).await;
        assert!(
            body["data"]["releaseLiveDeal"]["releasedAt"].is_string(),
            "{body}"
        );
    }
    assert_eq!(remaining(&env, &stream.id).await, 1);
    let body = env
        .staff_gql(
            CLAIM,
            json!({ "p": pin_id, "q": 2, "c": "late", "k": "late-2" }),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT", "only one left: {body}");
    let body = env
        .staff_gql(
            CLAIM,
            json!({ "p": pin_id, "q": 1, "c": "late", "k": "late-1" }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    // An ended stream's deal is over.
    env.move_to("endLivestream", &stream.id).await;
    let release_one = env
        .staff_gql(release, json!({ "c": body["data"]["claimLiveDeal"]["id"] }))
        .await;
    assert!(release_one["errors"].is_null());
    let body = env
        .staff_gql(
            CLAIM,
            json!({ "p": pin_id, "q": 1, "c": "after", "k": "after" }),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    env.stop().await;
}

#[tokio::test]
async fn a_subscriber_sees_pins_and_units_left() {
    let env = start_with(&[("CHAT_RATE_MAX", "1000")]).await;
    feed_ready(&env, &env.app, &env.app).await;
    let stream = env.live("Pins live").await;
    let mut ws = subscribe(&env.app, &stream.id).await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(event_or_pong(&mut ws).await["type"], "pong");

    let product = kit::ids::new_id();
    let body = pin(&env, &stream.id, &product, deal(3)).await;
    let pin_id = body["data"]["pinProduct"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.staff_gql(CLAIM, json!({ "p": pin_id, "q": 2, "c": "c", "k": "k" }))
        .await;
    env.staff_gql(
        "mutation($p:ID!){ unpinProduct(pinId:$p){ id } }",
        json!({ "p": pin_id }),
    )
    .await;

    let pinned = event(&mut ws).await;
    assert_eq!(pinned["__typename"], "ProductPinned", "{pinned}");
    assert_eq!(pinned["pin"]["product"]["id"], product.as_str());
    assert_eq!(pinned["pin"]["deal"]["remaining"], 3);
    let changed = event(&mut ws).await;
    assert_eq!(changed["__typename"], "LiveDealChanged", "{changed}");
    assert_eq!(changed["remaining"], 1);
    let unpinned = event(&mut ws).await;
    assert_eq!(unpinned["__typename"], "ProductUnpinned", "{unpinned}");
    assert_eq!(unpinned["pinId"], pin_id.as_str());
    env.stop().await;
}
