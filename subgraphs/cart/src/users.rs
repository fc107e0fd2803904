//! `User` (owned by accounts) extended with their active cart, for themself and staff.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::require_owner_or_staff;
use kit::authz_directives::authenticated;

use crate::objects::Cart;
use crate::queries::active_cart;

/// An accounts user as cart knows them: by id.
pub struct User {
    pub id: ID,
}

#[Object]
impl User {
    /// The user's id.
    async fn id(&self) -> &ID {
        &self.id
    }

    /// The user's active cart, null when none. The user themself or staff (else `FORBIDDEN`).
    #[graphql(directive = authenticated::apply())]
    async fn cart(&self, ctx: &Context<'_>) -> Result<Option<Cart>> {
        require_owner_or_staff(ctx, &self.id)?;
        Ok(active_cart(ctx, &self.id).await?.map(Cart))
    }
}
