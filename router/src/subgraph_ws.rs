//! Upstream subscriptions: graphql-transport-ws connections to subgraphs, each carrying many
//! operations (one protocol id per operation). Connections are pooled by (URL, forwarded
//! headers, `connection_init` payload): only subscriptions with identical credentials ride the
//! same socket, so a subgraph always sees the user it would have seen on a socket of its own.
//! A connection closes when its last operation ends; up to `max_ops` operations share one.
//!
//! Each operation is named in its subscribe request (`extensions.audience`, its protocol id),
//! and the clients a shared operation serves are reported in `ping` payloads
//! (`{"audience": {"<id>": {"clients": n, "joined": m}}}`): changes queued together go out
//! in one ping.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::subgraph_client::SubgraphResponse;

/// What an upstream operation reports.
#[derive(Debug)]
pub enum UpstreamEvent {
    Next(SubgraphResponse),
    /// The subgraph rejected or ended the operation with an error.
    Error(String),
    /// The connection could not be opened or was lost.
    Failed(String),
    Complete,
}

/// Receives an operation's events; called on the connection's task, so it must not block.
pub type Sink = Arc<dyn Fn(UpstreamEvent) + Send + Sync>;

/// Sockets are shared only between subscriptions with exactly these equal.
#[derive(Clone, Hash, PartialEq, Eq)]
pub struct ConnKey {
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The `connection_init` payload, serialized.
    pub init: String,
}

enum Cmd {
    Subscribe {
        id: u64,
        payload: Value,
        sink: Sink,
    },
    Complete(u64),
    /// The operation's clients now and ever joined.
    Audience {
        id: u64,
        clients: usize,
        joined: u64,
    },
    Close,
}

struct Conn {
    cmd: mpsc::UnboundedSender<Cmd>,
    /// Operations currently on this connection (changed under the pool lock only).
    live: std::sync::atomic::AtomicUsize,
    dead: AtomicBool,
    next_id: AtomicU64,
}

/// The router's upstream subscription connections.
pub struct Pool {
    conns: Mutex<HashMap<ConnKey, Vec<Arc<Conn>>>>,
    max_ops: usize,
}

/// One operation on a shared connection; dropping it completes the operation upstream.
pub struct Operation {
    pool: Weak<Pool>,
    key: ConnKey,
    conn: Arc<Conn>,
    id: u64,
}

impl Pool {
    pub fn new(max_ops: usize) -> Arc<Pool> {
        Arc::new(Pool {
            conns: Mutex::new(HashMap::new()),
            max_ops: max_ops.max(1),
        })
    }

    /// Open upstream sockets (for tests and metrics).
    pub fn connections(&self) -> usize {
        self.conns.lock().values().map(Vec::len).sum()
    }

    /// Starts `query` on a connection for `key` (opening one if none has room). Events,
    /// including a failure to connect, arrive at `sink`.
    pub fn subscribe(
        self: &Arc<Self>,
        key: ConnKey,
        query: &str,
        variables: Map<String, Value>,
        sink: Sink,
    ) -> Operation {
        let conn = {
            let mut conns = self.conns.lock();
            let list = conns.entry(key.clone()).or_default();
            let found = list
                .iter()
                .find(|c| {
                    !c.dead.load(Ordering::Acquire) && c.live.load(Ordering::Relaxed) < self.max_ops
                })
                .cloned();
            let conn = found.unwrap_or_else(|| {
                let conn = spawn_conn(Arc::downgrade(self), key.clone());
                list.push(conn.clone());
                conn
            });
            conn.live.fetch_add(1, Ordering::Relaxed);
            conn
        };
        let id = conn.next_id.fetch_add(1, Ordering::Relaxed);
        let payload = json!({
            "query": query,
            "variables": variables,
            "extensions": {"audience": id.to_string()},
        });
        if let Err(mpsc::error::SendError(Cmd::Subscribe { sink, .. })) =
            conn.cmd.send(Cmd::Subscribe { id, payload, sink })
        {
            sink(UpstreamEvent::Failed("subgraph connection closed".into()));
        }
        Operation {
            pool: Arc::downgrade(self),
            key,
            conn,
            id,
        }
    }

