//! GraphQL over WebSocket, graphql-transport-ws protocol: handshake, subscribe/complete,
//! ping/pong keep-alive, bounded outgoing buffer (a slow client is disconnected), and teardown of
//! every upstream subscription when the client goes away.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::pipeline::{self, Context, GraphQLRequest};
use crate::server::SharedState;
use crate::subscription;

pub fn upgrade(state: SharedState, ws: WebSocketUpgrade, headers: HeaderMap) -> HttpResponse {
    // Client messages are small: a 4 KiB read buffer (grown on demand) instead of 128 KiB
    // keeps thousands of idle subscribers cheap.
    ws.read_buffer_size(4 * 1024)
        .protocols(["graphql-transport-ws"])
        .on_upgrade(move |socket| handle(state, socket, headers))
        .into_response()
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

/// Headers for subgraph calls: propagated HTTP headers plus auth from `connection_init`.
fn headers_for(state: &SharedState, upgrade: &HeaderMap, init: &Value) -> Vec<(String, String)> {
    let mut headers = state.client.forwarded(upgrade);
    let from_payload = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| init.get(k))
        .or_else(|| {
            init.get("headers")
                .and_then(|h| h.get("Authorization").or_else(|| h.get("authorization")))
        });
    if let Some(auth) = from_payload.and_then(Value::as_str) {
        headers.retain(|(k, _)| k != "authorization");
        headers.push(("authorization".into(), auth.to_string()));
    }
    headers
}

