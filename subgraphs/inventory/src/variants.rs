//! `ProductVariant` (owned by catalog) extended with its stock: `stock { available inStock }`
//! for everyone, `stockByWarehouse` for staff. Both load through batching loaders, so the
//! router's `_entities` call for a page of variants costs one query per field.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};

use crate::stock::{self, Stock, StockLevel};

/// A catalog variant as inventory knows it: by id.
pub struct ProductVariant {
    pub id: ID,
}

#[Object(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
impl ProductVariant {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Units available to buy, over all warehouses.
    async fn stock(&self, ctx: &Context<'_>) -> Result<Stock> {
        Ok(stock::stock(ctx, &self.id).await?)
    }

    /// Stock per warehouse. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn stock_by_warehouse(&self, ctx: &Context<'_>) -> Result<Vec<StockLevel>> {
        require_role(ctx, Role::Staff)?;
        Ok(stock::levels(ctx, &self.id).await?)
    }
}
