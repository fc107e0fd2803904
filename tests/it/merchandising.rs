//! Staff and customers changing the catalogue through the router of the real launcher: a new
//! product goes from draft to searchable with stock, a customer reviews it and its rating and
//! rating rank follow, archiving takes it out of search, and bad input is refused with the
//! field named — every step across subgraphs, through one endpoint.

use crate::launcher::{eventually, Shop, ADMIN, CUSTOMER, CUSTOMER_PASSWORD};
use serde_json::{json, Value};

async fn search(shop: &Shop, q: &str, sort: &str) -> Value {
    shop.data(
        None,
        "query($q: String!, $s: ProductSort) { searchProducts(query: $q, sort: $s, first: 10) {
           products { totalCount edges { node { id variants { stock { inStock } } } } } } }",
        json!({ "q": q, "s": sort }),
    )
    .await["searchProducts"]["products"]
        .clone()
}

#[tokio::test]
async fn staff_publish_stock_and_archive_while_customers_review() {
    let shop = Shop::start(40).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let customer = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;

    // Draft → variant → published: searchable at once on this catalog.
    let (category, _) = shop.biggest_leaf().await;
    let product = shop
        .data(
            Some(&staff),
            "mutation($c: ID!) { createProduct(input: { title: \"Zephyrine storm shell\", brand: \"Quillfeather\",
               description: \"A featherweight shell for sudden squalls.\", categoryId: $c }) { id status } }",
            json!({ "c": category }),
        )
        .await["createProduct"]
        .clone();
    assert_eq!(product["status"], "DRAFT");
    let id = product["id"].as_str().unwrap().to_string();
    let variant = shop
        .data(
            Some(&staff),
            "mutation($p: ID!) { createVariant(input: { productId: $p, sku: \"ZEPH-M\",
               price: { amount: \"129.00\", currencyCode: \"EUR\" } }) { id } }",
            json!({ "p": id }),
        )
        .await["createVariant"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        search(&shop, "zephyrine", "RELEVANCE").await["totalCount"],
        0
    );
    shop.data(
        Some(&staff),
        "mutation($p: ID!) { publishProduct(id: $p) { status } }",
        json!({ "p": id }),
    )
    .await;
    let found = search(&shop, "zephyrine", "RELEVANCE").await;
    assert_eq!(found["totalCount"], 1, "{found}");
    assert_eq!(found["edges"][0]["node"]["id"], id.as_str());
    assert_eq!(
        found["edges"][0]["node"]["variants"][0]["stock"]["inStock"],
        false
    );

    // Stock arrives: the same search shows it in stock (inventory, through the router).
    let warehouse = shop
        .data(
            Some(&staff),
            "{ warehouses(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await["warehouses"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    shop.data(
        Some(&staff),
        "mutation($v: ID!, $w: ID!) { adjustStock(variantId: $v, warehouseId: $w, delta: 12,
           reason: \"first delivery\") { __typename } }",
        json!({ "v": variant, "w": warehouse }),
    )
    .await;
    let found = search(&shop, "zephyrine", "RELEVANCE").await;
    assert_eq!(
        found["edges"][0]["node"]["variants"][0]["stock"]["inStock"],
        true
    );

    // Bad input names the field and changes nothing.
    let bad = shop
        .gql(
            Some(&customer),
            "mutation($p: ID!) { createReview(input: { productId: $p, rating: 7, title: \"Great\" }) { id } }",
            json!({ "p": id }),
        )
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );
    assert!(
        bad["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("rating"),
        "{bad}"
    );

    // A customer reviews it once reviews has learnt of the product (by event).
    let review = eventually("the new product to become reviewable", || async {
        let body = shop
            .gql(
                Some(&customer),
                "mutation($p: ID!) { createReview(input: { productId: $p, rating: 5,
                   title: \"Kept me dry\", body: \"Light and it packs small.\" }) { id rating } }",
                json!({ "p": id }),
            )
            .await;
        body["errors"]
            .is_null()
            .then(|| body["data"]["createReview"].clone())
    })
    .await;
    assert_eq!(review["rating"], 5);
    let rating = shop
        .data(
            None,
            "query($p: ID!) { product(id: $p) { rating { average count } reviews(first: 5) { edges { node { author { name } } } } } }",
            json!({ "p": id }),
        )
        .await["product"]
        .clone();
    assert_eq!(rating["rating"]["count"], 1);
    assert_eq!(rating["rating"]["average"].as_f64(), Some(5.0));
    assert_eq!(
        rating["reviews"]["edges"][0]["node"]["author"]["name"],
        "Ada Lovelace"
    );
    // Catalog's rating rank follows the review event: in the category sorted by rating, the
    // new product (5.0 from one review) comes after only products averaging 5.0, ahead of every
    // lower-rated or unrated one (before the event it ranked as unrated, last).
    eventually("catalog to rank the reviewed product", || async {
        let listed = shop
            .data(
                None,
                "query($c: ID!) { category(id: $c) { products(first: 100, sort: RATING) {
                   edges { node { id rating { average count } } } } } }",
                json!({ "c": category }),
            )
            .await;
        let edges = listed["category"]["products"]["edges"]
            .as_array()
            .unwrap()
            .clone();
        let at = edges.iter().position(|e| e["node"]["id"] == id.as_str())?;
        assert!(
            edges
                .iter()
                .any(|e| e["node"]["rating"]["average"].as_f64().unwrap_or(0.0) < 5.0),
            "the category needs lower-rated products for this check: {listed}"
        );
        let above_all_five = edges[..at]
            .iter()
            .all(|e| e["node"]["rating"]["average"].as_f64() == Some(5.0));
        above_all_five.then_some(())
    })
    .await;

    // Archived: gone from search; its page still resolves (orders and carts refer to it),
    // marked archived so the storefront can say it is no longer sold.
    shop.data(
        Some(&staff),
        "mutation($p: ID!) { archiveProduct(id: $p) { status } }",
        json!({ "p": id }),
    )
    .await;
    assert_eq!(
        search(&shop, "zephyrine", "RELEVANCE").await["totalCount"],
        0
    );
    let page = shop
        .data(
            None,
            "query($p: ID!) { product(id: $p) { status } }",
            json!({ "p": id }),
        )
        .await;
    assert_eq!(page["product"]["status"], "ARCHIVED", "{page}");

    // Only staff manage the catalogue: the router refuses the field from its
    // `@requiresScopes(scopes: [["staff"]])` before catalog is asked.
    let denied = shop
        .gql(
            Some(&customer),
            "mutation { createProduct(input: { title: \"Sneaky\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        denied["errors"][0]["extensions"]["code"], "UNAUTHORIZED_FIELD_OR_TYPE",
        "{denied}"
    );
    assert_eq!(
        denied["errors"][0]["path"],
        json!(["createProduct"]),
        "{denied}"
    );
}
