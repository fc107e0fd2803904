//! Federation conformance corners, with hand-written subgraphs that answer what a real subgraph
//! may answer: `@inaccessible` enum values and object types in responses, null and keyless
//! entities between fetches, where root-field errors land, `__typename` of `@interfaceObject`
//! entities, progressive `@override(label: "percent(N)")`, `@requires` with a nested selection
//! on a field with arguments, `@provides` on an interface-typed field, and `@shareable` fields
//! taken from the fetch already made.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::common::*;

fn query_of(body: &Value) -> &str {
    body["query"].as_str().unwrap_or_default()
}

// ---- @inaccessible never leaks -----------------------------------------------------------

const VAULT_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@inaccessible"])
enum Tier { FREE PRO INTERNAL @inaccessible }
interface Account { id: ID! }
type Member implements Account @key(fields: "id") { id: ID! tier: Tier strictTier: Tier! }
type Robot implements Account @inaccessible { id: ID! }
union Found = Member | Robot
type Query {
  members: [Member!]!
  crew: [Member]
  tiers: [Tier!]
  accounts: [Account]
  found: [Found]
  mustAccount: Account!
}
"#;

fn member(id: &str, tier: &str) -> Value {
    json!({"__typename": "Member", "id": id, "tier": tier, "strictTier": tier})
}

/// Answers every root field with what a subgraph that knows the inaccessible parts would send.
fn vault(body: &Value) -> Value {
    let q = query_of(body);
    let mut data = serde_json::Map::new();
    if q.contains("members") {
        data.insert(
            "members".into(),
            json!([member("1", "FREE"), member("2", "INTERNAL")]),
        );
    }
    if q.contains("crew") {
        data.insert(
            "crew".into(),
            json!([member("1", "PRO"), member("2", "INTERNAL")]),
        );
    }
    if q.contains("tiers") {
        data.insert("tiers".into(), json!(["FREE", "INTERNAL"]));
    }
    if q.contains("accounts") {
        data.insert(
            "accounts".into(),
            json!([member("1", "FREE"), {"__typename": "Robot", "id": "r1"},
                   {"__typename": "Account", "id": "x"}, {"__typename": "Nope", "id": "y"}]),
        );
    }
    if q.contains("found") {
        data.insert(
            "found".into(),
            json!([member("1", "FREE"), {"__typename": "Robot", "id": "r1"}]),
        );
    }
    if q.contains("mustAccount") {
        data.insert(
            "mustAccount".into(),
            json!({"__typename": "Robot", "id": "r1"}),
        );
    }
    json!({ "data": data })
}

async fn vault_router() -> String {
    let vault = serve_raw(VAULT_SDL, vault).await;
    start_router(&[("vault", &vault)]).await
}

