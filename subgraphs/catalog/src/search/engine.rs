//! The per-instance search engine: the in-memory [`Index`] behind a read-write lock, built from
//! the database at start-up and kept current by refreshing single products from the database —
//! right after this instance commits a change (read-your-writes) and whenever a
//! `product.*` / `variant.*` event arrives on this instance's fan-out queue (changes made
//! through other instances). Refreshes re-read the product, so event order does not matter.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kit::events::{Event, QueueSpec};
use kit::{AppError, Db, Service};
use parking_lot::{Mutex, RwLock};

use super::exec::{self, Outcome, Request};
use super::load;
use super::store::Index;

/// Products read per statement while building.
const BUILD_PAGE: i64 = 5000;
/// This instance's private queue (fan-out: every instance sees every event).
pub const QUEUE: &str = "catalog-search";
const BINDINGS: [&str; 2] = ["product.*", "variant.*"];

enum State {
    /// Building: refreshes asked for meanwhile, replayed once the index is in place.
    Building(Vec<String>),
    Ready,
}

/// Size and build figures, for logs and the latency example.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub docs: usize,
    pub terms: usize,
    pub heap_bytes: usize,
    pub build_time: Duration,
}

pub struct Engine {
    index: RwLock<Index>,
    state: Mutex<State>,
    /// Serialises refreshes, so a product read earlier is never applied after one read later.
    refreshing: tokio::sync::Mutex<()>,
    build_time: Mutex<Duration>,
    /// Ids of events this instance wrote and refreshes for itself after committing: their
    /// delivery back to this instance needs no second read.
    own: Mutex<HashSet<String>>,
}

/// Beyond this many undelivered own events the set is cleared (costing only extra refreshes).
const MAX_OWN: usize = 10_000;

/// Engines by the service they belong to (the kit's `Service` carries no extensions), held
/// until that service shuts down.
static ENGINES: std::sync::Mutex<Vec<(usize, Arc<Engine>)>> = std::sync::Mutex::new(Vec::new());

fn engines() -> std::sync::MutexGuard<'static, Vec<(usize, Arc<Engine>)>> {
    ENGINES.lock().unwrap_or_else(|e| e.into_inner())
}

fn key(svc: &Service) -> usize {
    Arc::as_ptr(&svc.config) as usize
}

impl Engine {
    fn new() -> Engine {
        Engine {
            index: RwLock::new(Index::default()),
            state: Mutex::new(State::Building(Vec::new())),
            refreshing: tokio::sync::Mutex::new(()),
            build_time: Mutex::new(Duration::ZERO),
            own: Mutex::new(HashSet::new()),
        }
    }

    /// Creates this service's engine, subscribes it to change events, then builds it.
    pub async fn start(svc: &Service) -> anyhow::Result<Arc<Engine>> {
        let engine = Arc::new(Engine::new());
        let owner = key(svc);
        engines().push((owner, engine.clone()));
        let stopped = svc.shutdown.clone();
        tokio::spawn(async move {
            stopped.cancelled().await;
            engines().retain(|(k, _)| *k != owner);
        });
        // Subscribe before reading, so no change committed during the build is missed.
        let db = svc.db.clone();
        let weak = Arc::downgrade(&engine);
        svc.consume(QueueSpec::fan_out(QUEUE, &BINDINGS), move |event: Event| {
            let db = db.clone();
            let engine = weak.upgrade();
            async move {
                let Some(engine) = engine else { return Ok(()) };
                if engine.own.lock().remove(&event.id) {
                    return Ok(());
                }
                let Some(id) = product_of(&event) else {
                    return Ok(());
                };
                engine
                    .refresh(&db, &[id])
                    .await
                    .map_err(AppError::into_anyhow)
            }
        })
        .await?;
        engine.build(&svc.db).await.map_err(AppError::into_anyhow)?;
        Ok(engine)
    }

