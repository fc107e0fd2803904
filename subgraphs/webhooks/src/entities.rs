//! Federation entry points: the router resolves `WebhookEndpoint` and `WebhookDelivery` here
//! through `_entities`. Staff only, like the queries.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};

use crate::delivery::{DeliveriesById, Delivery};
use crate::endpoint::{Endpoint, EndpointsById};

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Null when unknown.
    #[graphql(entity)]
    async fn find_webhook_endpoint_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<Endpoint>> {
        require_role(ctx, Role::Staff)?;
        Ok(ctx
            .data_unchecked::<DataLoader<EndpointsById>>()
            .load_one(id.to_string())
            .await?)
    }

    /// Null when unknown.
    #[graphql(entity)]
    async fn find_webhook_delivery_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<Delivery>> {
        require_role(ctx, Role::Staff)?;
        Ok(ctx
            .data_unchecked::<DataLoader<DeliveriesById>>()
            .load_one(id.to_string())
            .await?)
    }
}
