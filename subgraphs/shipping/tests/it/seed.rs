//! The launcher's seed entry points: the demo zones and methods (idempotent, quoting as
//! described) and bulk variant weights (idempotent, yielding to catalog's events).

use serde_json::{json, Value};

use crate::common::{eventually, start, variant, Env};

async fn quote(env: &Env, method: &str, country: &str, subtotal: &str, lines: Value) -> Value {
    env.gql(
        "query($i:ShippingQuoteInput!){ shippingQuote(input:$i){ name price { amount } estimatedDaysMin estimatedDaysMax } }",
        json!({ "i": {
            "methodId": method, "address": { "countryCode": country }, "currencyCode": "USD",
            "subtotal": { "amount": subtotal, "currencyCode": "USD" }, "lines": lines,
        }}),
        None,
    )
    .await
}

#[tokio::test]
async fn demo_zones_and_methods_are_seeded_once_and_quote_as_described() {
    let env = start().await;
    shipping::seed::demo(env.app.svc()).await.unwrap();
    shipping::seed::demo(env.app.svc()).await.unwrap();
    let zones = env
        .staff_gql(
            "{ shippingZones(first:10){ totalCount edges { node { name countries restOfWorld } } } }",
            json!({}),
        )
        .await;
    assert_eq!(zones["data"]["shippingZones"]["totalCount"], 3, "{zones}");
    let europe = zones["data"]["shippingZones"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["name"] == "Europe")
        .unwrap();
    assert_eq!(europe["node"]["countries"].as_array().unwrap().len(), 12);
    let methods = env
        .staff_gql(
            "{ shippingMethods(first:10){ totalCount edges { node { id name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        methods["data"]["shippingMethods"]["totalCount"], 3,
        "{methods}"
    );
    let id_of = |name: &str| {
        methods["data"]["shippingMethods"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["name"] == name)
            .unwrap()["node"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (standard, express, international) =
        (id_of("Standard"), id_of("Express"), id_of("International"));

    shipping::seed::weights(
        env.app.svc(),
        &[
            ("v-a".into(), Some(1500)),
            ("v-b".into(), None),
            ("v-a".into(), Some(1200)),
        ],
    )
    .await
    .unwrap();
    let price = |body: Value| body["data"]["shippingQuote"]["price"]["amount"].clone();
    assert_eq!(
        price(quote(&env, &standard, "US", "49.99", json!([])).await),
        "4.99"
    );
    assert_eq!(
        price(quote(&env, &standard, "US", "50.00", json!([])).await),
        "0.00"
    );
    // v-a weighs 1200 g (the last seeded row): 2 started kilograms.
    let express_quote = quote(
        &env,
        &express,
        "US",
        "1",
        json!([{ "variantId": "v-a", "quantity": 1 }]),
    )
    .await;
    assert_eq!(price(express_quote.clone()), "13.99", "{express_quote}");
    assert_eq!(
        express_quote["data"]["shippingQuote"]["estimatedDaysMax"],
        2
    );
    assert_eq!(
        price(quote(&env, &international, "DE", "1", json!([])).await),
        "19.99"
    );
    assert_eq!(
        price(quote(&env, &international, "BR", "1", json!([])).await),
        "19.99"
    );
    let us = quote(&env, &international, "US", "1", json!([])).await;
    assert_eq!(
        us["errors"][0]["extensions"]["reason"], "OUTSIDE_ZONES",
        "{us}"
    );
    let de = quote(&env, &standard, "DE", "1", json!([])).await;
    assert_eq!(
        de["errors"][0]["extensions"]["reason"], "OUTSIDE_ZONES",
        "{de}"
    );

    // An event wins over the seed, and a re-seed does not undo it.
    env.publish(&[variant("variant.updated", "v-a", Some(300))])
        .await;
    let light = json!([{ "variantId": "v-a", "quantity": 1 }]);
    eventually("the event's weight", || async {
        price(quote(&env, &express, "US", "1", light.clone()).await) == "11.99"
    })
    .await;
    shipping::seed::weights(env.app.svc(), &[("v-a".into(), Some(5000))])
        .await
        .unwrap();
    assert_eq!(
        price(quote(&env, &express, "US", "1", light).await),
        "11.99"
    );
    env.stop().await;
}
