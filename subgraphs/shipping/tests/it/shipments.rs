//! Shipments from `order.paid`: created once however often the event is delivered, with the
//! order's address, method and lines copied; staff pack and ship them (illegal moves are
//! CONFLICT); `Order.shipments` for the order's customer, a guest with the order token, and
//! staff only.

use serde_json::{json, Value};

use crate::common::{
    error_code, field, id, money, order_paid, sha256_hex, start, Env, SHIPMENT_FIELDS,
};

async fn domestic_method(env: &Env) -> String {
    let zone = env
        .zone(json!({ "name": "Domestic", "countries": ["US"] }))
        .await;
    env.method(json!({
        "name": "Standard", "carrier": "USPS", "zoneIds": [zone],
        "estimatedDaysMin": 3, "estimatedDaysMax": 5,
        "rates": [{ "kind": "FLAT", "amount": money("4.99") }],
    }))
    .await
}

#[tokio::test]
async fn a_replayed_order_paid_creates_one_shipment_with_the_orders_data() {
    let env = start().await;
    let method = domestic_method(&env).await;
    let order = id();
    let event = order_paid(&order, Some("customer-1"), None, &method);
    // The same delivery three times, and a second order.paid (new event id) for the order.
    env.publish(&[event.clone(), event.clone()]).await;
    let again = order_paid(&order, Some("customer-1"), None, &method);
    let again_id = again.id.clone();
    let shipment = env.paid(event).await;
    env.publish(&[again]).await;
    crate::common::eventually("the second order.paid to be processed", || async {
        let seen: i64 =
            kit::sqlx::query_scalar("SELECT COUNT(*) FROM processed_events WHERE event_id = $1")
                .bind(&again_id)
                .fetch_one(env.app.svc().db.pool())
                .await
                .unwrap();
        seen == 1
    })
    .await;

    assert_eq!(shipment["status"], "PENDING");
    assert_eq!(shipment["orderId"], order.as_str());
    assert_eq!(shipment["carrier"], "USPS");
    assert_eq!(shipment["trackingNumber"], json!(null));
    assert_eq!(
        shipment["method"],
        json!({ "id": method, "name": "Standard", "carrier": "USPS",
                "estimatedDaysMin": 3, "estimatedDaysMax": 5 })
    );
    assert_eq!(
        shipment["address"],
        json!({ "name": "Ada Buyer", "line1": "1 Main St", "line2": null, "city": "Springfield",
                "region": "IL", "postalCode": "62701", "countryCode": "US", "phone": "+15550100" })
    );
    assert_eq!(
        shipment["lines"],
        json!([
            { "lineId": "l1", "variantId": "v-mug", "productId": "p-mug", "sku": "MUG-1", "title": "Mug", "quantity": 2 },
            { "lineId": "l2", "variantId": "v-tee", "productId": "p-tee", "sku": "TEE-1", "title": "Tee", "quantity": 1 },
        ])
    );
    let history = shipment["trackingHistory"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["status"], "PENDING");
    assert_eq!(history[0]["source"], "SYSTEM");

    let count: i64 = kit::sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE order_id = $1")
        .bind(&order)
        .fetch_one(env.app.svc().db.pool())
        .await
        .unwrap();
    assert_eq!(count, 1);
    let created: Vec<Value> = env
        .outbox("shipment.created")
        .await
        .into_iter()
        .filter(|e| e["data"]["orderId"] == order.as_str())
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        created[0]["data"],
        json!({ "shipmentId": shipment["id"], "orderId": order, "status": "PENDING" })
    );
    assert_eq!(created[0]["subject"], shipment["id"]);
    env.stop().await;
}

async fn mark(env: &Env, mutation: &str, id: &str) -> Value {
    env.staff_gql(
        &format!("mutation($id:ID!){{ {mutation}(id:$id){{ {SHIPMENT_FIELDS} }} }}"),
        json!({ "id": id }),
    )
    .await
}

