//! How many clients one upstream subscription serves. A router that shares one upstream
//! operation between many clients (same operation, variables and credentials) names the
//! operation in its subscribe request (`extensions.audience`, a key unique on the socket) and
//! reports the operation's clients in graphql-transport-ws `ping` payloads whenever they change:
//! `{"audience": {"<key>": {"clients": 3, "joined": 5}}}`. A subscription resolver that counts
//! people (livestream viewers) asks [`audience`] for a live handle; without a router in front
//! (or one that does not share) an operation is one client.
//!
//! The counts live on the socket (connection data), so they end with it: a router that dies
//! takes its sockets, and with them every count it reported.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Context, Data, Request, ServerResult};
use parking_lot::Mutex;
use serde_json::Value;

/// One operation's clients as the router last reported them.
#[derive(Debug)]
pub struct Count {
    /// Clients subscribed now.
    clients: AtomicI64,
    /// Clients that ever joined the operation (for counting anonymous visitors).
    joined: AtomicI64,
}

impl Count {
    fn new() -> Self {
        Count {
            clients: AtomicI64::new(1),
            joined: AtomicI64::new(1),
        }
    }

    pub fn clients(&self) -> i64 {
        self.clients.load(Ordering::Relaxed)
    }

    pub fn joined(&self) -> i64 {
        self.joined.load(Ordering::Relaxed)
    }
}

/// The counts of one WebSocket connection's operations, by the router's key.
#[derive(Default)]
pub struct Audience(Mutex<HashMap<String, Arc<Count>>>);

impl Audience {
    fn entry(&self, key: &str) -> Arc<Count> {
        self.0
            .lock()
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(Count::new()))
            .clone()
    }

    /// Applies a ping payload's `audience` object; anything else in the payload is ignored.
    pub fn apply(&self, payload: &Value) {
        let Some(counts) = payload.get("audience").and_then(Value::as_object) else {
            return;
        };
        for (key, v) in counts {
            let (Some(clients), joined) = (
                v.get("clients").and_then(Value::as_i64),
                v.get("joined").and_then(Value::as_i64),
            ) else {
                continue;
            };
            let count = self.entry(key);
            count.clients.store(clients.max(0), Ordering::Relaxed);
            if let Some(joined) = joined {
                count.joined.fetch_max(joined, Ordering::Relaxed);
            }
        }
    }
}

/// The key a router gave the operation, lifted from the request's extensions into its data.
struct AudienceKey(String);

/// The live client count of the subscription being resolved. Dropping the last handle of an
/// operation forgets its count on the connection.
pub struct Handle {
    count: Arc<Count>,
    owner: Option<(Arc<Audience>, String)>,
}

impl Handle {
    pub fn clients(&self) -> i64 {
        self.count.clients()
    }

    pub fn joined(&self) -> i64 {
        self.count.joined()
    }

    /// The shared count itself (readers that outlive a borrow of the handle).
    pub fn count(&self) -> Arc<Count> {
        self.count.clone()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some((audience, key)) = &self.owner {
            let mut map = audience.0.lock();
            if map.get(key).is_some_and(|c| Arc::ptr_eq(c, &self.count)) {
                map.remove(key);
            }
        }
    }
}

/// The clients the current subscription serves: the router's reported count when it named the
/// operation, else one.
pub fn audience(ctx: &Context<'_>) -> Handle {
    let audience = ctx.data_opt::<Arc<Audience>>();
    let key = ctx.data_opt::<AudienceKey>();
    match (audience, key) {
        (Some(audience), Some(AudienceKey(key))) => Handle {
            count: audience.entry(key),
            owner: Some((audience.clone(), key.clone())),
        },
        _ => Handle {
            count: Arc::new(Count::new()),
            owner: None,
        },
    }
}

/// Connection data for a new WebSocket connection: its (empty) audience table.
pub fn connection_data(data: &mut Data) {
    data.insert(Arc::new(Audience::default()));
}

/// The graphql-transport-ws ping handler: records the audience a router reports (before the
/// pong, so a count is in place by the time the router sees the answer); the pong carries
/// nothing.
pub fn on_ping(
    data: Option<&Data>,
    payload: Option<Value>,
) -> std::future::Ready<async_graphql::Result<Option<Value>>> {
    let table = data
        .and_then(|d| d.get(&std::any::TypeId::of::<Arc<Audience>>()))
        .and_then(|b| b.downcast_ref::<Arc<Audience>>());
    if let (Some(table), Some(payload)) = (table, payload) {
        table.apply(&payload);
    }
    std::future::ready(Ok(None))
}

/// Schema extension that makes `extensions.audience` of a request visible to [`audience`].
pub struct AudienceExtension;

impl ExtensionFactory for AudienceExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LiftKey)
    }
}

struct LiftKey;

#[async_trait::async_trait]
impl Extension for LiftKey {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Some(async_graphql::Value::String(key)) = request.extensions.get("audience") {
            let key = key.clone();
            request = request.data(AudienceKey(key));
        }
        next.run(ctx, request).await
    }
}
