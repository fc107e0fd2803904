//! Domain events: the CloudEvents envelope, the transport trait with its two implementations
//! (RabbitMQ and the in-process bus), the transactional outbox and idempotent consumers, and
//! the product-status read model several consumers share.

pub mod amqp;
pub mod consumer;
pub mod memory;
pub mod outbox;
pub mod product_status;
pub mod topic;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use consumer::claim;

/// An event in CloudEvents attribute names (structured JSON mode). Routing key = `type`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub specversion: String,
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default = "json_content_type")]
    pub datacontenttype: String,
    pub data: serde_json::Value,
}

fn json_content_type() -> String {
    "application/json".into()
}

impl Event {
    pub fn new(
        source_service: &str,
        event_type: &str,
        subject: Option<String>,
        data: serde_json::Value,
    ) -> Event {
        Event {
            specversion: "1.0".into(),
            id: crate::ids::new_id(),
            source: format!("/subgraphs/{source_service}"),
            event_type: event_type.into(),
            time: Utc::now(),
            subject,
            datacontenttype: json_content_type(),
            data,
        }
    }
}

/// How a consumer's queue behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueMode {
    /// One durable queue shared by all instances of the consumer (competing consumers), with a
    /// dead-letter queue after too many failed attempts.
    Durable,
    /// A private, exclusive queue per instance: every instance sees every event (used to fan
    /// events out to subscription clients connected to any instance).
    FanOut,
}

#[derive(Debug, Clone)]
pub struct QueueSpec {
    /// Queue name (the consuming subgraph, plus a suffix if it has several consumers).
    pub name: String,
    /// Topic patterns: `*` matches one word, `#` zero or more (`order.*`, `#`).
    pub bindings: Vec<String>,
    pub mode: QueueMode,
}

impl QueueSpec {
    pub fn durable(name: impl Into<String>, bindings: &[&str]) -> Self {
        QueueSpec {
            name: name.into(),
            bindings: bindings.iter().map(|b| b.to_string()).collect(),
            mode: QueueMode::Durable,
        }
    }
    pub fn fan_out(name: impl Into<String>, bindings: &[&str]) -> Self {
        QueueSpec {
            mode: QueueMode::FanOut,
            ..Self::durable(name, bindings)
        }
    }
}

/// A consumer's handler. An `Err` means "retry later"; after the configured attempts the
/// message is dead-lettered.
pub type Handler = Arc<dyn Fn(Event) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Wraps an async closure as a [`Handler`].
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    Arc::new(move |event| Box::pin(f(event)))
}

/// A message broker. Publishing returns only once the broker has taken the event (publisher
/// confirms); consuming runs in the background until shutdown.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    async fn publish_batch(&self, events: &[Event]) -> anyhow::Result<()>;
    /// Declares the queue now and delivers matching events to `handler` in the background.
    async fn consume(&self, spec: QueueSpec, handler: Handler) -> anyhow::Result<()>;
    async fn ready(&self) -> bool;
    fn name(&self) -> &'static str;
}

/// Counters the transports and the relay keep, shown on `/metrics`.
#[derive(Default, Debug)]
pub struct EventStats {
    pub published: std::sync::atomic::AtomicU64,
    pub consumed: std::sync::atomic::AtomicU64,
    pub failed_attempts: std::sync::atomic::AtomicU64,
    pub dead_lettered: std::sync::atomic::AtomicU64,
}
