//! Catalog subgraph: products with their variants and attributes, the category tree,
//! collections, and product search with facets. Owns `Product` (keys id and slug),
//! `ProductVariant` (keys id and SKU), `Category` and `Collection`; publishes `product.created`,
//! `product.updated`, `product.archived`, `variant.created`, `variant.price_changed`,
//! `category.created`/`updated` and `collection.products_added`/`removed`; consumes `review.*` (the
//! rating rank behind the RATING sort). Search runs in a per-instance in-memory engine built at
//! start-up (`search::engine`).

pub mod attributes;
pub mod categories;
pub mod collections;
pub mod entities;
pub mod listing;
pub mod product_admin;
pub mod products;
pub mod ratings;
pub mod search;
pub mod seed;
pub mod settings;
pub mod sql;
pub mod validate;
pub mod variants;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::settings::Settings;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/catalog");

#[derive(MergedObject, Default)]
pub struct Query(
    products::ProductQuery,
    variants::VariantQuery,
    categories::CategoryQuery,
    collections::CollectionQuery,
    search::SearchQuery,
    entities::EntityQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    product_admin::ProductMutation,
    variants::VariantMutation,
    categories::CategoryMutation,
    collections::CollectionMutation,
);

pub type CatalogSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its batched loaders (also used to export the SDL).
pub fn schema(svc: &Service) -> CatalogSchema {
    let db = || svc.db.clone();
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(
            svc,
            products::ProductsById { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            products::ProductsBySlug { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            variants::VariantsById { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            variants::VariantsBySku { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            variants::VariantsByProduct { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            categories::CategoriesById { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            categories::CategoriesByParent { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            collections::CollectionsById { db: db() },
        ))
        .finish()
}

pub struct Catalog;

#[async_trait::async_trait]
impl Subgraph for Catalog {
    const NAME: &'static str = "catalog";
    const PORT: u16 = 4002;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        seed::run(svc, settings.seed_products).await?;
        ratings::start(svc).await?;
        search::engine::Engine::start(svc).await?;
        Ok(kit::server::app(svc, schema(svc), Router::new()))
    }
}
