//! Quotes as the checkout and carts get them: each rate rule priced to the minor unit with
//! weights from catalog's events, the free-above threshold, rest-of-world zones, and every
//! refusal named (OUTSIDE_ZONES, wrong currency, unknown or inactive method, too heavy);
//! `Cart.shippingOptions` through `_entities` with a Cart representation, as the router asks.

use serde_json::{json, Value};

use crate::common::{error_code, eventually, field, money, reason, start, variant, Env};

struct Setup {
    flat: String,
    by_weight: String,
    free_above: String,
    international: String,
    inactive: String,
}

async fn setup(env: &Env) -> Setup {
    let domestic = env
        .zone(json!({ "name": "Domestic", "countries": ["US"] }))
        .await;
    let europe = env
        .zone(json!({ "name": "Europe", "countries": ["DE", "FR"] }))
        .await;
    let world = env
        .zone(json!({ "name": "Rest of world", "restOfWorld": true }))
        .await;
    let method = |name: &str, zones: Vec<&String>, rates: Value| {
        json!({ "name": name, "carrier": "Test", "zoneIds": zones, "rates": rates,
                "estimatedDaysMin": 2, "estimatedDaysMax": 4 })
    };
    Setup {
        flat: env
            .method(method(
                "Flat",
                vec![&domestic],
                json!([{ "kind": "FLAT", "amount": money("5.00") },
                       { "kind": "FLAT", "amount": { "amount": "4.50", "currencyCode": "EUR" } }]),
            ))
            .await,
        by_weight: env
            .method(method(
                "Weighed",
                vec![&domestic],
                json!([{ "kind": "BY_WEIGHT", "amount": money("9.99"), "perKg": money("2.00"),
                         "maxWeightGrams": 10000 }]),
            ))
            .await,
        free_above: env
            .method(method(
                "Free above",
                vec![&domestic],
                json!([{ "kind": "FREE_ABOVE", "amount": money("4.99"), "freeAbove": money("50.00") }]),
            ))
            .await,
        international: env
            .method(method(
                "International",
                vec![&europe, &world],
                json!([{ "kind": "FLAT", "amount": money("19.99") }]),
            ))
            .await,
        inactive: env
            .method({
                let mut m = method(
                    "Retired",
                    vec![&domestic],
                    json!([{ "kind": "FLAT", "amount": money("0.01") }]),
                );
                m["active"] = json!(false);
                m
            })
            .await,
    }
}

const QUOTE: &str = "query($i:ShippingQuoteInput!){ shippingQuote(input:$i){ methodId name price { amount currencyCode } estimatedDaysMin estimatedDaysMax } }";

fn input(
    method: &str,
    country: &str,
    currency: &str,
    subtotal: &str,
    lines: &[(&str, i64)],
) -> Value {
    json!({
        "methodId": method,
        "address": { "countryCode": country, "region": null, "postalCode": null },
        "currencyCode": currency,
        "subtotal": { "amount": subtotal, "currencyCode": currency },
        "lines": lines.iter().map(|(v, q)| json!({ "variantId": v, "quantity": q })).collect::<Vec<_>>(),
    })
}

/// The quote's price amount, or the whole error body.
async fn price(env: &Env, input: Value) -> Result<String, Value> {
    // Public: no token.
    let body = env.gql(QUOTE, json!({ "i": input }), None).await;
    match body["data"]["shippingQuote"]["price"]["amount"].as_str() {
        Some(amount) => Ok(amount.to_string()),
        None => Err(body),
    }
}

