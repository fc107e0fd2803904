//! Reading one order: `order(id)` and `orderByNumber(number)`, from the write tables (so a
//! shopper sees their order at once after checkout), for its customer, staff, or a guest
//! presenting the order's token in `X-Order-Token`. Anyone else gets null, as for an unknown
//! order.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::schema::service;
use kit::AppError;

use crate::access;
use crate::order::{Order, OrdersById};
use crate::store;

/// The order if the request may read it.
pub async fn readable(ctx: &Context<'_>, id: &str) -> Result<Option<Order>, AppError> {
    let order = ctx
        .data_unchecked::<DataLoader<OrdersById>>()
        .load_one(id.to_string())
        .await?;
    Ok(order.filter(|o| access::readable(ctx, o)).map(Order))
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// An order: its customer's, a guest's with the order token (`X-Order-Token`), or any for
    /// staff; null otherwise.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Order>> {
        Ok(readable(ctx, &id).await?)
    }

    /// An order by its number (`SO-100001`, any case), with the same access as `order`.
    async fn order_by_number(&self, ctx: &Context<'_>, number: String) -> Result<Option<Order>> {
        let number = number.trim().to_ascii_uppercase();
        if number.is_empty() || number.len() > 32 {
            return Err(AppError::bad_input("number", "is not an order number").into());
        }
        let Some(id) = store::id_by_number(&service(ctx).db, &number).await? else {
            return Ok(None);
        };
        Ok(readable(ctx, &id).await?)
    }
}
