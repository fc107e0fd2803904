//! Test harness: serves async-graphql fixture subgraphs and the real router on 127.0.0.1:0.

use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::{GraphQL, GraphQLSubscription};
use axum::routing::post_service;
use serde_json::{json, Value};

/// Serves a subgraph schema (HTTP POST and graphql-transport-ws on `/graphql`); returns its URL.
pub async fn serve_subgraph<Q, M, S>(schema: Schema<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let app = axum::Router::new().route(
        "/graphql",
        post_service(GraphQL::new(schema.clone())).get_service(GraphQLSubscription::new(schema)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

/// A URL where nothing listens (for "subgraph down").
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/graphql")
}

/// Composes the subgraphs through the router's own composition and starts the router.
pub async fn start_router(subgraphs: &[(&str, &str)]) -> String {
    start_router_overriding(subgraphs, &[]).await
}

/// Like `start_router`, but after composing points some subgraphs at other URLs.
pub async fn start_router_overriding(
    subgraphs: &[(&str, &str)],
    overrides: &[(&str, &str)],
) -> String {
    let list: Vec<(String, String)> = subgraphs
        .iter()
        .map(|(n, u)| (n.to_string(), u.to_string()))
        .collect();
    let sdl = router::reload::compose_from_subgraphs(&list)
        .await
        .expect("fixture subgraphs compose");
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.url_overrides = overrides
        .iter()
        .map(|(n, u)| (n.to_string(), u.to_string()))
        .collect();
    start_router_with_config(config).await
}

pub async fn start_router_with_config(mut config: router::RouterConfig) -> String {
    config.subgraph_timeout = std::time::Duration::from_secs(2);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(router::serve_on(listener, config, std::future::pending()));
    format!("http://{addr}/graphql")
}

/// POSTs an operation and returns (status, body).
pub async fn post(url: &str, query: &str, variables: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// POSTs and returns the body, asserting HTTP 200.
pub async fn gql(url: &str, query: &str, variables: Value) -> Value {
    let (status, body) = post(url, query, variables).await;
    assert_eq!(status, 200, "body: {body}");
    body
}

/// POSTs and returns the raw body text (to check key order, which `Value` does not keep).
pub async fn post_text(url: &str, query: &str, variables: Value) -> String {
    reqwest::Client::new()
        .post(url)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Serves a hand-written subgraph: `_service { sdl }` returns `sdl`, everything else goes to
/// `handler(request body) -> response body`. For SDL features async-graphql cannot express.
pub async fn serve_raw<F>(sdl: &'static str, handler: F) -> String
where
    F: Fn(&Value) -> Value + Send + Sync + 'static,
{
    let handler = std::sync::Arc::new(handler);
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let handler = handler.clone();
            async move {
                let query = body["query"].as_str().unwrap_or_default();
                if query.contains("_service") {
                    axum::Json(json!({"data": {"_service": {"sdl": sdl}}}))
                } else {
                    axum::Json(handler(&body))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

/// Serves in front of a subgraph: each request body is first given to `before` (which may
/// record it or hold the request back), then forwarded to `upstream`, whose answer is returned.
pub async fn proxy<F, Fut>(upstream: String, before: F) -> String
where
    F: Fn(Value) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let (upstream, before) = (upstream.clone(), before.clone());
            async move {
                before(body.clone()).await;
                let resp = reqwest::Client::new()
                    .post(&upstream)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                axum::Json(resp.json::<Value>().await.unwrap())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

/// The `next` results of a whole SSE body, and whether a `complete` event ended it.
pub fn sse_events(body: &str) -> (Vec<Value>, bool) {
    let mut results = Vec::new();
    let mut completed = false;
    for block in body.split("\n\n") {
        let mut kind = "";
        let mut data = String::new();
        for line in block.lines() {
            if let Some(k) = line.strip_prefix("event:") {
                kind = k.trim();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim());
            }
        }
        match kind {
            "next" => results.push(serde_json::from_str::<Value>(&data).unwrap()),
            "complete" => completed = true,
            _ => {}
        }
    }
    (results, completed)
}

/// A client WebSocket to the router.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a graphql-transport-ws WebSocket to the router whose HTTP URL is `url`; returns the
/// socket and the handshake response.
pub async fn ws_connect(
    url: &str,
) -> (
    Ws,
    tokio_tungstenite::tungstenite::handshake::client::Response,
) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url
        .replace("http://", "ws://")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(request).await.unwrap()
}

/// The router's Prometheus text at `/metrics` (`url` is its GraphQL URL).
pub async fn metrics_text(url: &str) -> String {
    reqwest::get(url.replace("/graphql", "/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
