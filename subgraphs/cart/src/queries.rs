//! The root queries: `cart(id)` for whoever may read it (its token, its owner, staff) and
//! `myCart` for the signed-in customer. Also the lookup of a customer's active cart, which
//! `User.cart` shares.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::ids::parse_id;
use kit::schema::service;
use kit::AppError;

use crate::access;
use crate::loader;
use crate::objects::Cart;
use crate::settings::Settings;
use crate::view::{CartStatus, CartView};

/// The customer's active cart. Their cart id is cached (it changes only when a cart stops being
/// active, and the cart itself comes through the invalidated cart cache): a cached id is used
/// only while that cart still reads as this customer's active cart, so a stale id is harmless.
pub async fn active_cart(ctx: &Context<'_>, customer: &str) -> Result<Option<CartView>, AppError> {
    let svc = service(ctx);
    let key = format!("customer:{customer}:cart");
    let is_current =
        |c: &CartView| c.status == CartStatus::Active && c.customer_id.as_deref() == Some(customer);
    if let Ok(Some(bytes)) = svc.cache.get(&key).await {
        if let Ok(id) = String::from_utf8(bytes) {
            if let Some(cart) = loader::load(ctx, &id).await?.filter(is_current) {
                return Ok(Some(cart));
            }
        }
    }
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM carts WHERE customer_id = $1 AND status = 'ACTIVE'")
            .bind(customer)
            .fetch_optional(svc.db.pool())
            .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let ttl = ctx.data_unchecked::<Settings>().cache_ttl;
    if let Err(err) = svc.cache.set(&key, id.as_bytes(), Some(ttl)).await {
        tracing::warn!(error = %err, "cart cache unavailable");
    }
    Ok(loader::load(ctx, &id).await?.filter(is_current))
}

#[derive(Default)]
pub struct CartQuery;

#[Object]
impl CartQuery {
    /// A cart, for its guest (token in `X-Cart-Token`), its owner or staff; anyone else gets
    /// `NOT_FOUND`, as for an unknown id.
    async fn cart(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Cart>> {
        let id = parse_id("id", &id)?;
        match access::readable(ctx, &id).await? {
            Some(cart) => Ok(Some(Cart(cart))),
            None => Err(access::not_found(&id).into()),
        }
    }

    /// The signed-in customer's active cart; null when they have none.
    #[graphql(directive = authenticated::apply())]
    async fn my_cart(&self, ctx: &Context<'_>) -> Result<Option<Cart>> {
        let customer = caller(ctx)?.user_id.clone();
        Ok(active_cart(ctx, &customer).await?.map(Cart))
    }
}
