//! Who may pay and see a payment: the order's customer (bearer token), a guest presenting the
//! order's `X-Order-Token`, staff — and nobody else (another customer is FORBIDDEN, a caller
//! with no credential UNAUTHENTICATED), for `payOrder`, `payment(id)` and `Order.payments`
//! alike. `startPayment`, `cancelPayment` and the staff list are for staff only.

use serde_json::json;

use crate::common::{self, card, error_code, As, GOOD_CARD, PAYMENT_FIELDS};

#[tokio::test]
async fn another_customer_and_anonymous_callers_are_refused() {
    let env = common::start().await;
    let (owner, owner_token) = env.customer().await;
    let (_, other_token) = env.customer().await;
    let (order, started) = env.order("10.00", Some(&owner), None).await;
    let id = started["id"].as_str().unwrap();

    let stranger = env
        .pay(As::Bearer(&other_token), &order, card(GOOD_CARD), "k")
        .await;
    assert_eq!(error_code(&stranger), "FORBIDDEN", "{stranger}");
    let anonymous = env.pay(As::Nobody, &order, card(GOOD_CARD), "k").await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let unknown = env
        .pay(
            As::Bearer(&owner_token),
            &common::id(),
            card(GOOD_CARD),
            "k",
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");

    let read = format!("query($id:ID!){{ payment(id:$id){{ {PAYMENT_FIELDS} }} }}");
    let theirs = env
        .gql_as(As::Bearer(&other_token), &read, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&theirs), "FORBIDDEN");
    let mine = env
        .gql_as(As::Bearer(&owner_token), &read, json!({ "id": id }))
        .await;
    assert_eq!(mine["data"]["payment"]["id"], id, "{mine}");

    let paid = env
        .pay(As::Bearer(&owner_token), &order, card(GOOD_CARD), "k")
        .await;
    assert_eq!(paid["data"]["payOrder"]["status"], "CAPTURED", "{paid}");

    // The checkout's and staff's operations.
    let start = env
        .gql_as(
            As::Bearer(&owner_token),
            "mutation($i:StartPaymentInput!){ startPayment(input:$i){ id } }",
            json!({ "i": { "orderId": common::id(), "amount": { "amount": "1.00", "currencyCode": "USD" }, "email": "a@example.com", "idempotencyKey": "x" } }),
        )
        .await;
    assert_eq!(error_code(&start), "FORBIDDEN");
    let list = env
        .gql_as(
            As::Bearer(&owner_token),
            "{ payments { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&list), "FORBIDDEN");
    let cancel = env
        .gql_as(
            As::Nobody,
            "mutation($o:ID!){ cancelPayment(orderId:$o){ id } }",
            json!({ "o": order }),
        )
        .await;
    assert_eq!(error_code(&cancel), "UNAUTHENTICATED");
    env.stop().await;
}

#[tokio::test]
async fn a_guest_pays_with_the_order_token_only() {
    let env = common::start().await;
    let token = format!("guest-token-{}", common::id());
    let (order, started) = env.order("42.00", None, Some(&token)).await;
    let id = started["id"].as_str().unwrap();

    let without = env.pay(As::Nobody, &order, card(GOOD_CARD), "g").await;
    assert_eq!(error_code(&without), "UNAUTHENTICATED", "{without}");
    let wrong = env
        .pay(
            As::OrderToken("not-the-token"),
            &order,
            card(GOOD_CARD),
            "g",
        )
        .await;
    assert_eq!(error_code(&wrong), "FORBIDDEN", "{wrong}");
    let (_, customer) = env.customer().await;
    let customer_try = env
        .pay(As::Bearer(&customer), &order, card(GOOD_CARD), "g")
        .await;
    assert_eq!(error_code(&customer_try), "FORBIDDEN");

    let paid = env
        .pay(As::OrderToken(&token), &order, card(GOOD_CARD), "g")
        .await;
    assert_eq!(paid["data"]["payOrder"]["status"], "CAPTURED", "{paid}");
    assert!(paid["data"]["payOrder"]["customerId"].is_null());

    let read = "query($id:ID!){ payment(id:$id){ id status } }";
    let seen = env
        .gql_as(As::OrderToken(&token), read, json!({ "id": id }))
        .await;
    assert_eq!(seen["data"]["payment"]["status"], "CAPTURED", "{seen}");
    let unseen = env
        .gql_as(As::OrderToken("nope"), read, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&unseen), "FORBIDDEN");
    env.stop().await;
}

#[tokio::test]
async fn order_payments_resolve_through_entities_with_the_same_access() {
    let env = common::start().await;
    let (owner, owner_token) = env.customer().await;
    let (_, other_token) = env.customer().await;
    let (order, _) = env.order("10.00", Some(&owner), None).await;
    let (other_order, _) = env.order("20.00", Some(&owner), None).await;
    env.pay(
        As::Bearer(&owner_token),
        &order,
        card("4000000000000002"),
        "k",
    )
    .await;
    let query = "query($r:[_Any!]!){ _entities(representations:$r){ ... on Order { id payments { status amount { amount } } } } }";
    let reps = json!({ "r": [
        { "__typename": "Order", "id": order },
        { "__typename": "Order", "id": other_order },
        { "__typename": "Order", "id": common::id() },
    ] });

    let mine = env
        .gql_as(As::Bearer(&owner_token), query, reps.clone())
        .await;
    assert!(mine["errors"].is_null(), "{mine}");
    let orders = mine["data"]["_entities"].as_array().unwrap();
    assert_eq!(orders[0]["payments"][0]["status"], "FAILED");
    assert_eq!(orders[1]["payments"][0]["amount"]["amount"], "20.00");
    assert_eq!(orders[2]["payments"], json!([]));

    let staff = env.staff_gql(query, reps.clone()).await;
    assert!(staff["errors"].is_null(), "{staff}");
    let theirs = env.gql_as(As::Bearer(&other_token), query, reps).await;
    assert_eq!(error_code(&theirs), "FORBIDDEN", "{theirs}");
    env.stop().await;
}

#[tokio::test]
async fn staff_list_payments_by_filter_in_keyset_pages() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (order, started) = env.order("5.00", Some(&user), None).await;
        env.pay(As::Bearer(&token), &order, card(GOOD_CARD), "k")
            .await;
        ids.push(started["id"].as_str().unwrap().to_string());
    }
    let (_, unpaid) = env.order("6.00", Some(&user), None).await;
    let query = "query($f:PaymentFilter,$a:String){ payments(filter:$f, first:2, after:$a){ totalCount pageInfo { hasNextPage endCursor } edges { node { id status } } } }";
    let first = env
        .staff_gql(
            query,
            json!({ "f": { "customerId": user, "status": "CAPTURED" } }),
        )
        .await;
    let page = &first["data"]["payments"];
    assert_eq!(page["totalCount"], 3, "{first}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    // Newest first.
    assert_eq!(page["edges"][0]["node"]["id"], ids[2].as_str());
    assert_eq!(page["edges"][1]["node"]["id"], ids[1].as_str());
    let next = env
        .staff_gql(
            query,
            json!({ "f": { "customerId": user, "status": "CAPTURED" }, "a": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let page = &next["data"]["payments"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 1);
    assert_eq!(page["edges"][0]["node"]["id"], ids[0].as_str());
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    let open = env
        .staff_gql(
            query,
            json!({ "f": { "status": "REQUIRES_PAYMENT_METHOD" } }),
        )
        .await;
    assert_eq!(
        open["data"]["payments"]["edges"][0]["node"]["id"],
        unpaid["id"]
    );
    env.stop().await;
}
