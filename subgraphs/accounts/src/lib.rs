//! Accounts subgraph: users and their addresses, roles, sign-up and sign-in, access and
//! refresh tokens, and the JWKS every other service verifies tokens with. Owns `User` and
//! `Address`; email verification and password reset by single-use mailed links; publishes
//! `user.registered`, `user.updated`, `user.email_verified`, `user.verification_requested`,
//! `user.password_reset_requested` and `user.password_changed`.

pub mod addresses;
pub mod email;
pub mod entities;
pub mod me;
pub mod password;
pub mod profile;
pub mod reset;
pub mod seed;
pub mod service_account;
pub mod session;
pub mod settings;
pub mod staff;
pub mod tokens;
pub mod users;
pub mod verification;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::routing::get;
use axum::{Json, Router};
use kit::auth::Verifier;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::settings::Settings;
use crate::tokens::keys::Keys;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/accounts");

#[derive(MergedObject, Default)]
pub struct Query(
    me::MeQuery,
    staff::StaffQuery,
    addresses::AddressQuery,
    entities::EntityQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    session::SessionMutation,
    me::MeMutation,
    addresses::AddressMutation,
    staff::AdminMutation,
    verification::VerificationMutation,
    reset::ResetMutation,
);

pub type AccountsSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema, with its per-request loaders and settings (also used to export the SDL).
pub fn schema(svc: &Service, settings: Settings, keys: Arc<Keys>) -> AccountsSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(
            svc,
            users::UsersById { db: svc.db.clone() },
        ))
        .data(addresses::loader(svc))
        .data(settings)
        .data(keys)
        .finish()
}

pub struct Accounts;

#[async_trait::async_trait]
impl Subgraph for Accounts {
    const NAME: &'static str = "accounts";
    const PORT: u16 = 4001;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        let keys = Keys::load_or_create(svc.db.clone()).await?;
        // Accounts owns the keys: verify against them directly rather than over HTTP.
        svc.verifier = Verifier::new(
            keys.clone(),
            &svc.config.jwt_issuer,
            &svc.config.jwt_audience,
            svc.config.jwt_leeway_secs,
        );
        seed::run(svc, &settings)
            .await
            .map_err(|e| anyhow::anyhow!("seeding failed: {}", e.message()))?;
        service_account::ensure(svc, &settings)
            .await
            .map_err(|e| anyhow::anyhow!("service account: {}", e.message()))?;
        let schema = schema(svc, settings, keys.clone());
        let jwks = Router::new().route(
            "/.well-known/jwks.json",
            get(move || {
                let keys = keys.clone();
                async move {
                    (
                        [(axum::http::header::CACHE_CONTROL, "public, max-age=300")],
                        Json(keys.jwks().await),
                    )
                }
            }),
        );
        Ok(kit::server::app(svc, schema, jwks))
    }
}
