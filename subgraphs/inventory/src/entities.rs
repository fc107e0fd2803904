//! Federation entry points: the router resolves `ProductVariant` (for its stock),
//! `Warehouse` and `Reservation` here through `_entities`, batched by the loaders.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_owner_or_staff, require_role, Role};

use crate::reservations::{self, Reservation};
use crate::variants::ProductVariant;
use crate::warehouses::{self, Warehouse};

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Any variant id resolves: a variant inventory keeps no stock for simply has none.
    #[graphql(entity)]
    async fn find_product_variant_by_id(&self, id: ID) -> ProductVariant {
        ProductVariant { id }
    }

    /// Staff only.
    #[graphql(entity)]
    async fn find_warehouse_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Warehouse>> {
        require_role(ctx, Role::Staff)?;
        Ok(warehouses::load(ctx, &id).await?)
    }

    /// The reservation's owner or staff.
    #[graphql(entity)]
    async fn find_reservation_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<Reservation>> {
        let Some(found) = reservations::load(ctx, &id).await? else {
            return Ok(None);
        };
        require_owner_or_staff(ctx, &found.owner_id)?;
        Ok(Some(found))
    }
}
