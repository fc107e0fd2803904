//! What every subgraph schema gets: federation (`_service`, `_entities`), depth and complexity
//! limits, and the service handle in the context.

use async_graphql::SchemaBuilder;

use crate::service::Service;

pub fn configure<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    svc: &Service,
) -> SchemaBuilder<Q, M, S> {
    builder
        .enable_federation()
        .limit_depth(16)
        .limit_complexity(10_000)
        .data(svc.clone())
}

/// The service handle from a resolver's context.
pub fn service<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a Service {
    ctx.data_unchecked::<Service>()
}
