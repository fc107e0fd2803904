//! The RabbitMQ transport (lapin). One topic exchange; each consumer has a durable queue with its
//! bindings and a dead-letter queue, or a private fan-out queue per instance. Publishing waits for
//! publisher confirms; consumers ack manually. A lost connection is re-established with
//! exponential backoff by whichever side notices first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::{Event, EventStats, Handler, QueueMode, QueueSpec, Transport};

const ATTEMPT_HEADER: &str = "x-attempt";
const MAX_BACKOFF: Duration = Duration::from_secs(10);

pub struct AmqpTransport {
    url: String,
    exchange: String,
    queue_prefix: String,
    max_attempts: u32,
    /// Publishing connection and its confirm-mode channel, re-created after a failure.
    publisher: Mutex<Option<(Connection, Channel)>>,
    connected: Arc<AtomicBool>,
    stats: Arc<EventStats>,
    shutdown: CancellationToken,
    service: String,
}

impl AmqpTransport {
    pub fn new(
        service: &str,
        url: &str,
        exchange: &str,
        queue_prefix: &str,
        max_attempts: u32,
        stats: Arc<EventStats>,
        shutdown: CancellationToken,
    ) -> Self {
        AmqpTransport {
            url: url.to_string(),
            exchange: exchange.to_string(),
            queue_prefix: queue_prefix.to_string(),
            max_attempts: max_attempts.max(1),
            publisher: Mutex::new(None),
            connected: Arc::new(AtomicBool::new(false)),
            stats,
            shutdown,
            service: service.to_string(),
        }
    }

    async fn connect(&self, role: &str) -> anyhow::Result<Connection> {
        connect(&self.url, &format!("{}-{role}", self.service)).await
    }
}

async fn connect(url: &str, name: &str) -> anyhow::Result<Connection> {
    let props = ConnectionProperties::default().with_connection_name(name.to_string().into());
    tokio::time::timeout(Duration::from_secs(10), Connection::connect(url, props))
        .await
        .context("timed out connecting to RabbitMQ")?
        .context("cannot connect to RabbitMQ")
}

async fn declare_exchange(channel: &Channel, exchange: &str) -> anyhow::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .exchange_declare(
            exchange,
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await?;
    channel
        .exchange_declare(
            &format!("{exchange}.dlx"),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

fn persistent(event_id: &str, attempt: u32) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert(
        ATTEMPT_HEADER.into(),
        AMQPValue::LongLongInt(attempt as i64),
    );
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(event_id.into())
        .with_headers(headers)
}

fn attempt_of(props: &BasicProperties) -> u32 {
    props
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(&ShortString::from(ATTEMPT_HEADER)).cloned())
        .and_then(|v| match v {
            AMQPValue::LongLongInt(n) => Some(n as u32),
            AMQPValue::LongInt(n) => Some(n as u32),
            AMQPValue::LongUInt(n) => Some(n),
            _ => None,
        })
        .unwrap_or(1)
}

#[async_trait::async_trait]
impl Transport for AmqpTransport {
    async fn publish_batch(&self, events: &[Event]) -> anyhow::Result<()> {
        let mut guard = self.publisher.lock().await;
        if guard
            .as_ref()
            .is_none_or(|(c, ch)| !c.status().connected() || !ch.status().connected())
        {
            let conn = self.connect("publisher").await.inspect_err(|_| {
                self.connected.store(false, Ordering::Relaxed);
            })?;
            let channel = conn.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            declare_exchange(&channel, &self.exchange).await?;
            *guard = Some((conn, channel));
            self.connected.store(true, Ordering::Relaxed);
        }
        let (_, channel) = guard.as_ref().expect("publisher connected above");
        let result: anyhow::Result<()> = async {
            let mut confirms = Vec::with_capacity(events.len());
            for event in events {
                let payload = serde_json::to_vec(event)?;
                let confirm = channel
                    .basic_publish(
                        &self.exchange,
                        &event.event_type,
                        BasicPublishOptions::default(),
                        &payload,
                        persistent(&event.id, 1),
                    )
                    .await?;
                confirms.push(confirm);
            }
            for confirm in confirms {
                let confirmation = confirm.await?;
                anyhow::ensure!(
                    !confirmation.is_nack(),
                    "RabbitMQ refused (nacked) an event"
                );
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => {
                self.stats
                    .published
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(err) => {
                // Drop the connection so the next attempt starts clean.
                *guard = None;
                self.connected.store(false, Ordering::Relaxed);
                Err(err)
            }
        }
    }

    async fn consume(&self, spec: QueueSpec, handler: Handler) -> anyhow::Result<()> {
        let worker = Consumer {
            url: self.url.clone(),
            exchange: self.exchange.clone(),
            queue: match spec.mode {
                QueueMode::Durable => format!("{}{}", self.queue_prefix, spec.name),
                QueueMode::FanOut => {
                    format!(
                        "{}{}.{}",
                        self.queue_prefix,
                        spec.name,
                        crate::ids::new_id()
                    )
                }
            },
            spec,
            handler,
            max_attempts: self.max_attempts,
            stats: self.stats.clone(),
            connected: self.connected.clone(),
            name: format!("{}-consumer", self.service),
        };
        // Declare once now so events published from here on are kept even before the loop
        // below gets going; if the broker is down the loop keeps trying.
        if let Err(err) = worker.declare_only().await {
            tracing::warn!(queue = %worker.queue, error = %err, "RabbitMQ unavailable; consumer will retry");
        }
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move { worker.run(shutdown).await });
        Ok(())
    }

    async fn ready(&self) -> bool {
        if self.connected.load(Ordering::Relaxed) {
            return true;
        }
        match self.connect("probe").await {
            Ok(conn) => {
                let _ = conn.close(200, "probe").await;
                true
            }
            Err(_) => false,
        }
    }

    fn name(&self) -> &'static str {
        "rabbitmq"
    }
}

