//! The in-process event bus for the embedded default: the same queue semantics as the RabbitMQ
//! transport (topic bindings, competing consumers on a named queue, fan-out queues, retries and
//! a dead-letter list) without a broker. Shared by every subgraph the launcher runs in one process.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{topic, Event, EventStats, Handler, QueueMode, QueueSpec, Transport};

struct Queue {
    name: String,
    bindings: Vec<String>,
    sender: mpsc::UnboundedSender<Delivery>,
}

struct Delivery {
    event: Event,
    attempt: u32,
}

pub struct MemoryBus {
    queues: Mutex<Vec<Queue>>,
    dead_letters: Arc<Mutex<Vec<(String, Event)>>>,
    max_attempts: u32,
    stats: Arc<EventStats>,
    shutdown: CancellationToken,
}

impl MemoryBus {
    pub fn new(max_attempts: u32, stats: Arc<EventStats>, shutdown: CancellationToken) -> Self {
        MemoryBus {
            queues: Mutex::new(Vec::new()),
            dead_letters: Arc::default(),
            max_attempts: max_attempts.max(1),
            stats,
            shutdown,
        }
    }

    /// Events that exhausted their attempts, with the queue that gave up on them.
    pub fn dead_letters(&self) -> Vec<(String, Event)> {
        self.dead_letters.lock().clone()
    }
}

#[async_trait::async_trait]
impl Transport for MemoryBus {
    async fn publish_batch(&self, events: &[Event]) -> anyhow::Result<()> {
        let queues = self.queues.lock();
        for event in events {
            for queue in queues.iter() {
                if queue
                    .bindings
                    .iter()
                    .any(|b| topic::matches(b, &event.event_type))
                {
                    let _ = queue.sender.send(Delivery {
                        event: event.clone(),
                        attempt: 1,
                    });
                }
            }
            self.stats.published.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    async fn consume(&self, spec: QueueSpec, handler: Handler) -> anyhow::Result<()> {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Delivery>();
        {
            let mut queues = self.queues.lock();
            // In one process a durable queue has exactly one worker loop; a second registration
            // would split its events, which is never what a caller in the same process wants.
            if spec.mode == QueueMode::Durable && queues.iter().any(|q| q.name == spec.name) {
                anyhow::bail!("queue {} already has a consumer in this process", spec.name);
            }
            queues.push(Queue {
                name: spec.name.clone(),
                bindings: spec.bindings.clone(),
                sender: sender.clone(),
            });
        }
        let max_attempts = self.max_attempts;
        let stats = self.stats.clone();
        let shutdown = self.shutdown.clone();
        let dead_letters = self.dead_letters.clone();
        let queue = spec.name;
        tokio::spawn(async move {
            loop {
                let delivery = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    d = receiver.recv() => match d { Some(d) => d, None => break },
                };
                let Err(err) = handler(delivery.event.clone()).await else {
                    stats.consumed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                if delivery.attempt >= max_attempts {
                    tracing::error!(%queue, event = %delivery.event.id, error = ?err, "event dead-lettered");
                    stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    dead_letters.lock().push((queue.clone(), delivery.event));
                    continue;
                }
                tracing::warn!(%queue, event = %delivery.event.id, attempt = delivery.attempt, error = ?err, "event handler failed; retrying");
                let retry = sender.clone();
                let backoff = Duration::from_millis(50 << delivery.attempt.min(8));
                tokio::spawn(async move {
                    tokio::time::sleep(backoff).await;
                    let _ = retry.send(Delivery {
                        attempt: delivery.attempt + 1,
                        ..delivery
                    });
                });
            }
        });
        Ok(())
    }

    async fn ready(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
