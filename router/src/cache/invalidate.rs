//! From a subgraph event to the cache entries it makes stale. The events already name what
//! changed: `productId`, `variantId`, `reviewId` in their data (inventory's carry the new
//! `stock` per variant; accounts' `user.*` the `userId`), and a `source` naming the subgraph. An entity entry is tagged
//! `<Type>:<id>`; a root-field entry is tagged with every entity it contains and with its
//! subgraph (`source:<name>`), because a change can add a product to, or move it within, a list
//! that did not contain it before.

use serde_json::Value;

/// The event types the router subscribes to.
pub const BINDINGS: &[&str] = &[
    "product.*",
    "variant.*",
    "inventory.*",
    "review.*",
    "media.*",
    "category.*",
    "collection.*",
    // A user's public name shows on the reviews they wrote.
    "user.*",
];

/// Tags of the entries an event makes stale.
pub fn tags(event_type: &str, source: &str, subject: Option<&str>, data: &Value) -> Vec<String> {
    let mut tags = Vec::new();
    let mut add = |typename: &str, id: Option<&str>| {
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            tags.push(format!("{typename}:{id}"));
        }
    };
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    add("Product", str_of(data, "productId").as_deref());
    add("ProductVariant", str_of(data, "variantId").as_deref());
    add("Review", str_of(data, "reviewId").as_deref());
    let prefix = event_type.split('.').next().unwrap_or_default();
    match prefix {
        // `product.*` carries the product as `id` (or only as the subject).
        "product" => {
            add("Product", str_of(data, "id").as_deref());
            add("Product", subject);
        }
        "variant" => add("ProductVariant", subject),
        "media" => add("Asset", str_of(data, "id").as_deref()),
        "category" => add("Category", str_of(data, "id").as_deref().or(subject)),
        "collection" => add("Collection", str_of(data, "id").as_deref().or(subject)),
        "user" => add("User", str_of(data, "userId").as_deref().or(subject)),
        _ => {}
    }
    if let Some(stock) = data.get("stock").and_then(Value::as_array) {
        for s in stock {
            add("ProductVariant", str_of(s, "variantId").as_deref());
        }
    }
    // The subgraph's own root lists (`/subgraphs/catalog` → `source:catalog`).
    if let Some(name) = source.rsplit('/').next().filter(|n| !n.is_empty()) {
        tags.push(format!("source:{name}"));
    }
    tags.sort();
    tags.dedup();
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_name_their_entities() {
        let t = tags(
            "variant.price_changed",
            "/subgraphs/catalog",
            Some("v1"),
            &json!({"variantId": "v1", "productId": "p1"}),
        );
        assert_eq!(t, vec!["Product:p1", "ProductVariant:v1", "source:catalog"]);
        let t = tags(
            "inventory.adjusted",
            "/subgraphs/inventory",
            None,
            &json!({"stock": [{"variantId": "v1"}, {"variantId": "v2"}]}),
        );
        assert_eq!(
            t,
            vec!["ProductVariant:v1", "ProductVariant:v2", "source:inventory"]
        );
        let t = tags(
            "review.created",
            "/subgraphs/reviews",
            Some("p1"),
            &json!({"reviewId": "r1", "productId": "p1"}),
        );
        assert_eq!(t, vec!["Product:p1", "Review:r1", "source:reviews"]);
        let t = tags(
            "user.updated",
            "/subgraphs/accounts",
            Some("u1"),
            &json!({"userId": "u1", "changed": ["name"]}),
        );
        assert_eq!(t, vec!["User:u1", "source:accounts"]);
    }
}
