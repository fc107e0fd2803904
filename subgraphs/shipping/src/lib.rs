//! Shipping subgraph: where and how parcels go, what that costs, and where they are. Owns
//! `ShippingZone`, `ShippingMethod` (per-currency rate rules: FLAT, BY_WEIGHT, FREE_ABOVE) and
//! `Shipment`; extends cart's `Cart` with `shippingOptions` (prices from cart through
//! `@requires`) and orders' `Order` with `shipments`; offers the checkout's public
//! `shippingQuote`; publishes `shipment.created`, `shipment.updated` and `shipment.delivered`;
//! consumes `order.paid` (creates the shipment) and catalog's `variant.created` /
//! `variant.updated` (weights). Carriers report progress to the signed `POST /webhooks/carrier`.
//!
//! The contract with orders and payments is `docs/checkout.md`; the status table is in
//! [`status`].

pub mod access;
pub mod address;
pub mod carrier_update;
pub mod cart;
pub mod consumers;
pub mod countries;
pub mod entities;
pub mod fulfilment;
pub mod method;
pub mod method_spec;
pub mod methods;
pub mod orders;
pub mod quote;
pub mod rate;
pub mod seed;
pub mod settings;
pub mod shipment;
pub mod shipments;
pub mod signature;
pub mod status;
pub mod transitions;
pub mod validate;
pub mod webhook;
pub mod weights;
pub mod zone;
pub mod zone_spec;
pub mod zones;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::routing::post;
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::settings::Settings;
use crate::webhook::WebhookState;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/shipping");

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    quote::QuoteQuery,
    zones::ZoneQuery,
    methods::MethodQuery,
    shipments::ShipmentQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    zones::ZoneMutation,
    methods::MethodMutation,
    shipments::ShipmentMutation,
);

pub type ShippingSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its batching loaders and settings.
pub fn schema(svc: &Service, settings: &Settings) -> ShippingSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    let db = || svc.db.clone();
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(svc, zone::ZonesById { db: db() }))
        .data(kit::schema::loader(svc, method::MethodsById { db: db() }))
        .data(kit::schema::loader(svc, method::RatesByMethod { db: db() }))
        .data(kit::schema::loader(
            svc,
            method::ZoneIdsByMethod { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            shipment::ShipmentsById { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            shipment::ShipmentsByOrder { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            shipment::LinesByShipment { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            shipment::HistoryByShipment { db: db() },
        ))
        .data(settings.clone())
        .finish()
}

pub struct Shipping;

#[async_trait::async_trait]
impl Subgraph for Shipping {
    const NAME: &'static str = "shipping";
    const PORT: u16 = 4010;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        consumers::start(svc).await?;
        let routes = Router::new()
            .route("/webhooks/carrier", post(webhook::carrier))
            .with_state(WebhookState {
                svc: svc.clone(),
                settings: Arc::new(settings.clone()),
            });
        Ok(kit::server::app(svc, schema(svc, &settings), routes))
    }
}
