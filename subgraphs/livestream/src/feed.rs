//! `livestreamEvents(streamId)`: what happens on a stream, as it happens. Every instance runs a
//! fan-out consumer of `livestream.*` events (its own queue, so it sees every event whichever
//! instance made the change) feeding an in-process broadcast channel; each subscriber keeps
//! its stream's events and uses their `seq` to pass each one on once and in order. Nothing here
//! calls another subgraph or the database per subscriber.

use std::sync::Arc;

use async_graphql::{Context, Result, SimpleObject, Subscription, Union, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use kit::auth::optional_caller;
use kit::events::{Event, QueueSpec};
use kit::ids::parse_id;
use kit::schema::service;
use kit::server::audience::audience;
use kit::{AppError, Service};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::chat::ChatMessage;
use crate::pins::Pin;
use crate::settings::Settings;
use crate::status::LivestreamStatus;
use crate::stream;
use crate::viewers::Viewers;

/// The stream moved along its status table.
#[derive(Debug, Clone, SimpleObject)]
pub struct StatusChanged {
    pub livestream_id: ID,
    pub seq: i64,
    pub from: LivestreamStatus,
    pub to: LivestreamStatus,
    pub at: DateTime<Utc>,
}

/// Someone posted to the chat.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChatPosted {
    pub livestream_id: ID,
    pub seq: i64,
    pub message: ChatMessage,
}

/// Staff removed a chat message.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChatDeleted {
    pub livestream_id: ID,
    pub seq: i64,
    pub message_id: ID,
}

/// The host pinned a product (with its live deal, if any).
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductPinned {
    pub livestream_id: ID,
    pub seq: i64,
    pub pin: Pin,
}

/// The host took a pin down.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProductUnpinned {
    pub livestream_id: ID,
    pub seq: i64,
    pub pin_id: ID,
    pub product_id: ID,
}

/// Units were claimed from a live deal or given back.
#[derive(Debug, Clone, SimpleObject)]
pub struct LiveDealChanged {
    pub livestream_id: ID,
    pub seq: i64,
    pub pin_id: ID,
    pub remaining: i64,
}

/// How many are watching (every instance's subscribers), every few seconds while someone is.
#[derive(Debug, Clone, SimpleObject)]
pub struct ViewerCount {
    pub livestream_id: ID,
    pub viewers: i64,
}