async fn handle(state: SharedState, socket: WebSocket, upgrade_headers: HeaderMap) {
    let (sink, mut stream) = socket.split();
    let (out_tx, out_rx) = mpsc::channel::<Message>(state.config.subscription_buffer.max(8));
    let kill = CancellationToken::new();
    let mut writer = tokio::spawn(write(sink, out_rx, kill.clone()));
    let subs: Arc<Mutex<HashMap<String, tokio::task::AbortHandle>>> = Arc::default();
    let mut init: Option<Value> = None;
    let mut ping = tokio::time::interval(Duration::from_secs(15));
    ping.tick().await;
    let handshake_deadline = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(handshake_deadline);
    loop {
        let msg = tokio::select! {
            _ = kill.cancelled() => break,
            _ = &mut handshake_deadline, if init.is_none() => {
                let _ = out_tx.send(close(4408, "Connection initialisation timeout")).await;
                break;
            }
            _ = ping.tick() => {
                let _ = out_tx.try_send(text(json!({"type": "ping"})));
                continue;
            }
            m = stream.next() => m,
        };
        let text_msg = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => continue,
        };
        let Ok(v) = serde_json::from_str::<Value>(text_msg.as_str()) else {
            let _ = out_tx.send(close(4400, "Invalid message")).await;
            break;
        };
        match v.get("type").and_then(Value::as_str) {
            Some("connection_init") => {
                if init.is_some() {
                    let _ = out_tx
                        .send(close(4429, "Too many initialisation requests"))
                        .await;
                    break;
                }
                init = Some(v.get("payload").cloned().unwrap_or(json!({})));
                let _ = out_tx.send(text(json!({"type": "connection_ack"}))).await;
            }
            Some("ping") => {
                let _ = out_tx.send(text(json!({"type": "pong"}))).await;
            }
            Some("pong") => {}
            Some("subscribe") => {
                let Some(init_payload) = init.clone() else {
                    let _ = out_tx.send(close(4401, "Unauthorized")).await;
                    break;
                };
                let id = v
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if subs.lock().contains_key(&id) {
                    let _ = out_tx
                        .send(close(4409, "Subscriber for id already exists"))
                        .await;
                    break;
                }
                let req: GraphQLRequest =
                    match v.get("payload").cloned().map(serde_json::from_value) {
                        Some(Ok(r)) => r,
                        _ => {
                            let _ = out_tx.send(close(4400, "Invalid subscribe payload")).await;
                            break;
                        }
                    };
                let headers = headers_for(&state, &upgrade_headers, &init_payload);
                let task = tokio::spawn(run_operation(
                    state.clone(),
                    id.clone(),
                    req,
                    headers,
                    init_payload,
                    out_tx.clone(),
                    kill.clone(),
                    subs.clone(),
                ));
                subs.lock().insert(id, task.abort_handle());
            }
            Some("complete") => {
                if let Some(id) = v.get("id").and_then(Value::as_str) {
                    if let Some(h) = subs.lock().remove(id) {
                        h.abort();
                    }
                }
            }
            _ => {
                let _ = out_tx.send(close(4400, "Unknown message type")).await;
                break;
            }
        }
    }
    for (_, h) in subs.lock().drain() {
        h.abort();
    }
    drop(out_tx);
    // The writer ends once what is queued is sent; a client that stops reading does not hold
    // the connection open for longer than this.
    if tokio::time::timeout(Duration::from_secs(5), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// The socket's writer: sends what the connection queues, in order. A client cut off (`kill`)
/// as too slow is sent nothing more that was queued for it, only the reason, if its socket
/// takes it within a second.
async fn write(mut sink: Sink, mut out: mpsc::Receiver<Message>, kill: CancellationToken) {
    loop {
        let m = tokio::select! {
            biased;
            _ = kill.cancelled() => break,
            m = out.recv() => match m {
                Some(m) => m,
                None => break,
            },
        };
        let is_close = matches!(m, Message::Close(_));
        let sent = tokio::select! {
            biased;
            _ = kill.cancelled() => false,
            r = sink.send(m) => r.is_ok(),
        };
        if !sent || is_close {
            break;
        }
    }
    let bye = Duration::from_secs(1);
    if kill.is_cancelled() {
        let _ = tokio::time::timeout(bye, sink.send(close(4400, "client too slow"))).await;
    }
    let _ = tokio::time::timeout(bye, sink.close()).await;
}

#[allow(clippy::too_many_arguments)]
async fn run_operation(
    state: SharedState,
    id: String,
    req: GraphQLRequest,
    headers: Vec<(String, String)>,
    init_payload: Value,
    out: mpsc::Sender<Message>,
    kill: CancellationToken,
    subs: Arc<Mutex<HashMap<String, tokio::task::AbortHandle>>>,
) {
    let send = |m: Message| -> bool {
        match out.try_send(m) {
            Ok(()) => true,
            Err(_) => {
                kill.cancel();
                false
            }
        }
    };
    // A bad token (from `connection_init` or the upgrade request) is refused here, once.
    let authorization = headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone());
    let principal = match authorization {
        Some(a) => match state.auth.authenticate_value(&state.current(), &a).await {
            Ok(p) => p,
            Err(rejection) => {
                let error =
                    crate::response::GraphQLError::new(rejection.message()).code("UNAUTHENTICATED");
                send(text(json!({"id": id, "type": "error", "payload": [error]})));
                subs.lock().remove(&id);
                return;
            }
        },
        None => None,
    };
    match subscription::open(
        state.clone(),
        &req,
        headers.clone(),
        init_payload,
        principal.as_deref(),
    ) {
        Err(errors) => {
            send(text(json!({"id": id, "type": "error", "payload": errors})));
        }
        Ok(Some(mut sub)) => {
            // Read here, in the operation's own task: the socket writer's bounded channel is
            // this client's buffer, and a full one cuts the client off (`kill`).
            // The payload is already serialized (and shared between clients): splice it in.
            let id_json = Value::String(id.clone()).to_string();
            while let Some(r) = sub.next().await {
                let msg = format!(r#"{{"id":{id_json},"type":"next","payload":{r}}}"#);
                if !send(Message::Text(msg.into())) {
                    break;
                }
            }
            if sub.overflowed() {
                send(text(
                    json!({"id": id, "type": "error", "payload": [subscription::overflow_error()]}),
                ));
                kill.cancel();
            } else if !kill.is_cancelled() {
                send(text(json!({"id": id, "type": "complete"})));
            }
        }
        Ok(None) => {
            let supergraph = state.current();
            let ctx = Context {
                supergraph: &supergraph,
                client: &state.client,
                headers: &headers,
                principal: principal.as_deref(),
            };
            let (response, _) = pipeline::execute(&ctx, &req, false).await;
            if send(text(json!({"id": id, "type": "next", "payload": response}))) {
                send(text(json!({"id": id, "type": "complete"})));
            }
        }
    }
    subs.lock().remove(&id);
}
