//! The storefront's read path end to end, through the router of the real launcher on seeded
//! demo data: browse the category tree, list a category with prices, thumbnails, ratings and
//! stock, page on with cursors, search with facets and narrow by one, sort by rating, open a
//! product with variants, stock, images (fetched over HTTP) and reviews with their authors.

use std::collections::HashSet;

use crate::launcher::Shop;
use serde_json::{json, Value};

const LISTING: &str = "query($c: ID!, $after: String) { category(id: $c) { name
  products(first: 24, after: $after) { edges { cursor node { id title priceFrom { amount currencyCode }
    thumbnail rating { average count } variants { stock { inStock available } } } }
    pageInfo { hasNextPage endCursor } } } }";

const DETAIL: &str = "query($s: String!) { product(slug: $s) { id title brand
  variants { sku price { amount } stock { available inStock } }
  media { url alt width height position }
  rating { average count }
  reviews(first: 10) { totalCount edges { node { rating title author { id name } } } } } }";

const SEARCH: &str = "query($q: String!, $f: ProductFilter, $s: ProductSort) {
  searchProducts(query: $q, filter: $f, sort: $s, first: 50) {
    products { totalCount edges { node { id title brand rating { average count } } } }
    facets { brands { value count } categories { categoryId count } } } }";

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_shopper_browses_pages_searches_and_opens_a_product() {
    let shop = Shop::start(300).await;

    // Listing: a category page with everything a product card shows, from four subgraphs.
    let (category, total) = shop.biggest_leaf().await;
    let first = shop
        .data(None, LISTING, json!({ "c": category, "after": null }))
        .await;
    let page = &first["category"]["products"];
    let cards = page["edges"].as_array().unwrap();
    assert_eq!(cards.len(), total.min(24));
    let mut rated = 0;
    for card in cards {
        let node = &card["node"];
        assert!(node["priceFrom"]["amount"].is_string(), "{node}");
        let thumb = node["thumbnail"]
            .as_str()
            .expect("every seeded product has an image");
        assert!(thumb.starts_with(&shop.media), "{thumb}");
        let count = node["rating"]["count"].as_i64().unwrap();
        if count > 0 {
            rated += 1;
            let avg = node["rating"]["average"].as_f64().unwrap();
            assert!((1.0..=5.0).contains(&avg), "{node}");
        }
        for variant in node["variants"].as_array().unwrap() {
            let stock = &variant["stock"];
            assert_eq!(
                stock["inStock"].as_bool().unwrap(),
                stock["available"].as_i64().unwrap() > 0,
                "{node}"
            );
        }
    }
    assert!(rated > 0, "seeded products carry reviews: {page}");

    // Cursor paging walks the whole category once, without repeats.
    let mut seen: HashSet<String> = ids(page).into_iter().collect();
    let mut after = page["pageInfo"]["endCursor"].clone();
    let mut more = page["pageInfo"]["hasNextPage"].as_bool().unwrap();
    while more {
        let next = shop
            .data(None, LISTING, json!({ "c": category, "after": after }))
            .await;
        let next = &next["category"]["products"];
        for id in ids(next) {
            assert!(seen.insert(id.clone()), "{id} listed twice");
        }
        after = next["pageInfo"]["endCursor"].clone();
        more = next["pageInfo"]["hasNextPage"].as_bool().unwrap();
    }
    assert_eq!(seen.len(), total);

    // Search: a word from a real title finds that product; the brand facet's count is
    // exactly what filtering by that brand returns.
    let sample = &cards[0]["node"];
    let title = sample["title"].as_str().unwrap();
    let word = title
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .to_lowercase();
    let found = shop.data(None, SEARCH, json!({ "q": word })).await;
    let found = &found["searchProducts"];
    assert!(found["products"]["totalCount"].as_i64().unwrap() >= 1);
    let facet = &found["facets"]["brands"][0];
    let brand = facet["value"].as_str().expect("matches have brands");
    let narrowed = shop
        .data(None, SEARCH, json!({ "q": word, "f": { "brand": brand } }))
        .await;
    let narrowed = &narrowed["searchProducts"]["products"];
    assert_eq!(narrowed["totalCount"], facet["count"], "{found}");
    for edge in narrowed["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["brand"].as_str(), Some(brand));
    }

    // Rating sort: best rated first, by the ratings reviews reports.
    let by_rating = shop
        .data(None, SEARCH, json!({ "q": word, "s": "RATING" }))
        .await;
    let averages: Vec<f64> = by_rating["searchProducts"]["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["rating"]["average"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(
        averages.windows(2).all(|w| w[0] >= w[1]),
        "not best rated first: {averages:?}"
    );

    // Product page: variants with stock, the gallery (served with cache headers), reviews
    // with their authors' names from accounts.
    let slug_of = |id: &str| {
        let shop = &shop;
        let id = id.to_string();
        async move {
            shop.data(
                None,
                "query($i: ID!) { product(id: $i) { slug } }",
                json!({ "i": id }),
            )
            .await["product"]["slug"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let reviewed = cards
        .iter()
        .find(|c| c["node"]["rating"]["count"].as_i64().unwrap() > 0)
        .unwrap();
    let slug = slug_of(reviewed["node"]["id"].as_str().unwrap()).await;
    let detail = shop.data(None, DETAIL, json!({ "s": slug })).await;
    let product = &detail["product"];
    assert!(!product["variants"].as_array().unwrap().is_empty());
    let media = product["media"].as_array().unwrap();
    assert!(!media.is_empty(), "{product}");
    let positions: Vec<i64> = media
        .iter()
        .map(|m| m["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let image = shop
        .http()
        .get(media[0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), 200);
    assert!(image.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/"));
    assert!(image.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let reviews = &product["reviews"];
    let count = product["rating"]["count"].as_i64().unwrap();
    assert_eq!(reviews["totalCount"].as_i64().unwrap(), count);
    let shown = reviews["edges"].as_array().unwrap();
    assert_eq!(shown.len() as i64, count.min(10));
    for review in shown {
        let name = review["node"]["author"]["name"].as_str().unwrap();
        assert!(
            !name.is_empty(),
            "author names come from accounts: {review}"
        );
    }
}
