//! Federation entry points: the router resolves `Order` and `OrderLine` here through
//! `_entities` (batched by the loaders; an order the caller may not read resolves to null),
//! `User` for its `orders`, and the `ProductVariant` reference by id.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};

use crate::listing::User;
use crate::order::{LineOrders, Order, OrderLine, ProductVariant};
use crate::queries::readable;

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Null when unknown or not readable by the caller.
    #[graphql(entity)]
    async fn find_order_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        Ok(readable(ctx, &id).await?)
    }

    /// Null when unknown or its order is not readable by the caller.
    #[graphql(entity)]
    async fn find_order_line_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<OrderLine>> {
        let Some(order_id) = ctx
            .data_unchecked::<DataLoader<LineOrders>>()
            .load_one(id.to_string())
            .await?
        else {
            return Ok(None);
        };
        let Some(order) = readable(ctx, &order_id).await? else {
            return Ok(None);
        };
        Ok(order
            .0
            .lines
            .iter()
            .find(|l| l.id == id.as_str())
            .map(|l| OrderLine {
                line: l.clone(),
                currency: order.0.currency.clone(),
            }))
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    #[graphql(entity)]
    async fn find_product_variant_by_id(&self, id: ID) -> ProductVariant {
        ProductVariant { id }
    }
}
