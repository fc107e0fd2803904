//! Reviews subgraph: product reviews with ratings, helpful votes and staff moderation. Owns
//! `Review`; extends catalog's `Product` with `reviews` and `rating` and accounts' `User` with
//! `reviews`; publishes `review.*` with the product's new rating; consumes catalog's
//! `product.*` (which products may be reviewed) and `order.paid` (verified purchases).

pub mod consumers;
pub mod entities;
pub mod events;
pub mod helpful;
pub mod moderation;
pub mod pages;
pub mod products;
pub mod purchases;
pub mod ratings;
pub mod review;
pub mod seed;
pub mod users;
pub mod validate;
pub mod writing;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/reviews");

#[derive(MergedObject, Default)]
pub struct Query(entities::EntityQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(
    writing::WritingMutation,
    moderation::ModerationMutation,
    helpful::HelpfulMutation,
);

pub type ReviewsSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its per-request batching loaders.
pub fn schema(svc: &Service) -> ReviewsSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    let db = || svc.db.clone();
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(svc, review::ReviewsById { db: db() }))
        .data(kit::schema::loader(
            svc,
            ratings::RatingsByProduct { db: db() },
        ))
        .data(kit::schema::loader(svc, pages::ProductPages { db: db() }))
        .data(kit::schema::loader(svc, pages::AuthorPages { db: db() }))
        .data(kit::schema::loader(svc, pages::AuthorTotals { db: db() }))
        .finish()
}

pub struct Reviews;

#[async_trait::async_trait]
impl Subgraph for Reviews {
    const NAME: &'static str = "reviews";
    const PORT: u16 = 4004;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        consumers::start(svc).await?;
        Ok(kit::server::app(svc, schema(svc), Router::new()))
    }
}
