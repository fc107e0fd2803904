//! Shipping's view of orders' `Order` entity: `Order.shipments`, readable by the order's
//! customer, a guest presenting the order's `X-Order-Token`, and staff (see [`crate::access`]).

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Result, SimpleObject, ID};

use crate::access;
use crate::shipment::{Shipment, ShipmentsByOrder};

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Order {
    pub id: ID,
}

#[ComplexObject]
impl Order {
    /// The order's shipments (one, once it is paid); empty before.
    async fn shipments(&self, ctx: &Context<'_>) -> Result<Vec<Shipment>> {
        let shipments = ctx
            .data_unchecked::<DataLoader<ShipmentsByOrder>>()
            .load_one(self.id.to_string())
            .await?
            .unwrap_or_default();
        access::require(ctx, &shipments)?;
        Ok(shipments)
    }
}
