//! Shared upstream subscriptions: every client subscription with the same (subgraph URL,
//! subgraph operation, variables, forwarded headers, `connection_init` payload) shares one
//! upstream operation, and each upstream event is broadcast once to all of them. Equal headers
//! and init payload are part of the key, so two users never share a subscription that could
//! depend on who is asking. Each event also carries a small cache of client payloads, so
//! clients with the same operation and variables resolve (fetching other subgraphs' fields)
//! and shape it once between them: with equal headers their results are equal.
//!
//! A share tells its subgraph how many clients it serves (`Operation::audience`, carried in
//! graphql-transport-ws pings; see `kit::server::audience`), so a subgraph that counts people —
//! livestream viewers — counts every client behind one upstream operation, not one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use serde_json::{Map, Value};
use tokio::sync::{broadcast, OnceCell};

use crate::subgraph_ws::{ConnKey, Operation, Pool, UpstreamEvent};

/// Operations one upstream socket carries before another is opened for the same credentials.
pub const OPS_PER_CONNECTION: usize = 1000;

/// Events a share buffers at least, whatever a client's own buffer is.
const MIN_SHARE_BUFFER: usize = 128;

/// A shaped client payload: the serialized GraphQL response of one event.
pub type Payload = Arc<str>;

/// One upstream event as every subscriber of a share sees it.
pub struct HubEvent {
    pub event: UpstreamEvent,
    shaped: Mutex<Vec<(u128, Arc<OnceCell<Payload>>)>>,
}

impl HubEvent {
    /// The payload for clients whose resolution and shaping is identified by `key`, made
    /// once: the first client to ask makes it and the others wait for it (if the maker goes
    /// away first, the next waiter makes it).
    pub async fn shaped<F>(&self, key: u128, make: impl FnOnce() -> F) -> Payload
    where
        F: Future<Output = Payload>,
    {
        let cell = {
            let mut cache = self.shaped.lock();
            match cache.iter().find(|(k, _)| *k == key) {
                Some((_, cell)) => cell.clone(),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    cache.push((key, cell.clone()));
                    cell
                }
            }
        };
        cell.get_or_init(make).await.clone()
    }
}

#[derive(Clone, Hash, PartialEq, Eq)]
struct ShareKey {
    conn: ConnKey,
    query: String,
    /// The variables the subgraph operation uses, serialized.
    variables: String,
}

/// A live shared upstream subscription; the last subscriber to drop it ends it upstream.
pub struct Share {
    tx: broadcast::Sender<Arc<HubEvent>>,
    done: Arc<AtomicBool>,
    key: ShareKey,
    hub: Weak<Hub>,
    op: Mutex<Option<Operation>>,
    /// Subscribers now, and every subscriber that ever joined.
    clients: AtomicUsize,
    joined: AtomicU64,
}

impl Share {
    fn join(&self) {
        self.clients.fetch_add(1, Ordering::AcqRel);
        self.joined.fetch_add(1, Ordering::AcqRel);
    }

    /// Tells the subgraph the share's clients. The counts are read under the operation's lock,
    /// so whichever report goes out last carries the latest figures, however joins and leaves
    /// on different threads interleave. One client (the default a subgraph assumes) and none
    /// (the operation is ending) need no report.
    fn report(&self) {
        let op = self.op.lock();
        let Some(op) = op.as_ref() else { return };
        let clients = self.clients.load(Ordering::Acquire);
        let joined = self.joined.load(Ordering::Acquire);
        if clients == 0 || (clients == 1 && joined == 1) {
            return;
        }
        op.audience(clients, joined);
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            let mut shares = hub.shares.lock();
            if shares
                .get(&self.key)
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
            {
                shares.remove(&self.key);
            }
        }
        // Dropping the operation completes it upstream (and closes an idle socket).
        self.op.lock().take();
    }
}

pub struct Hub {
    pool: Arc<Pool>,
    shares: Mutex<HashMap<ShareKey, Weak<Share>>>,
    /// Events a share keeps for subscribers that have not read them yet.
    capacity: usize,
}

/// A subscriber's handle: keep `share` alive as long as events are wanted.
pub struct Subscriber {
    pub share: Arc<Share>,
    pub events: broadcast::Receiver<Arc<HubEvent>>,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.share.clients.fetch_sub(1, Ordering::AcqRel);
        self.share.report();
    }
}

impl Hub {
    /// `max_ops`: operations per upstream socket; `capacity`: events buffered per share.
    pub fn new(max_ops: usize, capacity: usize) -> Arc<Hub> {
        Arc::new(Hub {
            pool: Pool::new(max_ops),
            shares: Mutex::new(HashMap::new()),
            // A shared ring of pointers, so it can be generous: a share must not lose events
            // to a burst that arrives before its subscribers' tasks run. Each client's own
            // bound (the slow-client cut-off) is its channel in `subscription`.
            capacity: capacity.max(MIN_SHARE_BUFFER),
        })
    }

    /// Upstream sockets open now.
    pub fn connections(&self) -> usize {
        self.pool.connections()
    }

    /// Upstream operations running now.
    pub fn shares(&self) -> usize {
        self.shares.lock().len()
    }

    /// Joins the share for this operation, starting it upstream if nobody runs it yet.
    pub fn subscribe(
        self: &Arc<Self>,
        url: &str,
        headers: &[(String, String)],
        init_payload: &Value,
        query: &str,
        variables: Map<String, Value>,
    ) -> Subscriber {
        let key = ShareKey {
            conn: ConnKey {
                url: url.to_string(),
                headers: headers.to_vec(),
                init: init_payload.to_string(),
            },
            query: query.to_string(),
            variables: Value::Object(variables.clone()).to_string(),
        };
        let mut shares = self.shares.lock();
        if let Some(share) = shares.get(&key).and_then(Weak::upgrade) {
            if !share.done.load(Ordering::Acquire) {
                let events = share.tx.subscribe();
                share.join();
                drop(shares);
                share.report();
                return Subscriber { share, events };
            }
        }
        let (tx, events) = broadcast::channel(self.capacity);
        let done = Arc::new(AtomicBool::new(false));
        let share = Arc::new(Share {
            tx: tx.clone(),
            done: done.clone(),
            key: key.clone(),
            hub: Arc::downgrade(self),
            op: Mutex::new(None),
            clients: AtomicUsize::new(0),
            joined: AtomicU64::new(0),
        });
        share.join();
        shares.insert(key.clone(), Arc::downgrade(&share));
        drop(shares);
        let hub = Arc::downgrade(self);
        let sink = Arc::new(move |event: UpstreamEvent| {
            let terminal = !matches!(event, UpstreamEvent::Next(_));
            let event = Arc::new(HubEvent {
                event,
                shaped: Mutex::new(Vec::new()),
            });
            if terminal {
                // Under the hub lock: a subscriber either joins before the end (and sees it)
                // or finds the share done and starts a new one.
                let hub = hub.upgrade();
                let _guard = hub.as_ref().map(|h| h.shares.lock());
                done.store(true, Ordering::Release);
                let _ = tx.send(event);
            } else {
                let _ = tx.send(event);
            }
        });
        let op = self.pool.subscribe(key.conn, query, variables, sink);
        *share.op.lock() = Some(op);
        // Clients that joined before the operation existed were not reported.
        share.report();
        Subscriber { share, events }
    }
}