    fn forget(&self, key: &ConnKey, conn: &Arc<Conn>) {
        let mut conns = self.conns.lock();
        conn.dead.store(true, Ordering::Release);
        if let Some(list) = conns.get_mut(key) {
            list.retain(|c| !Arc::ptr_eq(c, conn));
            if list.is_empty() {
                conns.remove(key);
            }
        }
    }
}

impl Operation {
    /// Reports the clients this operation serves to the subgraph.
    pub fn audience(&self, clients: usize, joined: u64) {
        let _ = self.conn.cmd.send(Cmd::Audience {
            id: self.id,
            clients,
            joined,
        });
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        let _ = self.conn.cmd.send(Cmd::Complete(self.id));
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        let mut conns = pool.conns.lock();
        if self.conn.live.fetch_sub(1, Ordering::Relaxed) == 1 {
            // Last operation: close the socket and stop offering it.
            self.conn.dead.store(true, Ordering::Release);
            if let Some(list) = conns.get_mut(&self.key) {
                list.retain(|c| !Arc::ptr_eq(c, &self.conn));
                if list.is_empty() {
                    conns.remove(&self.key);
                }
            }
            let _ = self.conn.cmd.send(Cmd::Close);
        }
    }
}

fn spawn_conn(pool: Weak<Pool>, key: ConnKey) -> Arc<Conn> {
    let (tx, rx) = mpsc::unbounded_channel();
    let conn = Arc::new(Conn {
        cmd: tx,
        live: Default::default(),
        dead: AtomicBool::new(false),
        next_id: AtomicU64::new(1),
    });
    tokio::spawn(run_conn(pool, key, conn.clone(), rx));
    conn
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

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

/// Connects and completes the `connection_init`/`connection_ack` handshake.
async fn connect(key: &ConnKey) -> Result<Socket, String> {
    let mut request = ws_url(&key.url)
        .into_client_request()
        .map_err(|e| format!("bad subgraph URL: {e}"))?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    for (k, v) in &key.headers {
        if let (Ok(name), Ok(value)) = (k.parse::<HeaderName>(), HeaderValue::from_str(v)) {
            request.headers_mut().insert(name, value);
        }
    }
    // Events are small; a shared socket needs no 128 KiB buffers.
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0);
    let (mut socket, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_with_config(request, Some(config), false),
    )
    .await
    .map_err(|_| "connection timed out".to_string())?
    .map_err(|e| format!("connection failed: {e}"))?;
    let init: Value = serde_json::from_str(&key.init).unwrap_or(json!({}));
    socket
        .send(text(json!({"type": "connection_init", "payload": init})))
        .await
        .map_err(|e| format!("send failed: {e}"))?;
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(msg) = socket.next().await {
            let Ok(Message::Text(t)) = msg else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
            match v.get("type").and_then(Value::as_str) {
                Some("connection_ack") => return Ok(()),
                Some("ping") => {
                    let _ = socket.send(text(json!({"type": "pong"}))).await;
                }
                _ => {}
            }
        }
        Err("subgraph closed the connection during handshake".to_string())
    })
    .await
    .map_err(|_| "no connection_ack from subgraph".to_string())??;
    Ok(socket)
}

