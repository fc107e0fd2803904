//! Discounts subgraph: coupons (codes customers type) and automatic promotions, the discounts
//! they take off a cart, and exact coupon usage limits. Owns `Coupon` and `Promotion`; extends
//! cart's `Cart` with `discounts`, `discountTotal`, `estimatedTotal`, `freeShipping`,
//! `couponCode` and `couponNotice` (prices from cart through `@requires`); offers the
//! checkout `holdCouponUse` / `releaseCouponUse`; publishes `coupon.*` and `promotion.*`;
//! consumes catalog's product, category and collection events (scope read models) and
//! `order.paid` / `order.cancelled` (redeem or give back a held use).
//!
//! How discounts stack is documented in [`engine`]; how holds stay exact in [`holds`].

pub mod applying;
pub mod cart;
pub mod cart_client;
pub mod catalog_feed;
pub mod consumers;
pub mod coupon;
pub mod coupon_spec;
pub mod coupons;
pub mod eligibility;
pub mod engine;
pub mod entities;
pub mod hold;
pub mod holds;
pub mod pricing;
pub mod promotion;
pub mod promotion_spec;
pub mod promotions;
pub mod scope;
pub mod seed;
pub mod settings;
pub mod snapshot;
pub mod usage;
pub mod validate;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::cart_client::CartClient;
use crate::settings::Settings;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/discounts");

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    coupons::CouponQuery,
    promotions::PromotionQuery,
    holds::HoldQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    coupons::CouponMutation,
    promotions::PromotionMutation,
    applying::ApplyMutation,
    holds::HoldMutation,
);

pub type DiscountsSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its batching loaders and the cart client.
pub fn schema(svc: &Service, settings: &Settings) -> anyhow::Result<DiscountsSchema> {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    let db = || svc.db.clone();
    Ok(kit::schema::configure(builder, svc)
        .data(kit::schema::loader(svc, coupon::CouponsById { db: db() }))
        .data(kit::schema::loader(
            svc,
            promotion::PromotionsById { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            pricing::AppliedCoupons { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            pricing::RunningPromotions { db: db() },
        ))
        .data(kit::schema::loader(
            svc,
            pricing::ProductScopes { db: db() },
        ))
        .data(CartClient::new(settings)?)
        .data(settings.clone())
        .finish())
}

pub struct Discounts;

#[async_trait::async_trait]
impl Subgraph for Discounts {
    const NAME: &'static str = "discounts";
    const PORT: u16 = 4007;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        consumers::start(svc).await?;
        Ok(kit::server::app(
            svc,
            schema(svc, &settings)?,
            Router::new(),
        ))
    }
}
