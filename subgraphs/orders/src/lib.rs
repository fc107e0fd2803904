//! Orders subgraph: checkout (a saga over cart, catalog, shipping, discounts, inventory and
//! payments, contract in docs/checkout.md), the order state machine (`status`), its history
//! and `order.*` events, the consumers of payments' and shipping's events, the payment-timeout
//! sweeper, the CQRS read model the order lists are served from, order subscriptions, and the
//! launcher's demo orders (`seed`).
//! Owns `Order` and `OrderLine`; extends `User` with `orders`.

pub mod access;
pub mod admin;
pub mod cancel;
pub mod checkout;
pub mod consumers;
pub mod entities;
pub mod events;
pub mod listing;
pub mod order;
pub mod projection;
pub mod queries;
pub mod refund;
pub mod remotes;
pub mod seed;
pub mod settings;
pub mod status;
pub mod store;
pub mod subscriptions;
pub mod sweeper;
pub mod token;
pub mod transition;
pub mod view;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use axum::Router;
use kit::auth::service::ServiceIdentity;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::remotes::Remotes;
use crate::settings::Settings;
use crate::subscriptions::StatusFeed;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/orders");

#[derive(MergedObject, Default)]
pub struct Query(
    queries::OrderQuery,
    listing::ListingQuery,
    entities::EntityQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    checkout::CheckoutMutation,
    cancel::CancelMutation,
    refund::RefundMutation,
    admin::AdminMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(subscriptions::OrderSubscription);

pub type OrdersSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its batching loaders, settings, remote clients and the status feed.
pub fn schema(
    svc: &Service,
    settings: Settings,
    remotes: Remotes,
    feed: StatusFeed,
) -> OrdersSchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    );
    let db = || svc.db.clone();
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(svc, order::OrdersById { db: db() }))
        .data(kit::schema::loader(svc, order::HistoryByOrder { db: db() }))
        .data(kit::schema::loader(svc, order::LineOrders { db: db() }))
        .data(settings)
        .data(remotes)
        .data(feed)
        .finish()
}

pub struct Orders;

#[async_trait::async_trait]
impl Subgraph for Orders {
    const NAME: &'static str = "orders";
    const PORT: u16 = 4008;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        let identity = ServiceIdentity::from_config(&svc.config)?;
        if identity.is_none() {
            tracing::warn!("SERVICE_EMAIL / SERVICE_PASSWORD unset: checkout and refunds cannot call other subgraphs as the service");
        }
        let remotes = Remotes::new(&settings, identity)?;
        let feed = StatusFeed::default();
        feed.start(svc).await?;
        consumers::start(svc).await?;
        projection::start(svc).await?;
        sweeper::spawn(svc.clone(), settings.sweep_interval);
        let schema = schema(svc, settings, remotes, feed);
        Ok(kit::server::app(svc, schema, Router::new()))
    }
}
