//! Federation entry points: the router resolves `ShippingZone`, `ShippingMethod` and
//! `Shipment` here through `_entities`, plus orders' `Order` (for its shipments) and cart's
//! `Cart` (for its shipping options, with the `@requires` fields in the representation).

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::money::MoneyInput;

use crate::access;
use crate::cart::Cart;
use crate::method::{Method, MethodsById};
use crate::orders::Order;
use crate::quote::ShippingLineInput;
use crate::shipment::{Shipment, ShipmentsById};
use crate::zone::{Zone, ZonesById};

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Null when unknown.
    #[graphql(entity)]
    async fn find_shipping_zone_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Zone>> {
        Ok(ctx
            .data_unchecked::<DataLoader<ZonesById>>()
            .load_one(id.to_string())
            .await?)
    }

    /// Null when unknown.
    #[graphql(entity)]
    async fn find_shipping_method_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<Method>> {
        Ok(ctx
            .data_unchecked::<DataLoader<MethodsById>>()
            .load_one(id.to_string())
            .await?)
    }

    /// Null when unknown; readable by the order's customer, its guest token or staff.
    #[graphql(entity)]
    async fn find_shipment_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Shipment>> {
        let shipment = ctx
            .data_unchecked::<DataLoader<ShipmentsById>>()
            .load_one(id.to_string())
            .await?;
        if let Some(s) = &shipment {
            access::require(ctx, std::slice::from_ref(s))?;
        }
        Ok(shipment)
    }

    /// Any order id resolves; its shipments decide access.
    #[graphql(entity)]
    async fn find_order_by_id(&self, id: ID) -> Order {
        Order { id }
    }

    /// Any cart id resolves; `shippingOptions` needs the `@requires` fields alongside.
    #[graphql(entity)]
    async fn find_cart_by_id(
        &self,
        #[graphql(key)] id: ID,
        currency_code: Option<String>,
        subtotal: Option<MoneyInput>,
        pricing_lines: Option<Vec<ShippingLineInput>>,
    ) -> Cart {
        Cart::from_representation(id, currency_code, subtotal, pricing_lines)
    }
}
