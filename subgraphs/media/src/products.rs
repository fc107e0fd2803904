//! `Product` (owned by catalog) extended with its images: `media` (the visible gallery in
//! order) and `thumbnail` (the first image's small thumbnail). Both read the same batched
//! gallery, so `_entities` for a page of products costs one query.

use async_graphql::{Context, Object, Result, ID};

use crate::assets::{self, Asset};
use crate::state::MediaState;

/// A catalog product as media knows it: by id.
pub struct Product {
    pub id: ID,
}

#[Object(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
impl Product {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// The product's images ordered by position; empty for an archived product.
    async fn media(&self, ctx: &Context<'_>) -> Result<Vec<Asset>> {
        Ok(assets::gallery(ctx, &self.id).await?)
    }

    /// URL of the small thumbnail of the first image; null when there is none.
    async fn thumbnail(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let gallery = assets::gallery(ctx, &self.id).await?;
        Ok(gallery
            .first()
            .map(|a| MediaState::of(ctx).settings.object_url(&a.small_key)))
    }
}
