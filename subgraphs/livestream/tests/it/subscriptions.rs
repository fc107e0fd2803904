//! `livestreamEvents(streamId)` over the WebSocket (graphql-transport-ws) at `GET /graphql`: a
//! subscriber sees its stream's status changes, chat posts and deletions in order (and not
//! another stream's), fed through the fan-out consumer; with two instances on one database and
//! broker, a subscriber of one sees changes made through the other.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kit::service::Backends;
use kit::testing::{self, TestApp};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use crate::common::*;

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

const EVENTS: &str = "subscription($s:ID!){ livestreamEvents(streamId:$s){ __typename \
    ... on ProductPinned { seq pin { id product { id } deal { remaining price { amount currencyCode } } } } \
    ... on ProductUnpinned { seq pinId productId } \
    ... on LiveDealChanged { seq pinId remaining } \
    ... on ViewerCount { viewers } \
    ... on JustBought { seq units items { productId variantId title quantity } } \
    ... on StatusChanged { livestreamId seq from to at } \
    ... on ChatPosted { livestreamId seq message { id text author { id } } } \
    ... on ChatDeleted { livestreamId seq messageId } } }";

pub async fn send(ws: &mut Socket, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .expect("sent");
}

/// The next JSON message, or `None` if none arrives within `wait`.
pub async fn next(ws: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let msg = tokio::time::timeout(wait, ws.next()).await.ok()??.ok()?;
        if let Message::Text(text) = msg {
            return Some(serde_json::from_str(&text).expect("JSON message"));
        }
    }
}

/// The next stream event's `livestreamEvents` payload, viewer counts skipped (fails the test
/// after 10 s).
pub async fn event(ws: &mut Socket) -> Value {
    stream_event(ws, Duration::from_secs(10))
        .await
        .expect("an event")
}

/// The next message that is not a viewer count, or `None` if none arrives within `wait`.
pub async fn stream_event(ws: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let msg = next(ws, wait).await?;
        assert_eq!(msg["type"], "next", "{msg}");
        let e = &msg["payload"]["data"]["livestreamEvents"];
        if e["__typename"] != "ViewerCount" {
            return Some(e.clone());
        }
    }
}

pub async fn subscribe(app: &TestApp, stream: &str) -> Socket {
    subscribe_as(app, stream, None).await
}

/// [`subscribe`], signed in with `token` (in `connection_init`) when given.
pub async fn subscribe_as(app: &TestApp, stream: &str, token: Option<&str>) -> Socket {
    let mut request = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket connects");
    let payload = match token {
        Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack = next(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(
        ack.map(|a| a["type"].clone()),
        Some(json!("connection_ack"))
    );
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe",
                "payload": { "query": EVENTS, "variables": { "s": stream } } }),
    )
    .await;
    ws
}

/// Waits until `app`'s fan-out queue delivers (RabbitMQ binds it in the background): chats on
/// a warm-up stream through `via` until a subscriber of it on `app` hears one.
pub async fn feed_ready(env: &Env, via: &TestApp, app: &TestApp) {
    let warm = env.live("Warm-up").await;
    let user = env.customer().await;
    let mut ws = subscribe(app, &warm.id).await;
    for _ in 0..100 {
        via.gql(
            "mutation($s:ID!){ sendChatMessage(streamId:$s,text:\"ping\"){ id } }",
            json!({ "s": warm.id }),
            Some(&user.token),
        )
        .await;
        if stream_event(&mut ws, Duration::from_millis(300))
            .await
            .is_some()
        {
            return;
        }
    }
    panic!("the feed never delivered");
}

