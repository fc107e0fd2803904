//! Inventory subgraph: warehouses, stock per variant per warehouse, reservations for carts and
//! checkouts (atomic, all-or-nothing, with a TTL), the staff adjustment ledger and the
//! `stockChanged` subscription. Owns `Warehouse` and `Reservation`; extends catalog's
//! `ProductVariant` with `stock`; publishes `inventory.*`; consumes `payment.succeeded` and
//! `order.cancelled`.

pub mod consumers;
pub mod entities;
pub mod events;
pub mod ledger;
pub mod reservations;
pub mod seed;
pub mod settings;
pub mod stock;
pub mod subscriptions;
pub mod sweeper;
pub mod variants;
pub mod warehouses;

use async_graphql::{MergedObject, MergedSubscription, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::settings::Settings;
use crate::subscriptions::StockFeed;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/inventory");

#[derive(MergedObject, Default)]
pub struct Query(
    warehouses::WarehouseQuery,
    reservations::ReservationQuery,
    ledger::LedgerQuery,
    entities::EntityQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    warehouses::WarehouseMutation,
    reservations::ReservationMutation,
    ledger::LedgerMutation,
    stock::StockMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(subscriptions::StockSubscription);

pub type InventorySchema = Schema<Query, Mutation, Subscription>;

/// The schema, with its per-request loaders, settings and the stock feed.
pub fn schema(svc: &Service, settings: Settings, feed: StockFeed) -> InventorySchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    );
    let db = || svc.db.clone();
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(
            svc,
            warehouses::WarehousesById { db: db() },
        ))
        .data(kit::schema::loader(svc, stock::StockByVariant { db: db() }))
        .data(kit::schema::loader(
            svc,
            stock::LevelsByVariant { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            reservations::ReservationsById { db: db() },
        ))
        .data(settings)
        .data(feed)
        .finish()
}

pub struct Inventory;

#[async_trait::async_trait]
impl Subgraph for Inventory {
    const NAME: &'static str = "inventory";
    const PORT: u16 = 4003;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        let feed = StockFeed::new();
        feed.start(svc).await?;
        consumers::start(svc).await?;
        sweeper::spawn(svc.clone(), settings.sweep_interval);
        let schema = schema(svc, settings, feed);
        Ok(kit::server::app(svc, schema, Router::new()))
    }
}
