//! Entity batching: one `_entities` call per fetch node, each distinct representation sent once,
//! and the result written back to every place that entity appears.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::common::*;

const ITEMS_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Item { id: ID! owner: User! }
type User @key(fields: "id") { id: ID! }
type Query { items: [Item!]! }
"#;

const USERS_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type User @key(fields: "id") { id: ID! name: String! }
type Query { me: User }
"#;

/// Five items owned by users 1, 2, 1, 3 and 1.
fn items(_: &Value) -> Value {
    let owner = |id: &str| json!({"__typename": "User", "id": id});
    json!({"data": {"items": [
        {"id": "a", "owner": owner("1")},
        {"id": "b", "owner": owner("2")},
        {"id": "c", "owner": owner("1")},
        {"id": "d", "owner": owner("3")},
        {"id": "e", "owner": owner("1")},
    ]}})
}

#[tokio::test]
async fn duplicate_representations_are_sent_once_and_fill_every_place() {
    let calls: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = calls.clone();
    let users = serve_raw(USERS_SDL, move |body| {
        let reps = body["variables"]["representations"].clone();
        seen.lock().unwrap().push(reps.clone());
        let entities: Vec<Value> = reps
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| json!({"__typename": "User", "name": format!("user {}", r["id"].as_str().unwrap())}))
            .collect();
        json!({"data": {"_entities": entities}})
    })
    .await;
    let items = serve_raw(ITEMS_SDL, items).await;
    let url = start_router(&[("items", &items), ("users", &users)]).await;

    let body = gql(&url, "{ items { id owner { id name } } }", json!({})).await;
    let names: Vec<(&str, &str)> = body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap(),
                i["owner"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("a", "user 1"),
            ("b", "user 2"),
            ("c", "user 1"),
            ("d", "user 3"),
            ("e", "user 1")
        ],
        "{body}"
    );
    assert_eq!(
        *calls.lock().unwrap(),
        vec![json!([
            {"__typename": "User", "id": "1"},
            {"__typename": "User", "id": "2"},
            {"__typename": "User", "id": "3"}
        ])],
        "one _entities call with each distinct representation once"
    );
}
