//! `notificationReceived`: the signed-in user's new in-app notifications, live. Every instance
//! runs a fan-out consumer of `notification.created` (its own queue, so it sees the
//! notifications any instance wrote) feeding an in-process broadcast channel; each subscriber
//! keeps its own user's.

use async_graphql::{Context, Result, Subscription};
use futures_util::Stream;
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::events::{Event, QueueSpec};
use kit::Service;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::inbox::Notification;

#[derive(Clone)]
pub struct NotificationFeed {
    sender: broadcast::Sender<Notification>,
}

impl Default for NotificationFeed {
    fn default() -> Self {
        NotificationFeed {
            sender: broadcast::channel(1024).0,
        }
    }
}

impl NotificationFeed {
    /// Starts this instance's fan-out consumer of `notification.created`.
    pub async fn start(&self, svc: &Service) -> anyhow::Result<()> {
        let feed = self.clone();
        svc.consume(
            QueueSpec::fan_out("notifications-feed", &["notification.created"]),
            move |event: Event| {
                match serde_json::from_value::<Notification>(event.data["notification"].clone()) {
                    // No subscribers is not an error.
                    Ok(n) => {
                        let _ = feed.sender.send(n);
                    }
                    Err(err) => tracing::warn!(event = %event.id, error = %err, "malformed notification.created"),
                }
                async { Ok(()) }
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct NotificationSubscription;

#[Subscription]
impl NotificationSubscription {
    /// The signed-in user's in-app notifications as they arrive.
    #[graphql(directive = authenticated::apply())]
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Notification>> {
        let user = caller(ctx)?.user_id.clone();
        let receiver = ctx.data_unchecked::<NotificationFeed>().sender.subscribe();
        Ok(futures_util::stream::unfold(receiver, move |mut rx| {
            let user = user.clone();
            async move {
                loop {
                    match rx.recv().await {
                        Ok(n) if n.user_id == user => return Some((n, rx)),
                        // Someone else's, or ones this slow subscriber missed: carry on.
                        Ok(_) | Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        }))
    }
}