#[tokio::test]
async fn staff_pack_and_ship_and_illegal_moves_conflict() {
    let env = start().await;
    let method = domestic_method(&env).await;
    let shipment = env.paid(order_paid(&id(), None, None, &method)).await;
    let sid = shipment["id"].as_str().unwrap().to_string();

    let packed = mark(&env, "markShipmentPacked", &sid).await;
    assert_eq!(
        packed["data"]["markShipmentPacked"]["status"], "PACKED",
        "{packed}"
    );
    let again = mark(&env, "markShipmentPacked", &sid).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");

    let bad = env
        .staff_gql(
            "mutation($id:ID!){ markShipmentShipped(id:$id, carrier:\"UPS\", trackingNumber:\"1Z 99\"){ id } }",
            json!({ "id": sid }),
        )
        .await;
    assert_eq!(field(&bad), "trackingNumber", "{bad}");
    let bad = env
        .staff_gql(
            "mutation($id:ID!){ markShipmentShipped(id:$id, carrier:\" \", trackingNumber:\"1Z99\"){ id } }",
            json!({ "id": sid }),
        )
        .await;
    assert_eq!(field(&bad), "carrier", "{bad}");

    let shipped = env.ship(&sid, "1Z999AA10123456784").await;
    assert_eq!(shipped["status"], "SHIPPED");
    assert_eq!(shipped["carrier"], "UPS");
    assert_eq!(shipped["trackingNumber"], "1Z999AA10123456784");
    let statuses: Vec<&str> = shipped["trackingHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["PENDING", "PACKED", "SHIPPED"]);
    assert_eq!(shipped["trackingHistory"][2]["source"], "STAFF");

    for mutation in ["markShipmentPacked"] {
        let late = mark(&env, mutation, &sid).await;
        assert_eq!(error_code(&late), "CONFLICT", "{late}");
    }
    let reship = env
        .staff_gql(
            "mutation($id:ID!){ markShipmentShipped(id:$id, carrier:\"DHL\", trackingNumber:\"X1\"){ id } }",
            json!({ "id": sid }),
        )
        .await;
    assert_eq!(error_code(&reship), "CONFLICT", "{reship}");

    // A tracking number belongs to one shipment.
    let other = env.paid(order_paid(&id(), None, None, &method)).await;
    let taken = env
        .staff_gql(
            "mutation($id:ID!){ markShipmentShipped(id:$id, carrier:\"UPS\", trackingNumber:\"1Z999AA10123456784\"){ id } }",
            json!({ "id": other["id"] }),
        )
        .await;
    assert_eq!(error_code(&taken), "CONFLICT", "{taken}");
    let unknown = mark(&env, "markShipmentPacked", &id()).await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");

    let updates: Vec<Value> = env
        .outbox("shipment.updated")
        .await
        .into_iter()
        .map(|e| e["data"].clone())
        .collect();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert_eq!(updates[0]["status"], "PACKED");
    assert_eq!(updates[0]["previousStatus"], "PENDING");
    assert_eq!(updates[1]["status"], "SHIPPED");
    assert_eq!(updates[1]["previousStatus"], "PACKED");
    assert_eq!(updates[1]["carrier"], "UPS");
    assert_eq!(updates[1]["trackingNumber"], "1Z999AA10123456784");
    assert_eq!(updates[1]["shipmentId"], sid.as_str());
    assert!(updates[1]["at"].as_str().unwrap().ends_with('Z'));

    // Staff look-ups and the status filter.
    let one = env
        .staff_gql(
            "query($id:ID!){ shipment(id:$id){ id status } }",
            json!({ "id": sid }),
        )
        .await;
    assert_eq!(one["data"]["shipment"]["status"], "SHIPPED", "{one}");
    let pending = env
        .staff_gql(
            "{ shipments(filter:{status:PENDING}){ totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(pending["data"]["shipments"]["totalCount"], 1, "{pending}");
    assert_eq!(
        pending["data"]["shipments"]["edges"][0]["node"]["id"],
        other["id"]
    );
    env.stop().await;
}

const ORDER_SHIPMENTS: &str = "query($r:[_Any!]!){ _entities(representations:$r){ ... on Order { id shipments { id status orderId } } } }";

fn order_rep(order: &str) -> Value {
    json!({ "r": [{ "__typename": "Order", "id": order }] })
}

#[tokio::test]
async fn order_shipments_are_for_the_customer_the_guest_token_and_staff() {
    let env = start().await;
    let method = domestic_method(&env).await;
    let (owner_id, owner) = env.customer().await;
    let (_, stranger) = env.customer().await;

    let order = id();
    let shipment = env
        .paid(order_paid(&order, Some(&owner_id), None, &method))
        .await;
    let read = |token: Option<String>| {
        let env = &env;
        let order = order.clone();
        async move {
            env.gql(ORDER_SHIPMENTS, order_rep(&order), token.as_deref())
                .await
        }
    };
    let mine = read(Some(owner.clone())).await;
    assert_eq!(
        mine["data"]["_entities"][0]["shipments"][0]["id"], shipment["id"],
        "{mine}"
    );
    let staff = read(Some(env.staff.clone())).await;
    assert_eq!(
        staff["data"]["_entities"][0]["shipments"][0]["id"],
        shipment["id"]
    );
    assert_eq!(error_code(&read(Some(stranger.clone())).await), "FORBIDDEN");
    assert_eq!(error_code(&read(None).await), "UNAUTHENTICATED");
    // The same rules through the Shipment entity.
    let as_entity = env
        .gql(
            "query($r:[_Any!]!){ _entities(representations:$r){ ... on Shipment { id status } } }",
            json!({ "r": [{ "__typename": "Shipment", "id": shipment["id"] }] }),
            Some(&stranger),
        )
        .await;
    assert_eq!(error_code(&as_entity), "FORBIDDEN", "{as_entity}");

    // A guest order opens with its token.
    let guest_order = id();
    let token = format!("ot_{}", id());
    env.paid(order_paid(
        &guest_order,
        None,
        Some(&sha256_hex(&token)),
        &method,
    ))
    .await;
    let with_token = env
        .gql_with_order_token(ORDER_SHIPMENTS, order_rep(&guest_order), &token, None)
        .await;
    assert_eq!(
        with_token["data"]["_entities"][0]["shipments"][0]["status"], "PENDING",
        "{with_token}"
    );
    let wrong = env
        .gql_with_order_token(ORDER_SHIPMENTS, order_rep(&guest_order), "ot_wrong", None)
        .await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED", "{wrong}");
    let customer_with_wrong = env
        .gql_with_order_token(
            ORDER_SHIPMENTS,
            order_rep(&guest_order),
            "ot_wrong",
            Some(&stranger),
        )
        .await;
    assert_eq!(error_code(&customer_with_wrong), "FORBIDDEN");

    // A guest order whose event carried no token hash: staff only.
    let tokenless = id();
    env.paid(order_paid(&tokenless, None, None, &method)).await;
    let guessed = env
        .gql_with_order_token(ORDER_SHIPMENTS, order_rep(&tokenless), &token, None)
        .await;
    assert_eq!(error_code(&guessed), "UNAUTHENTICATED", "{guessed}");
    let staff = env
        .gql(ORDER_SHIPMENTS, order_rep(&tokenless), Some(&env.staff))
        .await;
    assert_eq!(
        staff["data"]["_entities"][0]["shipments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // An order with no shipment yet has none, whoever asks.
    let unpaid = env
        .gql(ORDER_SHIPMENTS, order_rep(&id()), Some(&stranger))
        .await;
    assert_eq!(
        unpaid["data"]["_entities"][0]["shipments"],
        json!([]),
        "{unpaid}"
    );
    env.stop().await;
}