async fn run_conn(
    pool: Weak<Pool>,
    key: ConnKey,
    conn: Arc<Conn>,
    mut rx: mpsc::UnboundedReceiver<Cmd>,
) {
    let mut ops: HashMap<u64, Sink> = HashMap::new();
    let (mut socket, reason) = match connect(&key).await {
        Ok(s) => (Some(s), String::new()),
        Err(e) => (None, e),
    };
    if let Some(socket) = socket.as_mut() {
        // Audience reports waiting for the next ping, by operation.
        let mut audience: HashMap<u64, (usize, u64)> = HashMap::new();
        'run: loop {
            tokio::select! {
                cmd = rx.recv() => {
                    // Take every command already queued, so a burst of joins is one ping.
                    let mut cmd = cmd;
                    loop {
                        match command(socket, &mut ops, &mut audience, cmd).await {
                            Flow::Go => {}
                            Flow::Lost => break 'run,
                            Flow::Close => {
                                let _ = socket.close(None).await;
                                return;
                            }
                        }
                        match rx.try_recv() {
                            Ok(next) => cmd = Some(next),
                            Err(_) => break,
                        }
                    }
                    if !audience.is_empty() {
                        let counts: Map<String, Value> = audience
                            .drain()
                            .filter(|(id, _)| ops.contains_key(id))
                            .map(|(id, (clients, joined))| {
                                (id.to_string(), json!({"clients": clients, "joined": joined}))
                            })
                            .collect();
                        if !counts.is_empty() {
                            let ping = json!({"type": "ping", "payload": {"audience": counts}});
                            if socket.send(text(ping)).await.is_err() {
                                break 'run;
                            }
                        }
                    }
                }
                msg = socket.next() => {
                    let t = match msg {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => continue,
                    };
                    if !dispatch(socket, &mut ops, t.as_str()).await {
                        break;
                    }
                }
            }
        }
    }
    // Connection failed or lost: stop offering it, then fail everything on it or queued for it.
    if let Some(pool) = pool.upgrade() {
        pool.forget(&key, &conn);
    }
    let reason = if reason.is_empty() {
        "subgraph closed the connection".to_string()
    } else {
        reason
    };
    for (_, sink) in ops.drain() {
        sink(UpstreamEvent::Failed(reason.clone()));
    }
    rx.close();
    while let Ok(cmd) = rx.try_recv() {
        if let Cmd::Subscribe { sink, .. } = cmd {
            sink(UpstreamEvent::Failed(reason.clone()));
        }
    }
}

enum Flow {
    Go,
    /// The socket failed.
    Lost,
    /// The pool closed the connection.
    Close,
}

/// Carries out one command from the pool (audience reports are only collected).
async fn command(
    socket: &mut Socket,
    ops: &mut HashMap<u64, Sink>,
    audience: &mut HashMap<u64, (usize, u64)>,
    cmd: Option<Cmd>,
) -> Flow {
    match cmd {
        Some(Cmd::Subscribe { id, payload, sink }) => {
            let msg = json!({"id": id.to_string(), "type": "subscribe", "payload": payload});
            if socket.send(text(msg)).await.is_err() {
                sink(UpstreamEvent::Failed("send failed".into()));
                return Flow::Lost;
            }
            ops.insert(id, sink);
        }
        Some(Cmd::Complete(id)) => {
            audience.remove(&id);
            if ops.remove(&id).is_some() {
                let msg = json!({"id": id.to_string(), "type": "complete"});
                let _ = socket.send(text(msg)).await;
            }
        }
        Some(Cmd::Audience {
            id,
            clients,
            joined,
        }) => {
            audience.insert(id, (clients, joined));
        }
        Some(Cmd::Close) | None => return Flow::Close,
    }
    Flow::Go
}

/// Handles one server message; `false` when the connection must end.
async fn dispatch(socket: &mut Socket, ops: &mut HashMap<u64, Sink>, text_msg: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(text_msg) else {
        return true;
    };
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok());
    match v.get("type").and_then(Value::as_str) {
        Some("next") => {
            if let Some(sink) = id.and_then(|id| ops.get(&id)) {
                let payload = v.get("payload").cloned().unwrap_or(Value::Null);
                match serde_json::from_value::<SubgraphResponse>(payload) {
                    Ok(r) => sink(UpstreamEvent::Next(r)),
                    Err(e) => sink(UpstreamEvent::Error(format!("bad event: {e}"))),
                }
            }
        }
        Some("error") => {
            if let Some(sink) = id.and_then(|id| ops.remove(&id)) {
                let msg = v
                    .get("payload")
                    .and_then(|p| p.get(0))
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("subscription error")
                    .to_string();
                sink(UpstreamEvent::Error(msg));
            }
        }
        Some("complete") => {
            if let Some(sink) = id.and_then(|id| ops.remove(&id)) {
                sink(UpstreamEvent::Complete);
            }
        }
        Some("ping") => return socket.send(text(json!({"type": "pong"}))).await.is_ok(),
        _ => {}
    }
    true
}
