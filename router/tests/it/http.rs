//! HTTP surface: validation errors and status codes, GET rules, GraphiQL, health, CORS,
//! introspection of the API schema, variables, @skip/@include, aliases and fragments.

use serde_json::{json, Value};

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
async fn validation_errors_are_request_errors() {
    let url = shop().await;
    let (status, body) = post(&url, "{ topProducts { nope } }", json!({})).await;
    assert_eq!(status, 400);
    assert!(body.get("data").is_none(), "{body}");
    let err = &body["errors"][0];
    assert!(err["message"].as_str().unwrap().contains("nope"), "{body}");
    assert_eq!(err["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED");
    assert!(err["locations"][0]["line"].is_number());

    let (status, body) = post(&url, "{ topProducts { ", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );

    // Legacy application/json clients get 200 with the same errors.
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", "application/json")
        .json(&json!({"query": "{ nope }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let url = shop().await;
    let client = reqwest::Client::new();
    let resp = client
        .get(&url)
        .query(&[
            (
                "query",
                "query Q($n: Int) { topProducts(first: $n) { upc } }",
            ),
            ("variables", r#"{"n": 1}"#),
        ])
        .header("accept", "application/graphql-response+json")
        // A GET has no content type, so CSRF prevention wants a preflight header.
        .header("apollo-require-preflight", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/graphql-response+json"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"data": {"topProducts": [{"upc": "1"}]}}));

    let html = client
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    let page = html.text().await.unwrap();
    assert!(page.contains("GraphiQL"));
    assert!(
        !page.contains("unpkg.com"),
        "the page loads nothing from a CDN"
    );

    // The vendored bundles: gzip when accepted, plain otherwise, cached for good.
    let asset = url.replace("/graphql", "/graphiql/graphiql.min.js");
    let plain = client
        .get(&asset)
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    let gzip = client
        .get(&asset)
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let gzip_len = gzip.bytes().await.unwrap().len();
    assert!(gzip_len * 3 < plain_len, "{gzip_len} vs {plain_len}");
    let missing = client
        .get(url.replace("/graphql", "/graphiql/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let health = client
        .get(url.replace("/graphql", "/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    let cors = client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "http://example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(cors.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn subgraph_errors_are_repathed_to_client_paths() {
    let url = shop().await;
    let body = gql(&url, "{ reviews { id author { flaky } } }", json!({})).await;
    assert_eq!(body["data"]["reviews"][0]["author"]["flaky"], "ok-1");
    assert_eq!(body["data"]["reviews"][2]["author"]["flaky"], Value::Null);
    let paths: Vec<Value> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].clone())
        .collect();
    assert!(
        paths.contains(&json!(["reviews", 2, "author", "flaky"])),
        "{body}"
    );
    assert!(
        paths.contains(&json!(["reviews", 3, "author", "flaky"])),
        "{body}"
    );
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("flaky failed"));
}

#[tokio::test]
async fn skip_include_aliases_and_fragments() {
    let url = shop().await;
    let query = r#"
        query Q($withReviews: Boolean!, $skipName: Boolean = false) {
          first: topProducts(first: 1) {
            ...P
            title: name @skip(if: $skipName)
            reviews @include(if: $withReviews) { body ... on Review { author { ...U } } }
          }
        }
        fragment P on Product { upc shippingEstimate }
        fragment U on User { handle: username }
    "#;
    let body = gql(&url, query, json!({"withReviews": true})).await;
    assert_eq!(
        body,
        json!({"data": {"first": [{"upc": "1", "shippingEstimate": 50, "title": "Table", "reviews": [
            {"body": "Love it!", "author": {"handle": "@ada"}},
            {"body": "Prefer something else.", "author": {"handle": "@complete"}}]}]}})
    );
    let body = gql(&url, query, json!({"withReviews": false, "skipName": true})).await;
    assert_eq!(
        body,
        json!({"data": {"first": [{"upc": "1", "shippingEstimate": 50}]}})
    );
}

#[tokio::test]
async fn missing_required_variable_is_a_request_error() {
    let url = shop().await;
    let (status, body) = post(
        &url,
        "query Q($n: Int!) { topProducts(first: $n) { upc } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("$n"));
}

#[tokio::test]
async fn introspection_of_the_api_schema() {
    let url = shop().await;
    let body = gql(
        &url,
        r#"{ __typename __schema { queryType { name } types { name kind } }
             product: __type(name: "Product") { name kind fields { name type { kind name ofType { name } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(body["data"]["__typename"], "Query");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let types: Vec<&str> = body["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"Product") && types.contains(&"__Schema"));
    assert!(
        !types
            .iter()
            .any(|t| t.starts_with("join__") || *t == "_Any" || *t == "_Service"),
        "{types:?}"
    );
    let fields: Vec<&str> = body["data"]["product"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"shippingEstimate") && fields.contains(&"reviews"),
        "{fields:?}"
    );
    let upc = body["data"]["product"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "upc")
        .unwrap();
    assert_eq!(
        upc["type"],
        json!({"kind": "NON_NULL", "name": null, "ofType": {"name": "String"}})
    );
}

#[tokio::test]
async fn aliased_root_fields_with_entity_fetches_under_each_alias() {
    let url = shop().await;
    let body = gql(
        &url,
        "{ a: topProducts(first: 1) { inStock } b: topProducts(first: 2) { name stock: inStock reviews { author { name } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {
            "a": [{"inStock": true}],
            "b": [
                {"name": "Table", "stock": true, "reviews": [{"author": {"name": "Ada Lovelace"}}, {"author": {"name": "Alan Turing"}}]},
                {"name": "Couch", "stock": false, "reviews": [{"author": {"name": "Ada Lovelace"}}]}
            ]
        }})
    );
}

/// The query GraphiQL and codegen tools send (graphql-js `getIntrospectionQuery`).
const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;

#[tokio::test]
async fn graphiql_introspection_query_works() {
    let url = shop().await;
    let body = gql(&url, INTROSPECTION_QUERY, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");
    let user = schema["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "User")
        .unwrap();
    assert_eq!(user["kind"], "OBJECT");
    let reviews = user["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "reviews")
        .unwrap();
    // [Review!]!
    assert_eq!(
        reviews["type"],
        json!({"kind": "NON_NULL", "name": null, "ofType": {"kind": "LIST", "name": null, "ofType":
            {"kind": "NON_NULL", "name": null, "ofType": {"kind": "OBJECT", "name": "Review", "ofType": null}}}})
    );
    assert!(schema["directives"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["name"] == "include"));
    // Meta fields are never listed as type fields: graphql-js (and so GraphiQL) rejects a schema
    // whose types have fields named `__schema` or `__type`.
    for t in schema["types"].as_array().unwrap() {
        for f in t["fields"].as_array().into_iter().flatten() {
            let name = f["name"].as_str().unwrap();
            assert!(!name.starts_with("__"), "{}.{name} listed", t["name"]);
        }
    }
}

#[tokio::test]
async fn introspection_type_references_expand_to_full_types() {
    let url = shop().await;
    let body = gql(
        &url,
        r#"{ __type(name: "Query") { fields { name type { ofType { ofType { ofType { name kind fields { name } } } } } } } }"#,
        json!({}),
    )
    .await;
    let top = body["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "topProducts")
        .unwrap();
    // [Product!]! → NON_NULL → LIST → NON_NULL → Product
    let product = &top["type"]["ofType"]["ofType"]["ofType"];
    assert_eq!(product["name"], "Product");
    assert_eq!(product["kind"], "OBJECT");
    let names: Vec<&str> = product["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"upc") && names.contains(&"inStock"),
        "{names:?}"
    );
}
