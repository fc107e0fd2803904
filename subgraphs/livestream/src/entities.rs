//! Federation entry points: the router resolves `Livestream`, `ChatMessage`'s author `User`
//! and `Product` (for its streams) here through `_entities`.

use async_graphql::{Context, Object, Result, ID};

use crate::chat::{self, ChatMessage};
use crate::products::Product;
use crate::stream::{self, Livestream};
use crate::users::User;

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Null when unknown.
    #[graphql(entity)]
    async fn find_livestream_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Livestream>> {
        Ok(stream::load(ctx, &id).await?)
    }

    /// Null when unknown.
    #[graphql(entity)]
    async fn find_chat_message_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<ChatMessage>> {
        Ok(chat::by_id(&kit::schema::service(ctx).db, &id).await?)
    }

    /// Any product id resolves: a product no stream features simply has none.
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> Product {
        Product { id }
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}