#[tokio::test]
async fn each_rate_rule_prices_to_the_minor_unit_with_weights_from_events() {
    let env = start().await;
    let s = setup(&env).await;
    let t0 = chrono::Utc::now() - chrono::Duration::minutes(10);
    let at = |e: kit::events::Event, minutes: i64| kit::events::Event {
        time: t0 + chrono::Duration::minutes(minutes),
        ..e
    };
    env.publish(&[
        at(variant("variant.created", "v-light", Some(300)), 0),
        at(variant("variant.created", "v-heavy", Some(1200)), 0),
        at(variant("variant.created", "v-unknown-weight", None), 0),
        // The light one got heavier later; an older update arriving late changes nothing.
        at(variant("variant.updated", "v-light", Some(400)), 2),
        at(variant("variant.updated", "v-light", Some(9000)), 1),
    ])
    .await;
    let by_weight =
        |lines: &[(&str, i64)]| price(&env, input(&s.by_weight, "US", "USD", "10.00", lines));
    // 3 x 400 g = 1200 g and 1 x 1200 g: two started kilograms each (3 x 300 g would be one,
    // 3 x 9000 g too heavy, an unknown weight 500 g: one).
    eventually("catalog's weights to arrive", || async {
        by_weight(&[("v-light", 3)]).await.ok().as_deref() == Some("13.99")
            && by_weight(&[("v-heavy", 1)]).await.ok().as_deref() == Some("13.99")
    })
    .await;
    // 2 x 400 g + 1200 g = 2000 g: exactly two kilograms.
    assert_eq!(
        by_weight(&[("v-light", 2), ("v-heavy", 1)]).await.unwrap(),
        "13.99"
    );
    // A null weight and a variant never heard of both count DEFAULT_WEIGHT_GRAMS (500 g).
    assert_eq!(
        by_weight(&[("v-light", 2), ("v-heavy", 1), ("v-unknown-weight", 1)])
            .await
            .unwrap(),
        "15.99"
    );
    assert_eq!(by_weight(&[("v-never-seen", 2)]).await.unwrap(), "11.99");
    assert_eq!(by_weight(&[("v-light", 5)]).await.unwrap(), "13.99");
    assert_eq!(
        by_weight(&[("v-light", 5), ("v-never-seen", 1)])
            .await
            .unwrap(),
        "15.99"
    );
    assert_eq!(by_weight(&[]).await.unwrap(), "9.99");

    let full = env
        .gql(
            QUOTE,
            json!({ "i": input(&s.flat, "us", "USD", "1.00", &[("v-light", 1)]) }),
            None,
        )
        .await;
    assert_eq!(
        full["data"]["shippingQuote"],
        json!({ "methodId": s.flat, "name": "Flat", "price": money("5.00"),
                "estimatedDaysMin": 2, "estimatedDaysMax": 4 }),
        "{full}"
    );
    let eur = price(&env, input(&s.flat, "US", "EUR", "1.00", &[]))
        .await
        .unwrap();
    assert_eq!(eur, "4.50");

    let free_above = |subtotal: &str| {
        price(
            &env,
            input(&s.free_above, "US", "USD", subtotal, &[("v-heavy", 3)]),
        )
    };
    assert_eq!(free_above("49.99").await.unwrap(), "4.99");
    assert_eq!(free_above("50.00").await.unwrap(), "0.00");
    assert_eq!(free_above("120").await.unwrap(), "0.00");

    // Rest of world: every country no ordinary zone lists.
    assert_eq!(
        price(&env, input(&s.international, "JP", "USD", "1", &[]))
            .await
            .unwrap(),
        "19.99"
    );
    assert_eq!(
        price(&env, input(&s.international, "FR", "USD", "1", &[]))
            .await
            .unwrap(),
        "19.99"
    );
    env.stop().await;
}

#[tokio::test]
async fn refusals_name_their_field_and_reason() {
    let env = start().await;
    let s = setup(&env).await;
    let outside = price(&env, input(&s.flat, "DE", "USD", "1", &[]))
        .await
        .unwrap_err();
    assert_eq!(error_code(&outside), "BAD_USER_INPUT", "{outside}");
    assert_eq!(field(&outside), "input.address.countryCode");
    assert_eq!(reason(&outside), "OUTSIDE_ZONES");
    // The US is listed by Domestic, so it is not "rest of world".
    let us = price(&env, input(&s.international, "US", "USD", "1", &[]))
        .await
        .unwrap_err();
    assert_eq!(reason(&us), "OUTSIDE_ZONES", "{us}");

    let cases = [
        (
            input(&s.by_weight, "US", "EUR", "1", &[]),
            "input.currencyCode",
        ),
        (input(&s.flat, "US", "XYZ", "1", &[]), "input.currencyCode"),
        (input(&s.inactive, "US", "USD", "1", &[]), "input.methodId"),
        (
            input(&kit::ids::new_id(), "US", "USD", "1", &[]),
            "input.methodId",
        ),
        (input("not-an-id", "US", "USD", "1", &[]), "input.methodId"),
        (
            input(&s.flat, "ZZ", "USD", "1", &[]),
            "input.address.countryCode",
        ),
        (
            input(&s.flat, "US", "USD", "1", &[("v", 0)]),
            "input.lines[0].quantity",
        ),
        (
            input(&s.flat, "US", "USD", "1", &[("v", 1), ("", 1)]),
            "input.lines[1].variantId",
        ),
        (
            {
                let mut i = input(&s.flat, "US", "USD", "1", &[]);
                i["subtotal"] = json!({ "amount": "1.00", "currencyCode": "EUR" });
                i
            },
            "input.subtotal.currencyCode",
        ),
        (
            input(&s.flat, "US", "USD", "1.001", &[]),
            "input.subtotal.amount",
        ),
        (
            {
                let mut i = input(&s.flat, "US", "USD", "1", &[]);
                i["address"]["region"] = json!("DE-BE");
                i
            },
            "input.address.region",
        ),
    ];
    for (i, expected) in cases {
        let body = price(&env, i.clone()).await.unwrap_err();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{i}: {body}");
        assert_eq!(field(&body), expected, "{i}: {body}");
    }
    // 21 x 500 g = 10.5 kg, above Weighed's 10 kg.
    let heavy = price(&env, input(&s.by_weight, "US", "USD", "1", &[("v-x", 21)]))
        .await
        .unwrap_err();
    assert_eq!(field(&heavy), "input.lines", "{heavy}");
    assert_eq!(reason(&heavy), "OVER_MAX_WEIGHT");
    env.stop().await;
}