fn paths(body: &Value) -> Vec<Value> {
    body["errors"]
        .as_array()
        .map(|es| es.iter().map(|e| e["path"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn inaccessible_enum_value_becomes_null_with_an_error() {
    let url = vault_router().await;
    let body = gql(&url, "{ members { id tier } }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({"members": [{"id": "1", "tier": "FREE"}, {"id": "2", "tier": null}]}),
        "{body}"
    );
    assert_eq!(paths(&body), vec![json!(["members", 1, "tier"])], "{body}");
    assert!(!body.to_string().contains("INTERNAL"), "{body}");
}

#[tokio::test]
async fn inaccessible_enum_value_in_non_null_position_nulls_the_parent_once() {
    let url = vault_router().await;
    let body = gql(&url, "{ crew { id strictTier } tiers }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({"crew": [{"id": "1", "strictTier": "PRO"}, null], "tiers": null}),
        "{body}"
    );
    assert_eq!(
        paths(&body),
        vec![json!(["crew", 1, "strictTier"]), json!(["tiers", 1])],
        "{body}"
    );
    assert!(!body.to_string().contains("INTERNAL"), "{body}");
}

#[tokio::test]
async fn inaccessible_or_abstract_typename_behind_interface_and_union_is_null() {
    let url = vault_router().await;
    let text = post_text(
        &url,
        "{ accounts { __typename id ... on Member { tier } } found { __typename ... on Member { id } } }",
        json!({}),
    )
    .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"data": {
            "accounts": [{"__typename": "Member", "id": "1", "tier": "FREE"}, null, null, null],
            "found": [{"__typename": "Member", "id": "1"}, null]
        }}),
        "{body}"
    );
    for leaked in ["Robot", "\"Account\"", "Nope"] {
        assert!(!text.contains(leaked), "{leaked} leaked: {text}");
    }
}

#[tokio::test]
async fn inaccessible_type_in_non_null_position_nulls_data_with_one_error() {
    let url = vault_router().await;
    let body = gql(&url, "{ mustAccount { __typename id } }", json!({})).await;
    assert_eq!(body["data"], json!(null), "{body}");
    assert_eq!(paths(&body), vec![json!(["mustAccount"])], "{body}");
    assert!(!body.to_string().contains("Robot"), "{body}");
}

// ---- null and keyless entities do not travel on ----------------------------------------------

const SHELF_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { slots: [Slot] }
type Slot { book: Book }
type Book @key(fields: "upc") { upc: ID! }
"#;

const IDS_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Book @key(fields: "id") @key(fields: "upc") { id: ID! upc: ID! }
"#;

const AUTHORS_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Book @key(fields: "id") { id: ID! author: Author }
type Author { id: ID! name: String }
"#;

fn shelf(_: &Value) -> Value {
    json!({"data": {"slots": [
        {"book": {"__typename": "Book", "upc": "b1"}},
        {"book": {"__typename": "Book", "upc": "b2"}},
        {"book": {"__typename": "Book", "upc": "b3"}}
    ]}})
}

fn reps(body: &Value) -> Vec<Value> {
    body["variables"]["representations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Knows ids for b1 and b2 only: b3 comes back `null`, without an error.
fn ids(body: &Value) -> Value {
    let entities: Vec<Value> = reps(body)
        .iter()
        .map(|r| match r["upc"].as_str() {
            Some("b1") => json!({"__typename": "Book", "id": "1"}),
            Some("b2") => json!({"__typename": "Book", "id": "2"}),
            _ => Value::Null,
        })
        .collect();
    json!({"data": {"_entities": entities}})
}

/// A strict subgraph: one representation without its key fails the whole request.
fn authors(seen: Arc<Mutex<Vec<Value>>>) -> impl Fn(&Value) -> Value {
    move |body| {
        let reps = reps(body);
        seen.lock().unwrap().extend(reps.iter().cloned());
        if reps.iter().any(|r| !r["id"].is_string()) {
            return json!({"data": null, "errors": [{"message": "Representation without id"}]});
        }
        let entities: Vec<Value> = reps
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap();
                let name = if id == "1" { "Alice" } else { "Bob" };
                json!({"__typename": "Book", "author": {"__typename": "Author", "id": format!("a{id}"), "name": name}})
            })
            .collect();
        json!({"data": {"_entities": entities}})
    }
}

#[tokio::test]
async fn an_entity_a_fetch_returned_null_is_left_out_of_later_representations() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let a = serve_raw(SHELF_SDL, shelf).await;
    let b = serve_raw(IDS_SDL, ids).await;
    let c = serve_raw(AUTHORS_SDL, authors(seen.clone())).await;
    let url = start_router(&[("shelf", &a), ("ids", &b), ("authors", &c)]).await;
    let body = gql(
        &url,
        "{ slots { book { upc author { name } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"slots": [
            {"book": {"upc": "b1", "author": {"name": "Alice"}}},
            {"book": {"upc": "b2", "author": {"name": "Bob"}}},
            {"book": {"upc": "b3", "author": null}}
        ]}}),
        "no error is invented and the batch is not failed"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            json!({"__typename": "Book", "id": "1"}),
            json!({"__typename": "Book", "id": "2"})
        ]
    );
}

#[tokio::test]
async fn an_object_without_its_key_is_not_sent_as_a_representation() {
    // The shelf itself answers one book without its key (`upc: null` is not a key).
    const SHELF_NULL_KEY: &str = SHELF_SDL;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_ids = seen.clone();
    let a = serve_raw(SHELF_NULL_KEY, |_| {
        json!({"data": {"slots": [
            {"book": {"__typename": "Book", "upc": "b1"}},
            {"book": {"__typename": "Book", "upc": null}},
            {"book": {"__typename": "Book"}}
        ]}})
    })
    .await;
    let b = serve_raw(IDS_SDL, move |body| {
        seen_ids.lock().unwrap().extend(reps(body));
        ids(body)
    })
    .await;
    let c = serve_raw(AUTHORS_SDL, authors(Arc::new(Mutex::new(Vec::new())))).await;
    let url = start_router(&[("shelf", &a), ("ids", &b), ("authors", &c)]).await;
    let body = gql(&url, "{ slots { book { author { name } } } }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({"slots": [
            {"book": {"author": {"name": "Alice"}}},
            {"book": {"author": null}},
            {"book": {"author": null}}
        ]}),
        "{body}"
    );
    assert_eq!(
        seen.lock().unwrap().clone(),
        vec![json!({"__typename": "Book", "upc": "b1"})]
    );
}

