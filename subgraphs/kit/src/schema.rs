//! What every subgraph schema gets: federation (`_service`, `_entities`), depth and complexity
//! limits, and the service handle in the context.

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::SchemaBuilder;

use crate::service::Service;

pub fn configure<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    svc: &Service,
) -> SchemaBuilder<Q, M, S> {
    builder
        .enable_federation()
        // Without this, subscription fields are missing from `_service { sdl }` and the router
        // cannot route them.
        .enable_subscription_in_federation()
        .limit_depth(16)
        .limit_complexity(10_000)
        .data(svc.clone())
}

/// The service handle from a resolver's context.
pub fn service<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a Service {
    ctx.data_unchecked::<Service>()
}

/// A DataLoader batching the keys requested within the service's `loader_window`
/// (`LOADER_WINDOW_US`). Loaders live in the schema, so concurrent requests share batches too.
/// Every nested level of a query waits one window, which is why it is short.
pub fn loader<K, L>(svc: &Service, l: L) -> DataLoader<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    DataLoader::new(l, tokio::spawn).delay(svc.config.loader_window)
}
