//! `searchProducts`: stemming ("running shoes" finds "Run Shoe"), one-typo tolerance, search as
//! you type, relevance (title beats description), all words required, facets with counts,
//! filters and price sorts, keyset pages, and an index kept current by product updates.

use crate::common::*;
use serde_json::{json, Value};

const SEARCH: &str = "query($q:String!,$f:ProductFilter,$s:ProductSort,$n:Int,$a:String){ searchProducts(query:$q, filter:$f, sort:$s, first:$n, after:$a){ products { totalCount pageInfo { endCursor hasNextPage } edges { node { id title } } } facets { brands { value count } categories { category { name } count } prices { min { amount currencyCode } max { amount } count } attributes { name values { value count } } } } }";

async fn search(env: &Env, vars: Value) -> Value {
    let body = env.public(SEARCH, vars).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["searchProducts"].clone()
}

fn titles(result: &Value) -> Vec<String> {
    result["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn finds_with_stems_typos_and_prefixes_and_counts_facets() {
    let env = start().await;
    let shoes = env
        .staff(
            "mutation{ createCategory(input:{ name:\"Shoes\" }){ id } }",
            json!({}),
        )
        .await["createCategory"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let attrs = |colour: &str| json!([{ "name": "colour", "value": colour }]);
    published(
        &env,
        json!({ "title": "Trail Running Shoes", "brand": "Acme", "categoryId": shoes,
                "description": "Grippy soles for muddy trails", "attributes": attrs("red") }),
        "120.00",
    )
    .await;
    published(
        &env,
        json!({ "title": "Road Runner Sneakers", "brand": "Zoom", "categoryId": shoes,
                "description": "Light shoe for running on roads", "attributes": attrs("blue") }),
        "80.00",
    )
    .await;
    published(
        &env,
        json!({ "title": "Canvas Tote", "brand": "Acme",
                "description": "A bag to carry your running gear", "attributes": attrs("red") }),
        "15.00",
    )
    .await;
    let draft = product(&env, json!({ "title": "Secret Running Prototype" })).await;
    variant(&env, &draft, "PROTO-1", "999.00").await;

    // Stemming: "running shoes" matches "Running Shoes" and "shoe ... running"; the title
    // match ranks first; the draft never shows.
    let r = search(&env, json!({ "q": "running shoes " })).await;
    assert_eq!(titles(&r), ["Trail Running Shoes", "Road Runner Sneakers"]);
    assert_eq!(r["products"]["totalCount"], 2);

    // Every word must match.
    let r = search(&env, json!({ "q": "running tote " })).await;
    assert_eq!(titles(&r), ["Canvas Tote"]);

    // One typo is forgiven; two are not.
    let r = search(&env, json!({ "q": "sneakres " })).await;
    assert_eq!(titles(&r), ["Road Runner Sneakers"]);
    let r = search(&env, json!({ "q": "snaekres " })).await;
    assert_eq!(r["products"]["totalCount"], 0);

    // Search as you type: the last word is also a prefix.
    let r = search(&env, json!({ "q": "cany" })).await;
    assert_eq!(r["products"]["totalCount"], 0, "not a prefix of anything");
    let r = search(&env, json!({ "q": "canv" })).await;
    assert_eq!(titles(&r), ["Canvas Tote"]);

    // Facets over all matches of "running".
    let r = search(&env, json!({ "q": "running " })).await;
    assert_eq!(r["products"]["totalCount"], 3);
    let f = &r["facets"];
    assert_eq!(
        f["brands"],
        json!([{ "value": "Acme", "count": 2 }, { "value": "Zoom", "count": 1 }])
    );
    assert_eq!(
        f["categories"],
        json!([{ "category": { "name": "Shoes" }, "count": 2 }])
    );
    assert_eq!(
        f["prices"],
        json!([
            { "min": { "amount": "10.00", "currencyCode": "USD" }, "max": { "amount": "25.00" }, "count": 1 },
            { "min": { "amount": "50.00", "currencyCode": "USD" }, "max": { "amount": "100.00" }, "count": 1 },
            { "min": { "amount": "100.00", "currencyCode": "USD" }, "max": { "amount": "250.00" }, "count": 1 },
        ])
    );
    assert_eq!(
        f["attributes"],
        json!([{ "name": "colour", "values": [{ "value": "red", "count": 2 }, { "value": "blue", "count": 1 }] }])
    );

    // Filters narrow both the page and the facets.
    let r = search(
        &env,
        json!({ "q": "running ", "f": { "brand": "Acme", "attributes": [{ "name": "colour", "value": "red" }],
                 "minPrice": { "amount": "20", "currencyCode": "USD" } } }),
    )
    .await;
    assert_eq!(titles(&r), ["Trail Running Shoes"]);
    assert_eq!(
        r["facets"]["brands"],
        json!([{ "value": "Acme", "count": 1 }])
    );

    // Price sorts and keyset pages over a search.
    let r = search(&env, json!({ "q": "running ", "s": "PRICE_ASC", "n": 2 })).await;
    assert_eq!(titles(&r), ["Canvas Tote", "Road Runner Sneakers"]);
    let r = search(
        &env,
        json!({ "q": "running ", "s": "PRICE_ASC", "n": 2, "a": r["products"]["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(titles(&r), ["Trail Running Shoes"]);
    assert_eq!(r["products"]["pageInfo"]["hasNextPage"], false);
    let r = search(&env, json!({ "q": "running ", "s": "PRICE_DESC", "n": 1 })).await;
    assert_eq!(titles(&r), ["Trail Running Shoes"]);

    // An empty query browses with facets; a long one is refused with the field named.
    let r = search(&env, json!({ "q": "" })).await;
    assert_eq!(r["products"]["totalCount"], 3);
    let body = env.public(SEARCH, json!({ "q": "x".repeat(300) })).await;
    assert_eq!(field(&body), "query");
    env.stop().await;
}

#[tokio::test]
async fn the_index_follows_product_changes() {
    let env = start().await;
    let id = published(&env, json!({ "title": "Wool Blanket" }), "60.00").await;
    let r = search(&env, json!({ "q": "blankets " })).await;
    assert_eq!(r["products"]["totalCount"], 1);

    env.staff(
        "mutation($id:ID!){ updateProduct(id:$id, input:{ title:\"Linen Throw\", description:\"Soft and cool\" }){ id } }",
        json!({ "id": id }),
    )
    .await;
    let r = search(&env, json!({ "q": "blanket " })).await;
    assert_eq!(
        r["products"]["totalCount"], 0,
        "old title no longer matches"
    );
    let r = search(&env, json!({ "q": "soft throws " })).await;
    assert_eq!(r["products"]["totalCount"], 1);

    env.staff(
        "mutation($id:ID!){ archiveProduct(id:$id){ id } }",
        json!({ "id": id }),
    )
    .await;
    let r = search(&env, json!({ "q": "throw " })).await;
    assert_eq!(
        r["products"]["totalCount"], 0,
        "archived products leave search"
    );
    // Staff may still find it by status.
    let body = env
        .catalog
        .gql(
            SEARCH,
            json!({ "q": "throw ", "f": { "status": "ARCHIVED" } }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(
        body["data"]["searchProducts"]["products"]["totalCount"], 1,
        "{body}"
    );
    env.stop().await;
}
