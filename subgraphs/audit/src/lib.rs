//! Audit subgraph: an append-only, tamper-evident record of every event on the platform. Owns
//! `AuditEntry`; consumes every event type on one durable queue bound with `#`, appending one
//! hash-chained entry per event id ([`chain`]); staff read it through `auditLog` ([`log`]),
//! admins check it with `verifyAuditLog` ([`verify`]) and export it; expired entries are
//! archived as JSON lines before they are deleted ([`archive`]).

pub mod archive;
pub mod chain;
pub mod consumer;
pub mod entities;
pub mod entry;
pub mod log;
pub mod settings;
pub mod verify;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};

use crate::settings::Settings;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/audit");

#[derive(MergedObject, Default)]
pub struct Query(
    entities::EntityQuery,
    log::LogQuery,
    verify::VerifyQuery,
    archive::ExportQuery,
);

pub type AuditSchema = Schema<Query, EmptyMutation, EmptySubscription>;

pub fn schema(svc: &Service) -> AuditSchema {
    let builder = Schema::build(Query::default(), EmptyMutation, EmptySubscription);
    kit::schema::configure(builder, svc).finish()
}

pub struct Audit;

#[async_trait::async_trait]
impl Subgraph for Audit {
    const NAME: &'static str = "audit";
    const PORT: u16 = 4013;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let settings = Settings::from_config(&svc.config)?;
        consumer::start(svc, chain::Appender::default()).await?;
        if settings.retention.is_some() {
            let interval = settings.archive_interval;
            kit::periodic::every(svc.clone(), "audit archive", interval, move |svc| {
                let settings = settings.clone();
                async move { archive::run(&svc.db, &settings).await }
            });
        }
        Ok(kit::server::app(svc, schema(svc), Router::new()))
    }
}
