//! Shopping steps the buying and checkout tests share: reading money, error codes, and
//! finding variants to buy through the router.

use serde_json::{json, Value};

use crate::launcher::Shop;

/// "12.34" → 1234 (the demo catalogue is in USD, two decimals).
pub fn minor(amount: &Value) -> i64 {
    let text = amount.as_str().unwrap_or_else(|| panic!("amount {amount}"));
    let (whole, cents) = text.split_once('.').unwrap_or((text, "00"));
    whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

pub fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error: {body}"))
        .to_string()
}

/// Two in-stock variants of different products of the biggest leaf category.
pub async fn two_variants(shop: &Shop) -> Vec<(String, i64)> {
    let (leaf, _) = shop.biggest_leaf().await;
    let page = shop
        .data(
            None,
            "query($c: ID!) { category(id: $c) { products(first: 24) { edges { node {
               variants { id price { amount } stock { available } } } } } } }",
            json!({ "c": leaf }),
        )
        .await;
    let mut found = Vec::new();
    for edge in page["category"]["products"]["edges"].as_array().unwrap() {
        // Seeded stock follows a hash of the variant's (time-based) id, so any variant of a
        // product may be the one with enough: one per product, whichever it is.
        let variants = edge["node"]["variants"].as_array().unwrap();
        if let Some(variant) = variants
            .iter()
            .find(|v| v["stock"]["available"].as_i64().unwrap_or(0) >= 10)
        {
            found.push((
                variant["id"].as_str().unwrap().to_string(),
                minor(&variant["price"]["amount"]),
            ));
        }
        if found.len() == 2 {
            return found;
        }
    }
    panic!("fewer than two variants with 10 in stock: {page}");
}
