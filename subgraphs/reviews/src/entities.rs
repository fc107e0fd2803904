//! Federation entry points and the one root query: the router resolves `Product` and `User`
//! (for their reviews and rating) and `Review` here through `_entities`, batched by the
//! loaders.

use async_graphql::{Context, Object, Result, ID};

use crate::products::Product;
use crate::review::{self, Review};
use crate::users::User;

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Any product id resolves: a product nobody reviewed simply has no reviews.
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> Product {
        Product { id }
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    /// Null when unknown or hidden from the caller.
    #[graphql(entity)]
    async fn find_review_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Review>> {
        Ok(review::visible(ctx, &id).await?)
    }

    /// A review by id: null when unknown or hidden from the caller.
    async fn review(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Review>> {
        let id = kit::ids::parse_id("id", &id)?;
        Ok(review::visible(ctx, &id).await?)
    }
}
