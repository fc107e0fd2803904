//! Livestream subgraph: live shopping shows. Staff schedule, start, end and cancel streams;
//! media servers (nginx-rtmp, MediaMTX) call back when a publisher connects or leaves, which
//! takes a stream LIVE or ENDED; viewers chat while it is LIVE, the host pins products with live
//! deals that carts claim exactly up to their cap, and everything is followed through the
//! `livestreamEvents` subscription. Owns `Livestream` and `ChatMessage`; extends catalog's
//! `Product` with `livestreams`; publishes `livestream.*`.

pub mod analytics;
pub mod cart_claims;
pub mod chat;
pub mod deal_end;
pub mod entities;
pub mod events;
pub mod feed;
pub mod hosting;
pub mod ingest;
pub mod pins;
pub mod products;
pub mod queries;
pub mod sales;
pub mod secret;
pub mod seed;
pub mod settings;
pub mod status;
pub mod stream;
pub mod transition;
pub mod users;
pub mod viewers;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::feed::LivestreamFeed;
use crate::settings::Settings;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/livestream");

#[derive(MergedObject, Default)]
pub struct Query(queries::StreamQuery, entities::EntityQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(
    hosting::HostingMutation,
    chat::ChatMutation,
    pins::PinMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(feed::FeedSubscription);

pub type LivestreamSchema = Schema<Query, Mutation, Subscription>;

/// The schema, with its batching loaders, settings and the event feed.
pub fn schema(svc: &Service, settings: Settings, feed: LivestreamFeed) -> LivestreamSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    );
    let db = || svc.db.clone();
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(svc, stream::StreamsById { db: db() }))
        .data(kit::schema::loader(
            svc,
            stream::FeaturedByStream { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            products::StreamsByProduct { db: db() },
        ))
        .data(settings)
        .data(feed)
        // A router names its shared subscriptions, so viewers count every client behind one.
        .extension(kit::server::audience::AudienceExtension)
        .finish()
}

pub struct Livestream;

#[async_trait::async_trait]
impl Subgraph for Livestream {
    const NAME: &'static str = "livestream";
    const PORT: u16 = 4011;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        let feed = LivestreamFeed::default();
        feed.start(svc, &settings).await?;
        if settings.sales_consumer {
            sales::start(svc).await?;
            cart_claims::start(svc).await?;
        }
        let routes = ingest::routes(ingest::Ingest {
            svc: svc.clone(),
            settings: settings.clone(),
        });
        let schema = schema(svc, settings, feed);
        Ok(kit::server::app(svc, schema, routes))
    }
}
