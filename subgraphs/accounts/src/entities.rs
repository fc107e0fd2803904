//! Federation entry points: other subgraphs reference `User` and `Address` by id, and the
//! router resolves them here through `_entities`, batched by the loaders.

use async_graphql::{Context, Object, Result, ID};
use kit::AppError;

use crate::addresses::{self, Address};
use crate::users::{self, User};

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    #[graphql(entity)]
    async fn find_user_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        // A malformed id in a representation simply matches nothing.
        Ok(users::load(ctx, &id).await?)
    }

    #[graphql(entity)]
    async fn find_address_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Address>> {
        match addresses::visible(ctx, &id, "id").await {
            Ok(a) => Ok(Some(a)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
