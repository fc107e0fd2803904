//! `Product` (owned by catalog) extended with its reviews and rating. Both load through
//! batching loaders, so `_entities` for a page of products costs a fixed number of statements.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, ID};
use kit::pagination::{Cursor, Total, Window};

use crate::pages::{self, Page, ProductPages, ReviewSort};
use crate::ratings::{self, ProductRating};
use crate::review::Review;

/// A catalog product as reviews knows it: by id.
pub struct Product {
    pub id: ID,
}

#[Object(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
impl Product {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Published reviews. `totalCount` is the number of published reviews.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(ReviewSort::Newest)")] sort: Option<ReviewSort>,
    ) -> Result<Connection<Cursor, Review, Total>> {
        let window = Window::parse(first, after, last, before)?;
        let page = Page::new(sort.unwrap_or(ReviewSort::Newest), &window, false)?;
        let total = if pages::wants_total(ctx) {
            ratings::load(ctx, &self.id).await?.count
        } else {
            0
        };
        Ok(pages::connection::<ProductPages>(ctx, &self.id, page, &window, total).await?)
    }

    /// Average, count and distribution of the published reviews' stars.
    async fn rating(&self, ctx: &Context<'_>) -> Result<ProductRating> {
        Ok(ratings::load(ctx, &self.id).await?.into())
    }
}
