//! Payments subgraph: an order's payments and refunds. Owns `Payment` and `Refund`; extends
//! orders' `Order` with `payments`. The checkout (staff/service) starts and cancels payments;
//! shoppers pay by card (`payOrder`, `confirmPayment`); staff capture, refund and list.
//! Providers sit behind one trait ([`providers`]): the embedded test provider, Stripe,
//! Paystack, Flutterwave and Sepay, whose verified webhooks arrive on `POST
//! /webhooks/{provider}`. Publishes `payment.succeeded/failed/refunded/voided`; consumes
//! `order.cancelled` (see docs/checkout.md).
//!
//! The lifecycle is the table in [`status`]; why concurrent attempts charge once is in
//! [`processing`], why refunds never exceed the capture in [`refunding`], why a replayed
//! webhook has one effect in [`webhooks`]. No card number, CVC or secret is stored or logged.

pub mod access;
pub mod attempts;
pub mod capture;
pub mod card;
pub mod consumers;
pub mod entities;
pub mod events;
pub mod listing;
pub mod paying;
pub mod payment;
pub mod processing;
pub mod providers;
pub mod queries;
pub mod reference;
pub mod refund;
pub mod refunding;
pub mod settings;
pub mod start;
pub mod state;
pub mod status;
pub mod transitions;
pub mod validate;
pub mod voiding;
pub mod webhook_http;
pub mod webhooks;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::routing::post;
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::state::PaymentsState;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/payments");

#[derive(MergedObject, Default)]
pub struct Query(entities::EntityQuery, queries::PaymentQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(
    start::StartMutation,
    paying::PayMutation,
    capture::CaptureMutation,
    refunding::RefundMutation,
);

pub type PaymentsSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema with its batching loader and payments' state.
pub fn schema(svc: &Service, state: PaymentsState) -> PaymentsSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(
            svc,
            payment::PaymentsByOrder { db: svc.db.clone() },
        ))
        .data(state)
        .finish()
}

pub struct Payments;

#[async_trait::async_trait]
impl Subgraph for Payments {
    const NAME: &'static str = "payments";
    const PORT: u16 = 4009;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let state = PaymentsState::new(svc)?;
        tracing::info!(
            provider = %state.settings.provider,
            capture = ?state.settings.capture_mode,
            "payments provider"
        );
        consumers::start(&state).await?;
        let routes = Router::new()
            .route("/webhooks/{provider}", post(webhook_http::receive))
            .with_state(state.clone());
        Ok(kit::server::app(svc, schema(svc, state), routes))
    }
}
