//! Webhooks subgraph: pushes the platform's events to partners' HTTP endpoints, Standard
//! Webhooks style. Owns `WebhookEndpoint` (URL, event-type filters with wildcards, a `whsec_`
//! signing secret rotatable with an overlap window) and `WebhookDelivery` (one event for one
//! endpoint, with every attempt). Consumes every event type ([`fanout`]); a durable, leased
//! worker ([`worker`]) sends deliveries with retries over about a day, per-endpoint
//! concurrency, timeouts and a capped response read ([`sender`]), and disables an endpoint
//! failing past a threshold, announcing `webhook.endpoint_disabled` ([`outcome`]); finished
//! deliveries are kept for a retention period ([`retention`]). Targets on
//! private, loopback or link-local addresses are refused at registration and on every
//! connection ([`targets`]).

pub mod backoff;
pub mod deliveries;
pub mod delivery;
pub mod endpoint;
pub mod endpoints;
pub mod entities;
pub mod fanout;
pub mod filters;
pub mod outcome;
pub mod retention;
pub mod sender;
pub mod settings;
pub mod signing;
pub mod targets;
pub mod worker;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};
use tokio::sync::Notify;

use crate::endpoints::Wake;
use crate::settings::Settings;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/webhooks");

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    endpoints::EndpointQuery,
    deliveries::DeliveryQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(endpoints::EndpointMutation, deliveries::DeliveryMutation);

pub type WebhooksSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its batching loaders, settings and the worker's wake-up.
pub fn schema(svc: &Service, settings: &Settings, wake: Wake) -> WebhooksSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    let db = || svc.db.clone();
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(
            svc,
            endpoint::EndpointsById { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            delivery::DeliveriesById { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            delivery::AttemptsByDelivery { db: db() },
        ))
        .data(settings.clone())
        .data(wake)
        .finish()
}

pub struct Webhooks;

#[async_trait::async_trait]
impl Subgraph for Webhooks {
    const NAME: &'static str = "webhooks";
    const PORT: u16 = 4014;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        let wake = Arc::new(Notify::new());
        let sender = Arc::new(sender::Sender::new(&settings)?);
        fanout::start(svc, wake.clone()).await?;
        worker::Worker::new(svc, Arc::new(settings.clone()), sender, wake.clone()).spawn();
        retention::start(
            svc,
            settings.delivery_retention,
            settings.retention_sweep_interval,
        );
        Ok(kit::server::app(
            svc,
            schema(svc, &settings, Wake(wake)),
            Router::new(),
        ))
    }
}
