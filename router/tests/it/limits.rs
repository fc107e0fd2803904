//! Operation limits at the edge: the 100,000-alias request refused by the lexer before any AST
//! exists, depth / aliases / root fields / directives / nesting refusals naming the limit and
//! the value, the request body limit, and the demand-control cost from `@cost`/`@listSize`
//! declared by a subgraph and kept by composition. Every refusal is HTTP 400 (413 for the body)
//! with a GraphQL error body, whatever the client accepts.

use serde_json::{json, Value};

use crate::common::*;
use crate::fixtures::*;

async fn shop_with(limits: router::limits::LimitsConfig) -> String {
    let accounts = serve_subgraph(accounts::schema()).await;
    let products = serve_subgraph(products::schema()).await;
    let inventory = serve_subgraph(inventory::schema()).await;
    let reviews = serve_subgraph(reviews::schema()).await;
    let list: Vec<(String, String)> = [
        ("accounts", accounts),
        ("products", products),
        ("inventory", inventory),
        ("reviews", reviews),
    ]
    .into_iter()
    .map(|(n, u)| (n.to_string(), u))
    .collect();
    let sdl = router::reload::compose_from_subgraphs(&list).await.unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.limits = limits;
    start_router_with_config(config).await
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

/// POSTs as a legacy `application/json` client (which gets 200 for validation errors).
async fn post_legacy(url: &str, query: &str, variables: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json")
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn a_hundred_thousand_aliases_are_refused_before_parsing() {
    let url = shop_with(Default::default()).await;
    let aliases: String = (0..100_000).map(|i| format!("a{i}: __typename ")).collect();
    let query = format!("{{ {aliases} }}");
    let (status, body) = post_legacy(&url, &query, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "MAX_TOKENS_EXCEEDED", "{body}");
    assert_eq!(
        message(&body),
        "Operation refused: the token count is over 15000, over the limit of 15000."
    );
    assert!(body.get("data").is_none());

    // Under the token limit, the alias limit applies (checked before validation).
    let aliases: String = (0..51).map(|i| format!("a{i}: __typename ")).collect();
    let (status, body) = post(&url, &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "MAX_ALIASES_EXCEEDED");
    assert!(message(&body).contains("the alias count is 51"), "{body}");
}

#[tokio::test]
async fn defaults_pass_graphiql_introspection_and_the_shop_queries() {
    let url = shop_with(Default::default()).await;
    let body = gql(&url, INTROSPECTION, json!({})).await;
    assert!(body["data"]["__schema"]["types"].is_array(), "{body}");
    let body = gql(
        &url,
        "{ topProducts(first: 5) { upc name inStock reviews { body author { name reviews { product { upc } } } } } }",
        json!({}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn depth_aliases_root_fields_directives_and_nesting_are_refused_naming_the_limit() {
    let url = shop_with(router::limits::LimitsConfig {
        max_depth: 3,
        max_aliases: 2,
        max_root_fields: 2,
        max_directives: 2,
        max_recursion: 8,
        ..Default::default()
    })
    .await;
    // Depth 3 passes; depth 4 (through a fragment) does not.
    let ok = gql(&url, "{ topProducts { reviews { body } } }", json!({})).await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let (status, body) = post(
        &url,
        "query Deep { topProducts { ...R } } fragment R on Product { reviews { author { name } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "MAX_DEPTH_EXCEEDED");
    assert_eq!(
        message(&body),
        "Operation refused: the depth is 4, over the limit of 3."
    );

    let (status, body) = post(
        &url,
        "{ a: me { id } b: me { id } c: me { id } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 400);
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["extensions"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["MAX_ALIASES_EXCEEDED", "MAX_ROOT_FIELDS_EXCEEDED"],
        "{body}"
    );
    assert!(body["errors"][1]["message"]
        .as_str()
        .unwrap()
        .contains("the root field count is 3"));

    let (status, body) = post(
        &url,
        "query($t: Boolean!) { me @include(if: $t) { id @skip(if: false) name @skip(if: false) } }",
        json!({"t": true}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "MAX_DIRECTIVES_EXCEEDED");
    assert!(
        message(&body).contains("the directive count is 3"),
        "{body}"
    );

    // Nesting counts brackets in arguments too: the parser is never asked to recurse this deep.
    let deep = format!(
        "{{ topProducts(first: {}1{}) {{ upc }} }}",
        "[".repeat(20),
        "]".repeat(20)
    );
    let (status, body) = post_legacy(&url, &deep, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "MAX_RECURSION_EXCEEDED");
    assert!(
        message(&body).contains("the nesting depth is 9, over the limit of 8"),
        "{body}"
    );

    // Limits can be switched off as a whole.
    let off = shop_with(router::limits::LimitsConfig {
        enabled: false,
        max_depth: 1,
        ..Default::default()
    })
    .await;
    let body = gql(
        &off,
        "{ topProducts { reviews { author { name } } } }",
        json!({}),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn an_oversized_body_gets_413_with_a_graphql_error() {
    let url = shop_with(router::limits::LimitsConfig {
        max_body_bytes: 1000,
        ..Default::default()
    })
    .await;
    let padding = " ".repeat(2000);
    let resp = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body(format!(r#"{{"query": "{{ me {{ id }} }}{padding}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "PAYLOAD_TOO_LARGE");
    assert!(message(&body).contains("1000 bytes"), "{body}");
    let body = gql(&url, "{ me { id } }", json!({})).await;
    assert_eq!(body["data"]["me"]["id"], "1");
}

/// `@cost`/`@listSize` used by name: graphql-composition 0.12 keeps them in the supergraph then,
/// but drops them when they are imported through the federation `@link` (it does not map them).
const COSTED: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query {
  items(limit: Int): [Item!]! @listSize(slicingArguments: ["limit"])
  search(q: String): [Item!]! @listSize(assumedSize: 50)
  page(first: Int): ItemConnection!
  report: Int @cost(weight: 25)
}
type ItemConnection { edges: [ItemEdge!]! total: Int }
type ItemEdge { node: Item! }
type Item @key(fields: "id") { id: ID! name: String children: [Item!]! }
"#;

async fn costed_router(max_cost: u64) -> String {
    let url = serve_raw(COSTED, |_| {
        json!({"data": {"items": [], "search": [], "page": {"edges": [], "total": 0}, "report": 1}})
    })
    .await;
    let sdl = router::reload::compose_from_subgraphs(&[("costed".into(), url)])
        .await
        .unwrap();
    assert!(
        sdl.contains("@cost(weight: 25)"),
        "composition keeps @cost:\n{sdl}"
    );
    assert!(
        sdl.contains("@listSize("),
        "composition keeps @listSize:\n{sdl}"
    );
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.limits.max_cost = max_cost;
    start_router_with_config(config).await
}

#[tokio::test]
async fn cost_follows_list_sizes_and_the_subgraphs_cost_directives() {
    let url = costed_router(500).await;
    // A list sliced by its declared argument: 100 items × (1 + 0) = 100.
    let body = gql(&url, "{ items(limit: 100) { id name } }", json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    // The same through a variable: 600 × 1.
    let (status, body) = post(
        &url,
        "query($n: Int) { items(limit: $n) { id } }",
        json!({"n": 600}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "COST_LIMIT_EXCEEDED");
    assert_eq!(
        message(&body),
        "Operation refused: the estimated cost is 600, over the limit of 500."
    );
    // assumedSize 50 × (1 + default list size 10 × 1) = 550.
    let (status, body) = post(&url, "{ search { id children { id } } }", json!({})).await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("the estimated cost is 550"),
        "{body}"
    );
    // A connection's `first` sizes its edges: 1 + 400 × (1 + 1) = 801.
    let (status, body) = post(
        &url,
        "{ page(first: 400) { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        message(&body).contains("the estimated cost is 801"),
        "{body}"
    );
    // @cost(weight: 25) on a scalar field, twenty times over: 500 passes, 525 does not.
    let twenty: String = (0..20).map(|i| format!("r{i}: report ")).collect();
    let body = gql(&url, &format!("{{ {twenty} }}"), json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = post(&url, &format!("{{ {twenty} one: report }}"), json!({})).await;
    assert!(
        message(&body).contains("the estimated cost is 525"),
        "{body}"
    );
}

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery`, all options on).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}
"#;