    /// The engine of `svc`, once started.
    pub fn of(svc: &Service) -> Option<Arc<Engine>> {
        let k = key(svc);
        engines()
            .iter()
            .rev()
            .find(|(owner, _)| *owner == k)
            .map(|(_, e)| e.clone())
    }

    /// Reads every product, page by page, into a fresh index and puts it in place.
    async fn build(&self, db: &Db) -> Result<(), AppError> {
        let started = Instant::now();
        let mut fresh = Index::default();
        let mut after: Option<String> = None;
        loop {
            let (docs, last) = load::page(db, after.as_deref(), BUILD_PAGE).await?;
            for doc in &docs {
                fresh.upsert(doc);
            }
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        let (docs, terms) = (fresh.len(), fresh.vocab.len());
        *self.index.write() = fresh;
        let pending = match std::mem::replace(&mut *self.state.lock(), State::Ready) {
            State::Building(pending) => pending,
            State::Ready => Vec::new(),
        };
        let elapsed = started.elapsed();
        *self.build_time.lock() = elapsed;
        tracing::info!(
            docs,
            terms,
            elapsed_ms = elapsed.as_millis() as u64,
            "search index built"
        );
        if !pending.is_empty() {
            self.refresh(db, &pending).await?;
        }
        Ok(())
    }

    /// Re-reads `ids` from the database into the index.
    pub async fn refresh(&self, db: &Db, ids: &[String]) -> Result<(), AppError> {
        {
            let mut state = self.state.lock();
            if let State::Building(pending) = &mut *state {
                pending.extend(ids.iter().cloned());
                return Ok(());
            }
        }
        let _serial = self.refreshing.lock().await;
        let docs = load::by_ids(db, ids).await?;
        let mut index = self.index.write();
        for id in ids {
            let Ok(uid) = uuid::Uuid::parse_str(id) else {
                continue;
            };
            match docs.iter().find(|d| d.id == uid.as_u128()) {
                Some(doc) => index.upsert(doc),
                None => index.remove(uid.as_u128()),
            }
        }
        Ok(())
    }

    /// Runs one search against the current index.
    pub fn search(&self, req: &Request<'_>) -> Outcome {
        exec::run(&self.index.read(), req)
    }

    pub fn stats(&self) -> Stats {
        let index = self.index.read();
        Stats {
            docs: index.len(),
            terms: index.vocab.len(),
            heap_bytes: index.heap_bytes(),
            build_time: *self.build_time.lock(),
        }
    }
}

/// The product a change event is about.
fn product_of(event: &Event) -> Option<String> {
    let data = &event.data;
    let id = if event.event_type.starts_with("variant.") {
        data["productId"].as_str().map(str::to_string)
    } else {
        data["id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| event.subject.clone())
    };
    if id.is_none() {
        tracing::warn!(event = %event.id, kind = %event.event_type, "change event without a product id; ignored by search");
    }
    id
}

/// Before committing a change that `event` announces: this instance will refresh the product
/// itself ([`notify`]), so the event's own delivery here can be skipped.
pub fn expect_own(svc: &Service, event: &Event) {
    if let Some(engine) = Engine::of(svc) {
        let mut own = engine.own.lock();
        if own.len() >= MAX_OWN {
            own.clear();
        }
        own.insert(event.id.clone());
    }
}

/// After a commit on this instance: brings the products into this instance's engine before the
/// caller answers. A failure is logged, not returned — the change is committed — and the
/// commit's `events` are then left to refresh the product again when they arrive.
pub async fn notify(svc: &Service, ids: &[String], events: &[&Event]) {
    let Some(engine) = Engine::of(svc) else {
        return;
    };
    if let Err(err) = engine.refresh(&svc.db, ids).await {
        let mut own = engine.own.lock();
        for e in events {
            own.remove(&e.id);
        }
        tracing::warn!(error = ?err, "search refresh after a commit failed; the change event will retry");
    }
}
