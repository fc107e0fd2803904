//! Entry points: the router resolves `Asset` and `Product` (for its media) here through
//! `_entities`, batched by the loaders; `asset(id)` looks one image up directly.

use async_graphql::{Context, Object, Result, ID};

use crate::assets::{self, Asset};
use crate::products::Product;

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// An image by id; null when there is none.
    async fn asset(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Asset>> {
        let Ok(id) = kit::ids::parse_id("id", &id) else {
            return Ok(None);
        };
        Ok(assets::load(ctx, &id).await?)
    }

    #[graphql(entity)]
    async fn find_asset_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Asset>> {
        Ok(assets::load(ctx, &id).await?)
    }

    /// Any product id resolves: a product without images simply has none.
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> Product {
        Product { id }
    }
}