/// A paid order included items bought from the stream (no buyer identity).
#[derive(Debug, Clone, SimpleObject)]
pub struct JustBought {
    pub livestream_id: ID,
    pub seq: i64,
    pub items: Vec<BoughtItem>,
    /// Units of the order attributed to the stream.
    pub units: i64,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct BoughtItem {
    pub product_id: Option<ID>,
    pub variant_id: Option<ID>,
    pub title: Option<String>,
    pub quantity: i64,
}

/// One thing that happened on a stream; switch on `__typename`.
#[derive(Debug, Clone, Union)]
pub enum LivestreamEvent {
    StatusChanged(StatusChanged),
    ChatPosted(ChatPosted),
    ChatDeleted(ChatDeleted),
    ProductPinned(ProductPinned),
    ProductUnpinned(ProductUnpinned),
    LiveDealChanged(LiveDealChanged),
    ViewerCount(ViewerCount),
    JustBought(JustBought),
}

/// An event for the subscribers of one stream.
#[derive(Debug)]
struct FeedItem {
    stream_id: String,
    /// The stream's event number; `None` for viewer counts, which are not stream events.
    seq: Option<i64>,
    event: LivestreamEvent,
}

/// The in-process side of the fan-out: events received from the broker, for subscribers.
#[derive(Clone)]
pub struct LivestreamFeed {
    sender: broadcast::Sender<Arc<FeedItem>>,
    viewers: Viewers,
}

impl Default for LivestreamFeed {
    fn default() -> Self {
        LivestreamFeed {
            sender: broadcast::channel(4096).0,
            viewers: Viewers::default(),
        }
    }
}

impl LivestreamFeed {
    /// Starts this instance's fan-out consumer of `livestream.*` events.
    pub async fn start(&self, svc: &Service, settings: &Settings) -> anyhow::Result<()> {
        let feed = self.clone();
        svc.consume(
            QueueSpec::fan_out("livestream-feed", &["livestream.*"]),
            move |event: Event| {
                if let Some(item) = item_of(&event) {
                    // No subscribers is not an error.
                    let _ = feed.sender.send(Arc::new(item));
                }
                async { Ok(()) }
            },
        )
        .await?;
        // The viewer heartbeat: this instance's counts out, every instance's totals back in.
        let feed = self.clone();
        let interval = settings.viewer_heartbeat;
        kit::periodic::every(svc.clone(), "livestream-viewers", interval, move |svc| {
            let feed = feed.clone();
            async move {
                let totals = feed
                    .viewers
                    .heartbeat(&svc.db, interval)
                    .await
                    .map_err(AppError::into_anyhow)?;
                for (stream_id, viewers) in totals {
                    let _ = feed.sender.send(Arc::new(FeedItem {
                        event: LivestreamEvent::ViewerCount(ViewerCount {
                            livestream_id: ID(stream_id.clone()),
                            viewers,
                        }),
                        stream_id,
                        seq: None,
                    }));
                }
                Ok(0)
            }
        });
        Ok(())
    }
}

/// The subscription view of a `livestream.*` event; `None` for events subscribers do not get
/// (scheduling, edits) or that are malformed.
fn item_of(event: &Event) -> Option<FeedItem> {
    let data = &event.data;
    let stream_id = data["livestreamId"].as_str()?.to_string();
    let seq = data["seq"].as_i64()?;
    let id = ID(stream_id.clone());
    let event = match event.event_type.as_str() {
        "livestream.started" | "livestream.ended" | "livestream.cancelled" => {
            LivestreamEvent::StatusChanged(StatusChanged {
                livestream_id: id,
                seq,
                from: LivestreamStatus::parse(data["from"].as_str()?),
                to: LivestreamStatus::parse(data["to"].as_str()?),
                at: event.time,
            })
        }
        "livestream.chat_posted" => LivestreamEvent::ChatPosted(ChatPosted {
            livestream_id: id,
            seq,
            message: ChatMessage::from_event(&stream_id, &data["message"])?,
        }),
        "livestream.chat_deleted" => LivestreamEvent::ChatDeleted(ChatDeleted {
            livestream_id: id,
            seq,
            message_id: ID(data["messageId"].as_str()?.to_string()),
        }),
        "livestream.product_pinned" => LivestreamEvent::ProductPinned(ProductPinned {
            livestream_id: id,
            seq,
            pin: Pin::from_event(&stream_id, &data["pin"])?,
        }),
        "livestream.product_unpinned" => LivestreamEvent::ProductUnpinned(ProductUnpinned {
            livestream_id: id,
            seq,
            pin_id: ID(data["pinId"].as_str()?.to_string()),
            product_id: ID(data["productId"].as_str()?.to_string()),
        }),
        "livestream.deal_changed" => LivestreamEvent::LiveDealChanged(LiveDealChanged {
            livestream_id: id,
            seq,
            pin_id: ID(data["pinId"].as_str()?.to_string()),
            remaining: data["remaining"].as_i64()?,
        }),
        "livestream.sale_recorded" => LivestreamEvent::JustBought(JustBought {
            livestream_id: id,
            seq,
            units: data["units"].as_i64()?,
            items: data["items"]
                .as_array()?
                .iter()
                .map(|i| BoughtItem {
                    product_id: i["productId"].as_str().map(|v| ID(v.to_string())),
                    variant_id: i["variantId"].as_str().map(|v| ID(v.to_string())),
                    title: i["title"].as_str().map(str::to_string),
                    quantity: i["quantity"].as_i64().unwrap_or(0),
                })
                .collect(),
        }),
        _ => return None,
    };
    Some(FeedItem {
        stream_id,
        seq: Some(seq),
        event,
    })
}

#[derive(Default)]
pub struct FeedSubscription;

#[Subscription]
impl FeedSubscription {
    /// Status changes, chat, pins, live-deal changes and sales of one stream, in order, from the
    /// moment of subscribing, and the viewer count every few seconds. Public.
    async fn livestream_events(
        &self,
        ctx: &Context<'_>,
        stream_id: ID,
    ) -> Result<impl Stream<Item = LivestreamEvent>> {
        let stream_id = parse_id("streamId", &stream_id)?;
        // Subscribe before reading the stream, so nothing after the read is missed.
        let feed = ctx.data_unchecked::<LivestreamFeed>();
        let receiver = feed.sender.subscribe();
        let db = &service(ctx).db;
        let current = stream::by_id(db, &stream_id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("no livestream {stream_id}")))?;
        // One subscription here may serve many clients of a router (see `viewers`).
        let user_id = optional_caller(ctx).map(|caller| caller.user_id.clone());
        let guard = feed
            .viewers
            .join(db, &stream_id, user_id.as_deref(), audience(ctx))
            .await?;
        // Events up to the stream's current number happened before the subscription.
        let start = (receiver, current.seq, guard);
        Ok(futures_util::stream::unfold(
            start,
            move |(mut rx, mut last, guard)| {
                let stream_id = stream_id.clone();
                async move {
                    loop {
                        let item = match rx.recv().await {
                            Ok(item) if item.stream_id == stream_id => item,
                            // Another stream, or events this slow subscriber missed: carry on.
                            Ok(_) | Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => return None,
                        };
                        match item.seq {
                            // Redeliveries and events older than the subscription: skip.
                            Some(seq) if seq <= last => continue,
                            Some(seq) => last = seq,
                            None => {}
                        }
                        return Some((item.event.clone(), (rx, last, guard)));
                    }
                }
            },
        ))
    }
}