fn cart(id: &str, currency: &str, subtotal: &str, lines: &[(&str, i64)]) -> Value {
    json!({
        "__typename": "Cart",
        "id": id,
        "currencyCode": currency,
        "subtotal": { "amount": subtotal, "currencyCode": currency },
        "pricingLines": lines.iter().map(|(v, q)| json!({ "variantId": v, "quantity": q })).collect::<Vec<_>>(),
    })
}

async fn options(env: &Env, carts: Vec<Value>, country: &str) -> Value {
    env.gql(
        "query($r:[_Any!]!,$a:ShippingAddressInput!){ _entities(representations:$r){ ... on Cart { id shippingOptions(address:$a){ methodId name price { amount currencyCode } estimatedDaysMin estimatedDaysMax } } } }",
        json!({ "r": carts, "a": { "countryCode": country } }),
        None,
    )
    .await
}

fn names_and_prices(cart: &Value) -> Vec<(String, String)> {
    cart["shippingOptions"]
        .as_array()
        .unwrap_or_else(|| panic!("no options: {cart}"))
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["price"]["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn cart_shipping_options_resolve_through_entities_cheapest_first() {
    let env = start().await;
    setup(&env).await;
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    // 3 units of an unknown variant: 1500 g, two started kilograms.
    let body = options(
        &env,
        vec![
            cart("cart-small", "USD", "20.00", &[("v-any", 3)]),
            cart("cart-big", "USD", "75.00", &[("v-any", 3)]),
            cart("cart-eur", "EUR", "75.00", &[("v-any", 3)]),
        ],
        "US",
    )
    .await;
    let carts = body["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(carts[0]["id"], "cart-small");
    assert_eq!(
        names_and_prices(&carts[0]),
        pairs(&[
            ("Free above", "4.99"),
            ("Flat", "5.00"),
            ("Weighed", "13.99")
        ])
    );
    assert_eq!(
        names_and_prices(&carts[1]),
        pairs(&[
            ("Free above", "0.00"),
            ("Flat", "5.00"),
            ("Weighed", "13.99")
        ])
    );
    // Only methods with a EUR rate.
    assert_eq!(names_and_prices(&carts[2]), pairs(&[("Flat", "4.50")]));
    assert_eq!(carts[0]["shippingOptions"][0]["estimatedDaysMax"], 4);

    let abroad = options(&env, vec![cart("c", "USD", "1.00", &[])], "JP").await;
    assert_eq!(
        names_and_prices(&abroad["data"]["_entities"][0]),
        pairs(&[("International", "19.99")])
    );
    let nowhere = options(&env, vec![cart("c", "GBP", "1.00", &[])], "JP").await;
    assert_eq!(
        nowhere["data"]["_entities"][0]["shippingOptions"],
        json!([]),
        "{nowhere}"
    );

    let bad_country = options(&env, vec![cart("c", "USD", "1.00", &[])], "XX").await;
    assert_eq!(field(&bad_country), "address.countryCode", "{bad_country}");
    let without_requires =
        options(&env, vec![json!({ "__typename": "Cart", "id": "c" })], "US").await;
    assert_eq!(
        error_code(&without_requires),
        "BAD_USER_INPUT",
        "{without_requires}"
    );
    env.stop().await;
}