#[tokio::test]
async fn a_subscriber_sees_status_chat_and_deletions_in_order() {
    let env = start_with(&[("CHAT_RATE_MAX", "1000")]).await;
    feed_ready(&env, &env.app, &env.app).await;
    let stream = env.schedule("Subscribed", &[]).await;
    let other = env.live("Other").await;
    let user = env.customer().await;
    let mut ws = subscribe(&env.app, &stream.id).await;
    // The subscription is live once the server has the `subscribe`; a round trip on the same
    // socket (ping/pong) proves it was read.
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(event_or_pong(&mut ws).await["type"], "pong");

    env.move_to("startLivestream", &stream.id).await;
    env.chat(Some(&user.token), &other.id, "elsewhere").await;
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        let body = env.chat(Some(&user.token), &stream.id, text).await;
        ids.push(
            body["data"]["sendChatMessage"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    env.staff_gql(
        "mutation($id:ID!){ deleteChatMessage(id:$id){ id } }",
        json!({ "id": ids[1] }),
    )
    .await;
    env.move_to("endLivestream", &stream.id).await;

    let mut got = Vec::new();
    for _ in 0..6 {
        got.push(event(&mut ws).await);
    }
    let kinds: Vec<&str> = got
        .iter()
        .map(|e| e["__typename"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "StatusChanged",
            "ChatPosted",
            "ChatPosted",
            "ChatPosted",
            "ChatDeleted",
            "StatusChanged"
        ],
        "{got:?}"
    );
    assert!(got.iter().all(|e| e["livestreamId"] == stream.id.as_str()));
    assert_eq!(
        (got[0]["from"].as_str(), got[0]["to"].as_str()),
        (Some("SCHEDULED"), Some("LIVE"))
    );
    let texts: Vec<&str> = got[1..4]
        .iter()
        .map(|e| e["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "two", "three"]);
    assert_eq!(got[1]["message"]["author"]["id"], user.id.as_str());
    assert_eq!(got[4]["messageId"], ids[1].as_str());
    assert_eq!(
        (got[5]["from"].as_str(), got[5]["to"].as_str()),
        (Some("LIVE"), Some("ENDED"))
    );
    let seqs: Vec<i64> = got.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(
        stream_event(&mut ws, Duration::from_millis(500))
            .await
            .is_none(),
        "nothing else"
    );
    env.stop().await;
}

pub async fn event_or_pong(ws: &mut Socket) -> Value {
    loop {
        let msg = next(ws, Duration::from_secs(5)).await.expect("an answer");
        if msg["payload"]["data"]["livestreamEvents"]["__typename"] != "ViewerCount" {
            return msg;
        }
    }
}

#[tokio::test]
async fn unknown_and_malformed_streams_are_refused() {
    let env = start().await;
    for (id, expected) in [
        ("nope", "BAD_USER_INPUT"),
        (kit::ids::new_id().as_str(), "NOT_FOUND"),
    ] {
        let mut ws = subscribe(&env.app, id).await;
        let msg = next(&mut ws, Duration::from_secs(5))
            .await
            .expect("an answer");
        assert_eq!(
            msg["payload"]["errors"][0]["extensions"]["code"], expected,
            "{msg}"
        );
    }
    env.stop().await;
}

#[tokio::test]
async fn a_subscriber_of_one_instance_sees_changes_made_on_another() {
    let env = start().await;
    // A second instance on the first one's database and broker (and, embedded, the same
    // in-process bus, as the launcher would share it).
    let shutdown = CancellationToken::new();
    let backends = Backends::new(shutdown.clone());
    let mut config =
        testing::config_trusting("livestream", &env.accounts, &[("CHAT_RATE_MAX", "1000")]);
    let first = (*env.app.svc().config).clone();
    config.database_url = first.database_url.clone();
    config.database_schema = first.database_schema.clone();
    let a = spawn_on(config.clone(), &backends, shutdown.clone()).await;
    // One process, one in-process bus: the durable order.paid queue stays with the first.
    config
        .overrides
        .insert("SALES_CONSUMER".into(), "false".into());
    let b = spawn_on(config, &backends, shutdown.clone()).await;
    feed_ready(&env, &a, &b).await;

    let stream = env.schedule("Two instances", &[]).await;
    let mut ws = subscribe(&b, &stream.id).await;
    send(&mut ws, json!({ "type": "ping" })).await;
    assert_eq!(event_or_pong(&mut ws).await["type"], "pong");
    let body = a
        .gql(
            "mutation($id:ID!){ startLivestream(id:$id){ status } }",
            json!({ "id": stream.id }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(body["data"]["startLivestream"]["status"], "LIVE", "{body}");
    let user = env.customer().await;
    a.gql(
        "mutation($s:ID!){ sendChatMessage(streamId:$s,text:\"hello from a\"){ id } }",
        json!({ "s": stream.id }),
        Some(&user.token),
    )
    .await;
    let first = event(&mut ws).await;
    assert_eq!(first["__typename"], "StatusChanged", "{first}");
    let second = event(&mut ws).await;
    assert_eq!(second["message"]["text"], "hello from a", "{second}");
    a.stop().await;
    b.stop().await;
    env.stop().await;
}

/// One more instance with the given backends (the kit's `testing::spawn` makes fresh ones).
async fn spawn_on(
    config: kit::Config,
    backends: &Backends,
    shutdown: CancellationToken,
) -> TestApp {
    let running = kit::subgraph::prepare::<livestream::Livestream>(config, backends)
        .await
        .expect("instance starts")
        .spawn();
    let addr = running.addr;
    TestApp {
        addr,
        url: format!("http://{addr}"),
        http: reqwest::Client::new(),
        running,
        shutdown,
    }
}
