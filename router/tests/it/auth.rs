//! Auth travels with subscriptions: the `connection_init` payload's Authorization (or an SSE
//! request's Authorization header) reaches both the subgraph that owns the subscription and
//! the subgraphs that fill each event.

use std::time::Duration;

use async_graphql::{Context, EmptyMutation, Object, Schema, SimpleObject, Subscription, ID};
use axum::http::HeaderMap;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

#[derive(SimpleObject, Clone)]
struct Note {
    id: ID,
    /// The auth token the subscription connection was opened with.
    opened_with: String,
}

struct Query;

#[Object]
impl Query {
    async fn ok(&self) -> bool {
        true
    }
    #[graphql(entity)]
    async fn find_note(&self, id: ID) -> Note {
        Note {
            id,
            opened_with: String::new(),
        }
    }
}

struct Notes;

#[Subscription(name = "Subscription")]
impl Notes {
    async fn notes(&self, ctx: &Context<'_>) -> impl futures_util::Stream<Item = Note> {
        let token = ctx.data_opt::<String>().cloned().unwrap_or_default();
        futures_util::stream::iter((1..=2).map(move |i| Note {
            id: ID(i.to_string()),
            opened_with: token.clone(),
        }))
    }
}

const SEEN_SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Note @key(fields: "id") { id: ID! seenBy: String }
"#;

/// Fills `Note.seenBy` with the Authorization header of the entity request.
async fn seen_subgraph() -> String {
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(
            |headers: HeaderMap, axum::Json(body): axum::Json<Value>| async move {
                if body["query"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("_service")
                {
                    return axum::Json(json!({"data": {"_service": {"sdl": SEEN_SDL}}}));
                }
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_string();
                let reps = body["variables"]["representations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let entities: Vec<Value> = reps
                    .iter()
                    .map(|_| json!({"__typename": "Note", "seenBy": auth}))
                    .collect();
                axum::Json(json!({"data": {"_entities": entities}}))
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

#[tokio::test]
async fn connection_init_auth_reaches_every_subgraph() {
    tokio::time::timeout(Duration::from_secs(20), case())
        .await
        .expect("finished in time");
}

/// A router over a subgraph whose subscription reports the `connection_init` Authorization it
/// was opened with, and one whose entity field reports the Authorization header it was called
/// with.
async fn notes_world() -> String {
    let schema = Schema::build(Query, EmptyMutation, Notes)
        .enable_federation()
        .enable_subscription_in_federation()
        .finish();
    let ws_schema = schema.clone();
    let notes_app = axum::Router::new().route(
        "/graphql",
        axum::routing::post_service(async_graphql_axum::GraphQL::new(schema)).get(
            move |protocol: async_graphql_axum::GraphQLProtocol,
                  upgrade: axum::extract::ws::WebSocketUpgrade| {
                let schema = ws_schema.clone();
                async move {
                    upgrade
                        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
                        .on_upgrade(move |socket| {
                            async_graphql_axum::GraphQLWebSocket::new(socket, schema, protocol)
                                .on_connection_init(|payload: Value| async move {
                                    let mut data = async_graphql::Data::default();
                                    if let Some(token) = payload["Authorization"].as_str() {
                                        data.insert(token.to_string());
                                    }
                                    Ok(data)
                                })
                                .serve()
                        })
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, notes_app).await.unwrap() });
    let notes = format!("http://{addr}/graphql");
    let seen = seen_subgraph().await;
    start_router(&[("notes", &notes), ("seen", &seen)]).await
}

fn expected_notes() -> Vec<Value> {
    vec![
        json!({"data": {"notes": {"id": "1", "openedWith": "Bearer t0k", "seenBy": "Bearer t0k"}}}),
        json!({"data": {"notes": {"id": "2", "openedWith": "Bearer t0k", "seenBy": "Bearer t0k"}}}),
    ]
}

async fn case() {
    let url = notes_world().await;
    let (mut ws, _) = ws_connect(&url).await;
    let text = |v: Value| Message::Text(v.to_string().into());
    ws.send(text(
        json!({"type": "connection_init", "payload": {"Authorization": "Bearer t0k"}}),
    ))
    .await
    .unwrap();
    let mut events = Vec::new();
    while let Some(Ok(Message::Text(t))) = ws.next().await {
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        match v["type"].as_str().unwrap() {
            "connection_ack" => ws
                .send(text(json!({"id": "n", "type": "subscribe", "payload": {"query": "subscription { notes { id openedWith seenBy } }"}})))
                .await
                .unwrap(),
            "next" => events.push(v["payload"].clone()),
            "complete" => break,
            "error" => panic!("{v}"),
            _ => {}
        }
    }
    assert_eq!(events, expected_notes());
}

/// An SSE subscriber has no `connection_init`: its Authorization header is what the router
/// opens the subgraph subscription with.
#[tokio::test]
async fn sse_authorization_reaches_every_subgraph() {
    let url = notes_world().await;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("accept", "text/event-stream")
        .header("authorization", "Bearer t0k")
        .json(&json!({"query": "subscription { notes { id openedWith seenBy } }"}))
        .send()
        .await
        .unwrap();
    let body = tokio::time::timeout(Duration::from_secs(20), resp.text())
        .await
        .expect("stream completes")
        .unwrap();
    let events: Vec<Value> = body
        .split("\n\n")
        .filter(|block| {
            block
                .lines()
                .any(|l| l.trim() == "event: next" || l.trim() == "event:next")
        })
        .map(|block| {
            let data: String = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
                .collect();
            serde_json::from_str(&data).unwrap()
        })
        .collect();
    assert_eq!(events, expected_notes(), "{body}");
}
