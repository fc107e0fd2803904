//! Federation entry points: the router resolves `Cart` and `CartLine` here through
//! `_entities` (batched by the cart loader; a cart the caller may not read resolves to null),
//! `User` for its `cart`, and the `ProductVariant` reference by id.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result, ID};
use kit::db::placeholders;
use kit::{AppError, Db};

use crate::access;
use crate::objects::{Cart, CartLine, ProductVariant};
use crate::users::User;

/// Which cart each line belongs to: one statement per batch.
pub struct LineCarts {
    pub db: Db,
}

impl Loader<String> for LineCarts {
    type Value = String;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, String>, AppError> {
        let sql = format!(
            "SELECT id, cart_id FROM cart_lines WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(self.db.pool()).await?.into_iter().collect())
    }
}

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Null when unknown or not readable by the caller.
    #[graphql(entity)]
    async fn find_cart_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Cart>> {
        Ok(access::readable(ctx, &id).await?.map(Cart))
    }

    /// Null when unknown or its cart is not readable by the caller.
    #[graphql(entity)]
    async fn find_cart_line_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<CartLine>> {
        let Some(cart_id) = ctx
            .data_unchecked::<DataLoader<LineCarts>>()
            .load_one(id.to_string())
            .await?
        else {
            return Ok(None);
        };
        let cart = access::readable(ctx, &cart_id).await?;
        Ok(cart
            .and_then(|c| c.lines.into_iter().find(|l| l.id == id.as_str()))
            .map(CartLine))
    }

    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }

    #[graphql(entity)]
    async fn find_product_variant_by_id(&self, id: ID) -> ProductVariant {
        ProductVariant { id }
    }
}
