//! Upstream subscription client: one graphql-transport-ws connection per client subscription to
//! the subgraph that owns the subscription root field.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::subgraph_client::SubgraphResponse;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Upstream {
    socket: Socket,
}

fn ws_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        url.to_string()
    }
}

impl Upstream {
    /// Connects, completes the `connection_init`/`connection_ack` handshake and subscribes.
    pub async fn subscribe(
        url: &str,
        query: &str,
        variables: Map<String, Value>,
        init_payload: Value,
        headers: &[(String, String)],
    ) -> Result<Upstream, String> {
        let mut request = ws_url(url)
            .into_client_request()
            .map_err(|e| format!("bad subgraph URL: {e}"))?;
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        for (k, v) in headers {
            if let (Ok(name), Ok(value)) = (
                k.parse::<tokio_tungstenite::tungstenite::http::HeaderName>(),
                HeaderValue::from_str(v),
            ) {
                request.headers_mut().insert(name, value);
            }
        }
        let (socket, _) = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(request),
        )
        .await
        .map_err(|_| "connection timed out".to_string())?
        .map_err(|e| format!("connection failed: {e}"))?;
        let mut up = Upstream { socket };
        up.send(json!({"type": "connection_init", "payload": init_payload}))
            .await?;
        let acked = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(msg) = up.socket.next().await {
                let Ok(Message::Text(text)) = msg else {
                    continue;
                };
                let v: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                match v.get("type").and_then(Value::as_str) {
                    Some("connection_ack") => return Ok(()),
                    Some("ping") => up.send(json!({"type": "pong"})).await?,
                    _ => {}
                }
            }
            Err("subgraph closed the connection during handshake".to_string())
        })
        .await
        .map_err(|_| "no connection_ack from subgraph".to_string())?;
        acked?;
        up.send(json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
            .await?;
        Ok(up)
    }

    async fn send(&mut self, v: Value) -> Result<(), String> {
        self.socket
            .send(Message::Text(v.to_string().into()))
            .await
            .map_err(|e| format!("send failed: {e}"))
    }

    /// The next event; `None` when the subgraph completed or closed.
    pub async fn next(&mut self) -> Option<Result<SubgraphResponse, String>> {
        while let Some(msg) = self.socket.next().await {
            let text = match msg {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            };
            let v: Value = match serde_json::from_str(text.as_str()) {
                Ok(v) => v,
                Err(_) => continue,
            };
            match v.get("type").and_then(Value::as_str) {
                Some("next") => {
                    let payload = v.get("payload").cloned().unwrap_or(Value::Null);
                    return Some(
                        serde_json::from_value(payload).map_err(|e| format!("bad event: {e}")),
                    );
                }
                Some("error") => {
                    let msg = v
                        .get("payload")
                        .and_then(|p| p.get(0))
                        .and_then(|e| e.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("subscription error")
                        .to_string();
                    return Some(Err(msg));
                }
                Some("complete") => return None,
                Some("ping") if self.send(json!({"type": "pong"})).await.is_err() => return None,
                _ => {}
            }
        }
        None
    }

    /// Tells the subgraph we are done and closes the socket.
    pub async fn close(mut self) {
        let _ = self.send(json!({"id": "1", "type": "complete"})).await;
        let _ = self.socket.close(None).await;
    }
}
