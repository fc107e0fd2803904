//! Product lists are Relay connections over keyset cursors: forward and backward pages cover
//! every product exactly once, a page does not shift when products are added in front of it,
//! sorts other than newest (price) carry their key in the cursor, and a cursor from another
//! sort is refused.

use crate::common::*;
use serde_json::{json, Value};

const PAGE: &str = "query($f:Int,$a:String,$l:Int,$b:String,$s:ProductSort){ products(first:$f, after:$a, last:$l, before:$b, sort:$s){ totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id priceFrom { amount } } } } }";

async fn page(env: &Env, vars: Value) -> Value {
    let body = env.public(PAGE, vars).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["products"].clone()
}

#[tokio::test]
async fn keyset_pages_are_complete_and_stable() {
    let env = start().await;
    let prices = [
        "30.00", "10.00", "20.00", "10.00", "50.00", "40.00", "20.00",
    ];
    let mut created = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        created.push(published(&env, json!({ "title": format!("Item {i}") }), price).await);
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    // Forward through everything, three at a time.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = page(&env, json!({ "f": 3, "a": after })).await;
        assert_eq!(p["totalCount"], prices.len());
        seen.extend(ids(&p));
        if !p["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = p["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen, newest_first);

    // A new product after the first page was read does not shift the next page.
    let first = page(&env, json!({ "f": 3 })).await;
    let fresh = published(&env, json!({ "title": "Late arrival" }), "5.00").await;
    let second = page(&env, json!({ "f": 3, "a": first["pageInfo"]["endCursor"] })).await;
    assert_eq!(ids(&second), newest_first[3..6].to_vec());
    assert!(!ids(&second).contains(&fresh));
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    // Backward from the end.
    let last = page(&env, json!({ "l": 2 })).await;
    assert_eq!(ids(&last), newest_first[5..7].to_vec());
    let before = page(
        &env,
        json!({ "l": 2, "b": last["pageInfo"]["startCursor"] }),
    )
    .await;
    assert_eq!(ids(&before), newest_first[3..5].to_vec());
    assert_eq!(before["pageInfo"]["hasNextPage"], true);

    // Price ascending, ties broken by id, paged two at a time.
    let mut amounts = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = page(&env, json!({ "f": 2, "a": after, "s": "PRICE_ASC" })).await;
        for e in p["edges"].as_array().unwrap() {
            amounts.push(
                e["node"]["priceFrom"]["amount"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        if !p["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = p["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    let mut expected: Vec<String> = prices.iter().map(|s| s.to_string()).collect();
    expected.push("5.00".into());
    expected.sort_by_key(|a| (a.parse::<f64>().unwrap() * 100.0) as i64);
    assert_eq!(amounts, expected);

    // Price descending starts at the top.
    let p = page(&env, json!({ "f": 1, "s": "PRICE_DESC" })).await;
    assert_eq!(p["edges"][0]["node"]["priceFrom"]["amount"], "50.00");

    // A cursor from one sort is refused by another; garbage and oversize pages too.
    let cursor = p["pageInfo"]["endCursor"].clone();
    for vars in [
        json!({ "f": 2, "a": cursor, "s": "NEWEST" }),
        json!({ "f": 2, "a": "!!!" }),
        json!({ "f": 1000 }),
    ] {
        let body = env.public(PAGE, vars.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{vars}");
    }
    env.stop().await;
}
