//! @interfaceObject: `ratings` adds `rating` to every `Media` without knowing its concrete types;
//! `content` (hand-written, since it needs `@key` on an interface) owns the implementations.

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject, ID};
use serde_json::{json, Value};

use crate::common::*;

const CONTENT_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
interface Media @key(fields: "id") { id: ID! title: String }
type Book implements Media @key(fields: "id") { id: ID! title: String author: String }
type Song implements Media @key(fields: "id") { id: ID! title: String artist: String }
type Query { allMedia: [Media!]! }
"#;

fn content_item(id: &str) -> Value {
    match id {
        "1" => json!({"__typename": "Book", "id": "1", "title": "Dune", "author": "Herbert"}),
        _ => json!({"__typename": "Song", "id": id, "title": "Imagine", "artist": "Lennon"}),
    }
}

/// Answers with a superset of any selection: the router must project it away.
fn content(body: &Value) -> Value {
    if let Some(reps) = body["variables"]["representations"].as_array() {
        let entities: Vec<Value> = reps
            .iter()
            .map(|r| content_item(r["id"].as_str().unwrap_or_default()))
            .collect();
        return json!({"data": {"_entities": entities}});
    }
    json!({"data": {"allMedia": [content_item("1"), content_item("2")]}})
}

#[derive(SimpleObject)]
#[graphql(interface_object)]
struct Media {
    id: ID,
    rating: i32,
}

struct RatingsQuery;

#[Object(name = "Query")]
impl RatingsQuery {
    async fn top_rated(&self) -> Vec<Media> {
        vec![Media {
            id: "2".into(),
            rating: 5,
        }]
    }
    #[graphql(entity)]
    async fn find_media_by_id(&self, id: ID) -> Media {
        let rating = if id == "1" { 4 } else { 5 };
        Media { id, rating }
    }
}

async fn world() -> String {
    let content = serve_raw(CONTENT_SDL, content).await;
    let ratings = serve_subgraph(
        Schema::build(RatingsQuery, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish(),
    )
    .await;
    start_router(&[("content", &content), ("ratings", &ratings)]).await
}

#[tokio::test]
async fn interface_object_fields_on_concrete_types() {
    let url = world().await;
    let body = gql(
        &url,
        "{ allMedia { title rating ... on Book { author } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"allMedia": [
            {"title": "Dune", "rating": 4, "author": "Herbert"},
            {"title": "Imagine", "rating": 5}
        ]}})
    );
}

#[tokio::test]
async fn interface_object_root_field_resolves_concrete_type() {
    let url = world().await;
    let body = gql(
        &url,
        "{ topRated { __typename id rating title ... on Song { artist } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"topRated": [
            {"__typename": "Song", "id": "2", "rating": 5, "title": "Imagine", "artist": "Lennon"}
        ]}})
    );
}
