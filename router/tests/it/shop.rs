//! Entities across four subgraphs, chains of entity calls, @requires, @provides, batching.

use serde_json::json;

use crate::common::*;
use crate::fixtures::*;

async fn shop() -> String {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let inventory = serve_subgraph(inventory::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    start_router(&[
        ("accounts", &accounts),
        ("products", &products),
        ("inventory", &inventory),
        ("reviews", &reviews),
    ])
    .await
}

#[tokio::test]
async fn entities_across_four_subgraphs_with_requires() {
    let url = shop().await;
    let body = gql(
        &url,
        "{ topProducts(first: 2) { name upc inStock shippingEstimate reviews { body author { name username reviews { product { name } } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"topProducts": [
            {"name": "Table", "upc": "1", "inStock": true, "shippingEstimate": 50, "reviews": [
                {"body": "Love it!", "author": {"name": "Ada Lovelace", "username": "@ada", "reviews": [
                    {"product": {"name": "Table"}}, {"product": {"name": "Couch"}}]}},
                {"body": "Prefer something else.", "author": {"name": "Alan Turing", "username": "@complete", "reviews": [
                    {"product": {"name": "Chair"}}, {"product": {"name": "Table"}}]}}
            ]},
            {"name": "Couch", "upc": "2", "inStock": false, "shippingEstimate": 0, "reviews": [
                {"body": "Too expensive.", "author": {"name": "Ada Lovelace", "username": "@ada", "reviews": [
                    {"product": {"name": "Table"}}, {"product": {"name": "Couch"}}]}}
            ]}
        ]}})
    );
}

#[tokio::test]
async fn subgraph_down_gives_partial_data_and_error() {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let inventory = serve_subgraph(inventory::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    let dead = dead_url().await;
    let url = start_router_overriding(
        &[
            ("accounts", &accounts),
            ("products", &products),
            ("inventory", &inventory),
            ("reviews", &reviews),
        ],
        &[("inventory", &dead)],
    )
    .await;
    let body = gql(
        &url,
        "{ topProducts(first: 1) { name shippingEstimate } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"],
        json!({"topProducts": [{"name": "Table", "shippingEstimate": null}]})
    );
    let errors = body["errors"].as_array().expect("errors present");
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("inventory")),
        "{body}"
    );
}

#[tokio::test]
async fn response_keeps_client_order_and_hides_planner_fields() {
    let url = shop().await;
    let text = post_text(
        &url,
        "{ topProducts(first: 1) { shippingEstimate reviews { body } name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        text,
        r#"{"data":{"topProducts":[{"shippingEstimate":50,"reviews":[{"body":"Love it!"},{"body":"Prefer something else."}],"name":"Table"}]}}"#
    );
}

#[tokio::test]
async fn non_null_field_from_failed_subgraph_nulls_parent_chain() {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let inventory = serve_subgraph(inventory::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    let dead = dead_url().await;
    let url = start_router_overriding(
        &[
            ("accounts", &accounts),
            ("products", &products),
            ("inventory", &inventory),
            ("reviews", &reviews),
        ],
        &[("inventory", &dead)],
    )
    .await;
    // inStock is Boolean! inside [Product!]!: the null climbs to `data`.
    let body = gql(
        &url,
        "{ topProducts(first: 1) { name inStock } }",
        json!({}),
    )
    .await;
    assert_eq!(body["data"], json!(null), "{body}");
    assert!(body["errors"].as_array().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn provides_lets_reviews_answer_username_without_accounts() {
    let products = serve_subgraph(products::schema()).await;
    let inventory = serve_subgraph(inventory::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    let accounts = serve_subgraph(accounts::schema()).await;
    let dead = dead_url().await;
    let url = start_router_overriding(
        &[
            ("accounts", &accounts),
            ("products", &products),
            ("inventory", &inventory),
            ("reviews", &reviews),
        ],
        &[("accounts", &dead)],
    )
    .await;
    // username is @provides'd on Review.author: no call to (dead) accounts is needed.
    let body = gql(&url, "{ reviews { author { username } } }", json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"reviews": [
            {"author": {"username": "@ada"}}, {"author": {"username": "@ada"}},
            {"author": {"username": "@complete"}}, {"author": {"username": "@complete"}}
        ]}})
    );
    // name is not provided: it needs accounts, which is down.
    let body = gql(&url, "{ reviews { author { name } } }", json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("accounts"),
        "{body}"
    );
}

#[tokio::test]
async fn requires_field_with_arguments_and_aliases() {
    let url = shop().await;
    let body = gql(
        &url,
        "query($x: Boolean!) { topProducts(first: 2) { fast: shippingEstimate(express: $x) normal: shippingEstimate upc } }",
        json!({"x": true}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"topProducts": [
            {"fast": 100, "normal": 50, "upc": "1"},
            {"fast": 0, "normal": 0, "upc": "2"}
        ]}})
    );
}

/// `@defer` is accepted and resolved inline: the one response holds the deferred fields too,
/// fetched from other subgraphs, in the client's order, with nothing the planner added.
#[tokio::test]
async fn defer_across_subgraphs_returns_the_complete_result() {
    let url = shop().await;
    let text = post_text(
        &url,
        r#"query($later: Boolean!) { topProducts(first: 2) { upc
             ... @defer(label: "stock") { inStock shippingEstimate }
             ...Reviews @defer(if: $later)
             name } }
           fragment Reviews on Product { reviews { body author { name } } }"#,
        json!({"later": true}),
    )
    .await;
    assert_eq!(
        text,
        concat!(
            r#"{"data":{"topProducts":["#,
            r#"{"upc":"1","inStock":true,"shippingEstimate":50,"reviews":[{"body":"Love it!","author":{"name":"Ada Lovelace"}},{"body":"Prefer something else.","author":{"name":"Alan Turing"}}],"name":"Table"},"#,
            r#"{"upc":"2","inStock":false,"shippingEstimate":0,"reviews":[{"body":"Too expensive.","author":{"name":"Ada Lovelace"}}],"name":"Couch"}"#,
            r#"]}}"#
        )
    );
    // A bad @defer argument is still a validation error.
    let (status, body) = post(
        &url,
        "{ topProducts { ... @defer(label: 1) { name } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // The directive is visible to tools through introspection.
    let body = gql(
        &url,
        "{ __schema { directives { name locations } } }",
        json!({}),
    )
    .await;
    let directives = body["data"]["__schema"]["directives"].as_array().unwrap();
    assert!(
        directives.iter().any(|d| d["name"] == "defer"
            && d["locations"] == json!(["FRAGMENT_SPREAD", "INLINE_FRAGMENT"])),
        "{body}"
    );
}
