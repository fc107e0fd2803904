//! Staff management of zones and methods over HTTP: create, update, delete, look up, list with
//! keyset pages; every bad input named; customers FORBIDDEN, anonymous UNAUTHENTICATED.

use serde_json::json;

use crate::common::{self, error_code, field, money, name, start, METHOD_FIELDS, ZONE_FIELDS};

#[tokio::test]
async fn staff_create_update_list_and_delete_zones_and_methods() {
    let env = start().await;
    let zone = env
        .create_zone_raw(json!({
            "name": name("West"),
            "countries": ["us", "CA", "US"],
            "regions": ["us-ca", "US-OR"],
            "postalCodePrefixes": ["9"],
        }))
        .await;
    assert!(zone["errors"].is_null(), "{zone}");
    let zone = &zone["data"]["createShippingZone"];
    assert_eq!(zone["countries"], json!(["CA", "US"]));
    assert_eq!(zone["regions"], json!(["US-CA", "US-OR"]));
    assert_eq!(zone["postalCodePrefixes"], json!(["9"]));
    assert_eq!(zone["restOfWorld"], false);
    let zone_id = zone["id"].as_str().unwrap().to_string();
    let world = env
        .zone(json!({ "name": name("World"), "restOfWorld": true }))
        .await;

    let method = env
        .create_method_raw(json!({
            "name": name("Express"),
            "carrier": "UPS",
            "zoneIds": [zone_id, world],
            "estimatedDaysMin": 1,
            "estimatedDaysMax": 2,
            "rates": [
                { "kind": "BY_WEIGHT", "amount": money("9.99"), "perKg": money("2.00"), "maxWeightGrams": 30000 },
                { "kind": "FLAT", "amount": { "amount": "8.50", "currencyCode": "EUR" } },
            ],
        }))
        .await;
    assert!(method["errors"].is_null(), "{method}");
    let method = &method["data"]["createShippingMethod"];
    assert_eq!(method["active"], true);
    assert_eq!(method["zones"].as_array().unwrap().len(), 2);
    assert_eq!(
        method["rates"],
        json!([
            { "currencyCode": "EUR", "kind": "FLAT", "amount": { "amount": "8.50", "currencyCode": "EUR" },
              "perKg": null, "maxWeightGrams": null, "freeAbove": null },
            { "currencyCode": "USD", "kind": "BY_WEIGHT", "amount": money("9.99"),
              "perKg": money("2.00"), "maxWeightGrams": 30000, "freeAbove": null },
        ])
    );
    let method_id = method["id"].as_str().unwrap().to_string();

    // Update: omitted fields stay, null clears an estimate, rates are replaced.
    let updated = env
        .staff_gql(
            &format!("mutation($id:ID!,$i:UpdateShippingMethodInput!){{ updateShippingMethod(id:$id,input:$i){{ {METHOD_FIELDS} }} }}"),
            json!({ "id": method_id, "i": {
                "active": false,
                "estimatedDaysMin": null,
                "rates": [{ "kind": "FREE_ABOVE", "amount": money("4.99"), "freeAbove": money("50") }],
            }}),
        )
        .await;
    assert!(updated["errors"].is_null(), "{updated}");
    let updated = &updated["data"]["updateShippingMethod"];
    assert_eq!(updated["active"], false);
    assert_eq!(updated["carrier"], "UPS");
    assert_eq!(updated["estimatedDaysMin"], json!(null));
    assert_eq!(updated["estimatedDaysMax"], 2);
    assert_eq!(updated["rates"][0]["freeAbove"], money("50.00"));
    assert_eq!(updated["rates"].as_array().unwrap().len(), 1);

    // Lists: filter by active and zone; keyset pages.
    let inactive = env
        .staff_gql(
            "query($z:ID!){ shippingMethods(filter:{active:false, zoneId:$z}){ totalCount edges { node { id } } } }",
            json!({ "z": zone_id }),
        )
        .await;
    assert_eq!(
        inactive["data"]["shippingMethods"]["totalCount"], 1,
        "{inactive}"
    );
    let active = env
        .staff_gql(
            "{ shippingMethods(filter:{active:true}){ totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        active["data"]["shippingMethods"]["totalCount"], 0,
        "{active}"
    );
    for i in 0..3 {
        env.zone(json!({ "name": name(&format!("Z{i}")), "countries": ["DE"] }))
            .await;
    }
    let page1 = env
        .staff_gql(
            "{ shippingZones(first:2){ totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }",
            json!({}),
        )
        .await;
    let conn = &page1["data"]["shippingZones"];
    assert_eq!(conn["totalCount"], 5, "{page1}");
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let mut seen: Vec<String> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect();
    let mut after = conn["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    loop {
        let page = env
            .staff_gql(
                "query($a:String){ shippingZones(first:2, after:$a){ pageInfo { hasNextPage endCursor } edges { node { id } } } }",
                json!({ "a": after }),
            )
            .await;
        let conn = &page["data"]["shippingZones"];
        seen.extend(
            conn["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_string()),
        );
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(seen, sorted, "newest first, no repeats");
    sorted.dedup();
    assert_eq!(sorted.len(), 5);

    // A zone in use cannot be deleted; after the method goes, it can.
    let refused = env
        .staff_gql(
            "mutation($id:ID!){ deleteShippingZone(id:$id) }",
            json!({ "id": zone_id }),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    let gone = env
        .staff_gql(
            "mutation($id:ID!){ deleteShippingMethod(id:$id) }",
            json!({ "id": method_id }),
        )
        .await;
    assert_eq!(
        gone["data"]["deleteShippingMethod"],
        method_id.as_str(),
        "{gone}"
    );
    let deleted = env
        .staff_gql(
            "mutation($id:ID!){ deleteShippingZone(id:$id) }",
            json!({ "id": zone_id }),
        )
        .await;
    assert!(deleted["errors"].is_null(), "{deleted}");
    let lookup = env
        .staff_gql(
            &format!("query($id:ID!){{ shippingZone(id:$id){{ {ZONE_FIELDS} }} shippingMethod(id:$id){{ id }} }}"),
            json!({ "id": zone_id }),
        )
        .await;
    assert_eq!(lookup["data"]["shippingZone"], json!(null), "{lookup}");
    env.stop().await;
}

#[tokio::test]
async fn every_bad_input_is_named() {
    let env = start().await;
    let zone = env
        .zone(json!({ "name": name("Home"), "countries": ["US"] }))
        .await;
    let zone_cases = [
        (json!({ "name": " ", "countries": ["US"] }), "input.name"),
        (json!({ "name": "A", "countries": [] }), "input.countries"),
        (
            json!({ "name": "A", "countries": ["US", "XX"] }),
            "input.countries[1]",
        ),
        (
            json!({ "name": "A", "countries": ["US"], "regions": ["DE-BE"] }),
            "input.regions[0]",
        ),
        (
            json!({ "name": "A", "countries": ["US"], "postalCodePrefixes": ["9/"] }),
            "input.postalCodePrefixes[0]",
        ),
        (
            json!({ "name": "A", "countries": ["US"], "restOfWorld": true }),
            "input.countries",
        ),
    ];
    for (input, expected) in zone_cases {
        let body = env.create_zone_raw(input.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(field(&body), expected, "{input}: {body}");
    }
    let base = || {
        json!({
            "name": name("M"), "carrier": "UPS", "zoneIds": [zone],
            "rates": [{ "kind": "FLAT", "amount": money("1.00") }],
        })
    };
    let with = |key: &str, value: serde_json::Value| {
        let mut input = base();
        input[key] = value;
        input
    };
    let method_cases = [
        (with("name", json!("")), "input.name"),
        (with("carrier", json!(" ")), "input.carrier"),
        (with("zoneIds", json!([])), "input.zoneIds"),
        (with("zoneIds", json!([zone, "nope"])), "input.zoneIds[1]"),
        (
            with("zoneIds", json!([zone, common::id()])),
            "input.zoneIds[1]",
        ),
        (
            with("estimatedDaysMin", json!(-1)),
            "input.estimatedDaysMin",
        ),
        (
            {
                let mut i = with("estimatedDaysMin", json!(5));
                i["estimatedDaysMax"] = json!(2);
                i
            },
            "input.estimatedDaysMax",
        ),
        (with("rates", json!([])), "input.rates"),
        (
            with(
                "rates",
                json!([{ "kind": "FLAT", "amount": money("1.001") }]),
            ),
            "input.rates[0].amount.amount",
        ),
        (
            with(
                "rates",
                json!([{ "kind": "FLAT", "amount": { "amount": "1", "currencyCode": "XYZ" } }]),
            ),
            "input.rates[0].amount.currencyCode",
        ),
        (
            with(
                "rates",
                json!([{ "kind": "FLAT", "amount": money("1") }, { "kind": "FLAT", "amount": money("2") }]),
            ),
            "input.rates[1].amount.currencyCode",
        ),
        (
            with(
                "rates",
                json!([{ "kind": "BY_WEIGHT", "amount": money("1") }]),
            ),
            "input.rates[0].perKg",
        ),
        (
            with(
                "rates",
                json!([{ "kind": "BY_WEIGHT", "amount": money("1"), "perKg": money("1"), "maxWeightGrams": 0 }]),
            ),
            "input.rates[0].maxWeightGrams",
        ),
        (
            with(
                "rates",
                json!([{ "kind": "FREE_ABOVE", "amount": money("1") }]),
            ),
            "input.rates[0].freeAbove",
        ),
        (
            with(
                "rates",
                json!([{ "kind": "FREE_ABOVE", "amount": money("1"), "freeAbove": { "amount": "50", "currencyCode": "EUR" } }]),
            ),
            "input.rates[0].freeAbove.currencyCode",
        ),
        (
            with(
                "rates",
                json!([{ "kind": "FLAT", "amount": money("1"), "perKg": money("1") }]),
            ),
            "input.rates[0].perKg",
        ),
    ];
    for (input, expected) in method_cases {
        let body = env.create_method_raw(input.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(field(&body), expected, "{input}: {body}");
    }
    // Duplicate names (any case) conflict.
    let taken = env.method(base()).await;
    let taken_name = env
        .staff_gql(
            "query($id:ID!){ shippingMethod(id:$id){ name } }",
            json!({ "id": taken }),
        )
        .await["data"]["shippingMethod"]["name"]
        .as_str()
        .unwrap()
        .to_uppercase();
    let dup = env.create_method_raw(with("name", json!(taken_name))).await;
    assert_eq!(error_code(&dup), "CONFLICT", "{dup}");
    // Unknown ids.
    let missing = env
        .staff_gql(
            "mutation($id:ID!){ updateShippingZone(id:$id, input:{name:\"X\"}){ id } }",
            json!({ "id": common::id() }),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND", "{missing}");
    env.stop().await;
}

#[tokio::test]
async fn customers_are_forbidden_and_anonymous_callers_unauthenticated() {
    let env = start().await;
    let (_, customer) = env.customer().await;
    let operations = [
        "{ shippingZones { totalCount } }",
        "{ shippingMethods { totalCount } }",
        "{ shipments { totalCount } }",
        "mutation { createShippingZone(input:{name:\"X\", countries:[\"US\"]}){ id } }",
        "mutation { deleteShippingMethod(id:\"0190f0a0-0000-7000-8000-000000000000\") }",
        "mutation { markShipmentPacked(id:\"0190f0a0-0000-7000-8000-000000000000\"){ id } }",
    ];
    for op in operations {
        let body = env.gql(op, json!({}), Some(&customer)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{op}: {body}");
        let body = env.gql(op, json!({}), None).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{op}: {body}");
    }
    let zones: i64 = kit::sqlx::query_scalar("SELECT COUNT(*) FROM shipping_zones")
        .fetch_one(env.app.svc().db.pool())
        .await
        .unwrap();
    assert_eq!(zones, 0);
    env.stop().await;
}
