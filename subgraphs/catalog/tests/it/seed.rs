//! The demo generator (`SEED_PRODUCTS`): it fills a realistic, searchable catalogue, and a
//! restart on the same database adds nothing twice (and tops up when the target grows).

use crate::common::*;
use catalog::Catalog;
use kit::testing;
use serde_json::json;

#[tokio::test]
async fn seeding_is_searchable_and_idempotent() {
    let env = start_with(&[("SEED_PRODUCTS", "40")]).await;
    let count = "{ products(first:1){ totalCount } rootCategories { name children { name } } }";
    let body = env.public(count, json!({})).await;
    assert_eq!(body["data"]["products"]["totalCount"], 40, "{body}");
    assert_eq!(body["data"]["rootCategories"].as_array().unwrap().len(), 5);
    let body = env
        .public(
            "{ searchProducts(query:\"cotton \"){ products { totalCount edges { node { description variants { sku price { currencyCode } } } } } facets { brands { count } } } }",
            json!({}),
        )
        .await;
    let r = &body["data"]["searchProducts"];
    let found = r["products"]["totalCount"].as_i64().unwrap();
    assert!(
        found > 0 && found < 40,
        "some, not all, demo products are cotton: {body}"
    );
    for e in r["products"]["edges"].as_array().unwrap() {
        assert!(e["node"]["description"]
            .as_str()
            .unwrap()
            .contains("cotton"));
        assert!(!e["node"]["variants"].as_array().unwrap().is_empty());
    }
    let facet_total: i64 = r["facets"]["brands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(facet_total, found);

    // Restart on the same database: nothing is added twice; a larger target tops up.
    let mut config = (*env.catalog.svc().config).clone();
    config.listen_addr = "127.0.0.1:0".parse().unwrap();
    env.catalog.stop().await;
    let again = testing::spawn::<Catalog>(config.clone()).await;
    let body = again.gql(count, json!({}), None).await;
    assert_eq!(body["data"]["products"]["totalCount"], 40);
    assert_eq!(body["data"]["rootCategories"].as_array().unwrap().len(), 5);
    again.stop().await;
    config.overrides.insert("SEED_PRODUCTS".into(), "55".into());
    let more = testing::spawn::<Catalog>(config).await;
    let body = more.gql(count, json!({}), None).await;
    assert_eq!(body["data"]["products"]["totalCount"], 55);
    more.stop().await;
    env.accounts.stop().await;
}
