//! Media subgraph: product images. Staff get pre-signed, single-use upload URLs; uploaded bytes
//! are sniffed, decoded under limits and thumbnailed, then stored content-addressed in an object
//! store (local directory by default; S3, Azure or GCS with the `cloud` feature) and served with
//! immutable caching. Owns `Asset`; extends catalog's `Product` with `media` and `thumbnail`;
//! publishes `media.uploaded` and `media.deleted`; consumes `product.archived` and
//! `product.updated` (status changes).

pub mod admin;
pub mod assets;
pub mod consumers;
pub mod entities;
pub mod events;
mod http_error;
pub mod imaging;
pub mod media_http;
pub mod objects;
pub mod products;
pub mod secret;
pub mod seed;
pub mod settings;
pub mod sniff;
pub mod state;
pub mod store;
pub mod sweeper;
pub mod text;
pub mod token;
pub mod upload_http;
pub mod uploads;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use axum::http::{header, Method};
use axum::routing::{get, put};
use axum::Router;
use kit::sqlx::migrate::Migrator;
use kit::{Service, Subgraph};
use tower_http::cors::{Any, CorsLayer};

use crate::settings::Settings;
use crate::state::MediaState;
use crate::store::MediaStore;
use crate::token::Signer;

static MIGRATOR: Migrator = kit::sqlx::migrate!("../../migrations/media");

#[derive(MergedObject, Default)]
pub struct Query(entities::EntityQuery);

#[derive(MergedObject, Default)]
pub struct Mutation(uploads::UploadMutation, admin::AdminMutation);

pub type MediaSchema = Schema<Query, Mutation, EmptySubscription>;

/// The schema, with its per-request loaders and media's shared state.
pub fn schema(svc: &Service, state: MediaState) -> MediaSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription);
    kit::schema::configure(builder, svc)
        .data(kit::schema::loader(
            svc,
            assets::AssetsById { db: svc.db.clone() },
        ))
        .data(kit::schema::loader(
            svc,
            assets::MediaByProduct { db: svc.db.clone() },
        ))
        .data(state)
        .finish()
}

/// Media's state for a connected service: settings, the object store and the signer.
pub async fn state(svc: &Service) -> anyhow::Result<MediaState> {
    let settings = Settings::from_config(&svc.config)?;
    let store = MediaStore::open(&settings)?;
    let secret = secret::upload_secret(&svc.db, settings.upload_secret.as_deref()).await?;
    tracing::info!(store = %store.description, "media store");
    Ok(MediaState {
        svc: svc.clone(),
        settings: Arc::new(settings),
        store,
        signer: Signer::new(&secret),
    })
}

/// Browsers may PUT to an upload URL and read objects from any origin (an admin app, the
/// storefront): the signed token is the only credential, so no origin needs trusting.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::PUT])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
        .expose_headers([header::ETAG])
        .max_age(Duration::from_secs(86_400))
}

pub struct Media;

#[async_trait::async_trait]
impl Subgraph for Media {
    const NAME: &'static str = "media";
    const PORT: u16 = 4005;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }

    async fn build(svc: &mut Service) -> anyhow::Result<Router> {
        let state = state(svc).await?;
        consumers::start(svc).await?;
        sweeper::spawn(state.clone());
        let routes = Router::new()
            .route("/uploads/{token}", put(upload_http::put))
            .route("/media/{key}", get(media_http::get))
            .with_state(state.clone())
            .layer(cors());
        let schema = schema(svc, state);
        Ok(kit::server::app(svc, schema, routes))
    }
}