#[tokio::test]
async fn one_failing_entity_leaves_the_others_resolved() {
    let a = serve_raw(SHELF_SDL, shelf).await;
    let b = serve_raw(IDS_SDL, |body| {
        let entities: Vec<Value> = reps(body)
            .iter()
            .map(|r| match r["upc"].as_str() {
                Some("b2") => Value::Null,
                Some(upc) => json!({"__typename": "Book", "id": upc.trim_start_matches('b')}),
                None => Value::Null,
            })
            .collect();
        json!({"data": {"_entities": entities},
               "errors": [{"message": "b2 is gone", "path": ["_entities", 1]}]})
    })
    .await;
    let c = serve_raw(AUTHORS_SDL, authors(Arc::new(Mutex::new(Vec::new())))).await;
    let url = start_router(&[("shelf", &a), ("ids", &b), ("authors", &c)]).await;
    let body = gql(
        &url,
        "{ slots { book { upc author { name } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"],
        json!({"slots": [
            {"book": {"upc": "b1", "author": {"name": "Alice"}}},
            {"book": {"upc": "b2", "author": null}},
            {"book": {"upc": "b3", "author": {"name": "Bob"}}}
        ]}),
        "{body}"
    );
    let errors = body["errors"].as_array().expect("the subgraph's error");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["message"], "b2 is gone");
    assert_eq!(errors[0]["path"], json!(["slots", 1, "book"]), "{body}");
}

// ---- subgraph errors keep their place --------------------------------------------------------

const ME_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type User @key(fields: "id") { id: ID! name: String }
type Query { me: User! viewer: User motd: String }
"#;

/// Errors for `me`/`viewer` without a path (as some subgraphs send them); `motd` resolves.
fn me(body: &Value) -> Value {
    let q = query_of(body);
    let mut data = serde_json::Map::new();
    if q.contains("motd") {
        data.insert("motd".into(), json!("hello"));
    }
    if q.contains("viewer") {
        data.insert("viewer".into(), Value::Null);
    }
    let err = json!({"message": "not signed in", "extensions": {"code": "UNAUTHENTICATED"}});
    if q.contains("me") && !q.contains("viewer") {
        // `me` is non-null: the subgraph itself nulls `data`.
        return json!({"data": null, "errors": [err]});
    }
    json!({"data": data, "errors": [err]})
}

#[tokio::test]
async fn root_field_error_without_path_gets_the_client_path_once() {
    let me_url = serve_raw(ME_SDL, me).await;
    let url = start_router(&[("me", &me_url)]).await;
    let body = gql(&url, "{ me { id name } }", json!({})).await;
    assert_eq!(
        body,
        json!({"data": null, "errors": [{"message": "not signed in", "path": ["me"],
            "extensions": {"code": "UNAUTHENTICATED", "serviceName": "me"}}]}),
    );
    let body = gql(&url, "{ motd who: viewer { id } }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({"motd": "hello", "who": null}),
        "{body}"
    );
    assert_eq!(paths(&body), vec![json!(["who"])], "{body}");
}

#[tokio::test]
async fn root_field_error_with_path_is_not_followed_by_a_null_propagation_error() {
    let me_url = serve_raw(ME_SDL, |_| {
        json!({"data": null, "errors": [{"message": "token expired", "path": ["me"],
            "extensions": {"code": "UNAUTHENTICATED"}}]})
    })
    .await;
    let url = start_router(&[("me", &me_url)]).await;
    let body = gql(&url, "{ me { id } }", json!({})).await;
    assert_eq!(body["data"], json!(null), "{body}");
    assert_eq!(paths(&body), vec![json!(["me"])], "{body}");
}

// ---- @interfaceObject: the concrete type comes from the interface's owner ---------------------

const CONTENT_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
interface Media @key(fields: "id") { id: ID! title: String }
type Book implements Media @key(fields: "id") { id: ID! title: String }
type Query { anyMedia: [Media] }
"#;

const RATINGS_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])
type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }
type Query { topRated: [Media] }
"#;

