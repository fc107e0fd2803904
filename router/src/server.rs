//! Server assembly: shared state (the current supergraph behind an atomic swap), the axum
//! routes, CORS/compression layers, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use parking_lot::RwLock;
use tower_http::compression::Predicate as _;

use crate::config::RouterConfig;
use crate::executors::http;
use crate::subgraph_client::SubgraphClient;
use crate::supergraph::Supergraph;

pub struct AppState {
    supergraph: RwLock<Arc<Supergraph>>,
    pub client: SubgraphClient,
    pub config: RouterConfig,
    /// APQ and trusted documents (see `persisted`).
    pub persisted: crate::persisted::Persisted,
    /// Per-client request budgets (see `rate_limit`).
    pub rate_limiter: crate::rate_limit::RateLimiter,
    /// Shared upstream subscriptions (see `subscription_hub`).
    pub subscriptions: Arc<crate::subscription_hub::Hub>,
    /// Bearer-token verification at the edge (see `auth`).
    pub auth: crate::auth::Authenticator,
    /// Identical query operations in flight (see `dedup`); `None` when sharing is off.
    pub operations: Option<crate::dedup::Joined<Arc<crate::executors::http::Executed>>>,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    pub fn new(supergraph: Supergraph, config: RouterConfig) -> Self {
        let client = SubgraphClient::new(
            config.subgraph_timeout,
            config.subgraph_timeouts.clone(),
            config.propagate_headers.clone(),
        )
        .with_http2(&config.subgraph_http2)
        .with_dedup(config.dedup.enabled)
        .with_breakers(&config.breaker);
        let redis = crate::redis_store::RedisStore::new(config.redis_url.clone());
        AppState {
            persisted: crate::persisted::Persisted::new_or_closed(&config.persisted, redis.clone()),
            rate_limiter: crate::rate_limit::RateLimiter::new(&config.rate_limit, redis.clone()),
            supergraph: RwLock::new(Arc::new(supergraph)),
            client,
            auth: crate::auth::Authenticator::new(config.auth.clone()),
            operations: config.dedup.enabled.then(Default::default),
            subscriptions: crate::subscription_hub::Hub::new(
                crate::subscription_hub::OPS_PER_CONNECTION,
                config.subscription_buffer,
            ),
            config,
        }
    }

    /// The supergraph a new request should use; in-flight requests keep the one they took.
    pub fn current(&self) -> Arc<Supergraph> {
        self.supergraph.read().clone()
    }

    pub fn replace(&self, supergraph: Supergraph) {
        *self.supergraph.write() = Arc::new(supergraph);
    }
}

pub fn app(state: SharedState) -> Router {
    let cors = crate::cors::layer(
        &state.config.cors_origins,
        state.config.cors_allow_credentials,
    );
    Router::new()
        .route(
            "/graphql",
            get(http::get_graphql)
                .post(http::post_graphql)
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    crate::rate_limit::middleware,
                ))
                .layer(axum::middleware::from_fn(crate::telemetry::middleware)),
        )
        .route("/health", get(http::health))
        .route("/metrics", get(crate::metrics::handler))
        .route("/graphiql/{file}", get(crate::graphiql::asset))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(crate::access_log::AccessLog::new(
                state.config.access_log.clone(),
            )),
            crate::access_log::middleware,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.limits.max_body_bytes,
        ))
        // Streams (multipart parts, SSE events) must reach the client part by part; a
        // compressor would hold them back.
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when(
                tower_http::compression::predicate::DefaultPredicate::new().and(
                    tower_http::compression::predicate::NotForContentType::const_new(
                        "multipart/mixed",
                    ),
                ),
            ),
        )
        // A bug must cost one request a 500, not the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(cors)
        .with_state(state)
}

/// Serves until `shutdown` resolves; in-flight requests finish first.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: SharedState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The peer address feeds per-IP rate limits.
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