struct Consumer {
    url: String,
    exchange: String,
    queue: String,
    spec: QueueSpec,
    handler: Handler,
    max_attempts: u32,
    stats: Arc<EventStats>,
    connected: Arc<AtomicBool>,
    name: String,
}

impl Consumer {
    async fn declare_only(&self) -> anyhow::Result<()> {
        if self.spec.mode == QueueMode::FanOut {
            return Ok(()); // exclusive queues live only as long as their connection
        }
        let conn = connect(&self.url, &self.name).await?;
        let channel = conn.create_channel().await?;
        self.declare(&channel).await?;
        let _ = conn.close(200, "declared").await;
        Ok(())
    }

    async fn declare(&self, channel: &Channel) -> anyhow::Result<()> {
        declare_exchange(channel, &self.exchange).await?;
        let dlx = format!("{}.dlx", self.exchange);
        let (options, args) = match self.spec.mode {
            QueueMode::Durable => {
                let dlq = format!("{}.dlq", self.queue);
                channel
                    .queue_declare(
                        &dlq,
                        QueueDeclareOptions {
                            durable: true,
                            ..Default::default()
                        },
                        FieldTable::default(),
                    )
                    .await?;
                channel
                    .queue_bind(
                        &dlq,
                        &dlx,
                        &self.queue,
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                let mut args = FieldTable::default();
                args.insert(
                    "x-dead-letter-exchange".into(),
                    AMQPValue::LongString(dlx.into()),
                );
                args.insert(
                    "x-dead-letter-routing-key".into(),
                    AMQPValue::LongString(self.queue.clone().into()),
                );
                (
                    QueueDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    args,
                )
            }
            QueueMode::FanOut => (
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..Default::default()
                },
                FieldTable::default(),
            ),
        };
        channel.queue_declare(&self.queue, options, args).await?;
        for binding in &self.spec.bindings {
            channel
                .queue_bind(
                    &self.queue,
                    &self.exchange,
                    binding,
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }

    /// Connects, consumes until the connection fails, and starts over with backoff.
    async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let session = tokio::select! {
                _ = shutdown.cancelled() => return,
                r = self.session() => r,
            };
            match session {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(err) => {
                    self.connected.store(false, Ordering::Relaxed);
                    tracing::warn!(queue = %self.queue, error = %err, retry_in = ?backoff, "RabbitMQ consumer disconnected");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn session(&self) -> anyhow::Result<()> {
        let conn = connect(&self.url, &self.name).await?;
        let channel = conn.create_channel().await?;
        self.declare(&channel).await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        channel.basic_qos(32, BasicQosOptions::default()).await?;
        let mut deliveries = channel
            .basic_consume(
                &self.queue,
                "",
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.connected.store(true, Ordering::Relaxed);
        tracing::info!(queue = %self.queue, "consuming from RabbitMQ");
        while let Some(delivery) = deliveries.next().await {
            let delivery = delivery?;
            let attempt = attempt_of(&delivery.properties);
            let event: Event = match serde_json::from_slice(&delivery.data) {
                Ok(event) => event,
                Err(err) => {
                    tracing::error!(queue = %self.queue, error = %err, "malformed event dead-lettered");
                    self.stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    delivery
                        .nack(BasicNackOptions {
                            requeue: false,
                            ..Default::default()
                        })
                        .await?;
                    continue;
                }
            };
            match (self.handler)(event.clone()).await {
                Ok(()) => {
                    self.stats.consumed.fetch_add(1, Ordering::Relaxed);
                    delivery.ack(BasicAckOptions::default()).await?;
                }
                Err(err) if attempt >= self.max_attempts || self.spec.mode == QueueMode::FanOut => {
                    tracing::error!(queue = %self.queue, event = %event.id, attempt, error = ?err, "event dead-lettered");
                    self.stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    self.stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    delivery
                        .nack(BasicNackOptions {
                            requeue: false,
                            ..Default::default()
                        })
                        .await?;
                }
                Err(err) => {
                    tracing::warn!(queue = %self.queue, event = %event.id, attempt, error = ?err, "event handler failed; retrying");
                    self.stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50 << attempt.min(8))).await;
                    // Re-queue a copy carrying the attempt count (classic queues do not count
                    // deliveries), then drop the original.
                    channel
                        .basic_publish(
                            "",
                            &self.queue,
                            BasicPublishOptions::default(),
                            &delivery.data,
                            persistent(&event.id, attempt + 1),
                        )
                        .await?
                        .await?;
                    delivery.ack(BasicAckOptions::default()).await?;
                }
            }
        }
        anyhow::bail!("delivery stream ended")
    }
}