#[tokio::test]
async fn interface_object_whose_concrete_type_cannot_be_resolved_is_null_not_the_interface() {
    let content = serve_raw(CONTENT_SDL, |body| {
        let entities: Vec<Value> = reps(body)
            .iter()
            .map(|r| match r["id"].as_str() {
                Some("1") => json!({"__typename": "Book", "id": "1", "title": "Dune"}),
                _ => Value::Null,
            })
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let ratings = serve_raw(RATINGS_SDL, |_| {
        json!({"data": {"topRated": [
            {"__typename": "Media", "id": "1", "rating": 5},
            {"__typename": "Media", "id": "404", "rating": 1}
        ]}})
    })
    .await;
    let url = start_router(&[("content", &content), ("ratings", &ratings)]).await;
    let text = post_text(&url, "{ topRated { __typename id rating } }", json!({})).await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"data": {"topRated": [
            {"__typename": "Book", "id": "1", "rating": 5},
            null
        ]}}),
        "{text}"
    );
}

#[tokio::test]
async fn interface_object_typename_alone_is_asked_of_the_interface_owner() {
    let asked = Arc::new(Mutex::new(0u32));
    let counter = asked.clone();
    let content = serve_raw(CONTENT_SDL, move |body| {
        *counter.lock().unwrap() += 1;
        let entities: Vec<Value> = reps(body)
            .iter()
            .map(|r| json!({"__typename": "Book", "id": r["id"]}))
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let ratings = serve_raw(
        RATINGS_SDL,
        |_| json!({"data": {"topRated": [{"__typename": "Media", "id": "1"}]}}),
    )
    .await;
    let url = start_router(&[("content", &content), ("ratings", &ratings)]).await;
    let body = gql(&url, "{ topRated { __typename } }", json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"topRated": [{"__typename": "Book"}]}})
    );
    assert_eq!(
        *asked.lock().unwrap(),
        1,
        "the concrete type comes from `content`"
    );
}

// ---- progressive @override(label: "percent(N)") ---------------------------------------------

const OLD_PRICES_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Product @key(fields: "id") { id: ID! price: Int }
type Query { products: [Product] }
"#;

const NEW_PRICES_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])
type Product @key(fields: "id") { id: ID! price: Int @override(from: "old", label: "percent(50)") }
"#;

#[tokio::test]
async fn percent_override_sends_about_that_share_of_requests_to_the_new_subgraph() {
    let old = serve_raw(OLD_PRICES_SDL, |body| {
        let with_price = query_of(body).contains("price");
        let product = |id: &str| {
            let mut p = json!({"__typename": "Product", "id": id});
            if with_price {
                p["price"] = json!(1);
            }
            p
        };
        json!({"data": {"products": [product("p1"), product("p2")]}})
    })
    .await;
    let new = serve_raw(NEW_PRICES_SDL, |body| {
        let entities: Vec<Value> = reps(body)
            .iter()
            .map(|r| json!({"__typename": "Product", "id": r["id"], "price": 2}))
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let url = start_router(&[("old", &old), ("new", &new)]).await;
    let mut from_new = 0;
    for _ in 0..200 {
        let body = gql(&url, "{ products { id price } }", json!({})).await;
        let prices: Vec<&Value> = body["data"]["products"]
            .as_array()
            .map(|ps| ps.iter().map(|p| &p["price"]).collect())
            .unwrap_or_default();
        assert!(
            prices == [&json!(1), &json!(1)] || prices == [&json!(2), &json!(2)],
            "one request is served by one side: {body}"
        );
        if prices[0] == &json!(2) {
            from_new += 1;
        }
    }
    // Binomial(200, 0.5): 50..=150 is more than seven standard deviations wide.
    assert!((50..=150).contains(&from_new), "{from_new} of 200 from new");
}

// ---- @requires with a nested selection, on a field with arguments ------------------------------

const SIZES_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
type Dimensions @shareable { width: Int height: Int }
type Parcel @key(fields: "id") { id: ID! dims: Dimensions }
type Query { parcels: [Parcel] }
"#;

const SHIPPING_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires"])
type Dimensions @shareable { width: Int height: Int }
type Parcel @key(fields: "id") {
  id: ID!
  dims: Dimensions @external
  cost(zone: Int!): Int @requires(fields: "dims { width height }")
}
"#;

#[tokio::test]
async fn requires_with_a_nested_selection_on_a_field_with_arguments() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_reps = seen.clone();
    let sizes = serve_raw(SIZES_SDL, |_| {
        json!({"data": {"parcels": [
            {"__typename": "Parcel", "id": "1", "dims": {"width": 2, "height": 3}},
            {"__typename": "Parcel", "id": "2", "dims": {"width": 4, "height": 5}}
        ]}})
    })
    .await;
    let shipping = serve_raw(SHIPPING_SDL, move |body| {
        let reps = reps(body);
        seen_reps.lock().unwrap().extend(reps.iter().cloned());
        // The argument travels as a variable of the entity fetch.
        let zone = body["variables"]
            .as_object()
            .and_then(|vs| {
                vs.iter()
                    .find(|(k, _)| *k != "representations")
                    .and_then(|(_, v)| v.as_i64())
            })
            .unwrap_or(0);
        let entities: Vec<Value> = reps
            .iter()
            .map(|r| {
                let area = r["dims"]["width"].as_i64().unwrap_or(0)
                    * r["dims"]["height"].as_i64().unwrap_or(0);
                json!({"__typename": "Parcel", "cost": area * zone})
            })
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let url = start_router(&[("sizes", &sizes), ("shipping", &shipping)]).await;
    let body = gql(
        &url,
        "query($z: Int!) { parcels { id cost(zone: $z) } }",
        json!({"z": 10}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"parcels": [{"id": "1", "cost": 60}, {"id": "2", "cost": 200}]}})
    );
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            json!({"__typename": "Parcel", "id": "1", "dims": {"width": 2, "height": 3}}),
            json!({"__typename": "Parcel", "id": "2", "dims": {"width": 4, "height": 5}})
        ]
    );
}

