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

/// A DataLoader that batches the keys queued together into one query. Loaders live in the
/// schema, so concurrent requests share batches too.
///
/// By default there is no fixed wait: the batch's dispatch task yields to the runtime
/// `loader_yields` times before it takes the queued keys. The sibling resolvers of one level
/// queue theirs in the same poll of their request, and each yield lets every other ready task
/// (concurrent requests, responses just read from sockets) queue theirs, so a level costs one
/// query without adding a millisecond to each of a federated page's sequential hops. A non-zero
/// `LOADER_WINDOW_US` restores the fixed window (for comparison).
pub fn loader<K, L>(svc: &Service, l: L) -> DataLoader<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    let window = svc.config.loader_window;
    if !window.is_zero() {
        return DataLoader::new(l, tokio::spawn).delay(window);
    }
    let yields = svc.config.loader_yields;
    // The zero delay is a timer that is ready on its first poll, so the dispatch takes the keys
    // right after the yields.
    DataLoader::new(l, move |dispatch| {
        tokio::spawn(after_yields(yields, dispatch))
    })
    .delay(std::time::Duration::ZERO)
}

async fn after_yields<F: std::future::Future<Output = ()>>(yields: u32, dispatch: F) {
    for _ in 0..yields {
        tokio::task::yield_now().await;
    }
    dispatch.await
}
