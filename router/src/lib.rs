//! Federation router: serves one GraphQL endpoint over a Federation 2 supergraph.
//!
//! Request path (`pipeline/`): parse → validate against the API schema → plan with
//! `hive-router-query-planner` (bounded plan cache) → execute the plan on tokio → project the
//! response to the client's exact selection. Transports live in `executors/` (HTTP, WebSocket
//! graphql-transport-ws, SSE); composition in `compose/`.
//!
//! Starting the router in-process (what the platform launcher calls):
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use router::{serve, RouterConfig};
//! let mut config = RouterConfig::with_subgraphs(vec![
//!     ("accounts".into(), "http://127.0.0.1:4001/graphql".into()),
//! ]);
//! config.listen = "127.0.0.1:4000".parse()?;
//! serve(config, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! `RouterConfig::with_supergraph_sdl(sdl)` serves a composed supergraph instead;
//! `RouterConfig::apply_env()` layers the `ROUTER_*` environment variables on top.
//! `serve_on(listener, ..)` takes an already bound listener (tests bind 127.0.0.1:0).

pub mod access_log;
pub mod auth;
pub mod authz;
pub mod breaker;
pub mod cache;
pub mod compose;
pub mod config;
pub mod config_file;
pub mod cors;
pub mod csrf;
pub mod dedup;
pub mod executors;
pub mod graphiql;
pub mod incremental;
pub mod introspection;
pub mod limits;
pub mod metrics;
pub mod persisted;
pub mod pipeline;
pub mod rate_limit;
pub mod redis_store;
pub mod reload;
pub mod response;
pub mod schema;
pub mod server;
pub mod subgraph_client;
pub mod subgraph_ws;
pub mod subscription;
pub mod subscription_hub;
pub mod supergraph;
pub mod telemetry;
pub mod timeout;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use config::{RouterConfig, SchemaSource};

/// Binds `config.listen` and serves until `shutdown` resolves.
pub async fn serve(
    config: RouterConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    serve_on(listener, config, shutdown).await
}

/// Serves on an already bound listener until `shutdown` resolves.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    config: RouterConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let supergraph = reload::load(&config, Duration::from_secs(60)).await?;
    // A manifest that cannot be read stops the start instead of failing every request.
    persisted::Persisted::new(&config.persisted, Default::default())?;
    let state = Arc::new(server::AppState::new(supergraph, config));
    let stop = tokio_util::sync::CancellationToken::new();
    reload::spawn_watcher(state.clone(), stop.clone());
    let stop_on_shutdown = stop.clone();
    tracing::info!("router listening on {}", listener.local_addr()?);
    let result = server::run(listener, state, async move {
        shutdown.await;
        stop_on_shutdown.cancel();
    })
    .await;
    stop.cancel();
    result
}