// ---- @provides on an abstract type -------------------------------------------------------------

const FEED_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])
interface Post { id: ID! }
type Article implements Post @key(fields: "id") { id: ID! title: String @external }
type Clip implements Post { id: ID! }
type Query { feed: [Post] @provides(fields: "... on Article { title }") }
"#;

const ARTICLES_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Article @key(fields: "id") { id: ID! title: String body: String }
"#;

#[tokio::test]
async fn provides_on_an_interface_field_spares_the_owner_when_only_provided_fields_are_asked() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    let feed = serve_raw(FEED_SDL, |_| {
        json!({"data": {"feed": [
            {"__typename": "Article", "id": "a1", "title": "From the feed"},
            {"__typename": "Clip", "id": "c1"}
        ]}})
    })
    .await;
    let articles = serve_raw(ARTICLES_SDL, move |body| {
        log.lock().unwrap().push(query_of(body).to_string());
        let entities: Vec<Value> = reps(body)
            .iter()
            .map(|r| json!({"__typename": "Article", "id": r["id"], "title": "From the feed", "body": "Text"}))
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let url = start_router(&[("feed", &feed), ("articles", &articles)]).await;
    let body = gql(&url, "{ feed { id ... on Article { title } } }", json!({})).await;
    assert_eq!(
        body,
        json!({"data": {"feed": [{"id": "a1", "title": "From the feed"}, {"id": "c1"}]}})
    );
    assert!(
        asked.lock().unwrap().is_empty(),
        "{:?}",
        asked.lock().unwrap()
    );

    let body = gql(
        &url,
        "{ feed { ... on Article { title body } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"feed": [{"title": "From the feed", "body": "Text"}, {}]}})
    );
    assert_eq!(asked.lock().unwrap().len(), 1, "body is not provided");
}

// ---- @shareable: a field two subgraphs resolve is fetched once -------------------------------

const SHELF_A_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
type Money @shareable { amount: Int currency: String }
type Item @key(fields: "id") { id: ID! name: String @shareable price: Money @shareable }
type Query { items: [Item] }
"#;

const SHELF_B_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
type Money @shareable { amount: Int currency: String }
type Item @key(fields: "id") { id: ID! name: String @shareable price: Money @shareable stock: Int }
"#;

#[tokio::test]
async fn shareable_fields_come_from_the_fetch_already_made_and_values_are_not_mixed() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    let a = serve_raw(SHELF_A_SDL, |_| {
        json!({"data": {"items": [
            {"__typename": "Item", "id": "1", "name": "Lamp", "price": {"amount": 10, "currency": "EUR"}}
        ]}})
    })
    .await;
    let b = serve_raw(SHELF_B_SDL, move |body| {
        log.lock().unwrap().push(query_of(body).to_string());
        let entities: Vec<Value> = reps(body)
            .iter()
            .map(|r| json!({"__typename": "Item", "id": r["id"], "stock": 3}))
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let url = start_router(&[("a", &a), ("b", &b)]).await;
    let body = gql(
        &url,
        "{ items { name price { amount currency } stock } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"items": [
            {"name": "Lamp", "price": {"amount": 10, "currency": "EUR"}, "stock": 3}
        ]}})
    );
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        !asked[0].contains("name") && !asked[0].contains("amount"),
        "shareable fields already fetched are not asked again: {}",
        asked[0]
    );
}
