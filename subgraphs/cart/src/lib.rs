//! Cart subgraph: guest carts opened with a secret token (`X-Cart-Token`), one active cart per
//! customer, merge on sign-in, lines checked against local read models of catalog (prices,
//! product status) and inventory (availability) fed by their events, reads cached with
//! race-free invalidation, and a sweeper for idle guest carts. Owns `Cart` and `CartLine`;
//! extends accounts' `User` with `cart`; publishes `cart.*`; consumes `product.*`,
//! `variant.created`, `variant.price_changed`, `inventory.*` and `order.created` (the cart it
//! was placed from closes as CONVERTED).

pub mod access;
pub mod cache;
pub mod catalog_feed;
pub mod consumers;
pub mod create;
pub mod entities;
pub mod events;
pub mod lines;
pub mod live_deal_end;
pub mod live_deals;
pub mod loader;
pub mod merge;
pub mod objects;
pub mod offer;
pub mod orders_feed;
pub mod queries;
pub mod seed;
pub mod settings;
pub mod stock_feed;
pub mod sweeper;
pub mod token;
pub mod users;
pub mod view;
pub mod writes;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::Router;
use kit::auth::service::ServiceIdentity;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::settings::Settings;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/cart");

#[derive(MergedObject, Default)]
pub struct Query(queries::CartQuery, entities::EntityQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(
    create::CreateMutation,
    lines::LineMutation,
    live_deals::LiveDealMutation,
    merge::MergeMutation,
);

pub type CartSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its batching loaders and settings.
pub fn schema(svc: &Service, settings: Settings, livestream: live_deals::Livestream) -> CartSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(
            svc,
            loader::CartsById {
                svc: svc.clone(),
                settings: settings.clone(),
            },
        ))
        .data(kit::schema::loader(
            svc,
            entities::LineCarts { db: svc.db.clone() },
        ))
        .data(settings)
        .data(livestream)
        .finish()
}

pub struct Cart;

#[async_trait::async_trait]
impl Subgraph for Cart {
    const NAME: &'static str = "cart";
    const PORT: u16 = 4006;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        let identity = ServiceIdentity::from_config(&svc.config)?;
        if identity.is_none() {
            tracing::warn!("SERVICE_EMAIL / SERVICE_PASSWORD unset: live deals cannot be claimed from livestream");
        }
        let livestream = live_deals::Livestream::new(&settings, identity)?;
        consumers::start(svc).await?;
        sweeper::spawn(svc.clone(), settings.clone());
        Ok(kit::server::app(
            svc,
            schema(svc, settings, livestream),
            Router::new(),
        ))
    }
}
