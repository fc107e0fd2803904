//! Federation entry points: other subgraphs reference `Product` (by id or slug),
//! `ProductVariant` (by id or SKU), `Category` and `Collection` (by id); the router resolves them here
//! through `_entities`, batched by the loaders into one query per type and key.

use async_graphql::{Context, Object, Result, ID};

use crate::categories::{self, Category};
use crate::collections::{self, Collection};
use crate::products::{self, Product};
use crate::variants::{self, Variant};

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    #[graphql(entity)]
    async fn find_product_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        // A malformed id in a representation simply matches nothing.
        Ok(products::load(ctx, &id).await?)
    }

    #[graphql(entity)]
    async fn find_product_by_slug(
        &self,
        ctx: &Context<'_>,
        slug: String,
    ) -> Result<Option<Product>> {
        Ok(products::load_by_slug(ctx, &slug).await?)
    }

    #[graphql(entity)]
    async fn find_variant_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Variant>> {
        Ok(variants::load(ctx, &id).await?)
    }

    #[graphql(entity)]
    async fn find_variant_by_sku(&self, ctx: &Context<'_>, sku: String) -> Result<Option<Variant>> {
        Ok(variants::load_by_sku(ctx, &sku).await?)
    }

    #[graphql(entity)]
    async fn find_category_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Category>> {
        Ok(categories::load(ctx, &id).await?)
    }

    #[graphql(entity)]
    async fn find_collection_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Collection>> {
        Ok(collections::load(ctx, &id).await?)
    }
}
